"""What a linear layer is asked to be: ``torch.nn.functional.linear``, y = x W^T + b.

The input has leading batch axes and ``in_features`` last; the weight is (out_features,
in_features); the bias, when there is one, (out_features,). Checked once, here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...core.errors import SymderivError
from ...core.parse import coerce_shape, format_size, work_limit

DEFAULT_MAX_TERMS = 120_000
"""Products x * w in the expanded forward pass: about ten seconds of work here."""


@dataclass(frozen=True)
class LinearSpec:
    batch: tuple[int, ...] = (2,)
    """The leading axes of the input; their product is the number of rows."""
    in_features: int = 3
    out_features: int = 2
    bias: bool = True
    max_terms: int = DEFAULT_MAX_TERMS

    def __post_init__(self) -> None:
        for name, value in (("in-features", self.in_features), ("out-features", self.out_features)):
            if value < 1:
                raise SymderivError(f"--{name}: invalid value {value}; it must be at least 1")
        number = work_limit(self.max_terms)
        if self.terms + self.cells > number:
            raise SymderivError(
                f"input {format_size(self.input_shape)} with {self.out_features} output features "
                f"needs {self.terms:,} product terms, over the limit of {number:,}; raise it with "
                "--max-terms (max_terms= in Python)"
            )

    @property
    def rows(self) -> int:
        return math.prod(self.batch)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (*self.batch, self.in_features)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return (*self.batch, self.out_features)

    @property
    def weight_shape(self) -> tuple[int, int]:
        return (self.out_features, self.in_features)

    @property
    def terms(self) -> int:
        return self.rows * self.in_features * self.out_features

    @property
    def cells(self) -> int:
        return self.rows * (self.in_features + self.out_features) + self.out_features * (
            self.in_features + 1
        )

    def options(self) -> tuple[tuple[str, object], ...]:
        return (
            ("batch", list(self.batch)),
            ("in_features", self.in_features),
            ("out_features", self.out_features),
            ("bias", self.bias),
        )


def leading_axes(value: object, option: str = "--batch") -> tuple[int, ...]:
    """The input's leading axes: ``2``, ``(2, 3)`` or ``"2x3"`` (one to three of them)."""
    return coerce_shape(value, option, 3)
