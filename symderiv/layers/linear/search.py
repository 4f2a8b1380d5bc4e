"""The search for a compact form of each result among matrix products, and the bias sum.

Each result (the output Y and the gradients of X, W and b) is compared with every product of its
two operands in either order, each transposed or not (8 candidates), computed cell by cell from
the index formula C[i, j] = sum_k A'[i, k] B'[k, j] without building a transposed array, and
dropped at its first differing cell; the bias gradient with the sums of dL/dY over its rows and
over its columns. "No match" is a result.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ...core.grid import Grid, Index
from ...core.poly import Poly
from ...core.results import Identity, Search


@dataclass(frozen=True)
class Product:
    """``first' · second'`` (+ ``bias`` broadcast over the rows), each transposed or not."""

    first: str
    second: str
    transpose_first: bool = False
    transpose_second: bool = False
    bias: str | None = None

    @property
    def text(self) -> str:
        def side(name: str, transposed: bool) -> str:
            shown = f"({name})" if "/" in name and transposed else name
            return f"{shown}^T" if transposed else shown

        product = (
            f"{side(self.first, self.transpose_first)} · {side(self.second, self.transpose_second)}"
        )
        return product + (f" + {self.bias}" if self.bias else "")


@dataclass(frozen=True)
class RowSum:
    """The sum of ``first`` over its rows (``over_rows``) or over its columns."""

    first: str
    over_rows: bool = True

    @property
    def text(self) -> str:
        return f"sum over the {'rows' if self.over_rows else 'columns'} of {self.first}"


Form = Product | RowSum
LinearSearch = Search[Form]
LinearIdentity = Identity[Form, None]


def statement(target: str, form: Form) -> str:
    return f"{target} = {form.text}"


def _shape(grid: Grid[Poly], transposed: bool) -> tuple[int, int]:
    rows, columns = grid.shape
    return (columns, rows) if transposed else (rows, columns)


def product_cell(a: Grid[Poly], b: Grid[Poly], form: Product, index: Index) -> Poly:
    """One cell of the product, read through the transposes by index."""
    i, j = index
    inner = _shape(a, form.transpose_first)[1]
    pairs = (
        (
            a[(k, i) if form.transpose_first else (i, k)],
            b[(j, k) if form.transpose_second else (k, j)],
        )
        for k in range(inner)
    )
    return Poly.sum_of_products(pairs)


def products(operands: tuple[str, str], bias: str | None) -> Iterator[Product]:
    for first, second in (operands, operands[::-1]):
        for transpose_first in (False, True):
            for transpose_second in (False, True):
                yield Product(first, second, transpose_first, transpose_second, bias)


def _fits(a: Grid[Poly], b: Grid[Poly], form: Product, shape: tuple[int, ...]) -> bool:
    left, right = _shape(a, form.transpose_first), _shape(b, form.transpose_second)
    return left[1] == right[0] and (left[0], right[1]) == shape


def search_product(
    target: str,
    value: Grid[Poly],
    operands: Mapping[str, Grid[Poly]],
    bias: Grid[Poly] | None = None,
) -> LinearSearch:
    keys = tuple(k for k in operands)
    tried = list(products((keys[0], keys[1]), "b" if bias is not None else None))
    found = []
    for form in tried:
        a, b = operands[form.first], operands[form.second]
        if not _fits(a, b, form, value.shape):
            continue
        if all(
            product_cell(a, b, form, i) + (bias.cells[i[1]] if bias is not None else Poly()) == v
            for i, v in value.items()
        ):
            found.append(form)
    return Search(target, keys, len(tried), tuple(found))


def row_sum_cell(upstream: Grid[Poly], form: RowSum, position: int) -> Poly:
    rows, columns = upstream.shape
    if form.over_rows:
        return Poly.total(upstream[(r, position)] for r in range(rows))
    return Poly.total(upstream[(position, c)] for c in range(columns))


def search_sum(target: str, value: Grid[Poly], key: str, upstream: Grid[Poly]) -> LinearSearch:
    tried = [RowSum(key, True), RowSum(key, False)]
    rows, columns = upstream.shape
    found = tuple(
        form
        for form in tried
        if value.shape == ((columns if form.over_rows else rows),)
        and all(row_sum_cell(upstream, form, i[0]) == v for i, v in value.items())
    )
    return Search(target, (key,), len(tried), found)
