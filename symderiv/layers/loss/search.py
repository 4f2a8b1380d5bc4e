"""The search for the compact gradient of cross-entropy: dL/dX among forms in the softmax
probabilities P, the target distribution q, the class weights w and the reduction's scale s of
each row (1/N for an unweighted mean, 1 for a sum, the upstream gradient for ``none``).

Each row's derived gradient is renamed to positions x_1..x_C (and its scale to s) and screened
numerically at three fixed points; the proof is exact."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from ...core.exact import close, screen_points
from ...core.results import Identity, Search


@dataclass(frozen=True)
class Row:
    """What a form reads of one sample: P and log P of its logits, q, w, the one-hot target
    (None for probability targets), and the scale s."""

    p: Sequence[sp.Expr]
    q: Sequence[Fraction]
    w: Sequence[Fraction]
    onehot: Sequence[int] | None
    s: sp.Expr


FormRule = Callable[[Row, int], sp.Expr]


def _r(v: Fraction | int) -> sp.Rational:
    return sp.Rational(Fraction(v).numerator, Fraction(v).denominator)


def _weighted(row: Row, k: int) -> sp.Expr:
    mass = sum((w * q for w, q in zip(row.w, row.q)), Fraction(0))
    return row.s * (row.p[k] * _r(mass) - _r(row.w[k] * row.q[k]))


def _onehot(row: Row, k: int) -> sp.Expr:
    hot = row.onehot if row.onehot is not None else [0] * len(row.p)
    return row.s * (row.p[k] - hot[k])


@dataclass(frozen=True)
class Form:
    name: str
    text: str
    rule: FormRule


FORMS = (
    Form("textbook", "s * (P - q)", lambda r, k: r.s * (r.p[k] - _r(r.q[k]))),
    Form("weighted", "s * (P * sum(w * q) - w * q)", _weighted),
    Form("one-hot", "s * (P - onehot(target))", _onehot),
    Form("sign", "s * (q - P)", lambda r, k: r.s * (_r(r.q[k]) - r.p[k])),
    Form("unscaled", "P - q", lambda r, k: r.p[k] - _r(r.q[k])),
)
"""The textbook (p - y)/N, its weighted general form, the one-hot form that forgets label
smoothing, and two common mistakes (the sign, the reduction's 1/N)."""

LossSearch = Search[Form]
LossIdentity = Identity[Form, None]
S_SCALAR = sp.Symbol("s")


def positions(c: int) -> list[sp.Symbol]:
    return [sp.Symbol(f"x{k + 1}") for k in range(c)]


def search(renamed: list[tuple[Row, list[sp.Expr]]], c: int) -> LossSearch:
    """``renamed``: per row, its Row (in positions and s) and its derived gradient there."""
    points = screen_points([*positions(c), S_SCALAR])
    found = tuple(
        form
        for form in FORMS
        if all(
            close(v, form.rule(row, k), at)
            for row, values in renamed
            for k, v in enumerate(values)
            for at in points
        )
    )
    return Search("dL/dX", ("P", "q"), len(FORMS), found)
