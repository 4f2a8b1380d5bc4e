"""Figures as SVG for Markdown files and HTML pages: the panels flow in rows, colours and labels
as in TikZ."""

from __future__ import annotations

from html import escape as _escape

from ..core.figures import (
    NODE_RADIUS,
    PALETTE,
    STROKE,
    TEXT,
    Figure,
    GraphFigure,
    Label,
    Panel,
    cell_em,
    edge_geometry,
    plain_text,
)

EM_PX = 14
MAX_WIDTH = 760
GAP = 20
TITLE = 24
"""Height of the row that holds a panel's title, in pixels."""
FONT = "'DejaVu Serif', 'Times New Roman', serif"


def escape(text: str) -> str:
    """XML character data: &, < and > escaped (``xml.sax.saxutils.escape``, whose module would
    import urllib, http and ssl on every render)."""
    return _escape(text, quote=False)


def quoteattr(text: str) -> str:
    """An attribute value with its quotes, as ``xml.sax.saxutils.quoteattr`` writes it."""
    text = escape(text).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    return '"{}"'.format(text.replace('"', "&quot;"))


def label_svg(label: Label, x: float, y: float, size: float) -> str:
    """A label as one <text>; a subscript is a smaller <tspan> set lower."""
    spans = []
    lowered = False
    for run in label:
        text = escape(run.text)
        if run.style == "sub":
            spans.append(f'<tspan dy="0.3em" font-size="72%">{text}</tspan>')
            lowered = True
            continue
        shift = ' dy="-0.3em"' if lowered else ""
        lowered = False
        italic = ' font-style="italic"' if run.style == "italic" else ""
        spans.append(f"<tspan{shift}{italic}>{text}</tspan>")
    return (
        f'<text xml:space="preserve" x="{x:g}" y="{y:g}" font-size="{size:g}" text-anchor="middle" '
        f'dominant-baseline="central" fill="{TEXT}">{"".join(spans)}</text>'
    )


def _panel_size(panel: Panel) -> tuple[float, float]:
    side = cell_em(panel) * EM_PX
    rows, cols = panel.labels.shape
    return cols * side, rows * side + TITLE


def panel_svg(panel: Panel, left: float, top: float) -> str:
    side = cell_em(panel) * EM_PX
    cols = panel.labels.shape[1]
    title = quoteattr(plain_text(panel.title))
    parts = [f'<g class="panel" data-title={title}>']
    parts.append(label_svg(panel.title, left + cols * side / 2, top + TITLE / 2, EM_PX))
    for (r, c), label in panel.labels.items():
        x, y = left + c * side, top + TITLE + r * side
        tone = panel.tone((r, c))
        parts.append(
            f'<rect class="cell" data-tone="{tone}" x="{x:g}" y="{y:g}" width="{side:g}" '
            f'height="{side:g}" fill="{PALETTE[tone]}" stroke="{STROKE}" stroke-width="1"/>'
        )
        if panel.show_labels:
            parts.append(label_svg(label, x + side / 2, y + side / 2, EM_PX * 0.9))
    parts.append("</g>")
    return "\n".join(parts)


def figure_svg(figure: Figure) -> str:
    """Panels left to right, wrapping to a new row at ``MAX_WIDTH``."""
    placed: list[str] = []
    x = y = row_height = width = 0.0
    for panel in figure.panels:
        w, h = _panel_size(panel)
        if x and (panel.starts_row or x + w > MAX_WIDTH):
            x, y, row_height = 0.0, y + row_height + GAP, 0.0
        placed.append(panel_svg(panel, GAP + x, GAP + y))
        x += w + GAP
        row_height = max(row_height, h)
        width = max(width, x)
    total_w, total_h = width + GAP, y + row_height + 2 * GAP
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w:g}" height="{total_h:g}" '
        f'viewBox="0 0 {total_w:g} {total_h:g}" font-family="{FONT}">\n'
        f'<rect width="100%" height="100%" fill="#FFFFFF"/>\n' + "\n".join(placed) + "\n</svg>\n"
    )


GRAPH_UNIT = 62
"""Pixels per grid unit of a graph figure."""


def graph_svg(figure: GraphFigure) -> str:
    """The same drawing as ``tikz.graph_tex``: circles, boxes, grey and red arrows."""
    back = PALETTE["selected"]
    xs = [n.at[0] for n in figure.nodes] + [at[0] for _, at in figure.notes]
    ys = [n.at[1] for n in figure.nodes] + [at[1] for _, at in figure.notes]
    left, top = min(xs) - 1.0, min(ys) - 0.8
    width, height = (max(xs) + 1.0 - left) * GRAPH_UNIT, (max(ys) + 0.8 - top) * GRAPH_UNIT

    def x(v: float) -> float:
        return round((v - left) * GRAPH_UNIT, 2)

    def y(v: float) -> float:
        return round((v - top) * GRAPH_UNIT, 2)

    def line(
        segment: tuple[tuple[float, float], tuple[float, float]],
        colour: str,
        marker: str,
        dashed: bool,
    ) -> str:
        (x1, y1), (x2, y2) = segment
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        return (
            f'<line class="edge" x1="{x(x1):g}" y1="{y(y1):g}" x2="{x(x2):g}" y2="{y(y2):g}" '
            f'stroke="{colour}" stroke-width="2"{dash} marker-end="url(#{marker})"/>'
        )

    radius = NODE_RADIUS * GRAPH_UNIT
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}" height="{height:g}" '
        f'viewBox="0 0 {width:g} {height:g}" font-family="{FONT}">',
        '<rect width="100%" height="100%" fill="#FFFFFF"/>',
        "<defs>",
        *(
            f'<marker id="{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
            f'fill="{colour}"/></marker>'
            for name, colour in (("forward", STROKE), ("backward", back))
        ),
        "</defs>",
    ]
    for edge in figure.edges:
        forward, backward, at = edge_geometry(figure, edge)
        parts.append(line(forward, STROKE, "forward", edge.dashed))
        if edge.backward or edge.flows_back:
            parts.append(line(backward, back, "backward", edge.dashed))
        if edge.backward:
            parts.append(
                label_svg(edge.backward, x(at[0]), y(at[1]), EM_PX).replace(
                    f'fill="{TEXT}"', f'fill="{back}"'
                )
            )
    for node in figure.nodes:
        cx, cy = x(node.at[0]), y(node.at[1])
        fill = PALETTE[node.tone]
        if node.gate:
            parts.append(
                f'<rect class="node" x="{cx - radius:g}" y="{cy - radius:g}" '
                f'width="{2 * radius:g}" height="{2 * radius:g}" fill="{fill}" '
                f'stroke="{STROKE}" stroke-width="1.5"/>'
            )
        else:
            parts.append(
                f'<circle class="node" cx="{cx:g}" cy="{cy:g}" r="{radius:g}" '
                f'fill="{fill}" stroke="{STROKE}" stroke-width="1.5"/>'
            )
        parts.append(label_svg(node.label, cx, cy, EM_PX * 1.15))
    for label, at in figure.notes:
        parts.append(label_svg(label, x(at[0]), y(at[1]), EM_PX))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def draw(figure: Figure | GraphFigure) -> str:
    return graph_svg(figure) if isinstance(figure, GraphFigure) else figure_svg(figure)
