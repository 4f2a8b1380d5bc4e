"""Whole-layer convolution operations on exact polynomials, in PyTorch's layout.

Activations are (N, C, *spatial), weights (C_out, C_in/groups, *kernel) for ``conv`` and
(C_in, C_out/groups, *kernel) for ``conv_transpose``. Two independent spellings of each operation
live here: ``*_cell`` gathers one output element straight from the index formula (the search
compares them one at a time and stops at the first difference), and ``*_passes`` prepares each
channel pair by the textbook steps (insert zeros for the stride, dilate the kernel, pad), whose
strided valid correlations, added up over the channels of a group (``accumulated``, or
``accumulated_table`` in bulk), give the whole result: how every identity is proven and how its
operands are shown.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ...core.grid import Grid, Index, strides
from ...core.ops import flip, insert_zeros, zero_pad
from ...core.poly import Poly
from ...core.products import (
    Table,
    bias_terms,
    flat_offsets,
    interval_pairs,
    table_of_products,
    variable_ids,
)

Axes = tuple[int, ...]


@dataclass(frozen=True)
class Geometry:
    """Per-axis stride, padding and dilation, the number of groups, and the output padding."""

    stride: Axes
    padding: Axes
    dilation: Axes
    groups: int
    output_padding: Axes


# --- slices and spatial reshaping ---------------------------------------------------------------


def channel(g: Grid[Poly], first: int, second: int) -> Grid[Poly]:
    """The spatial block ``g[first, second]`` of a 2 + spatial-axes tensor."""
    size = len(g.cells) // (g.shape[0] * g.shape[1])
    start = (first * g.shape[1] + second) * size
    return Grid(g.shape[2:], g.cells[start : start + size])


def stack(shape: Axes, blocks: Sequence[Grid[Poly]]) -> Grid[Poly]:
    """The inverse of ``channel``: blocks in row-major order of the two leading axes."""
    return Grid(shape, tuple(c for block in blocks for c in block.cells))


def sampled(
    a: Grid[Poly], k: Grid[Poly], steps: Axes, shape: Axes, start: Axes | None = None
) -> Grid[Poly]:
    """The valid cross-correlation of ``a`` with ``k`` at positions ``start + step * i`` only:
    R[i] = sum_u a[start + step*i + u] k[u], the positions a stride, dilation or crop keeps.

    The prepared operands are mostly zeros (padding, inserted zeros), so only products of two
    non-zero entries are formed: gathered per kept position, or scattered from the non-zero
    entries of ``a``, whichever forms fewer pairs. Either way the work is that of the products
    themselves, not of the zeros around them."""
    offset = start or tuple(0 for _ in steps)
    weights = [(u, w) for u, w in k.items() if w]
    entries = [(t, v) for t, v in a.items() if v]
    pairs: dict[Index, list[tuple[Poly, Poly]]] = {}
    kept = 1
    for n in shape:
        kept *= n
    if kept <= len(entries):
        for i in itertools.product(*(range(n) for n in shape)):
            base = tuple(o + s * x for o, s, x in zip(offset, steps, i))
            found = []
            for u, w in weights:
                at = tuple(b + v for b, v in zip(base, u))
                if a.contains(at) and a[at]:
                    found.append((a[at], w))
            pairs[i] = found
    else:
        for t, v in entries:
            for u, w in weights:
                target: list[int] = []
                for x, shift, o, s, n in zip(t, u, offset, steps, shape):
                    q, r = divmod(x - shift - o, s)
                    if r or not 0 <= q < n:
                        break
                    target.append(q)
                else:
                    pairs.setdefault(tuple(target), []).append((v, w))
    return Grid.build(shape, lambda i: Poly.sum_of_products(pairs.get(i, ())))


def every(g: Grid[Poly], steps: Axes, shape: Axes, start: Axes | None = None) -> Grid[Poly]:
    """Elements ``start + step * i`` for i in ``shape``: subsampling, and a crop with step 1."""
    offset = start or tuple(0 for _ in steps)
    return Grid.build(shape, lambda i: g[tuple(o + s * n for o, s, n in zip(offset, steps, i))])


# --- the search's spelling: one output element from the index formula --------------------------


def _reading(start: int, d: int, m: int, h: int) -> range:
    """The offsets u < m whose position start + d*u lies in 0..h-1: an interval, in O(1)."""
    return range(max(0, -(start // d)), min(m - 1, (h - 1 - start) // d) + 1)


def _taps(positions: Iterator[tuple[int, int]], flipped: bool, k: int) -> list[tuple[int, int]]:
    return [(a, k - 1 - u if flipped else u) for a, u in positions]


def _sum(a: Grid[Poly], k: Grid[Poly], pairs: Iterator[tuple[Index, Index]]) -> Poly:
    return Poly.sum_of_products((a[ia], k[ik]) for ia, ik in pairs)


def conv_cell(a: Grid[Poly], k: Grid[Poly], geo: Geometry, flipped: bool, index: Index) -> Poly:
    """out[n, o, i] = sum over c in o's group and u of k[o, c, u] * a[n, c', s*i + d*u - p]."""
    n, o, *out = index
    per_group_in, kernel = k.shape[1], k.shape[2:]
    base = (o // (k.shape[0] // geo.groups)) * per_group_in
    axes = [
        _taps(((s * i + d * u - p, u) for u in _reading(s * i - p, d, m, h)), flipped, m)
        for i, m, h, s, p, d in zip(out, kernel, a.shape[2:], geo.stride, geo.padding, geo.dilation)
    ]
    return _sum(
        a,
        k,
        (
            ((n, base + c, *(t[0] for t in combo)), (o, c, *(t[1] for t in combo)))
            for c in range(per_group_in)
            for combo in itertools.product(*axes)
        ),
    )


def conv_transpose_cell(
    a: Grid[Poly], k: Grid[Poly], geo: Geometry, flipped: bool, index: Index
) -> Poly:
    """out[n, o, y] = sum over c in o's group and (i, u) with s*i - p + d*u = y of a * k."""
    n, o, *out = index
    per_group_out, kernel = k.shape[1], k.shape[2:]
    per_group_in = k.shape[0] // geo.groups
    group, local = divmod(o, per_group_out)
    axes = []
    for y, m, h, s, p, d in zip(out, kernel, a.shape[2:], geo.stride, geo.padding, geo.dilation):
        found = []
        # s*i = y + p - d*u with 0 <= i < h bounds u to an interval; only multiples of s count.
        for u in range(max(0, -((s * (h - 1) - y - p) // d)), min(m - 1, (y + p) // d) + 1):
            t = y + p - d * u
            if t % s == 0:
                found.append((t // s, u))
        axes.append(_taps(iter(found), flipped, m))
    return _sum(
        a,
        k,
        (
            ((n, c, *(t[0] for t in combo)), (c, local, *(t[1] for t in combo)))
            for c in range(group * per_group_in, (group + 1) * per_group_in)
            for combo in itertools.product(*axes)
        ),
    )


def weight_cell(a: Grid[Poly], b: Grid[Poly], geo: Geometry, flipped: bool, index: Index) -> Poly:
    """w[o, c, u] = sum over n and i of b[n, o, i] * a[n, c', s*i + d*u - p]: the weight gradient
    of a convolution from input ``a`` to output gradient ``b`` (``b`` flipped if asked)."""
    o, c, *offsets = index
    per_group_in = a.shape[1] // geo.groups
    base = (o // (b.shape[1] // geo.groups)) * per_group_in
    axes = []
    for u, h, ho, s, p, d in zip(
        offsets, a.shape[2:], b.shape[2:], geo.stride, geo.padding, geo.dilation
    ):
        pairs = [(s * i + d * u - p, i) for i in range(ho) if 0 <= s * i + d * u - p < h]
        axes.append([(x, ho - 1 - i if flipped else i) for x, i in pairs])
    return _sum(
        a,
        b,
        (
            ((n, base + c, *(t[0] for t in combo)), (n, o, *(t[1] for t in combo)))
            for n in range(a.shape[0])
            for combo in itertools.product(*axes)
        ),
    )


def sum_cell(a: Grid[Poly], index: Index) -> Poly:
    """The bias gradient: a[n, o, ...] summed over the batch and every spatial position."""
    (o,) = index
    return Poly.total(p for n in range(a.shape[0]) for p in channel(a, n, o).cells)


# --- output shapes ---------------------------------------------------------------------------


def conv_shape(a: Axes, k: Axes, geo: Geometry) -> Axes | None:
    """(N, C_out, *out) of ``conv``, or None when the operands cannot be convolved."""
    if len(a) != len(k) or len(a) < 3 or a[1] != k[1] * geo.groups or k[0] % geo.groups:
        return None
    out = tuple(
        (h + 2 * p - d * (m - 1) - 1) // s + 1
        for h, m, s, p, d in zip(a[2:], k[2:], geo.stride, geo.padding, geo.dilation)
    )
    return (a[0], k[0], *out) if all(n >= 1 for n in out) else None


def conv_transpose_shape(a: Axes, k: Axes, geo: Geometry) -> Axes | None:
    if len(a) != len(k) or len(a) < 3 or a[1] != k[0] or k[0] % geo.groups:
        return None
    out = tuple(
        (h - 1) * s - 2 * p + d * (m - 1) + op + 1
        for h, m, s, p, d, op in zip(
            a[2:], k[2:], geo.stride, geo.padding, geo.dilation, geo.output_padding
        )
    )
    return (a[0], k[1] * geo.groups, *out) if all(n >= 1 for n in out) else None


def weight_shape_fits(a: Axes, b: Axes, target: Axes, geo: Geometry, exact: bool = True) -> bool:
    """Whether ``target`` is the weight shape of a convolution taking ``a`` to ``b`` (with
    ``exact`` false: to a ``b`` no longer than that convolution's output)."""
    if len(a) != len(b) or len(a) < 3 or len(target) != len(a) or a[0] != b[0]:
        return False
    if a[1] % geo.groups or b[1] % geo.groups or target[:2] != (b[1], a[1] // geo.groups):
        return False

    # Not exact: the output gradient may be shorter than the convolution's output (a transposed
    # convolution whose output padding reaches its stride); its positions are the first ones.
    def axis_fits(h: int, ho: int, m: int, s: int, p: int, d: int) -> bool:
        natural = (h + 2 * p - d * (m - 1) - 1) // s + 1
        reaches = h + 2 * p >= d * (m - 1) + 1
        return reaches and (natural == ho or (not exact and natural > ho))

    return all(
        axis_fits(h, ho, m, s, p, d)
        for h, ho, m, s, p, d in zip(
            a[2:], b[2:], target[2:], geo.stride, geo.padding, geo.dilation
        )
    )


def weight_crop(a: Axes, b: Axes, target: Axes, geo: Geometry) -> Axes | None:
    """For a weight gradient whose output gradient ``b`` is shorter than the convolution of
    ``a`` gives: the first positions of ``a`` it reads, so that the call PyTorch accepts
    (``torch.nn.grad.conv1d_weight`` checks the sizes) can be written with ``a`` cropped. None
    when nothing needs cropping, or when no crop gives that call (padding at least the
    stride)."""
    kept = []
    for h, ho, m, s, p, d in zip(a[2:], b[2:], target[2:], geo.stride, geo.padding, geo.dilation):
        natural = (h + 2 * p - d * (m - 1) - 1) // s + 1
        if natural == ho:
            kept.append(h)
            continue
        # The last output reads padded position (ho - 1) s + d (m - 1): keep the input up to
        # there, so that the right padding still lands where the sum reads no value. Its own
        # output is then ho + floor(p / s) long: the call PyTorch accepts needs p < s.
        if p >= s:
            return None
        kept.append((ho - 1) * s + d * (m - 1) + 1 - p)
    return tuple(kept) if tuple(kept) != a[2:] else None


# --- the proof's spelling: the textbook steps, whole arrays at a time ---------------------------


@dataclass(frozen=True)
class Steps:
    """The prepared operands of one channel pair, as shown to the reader: the first operand
    zero-padded (and, for the stride, zero-inserted), the second dilated, flipped or
    zero-inserted as the operation needs; their valid cross-correlation gives the result."""

    first: Grid[Poly]
    second: Grid[Poly]
    padding: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Pass:
    """One channel pair of a layer operation, prepared by the textbook steps: the valid
    cross-correlation of ``first`` with ``second`` at positions ``start + steps * i`` is added
    into output block ``block`` (row-major over the two leading axes). ``padding`` is the zeros
    around ``first``'s own values, per axis."""

    block: int
    first: Grid[Poly]
    second: Grid[Poly]
    padding: tuple[tuple[int, int], ...]
    steps: Axes
    start: Axes | None = None


@dataclass(frozen=True)
class Passes:
    """A whole layer operation as its channel pairs, in block order: ``shape`` is the output's."""

    shape: Axes
    passes: tuple[Pass, ...]

    @property
    def shown(self) -> Steps:
        first = self.passes[0]
        return Steps(first.first, first.second, first.padding)


def _pad(g: Grid[Poly], before: Axes, after: Axes) -> Grid[Poly]:
    return zero_pad(g, before, after)


def conv_passes(a: Grid[Poly], k: Grid[Poly], geo: Geometry, flipped: bool) -> Passes:
    """Pad the input, dilate the kernel, slide in valid mode, keep every s-th position; the
    input channels of the group add into one block."""
    shape = conv_shape(a.shape, k.shape, geo)
    assert shape is not None
    per_group_in, per_group_out = k.shape[1], k.shape[0] // geo.groups
    padding = tuple(zip(geo.padding, geo.padding))
    passes = []
    for n in range(shape[0]):
        for o in range(shape[1]):
            base = (o // per_group_out) * per_group_in
            for c in range(per_group_in):
                padded = _pad(channel(a, n, base + c), geo.padding, geo.padding)
                kernel = channel(k, o, c)
                kernel = insert_zeros(flip(kernel) if flipped else kernel, geo.dilation)
                passes.append(Pass(n * shape[1] + o, padded, kernel, padding, geo.stride))
    return Passes(shape, tuple(passes))


def conv_transpose_passes(a: Grid[Poly], k: Grid[Poly], geo: Geometry, flipped: bool) -> Passes:
    """Insert s-1 zeros between the input's entries, pad by d(k-1) on each side (and the output
    padding after), slide the dilated kernel rotated by 180 degrees in valid mode, crop p from each
    side; the input channels of the group add into one block."""
    shape = conv_transpose_shape(a.shape, k.shape, geo)
    assert shape is not None
    per_group_out, per_group_in = k.shape[1], k.shape[0] // geo.groups
    reach = tuple(d * (m - 1) for d, m in zip(geo.dilation, k.shape[2:]))
    after = tuple(r + op for r, op in zip(reach, geo.output_padding))
    ones = tuple(1 for _ in reach)
    passes = []
    for n in range(shape[0]):
        for o in range(shape[1]):
            group, local = divmod(o, per_group_out)
            for c in range(group * per_group_in, (group + 1) * per_group_in):
                spread = _pad(insert_zeros(channel(a, n, c), geo.stride), reach, after)
                kernel = channel(k, c, local)
                kernel = flip(insert_zeros(flip(kernel) if flipped else kernel, geo.dilation))
                block = n * shape[1] + o
                passes.append(
                    Pass(block, spread, kernel, tuple(zip(reach, after)), ones, geo.padding)
                )
    return Passes(shape, tuple(passes))


def weight_passes(
    a: Grid[Poly], b: Grid[Poly], kernel: Axes, geo: Geometry, flipped: bool
) -> Passes:
    """Pad the input, insert s-1 zeros into the output gradient, slide it over the padded input
    in valid mode, keep every d-th position up to the kernel size; the batch adds into one
    block."""
    per_group_in = a.shape[1] // geo.groups
    per_group_out = b.shape[1] // geo.groups
    shape = (b.shape[1], per_group_in, *kernel)
    padding = tuple(zip(geo.padding, geo.padding))
    passes = []
    for o in range(shape[0]):
        base = (o // per_group_out) * per_group_in
        for c in range(per_group_in):
            for n in range(a.shape[0]):
                padded = _pad(channel(a, n, base + c), geo.padding, geo.padding)
                gradient = channel(b, n, o)
                spread = insert_zeros(flip(gradient) if flipped else gradient, geo.stride)
                passes.append(Pass(o * shape[1] + c, padded, spread, padding, geo.dilation))
    return Passes(shape, tuple(passes))


def accumulated(prepared: Passes, bias: Grid[Poly] | None = None) -> Grid[Poly]:
    """Each pass's strided valid cross-correlation, added up per block (the bias of the
    block's channel added to each of its elements), stacked into the output."""
    spatial = prepared.shape[2:]
    parts: list[list[Grid[Poly]]] = [[] for _ in range(prepared.shape[0] * prepared.shape[1])]
    for p in prepared.passes:
        parts[p.block].append(sampled(p.first, p.second, p.steps, spatial, p.start))
    blocks = []
    for block, summed in enumerate(parts):
        total = _add(summed, spatial)
        if bias is not None:
            total = _plus(total, bias.cells[block % prepared.shape[1]])
        blocks.append(total)
    return stack(prepared.shape, blocks)


def accumulated_table(prepared: Passes, bias: Grid[Poly] | None = None) -> Table | None:
    """``accumulated`` in bulk: every pass's products (and the bias) as one table, when every
    array holds single variables and zeros (None otherwise). Along each axis, output
    position i reads first[start + step * i + u] * second[u] for the u that land among
    ``first``'s own values (not its padding); every combination of one read per axis is one
    product, and the channel pairs of a block add up as the table is formed."""
    spatial = prepared.shape[2:]
    block_size = math.prod(spatial)
    cells, firsts, seconds = [], [], []
    for p in prepared.passes:
        a, k = variable_ids(p.first), variable_ids(p.second)
        if a is None or k is None:
            return None
        per_axis = []
        starts = p.start or tuple(0 for _ in spatial)
        for length, m, n, (before, after), step, start in zip(
            spatial, k.shape, a.shape, p.padding, p.steps, starts
        ):
            base = start + step * np.arange(length, dtype=np.int64)  # where output i starts
            i, u = interval_pairs(np.maximum(0, before - base), np.minimum(m, n - after - base))
            per_axis.append((i, base[i] + u, u))
        at, reads, weights = flat_offsets(
            per_axis, (strides(spatial), strides(a.shape), strides(k.shape))
        )
        cells.append(at + p.block * block_size)
        firsts.append(a.ravel()[reads])
        seconds.append(k.ravel()[weights])
    linear = None
    if bias is not None:
        bias_ids = variable_ids(bias)
        if bias_ids is None:
            return None
        linear = bias_terms(prepared.shape, bias_ids)
    return table_of_products(
        math.prod(prepared.shape),
        np.concatenate(cells),
        np.concatenate(firsts),
        np.concatenate(seconds),
        linear,
    )


def explicit_conv(
    a: Grid[Poly], k: Grid[Poly], geo: Geometry, flipped: bool, bias: Grid[Poly] | None
) -> tuple[Grid[Poly], Steps]:
    """``conv_passes`` added up, with the bias."""
    prepared = conv_passes(a, k, geo, flipped)
    return accumulated(prepared, bias), prepared.shown


def explicit_conv_transpose(
    a: Grid[Poly], k: Grid[Poly], geo: Geometry, flipped: bool, bias: Grid[Poly] | None
) -> tuple[Grid[Poly], Steps]:
    """``conv_transpose_passes`` added up, with the bias."""
    prepared = conv_transpose_passes(a, k, geo, flipped)
    return accumulated(prepared, bias), prepared.shown


def explicit_weight(
    a: Grid[Poly], b: Grid[Poly], kernel: Axes, geo: Geometry, flipped: bool
) -> tuple[Grid[Poly], Steps]:
    """``weight_passes`` added up."""
    prepared = weight_passes(a, b, kernel, geo, flipped)
    return accumulated(prepared), prepared.shown


def explicit_sum(a: Grid[Poly]) -> Grid[Poly]:
    """Each channel's spatial total per batch element, then the totals over the batch."""
    totals = [
        [Poly.total(channel(a, n, o).cells) for o in range(a.shape[1])] for n in range(a.shape[0])
    ]
    return Grid((a.shape[1],), tuple(Poly.total(column) for column in zip(*totals)))


def _plus(block: Grid[Poly], constant: Poly) -> Grid[Poly]:
    return Grid(block.shape, tuple(v + constant for v in block.cells))


def _add(parts: Sequence[Grid[Poly]], shape: Axes) -> Grid[Poly]:
    if len(parts) == 1:
        return parts[0]
    return Grid(shape, tuple(Poly.total(cells) for cells in zip(*(p.cells for p in parts))))
