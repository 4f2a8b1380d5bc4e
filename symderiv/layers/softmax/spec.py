"""What a softmax is asked to be: ``torch.softmax(input, dim)`` or ``torch.log_softmax(input,
dim)``, on a symbolic input of the given shape. Each slice along ``dim`` is normalised on its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...core.errors import SymderivError
from ...core.grid import Index, indices
from ...core.parse import format_size, work_limit

KINDS = ("softmax", "log-softmax")
DEFAULT_INPUT = (2, 3)
DEFAULT_MAX_TERMS = 4_000
"""Local partials: every element of a slice depends on every other, so n² per slice of n."""


@dataclass(frozen=True)
class SoftmaxSpec:
    kind: str = "softmax"
    input: tuple[int, ...] = DEFAULT_INPUT
    dim: int = -1
    max_terms: int = DEFAULT_MAX_TERMS

    def __post_init__(self) -> None:
        rank = len(self.input)
        if not -rank <= self.dim < rank:
            raise SymderivError(
                f"--dim: {self.dim} is out of range for a {rank}-axis input "
                f"(from {-rank} to {rank - 1}, as torch allows)"
            )
        number = work_limit(self.max_terms)
        if self.partials > number:
            raise SymderivError(
                f"input {format_size(self.input)} along dim {self.dim} has {self.partials:,} "
                f"local partials, over the limit of {number:,}; raise it with --max-terms "
                "(max_terms= in Python)"
            )

    @property
    def axis(self) -> int:
        return self.dim % len(self.input)

    @property
    def length(self) -> int:
        """n: the elements of one slice, normalised together."""
        return self.input[self.axis]

    @property
    def partials(self) -> int:
        return math.prod(self.input) * self.length

    def slices(self) -> list[list[Index]]:
        """The indices of each slice along ``dim``, slices in row-major order."""
        others = tuple(n for a, n in enumerate(self.input) if a != self.axis)
        return [
            [(*rest[: self.axis], k, *rest[self.axis :]) for k in range(self.length)]
            for rest in indices(others)
        ]

    def options(self) -> tuple[tuple[str, object], ...]:
        return (("input", list(self.input)), ("dim", self.dim))
