"""The search for dL/dX = dL/dY ⊙ h: the element-wise factors h of every activation, in terms of
X or of the output Y, tried against the derived gradient.

Each derived element is renamed to one scalar pair (x, g), since an element-wise layer's element
(i) depends on X_i and dL/dY_i only: the distinct renamed elements (one, or one per branch) are
screened numerically at three points, which picks the candidates; the proof is exact."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from ...core.exact import close
from ...core.grid import Grid
from ...core.results import Identity, Search
from .functions import gelu_tanh_argument, sigmoid
from .spec import ActivationSpec

X_SCALAR = sp.Symbol("x")
G_SCALAR = sp.Symbol("g")

Rule = Callable[[ActivationSpec, sp.Expr, sp.Expr], sp.Expr]
"""h(spec, x, y): the factor at one element, from its input x and its output y = f(x)."""


def _step(spec: ActivationSpec, v: sp.Expr, below: sp.Expr) -> sp.Expr:
    return sp.Integer(1) if v > 0 else below


def _phi(x: sp.Expr) -> sp.Expr:
    return sp.exp(-(x**2) / 2) / sp.sqrt(2 * sp.pi)


def _gelu_tanh(spec: ActivationSpec, x: sp.Expr, y: sp.Expr) -> sp.Expr:
    u = gelu_tanh_argument(x)
    return (1 + sp.tanh(u)) / 2 + x / 2 * (1 - sp.tanh(u) ** 2) * sp.diff(u, x)


@dataclass(frozen=True)
class Factor:
    name: str
    of: str
    """``X`` or ``Y``: which tensor the factor is written in."""
    text: str
    """Plain text of h, for the JSON and the one-line summary."""
    rule: Rule
    piecewise: bool | None = False
    """Tried on the piecewise functions' values (True), on symbols (False), or on both (None)."""

    def at(self, spec: ActivationSpec, x: sp.Expr, y: sp.Expr) -> sp.Expr:
        return self.rule(spec, x, y)


FACTORS = (
    Factor("one", "X", "1", lambda s, x, y: sp.Integer(1), piecewise=None),
    Factor(
        "sigmoid",
        "X",
        "sigmoid(X) * (1 - sigmoid(X))",
        lambda s, x, y: sigmoid(x) * (1 - sigmoid(x)),
    ),
    Factor("sigmoid", "Y", "Y * (1 - Y)", lambda s, x, y: y * (1 - y)),
    Factor("tanh", "X", "1 - tanh(X)**2", lambda s, x, y: 1 - sp.tanh(x) ** 2),
    Factor("tanh", "Y", "1 - Y**2", lambda s, x, y: 1 - y**2),
    Factor(
        "gelu",
        "X",
        "Phi(X) + X * phi(X)",
        lambda s, x, y: (1 + sp.erf(x / sp.sqrt(2))) / 2 + x * _phi(x),
    ),
    Factor("gelu-tanh", "X", "(1 + tanh(U))/2 + X/2 * (1 - tanh(U)**2) * dU/dX", _gelu_tanh),
    Factor(
        "softplus",
        "X",
        "sigmoid(beta * X)",
        lambda s, x, y: sigmoid(sp.Rational(s.beta) * x),
    ),
    Factor(
        "softplus",
        "Y",
        "1 - exp(-beta * Y)",
        lambda s, x, y: 1 - sp.exp(-sp.Rational(s.beta) * y),
    ),
    Factor("step", "X", "[X > 0]", lambda s, x, y: _step(s, x, sp.Integer(0)), piecewise=True),
    Factor("step", "Y", "[Y > 0]", lambda s, x, y: _step(s, y, sp.Integer(0)), piecewise=True),
    Factor(
        "leaky-step",
        "X",
        "[X > 0] + negative_slope * [X <= 0]",
        lambda s, x, y: _step(s, x, sp.Rational(s.negative_slope)),
        piecewise=True,
    ),
    Factor(
        "leaky-step",
        "Y",
        "[Y > 0] + negative_slope * [Y <= 0]",
        lambda s, x, y: _step(s, y, sp.Rational(s.negative_slope)),
        piecewise=True,
    ),
)
"""Every activation's factors: each search tries all that apply to its kind of input (symbols,
or values for the piecewise functions), so a sigmoid's search also tries tanh's 1 - Y^2."""

ActivationSearch = Search[Factor]
ActivationIdentity = Identity[Factor, None]


def candidates(spec: ActivationSpec) -> tuple[Factor, ...]:
    return tuple(f for f in FACTORS if f.piecewise in (None, spec.piecewise))


def screen_points() -> list[dict[sp.Symbol, sp.Rational]]:
    """Three fixed points (x, g) away from 0: the same screen on every run."""
    rng = random.Random(0)
    return [
        {
            X_SCALAR: sp.Rational(rng.randint(-300, 300), 97),
            G_SCALAR: sp.Rational(rng.randint(1, 50), 7),
        }
        for _ in range(3)
    ]


def matches_symbolic(
    spec: ActivationSpec, factor: Factor, renamed: set[sp.Expr], forward: sp.Expr
) -> bool:
    rhs = G_SCALAR * factor.at(spec, X_SCALAR, forward)
    return all(close(v, rhs, at) for v in renamed for at in screen_points())


def search(
    spec: ActivationSpec,
    value: Grid[sp.Expr],
    upstream: Grid[sp.Symbol],
    x: Grid[sp.Symbol],
    y: Grid[sp.Expr],
    scalar_forward: sp.Expr,
) -> ActivationSearch:
    """``y`` holds each output element: symbolic f(X_i), or its number for piecewise inputs."""
    tried = candidates(spec)
    if spec.piecewise:
        assert spec.values is not None
        found = tuple(
            f
            for f in tried
            if all(
                sp.expand(v - upstream[i] * f.at(spec, sp.Rational(spec.values[i]), y[i])) == 0
                for i, v in value.items()
            )
        )
    else:
        renamed = {v.xreplace({x[i]: X_SCALAR, upstream[i]: G_SCALAR}) for i, v in value.items()}
        found = tuple(f for f in tried if matches_symbolic(spec, f, renamed, scalar_forward))
    return Search("dL/dX", ("dL/dY", "X"), len(tried), found)
