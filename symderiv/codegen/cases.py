"""``symderiv testgen``: a pytest file of exact test cases for someone's own backward function.

Each case is a configuration with small integer inputs drawn from a seed (``core.worked``) and
the exact gradients the derivation gives at them, so the file needs no tolerance for integer
results; ``corners`` sweeps the configurations that break real kernels. The file calls the
function named by ``--impl`` with ``codegen``'s calling convention on torch tensors, or torch's
own autograd when none is named, so that it runs as generated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..core.errors import SymderivError
from ..core.grid import Grid
from ..core.worked import worked_example
from ..layers.conv.spec import ConvSpec
from ..render.json import exact_number
from .expression_cases import CALLS
from .expression_cases import build as build_expression
from .expression_cases import corners as expression_corners

CASES = ("given", "corners")
IMPL = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def corners(dims: int) -> list[tuple[str, dict[str, Any]]]:
    """The configurations where hand-written convolution backward passes go wrong."""
    return (
        [
            ("stride 2, remainder 0", {"input": 5, "kernel": 3, "stride": 2}),
            ("stride 2, remainder 1", {"input": 6, "kernel": 3, "stride": 2}),
            ("stride 3 with padding 1", {"input": 7, "kernel": 2, "stride": 3, "padding": 1}),
            ("padding 2 with stride 2", {"input": 5, "kernel": 3, "stride": 2, "padding": 2}),
            ("dilation 2 with stride 2", {"input": 7, "kernel": 2, "stride": 2, "dilation": 2}),
            ("stride 3 above dilation 2", {"input": 8, "kernel": 2, "stride": 3, "dilation": 2}),
            (
                "2 groups, batch 2",
                {
                    "input": 4,
                    "kernel": 2,
                    "in_channels": 4,
                    "out_channels": 2,
                    "groups": 2,
                    "batch": 2,
                },
            ),
            (
                "depthwise with bias",
                {
                    "input": 4,
                    "kernel": 3,
                    "in_channels": 3,
                    "out_channels": 3,
                    "groups": 3,
                    "bias": True,
                },
            ),
        ]
        if dims < 3
        else [
            ("stride 2, remainder 1", {"input": 4, "kernel": 2, "stride": 2}),
            ("dilation 2 with stride 2", {"input": 5, "kernel": 2, "stride": 2, "dilation": 2}),
            (
                "2 groups with bias",
                {
                    "input": 3,
                    "kernel": 2,
                    "in_channels": 2,
                    "out_channels": 2,
                    "groups": 2,
                    "bias": True,
                },
            ),
        ]
    )


@dataclass(frozen=True)
class Case:
    name: str
    settings: dict[str, Any]
    arrays: dict[str, Any]
    """grad_output, input, weight and bias (when there is one), nested lists in torch layout."""
    expected: dict[str, Any]
    """grad_input, grad_weight and grad_bias, exact: integers, or fractions as "p/q"."""


def check_impl(impl: str | None) -> None:
    if impl is not None and not IMPL.match(impl):
        raise SymderivError(
            f"--impl: {impl!r} is not of the form module:function (such as mykernels:conv_backward)"
        )


def transposed_corners(dims: int) -> list[tuple[str, dict[str, Any]]]:
    """Where transposed-convolution backward passes go wrong: the output padding (which the
    input gradient never reads), stride with padding, dilation with stride, groups."""
    found = [
        ("stride 2, output_padding 1", {"input": 3, "kernel": 3, "stride": 2, "padding": 1} | ONE),
        ("stride 3, output_padding 2", {"input": 3, "kernel": 2, "stride": 3, "output_padding": 2}),
        (
            "dilation 2 with stride 2",
            {"input": 3, "kernel": 2, "stride": 2, "dilation": 2, "padding": 1} | ONE,
        ),
        ("padding 2 with stride 2", {"input": 4, "kernel": 3, "stride": 2, "padding": 2} | ONE),
        (
            "2 groups, batch 2",
            {"input": 3, "kernel": 2, "stride": 2, "in_channels": 4, "out_channels": 2}
            | {"groups": 2, "batch": 2},
        ),
        (
            "depthwise with bias",
            {"input": 3, "kernel": 3, "in_channels": 3, "out_channels": 3, "groups": 3}
            | {"bias": True},
        ),
    ]
    return found if dims < 3 else [found[0], found[4]]


ONE = {"output_padding": 1}


def pool_corners(kind: str) -> list[tuple[str, dict[str, Any]]]:
    """Where pooling backward passes go wrong: padding, ceil_mode's extra window, the divisor,
    overlapping windows, dilation, and (max, values 0..9 from a seed) ties."""
    found = [
        ("kernel 3, stride 2, padding 1", {"input": 5, "kernel": 3, "stride": 2, "padding": 1}),
        ("ceil_mode with padding", {"input": 6, "kernel": 3, "stride": 2, "padding": 1} | CEIL),
        ("ceil_mode without padding", {"input": 5, "kernel": 2, "stride": 2} | CEIL),
        ("overlapping windows", {"input": 4, "kernel": 3, "stride": 1}),
        ("kernel = stride", {"input": 4, "kernel": 2}),
    ]
    if kind == "avg":
        return [
            *found,
            (
                "count_include_pad=False with padding",
                {"input": 5, "kernel": 3, "stride": 2, "padding": 1, "count_include_pad": False},
            ),
        ]
    return [*found, ("dilation 2", {"input": 7, "kernel": 2, "stride": 2, "dilation": 2})]


CEIL = {"ceil_mode": True}


def cases(derive: Callable[..., Any], given: dict[str, Any], which: str, seed: int) -> list[Case]:
    """The cases, each derived (and, where the layer has identities, proven) before its numbers
    are taken."""
    if which not in CASES:
        raise SymderivError(f"--cases: unknown value {which!r}; choose one of {', '.join(CASES)}")
    first = derive(**given)
    spec = getattr(first, "spec", None)
    kind = getattr(first, "kind", None)
    if isinstance(spec, ConvSpec):
        options = transposed_corners(spec.dims) if spec.transposed else corners(spec.dims)
        build: Callable[[str, Any, int], Case] = _case
    elif kind in ("max", "avg") and "global" not in first.layer:
        axes = first.geometry.axes
        options = [(n, _axes(o, axes)) for n, o in pool_corners(kind)]
        build = _pool_case
        if kind == "max":  # each case's values come from its own seed
            options = [(n, {**o, "seed": seed + i}) for i, (n, o) in enumerate(options)]
    elif first.layer in CALLS and getattr(spec, "training", True):
        options = expression_corners(first.layer) or [("the given configuration", given)]
        build = _expression_case
    else:
        raise SymderivError(
            f"testgen: {first.layer} is not covered yet; tests are written for the convolutions, "
            "their transposes, pooling, linear, the activations, softmax and normalisation in "
            "training mode"
        )
    configurations: Sequence[tuple[str, Any]] = (
        [("the given configuration", first)]
        if which == "given"
        else [(name, derive(**o)) for name, o in options]
    )
    return [build(name, d, seed + i) for i, (name, d) in enumerate(configurations)]


def _expression_case(name: str, derivation: Any, seed: int) -> Case:
    found = build_expression(name, derivation, seed)
    return Case(name, found["settings"], found["arrays"], found["expected"])


def _axes(options: dict[str, Any], axes: int) -> dict[str, Any]:
    """3-D pooling keeps the sweep small: the first axis of every size is 2 cells shorter."""
    if axes < 3 or "input" not in options:
        return options
    n = options["input"]
    return {**options, "input": (max(n - 2, options["kernel"]), n, n)}


def _pool_case(name: str, derivation: Any, seed: int) -> Case:
    g = derivation.geometry
    worked = worked_example(derivation.expansion, None, seed, "")
    assert worked is not None
    lead = (1, 1)
    inputs = dict(worked.inputs)
    if derivation.kind == "max":
        # The derivation chose its switches from its own values: the input is those values, and
        # the gradient, a polynomial in dL/dO alone, is evaluated at the drawn dL/dO.
        x = derivation.values
        gradient = derivation.expansion.gradient("X").map(lambda p: p.at(worked.numbers))
    else:
        x = inputs["X"]
        gradient = worked.gradient("X")

    def torch_layout(grid: Grid[Any]) -> Any:
        return Grid(lead + grid.shape, grid.cells).map(exact_number).nested()

    settings: dict[str, Any] = {
        "kernel_size": tuple(g.kernel),
        "stride": tuple(g.stride),
        "padding": tuple(g.padding),
        "ceil_mode": g.ceil_mode,
    }
    if derivation.kind == "max":
        settings["dilation"] = tuple(g.dilation)
    else:
        settings["count_include_pad"] = derivation.count_include_pad
    return Case(
        name,
        settings,
        {"grad_output": torch_layout(inputs["dL/dO"]), "input": torch_layout(x)},
        {"grad_input": torch_layout(gradient)},
    )


def _case(name: str, derivation: Any, seed: int) -> Case:
    if not derivation.verified:
        raise SymderivError(f"testgen: {name}: the derivation did not prove every identity")
    spec: ConvSpec = derivation.spec
    worked = worked_example(derivation.expansion, None, seed, "")
    assert worked is not None
    shapes = spec.full_shapes()

    def torch_layout(key: str, grid: Grid[Any]) -> Any:
        return Grid(shapes[key], grid.cells).map(exact_number).nested()

    given = dict(worked.inputs)
    arrays = {
        "grad_output": torch_layout("dL/dO", given["dL/dO"]),
        "input": torch_layout("X", given["X"]),
        "weight": torch_layout(spec.weight, given[spec.weight]),
    }
    expected = {
        "grad_input": torch_layout("X", worked.gradient("X")),
        "grad_weight": torch_layout(spec.weight, worked.gradient(spec.weight)),
    }
    if spec.bias:
        arrays["bias"] = torch_layout("b", given["b"])
        expected["grad_bias"] = torch_layout("b", worked.gradient("b"))
    settings: dict[str, Any] = {
        "stride": tuple(spec.stride),
        "padding": tuple(spec.padding),
        "dilation": tuple(spec.dilation),
        "groups": spec.groups,
    }
    if spec.transposed:
        settings["output_padding"] = tuple(spec.output_padding)
    return Case(name, settings, arrays, expected)


SIGNATURES = {
    "expression": (
        "backward(grad_output, input[, weight, bias], **settings) (the settings as in the cases)",
        "the gradients of input (and weight and bias when there are)",
    ),
    "transposed": (
        "backward(grad_output, input, weight[, bias], stride=..., padding=...,\n"
        "output_padding=..., dilation=..., groups=...)",
        "(grad_input, grad_weight[, grad_bias])",
    ),
    "conv": (
        "backward(grad_output, input, weight[, bias], stride=..., padding=..., dilation=...,\n"
        "groups=...)",
        "(grad_input, grad_weight[, grad_bias])",
    ),
    "avg": (
        "backward(grad_output, input, kernel_size=..., stride=..., padding=..., ceil_mode=...,\n"
        "count_include_pad=...)",
        "(grad_input,)",
    ),
    "max": (
        "backward(grad_output, input, kernel_size=..., stride=..., padding=..., dilation=...,\n"
        "ceil_mode=...)",
        "(grad_input,)",
    ),
}


def context(
    kind: str, function: str, dims: int, impl: str | None, found: list[Case]
) -> dict[str, Any]:
    signature, returns = SIGNATURES[kind]
    return {
        "kind": kind,
        "signature": signature,
        "returns": returns,
        "function": function,
        "dims": dims,
        "impl": impl,
        "impl_literal": repr(impl),
        # Python literals (repr), so that booleans, tuples and fractions' strings read back.
        "cases": [
            {
                "name": repr(c.name),
                "settings": repr(c.settings),
                "arrays": repr(c.arrays),
                "expected": repr(c.expected),
            }
            for c in found
        ],
    }
