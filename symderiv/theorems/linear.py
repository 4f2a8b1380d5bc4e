"""The linear layer's theorem, Y = X W^T + b, for every batch size and width."""

from __future__ import annotations

import sympy as sp

from .normal import Assumptions, nonnegative_symbol
from .proofs import compare, identity_steps
from .result import Theorem
from .terms import Sum, below, derivative, entry, fresh, integer

SLOTS = {"G": ("n", "o"), "W": ("o", "i"), "X": ("n", "i")}
SIZES = {"n": "N", "i": "I", "o": "O"}


def _assumptions(free: dict[sp.Symbol, sp.Expr]) -> Assumptions:
    sizes = Assumptions({integer(s): 1 + nonnegative_symbol(s) for s in SIZES.values()})
    return sizes.with_indices(free)


def _forward(n: sp.Expr, o: sp.Expr) -> Sum:
    (i,) = fresh("i")
    product = entry("X", n, i).times(entry("W", o, i)).summed((i,)).guarded(below(i, integer("I")))
    return Sum((product, entry("b", o)))


def _gradient(tensor: str, at: tuple[sp.Expr, ...]) -> Sum:
    n, o = fresh("no")
    ranges = [*below(n, integer("N")), *below(o, integer("O"))]
    terms = []
    for forward in _forward(n, o).terms:
        for local in derivative(forward, tensor, at).terms:
            terms.append(entry("G", n, o).times(local).summed((n, o)).guarded(ranges))
    return Sum(tuple(terms))


def _matmul(left: tuple[str, ...], right: tuple[str, ...], at: tuple[sp.Expr, ...]) -> Sum:
    """(A B)[r, c] = sum_k A[r, k] B[k, c]: ``left`` and ``right`` name each tensor, where its
    axes take r, c or the summed k, and the size k runs over; a transpose is a swapped spec."""
    (k,) = fresh("k")
    a = entry(left[0], *(at[0] if x == "r" else k for x in left[1:3]))
    b = entry(right[0], *(k if x == "k" else at[1] for x in right[1:3]))
    return Sum((a.times(b).summed((k,)).guarded(below(k, integer(SIZES[left[3]]))),))


def theorem() -> Theorem:
    n, i, o = integer("n"), integer("i"), integer("o")
    cases = (
        (
            "X",
            {n: integer("N"), i: integer("I")},
            ("G", "r", "k", "o"),
            ("W", "k", "c", "o"),
            "\\frac{\\partial L}{\\partial X_{n,i}}",
            "(G\\,W)_{n,i}",
        ),
        (
            "W",
            {o: integer("O"), i: integer("I")},
            ("G", "k", "r", "n"),
            ("X", "k", "c", "n"),
            "\\frac{\\partial L}{\\partial W_{o,i}}",
            "(G^{\\top} X)_{o,i}",
        ),
    )
    holds, steps, checks = True, [], 0
    for tensor, free, left, right, label, definition in cases:
        lhs = _gradient(tensor, tuple(free))
        rhs = _matmul(left, right, tuple(free))
        comparison = compare(lhs, rhs, _assumptions(free), SLOTS)
        holds, checks = holds and comparison.holds, checks + 1
        steps += identity_steps(label, lhs, rhs, definition, comparison, set(free), SLOTS)
    (m,) = fresh("n")
    bias = _gradient("b", (o,))
    total = Sum((entry("G", m, o).summed((m,)).guarded(below(m, integer("N"))),))
    comparison = compare(bias, total, _assumptions({o: integer("O")}), SLOTS)
    holds, checks = holds and comparison.holds, checks + 1
    steps += identity_steps(
        "\\frac{\\partial L}{\\partial b_{o}}",
        bias,
        total,
        "\\textstyle\\sum_n G_{n,o}",
        comparison,
        {o},
        SLOTS,
    )
    return Theorem(
        "linear",
        "linear",
        (
            "Y = X W^{\\top} + b,\\quad G = \\frac{\\partial L}{\\partial Y}",
            "\\frac{\\partial L}{\\partial X} = G\\,W,\\qquad \\frac{\\partial L}{\\partial W} = "
            "G^{\\top} X,\\qquad "
            "\\frac{\\partial L}{\\partial b} = \\textstyle\\sum_n G_{n,\\cdot}",
        ),
        ("X \\in \\mathbb{R}^{N \\times I},\\ W \\in \\mathbb{R}^{O \\times I},\\ N, I, O \\ge 1",),
        tuple(steps),
        holds,
        (),
        checks,
    )


THEOREMS = {"linear": theorem}
