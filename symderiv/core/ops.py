"""Exact symbolic array operations: zero padding, flips, correlation and convolution.

Modes follow ``scipy.signal.correlate``/``convolve``: *valid* keeps the positions where the kernel
fits inside the input, *full* every position where the two overlap (the input zero-padded by the
kernel size minus one), *same* the centred slice of *full* with the input's shape. Each cell is
computed on its own (``correlate_cell``) so that a search can reject a candidate at its first
differing cell without computing the rest.
"""

from __future__ import annotations

import itertools
import math
from enum import Enum

from .grid import Grid, Index
from .poly import ZERO, Poly


class Mode(str, Enum):
    VALID = "valid"
    SAME = "same"
    FULL = "full"


def zero_pad(g: Grid[Poly], before: tuple[int, ...], after: tuple[int, ...]) -> Grid[Poly]:
    if not any(before) and not any(after):
        return g
    shape = tuple(n + b + a for n, b, a in zip(g.shape, before, after))
    padded = Grid(shape, (ZERO,) * math.prod(shape))
    # Where each of g's cells lands, in g's row-major order: one offset list built axis by axis.
    offsets = [0]
    for n, b, stride in zip(g.shape, before, padded.strides):
        offsets = [o + (i + b) * stride for o in offsets for i in range(n)]
    cells = list(padded.cells)
    for offset, c in zip(offsets, g.cells):
        cells[offset] = c
    return Grid(shape, tuple(cells))


def flip(g: Grid[Poly]) -> Grid[Poly]:
    """Reverse every axis: ``rot180`` for a matrix (not a transpose). In row-major order that
    reverses the cells."""
    return Grid(g.shape, g.cells[::-1])


def output_shape(a: tuple[int, ...], k: tuple[int, ...], mode: Mode) -> tuple[int, ...]:
    if mode is Mode.VALID:
        return tuple(n - m + 1 for n, m in zip(a, k))
    if mode is Mode.FULL:
        return tuple(n + m - 1 for n, m in zip(a, k))
    return a


def padding(
    a: tuple[int, ...], k: tuple[int, ...], mode: Mode
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Zeros before and after each axis of the input that turn ``mode`` into *valid* mode."""
    before = tuple(m - 1 - o for m, o in zip(k, _offset(k, mode)))
    out = output_shape(a, k, mode)
    after = tuple(length + m - 1 - n - b for length, m, n, b in zip(out, k, a, before))
    return before, after


def _offset(k: tuple[int, ...], mode: Mode) -> tuple[int, ...]:
    """Where output cell 0 sits, in coordinates of the input zero-padded by ``k - 1``."""
    if mode is Mode.VALID:
        return tuple(m - 1 for m in k)
    if mode is Mode.FULL:
        return tuple(0 for _ in k)
    return tuple((m - 1) // 2 for m in k)


def window_start(k: tuple[int, ...], mode: Mode) -> tuple[int, ...]:
    """Where output cell 0 reads the input, per axis: cell i sums a[i + start + u] * k[u]
    (negative where the window begins in the zero padding)."""
    return tuple(o - (m - 1) for o, m in zip(_offset(k, mode), k))


def correlate_cell(a: Grid[Poly], k: Grid[Poly], mode: Mode, index: Index) -> Poly:
    """One cell of the cross-correlation: sum over u of a[start + u] * k[u], start set by mode."""
    start = tuple(i + s for i, s in zip(index, window_start(k.shape, mode)))
    # Only the kernel offsets that land inside ``a``: the zero padding contributes nothing. Each
    # axis contributes a pair of flat offsets (into a, into k); a cell's offsets are their sums.
    axes = [
        [((s + u) * sa, u * sk) for u in range(max(0, -s), min(m, n - s))]
        for s, m, n, sa, sk in zip(start, k.shape, a.shape, a.strides, k.strides)
    ]
    a_cells, k_cells = a.cells, k.cells
    if len(axes) == 2:  # the common case, spelled out: twice as fast as the general product
        rows, cols = axes
        return Poly.sum_of_products(
            (a_cells[ra + ca], k_cells[rk + ck]) for ra, rk in rows for ca, ck in cols
        )
    return Poly.sum_of_products(
        (a_cells[sum(p[0] for p in combination)], k_cells[sum(p[1] for p in combination)])
        for combination in itertools.product(*axes)
    )


def correlate(a: Grid[Poly], k: Grid[Poly], mode: Mode) -> Grid[Poly]:
    shape = output_shape(a.shape, k.shape, mode)
    return Grid.build(shape, lambda index: correlate_cell(a, k, mode, index))


def convolve(a: Grid[Poly], k: Grid[Poly], mode: Mode) -> Grid[Poly]:
    """True convolution: cross-correlation with the kernel flipped on every axis."""
    return correlate(a, flip(k), mode)


def upsample(g: Grid[Poly], factors: tuple[int, ...]) -> Grid[Poly]:
    """Nearest-neighbour upsampling: each entry repeated ``factor`` times along each axis."""
    shape = tuple(n * f for n, f in zip(g.shape, factors))
    return Grid.build(shape, lambda index: g[tuple(i // f for i, f in zip(index, factors))])


def crop(g: Grid[Poly], start: tuple[int, ...], shape: tuple[int, ...]) -> Grid[Poly]:
    """The block of ``shape`` starting at ``start``; positions outside ``g`` read as zero."""

    def cell(index: Index) -> Poly:
        inner = tuple(i + s for i, s in zip(index, start))
        return g[inner] if g.contains(inner) else ZERO

    return Grid.build(shape, cell)


def multiply(a: Grid[Poly], b: Grid[Poly]) -> Grid[Poly]:
    """The elementwise (Hadamard) product of two arrays of the same shape."""
    return Grid.build(a.shape, lambda index: a[index] * b[index])


def insert_zeros(g: Grid[Poly], factors: tuple[int, ...]) -> Grid[Poly]:
    """``factor - 1`` zeros between neighbouring entries along each axis."""
    if all(f == 1 for f in factors):
        return g  # nothing to insert (a unit stride or dilation)
    shape = tuple((n - 1) * f + 1 for n, f in zip(g.shape, factors))

    def cell(index: Index) -> Poly:
        if any(i % f for i, f in zip(index, factors)):
            return ZERO
        return g[tuple(i // f for i, f in zip(index, factors))]

    return Grid.build(shape, cell)
