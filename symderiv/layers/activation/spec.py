"""What an activation is asked to be: one of torch.nn.functional's element-wise functions, its
parameters, the input's shape and, for the piecewise ones, the input's values.

ReLU and leaky ReLU have a kink at 0, so they are derived on concrete values (like max pooling):
the values decide each element's branch. The smooth functions are derived on symbols."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ...core.errors import SymderivError
from ...core.grid import Grid
from ...core.parse import check_elements

FUNCTIONS = ("relu", "leaky-relu", "sigmoid", "tanh", "gelu", "softplus")
PIECEWISE = ("relu", "leaky-relu")
APPROXIMATIONS = ("none", "tanh")

DEFAULT_INPUT = (2, 3)
DEFAULT_MAX_TERMS = 4_000
"""Elements: each one's forward expression is differentiated (a few milliseconds each for the
smooth functions), so the default allows about ten seconds."""
SEED_SPAN = (-4, 4)
"""Seeded values are small integers of both signs, zero included: every branch shows."""
EXAMPLE = {"relu": "1,-2,0;3,-1,2", "leaky-relu": "1,-2,0;3,-1,2"}
"""The built-in inputs: positive, negative and exactly 0, where PyTorch's convention shows."""


@dataclass(frozen=True)
class ActivationSpec:
    function: str
    input: tuple[int, ...] = DEFAULT_INPUT
    values: Grid[Fraction] | None = None
    """The input's values, for the piecewise functions; None for the smooth ones."""
    values_from: str = ""
    """``values``, ``seed`` or ``example``: where the values came from."""
    seed: int | None = None
    negative_slope: Fraction = Fraction(1, 100)
    approximate: str = "none"
    beta: Fraction = Fraction(1)
    threshold: Fraction = Fraction(20)
    max_terms: int = DEFAULT_MAX_TERMS

    def __post_init__(self) -> None:
        if self.function not in FUNCTIONS:
            raise SymderivError(
                f"unknown activation {self.function!r}; expected one of {', '.join(FUNCTIONS)}"
            )
        if (self.values is None) == self.piecewise:
            raise SymderivError(f"{self.function}: values are for relu and leaky-relu only")
        if self.approximate not in APPROXIMATIONS:
            raise SymderivError(
                f"--approximate: invalid value {self.approximate!r}; expected none or tanh"
            )
        if self.beta == 0:
            raise SymderivError("--beta: 0 is not allowed; softplus divides by beta")
        check_elements(self.input, self.max_terms)

    @property
    def piecewise(self) -> bool:
        return self.function in PIECEWISE

    def options(self) -> tuple[tuple[str, object], ...]:
        """The options as torch.nn.functional names them, with the defaults filled in."""
        chosen: list[tuple[str, object]] = [("input", list(self.input))]
        if self.piecewise:
            chosen += [("values_from", self.values_from), ("seed", self.seed)]
        if self.function == "leaky-relu":
            chosen.append(("negative_slope", exact_text(self.negative_slope)))
        if self.function == "gelu":
            chosen.append(("approximate", self.approximate))
        if self.function == "softplus":
            chosen += [("beta", exact_text(self.beta)), ("threshold", exact_text(self.threshold))]
        return tuple(chosen)


def exact_text(v: Fraction) -> int | str:
    """An integer as a JSON number, any other rational as ``"p/q"``: exact either way."""
    return v.numerator if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
