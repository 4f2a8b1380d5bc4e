"""The figures of a convolution, computed from its derivation.

* ``windows``: for each output element O_ij, the input X with the window O_ij reads highlighted:
  the X elements that occur in the expanded O_ij (so stride, dilation or padding would show as
  they are, without a second implementation of the sliding).
* ``rotation``: the kernel, its rows reversed, and then its columns reversed too (its 180°
  rotation, as the proven identity for dL/dX presents it), with the first kernel element marked
  so the eye can follow it to the opposite corner.
* ``full-correlation``: the zero-padded dL/dO of that identity, and for each element of dL/dX
  the window where the rotated kernel sits on it (valid mode over the padded array), each
  covered cell labelled with the kernel element that multiplies it.

Figures are only drawn for plain two-dimensional tensors (the single-channel case); otherwise
there are none, and the text stands alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ...core.figures import (
    Figure,
    Highlight,
    Label,
    Panel,
    element_label,
    flipped_label,
    number_label,
    rotated_label,
    selection,
    starts_row,
    tensor_label,
)
from ...core.grid import Grid, Index
from ...core.poly import Poly
from ...core.symbols import needs_separators
from .candidates import Candidate, Presentation
from .result import Derivation

LabelOf = Callable[[Poly], Label]

PANEL_LIMIT = 16
"""More panels than this and only the four corner elements are drawn."""
LABEL_LIMIT = 8
"""Grids wider or taller than this are drawn without labels."""


def build(derivation: Derivation) -> dict[str, Figure]:
    expansion = derivation.expansion
    shapes = {t.key: t.shape for t in expansion.tensors}
    # Plain 2-D arrays only (a bias, if any, is beside them); with channels there are no figures.
    if any(len(shapes.get(key, ())) != 2 for key in ("X", "F", "O")):
        return {}
    separated = needs_separators(t.shape for t in expansion.tensors)
    names = {s: (t.key, i) for t in expansion.tensors for i, s in t.symbols.items()}

    def label(cell: Poly) -> Label:
        if not cell:
            return number_label("0")
        (symbol,) = cell.free_symbols
        key, index = names[symbol]
        return element_label(key, index, separated)

    figures = {"windows": _windows(derivation, separated)}
    slid = _sliding_identity(derivation, "dL/dX")
    if slid is not None and slid.form.rotate_second:
        figures["rotation"] = _rotation(slid, label)
    if slid is not None and any(b or a for b, a in slid.shown.padding):
        figures["full-correlation"] = _full(slid, label, separated)
    return figures


@dataclass(frozen=True)
class Slid:
    """A proven identity that slides one array over another, as its presentation shows it."""

    target: str
    form: Candidate
    shown: Presentation


def _sliding_identity(derivation: Derivation, target: str) -> Slid | None:
    """The first proven identity for ``target`` that is a correlation or convolution."""
    for i in derivation.identities:
        if (
            i.target == target
            and i.proof.holds
            and isinstance(i.form, Candidate)
            and i.shown is not None
        ):
            return Slid(i.target, i.form, i.shown)
    return None


def _windows(derivation: Derivation, separated: bool) -> Figure:
    expansion = derivation.expansion
    x = expansion.tensor("X").symbols
    output = expansion.tensor("O").symbols
    where = {s: i for i, s in x.items()}
    labels = Grid.build(x.shape, lambda i: element_label("X", i, separated))
    shown = selection(output.indices(), output.shape, PANEL_LIMIT)
    panels = tuple(
        Panel(
            title=element_label("O", index, separated),
            labels=labels,
            highlights=(
                Highlight(
                    "window",
                    frozenset(
                        where[s] for s in expansion.forward[index].free_symbols if s in where
                    ),
                ),
            ),
            show_labels=max(x.shape) <= LABEL_LIMIT,
            starts_row=starts_row(index, shown),
        )
        for index in shown
    )
    return Figure("windows", panels, complete=len(shown) == len(output.cells))


def _rotation(identity: Slid, label: LabelOf) -> Figure:
    """Three panels: the kernel, its rows reversed, then its columns too, which is rot180."""
    key = identity.form.second
    rotated = identity.shown.second
    rows, cols = rotated.shape
    original = Grid.build(rotated.shape, lambda i: rotated[(rows - 1 - i[0], cols - 1 - i[1])])
    flipped = Grid.build(rotated.shape, lambda i: original[(rows - 1 - i[0], i[1])])
    first = original.cells[0]

    def panel(title: Label, grid: Grid[Poly]) -> Panel:
        marked = frozenset(i for i, cell in grid.items() if cell == first)
        return Panel(title, grid.map(label), (Highlight("anchor", marked),), base="kernel")

    return Figure(
        "rotation",
        (
            panel(tensor_label(key), original),
            panel(flipped_label(key), flipped),
            panel(rotated_label(key), rotated),
        ),
    )


def _full(identity: Slid, label: LabelOf, separated: bool) -> Figure:
    padded = identity.shown.first
    kernel = identity.shown.second.shape
    zeros = frozenset(i for i, cell in padded.items() if not cell)
    out_shape = tuple(n - k + 1 for n, k in zip(padded.shape, kernel))
    out = Grid.build(out_shape, lambda i: i)
    shown = selection(out.indices(), out_shape, PANEL_LIMIT)
    big = max(padded.shape) > LABEL_LIMIT
    offsets = list(Grid.build(kernel, lambda i: i).cells)

    def window(at: Index) -> frozenset[Index]:
        return frozenset(tuple(a + u for a, u in zip(at, offset)) for offset in offsets)

    whole = Panel(
        tensor_label(identity.form.first),
        padded.map(label),
        (Highlight("zero", zeros),),
        show_labels=not big,
    )
    # Each window's cells carry the kernel element that multiplies the value beneath them.
    kernel_labels = identity.shown.second.map(label)

    def over(at: Index) -> Grid[Label]:
        def cell(index: Index) -> Label:
            offset = tuple(i - a for i, a in zip(index, at))
            inside = all(0 <= o < k for o, k in zip(offset, kernel))
            return kernel_labels[offset] if inside else ()

        return Grid.build(padded.shape, cell)

    panels = tuple(
        Panel(
            element_label(identity.target, at, separated),
            over(at) if not big else padded.map(label),
            (
                Highlight("zero", zeros),
                Highlight("window", window(at) - zeros),
                Highlight("window-zero", window(at) & zeros),
            ),
            show_labels=not big,
            starts_row=starts_row(at, shown),
        )
        for at in shown
    )
    return Figure("full-correlation", (whole, *panels), complete=len(shown) == len(out.cells))
