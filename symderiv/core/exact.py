"""Exact zero tests for expressions beyond polynomials: exponentials, tanh, erf, logarithms.

``is_zero`` is sound: True only when SymPy has rewritten the expression to the number 0, which
is a proof that it vanishes identically; False means "not proven", never "proven non-zero".
Hyperbolic functions are rewritten in exponentials first, so that sigmoid and tanh forms meet
in one field of rational functions of exponentials, where cancellation decides equality.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

import sympy as sp

EXACT_SIMPLIFICATION = "exact symbolic equality (SymPy simplification to 0)"


def is_zero(e: sp.Expr) -> bool:
    rewritten = sp.sympify(e).rewrite(sp.exp)
    if sp.expand(rewritten) == 0 or sp.cancel(sp.together(_exponentials_named(rewritten))) == 0:
        return True
    return bool(sp.simplify(rewritten) == 0)


def _exponentials_named(e: sp.Expr) -> sp.Expr:
    """exp(X_i) as a positive symbol E_i (exp(2 X_i) as E_i**2), any other exponential as a
    positive symbol of its own: a rational function of these is zero exactly when ``cancel``
    makes it 0 (softmax and cross-entropy are such). Naming exponentials that are related
    (exp(a) and exp(2a)) as independent can only miss a zero, never claim one."""
    names = {
        sp.exp(v): sp.Symbol(f"exp_{v.name}", positive=True)
        for v in sorted(e.free_symbols, key=lambda v: v.name)
    }
    named = e.subs(names) if names else e
    # Exponentials of sums (the logits of a network, in its symbols) are named as they stand.
    rest = sorted(named.atoms(sp.exp), key=sp.default_sort_key)
    return named.xreplace({a: sp.Dummy(positive=True) for a in rest}) if rest else named


def close(a: sp.Expr, b: sp.Expr, at: dict[sp.Symbol, sp.Rational]) -> bool:
    """A numerical screen, not a proof: a and b agree to 30 digits at the point ``at``."""
    difference = sp.N((a - b).xreplace(at), 30)
    scale = 1 + abs(sp.N(a.xreplace(at), 30))
    return bool(abs(difference) <= sp.Float("1e-20", 30) * scale)


def softmax(x: Sequence[sp.Expr]) -> list[sp.Expr]:
    """exp(x_i) / sum_j exp(x_j): the probabilities of one slice, as SymPy expressions."""
    total = sp.Add(*(sp.exp(v) for v in x))
    return [sp.exp(v) / total for v in x]


def screen_points(symbols: Iterable[sp.Symbol]) -> list[dict[sp.Symbol, sp.Rational]]:
    """Three fixed rational points (numerators -200..200 over 97) for ``close``: the same
    screen on every run."""
    names = list(symbols)
    rng = random.Random(0)
    return [{s: sp.Rational(rng.randint(-200, 200), 97) for s in names} for _ in range(3)]
