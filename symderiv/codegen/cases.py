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


def cases(derive: Callable[..., Any], given: dict[str, Any], which: str, seed: int) -> list[Case]:
    """The cases, each derived and proven before its numbers are taken."""
    if which not in CASES:
        raise SymderivError(f"--cases: unknown value {which!r}; choose one of {', '.join(CASES)}")
    first = derive(**given)
    spec = getattr(first, "spec", None)
    if not isinstance(spec, ConvSpec) or spec.transposed:
        raise SymderivError(
            f"testgen: {first.layer} is not covered yet; tests are written for conv1d, conv2d "
            "and conv3d"
        )
    configurations: Sequence[tuple[str, Any]] = (
        [("the given configuration", first)]
        if which == "given"
        else [(name, derive(**options)) for name, options in corners(spec.dims)]
    )
    return [_case(name, d, seed + i) for i, (name, d) in enumerate(configurations)]


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
    settings = {
        "stride": tuple(spec.stride),
        "padding": tuple(spec.padding),
        "dilation": tuple(spec.dilation),
        "groups": spec.groups,
    }
    return Case(name, settings, arrays, expected)


def context(function: str, dims: int, impl: str | None, found: list[Case]) -> dict[str, Any]:
    return {
        "function": function,
        "dims": dims,
        "impl": impl,
        "cases": [
            {"name": c.name, "settings": c.settings, "arrays": c.arrays, "expected": c.expected}
            for c in found
        ],
    }
