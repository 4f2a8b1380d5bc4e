"""Facts about a convolution's result that the reader is told: the output size per axis with its
numbers, the stride remainder, and the elements whose gradient is exactly zero.

The zero elements are read off the derived gradients (an element is listed when its polynomial
has no term), not predicted from a formula; the tests compare them with the formula.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...core.grid import Index
from ...core.results import Expansion
from .spec import ConvSpec


@dataclass(frozen=True)
class AxisSize:
    """One spatial axis: what goes into the output-size formula and what comes out."""

    input: int
    kernel: int
    stride: int
    padding: int
    dilation: int
    output_padding: int
    output: int
    remainder: int
    """(H + 2p - d(k-1) - 1) mod s for convolution: input positions past the last window."""


@dataclass(frozen=True)
class ZeroGradient:
    """The elements of one tensor whose loss gradient is exactly zero."""

    key: str
    elements: tuple[Index, ...]
    """0-based indices in the tensor's shown layout."""
    planes: tuple[tuple[int, ...], ...]
    """Per spatial axis, the 0-based positions where every element has zero gradient
    (a whole row, column or depth slice)."""
    total: int


def axis_sizes(spec: ConvSpec) -> tuple[AxisSize, ...]:
    remainders = spec.remainder if not spec.transposed else tuple(0 for _ in spec.input)
    return tuple(
        AxisSize(n, k, s, p, d, op, out, r)
        for n, k, s, p, d, op, out, r in zip(
            spec.input,
            spec.kernel,
            spec.stride,
            spec.padding,
            spec.dilation,
            spec.output_padding,
            spec.output,
            remainders,
        )
    )


def zero_gradients(spec: ConvSpec, expansion: Expansion) -> tuple[ZeroGradient, ...]:
    """For each input with at least one zero-gradient element: which, and the whole planes."""
    found = []
    for key, grid in expansion.gradients:
        zero = tuple(index for index, value in grid.items() if not value)
        if not zero:
            continue
        spatial = spec.dims if key != "b" else 0
        first = len(grid.shape) - spatial
        planes = []
        for axis in range(first, len(grid.shape)):
            across = len(grid.cells) // grid.shape[axis]
            counts: dict[int, int] = {}
            for index in zero:
                counts[index[axis]] = counts.get(index[axis], 0) + 1
            planes.append(tuple(sorted(p for p, c in counts.items() if c == across)))
        found.append(ZeroGradient(key, zero, tuple(planes), len(grid.cells)))
    return tuple(found)
