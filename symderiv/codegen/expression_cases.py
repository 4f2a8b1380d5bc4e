"""Test cases for the layers whose gradients are SymPy expressions or plain polynomials outside
convolution and pooling: linear, the activations, normalisation.

The inputs are small integers from a seed, as for convolution; the expected gradients are the
derivation's, evaluated at them exactly: a rational number is written exactly (``"3/4"``), any
other value (a sigmoid, a square root) as a 30-digit decimal string, which the test file
compares within a few units in the last place of the dtype returned.
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any

import sympy as sp

from ..core.grid import Grid
from ..core.poly import Poly
from ..core.results import Role
from ..core.worked import SPANS
from ..render.json import exact_number
from .elementwise import SETTINGS

EPS = sp.Rational(1, 100_000)
"""PyTorch's default eps, as the exact number it stands for."""


def corners(layer: str) -> list[tuple[str, dict[str, Any]]]:
    if layer == "linear":
        return [
            ("batch axes 2x3", {"batch": "2x3", "in_features": 3, "out_features": 2}),
            ("one input feature", {"batch": 3, "in_features": 1, "out_features": 2}),
            (
                "one output feature, no bias",
                {"batch": 2, "in_features": 3, "out_features": 1, "bias": False},
            ),
        ]
    if layer in ("batchnorm", "instancenorm"):
        return [
            (
                "M = 2",
                {"batch": 2, "channels": 2} if layer == "batchnorm" else {"spatial": (1, 2)},
            ),
            # M = 4: the expanded gradient of a larger group takes seconds to evaluate.
            ("two channels, spatial 1x2", {"batch": 2, "channels": 2, "spatial": (1, 2)}),
        ]
    if layer == "layernorm":
        return [
            ("M = 2", {"batch": 2, "normalized_shape": (2,)}),
            ("normalized_shape 2x2", {"batch": 2, "normalized_shape": (2, 2)}),
        ]
    if layer == "groupnorm":
        return [
            ("M = 2", {"batch": 2, "channels": 4, "groups": 2, "spatial": (1, 1)}),
            ("2 groups of 3 channels", {"batch": 2, "channels": 6, "groups": 2, "spatial": (1, 1)}),
        ]
    return []


def _tensors(d: Any) -> list[Any]:
    expansion = getattr(d, "expansion", None)
    return list(expansion.tensors if expansion is not None else d.tensors)


def _gradient(d: Any, key: str) -> Grid[Any]:
    expansion = getattr(d, "expansion", None)
    if expansion is not None:
        found: Grid[Any] = expansion.gradient(key)
        return found
    array = d.gradient(key)  # normalisation: a SymPy array, row-major
    return Grid(tuple(array.shape), tuple(sp.flatten(array.tolist())))


def _exact(value: Any) -> int | str:
    """A rational exactly (``render.json.exact_number``), anything else to 30 digits."""
    if isinstance(value, Fraction):
        return exact_number(value)
    if isinstance(value, sp.Basic) and value.is_Rational:
        return exact_number(Fraction(int(value.p), int(value.q)))
    return str(sp.N(value, 30))


def build(name: str, d: Any, seed: int) -> dict[str, Any]:
    """One case: arrays (grad_output and the inputs, torch layout), settings, expected."""
    rng = random.Random(seed)
    numbers: dict[sp.Symbol, Fraction] = {}
    arrays: dict[str, Any] = {}
    inputs: list[str] = []
    for tensor in _tensors(d):
        if tensor.role is Role.OUTPUT:
            continue
        low, high = SPANS[tensor.role]
        values = [Fraction(rng.randint(low, high)) for _ in tensor.symbols.cells]
        if tensor.role is Role.INPUT and getattr(d.spec, "values", None) is not None:
            values = list(d.spec.values.cells)  # an activation derived on these values
        numbers.update(zip(tensor.symbols.cells, values))
        grid = Grid(tensor.shape, tuple(values))
        label = {Role.INPUT: "input", Role.UPSTREAM: "grad_output"}.get(tensor.role, "")
        if tensor.role is Role.PARAMETER:
            label = "weight" if tensor.key in ("W", "gamma") else "bias"
        arrays[label] = grid.map(_exact).nested()
        if tensor.role is not Role.UPSTREAM:
            inputs.append(tensor.key)
    substitution = {s: sp.Rational(v.numerator, v.denominator) for s, v in numbers.items()}
    substitution[sp.Symbol("epsilon")] = EPS

    def value(e: Any) -> int | str:
        if isinstance(e, Poly):
            return _exact(Fraction(e.at(numbers)))
        return _exact(sp.sympify(e).subs(substitution))

    names = {inputs[0]: "grad_input"}
    for key in inputs[1:]:
        names[key] = "grad_weight" if key in ("W", "gamma") else "grad_bias"
    expected = {names[k]: _gradient(d, k).map(value).nested() for k in inputs}
    return {"name": name, "arrays": arrays, "expected": expected, "settings": settings_of(d)}


def settings_of(d: Any) -> dict[str, Any]:
    spec = d.spec
    layer = d.layer
    if layer in SETTINGS:
        # Numbers as floats (dim stays an integer), text as it is.
        values = {key: getattr(spec, key) for key in SETTINGS[layer]}
        return {k: v if isinstance(v, str | int) else float(v) for k, v in values.items()}
    if layer == "groupnorm":
        return {"num_groups": spec.groups, "eps": 1e-5}
    if layer == "layernorm":
        return {"normalized_shape": tuple(spec.parameter_shape), "eps": 1e-5}
    if layer in ("batchnorm", "instancenorm"):
        return {"eps": 1e-5}
    return {}


CALLS = {
    "linear": "f.linear(*leaves)",
    "relu": "f.relu(leaves[0])",
    "leaky-relu": "f.leaky_relu(leaves[0], settings['negative_slope'])",
    "sigmoid": "torch.sigmoid(leaves[0])",
    "tanh": "torch.tanh(leaves[0])",
    "gelu": "f.gelu(leaves[0], approximate=settings['approximate'])",
    "softplus": "f.softplus(leaves[0], settings['beta'], settings['threshold'])",
    "softmax": "torch.softmax(leaves[0], settings['dim'])",
    "log-softmax": "torch.log_softmax(leaves[0], settings['dim'])",
    "batchnorm": "f.batch_norm(leaves[0], None, None, *leaves[1:], True, 0.1, settings['eps'])",
    "layernorm": (
        "f.layer_norm(leaves[0], settings['normalized_shape'], *leaves[1:], settings['eps'])"
    ),
    "groupnorm": "f.group_norm(leaves[0], settings['num_groups'], *leaves[1:], settings['eps'])",
    "instancenorm": (
        "f.instance_norm(leaves[0], weight=leaves[1], bias=leaves[2], eps=settings['eps'])"
    ),
}
"""torch's forward for the generated file's default implementation (its autograd backward)."""
