"""ConvIdentity detection: a search over compact operations for one that equals a derived result.

Nothing here knows the answer in advance. Every candidate (operand order x cross-correlation or
convolution x second operand rotated by 180 degrees or not x valid, same or full mode) is computed
symbolically and compared exactly with the derived result. When the operands are arrays of single
variables and the result is a sum of products of two variables in every cell (every convolution
on plain symbols), each candidate is computed whole, as one table of products
(``core.products``), and compared with the result's table; otherwise cell by cell, dropped at its
first differing cell.

Two candidate spaces: plain arrays (``search``: valid/same/full modes) and, for stride,
padding, dilation, channels, groups and transposition, whole-layer operations in PyTorch's layout
(``search_layer``: conv, conv_transpose with every output padding it allows, the weight gradient of
a conv; stride and dilation as given or exchanged; flipped or not; both operand orders). Operands
whose shapes cannot give the result are rejected before any cell is computed.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping

import numpy as np

from ...core.grid import Grid, Index, strides
from ...core.ops import Mode, correlate_cell, flip, output_shape, window_start
from ...core.poly import Poly
from ...core.products import (
    UNKNOWN,
    Table,
    Unknown,
    bias_terms,
    flat_offsets,
    interval_pairs,
    of_grid,
    products_at,
    variable_ids,
)
from ...core.results import Search
from .candidates import Candidate, ConvSearch, LayerCandidate, Operation
from .ops import (
    Geometry,
    conv_cell,
    conv_shape,
    conv_transpose_cell,
    conv_transpose_shape,
    sum_cell,
    weight_cell,
    weight_crop,
    weight_shape_fits,
)


def candidates(operands: tuple[str, str]) -> Iterator[Candidate]:
    """All candidates, in order of preference: the given operand order first, then plain forms."""
    first, second = operands
    for a, b in ((first, second), (second, first)):
        for operation in Operation:
            for rotate in (False, True):
                for mode in Mode:
                    yield Candidate(operation, mode, a, b, rotate)


def prepared(
    candidate: Candidate, operands: Mapping[str, Grid[Poly]]
) -> tuple[Grid[Poly], Grid[Poly]]:
    """The two arrays whose cross-correlation the candidate is."""
    kernel = operands[candidate.second]
    flips = int(candidate.rotate_second) + int(candidate.operation is Operation.CONVOLUTION)
    if flips % 2:
        kernel = flip(kernel)
    return operands[candidate.first], kernel


def fits(candidate: Candidate, target: Grid[Poly], operands: Mapping[str, Grid[Poly]]) -> bool:
    a, k = operands[candidate.first].shape, operands[candidate.second].shape
    return output_shape(a, k, candidate.mode) == target.shape


def matches(candidate: Candidate, target: Grid[Poly], operands: Mapping[str, Grid[Poly]]) -> bool:
    if not fits(candidate, target, operands):
        return False
    a, k = prepared(candidate, operands)
    return all(correlate_cell(a, k, candidate.mode, i) == v for i, v in target.items())


def as_tables(
    target: Grid[Poly], operands: Mapping[str, Grid[Poly]], table: Table | Unknown | None
) -> tuple[Table, dict[str, np.ndarray]] | None:
    """The target's table and the operands' variable ids, or None when either has none."""
    if table is UNKNOWN:
        table = of_grid(target)
    ids = {key: variable_ids(g) for key, g in operands.items()}
    if table is None or any(i is None for i in ids.values()):
        return None
    return table, ids  # type: ignore[return-value]


def table_matches(candidate: Candidate, target: Table, ids: Mapping[str, np.ndarray]) -> bool:
    """``matches`` for a candidate that fits, over operands of single variables and a bilinear
    target, in bulk."""
    a, k = ids[candidate.first], ids[candidate.second]
    if candidate.rotate_second != (candidate.operation is Operation.CONVOLUTION):
        k = _flipped(k)
    table = correlation_table(a, k, candidate.mode)
    return table is not None and table == target


def correlation_table(a: np.ndarray, k: np.ndarray, mode: Mode) -> Table | None:
    """Every cell of the cross-correlation of two arrays of variable ids (-1 for zero) at once.
    Along each axis, output position i sums a[i + start + u] * k[u] over the u that read inside
    a; every combination of those per-axis reads is one product."""
    shape = output_shape(a.shape, k.shape, mode)
    per_axis = []
    for length, m, n, s in zip(shape, k.shape, a.shape, window_start(k.shape, mode)):
        i = np.arange(length, dtype=np.int64)
        i, u = interval_pairs(np.maximum(0, -(i + s)), np.minimum(m, n - (i + s)))
        per_axis.append((i, i + s + u, u))
    cells, reads, weights = flat_offsets(
        per_axis, (strides(shape), strides(a.shape), strides(k.shape))
    )
    return products_at(math.prod(shape), cells, reads, weights, a, k)


def _flipped(ids: np.ndarray) -> np.ndarray:
    return ids[(slice(None, None, -1),) * ids.ndim]


def search(
    target: str,
    value: Grid[Poly],
    operands: Mapping[str, Grid[Poly]],
    table: Table | Unknown | None = UNKNOWN,
) -> ConvSearch:
    """Every candidate over the two operands that equals ``value``, best first; none is a result.
    ``table`` is the value's (``products.of_grid``), when the caller has it already."""
    keys = tuple(operands)
    if len(keys) != 2:
        raise ValueError(f"a search needs two operands, got {keys}")
    tried = list(candidates((keys[0], keys[1])))
    # Operands of single variables and a bilinear result (every plain convolution) are compared
    # as whole tables; anything else cell by cell.
    bulk = as_tables(value, operands, table)
    # A convolution is a cross-correlation with the kernel flipped: candidates that prepare the
    # same two arrays in the same mode are one computation, compared once.
    verdicts: dict[tuple[str, str, bool, Mode], bool] = {}
    found = []
    for c in tried:
        flipped = c.rotate_second != (c.operation is Operation.CONVOLUTION)
        key = (c.first, c.second, flipped, c.mode)
        if key not in verdicts:
            if bulk is None:
                verdicts[key] = matches(c, value, operands)
            else:
                verdicts[key] = fits(c, value, operands) and table_matches(c, *bulk)
        if verdicts[key]:
            found.append(c)
    return Search(target, keys, len(tried), tuple(found))


# --- whole-layer candidates: stride, padding, dilation, channels, groups, transposition ---------


def layer_candidates(
    operands: tuple[str, str], geo: Geometry, dims: int, bias: str | None = None
) -> Iterator[LayerCandidate]:
    """Both operand orders x convolution, transposed convolution or weight gradient x stride and
    dilation as given or exchanged x every output padding a transposed convolution allows x the
    second operand as it is or flipped on every spatial axis. The bias, when there is one, joins
    the layer operations (not the weight gradient)."""
    swaps = [(geo.stride, geo.dilation)]
    if geo.stride != geo.dilation:
        swaps.append((geo.dilation, geo.stride))
    first, second = operands
    for a, b in ((first, second), (second, first)):
        for function in ("conv", "conv_transpose", "conv_weight"):
            for stride, dilation in swaps:
                paddings: Iterable[tuple[int, ...]] = [()]
                if function == "conv_transpose":
                    paddings = itertools.product(
                        *(range(max(s, d)) for s, d in zip(stride, dilation))
                    )
                for output_padding in paddings:
                    for flipped in (False, True):
                        yield LayerCandidate(
                            function,
                            dims,
                            a,
                            b,
                            bias if function != "conv_weight" else None,
                            stride,
                            geo.padding,
                            dilation,
                            geo.groups,
                            output_padding,
                            flipped,
                        )


def geometry(candidate: LayerCandidate) -> Geometry:
    return Geometry(
        candidate.stride,
        candidate.padding,
        candidate.dilation,
        candidate.groups,
        candidate.output_padding,
    )


def layer_cell(
    candidate: LayerCandidate, operands: Mapping[str, Grid[Poly]]
) -> tuple[tuple[int, ...] | None, Callable[[Index], Poly]]:
    """The candidate's output shape (None if its operands do not fit it) and its cell formula."""
    a = operands[candidate.first]
    if candidate.function == "sum":
        return (a.shape[1],), lambda i: sum_cell(a, i)
    assert candidate.second is not None
    k, geo, flipped = operands[candidate.second], geometry(candidate), candidate.flip_second
    bias = operands[candidate.bias].cells if candidate.bias else None

    def biased(cell: Callable[[Index], Poly]) -> Callable[[Index], Poly]:
        return cell if bias is None else (lambda i: cell(i) + bias[i[1]])

    if candidate.function == "conv":
        shape = conv_shape(a.shape, k.shape, geo)
        return shape, biased(lambda i: conv_cell(a, k, geo, flipped, i))
    if candidate.function == "conv_transpose":
        shape = conv_transpose_shape(a.shape, k.shape, geo)
        return shape, biased(lambda i: conv_transpose_cell(a, k, geo, flipped, i))
    return None, lambda i: weight_cell(a, k, geo, flipped, i)


def fitted(
    candidate: LayerCandidate,
    target: Grid[Poly],
    operands: Mapping[str, Grid[Poly]],
    exact: bool = True,
) -> LayerCandidate | None:
    """The candidate as it would give ``target``'s shape, or None when it cannot. With ``exact``
    false, a ``conv`` whose output is longer keeps its first positions, as PyTorch's
    transposed-convolution backward does when the output padding reaches the stride (and a
    weight gradient may run to a shorter output gradient)."""
    shape, _ = layer_cell(candidate, operands)
    if candidate.function == "conv_weight":
        assert candidate.second is not None
        a, b = operands[candidate.first].shape, operands[candidate.second].shape
        fits = weight_shape_fits(a, b, target.shape, geometry(candidate), exact)
        if not fits:
            return None
        crop = None if exact else weight_crop(a, b, target.shape, geometry(candidate))
        return dataclasses.replace(candidate, keep=crop) if crop else candidate
    if shape is None or shape[:2] != target.shape[:2] or len(shape) != len(target.shape):
        return None
    if shape == target.shape:
        return candidate
    longer = all(n >= m for n, m in zip(shape[2:], target.shape[2:]))
    if candidate.function == "conv" and longer and not exact:
        return dataclasses.replace(candidate, keep=target.shape[2:])
    return None


def layer_matches(
    candidate: LayerCandidate, target: Grid[Poly], operands: Mapping[str, Grid[Poly]]
) -> bool:
    _, cell = layer_cell(candidate, operands)
    return all(cell(i) == v for i, v in target.items())


def layer_table(
    candidate: LayerCandidate, ids: Mapping[str, np.ndarray], shape: tuple[int, ...]
) -> Table | None:
    """Every cell of a fitted candidate of ``shape`` at once, from the same index formulas as
    ``layer_cell`` (the bias, if any, added to every cell of its channel); None for the bias sum
    or a crop (those are compared cell by cell)."""
    if candidate.function == "sum" or candidate.keep:
        return None
    assert candidate.second is not None
    a, k = ids[candidate.first], ids[candidate.second]
    geo, flipped = geometry(candidate), candidate.flip_second
    # Along each spatial axis: (output position, position in a, position in k) of every read.
    per_axis = []
    if candidate.function == "conv":  # out[i] reads a[s i + d u - p] k[u]
        for length, m, h, s, p, d in zip(
            shape[2:], k.shape[2:], a.shape[2:], geo.stride, geo.padding, geo.dilation
        ):
            start = s * np.arange(length, dtype=np.int64) - p  # where out[i] reads for u = 0
            i, u = interval_pairs(
                np.maximum(0, -(start // d)), np.minimum(m, (h - 1 - start) // d + 1)
            )
            per_axis.append((i, start[i] + d * u, m - 1 - u if flipped else u))
        channels = _conv_channels(a.shape, k.shape, shape, geo.groups)
    elif candidate.function == "conv_transpose":  # a[i] k[u] adds into out[s i - p + d u]
        for length, m, h, s, p, d in zip(
            shape[2:], k.shape[2:], a.shape[2:], geo.stride, geo.padding, geo.dilation
        ):
            first = s * np.arange(h, dtype=np.int64) - p  # where a[i] lands for u = 0
            i, u = interval_pairs(
                np.maximum(0, -(first // d)), np.minimum(m, (length - 1 - first) // d + 1)
            )
            per_axis.append((first[i] + d * u, i, m - 1 - u if flipped else u))
        channels = _transpose_channels(a.shape, k.shape, shape, geo.groups)
    else:  # the weight gradient: w[u] sums a[s i + d u - p] b[i] over i and the batch
        for m, h, ho, s, p, d in zip(
            shape[2:], a.shape[2:], k.shape[2:], geo.stride, geo.padding, geo.dilation
        ):
            reach = d * np.arange(m, dtype=np.int64) - p  # where b[0] reads for offset u
            u, i = interval_pairs(
                np.maximum(0, -(reach // s)), np.minimum(ho, (h - 1 - reach) // s + 1)
            )
            per_axis.append((u, reach[u] + s * i, ho - 1 - i if flipped else i))
        channels = _weight_channels(a.shape, k.shape, shape, geo.groups)
    spatial = flat_offsets(
        per_axis, (strides(shape[2:]), strides(a.shape[2:]), strides(k.shape[2:]))
    )
    blocks = (math.prod(shape[2:]), math.prod(a.shape[2:]), math.prod(k.shape[2:]))
    cells, reads, weights = (
        (np.asarray(c, dtype=np.int64)[:, None] * size + offsets[None, :]).ravel()
        for c, size, offsets in zip(channels, blocks, spatial)
    )
    bias = bias_terms(shape, ids[candidate.bias]) if candidate.bias else None
    return products_at(math.prod(shape), cells, reads, weights, a, k, bias)


def _conv_channels(
    a: tuple[int, ...], k: tuple[int, ...], out: tuple[int, ...], groups: int
) -> tuple[list[int], list[int], list[int]]:
    """(output block, block of a, block of k) of every channel pair: out[n, o] sums over the
    input channels c of o's group, a[n, c] with k[o, c - first of the group]."""
    per_group_in, per_group_out = k[1], k[0] // groups
    triples = [
        (n * out[1] + o, n * a[1] + (o // per_group_out) * per_group_in + c, o * k[1] + c)
        for n in range(out[0])
        for o in range(out[1])
        for c in range(per_group_in)
    ]
    return _columns(triples)


def _transpose_channels(
    a: tuple[int, ...], k: tuple[int, ...], out: tuple[int, ...], groups: int
) -> tuple[list[int], list[int], list[int]]:
    """out[n, o] sums over the input channels c of o's group, a[n, c] with k[c, o's place in
    its group]."""
    per_group_out, per_group_in = k[1], k[0] // groups
    triples = [
        (n * out[1] + o, n * a[1] + c, c * k[1] + o % per_group_out)
        for n in range(out[0])
        for o in range(out[1])
        for c in range((o // per_group_out) * per_group_in, (o // per_group_out + 1) * per_group_in)
    ]
    return _columns(triples)


def _weight_channels(
    a: tuple[int, ...], b: tuple[int, ...], out: tuple[int, ...], groups: int
) -> tuple[list[int], list[int], list[int]]:
    """w[o, c] sums over the batch a[n, c + first of o's group] with b[n, o]."""
    per_group_in, per_group_out = a[1] // groups, b[1] // groups
    triples = [
        (o * out[1] + c, n * a[1] + (o // per_group_out) * per_group_in + c, n * b[1] + o)
        for o in range(out[0])
        for c in range(out[1])
        for n in range(a[0])
    ]
    return _columns(triples)


def _columns(triples: list[tuple[int, int, int]]) -> tuple[list[int], list[int], list[int]]:
    first, second, third = zip(*triples)
    return list(first), list(second), list(third)


def search_layer(
    target: str,
    value: Grid[Poly],
    operands: Mapping[str, Grid[Poly]],
    geo: Geometry,
    bias: str | None = None,
) -> ConvSearch:
    """Every whole-layer candidate over two operands (plus the bias) that equals ``value``."""
    keys = tuple(k for k in operands if k != bias)
    dims = len(value.shape) - 2
    tried = list(layer_candidates((keys[0], keys[1]), geo, dims, bias))
    # Operands of single variables and a result of products (and the bias) are compared as
    # whole tables.
    bulk = as_tables(value, operands, UNKNOWN)

    def matching(c: LayerCandidate) -> bool:
        if bulk is None:
            return layer_matches(c, value, operands)
        wanted, ids = bulk
        table = layer_table(c, ids, value.shape)
        return layer_matches(c, value, operands) if table is None else table == wanted

    found: tuple[LayerCandidate, ...] = ()
    # Cropped or shortened forms only when no candidate gives the result's shape by itself.
    for exact in (True, False):
        shaped = (fitted(c, value, operands, exact) for c in tried)
        found = tuple(c for c in shaped if c is not None and matching(c))
        if found:
            break
    return Search(target, keys, len(tried), found)


def search_sum(target: str, value: Grid[Poly], operands: Mapping[str, Grid[Poly]]) -> ConvSearch:
    """The bias gradient: is it the upstream gradient summed over the batch and space?"""
    (key,) = operands
    candidate = LayerCandidate("sum", len(operands[key].shape) - 2, key)
    fits = fitted(candidate, value, operands) is not None
    found = (candidate,) if fits and layer_matches(candidate, value, operands) else ()
    return Search(target, (key,), 1, found)
