"""What every proof of an identity between two index forms shares: normalise both sides under
the same assumptions, compare, and write the steps a reader follows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sympy as sp

from . import printing
from .normal import Assumptions, Normal, normal_sum, normalise, rename, same
from .result import Step
from .terms import Expr, Sum, Term

NOTHING_KNOWN = Assumptions({})
"""For showing a term with readable names: no bracket is decided."""


@dataclass(frozen=True)
class Comparison:
    holds: bool
    left: tuple[Normal, ...]
    right: tuple[Normal, ...]


def compare(
    left: Sum, right: Sum, assumptions: Assumptions, slots: Mapping[str, tuple[str, ...]]
) -> Comparison:
    lhs, left_normals = normal_sum(left, assumptions, slots)
    rhs, right_normals = normal_sum(right, assumptions, slots)
    return Comparison(same(lhs, rhs), left_normals, right_normals)


def named(term: Term, free: set[sp.Symbol]) -> Term:
    """The term as written, its summed variables given their own names (primed where a free
    index has the name already)."""
    taken = {s.name for s in free}
    mapping: dict[sp.Symbol, Expr] = {}
    for v in term.over:
        name = v.name
        while name in taken:
            name += "'"
        taken.add(name)
        mapping[v] = sp.Symbol(name, integer=True)
    return rename(term, mapping, tuple(mapping[v] for v in term.over))  # type: ignore[misc]


def shown(term: Term, slots: Mapping[str, tuple[str, ...]]) -> Term:
    """The term with its variables named after their slots, nothing else changed."""
    result = normalise(term, NOTHING_KNOWN, slots).term
    assert result is not None
    return result


def display(label: str, terms: Sequence[Term], free: set[sp.Symbol]) -> tuple[str, ...]:
    """``label &= term`` over aligned lines; several terms joined by +."""
    lines: list[str] = []
    for j, term in enumerate(terms):
        body = printing.term_lines(term, free)
        first = ("&= " if j == 0 else "&\\quad + ") + body[0]
        lines.append((label + " " if j == 0 else "") + first)
        lines += ["&\\qquad " + b for b in body[1:]]
    if not terms:
        lines.append(label + " &= 0")
    return tuple(lines)


def normal_terms(normals: Sequence[Normal]) -> list[Term]:
    return [n.term for n in normals if n.term is not None]


def rewrites(normals: Sequence[Normal], free: set[sp.Symbol]) -> tuple[str, ...]:
    seen: list[str] = []
    for n in normals:
        for r in n.rewrites:
            text = f"{r.kind}:{printing.rewrite(r, free)}"
            if text not in seen:
                seen.append(text)
    return tuple(seen)


def identity_steps(
    label: str,
    left: Sum,
    right: Sum,
    definition: str,
    comparison: Comparison,
    free: set[sp.Symbol],
    slots: Mapping[str, tuple[str, ...]],
) -> list[Step]:
    """The chain rule as written, its normal form, the right side's definition and its normal
    form; the conclusion is the theorem's."""
    return [
        Step("chain", display(label, [named(t, free) for t in left.terms], free)),
        Step(
            "normal-left",
            display(label, normal_terms(comparison.left), free),
            rewrites(comparison.left, free),
        ),
        Step("definition", display(definition, [named(t, free) for t in right.terms], free)),
        Step(
            "normal-right",
            display(definition, normal_terms(comparison.right), free),
            rewrites(comparison.right, free),
        ),
    ]
