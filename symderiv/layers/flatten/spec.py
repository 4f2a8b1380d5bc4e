"""What a flatten is asked to be: ``torch.flatten(input, start_dim, end_dim)``, which merges the
axes start_dim..end_dim (negative counts from the end) into one, in row-major order."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...core.errors import SymderivError
from ...core.parse import check_elements

DEFAULT_MAX_TERMS = 120_000
"""Elements of the input: each is one forward term."""


@dataclass(frozen=True)
class FlattenSpec:
    input: tuple[int, ...] = (1, 2, 2, 2)
    start_dim: int = 0
    end_dim: int = -1
    max_terms: int = DEFAULT_MAX_TERMS

    def __post_init__(self) -> None:
        rank = len(self.input)
        for name, value in (("start-dim", self.start_dim), ("end-dim", self.end_dim)):
            if not -rank <= value < rank:
                raise SymderivError(
                    f"--{name}: {value} is out of range for a {rank}-axis input "
                    f"(from {-rank} to {rank - 1}, as torch.flatten allows)"
                )
        if self.first > self.last:
            raise SymderivError(
                f"--start-dim {self.start_dim} comes after --end-dim {self.end_dim}: torch.flatten "
                "needs start_dim <= end_dim"
            )
        check_elements(self.input, self.max_terms)

    @property
    def first(self) -> int:
        return self.start_dim % len(self.input)

    @property
    def last(self) -> int:
        return self.end_dim % len(self.input)

    @property
    def output(self) -> tuple[int, ...]:
        merged = math.prod(self.input[self.first : self.last + 1])
        return (*self.input[: self.first], merged, *self.input[self.last + 1 :])

    def options(self) -> tuple[tuple[str, object], ...]:
        return (
            ("input", list(self.input)),
            ("start_dim", self.start_dim),
            ("end_dim", self.end_dim),
        )
