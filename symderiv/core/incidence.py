"""Which variables each cell of a grid of polynomials holds, worked out once in bulk.

A document counts the local gradients of every output element (how many inputs each one holds)
and the chain-rule paths of every input element (how many outputs hold it) without building a
single local gradient: both counts come from one table of distinct (cell, variable) pairs.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Collection

import numpy as np

from .grid import Grid
from .poly import Poly
from .products import distinct, grid_terms


class Incidence:
    """Which variables each cell of a grid of polynomials (any degree) holds, as the distinct
    (cell, variable) pairs, found once when first asked: a document counts the local gradients
    of every output element and the paths of every input element without building them."""

    def __init__(self, grid: Grid[Poly]) -> None:
        self._grid = grid

    @functools.cached_property
    def _pairs(self) -> tuple[np.ndarray, np.ndarray]:
        monomials, _, counts = grid_terms(self._grid)
        lengths = np.fromiter(map(len, monomials), dtype=np.int64, count=len(monomials))
        total = int(lengths.sum())
        ids = np.fromiter(itertools.chain.from_iterable(monomials), dtype=np.int64, count=total)
        size = len(self._grid.cells)
        cells = np.repeat(np.repeat(np.arange(size, dtype=np.int64), counts), lengths)
        # One int64 key per pair (a process holds far fewer than 2**32 variables or cells).
        keys, _ = distinct((cells << 32) | ids)
        return keys >> 32, keys & 0xFFFFFFFF

    def _among(self, wanted: Collection[int]) -> tuple[np.ndarray, np.ndarray]:
        cells, ids = self._pairs
        kept = np.isin(ids, np.fromiter(wanted, dtype=np.int64, count=len(wanted)))
        return cells[kept], ids[kept]

    def row_sizes(self, wanted: Collection[int]) -> list[int]:
        """For each cell, how many of the wanted variables it holds."""
        cells, _ = self._among(wanted)
        return np.bincount(cells, minlength=len(self._grid.cells)).tolist()  # type: ignore[no-any-return]

    def uses(self, wanted: Collection[int]) -> dict[int, int]:
        """For each wanted variable held anywhere, how many cells hold it (by increasing id)."""
        _, ids = self._among(wanted)
        found, counts = distinct(ids)
        return dict(zip(found.tolist(), counts.tolist()))
