"""What a cross-entropy is asked to be: ``torch.nn.functional.cross_entropy(input, target,
weight, reduction, label_smoothing)`` on symbolic logits of shape (N, C), with class-index or
class-probability targets.

Per sample, with log-probabilities log p = log_softmax(x) and the target distribution q
(q = (1 - eps) onehot(t) + eps / C for a class index t, (1 - eps) y + eps / C for
probabilities y): l_n = -sum_c w_c q_nc log p_nc. ``mean`` divides the sum by sum_n w_{t_n} for
class indices (N when unweighted) and by N for probabilities, as PyTorch does."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ...core.errors import SymderivError
from ...core.parse import work_limit

REDUCTIONS = ("mean", "sum", "none")
DEFAULT_MAX_TERMS = 4_000
"""Logits N·C, each differentiated through every log term of its row."""


@dataclass(frozen=True)
class CrossEntropySpec:
    batch: int = 2
    classes: int = 3
    target: tuple[int, ...] | None = (2, 0)
    """Class indices, 0-based as in torch; None when ``probabilities`` are given."""
    probabilities: tuple[tuple[Fraction, ...], ...] | None = None
    reduction: str = "mean"
    label_smoothing: Fraction = Fraction(0)
    weight: tuple[Fraction, ...] | None = None
    max_terms: int = DEFAULT_MAX_TERMS

    def __post_init__(self) -> None:
        if (self.target is None) == (self.probabilities is None):
            raise SymderivError("--target and --target-probabilities: give exactly one")
        if self.reduction not in REDUCTIONS:
            raise SymderivError(
                f"--reduction: invalid value {self.reduction!r}; expected mean, sum or none"
            )
        if not 0 <= self.label_smoothing <= 1:
            raise SymderivError(
                f"--label-smoothing: {self.label_smoothing} is outside [0, 1], as torch requires"
            )
        if self.target is not None:
            if len(self.target) != self.batch:
                raise SymderivError(
                    f"--target has {len(self.target)} class indices but --batch is {self.batch}"
                )
            bad = [t for t in self.target if not 0 <= t < self.classes]
            if bad:
                raise SymderivError(
                    f"--target: class index {bad[0]} is out of range for {self.classes} classes "
                    f"(0 to {self.classes - 1}, as in torch)"
                )
        if self.probabilities is not None and (
            len(self.probabilities) != self.batch
            or any(len(row) != self.classes for row in self.probabilities)
        ):
            shape = "x".join(str(len(r)) for r in self.probabilities[:1])
            raise SymderivError(
                f"--target-probabilities is {len(self.probabilities)} rows of {shape or 0} but "
                f"the logits are {self.batch}x{self.classes} (--batch x --classes)"
            )
        if self.weight is not None:
            if len(self.weight) != self.classes:
                raise SymderivError(
                    f"--weight has {len(self.weight)} entries but there are {self.classes} classes"
                )
            if any(w < 0 for w in self.weight):
                raise SymderivError("--weight: class weights must not be negative")
            if self.target is not None and self.reduction == "mean" and self.normaliser == 0:
                raise SymderivError("--weight: the target classes' weights sum to 0")
        number = work_limit(self.max_terms)
        if self.batch * self.classes > number:
            raise SymderivError(
                f"{self.batch}x{self.classes} logits are {self.batch * self.classes:,}, over the "
                f"limit of {number:,}; raise it with --max-terms (max_terms= in Python)"
            )

    def class_weight(self, c: int) -> Fraction:
        return Fraction(1) if self.weight is None else self.weight[c]

    def distribution(self, n: int) -> tuple[Fraction, ...]:
        """q_n: sample n's target distribution after label smoothing."""
        eps, c = self.label_smoothing, self.classes
        if self.target is not None:
            hot = [Fraction(1 if k == self.target[n] else 0) for k in range(c)]
        else:
            assert self.probabilities is not None
            hot = list(self.probabilities[n])
        return tuple((1 - eps) * v + eps / c for v in hot)

    @property
    def normaliser(self) -> Fraction:
        """What ``mean`` divides the summed loss by."""
        if self.target is None or self.weight is None:
            return Fraction(self.batch)
        return sum((self.weight[t] for t in self.target), Fraction(0))

    def options(self) -> tuple[tuple[str, object], ...]:
        def exact(v: Fraction) -> int | str:
            return v.numerator if v.denominator == 1 else f"{v.numerator}/{v.denominator}"

        chosen: list[tuple[str, object]] = [("batch", self.batch), ("classes", self.classes)]
        if self.target is not None:
            chosen.append(("target", list(self.target)))
        else:
            assert self.probabilities is not None
            chosen.append(
                ("target_probabilities", [[exact(v) for v in r] for r in self.probabilities])
            )
        chosen += [
            ("reduction", self.reduction),
            ("label_smoothing", exact(self.label_smoothing)),
            ("weight", None if self.weight is None else [exact(w) for w in self.weight]),
        ]
        return tuple(chosen)
