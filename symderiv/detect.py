"""Identity detection: a search over compact operations for one that equals a derived result.

Nothing here knows the answer in advance. Every candidate (operand order x cross-correlation or
convolution x second operand rotated by 180 degrees or not x valid, same or full mode) is computed
symbolically, cell by cell, and compared exactly with the derived result; a candidate is dropped at
its first differing cell, so the search costs little more than computing the one that matches.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from .grid import Grid
from .model import Candidate, Detection, Operation
from .ops import Mode, correlate_cell, flip, output_shape
from .poly import Poly


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


def search(target: str, value: Grid[Poly], operands: Mapping[str, Grid[Poly]]) -> Detection:
    """Every candidate over the two operands that equals ``value``, best first; none is a result."""
    keys = tuple(operands)
    if len(keys) != 2:
        raise ValueError(f"a search needs two operands, got {keys}")
    tried = list(candidates((keys[0], keys[1])))
    found = tuple(c for c in tried if matches(c, value, operands))
    return Detection(target, keys, len(tried), found)
