"""The loss stage: cross-entropy on the logits of the last layer, which must come last.

Its forward value is irrational (logarithms of sums of exponentials): it is kept exact as a SymPy
expression. Its gradient s_n (P Σ_c w_c q_nc - w q_n) is written in symbols P_n_c, the softmax
probabilities of the logits, whose exact values the stage also keeps; the element-by-element
check proves, exactly, that the layer's own derived gradient at these logits equals that form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy as sp

from ..core.errors import SymderivError
from ..core.exact import is_zero, softmax
from ..core.grid import Grid
from ..core.poly import Poly
from ..core.protocol import LayerDerivation
from ..core.symbols import tensor_symbols
from ..layers.loss.derive import cross_entropy_spec, derive
from ..layers.loss.result import CrossEntropyDerivation
from ..layers.loss.spec import DEFAULT_MAX_TERMS, CrossEntropySpec
from .stage import EMPTY, Array, Backward, Gradient, Stage, limit, sympy_value

Draw = Callable[[str, tuple[int, ...]], Array]
PROBABILITY = "P"


def logit_key(index: int) -> str:
    """The symbols of layer ``index``'s output, as the loss reads them in symbols mode."""
    return f"A{index}"


DIGITS = 6
"""Significant digits of the decimal approximations printed beside exact irrational values."""


@dataclass(frozen=True)
class LossValues:
    loss: sp.Expr
    probabilities: Grid[sp.Expr]
    """P_n_c = exp(z_nc) / sum_k exp(z_nk), exact."""

    @property
    def loss_decimal(self) -> float:
        return float(sp.N(self.loss, 30))

    def probability_decimals(self) -> Grid[float]:
        return self.probabilities.map(lambda v: float(sp.N(v, 30)))


class CrossEntropy:
    name = "cross-entropy"
    owned: tuple[str, ...] = ("batch", "classes")

    def build(
        self, where: str, options: dict[str, Any], shape: tuple[int, ...], draw: Draw
    ) -> tuple[dict[str, Any], tuple[int, ...], dict[str, Array]]:
        if len(shape) != 2:
            raise SymderivError(
                f"{where}: cross-entropy takes logits (N, classes), but the previous layer gives "
                f"{'x'.join(map(str, shape))}"
            )
        if options.get("reduction") == "none":
            raise SymderivError(f"{where}: reduction='none' leaves no scalar loss to start from")
        given = {k: v for k, v in options.items() if v is not None}
        try:
            spec = cross_entropy_spec(batch=shape[0], classes=shape[1], **given)
        except SymderivError as error:
            raise SymderivError(f"{where}: {error}") from None
        filled: dict[str, Any] = {
            "target": spec.target,
            "target_probabilities": spec.probabilities,
            "reduction": spec.reduction,
            "label_smoothing": spec.label_smoothing,
            "weight": spec.weight,
            **limit(options),
        }
        return filled, (), {}

    def forward(self, stage: Stage, x: Array) -> tuple[Array, tuple[LayerDerivation, ...]]:
        n, c = stage.input_shape
        o = stage.options
        spec = CrossEntropySpec(
            n,
            c,
            o["target"],
            o["target_probabilities"],
            o["reduction"],
            o["label_smoothing"],
            o["weight"],
            o.get("max_terms", DEFAULT_MAX_TERMS),
        )
        return EMPTY, (derive(spec),)

    def logits(self, stage: Stage, x: Array) -> dict[sp.Symbol, sp.Expr]:
        """The layer's logit symbols, by their values: numbers; or, in symbols mode, symbols
        named for the previous layer's output (A3_1_2 for A^(3)), whose own expressions that
        layer's section shows: a loss written in them stays readable."""
        (d,) = stage.derivations
        assert isinstance(d, CrossEntropyDerivation)
        symbols = d.expansion.tensor("X").symbols
        if any(isinstance(v, Poly) for v in x.cells):
            named = tensor_symbols(logit_key(stage.index - 1), stage.input_shape)
            return dict(zip(symbols.cells, named.cells))
        return {s: sympy_value(v) for s, v in zip(symbols.cells, x.cells)}

    def values(self, stage: Stage, x: Array) -> LossValues:
        (d,) = stage.derivations
        assert isinstance(d, CrossEntropyDerivation)
        logits = self.logits(stage, x)
        n, c = stage.input_shape
        rows = [softmax([logits[_symbol(d, (r, k))] for k in range(c)]) for r in range(n)]
        probabilities = Grid((n, c), tuple(v for row in rows for v in row))
        return LossValues(d.loss.xreplace(logits), probabilities)

    def compact(self, stage: Stage, x: Array, upstream: Gradient) -> Backward:
        """dL/dX = s_n (P Σ_c w_c q_nc - w q_n): the weighted form the layer proved."""
        (d,) = stage.derivations
        assert isinstance(d, CrossEntropyDerivation)
        spec = d.spec
        p = tensor_symbols(PROBABILITY, stage.input_shape)
        cells: dict[tuple[int, ...], Poly] = {}
        for row in range(spec.batch):
            q = spec.distribution(row)
            scale = Fraction(d.scales[row].p, d.scales[row].q)
            mass = sum((spec.class_weight(k) * q[k] for k in range(spec.classes)), Fraction(0))
            for k in range(spec.classes):
                cells[(row, k)] = Poly.symbol(p[(row, k)]).scale(scale * mass) - Poly.constant(
                    scale * spec.class_weight(k) * q[k]
                )
        return Backward(Grid.build(stage.input_shape, lambda i: cells[i]), {})

    def elementwise(self, stage: Stage, x: Array, upstream: Gradient) -> Backward:
        """The layer's own derived dL/dX at these logits, proven equal to the compact form with
        P given its value: then that form, in P, is what flows back."""
        (d,) = stage.derivations
        assert isinstance(d, CrossEntropyDerivation)
        compact = self.compact(stage, x, upstream)
        values = self.values(stage, x)
        logits = self.logits(stage, x)
        p = tensor_symbols(PROBABILITY, stage.input_shape)
        exact = {p[i]: v for i, v in values.probabilities.items()}
        unproven = Poly.symbol(sp.Symbol("unproven"))
        return Backward(
            Grid.build(
                stage.input_shape,
                lambda i: (
                    compact.input[i]
                    if is_zero(
                        d.expansion.gradient("X")[i].xreplace(logits)
                        - compact.input[i].to_sympy().xreplace(exact)
                    )
                    else compact.input[i] + unproven
                ),
            ),
            {},
        )


def _symbol(d: CrossEntropyDerivation, index: tuple[int, ...]) -> sp.Symbol:
    return d.expansion.tensor("X").symbols[index]
