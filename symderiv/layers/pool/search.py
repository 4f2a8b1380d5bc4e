"""The search for a compact form of a pooling gradient (``prove`` proves what it finds).

Nothing here knows which form holds. Each candidate operation is computed symbolically from the
upstream gradient dL/dO alone (plus, for max pooling, the switches the forward pass chose) and
compared element by element with the gradient the chain rule gave, as exact polynomials. A
candidate that differs anywhere is dropped; "no match" is a result. The candidates:

* average pooling: nearest-neighbour upsampling of dL/dO by the stride, divided by the window
  size K (it can only hold when kernel = stride); and the full cross-correlation of dL/dO, with
  stride - 1 zeros inserted between its entries, with the constant kernel J/K. Both are cropped to
  the input (skip the padding, zeros where no window reaches). Neither holds when the divisors
  differ between windows (count_include_pad=False with padding, or ceil_mode's short windows).
* max pooling: the upstream gradient scattered (added) to the cells the windows selected; and the
  0/1 switch mask times the nearest-neighbour upsampling of dL/dO (which holds when no cell lies
  in two windows).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

from ...core.grid import Grid, Index
from ...core.ops import Mode, correlate, crop, insert_zeros, multiply, upsample
from ...core.parse import format_size
from ...core.poly import ZERO, Poly
from ...core.results import Search
from ...core.symbols import gradient_key
from .result import PoolOperation, PoolSearch, Selection
from .windows import PoolGeometry

AVERAGE_CANDIDATES = (PoolOperation.UPSAMPLING, PoolOperation.DILATED_CORRELATION)
MAX_CANDIDATES = (PoolOperation.SCATTER, PoolOperation.MASKED_UPSAMPLING)

Evaluator = Callable[[Grid[Poly]], Grid[Poly]]


def window_size(geometry: PoolGeometry) -> int:
    size = 1
    for k in geometry.kernel:
        size *= k
    return size


def constant_kernel(geometry: PoolGeometry) -> Grid[Poly]:
    """J/K: the kernel of the plain average over a full window."""
    value = Poly.constant(Fraction(1, window_size(geometry)))
    return Grid.build(geometry.kernel, lambda _: value)


def switch_mask(geometry: PoolGeometry, selections: Sequence[Selection]) -> Grid[Poly]:
    chosen = {s.winner for s in selections}
    one = Poly.constant(1)
    return Grid.build(geometry.input, lambda index: one if index in chosen else ZERO)


def evaluator(
    operation: PoolOperation, geometry: PoolGeometry, selections: Sequence[Selection] = ()
) -> Evaluator:
    """The candidate as a function of dL/dO."""
    to_input = (geometry.padding, geometry.input)

    def upsampled(upstream: Grid[Poly]) -> Grid[Poly]:
        return crop(upsample(upstream, geometry.stride), *to_input)

    if operation is PoolOperation.UPSAMPLING:
        share = Fraction(1, window_size(geometry))
        return lambda upstream: upsampled(upstream).map(lambda p: p.scale(share))
    if operation is PoolOperation.DILATED_CORRELATION:
        kernel = constant_kernel(geometry)
        return lambda upstream: crop(
            correlate(insert_zeros(upstream, geometry.stride), kernel, Mode.FULL), *to_input
        )
    if operation is PoolOperation.MASKED_UPSAMPLING:
        mask = switch_mask(geometry, selections)
        return lambda upstream: multiply(mask, upsampled(upstream))

    def scatter(upstream: Grid[Poly]) -> Grid[Poly]:
        routed: dict[Index, list[Poly]] = {}
        for s in selections:
            routed.setdefault(s.winner, []).append(upstream[s.window.output])
        return Grid.build(geometry.input, lambda index: Poly.total(routed.get(index, ())))

    return scatter


def operand(
    operation: PoolOperation, geometry: PoolGeometry, upstream: Grid[Poly]
) -> Grid[Poly] | None:
    """The intermediate array of a candidate, for the written-out form of the identity."""
    if operation is PoolOperation.DILATED_CORRELATION:
        return insert_zeros(upstream, geometry.stride)
    if operation in (PoolOperation.UPSAMPLING, PoolOperation.MASKED_UPSAMPLING):
        return crop(upsample(upstream, geometry.stride), geometry.padding, geometry.input)
    return None


def statement(operation: PoolOperation, geometry: PoolGeometry) -> str:
    """Plain text for the command line and JSON."""
    up, target = gradient_key("O"), gradient_key("X")
    stride, kernel = format_size(geometry.stride), format_size(geometry.kernel)
    crop_to = f"cropped to X at offset {format_size(geometry.padding)}"
    if operation is PoolOperation.UPSAMPLING:
        return f"{target} = upsample({up}, {stride}) / {window_size(geometry)}, {crop_to}"
    if operation is PoolOperation.DILATED_CORRELATION:
        return (
            f"{target} = full cross-correlation(dilate({up}, {stride}), "
            f"J{kernel} / {window_size(geometry)}), {crop_to}"
        )
    if operation is PoolOperation.MASKED_UPSAMPLING:
        return f"{target} = M * upsample({up}, {stride}), {crop_to} (M: switch mask)"
    return f"{target} = scatter-add of {up} to the selected cells"


def search(
    value: Grid[Poly],
    upstream: Grid[Poly],
    geometry: PoolGeometry,
    candidates: Sequence[PoolOperation],
    selections: Sequence[Selection] = (),
) -> PoolSearch:
    """Every candidate equal to the derived gradient, element by element; none is a result."""
    matches = []
    for operation in candidates:
        rhs = evaluator(operation, geometry, selections)(upstream)
        if rhs.shape == value.shape and all(rhs[i] == v for i, v in value.items()):
            matches.append(operation)
    return Search(gradient_key("X"), (gradient_key("O"),), len(candidates), tuple(matches))
