"""Proof of each form the search kept, exact and element by element: the right-hand side is
rebuilt with the row's own logits (P from its definition) and subtracted from the derived
gradient; each difference, renamed to positions, is proven zero once (core.exact)."""

from __future__ import annotations

import sympy as sp

from ...core.exact import EXACT_SIMPLIFICATION, is_zero
from ...core.grid import Grid
from ...core.results import Identity, Proof
from .search import S_SCALAR, Form, LossIdentity, LossSearch, Row, positions


def prove_form(
    form: Form,
    value: Grid[sp.Expr],
    rows: list[Row],
    x: Grid[sp.Symbol],
    scales: list[sp.Expr],
) -> Proof:
    n_rows, c = value.shape
    xs = positions(c)
    proven: dict[sp.Expr, bool] = {}
    for n, row in enumerate(rows):
        names = {x[(n, k)]: xs[k] for k in range(c)}
        if isinstance(scales[n], sp.Symbol):
            names[scales[n]] = S_SCALAR
        for k in range(c):
            difference = (value[(n, k)] - form.rule(row, k)).xreplace(names)
            if difference not in proven:
                allowed = difference.free_symbols <= {*xs, S_SCALAR}
                proven[difference] = allowed and is_zero(difference)
            if not proven[difference]:
                return Proof(n_rows * c, False, EXACT_SIMPLIFICATION, first_difference=(n, k))
    return Proof(n_rows * c, True, EXACT_SIMPLIFICATION)


def prove(
    search: LossSearch,
    value: Grid[sp.Expr],
    rows: list[Row],
    x: Grid[sp.Symbol],
    scales: list[sp.Expr],
) -> tuple[LossIdentity, ...]:
    return tuple(
        Identity(
            search.target,
            form,
            f"dL/dX = {form.text}",
            prove_form(form, value, rows, x, scales),
            None,
        )
        for form in search.matches
    )
