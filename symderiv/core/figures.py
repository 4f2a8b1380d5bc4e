"""Figures as pure data: grids of cell labels with highlighted cells, computed from a derivation.

A figure is a row of panels; a panel is a grid whose cells carry a label and a tone (a colour
named in ``PALETTE``). The builders (``conv_figures``, ``pool_figures``) compute which cells to
highlight from the derivation itself, never from a drawing; ``tikz`` and ``svg`` render the same
data, so colours and labels agree between LaTeX and Markdown.

Labels are short runs of math text, so that both renderers spell them the same way:
``X_{11}`` is the runs ("X", italic) and ("11", sub).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .grid import Grid, Index
from .symbols import LOSS, gradient_of, index_latex

PALETTE = {
    "plain": "#FFFFFF",
    "window": "#F4A261",
    "zero": "#E3E3E3",
    "window-zero": "#F9D5B4",
    "kernel": "#A8DADC",
    "anchor": "#2A9D8F",
    "selected": "#E76F51",
}
"""Cell fills, shared by TikZ and SVG. ``anchor`` marks one element to follow across panels."""
STROKE = "#4D4D4D"
TEXT = "#1A1A1A"


@dataclass(frozen=True)
class Run:
    text: str
    style: str
    """``italic`` (a variable), ``upright`` (a word such as rot180, or a number), ``symbol``
    (punctuation and ∂, set as they are) or ``sub`` (a subscript)."""


Label = tuple[Run, ...]


@dataclass(frozen=True)
class Highlight:
    tone: str
    cells: frozenset[Index]


@dataclass(frozen=True)
class Panel:
    title: Label
    labels: Grid[Label]
    highlights: tuple[Highlight, ...] = ()
    base: str = "plain"
    show_labels: bool = True
    """Thumbnails (False) show only the tones: the position of a window, not the values."""
    starts_row: bool = False
    """Begin a new row of panels here, so that panels can mirror the layout of a matrix."""

    def tone(self, index: Index) -> str:
        """The last highlight that holds the cell wins."""
        tone = self.base
        for highlight in self.highlights:
            if index in highlight.cells:
                tone = highlight.tone
        return tone


@dataclass(frozen=True)
class Figure:
    name: str
    """Short and file-name safe: ``windows``, ``rotation``."""
    panels: tuple[Panel, ...]
    complete: bool = True
    """False when the figure shows a selection (the corners) of a long list of panels."""

    @property
    def cells(self) -> int:
        return sum(len(p.labels.cells) for p in self.panels)


# --------------------------------------------------------------------------------------------
# Labels


def tensor_label(key: str) -> Label:
    """``X``, or ``∂L/∂O`` for a loss gradient."""
    base = gradient_of(key)
    if base is None:
        return (Run(key, "italic"),)
    return (Run("∂", "symbol"), Run(LOSS, "italic"), Run("/∂", "symbol"), Run(base, "italic"))


def element_label(key: str, index: Index, separated: bool) -> Label:
    return (*tensor_label(key), Run(index_latex(index, separated), "sub"))


def rotated_label(key: str) -> Label:
    return (Run("rot180", "upright"), Run("(", "symbol"), *tensor_label(key), Run(")", "symbol"))


def flipped_label(key: str) -> Label:
    """The rows reversed (a vertical flip), written with an arrow as the text writes it."""
    return (Run("↕", "symbol"), *tensor_label(key))


def number_label(text: str) -> Label:
    return (Run(text, "upright"),)


def plain_text(label: Label) -> str:
    """A label as plain text, for alt text and tests: ``X11``, ``∂L/∂O12``."""
    return "".join(run.text for run in label)


def width_em(label: Label) -> float:
    """Roughly how wide a label sets, in em: enough to size cells the same in both renderers."""
    return sum(len(run.text) * (0.45 if run.style == "sub" else 0.62) for run in label)


def cell_em(panel: Panel) -> float:
    """The side of a panel's cells in em (thumbnails are small and unlabelled)."""
    if not panel.show_labels:
        return 1.2
    widest = max((width_em(label) for label in panel.labels.cells), default=1.0)
    return max(2.4, 1.15 * widest + 1.0)


def selection(indices: Iterable[Index], shape: tuple[int, ...], limit: int) -> list[Index]:
    """Every index when there are at most ``limit``, else the corners of the grid."""
    every = list(indices)
    if len(every) <= limit:
        return every
    corners = {
        tuple(0 if first else n - 1 for first, n in zip(choice, shape))
        for choice in [(True, True), (True, False), (False, True), (False, False)]
    }
    return [i for i in every if i in corners]


def starts_row(index: Index, shown: list[Index]) -> bool:
    """Whether the panel for ``index`` opens a row when panels follow the rows of a matrix."""
    position = shown.index(index)
    return position == 0 or shown[position - 1][0] != index[0]


# --------------------------------------------------------------------------------------------
# Computational graphs: nodes joined by forward arrows, with gradients flowing back


@dataclass(frozen=True)
class Node:
    key: str
    label: Label
    at: tuple[float, float]
    """(column, row) in grid units; rows grow downwards."""
    tone: str = "plain"
    gate: bool = False
    """Gates are boxes; values are circles."""


@dataclass(frozen=True)
class Edge:
    start: str
    end: str
    backward: Label = ()
    """The gradient that flows back along this edge (drawn as a second arrow, end to start)."""
    dashed: bool = False
    """For the rest of the network, which the figure does not show."""
    flows_back: bool = False
    """Draw the backward arrow even without a label (where labels would crowd the figure)."""


@dataclass(frozen=True)
class GraphFigure:
    name: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    notes: tuple[tuple[Label, tuple[float, float]], ...] = ()
    """Free labels (the local gradients), each at a (column, row) position."""
    complete: bool = True

    def node(self, key: str) -> Node:
        return next(n for n in self.nodes if n.key == key)


NODE_RADIUS = 0.32
"""In grid units; arrows stop this far from a node's centre."""
LABEL_EM = 0.3
"""Grid units per em of a label's text, about the same in TikZ (small type) and SVG."""

Point = tuple[float, float]


def edge_geometry(
    figure: GraphFigure, edge: Edge
) -> tuple[tuple[Point, Point], tuple[Point, Point], Point]:
    """The forward arrow, the backward arrow beside it, and where the gradient's label goes:
    on the side away from the middle row, so that labels never sit on the graph."""
    (x1, y1), (x2, y2) = figure.node(edge.start).at, figure.node(edge.end).at
    length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    nx, ny = -uy, ux
    rows = [n.at[1] for n in figure.nodes]
    middle = (min(rows) + max(rows)) / 2
    if (ny > 0) != ((y1 + y2) / 2 >= middle):
        nx, ny = -nx, -ny
    r = NODE_RADIUS
    forward = ((x1 + ux * r, y1 + uy * r), (x2 - ux * r, y2 - uy * r))
    shift = 0.13
    backward = (
        (x2 - ux * r + nx * shift, y2 - uy * r + ny * shift),
        (x1 + ux * r + nx * shift, y1 + uy * r + ny * shift),
    )
    # Beside a slanted arrow a label reaches sideways by half its width: move it out that far.
    away = 0.45 + abs(nx) * width_em(edge.backward) * LABEL_EM / 2
    label = ((x1 + x2) / 2 + nx * away, (y1 + y2) / 2 + ny * away)
    return forward, backward, label


AnyFigure = Figure | GraphFigure
