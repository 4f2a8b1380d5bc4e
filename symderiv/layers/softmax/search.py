"""The search for the compact backward pass: dL/dX among forms in the probabilities P (softmax's
output, or exp of log-softmax's) and the upstream gradient g, along ``dim``; and, for each local
partial dY_i/dX_j, its form in the output.

Elements are renamed slice by slice to positions (x_1..x_n, g_1..g_n): every slice then gives the
same n renamed values, which are screened numerically at three fixed points. The proof is exact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from ...core.exact import close, screen_points, softmax
from ...core.results import Identity, Search

Slice = list[sp.Expr]
FormRule = Callable[[Slice, Slice, int], sp.Expr]
"""rule(P, g, k): the form's value at position k of one slice, from its probabilities and g."""


def _dot(p: Slice, g: Slice) -> sp.Expr:
    return sp.Add(*(a * b for a, b in zip(p, g)))


@dataclass(frozen=True)
class Form:
    name: str
    text: str
    rule: FormRule


FORMS = (
    Form("softmax", "P * (g - sum(g * P, dim))", lambda p, g, k: p[k] * (g[k] - _dot(p, g))),
    Form("log-softmax", "g - P * sum(g, dim)", lambda p, g, k: g[k] - p[k] * sp.Add(*g)),
    Form("diagonal", "g * P * (1 - P)", lambda p, g, k: g[k] * p[k] * (1 - p[k])),
    Form("scaled", "g * P", lambda p, g, k: g[k] * p[k]),
    Form("identity", "g", lambda p, g, k: g[k]),
)
"""The two right answers and three common wrong ones (the Jacobian's diagonal only, the
correction term dropped, the gradient passed through): a search that can say "no match"."""

SoftmaxSearch = Search[Form]
SoftmaxIdentity = Identity[Form, None]


def positions(n: int) -> tuple[list[sp.Symbol], list[sp.Symbol]]:
    return [sp.Symbol(f"x{k + 1}") for k in range(n)], [sp.Symbol(f"g{k + 1}") for k in range(n)]


def search(renamed: set[tuple[int, sp.Expr]], n: int) -> SoftmaxSearch:
    """``renamed``: each distinct (position k, derived dL/dX there in x_1..x_n, g_1..g_n)."""
    xs, gs = positions(n)
    p = softmax(xs)
    points = screen_points([*xs, *gs])
    found = tuple(
        form
        for form in FORMS
        if all(close(v, form.rule(p, gs, k), at) for k, v in renamed for at in points)
    )
    return Search("dL/dX", ("dL/dY", "Y"), len(FORMS), found)
