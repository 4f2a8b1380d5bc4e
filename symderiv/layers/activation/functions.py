"""The activations as torch.nn.functional defines them, as SymPy expressions of one element.

The piecewise functions take the element's value too: it picks the branch, with PyTorch's
convention at 0 (ReLU passes nothing back at exactly 0, leaky ReLU passes the slope)."""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from .spec import ActivationSpec

GELU_KAPPA = sp.Rational(44715, 1_000_000)
"""The cubic coefficient of GELU's tanh approximation, 0.044715 exactly as PyTorch writes it."""


def sigmoid(z: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-z))


def gelu_tanh_argument(x: sp.Expr) -> sp.Expr:
    """U = sqrt(2/pi) (x + 0.044715 x^3), the argument of tanh in approximate='tanh'."""
    return sp.sqrt(2 / sp.pi) * (x + GELU_KAPPA * x**3)


def definition(spec: ActivationSpec, x: sp.Expr, value: Fraction | None = None) -> sp.Expr:
    """f(x); for ReLU and leaky ReLU the branch that ``value`` (x's number) falls in."""
    f = spec.function
    if f in ("relu", "leaky-relu"):
        if value is not None and value > 0:
            return x
        return sp.Integer(0) if f == "relu" else sp.Rational(spec.negative_slope) * x
    if f == "sigmoid":
        return sigmoid(x)
    if f == "tanh":
        return sp.tanh(x)
    if f == "gelu":
        if spec.approximate == "tanh":
            return x / 2 * (1 + sp.tanh(gelu_tanh_argument(x)))
        return x / 2 * (1 + sp.erf(x / sp.sqrt(2)))
    beta = sp.Rational(spec.beta)
    return sp.log(1 + sp.exp(beta * x)) / beta


def scalar_rule(spec: ActivationSpec, x: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
    """f(x) and f'(x) for one scalar. The smooth ones are differentiated; for ReLU and leaky
    ReLU the derivative is PyTorch's convention (the slope of the branch x <= 0 at x = 0), since
    the function has no derivative there."""
    if spec.piecewise:
        below = sp.Integer(0) if spec.function == "relu" else sp.Rational(spec.negative_slope)
        return (
            sp.Piecewise((x, x > 0), (below * x, True)),
            sp.Piecewise((sp.Integer(1), x > 0), (below, True)),
        )
    f = definition(spec, x)
    return f, sp.diff(f, x)
