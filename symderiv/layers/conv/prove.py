"""Proof of each detected identity, independent of the search that found it.

The right-hand side is recomputed from the textbook steps, never by the function that found the
match, and every element is compared with the derived result as an exact polynomial: equal
coefficients for equal monomials, no floating point anywhere.

* Plain arrays: the second operand rotated by 180 degrees where the candidate says, the first
  zero-padded for the mode (the arrays the documents show), then the valid-mode sum written out
  from its definition, sum_u a[i + u] k[u] for a cross-correlation and sum_u a[i + m - 1 - u] k[u]
  for a convolution (the search instead compares cells of a flipped-kernel correlation).
* Whole layers: rebuilt by ``ops.*_passes`` (zero insertion, padding, dilation, a valid
  correlation, crop, sums over channels), not from the index formulas the search evaluated.

Where the arrays hold single variables and the result has a table (``core.products``), the
right-hand side is computed as one table from the same steps and compared whole: the same exact
comparison, term for term, in a few array operations.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping

import numpy as np

from ...core.grid import Grid, combined_offsets, strides
from ...core.ops import flip, padding, zero_pad
from ...core.poly import Poly
from ...core.products import (
    UNKNOWN,
    Table,
    Unknown,
    flat_offsets,
    interval_pairs,
    of_grid,
    products_at,
    variable_ids,
)
from ...core.results import REBUILT, Proof
from .candidates import (
    Candidate,
    ConvIdentity,
    ConvSearch,
    LayerCandidate,
    Operation,
    Presentation,
    identity,
)
from .ops import (
    Passes,
    Steps,
    accumulated,
    accumulated_table,
    conv_passes,
    conv_transpose_passes,
    every,
    explicit_sum,
    weight_passes,
)
from .search import geometry


def by_definition(candidate: Candidate, shown: Presentation) -> Grid[Poly]:
    """The valid-mode sum over the padded first operand and the (rotated) second, written out:
    R[i] = sum_u a[i + u] k[u] for a cross-correlation, sum_u a[i + m - 1 - u] k[u] for a
    convolution. Only the offsets u that read inside the unpadded block of a are summed (the
    padding is zero), so the work is that of the products themselves."""
    a, k = shown.first, shown.second
    shape = tuple(n - m + 1 for n, m in zip(a.shape, k.shape))
    inside = [(before, n - after) for n, (before, after) in zip(a.shape, shown.padding)]
    convolution = candidate.operation is Operation.CONVOLUTION

    def reads(x: int, m: int, lo: int, hi: int) -> list[tuple[int, int]]:
        """Along one axis, at output position x: the (position in a, u) pairs that are summed."""
        if convolution:  # reads a[x + m - 1 - u]: lo <= x + m - 1 - u < hi
            us = range(max(0, x + m - hi), min(m - 1, x + m - 1 - lo) + 1)
            return [(x + m - 1 - u, u) for u in us]
        us = range(max(0, lo - x), min(m - 1, hi - 1 - x) + 1)  # reads a[x + u]: lo <= x + u < hi
        return [(x + u, u) for u in us]

    # Per axis and position, the reads as offsets into the row-major cells of a and k; a cell's
    # reads are the sums of one pair per axis.
    axes = [
        [[(at * sa, u * sk) for at, u in reads(x, m, lo, hi)] for x in range(length)]
        for length, m, (lo, hi), sa, sk in zip(shape, k.shape, inside, a.strides, k.strides)
    ]
    a_cells, k_cells = a.cells, k.cells

    def cell(per_axis: tuple[list[tuple[int, int]], ...]) -> Poly:
        reads = combined_offsets(per_axis)
        return Poly.sum_of_products((a_cells[oa], k_cells[ok]) for oa, ok in reads)

    return Grid(shape, tuple(cell(per_axis) for per_axis in itertools.product(*axes)))


def by_definition_table(candidate: Candidate, shown: Presentation) -> Table | None:
    """``by_definition`` in bulk, when both shown arrays hold single variables and zeros: along
    each axis, the (i, u) pairs whose read a[i + u] (a[i + m - 1 - u] for a convolution) lies
    in the unpadded block, then every combination of one pair per axis."""
    a, k = variable_ids(shown.first), variable_ids(shown.second)
    if a is None or k is None:
        return None
    shape = tuple(n - m + 1 for n, m in zip(a.shape, k.shape))
    convolution = candidate.operation is Operation.CONVOLUTION
    per_axis = []
    for length, m, n, (before, after) in zip(shape, k.shape, a.shape, shown.padding):
        lo, hi = before, n - after  # the unpadded block along this axis
        i = np.arange(length, dtype=np.int64)
        if convolution:  # lo <= i + m - 1 - u < hi
            i, u = interval_pairs(np.maximum(0, i + m - hi), np.minimum(m, i + m - lo))
            per_axis.append((i, i + m - 1 - u, u))
        else:  # lo <= i + u < hi
            i, u = interval_pairs(np.maximum(0, lo - i), np.minimum(m, hi - i))
            per_axis.append((i, i + u, u))
    cells, reads, weights = flat_offsets(
        per_axis, (strides(shape), strides(a.shape), strides(k.shape))
    )
    return products_at(math.prod(shape), cells, reads, weights, a, k)


def compared(
    candidate: Candidate, shown: Presentation, value: Grid[Poly], derived: Table | None
) -> Proof:
    """The proof: the right-hand side by definition against the derived result (``derived`` is
    its table, if it has one), as whole tables where both have one, else cell by cell."""
    rhs = None if derived is None else by_definition_table(candidate, shown)
    if rhs is None or derived is None:
        return Proof.comparing(by_definition(candidate, shown), value)
    return Proof.comparing_tables(rhs, derived, value.shape)


def prove(candidate: Candidate, value: Grid[Poly], operands: Mapping[str, Grid[Poly]]) -> Proof:
    return compared(candidate, present(candidate, operands), value, of_grid(value))


def present(candidate: Candidate, operands: Mapping[str, Grid[Poly]]) -> Presentation:
    first, second = operands[candidate.first], operands[candidate.second]
    if candidate.rotate_second:
        second = flip(second)
    before, after = padding(first.shape, second.shape, candidate.mode)
    return Presentation(zero_pad(first, before, after), second, tuple(zip(before, after)))


def verify(
    detection: ConvSearch,
    value: Grid[Poly],
    operands: Mapping[str, Grid[Poly]],
    derived: Table | Unknown | None = UNKNOWN,
) -> tuple[ConvIdentity, ...]:
    """Prove every plain-array match; ``derived`` is the value's table (``products.of_grid``),
    when the caller has it already."""
    identities = []
    if derived is UNKNOWN:
        derived = of_grid(value) if detection.matches else None
    for c in detection.matches:
        if isinstance(c, Candidate):
            shown = present(c, operands)
            proof = compared(c, shown, value, derived)
            identities.append(identity(detection.target, c, proof, shown))
    return tuple(identities)


def layer_passes(
    candidate: LayerCandidate, operands: Mapping[str, Grid[Poly]], kernel: tuple[int, ...]
) -> Passes:
    """The candidate's channel pairs, prepared by the textbook steps (``ops.*_passes``), not
    from the index formula the search used."""
    assert candidate.second is not None  # every layer operation but the bias sum has two
    a, k = operands[candidate.first], operands[candidate.second]
    geo = geometry(candidate)
    if candidate.function == "conv":
        return conv_passes(a, k, geo, candidate.flip_second)
    if candidate.function == "conv_transpose":
        return conv_transpose_passes(a, k, geo, candidate.flip_second)
    if candidate.keep:  # the first operand cropped, as the statement writes it
        a = every(a, (1,) * len(a.shape), a.shape[:2] + candidate.keep)
    return weight_passes(a, k, kernel, geo, candidate.flip_second)


def evaluate_layer(
    candidate: LayerCandidate, operands: Mapping[str, Grid[Poly]], kernel: tuple[int, ...]
) -> tuple[Grid[Poly], Steps | None]:
    """The candidate rebuilt from the textbook steps, its passes added up cell by cell."""
    a = operands[candidate.first]
    if candidate.function == "sum":
        return explicit_sum(a), None
    prepared = layer_passes(candidate, operands, kernel)
    bias = operands[candidate.bias] if candidate.bias else None
    full = accumulated(prepared, bias)
    if candidate.function == "conv" and candidate.keep:
        full = every(full, (1,) * len(full.shape), full.shape[:2] + candidate.keep)
    return full, prepared.shown


def proven_layer(
    candidate: LayerCandidate,
    value: Grid[Poly],
    operands: Mapping[str, Grid[Poly]],
    derived: Table | None,
) -> tuple[Proof, Steps | None]:
    """The rebuilt candidate against the derived result: as whole tables when the result has one
    (``derived``) and the candidate is a layer operation with nothing cropped from its result,
    else cell by cell."""
    bulk = (
        derived is not None
        and candidate.function != "sum"
        and not (candidate.function == "conv" and candidate.keep)
    )
    if bulk:
        prepared = layer_passes(candidate, operands, value.shape[2:])
        bias = operands[candidate.bias] if candidate.bias else None
        rhs = accumulated_table(prepared, bias)
        if rhs is not None:
            assert derived is not None
            return Proof.comparing_tables(rhs, derived, value.shape, REBUILT), prepared.shown
    full, steps = evaluate_layer(candidate, operands, value.shape[2:])
    return Proof.comparing(full, value, REBUILT), steps


def verify_layer(
    detection: ConvSearch, value: Grid[Poly], operands: Mapping[str, Grid[Poly]]
) -> tuple[ConvIdentity, ...]:
    identities = []
    derived = of_grid(value) if detection.matches else None
    for candidate in detection.matches:
        assert isinstance(candidate, LayerCandidate)
        proof, steps = proven_layer(candidate, value, operands, derived)
        shown = None if steps is None else Presentation(steps.first, steps.second, steps.padding)
        identities.append(identity(detection.target, candidate, proof, shown))
    return tuple(identities)
