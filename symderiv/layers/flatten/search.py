"""The search for dL/dX among the reshapes of dL/dY to the input's shape: row-major (the order
torch.flatten merges in) and column-major, each compared element by element."""

from __future__ import annotations

from dataclasses import dataclass

from ...core.grid import Grid
from ...core.poly import Poly
from ...core.results import Identity, Search


@dataclass(frozen=True)
class Reshape:
    source: str
    row_major: bool = True

    @property
    def text(self) -> str:
        order = "row-major" if self.row_major else "column-major"
        return f"reshape({self.source}, shape of X), {order}"


FlattenSearch = Search[Reshape]
FlattenIdentity = Identity[Reshape, None]


def reshaped(g: Grid[Poly], shape: tuple[int, ...], row_major: bool) -> Grid[Poly]:
    """The same cells read in another shape: in order (row-major), or with the axes reversed."""
    if row_major:
        return Grid(shape, g.cells)
    flipped = Grid(tuple(reversed(shape)), g.cells)
    return Grid.build(shape, lambda index: flipped[tuple(reversed(index))])


def search(target: str, value: Grid[Poly], key: str, upstream: Grid[Poly]) -> FlattenSearch:
    tried = [Reshape(key, True), Reshape(key, False)]
    found = tuple(
        form
        for form in tried
        if all(
            a == b
            for a, b in zip(reshaped(upstream, value.shape, form.row_major).cells, value.cells)
        )
    )
    return Search(target, (key,), len(tried), found)
