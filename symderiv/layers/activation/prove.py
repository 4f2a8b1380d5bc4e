"""Proof of every factor the search kept, element by element and exactly.

For each element the right-hand side dL/dY_i * h(X_i, Y_i) is rebuilt from the factor's rule
with the element's own symbols (or numbers) and subtracted from the derived dL/dX_i. Symbolic
differences are renamed to one scalar pair (x, g) and each distinct one is proven zero once by
exact simplification, so the work stays linear; differences of numbers are compared exactly."""

from __future__ import annotations

import sympy as sp

from ...core.exact import EXACT_SIMPLIFICATION, is_zero
from ...core.grid import Grid
from ...core.results import POLYNOMIAL_EQUALITY, Identity, Proof
from .search import G_SCALAR, X_SCALAR, ActivationIdentity, ActivationSearch, Factor
from .spec import ActivationSpec


def statement(factor: Factor) -> str:
    return "dL/dX = dL/dY" if factor.name == "one" else f"dL/dX = dL/dY * ({factor.text})"


def prove_factor(
    spec: ActivationSpec,
    factor: Factor,
    value: Grid[sp.Expr],
    upstream: Grid[sp.Symbol],
    x: Grid[sp.Symbol],
    y: Grid[sp.Expr],
) -> Proof:
    proven: dict[sp.Expr, bool] = {}
    for i, derived in value.items():
        if spec.piecewise:
            assert spec.values is not None
            rhs = upstream[i] * factor.at(spec, sp.Rational(spec.values[i]), y[i])
            holds = sp.expand(derived - rhs) == 0
        else:
            rhs = upstream[i] * factor.at(spec, x[i], y[i])
            difference = (derived - rhs).xreplace({x[i]: X_SCALAR, upstream[i]: G_SCALAR})
            if difference not in proven:
                proven[difference] = difference.free_symbols <= {X_SCALAR, G_SCALAR} and is_zero(
                    difference
                )
            holds = proven[difference]
        if not holds:
            return Proof(len(value.cells), False, _method(spec), first_difference=i)
    return Proof(len(value.cells), True, _method(spec))


def _method(spec: ActivationSpec) -> str:
    return POLYNOMIAL_EQUALITY if spec.piecewise else EXACT_SIMPLIFICATION


def prove(
    spec: ActivationSpec,
    search: ActivationSearch,
    value: Grid[sp.Expr],
    upstream: Grid[sp.Symbol],
    x: Grid[sp.Symbol],
    y: Grid[sp.Expr],
) -> tuple[ActivationIdentity, ...]:
    return tuple(
        Identity(
            search.target,
            factor,
            statement(factor),
            prove_factor(spec, factor, value, upstream, x, y),
            None,
        )
        for factor in search.matches
    )
