"""Proof of each detected identity, independent of the search that found it.

The right-hand side is recomputed with the whole-array operations (a separate code path from the
detector's cell-by-cell comparison) and every element is compared with the derived result as an
exact polynomial: equal coefficients for equal monomials, no floating point anywhere. Whole-layer
identities are rebuilt from the textbook steps in ``conv_ops.explicit_*`` (zero insertion,
padding, dilation, ``ops.correlate`` in valid mode, crop, sums over channels), not from the index
formulas the search evaluated.
"""

from __future__ import annotations

from collections.abc import Mapping

from ...core.grid import Grid
from ...core.ops import convolve, correlate, flip, padding, zero_pad
from ...core.poly import Poly
from ...core.results import (
    REBUILT,
    Candidate,
    Detection,
    Identity,
    LayerCandidate,
    Operation,
    Presentation,
    Proof,
)
from .ops import (
    Steps,
    every,
    explicit_conv,
    explicit_conv_transpose,
    explicit_sum,
    explicit_weight,
)
from .search import geometry


def evaluate(candidate: Candidate, operands: Mapping[str, Grid[Poly]]) -> Grid[Poly]:
    first, second = operands[candidate.first], operands[candidate.second]
    if candidate.rotate_second:
        second = flip(second)
    operation = convolve if candidate.operation is Operation.CONVOLUTION else correlate
    return operation(first, second, candidate.mode)


def prove(candidate: Candidate, value: Grid[Poly], operands: Mapping[str, Grid[Poly]]) -> Proof:
    return Proof.comparing(evaluate(candidate, operands), value)


def present(candidate: Candidate, operands: Mapping[str, Grid[Poly]]) -> Presentation:
    first, second = operands[candidate.first], operands[candidate.second]
    if candidate.rotate_second:
        second = flip(second)
    before, after = padding(first.shape, second.shape, candidate.mode)
    return Presentation(zero_pad(first, before, after), second, tuple(zip(before, after)))


def verify(
    detection: Detection, value: Grid[Poly], operands: Mapping[str, Grid[Poly]]
) -> tuple[Identity, ...]:
    return tuple(
        Identity(detection.target, c, prove(c, value, operands), present(c, operands))
        for c in detection.matches
        if isinstance(c, Candidate)
    )


def evaluate_layer(
    candidate: LayerCandidate, operands: Mapping[str, Grid[Poly]], kernel: tuple[int, ...]
) -> tuple[Grid[Poly], Steps | None]:
    """The candidate rebuilt from the textbook steps (``conv_ops.explicit_*``), not from the
    index formula the search used."""
    a = operands[candidate.first]
    if candidate.function == "sum":
        return explicit_sum(a), None
    assert candidate.second is not None
    k = operands[candidate.second]
    geo = geometry(candidate)
    bias = operands[candidate.bias] if candidate.bias else None
    if candidate.function == "conv":
        full, steps = explicit_conv(a, k, geo, candidate.flip_second, bias)
        if candidate.keep:
            full = every(full, (1,) * len(full.shape), full.shape[:2] + candidate.keep)
        return full, steps
    if candidate.function == "conv_transpose":
        return explicit_conv_transpose(a, k, geo, candidate.flip_second, bias)
    return explicit_weight(a, k, kernel, geo, candidate.flip_second)


def verify_layer(
    detection: Detection, value: Grid[Poly], operands: Mapping[str, Grid[Poly]]
) -> tuple[Identity, ...]:
    identities = []
    for candidate in detection.matches:
        assert isinstance(candidate, LayerCandidate)
        rhs, steps = evaluate_layer(candidate, operands, value.shape[2:])
        proof = Proof.comparing(rhs, value, REBUILT)
        shown = None if steps is None else Presentation(steps.first, steps.second, steps.padding)
        identities.append(Identity(detection.target, candidate, proof, shown))
    return tuple(identities)
