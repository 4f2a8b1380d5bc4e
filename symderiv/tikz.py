"""Figures as TikZ: one inline picture per panel, so that LaTeX wraps a long row of panels."""

from __future__ import annotations

from .figures import PALETTE, STROKE, TEXT, Figure, Label, Panel, cell_em

EM_CM = 0.28
"""One em of \\footnotesize, in centimetres: cells are sized in em for both renderers."""
SYMBOLS = {"∂": "\\partial "}


def colour(hex_rgb: str) -> str:
    red, green, blue = (int(hex_rgb[k : k + 2], 16) for k in (1, 3, 5))
    return f"{{rgb,255:red,{red};green,{green};blue,{blue}}}"


def label_tex(label: Label) -> str:
    parts = []
    for run in label:
        if run.style == "sub":
            parts.append(f"_{{{run.text}}}")
        elif run.style == "upright":
            parts.append(f"\\mathrm{{{run.text}}}")
        elif run.style == "symbol":
            parts.append("".join(SYMBOLS.get(ch, ch) for ch in run.text))
        else:
            parts.append(run.text)
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
