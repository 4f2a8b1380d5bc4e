"""Figures as TikZ: one inline picture per panel, so that LaTeX wraps a long row of panels."""

from __future__ import annotations

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
)

EM_CM = 0.28
"""One em of \\footnotesize, in centimetres: cells are sized in em for both renderers."""
SYMBOLS = {"∂": "\\partial ", "·": "\\cdot ", "×": "\\times ", "↕": "\\updownarrow "}
LETTERS = {
    "x̂": "\\hat{x}",
    "μ": "\\mu ",
    "σ": "\\sigma ",
    "γ": "\\gamma ",
    "β": "\\beta ",
    "²": "^{2}",
}
"""Variables that math mode cannot take as Unicode (pdflatex, and xelatex without unicode-math)."""


def colour(hex_rgb: str) -> str:
    red, green, blue = (int(hex_rgb[k : k + 2], 16) for k in (1, 3, 5))
    return f"{{rgb,255:red,{red};green,{green};blue,{blue}}}"


def label_tex(label: Label) -> str:
    parts = []
    for run in label:
        if run.style == "sub":
            parts.append(f"_{{{run.text}}}")
        elif run.style == "upright":
            # A hyphenated word (cross-entropy) as text: in \mathrm its hyphen sets as a minus.
            word = "\\text" if "-" in run.text else "\\mathrm"
            parts.append(f"{word}{{{run.text}}}")
        elif run.style == "symbol":
            parts.append("".join(SYMBOLS.get(ch, ch) for ch in run.text))
        else:
            text = run.text
            for letter, tex in LETTERS.items():
                text = text.replace(letter, tex)
            parts.append(text)
    return "$" + "".join(parts) + "$"


def panel_tex(panel: Panel) -> str:
    side = round(cell_em(panel) * EM_CM, 3)
    rows, cols = panel.labels.shape
    lines = [
        f"\\begin{{tikzpicture}}[x={side}cm, y=-{side}cm, "
        f"every node/.style={{font=\\footnotesize, text={colour(TEXT)}}}]"
    ]
    for (r, c), label in panel.labels.items():
        fill = colour(PALETTE[panel.tone((r, c))])
        lines.append(
            f"\\filldraw[fill={fill}, draw={colour(STROKE)}, line width=0.4pt] "
            f"({c},{r}) rectangle ({c + 1},{r + 1});"
        )
        if panel.show_labels:
            lines.append(f"\\node at ({c + 0.5},{r + 0.5}) {{{label_tex(label)}}};")
    lines.append(f"\\node[above] at ({cols / 2},0) {{{label_tex(panel.title)}}};")
    lines.append("\\end{tikzpicture}")
    return "\n".join(lines)


def figure_tex(figure: Figure) -> str:
    parts = []
    for position, panel in enumerate(figure.panels):
        if position:
            parts.append("\\\\[1ex]" if panel.starts_row else "\\quad")
        parts.append(panel_tex(panel))
    return "\n".join(parts)


GRAPH_UNIT_CM = 1.1


def graph_tex(figure: GraphFigure) -> str:
    """Values as circles, gates as boxes; forward arrows in grey, gradients in the switch red."""
    back = colour(PALETTE["selected"])
    lines = [
        f"\\begin{{tikzpicture}}[x={GRAPH_UNIT_CM}cm, y=-{GRAPH_UNIT_CM}cm, >=stealth, "
        f"every node/.style={{font=\\small, text={colour(TEXT)}}}]"
    ]
    size = f"{2 * NODE_RADIUS * GRAPH_UNIT_CM:.3f}cm"
    for node in figure.nodes:
        shape = "rectangle" if node.gate else "circle"
        lines.append(
            f"\\node[{shape}, draw={colour(STROKE)}, fill={colour(PALETTE[node.tone])}, "
            f"minimum size={size}, inner sep=0pt] at ({node.at[0]},{node.at[1]}) "
            f"{{{label_tex(node.label)}}};"
        )
    for edge in figure.edges:
        forward, backward, at = edge_geometry(figure, edge)
        dash = ", dashed" if edge.dashed else ""
        lines.append(f"\\draw[->, thick, draw={colour(STROKE)}{dash}] {_segment(forward)};")
        if edge.backward or edge.flows_back:
            lines.append(f"\\draw[->, thick, draw={back}{dash}] {_segment(backward)};")
        if edge.backward:
            lines.append(f"\\node[text={back}] at {_point(at)} {{{label_tex(edge.backward)}}};")
    for label, at in figure.notes:
        lines.append(f"\\node at {_point(at)} {{{label_tex(label)}}};")
    lines.append("\\end{tikzpicture}")
    return "\n".join(lines)


def _point(p: tuple[float, float]) -> str:
    return f"({p[0]:.3f},{p[1]:.3f})"


def _segment(segment: tuple[tuple[float, float], tuple[float, float]]) -> str:
    return f"{_point(segment[0])} -- {_point(segment[1])}"


def draw(figure: Figure | GraphFigure) -> str:
    return graph_tex(figure) if isinstance(figure, GraphFigure) else figure_tex(figure)
