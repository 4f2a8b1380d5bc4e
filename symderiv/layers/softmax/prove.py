"""Proofs, exact and element by element: each form's right-hand side is rebuilt with the
element's own symbols (P from its definition exp(X_i) / sum_j exp(X_j)) and subtracted from the
derived value; each difference, renamed to slice positions, is proven zero once (core.exact)."""

from __future__ import annotations

import sympy as sp

from ...core.exact import EXACT_SIMPLIFICATION, is_zero, softmax
from ...core.grid import Grid, Index
from ...core.results import Identity, Proof
from .search import Form, SoftmaxIdentity, SoftmaxSearch, positions
from .spec import SoftmaxSpec


def prove_elements(
    spec: SoftmaxSpec,
    value: Grid[sp.Expr],
    rhs: dict[Index, sp.Expr],
    x: Grid[sp.Symbol],
    g: Grid[sp.Symbol],
) -> Proof:
    xs, gs = positions(spec.length)
    proven: dict[sp.Expr, bool] = {}
    for members in spec.slices():
        names = {x[i]: xs[k] for k, i in enumerate(members)}
        names.update({g[i]: gs[k] for k, i in enumerate(members)})
        for i in members:
            difference = (value[i] - rhs[i]).xreplace(names)
            if difference not in proven:
                allowed = difference.free_symbols <= {*xs, *gs}
                proven[difference] = allowed and is_zero(difference)
            if not proven[difference]:
                return Proof(len(value.cells), False, EXACT_SIMPLIFICATION, first_difference=i)
    return Proof(len(value.cells), True, EXACT_SIMPLIFICATION)


def form_values(
    spec: SoftmaxSpec, form: Form, x: Grid[sp.Symbol], g: Grid[sp.Symbol]
) -> dict[Index, sp.Expr]:
    values: dict[Index, sp.Expr] = {}
    for members in spec.slices():
        p = softmax([x[i] for i in members])
        gs = [g[i] for i in members]
        for k, i in enumerate(members):
            values[i] = form.rule(p, gs, k)
    return values


def prove(
    spec: SoftmaxSpec,
    search: SoftmaxSearch,
    value: Grid[sp.Expr],
    x: Grid[sp.Symbol],
    g: Grid[sp.Symbol],
) -> tuple[SoftmaxIdentity, ...]:
    return tuple(
        Identity(
            search.target,
            form,
            f"dL/dX = {form.text}",
            prove_elements(spec, value, form_values(spec, form, x, g), x, g),
            None,
        )
        for form in search.matches
    )


def jacobian_form(spec: SoftmaxSpec, y_i: sp.Expr, y_j: sp.Expr, same: bool) -> sp.Expr:
    """dY_i/dX_j written in the output: Y_i (delta_ij - Y_j), or delta_ij - exp(Y_j)."""
    delta = sp.Integer(1 if same else 0)
    return y_i * (delta - y_j) if spec.kind == "softmax" else delta - sp.exp(y_j)


def prove_jacobian(
    spec: SoftmaxSpec,
    partials: dict[tuple[Index, Index], sp.Expr],
    forward: Grid[sp.Expr],
    x: Grid[sp.Symbol],
) -> Proof:
    """Every derived dY_i/dX_j against its form in Y, with Y replaced by its definition."""
    xs, _ = positions(spec.length)
    proven: dict[sp.Expr, bool] = {}
    for members in spec.slices():
        names = {x[i]: xs[k] for k, i in enumerate(members)}
        for i in members:
            for j in members:
                rhs = jacobian_form(spec, forward[i], forward[j], i == j)
                difference = (partials.get((i, j), sp.Integer(0)) - rhs).xreplace(names)
                if difference not in proven:
                    proven[difference] = difference.free_symbols <= set(xs) and is_zero(difference)
                if not proven[difference]:
                    return Proof(spec.partials, False, EXACT_SIMPLIFICATION, first_difference=i)
    return Proof(spec.partials, True, EXACT_SIMPLIFICATION)
