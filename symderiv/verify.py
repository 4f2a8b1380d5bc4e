"""Proof of each detected identity, independent of the search that found it.

The right-hand side is recomputed with the whole-array operations (a separate code path from the
detector's cell-by-cell comparison) and every element is compared with the derived result as an
exact polynomial: equal coefficients for equal monomials, no floating point anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping

from .grid import Grid
from .model import Candidate, Detection, Identity, Operation, Presentation, Proof
from .ops import convolve, correlate, flip, padding, zero_pad
from .poly import Poly


def evaluate(candidate: Candidate, operands: Mapping[str, Grid[Poly]]) -> Grid[Poly]:
    first, second = operands[candidate.first], operands[candidate.second]
    if candidate.rotate_second:
        second = flip(second)
    operation = convolve if candidate.operation is Operation.CONVOLUTION else correlate
    return operation(first, second, candidate.mode)


def prove(candidate: Candidate, value: Grid[Poly], operands: Mapping[str, Grid[Poly]]) -> Proof:
    rhs = evaluate(candidate, operands)
    if rhs.shape != value.shape:
        return Proof(elements=0, holds=False)
    for index, derived in value.items():
        if rhs[index] != derived:
            return Proof(elements=len(value.cells), holds=False, first_difference=index)
    return Proof(elements=len(value.cells), holds=True)


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
    )
