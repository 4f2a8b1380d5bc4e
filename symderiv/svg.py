"""Figures as SVG files for Markdown: the panels flow in rows, colours and labels as in TikZ."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from .figures import PALETTE, STROKE, TEXT, Figure, Label, Panel, cell_em, plain_text

EM_PX = 14
MAX_WIDTH = 760
GAP = 20
TITLE = 24
"""Height of the row that holds a panel's title, in pixels."""
FONT = "'DejaVu Serif', 'Times New Roman', serif"


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
        f'<text x="{x:g}" y="{y:g}" font-size="{size:g}" text-anchor="middle" '
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
        f'<rect width="100%" height="100%" fill="#FFFFFF"/>\n'
        + "\n".join(placed)
        + "\n</svg>\n"
    )
