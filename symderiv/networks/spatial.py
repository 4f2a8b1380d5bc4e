"""Stages with spatial structure, in PyTorch's (N, C, *spatial) layout: convolution (1-3 spatial
axes, channels, groups, stride, padding, dilation, bias) and max / average pooling, which the
pooling derivations take one (n, c) plane at a time."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from fractions import Fraction
from typing import Any, TypeVar

from ..core.errors import SymderivError
from ..core.grid import Grid, Index
from ..core.protocol import LayerDerivation
from ..layers.conv.derive import conv1d, conv2d, conv3d
from ..layers.pool.derive import MaxPoolSpec, avg_pool, derive_max, geometry
from ..layers.pool.result import PoolDerivation
from ..layers.pool.windows import DEFAULT_MAX_TERMS, PoolGeometry
from .stage import (
    Array,
    Backward,
    Gradient,
    Stage,
    Value,
    add_into,
    chain,
    forward_values,
    gathered,
    limit,
    numbers_for,
    numbers_only,
    symbols_of,
    through_layer,
    times,
    upstream_for,
)

Draw = Callable[[str, tuple[int, ...]], Array]
T = TypeVar("T")
CONV = {1: conv1d, 2: conv2d, 3: conv3d}


def _axes(values: object, k: int, name: str, where: str, default: int) -> tuple[int, ...]:
    if values is None:
        return (default,) * k
    assert isinstance(values, tuple)
    if len(values) == 1:
        return values * k
    if len(values) != k:
        raise SymderivError(f"{where}: {name} has {len(values)} entries for {k} spatial axes")
    return values


def _spatial(where: str, shape: tuple[int, ...], k: int, name: str) -> None:
    if len(shape) != k + 2:
        raise SymderivError(
            f"{where}: {name} takes (N, C, {', '.join('DHW'[3 - k :])}), but the previous layer "
            f"gives {'x'.join(map(str, shape))}"
        )


class Conv:
    owned: tuple[str, ...] = ("input", "in_channels", "batch")

    def __init__(self, k: int) -> None:
        self.k = k
        self.name = f"conv{k}d"

    def build(
        self, where: str, options: dict[str, Any], shape: tuple[int, ...], draw: Draw
    ) -> tuple[dict[str, Any], tuple[int, ...], dict[str, Array]]:
        _spatial(where, shape, self.k, self.name)
        if options.get("out_channels") is None:
            raise SymderivError(f"{where}: give out_channels")
        chosen: dict[str, Any] = {
            "kernel": _axes(options.get("kernel"), self.k, "kernel", where, 2),
            "stride": _axes(options.get("stride"), self.k, "stride", where, 1),
            "padding": _axes(options.get("padding"), self.k, "padding", where, 0),
            "dilation": _axes(options.get("dilation"), self.k, "dilation", where, 1),
            "groups": options.get("groups") or 1,
            "out_channels": options["out_channels"],
            "bias": bool(options.get("bias", False)),
            **limit(options),
        }
        d = self.derivation(shape, chosen, where)
        w, o = symbols_of(d, "W").shape, symbols_of(d, "O").shape
        parameters = {"W": draw("W", w)}
        if chosen["bias"]:
            parameters["b"] = draw("b", (w[0],))
        return chosen, o, parameters

    def derivation(
        self, shape: tuple[int, ...], chosen: dict[str, Any], where: str = ""
    ) -> LayerDerivation:
        try:
            return CONV[self.k](
                input=shape[2:],
                kernel=chosen["kernel"],
                stride=chosen["stride"],
                padding=chosen["padding"],
                dilation=chosen["dilation"],
                groups=chosen["groups"],
                in_channels=shape[1],
                out_channels=chosen["out_channels"],
                batch=shape[0],
                bias=chosen["bias"],
                **limit(chosen),
            )
        except SymderivError as error:
            raise SymderivError(f"{where}: {error}") from None

    def forward(self, stage: Stage, x: Array) -> tuple[Array, tuple[LayerDerivation, ...]]:
        d = self.derivation(stage.input_shape, stage.options)
        return forward_values(d, numbers_for(d, {"X": x, **stage.parameters})), (d,)

    def taps(self, stage: Stage) -> list[tuple[Index, Index, Index, Index]]:
        """Every (output, input, weight, bias) index that the forward sum multiplies: O[n, co, p]
        += W[co, ci', k] X[n, ci, p*s + k*d - pad], ci in co's group."""
        n_batch, c_in = stage.input_shape[:2]
        c_out = stage.output_shape[1]
        groups = stage.options["groups"]
        assert isinstance(groups, int)
        kernel, stride, padding, dilation = (
            stage.options[key] for key in ("kernel", "stride", "padding", "dilation")
        )
        per_in, per_out = c_in // groups, c_out // groups
        spatial_in = stage.input_shape[2:]
        taps: list[tuple[Index, Index, Index, Index]] = []
        for n, co in itertools.product(range(n_batch), range(c_out)):
            group = co // per_out
            for p in itertools.product(*(range(s) for s in stage.output_shape[2:])):
                for cl in range(per_in):
                    for k in itertools.product(*(range(m) for m in kernel)):
                        q = tuple(
                            at * step + tap * gap - pad
                            for at, step, tap, gap, pad in zip(p, stride, k, dilation, padding)
                        )
                        if all(0 <= qi < ni for qi, ni in zip(q, spatial_in)):
                            ci = group * per_in + cl
                            taps.append(((n, co, *p), (n, ci, *q), (co, cl, *k), (co,)))
        return taps

    def compact(self, stage: Stage, x: Array, upstream: Gradient) -> Backward:
        """dL/dX = conv_transpose(dL/dO, W), dL/dW = the correlation of X with dL/dO, dL/db = the
        sum of dL/dO over batch and space: each as the sum its definition scatters."""
        w = stage.parameters["W"]
        taps = self.taps(stage)
        dx = add_into(stage.input_shape, [(xi, times(upstream[o], w[wi])) for o, xi, wi, _ in taps])
        dw = add_into(w.shape, [(wi, times(upstream[o], x[xi])) for o, xi, wi, _ in taps])
        grads = {"W": dw}
        if "b" in stage.parameters:
            grads["b"] = add_into((w.shape[0],), [((i[1],), g) for i, g in upstream.items()])
        return Backward(dx, grads)

    def elementwise(self, stage: Stage, x: Array, upstream: Gradient) -> Backward:
        return through_layer(stage, x, upstream, "O")


class Pool:
    owned: tuple[str, ...] = ("input", "values", "seed")

    def __init__(self, kind: str, k: int) -> None:
        self.kind, self.k = kind, k
        self.name = f"{kind}pool{k}d"

    def build(
        self, where: str, options: dict[str, Any], shape: tuple[int, ...], draw: Draw
    ) -> tuple[dict[str, Any], tuple[int, ...], dict[str, Array]]:
        _spatial(where, shape, self.k, self.name)
        kernel = _axes(options.get("kernel"), self.k, "kernel", where, 2)
        chosen: dict[str, Any] = {
            "kernel": kernel,
            "stride": _axes(options.get("stride"), self.k, "stride", where, 1)
            if options.get("stride")
            else kernel,
            "padding": _axes(options.get("padding"), self.k, "padding", where, 0),
            "ceil_mode": bool(options.get("ceil_mode", False)),
            **limit(options),
        }
        if self.kind == "max":
            chosen["dilation"] = _axes(options.get("dilation"), self.k, "dilation", where, 1)
        else:
            chosen["count_include_pad"] = bool(options.get("count_include_pad", True))
        try:
            g = self.geometry(shape, chosen)
        except SymderivError as error:
            raise SymderivError(f"{where}: {error}") from None
        return chosen, (*shape[:2], *g.output), {}

    def geometry(self, shape: tuple[int, ...], chosen: dict[str, Any]) -> PoolGeometry:
        return geometry(
            self.k,
            shape[2:],
            chosen["kernel"],
            chosen["stride"],
            chosen["padding"],
            chosen.get("dilation", (1,) * self.k),
            chosen["ceil_mode"],
        )

    def planes(self, shape: tuple[int, ...]) -> list[tuple[int, int]]:
        return list(itertools.product(range(shape[0]), range(shape[1])))

    def plane(self, x: Grid[T], n: int, c: int) -> Grid[T]:
        spatial = x.shape[2:]
        return Grid.build(spatial, lambda i: x[(n, c) + i])

    def derive_plane(self, stage: Stage, values: Array) -> PoolDerivation:
        if self.kind == "max":
            g = self.geometry(stage.input_shape, stage.options)
            g.check_work(stage.options.get("max_terms", DEFAULT_MAX_TERMS))
            numbers = numbers_only(values, f"--layers: layer {stage.index} ({self.name})")
            return derive_max(MaxPoolSpec(g, numbers, "values", None), self.name)
        return avg_pool(
            self.k,
            stage.input_shape[2:],
            stage.options["kernel"],
            stage.options["stride"],
            stage.options["padding"],
            stage.options["ceil_mode"],
            stage.options["count_include_pad"],
            stage.options.get("max_terms", DEFAULT_MAX_TERMS),
        )

    def forward(self, stage: Stage, x: Array) -> tuple[Array, tuple[LayerDerivation, ...]]:
        derivations = []
        out: dict[Index, Value] = {}
        shared = None if self.kind == "max" else self.derive_plane(stage, x)
        for n, c in self.planes(stage.input_shape):
            values = self.plane(x, n, c)
            d = shared or self.derive_plane(stage, values)
            derivations.append(d)
            y = forward_values(d, numbers_for(d, {"X": values}))
            out.update({(n, c) + i: v for i, v in y.items()})
        return Grid.build(stage.output_shape, lambda i: out[i]), tuple(derivations)

    def compact(self, stage: Stage, x: Array, upstream: Gradient) -> Backward:
        """Max: each dL/dO to its window's switch (the first maximum, as PyTorch); average: each
        dL/dO divided by the window's divisor, to every cell of the window."""
        parts = []
        for (n, c), d in zip(self.planes(stage.input_shape), stage.derivations):
            assert isinstance(d, PoolDerivation)
            if self.kind == "max":
                for s in d.selections:
                    parts.append(((n, c) + s.winner, upstream[(n, c) + s.window.output]))
            else:
                include = bool(stage.options["count_include_pad"])
                for window in d.geometry.windows():
                    divisor = d.geometry.average_divisor(window.output, include)
                    share = upstream[(n, c) + window.output].scale(Fraction(1, divisor))
                    parts += [((n, c) + cell, share) for cell in window.real]
        return Backward(add_into(stage.input_shape, parts), {})

    def elementwise(self, stage: Stage, x: Array, upstream: Gradient) -> Backward:
        parts = []
        for (n, c), d in zip(self.planes(stage.input_shape), stage.derivations):
            values = self.plane(x, n, c)
            up = self.plane(upstream, n, c)
            got = chain(d, numbers_for(d, {"X": values}), upstream_for(d, "O", up))
            parts += [((n, c) + i, g) for i, g in gathered(d, "X", got).items()]
        return Backward(add_into(stage.input_shape, parts), {})
