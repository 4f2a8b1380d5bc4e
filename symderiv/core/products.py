"""Grids of bilinear polynomials as one integer table each, compared in bulk with NumPy.

The cells of a convolution, and of both its gradients, are sums of products of two variables. A
search compares such grids with candidates and a proof with recomputed right-hand sides; cell by
cell as ``Poly`` dicts that is a Python-level dict operation per term, tens of times the cost of
spelling the term. As one table of (cell, first variable, second variable, coefficient) rows in a
canonical order (sorted, each monomial once, no zero coefficient), two grids are equal exactly
when their tables are, and computing or comparing a table is a few array operations whatever the
size. Grids whose cells are not of that shape have no table (``of_grid`` gives None), and their
callers compare ``Poly`` cells instead.

Beside the table: the geometry helpers the bulk search and proofs list their reads with
(``interval_pairs`` along one axis, ``flat_offsets`` across axes), a document's bulk reading
order (``reading_order``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np

from .grid import Grid
from .poly import Coefficient, Poly

_BITS = 21
"""Bits per field of a row's key: (cell, first id, second id) packed into one int64, so that
sorting keys sorts rows. Grids of 2**21 cells or more, or variable ids that large, have no
table."""
_LIMIT = 1 << _BITS
ONE = _LIMIT - 1
"""Stands for the factor 1 of a term with a single variable (a bias): c v is the row (v, ONE)."""


@dataclass(frozen=True, eq=False)
class Table:
    """A grid of ``size`` cells whose every term is a product of two variables, or a single
    variable (its second id ``ONE``): one row per term, in canonical order (by cell, then by the
    two ids), each monomial of a cell once, no zero coefficient."""

    size: int
    keys: np.ndarray
    """int64, increasing: cell << 42 | first id << 21 | second id, first id <= second id."""
    coefficients: np.ndarray
    """int64, the terms' coefficients, aligned with ``keys``."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Table):
            return NotImplemented
        return (
            self.size == other.size
            and np.array_equal(self.keys, other.keys)
            and np.array_equal(self.coefficients, other.coefficients)
        )

    __hash__ = None  # type: ignore[assignment]

    def cells(self) -> np.ndarray:
        """Each row's cell."""
        return self.keys >> (2 * _BITS)

    def first_difference(self, other: Table) -> int | None:
        """The row-major position of the first cell whose polynomials differ, or None."""
        mine = np.bincount(self.cells(), minlength=self.size)
        theirs = np.bincount(other.cells(), minlength=self.size)
        uneven = np.flatnonzero(mine != theirs)
        first = int(uneven[0]) if len(uneven) else self.size
        # Before that cell both tables hold the same number of rows per cell, so their rows
        # line up and can be compared directly.
        n = int(mine[:first].sum())
        unequal = np.flatnonzero(
            (self.keys[:n] != other.keys[:n]) | (self.coefficients[:n] != other.coefficients[:n])
        )
        if len(unequal):
            first = min(first, int(self.keys[unequal[0]] >> (2 * _BITS)))
        return None if first == self.size else first


class Unknown(Enum):
    """A table not worked out yet (a parameter's default), where None means "has none"."""

    TABLE = "table"


UNKNOWN = Unknown.TABLE


def _keys(cells: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    keys: np.ndarray = (cells << (2 * _BITS)) | (first << _BITS) | second
    return keys


def _fits(size: int, *ids: np.ndarray) -> bool:
    return size <= _LIMIT and all(len(i) == 0 or int(i.max()) <= ONE for i in ids)


def canonical(size: int, cells: np.ndarray, a: np.ndarray, b: np.ndarray) -> Table | None:
    """The table of the products a * b added into ``cells``, each with coefficient 1 (a product
    met twice in one cell is one row with coefficient 2); None when the grid is too large for
    a table."""
    first, second = np.minimum(a, b), np.maximum(a, b)
    if not _fits(size, second):
        return None
    keys, counts = distinct(_keys(cells, first, second))
    return Table(size, keys, counts)


def distinct(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys in increasing order and how often each occurs: ``np.unique`` with its
    counts, by one sort (NumPy 2.3 and later hash instead, about twenty times slower here)."""
    ordered = np.sort(keys)
    first = np.ones(len(ordered), dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    counts = np.diff(np.append(starts, len(ordered)))
    return ordered[starts], counts.astype(np.int64)


def of_grid(grid: Grid[Poly]) -> Table | None:
    """The table of a grid of polynomials, or None when a term is not a product of two variables
    or a single variable, with a machine-sized integer coefficient."""
    monomials, coefficients, counts = grid_terms(grid)
    size = len(grid.cells)
    n = len(monomials)
    lengths = set(map(len, monomials))
    if n and (not lengths <= {1, 2} or set(map(type, coefficients)) != {int}):
        return None
    try:
        c = np.fromiter(coefficients, dtype=np.int64, count=n)
    except OverflowError:
        return None
    pairs = (m if len(m) == 2 else (m[0], ONE) for m in monomials) if 1 in lengths else monomials
    ids = np.fromiter(itertools.chain.from_iterable(pairs), dtype=np.int64, count=2 * n)
    first, second = ids[0::2], ids[1::2]  # increasing within a monomial, ONE the largest
    if not _fits(size, second):
        return None
    cells = np.repeat(np.arange(size, dtype=np.int64), counts)
    # A polynomial's monomials are distinct, so sorting the keys is all that is left to do.
    keys = _keys(cells, first, second)
    order = np.argsort(keys, kind="stable")
    return Table(size, keys[order], c[order])


def grid_terms(grid: Grid[Poly]) -> tuple[list[tuple[int, ...]], list[Coefficient], list[int]]:
    """Every cell's monomials (as variable ids) and coefficients, one list each in row-major
    order, and how many terms each cell has."""
    monomials: list[tuple[int, ...]] = []
    coefficients: list[Coefficient] = []
    counts = []
    for p in grid.cells:
        terms = p.terms_by_id()
        monomials.extend(terms)
        coefficients.extend(terms.values())
        counts.append(len(terms))
    return monomials, coefficients, counts


def reading_order(p: Poly, rank: np.ndarray) -> list[tuple[int, int, Coefficient]] | None:
    """``Poly.reading_order`` in bulk, for a polynomial whose every term is a product of two
    variables: (first, second, coefficient) per term, the two ids ordered by ``rank`` (indexed
    by variable id, -1 for none) and the terms by those ranks. None when a term has another
    shape or a variable has no rank."""
    terms = p.terms_by_id()
    n = len(terms)
    if n == 0 or set(map(len, terms)) != {2}:
        return None
    ids = np.fromiter(itertools.chain.from_iterable(terms), dtype=np.int64, count=2 * n)
    if int(ids.max()) >= len(rank):
        return None
    a, b = ids[0::2], ids[1::2]
    ra, rb = rank[a], rank[b]
    if (ra < 0).any() or (rb < 0).any():
        return None
    swap = rb < ra
    first, second = np.where(swap, b, a), np.where(swap, a, b)
    order = np.lexsort((np.maximum(ra, rb), np.minimum(ra, rb)))
    coefficients = list(terms.values())
    return list(
        zip(
            first[order].tolist(),
            second[order].tolist(),
            [coefficients[i] for i in order.tolist()],
        )
    )


def variable_ids(grid: Grid[Poly]) -> np.ndarray | None:
    """The grid's variable ids in its shape, -1 for a zero cell; None when a cell is anything
    else (a sum, a product, a coefficient other than 1)."""
    ids = Poly.lone_variables(grid.cells)
    if ids is None:
        return None
    return np.array(ids, dtype=np.int64).reshape(grid.shape)


def interval_pairs(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (x, u) with lo[x] <= u < hi[x], for x = 0, 1, ...: along one axis, which
    kernel offsets u output position x sums over, listed without a loop."""
    lengths = np.maximum(hi - lo, 0)
    x = np.repeat(np.arange(len(lo), dtype=np.int64), lengths)
    # Within each run, u counts up from lo[x].
    run_starts = np.cumsum(lengths) - lengths
    u = np.arange(len(x), dtype=np.int64) - np.repeat(run_starts - lo, lengths)
    return x, u


def flat_offsets(
    per_axis: Sequence[Sequence[np.ndarray]], strides: Sequence[Sequence[int]]
) -> list[np.ndarray]:
    """Per axis, aligned arrays of positions (one array per grid: the output, the operands);
    per grid, its strides. Every combination of one entry per axis, as flat offsets into each
    grid: the reads of a whole correlation, from its reads along each axis."""
    axes = len(per_axis)
    shape = tuple(len(arrays[0]) for arrays in per_axis)
    combined = []
    for grid, steps in enumerate(strides):
        offsets = np.zeros((1,) * axes, dtype=np.int64)
        for axis, arrays in enumerate(per_axis):
            along = [1] * axes
            along[axis] = -1
            offsets = offsets + arrays[grid].reshape(along) * steps[axis]
        combined.append(np.broadcast_to(offsets, shape).ravel())
    return combined


def products_at(
    size: int,
    cells: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    a_ids: np.ndarray,
    b_ids: np.ndarray,
    linear: tuple[np.ndarray, np.ndarray] | None = None,
) -> Table | None:
    """The table of the products a_ids[a] * b_ids[b] (flat offsets) added into ``cells``, and
    of the ``linear`` terms; see ``table_of_products``."""
    return table_of_products(size, cells, a_ids.ravel()[a], b_ids.ravel()[b], linear)


def table_of_products(
    size: int,
    cells: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    linear: tuple[np.ndarray, np.ndarray] | None = None,
) -> Table | None:
    """The table of the products first * second (variable ids) added into ``cells``, and of the
    ``linear`` terms (cells, variable ids) such as a bias; a zero (id -1) contributes nothing.
    None when the grid is too large."""
    if linear is not None:
        cells = np.concatenate((cells, linear[0]))
        first = np.concatenate((first, linear[1]))
        second = np.concatenate((second, np.full(len(linear[1]), ONE, dtype=np.int64)))
    present = (first >= 0) & (second >= 0)
    return canonical(size, cells[present], first[present], second[present])


def bias_terms(shape: Sequence[int], bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The linear terms of a bias added to every element of an (N, C, *spatial) result: each
    cell with the bias id of its channel."""
    cells = np.arange(int(np.prod(shape)), dtype=np.int64)
    channel = cells // int(np.prod(shape[2:])) % shape[1]
    return cells, bias.ravel()[channel]
