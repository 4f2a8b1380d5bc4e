"""Stages without spatial structure: linear, flatten, ReLU and leaky ReLU."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from ..core.errors import SymderivError
from ..core.grid import Grid
from ..core.poly import Poly
from ..core.protocol import LayerDerivation
from ..layers.activation.derive import derive as derive_activation
from ..layers.activation.spec import ActivationSpec
from ..layers.flatten.derive import flatten
from ..layers.linear.derive import linear, linear_spec
from ..layers.linear.spec import DEFAULT_MAX_TERMS
from .stage import (
    Array,
    Backward,
    Gradient,
    Stage,
    chain,
    forward_values,
    gathered,
    limit,
    numbers_for,
    numbers_only,
    through_layer,
    times,
    upstream_for,
)

Draw = Callable[[str, tuple[int, ...]], Array]


class Linear:
    name = "linear"
    owned: tuple[str, ...] = ("batch", "in_features")

    def build(
        self, where: str, options: dict[str, Any], shape: tuple[int, ...], draw: Draw
    ) -> tuple[dict[str, Any], tuple[int, ...], dict[str, Array]]:
        if len(shape) != 2:
            raise SymderivError(
                f"{where}: linear takes (N, in_features), but the previous layer gives "
                f"{'x'.join(map(str, shape))}; put flatten before it"
            )
        out = int(options.get("out_features") or 2)
        bias = bool(options.get("bias", True))
        chosen = {"out_features": out, "bias": bias, **limit(options)}
        # The layer's own limits, checked before any parameter is drawn.
        linear_spec(shape[0], shape[1], out, bias, chosen.get("max_terms", DEFAULT_MAX_TERMS))
        parameters = {"W": draw("W", (out, shape[1]))}
        if bias:
            parameters["b"] = draw("b", (out,))
        return chosen, (shape[0], out), parameters

    def derivation(self, stage: Stage) -> LayerDerivation:
        n, i = stage.input_shape
        return linear(
            batch=n,
            in_features=i,
            out_features=stage.options["out_features"],
            bias=stage.options["bias"],
            **limit(stage.options),
        )

    def forward(self, stage: Stage, x: Array) -> tuple[Array, tuple[LayerDerivation, ...]]:
        d = self.derivation(stage)
        return forward_values(d, numbers_for(d, {"X": x, **stage.parameters})), (d,)

    def compact(self, stage: Stage, x: Array, upstream: Gradient) -> Backward:
        """dL/dX = dL/dY · W, dL/dW = (dL/dY)^T · X, dL/db = the sum of dL/dY's rows."""
        w = stage.parameters["W"]
        (n, i), o = stage.input_shape, stage.options["out_features"]
        assert isinstance(o, int)
        dx = Grid.build(
            (n, i), lambda a: Poly.total(times(upstream[(a[0], k)], w[(k, a[1])]) for k in range(o))
        )
        dw = Grid.build(
            (o, i), lambda a: Poly.total(times(upstream[(r, a[0])], x[(r, a[1])]) for r in range(n))
        )
        grads = {"W": dw}
        if "b" in stage.parameters:
            grads["b"] = Grid.build(
                (o,), lambda a: Poly.total(upstream[(r, a[0])] for r in range(n))
            )
        return Backward(dx, grads)

    def elementwise(self, stage: Stage, x: Array, upstream: Gradient) -> Backward:
        return through_layer(stage, x, upstream, "Y")


class Flatten:
    name = "flatten"
    owned: tuple[str, ...] = ("input",)

    def build(
        self, where: str, options: dict[str, Any], shape: tuple[int, ...], draw: Draw
    ) -> tuple[dict[str, Any], tuple[int, ...], dict[str, Array]]:
        # In a network the batch axis stays, as torch.nn.Flatten does: start_dim defaults to 1.
        start = options.get("start_dim", 1 if len(shape) > 1 else 0)
        end = options.get("end_dim", -1)
        assert isinstance(start, int) and isinstance(end, int)
        rank = len(shape)
        for key, value in (("start_dim", start), ("end_dim", end)):
            if not -rank <= value < rank:
                raise SymderivError(
                    f"{where}: {key}={value} is out of range for a {rank}-axis input"
                )
        first, last = start % rank, end % rank
        if first > last:
            raise SymderivError(f"{where}: start_dim comes after end_dim")
        merged = math.prod(shape[first : last + 1])
        return (
            {"start_dim": start, "end_dim": end},
            (*shape[:first], merged, *shape[last + 1 :]),
            {},
        )

    def forward(self, stage: Stage, x: Array) -> tuple[Array, tuple[LayerDerivation, ...]]:
        d = flatten(
            input=stage.input_shape,
            start_dim=stage.options["start_dim"],
            end_dim=stage.options["end_dim"],
            **limit(stage.options),
        )
        return forward_values(d, numbers_for(d, {"X": x})), (d,)

    def compact(self, stage: Stage, x: Array, upstream: Gradient) -> Backward:
        """dL/dX = reshape(dL/dY, shape of X): the same cells, row-major."""
        return Backward(Grid(stage.input_shape, upstream.cells), {})

    def elementwise(self, stage: Stage, x: Array, upstream: Gradient) -> Backward:
        (d,) = stage.derivations
        got = chain(d, numbers_for(d, {"X": x}), upstream_for(d, "Y", upstream))
        return Backward(gathered(d, "X", got), {})


class Rectifier:
    """ReLU and leaky ReLU, derived on the stage's values laid out as one row (the activation
    reads at most three axes of values; element order is the same, row-major)."""

    owned: tuple[str, ...] = ("input", "values", "seed")

    def __init__(self, name: str) -> None:
        self.name = name

    def build(
        self, where: str, options: dict[str, Any], shape: tuple[int, ...], draw: Draw
    ) -> tuple[dict[str, Any], tuple[int, ...], dict[str, Array]]:
        chosen: dict[str, Any] = limit(options)
        if self.name == "leaky-relu":
            slope = options.get("negative_slope", Fraction(1, 100))
            chosen["negative_slope"] = slope
        return chosen, shape, {}

    def slope(self, stage: Stage) -> Fraction:
        return Fraction(0) if self.name == "relu" else Fraction(stage.options["negative_slope"])

    def forward(self, stage: Stage, x: Array) -> tuple[Array, tuple[LayerDerivation, ...]]:
        values_of_x = numbers_only(x, f"--layers: layer {stage.index} ({self.name})")
        flat = Grid((1, len(x.cells)), values_of_x.cells)
        spec = ActivationSpec(
            self.name,
            flat.shape,
            flat,
            "values",
            negative_slope=self.slope(stage) or Fraction(1, 100),
            **limit(stage.options),
        )
        d = derive_activation(spec)
        values = forward_values(d, numbers_for(d, {"X": flat}))
        return Grid(x.shape, values.cells), (d,)

    def compact(self, stage: Stage, x: Array, upstream: Gradient) -> Backward:
        """dL/dX = dL/dY ⊙ (1[X > 0] + a 1[X <= 0]), a = 0 for ReLU: PyTorch's choice at 0."""
        a = self.slope(stage)
        cells = numbers_only(x, self.name).cells
        return Backward(
            Grid(x.shape, tuple(g if v > 0 else g.scale(a) for g, v in zip(upstream.cells, cells))),
            {},
        )

    def elementwise(self, stage: Stage, x: Array, upstream: Gradient) -> Backward:
        (d,) = stage.derivations
        flat = Grid((1, len(x.cells)), x.cells)
        up = Grid((1, len(x.cells)), upstream.cells)
        got = chain(d, numbers_for(d, {"X": flat}), upstream_for(d, "Y", up))
        return Backward(Grid(x.shape, gathered(d, "X", got).cells), {})
