"""An immutable N-dimensional array of anything, stored row-major, with 0-based indices."""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")
U = TypeVar("U")

Index = tuple[int, ...]


@dataclass(frozen=True)
class Grid(Generic[T]):
    shape: tuple[int, ...]
    cells: tuple[T, ...]

    def __post_init__(self) -> None:
        size = math.prod(self.shape)
        if size != len(self.cells):
            raise ValueError(f"shape {self.shape} needs {size} cells, got {len(self.cells)}")

    @staticmethod
    def build(shape: tuple[int, ...], cell: Callable[[Index], T]) -> Grid[T]:
        return Grid(tuple(shape), tuple(cell(i) for i in indices(shape)))

    def indices(self) -> Iterator[Index]:
        return indices(self.shape)

    @functools.cached_property
    def strides(self) -> tuple[int, ...]:
        return strides(self.shape)

    def _offset(self, index: Index) -> int:
        offset = 0
        for i, n in zip(index, self.shape):
            offset = offset * n + i
        return offset

    def __getitem__(self, index: Index) -> T:
        return self.cells[self._offset(index)]

    def contains(self, index: Index) -> bool:
        return all(0 <= i < n for i, n in zip(index, self.shape))

    def items(self) -> Iterator[tuple[Index, T]]:
        return zip(self.indices(), self.cells)

    def map(self, f: Callable[[T], U]) -> Grid[U]:
        return Grid(self.shape, tuple(f(c) for c in self.cells))

    def nested(self) -> Any:
        """Nested lists, as ``numpy.ndarray.tolist`` would give."""

        def level(depth: int, start: int, stride: int) -> Any:
            if depth == len(self.shape):
                return self.cells[start]
            inner = stride // self.shape[depth]
            return [level(depth + 1, start + k * inner, inner) for k in range(self.shape[depth])]

        return level(0, 0, len(self.cells))


def indices(shape: tuple[int, ...]) -> Iterator[Index]:
    return itertools.product(*(range(n) for n in shape))


def strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    """How far apart in the row-major cells neighbours along each axis are."""
    steps = []
    step = 1
    for n in reversed(shape):
        steps.append(step)
        step *= n
    return tuple(reversed(steps))


def index_of(offset: int, shape: tuple[int, ...]) -> Index:
    """The index of the cell at a row-major offset."""
    index = []
    for n in reversed(shape):
        offset, i = divmod(offset, n)
        index.append(i)
    return tuple(reversed(index))


def combined_offsets(per_axis: Iterable[list[tuple[int, int]]]) -> list[tuple[int, int]]:
    """Pairs of flat offsets (into two arrays) for every row-major combination of one pair per
    axis, summed: how a window's reads are listed from each axis's reads."""
    offsets = [(0, 0)]
    for axis in per_axis:
        offsets = [(a + da, b + db) for a, b in offsets for da, db in axis]
    return offsets
