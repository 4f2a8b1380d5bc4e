"""The element-wise activations of torch.nn.functional: relu, leaky_relu, sigmoid, tanh, gelu
and softplus.

Stages: ``spec`` (the function, its parameters, the shape, and the values of the piecewise
ones), ``functions`` (each f as a SymPy expression of one element), ``derive`` (every element's
forward expression differentiated; the chain rule), ``search`` (the factor h in dL/dX = dL/dY ⊙ h
among every activation's, in X and in Y), ``prove`` (exact, element by element), ``result``,
``view`` (render context and JSON), ``options``. Imports: ``core`` and ``render``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.family import Command, Family
from .options import OPTIONS

if TYPE_CHECKING:
    from ...core.protocol import LayerDerivation


def _deriver(function: str) -> object:
    def derive(**chosen: object) -> LayerDerivation:
        from .derive import activation_spec, derive  # SymPy loads with the first derivation

        return derive(activation_spec(function, **chosen))

    return derive


def _coster(function: str) -> object:
    def cost(**chosen: object) -> float:
        from .derive import cost

        return cost(function, **chosen)

    return cost


HELP = {
    "relu": (
        "ReLU, as torch.nn.functional.relu, on concrete values: Y = max(0, X).\n\nDerives dL/dX "
        "element by element (the gradient at exactly 0 is 0, PyTorch's convention) and finds and "
        "proves dL/dX = dL/dY ⊙ 1[X > 0], and its form in Y.",
        "ReLU (torch.nn.functional.relu)",
    ),
    "leaky-relu": (
        "Leaky ReLU, as torch.nn.functional.leaky_relu, on concrete values: Y = X for X > 0, "
        "negative_slope X otherwise.\n\nDerives dL/dX element by element (the slope at exactly "
        "0, as PyTorch) and finds and proves dL/dX = dL/dY ⊙ (1[X > 0] + a 1[X <= 0]).",
        "Leaky ReLU (torch.nn.functional.leaky_relu)",
    ),
    "sigmoid": (
        "The sigmoid, as torch.sigmoid, on symbols: Y = 1 / (1 + exp(-X)).\n\nDerives dL/dX "
        "element by element and finds and proves dL/dX = dL/dY ⊙ σ(X)(1 - σ(X)), which is "
        "dL/dY ⊙ Y(1 - Y).",
        "Sigmoid (torch.sigmoid)",
    ),
    "tanh": (
        "tanh, as torch.tanh, on symbols.\n\nDerives dL/dX element by element and finds and "
        "proves dL/dX = dL/dY ⊙ (1 - tanh² X) = dL/dY ⊙ (1 - Y²).",
        "tanh (torch.tanh)",
    ),
    "gelu": (
        "GELU, as torch.nn.functional.gelu, exact (x Φ(x)) or with the tanh approximation, on "
        "symbols.\n\nDerives dL/dX element by element and finds and proves its factor.",
        "GELU (torch.nn.functional.gelu)",
    ),
    "softplus": (
        "Softplus, as torch.nn.functional.softplus: log(1 + exp(beta X)) / beta, on symbols.\n\n"
        "Derives dL/dX element by element and finds and proves dL/dX = dL/dY ⊙ σ(beta X) "
        "= dL/dY ⊙ (1 - exp(-beta Y)).",
        "Softplus (torch.nn.functional.softplus)",
    ),
}

BACKWARD = {
    "relu": "torch.ops.aten.threshold_backward (on the output)",
    "leaky-relu": "torch.ops.aten.leaky_relu_backward",
    "sigmoid": "torch.ops.aten.sigmoid_backward (on the output)",
    "tanh": "torch.ops.aten.tanh_backward (on the output)",
    "gelu": "torch.ops.aten.gelu_backward",
    "softplus": "torch.ops.aten.softplus_backward",
}
"""The functions PyTorch's autograd calls for each activation's backward pass."""

COMMANDS = tuple(
    Command(
        name=name,
        help=HELP[name][0],
        options=OPTIONS[name],
        derive=_deriver(name),  # type: ignore[arg-type]
        short_help=HELP[name][1],
        cost=_coster(name),  # type: ignore[arg-type]
        course=name == "relu",
        torch_backward=BACKWARD[name],
    )
    for name in OPTIONS
)

FAMILY = Family(name="activation", commands=COMMANDS, templates=("activation",))
