"""What a normalisation layer normalises: its input layout, its groups of M values, its parameters.

Semantics follow ``torch.nn.functional``: ``batch_norm`` normalises each channel over N and the
spatial axes (M = N·H·W), ``instance_norm`` each (sample, channel) over the spatial axes
(M = H·W), ``group_norm`` each (sample, group of C/G channels) over those channels and the spatial
axes (M = (C/G)·H·W), ``layer_norm`` each sample over the trailing ``normalized_shape`` axes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from ...core.errors import SymderivError
from ...core.grid import Index, indices
from ...core.parse import exact_decimal, format_size, shown, work_limit

KINDS = ("batchnorm", "layernorm", "groupnorm", "instancenorm")
TORCH_FUNCTION = {
    "batchnorm": "batch_norm",
    "layernorm": "layer_norm",
    "groupnorm": "group_norm",
    "instancenorm": "instance_norm",
}
RUNNING_STATISTICS = ("batchnorm", "instancenorm")
"""The layers that keep running statistics and so have an eval mode that uses them."""

MAX_ELEMENTS = 4096
"""Beyond this nobody reads the equations; the work limit below usually binds first."""
DEFAULT_MAX_WORK = 4000
"""M^2 summed over the groups: each group's proof expands products of its M values, about
2.5 ms per unit here, so the default keeps a derivation near ten seconds."""

_SPATIAL_NAMES = {0: (), 1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


@dataclass(frozen=True)
class NormSpec:
    kind: str
    shape: tuple[int, ...]
    """The input x in PyTorch layout: (N, C, *spatial), or (N, *normalized_shape) for layernorm."""
    groups: int = 1
    normalized_ndim: int = 1
    training: bool = True
    eps: Fraction | None = None
    """None keeps epsilon as a symbol."""
    max_terms: int = DEFAULT_MAX_WORK

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise SymderivError(f"unknown normalisation {self.kind!r}; choose one of {KINDS}")
        if self.eps is not None and self.eps < 0:
            raise SymderivError(
                f"--eps: invalid value {_decimal(self.eps)}; epsilon must be at least 0 "
                "(it keeps the square root of sigma^2 + eps away from 0)"
            )
        if self.eps == 0 and self.kind == "batchnorm" and self.training:
            raise SymderivError(
                "--eps: invalid value 0; batch_norm in training mode needs epsilon > 0 "
                "(torch refuses 0 there)"
            )
        if not self.training and self.kind not in RUNNING_STATISTICS:
            raise SymderivError(
                f"{self.kind} has no running statistics: train and eval mode are the same"
            )
        if self.kind == "instancenorm" and len(self.shape) < 3:
            raise SymderivError(
                "instancenorm needs spatial axes (--spatial L, HxW or DxHxW): it normalises "
                "each channel of each sample over them"
            )
        if self.kind == "groupnorm" and self.channels % self.groups:
            raise SymderivError(
                f"--groups {self.groups} does not divide --channels {self.channels}: each group "
                "must hold the same number of channels"
            )
        if self.kind == "groupnorm" and self.shape[0] * self.m == 1:
            raise SymderivError(
                f"groupnorm of a single sample with M = {self.m_formula} = 1: torch refuses it "
                "(it checks N*M > 1, 'Expected more than 1 value per channel when training'); "
                "give --batch 2 or more values per group"
            )
        if self.training and self.m < 2 and self.kind in RUNNING_STATISTICS:
            raise SymderivError(
                f"{self.kind} in training mode needs at least 2 values per group, got "
                f"M = {self.m_formula} = {self.m}: the variance of a single value is undefined "
                "(its unbiased estimate divides by M - 1 = 0; torch refuses it too)"
            )
        work_limit(self.max_terms)
        groups = math.prod(self.statistics_shape)
        if self.work > self.max_terms:
            raise SymderivError(
                f"{self.kind}: {groups:,} group{'s' if groups != 1 else ''} of M = {self.m:,} "
                f"values need {self.work:,} steps (M^2 per group), over the limit of "
                f"{self.max_terms:,}; raise it with --max-terms (max_terms= in Python)"
            )
        if self.elements > MAX_ELEMENTS:
            raise SymderivError(
                f"input {format_size(self.shape)} has {self.elements:,} elements, over the "
                f"limit of {MAX_ELEMENTS:,}"
            )

    @property
    def work(self) -> int:
        """What the term limit counts here: M^2 for each group (one statistic each)."""
        return math.prod(self.statistics_shape) * self.m * self.m

    @property
    def elements(self) -> int:
        return math.prod(self.shape)

    @property
    def channels(self) -> int:
        return self.shape[1]

    @property
    def axis_names(self) -> tuple[str, ...]:
        if self.kind == "layernorm":
            rest = self.shape[1:]
            names = ("D",) if len(rest) == 1 else tuple(f"D{k + 1}" for k in range(len(rest)))
            return ("N", *names)
        return ("N", "C", *_SPATIAL_NAMES[len(self.shape) - 2])

    @property
    def normalized_axes(self) -> tuple[int, ...]:
        """The axes each statistic runs over (for groupnorm, C only within one group)."""
        spatial = tuple(range(2, len(self.shape)))
        return {
            "batchnorm": (0, *spatial),
            "instancenorm": spatial,
            "groupnorm": (1, *spatial),
            "layernorm": tuple(range(len(self.shape) - self.normalized_ndim, len(self.shape))),
        }[self.kind]

    @property
    def m(self) -> int:
        """The number of values each mean and variance is taken over."""
        count = math.prod(self.shape[a] for a in self.normalized_axes)
        return count // self.groups if self.kind == "groupnorm" else count

    @property
    def unbiased_factor(self) -> Fraction:
        """M/(M - 1): the running variance is updated with the unbiased estimate."""
        return Fraction(self.m, self.m - 1)

    @property
    def m_formula(self) -> str:
        names = [self.axis_names[a] for a in self.normalized_axes]
        if self.kind == "groupnorm":
            names[0] = "(C/G)"
        return "*".join(names)

    @property
    def statistics_shape(self) -> tuple[int, ...]:
        """One mean and one variance per group: (C,), (N, C), (N, G) or (N,)."""
        n, channels = self.shape[0], self.shape[1]
        return {
            "batchnorm": (channels,),
            "instancenorm": (n, channels),
            "groupnorm": (n, self.groups),
            "layernorm": (n,),
        }[self.kind]

    @property
    def parameter_shape(self) -> tuple[int, ...]:
        if self.kind == "layernorm":
            return self.shape[len(self.shape) - self.normalized_ndim :]
        return (self.channels,)

    @property
    def running_shape(self) -> tuple[int, ...]:
        return (self.channels,)

    def group_of(self, index: Index) -> Index:
        if self.kind == "batchnorm":
            return (index[1],)
        if self.kind == "instancenorm":
            return (index[0], index[1])
        if self.kind == "groupnorm":
            return (index[0], index[1] // (self.channels // self.groups))
        return (index[0],)

    def parameter_of(self, index: Index) -> Index:
        if self.kind == "layernorm":
            return index[len(self.shape) - self.normalized_ndim :]
        return (index[1],)

    def running_of(self, index: Index) -> Index:
        return (index[1],)

    def members(self) -> dict[Index, list[Index]]:
        """Each group's element indices, groups and members in row-major order."""
        groups: dict[Index, list[Index]] = {g: [] for g in indices(self.statistics_shape)}
        for index in indices(self.shape):
            groups[self.group_of(index)].append(index)
        return groups

    @property
    def shared_parameter(self) -> bool:
        """True when every value of a group is scaled by the same gamma."""
        return self.kind in ("batchnorm", "instancenorm")

    def options(self) -> tuple[tuple[str, object], ...]:
        options: list[tuple[str, object]] = [("input", list(self.shape))]
        if self.kind == "groupnorm":
            options.append(("groups", self.groups))
        if self.kind == "layernorm":
            options.append(("normalized_shape", list(self.parameter_shape)))
        options.append(("mode", "train" if self.training else "eval"))
        options.append(("eps", "symbolic" if self.eps is None else _decimal(self.eps)))
        return tuple(options)


def _decimal(value: Fraction) -> str:
    """A fraction as the user most likely typed it: 1e-05, 0.001 or 1/3."""
    shown = repr(float(value))
    return shown if Fraction(shown) == value else str(value)


def parse_eps(text: str) -> Fraction | None:
    """``symbolic`` (or ``eps``) keeps a symbol; otherwise an exact number such as 1e-5."""
    cleaned = text.strip().lower()
    if cleaned in ("symbolic", "eps", "epsilon"):
        return None
    try:
        return exact_decimal(cleaned, "--eps")
    except SymderivError as error:
        if "is not a number" not in str(error):
            raise
        raise SymderivError(
            f"--eps: invalid value {shown(text)}; expected a number such as 1e-5, or 'symbolic'"
        ) from None
