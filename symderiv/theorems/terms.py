"""The term language of the proofs for every size: sums over integer variables of products of
tensor entries, guarded by Iverson brackets.

A ``Term`` is ``sum over its variables (each ranging over all integers) of coefficient *
product of factors * product of brackets``; the brackets alone make the sum finite. A factor
is one tensor entry whose indices are affine in the variables, with coefficients that are
polynomials in the sizes (``s*i + d*u - p``). A bracket is ``[e = 0]``, ``[e >= 0]`` or
``[m divides e]``. Index arithmetic is SymPy's; the sums, factors and brackets are ours, so
that every rewrite of a proof is one of the few exact rules of ``normal``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import sympy as sp

Expr = sp.Expr


def integer(name: str) -> sp.Symbol:
    """An index variable or a size: every symbol of this language is an integer."""
    return sp.Symbol(name, integer=True)


def replaced(expr: Expr, mapping: Mapping[sp.Symbol, Expr]) -> Expr:
    """``expr`` with the mapping applied, products multiplied out; untouched (and not
    re-expanded) when it holds none of the mapped symbols, which is most of a proof's work."""
    if mapping.keys().isdisjoint(expr.free_symbols):
        return expr
    renamed = expr.xreplace(mapping)
    # A symbol for a symbol keeps a multiplied-out expression multiplied out.
    if all(isinstance(v, sp.Symbol) for v in mapping.values()):
        return renamed
    return sp.expand_mul(renamed)


@dataclass(frozen=True)
class Factor:
    tensor: str
    index: tuple[Expr, ...]

    def substitute(self, mapping: Mapping[sp.Symbol, Expr]) -> Factor:
        return Factor(self.tensor, tuple(replaced(e, mapping) for e in self.index))


EQ, GE, DIVIDES = "eq", "ge", "divides"


@dataclass(frozen=True)
class Bracket:
    """``[expr = 0]``, ``[expr >= 0]`` or ``[modulus divides expr]``."""

    kind: str
    expr: Expr
    modulus: Expr = sp.Integer(1)

    def substitute(self, mapping: Mapping[sp.Symbol, Expr]) -> Bracket:
        return Bracket(self.kind, replaced(self.expr, mapping), self.modulus)


def equal(left: Expr, right: Expr) -> Bracket:
    return Bracket(EQ, sp.expand_mul(left - right))


def at_least(value: Expr, bound: Expr) -> Bracket:
    return Bracket(GE, sp.expand_mul(value - bound))


def between(value: Expr, low: Expr, high: Expr) -> tuple[Bracket, Bracket]:
    """``low <= value <= high`` as two brackets."""
    return at_least(value, low), at_least(high, value)


def below(value: Expr, size: Expr) -> tuple[Bracket, Bracket]:
    """``0 <= value < size``: a valid index into an axis of that size."""
    return between(value, sp.Integer(0), size - 1)


@dataclass(frozen=True)
class Term:
    over: tuple[sp.Symbol, ...]
    coefficient: Expr
    factors: tuple[Factor, ...]
    brackets: tuple[Bracket, ...] = field(default=())

    def substitute(self, mapping: Mapping[sp.Symbol, Expr]) -> Term:
        """Replace free symbols (sizes, the free indices); the summed variables are kept."""
        assert not set(mapping) & set(self.over), "a summed variable is not substituted"
        return Term(
            self.over,
            replaced(self.coefficient, mapping),
            tuple(f.substitute(mapping) for f in self.factors),
            tuple(b.substitute(mapping) for b in self.brackets),
        )

    def times(self, other: Term) -> Term:
        """The product of two sums: their variables must be distinct."""
        assert not set(self.over) & set(other.over)
        return Term(
            self.over + other.over,
            self.coefficient * other.coefficient,
            self.factors + other.factors,
            self.brackets + other.brackets,
        )

    def guarded(self, brackets: Iterable[Bracket]) -> Term:
        return Term(self.over, self.coefficient, self.factors, self.brackets + tuple(brackets))

    def summed(self, variables: Sequence[sp.Symbol]) -> Term:
        return Term(tuple(variables) + self.over, self.coefficient, self.factors, self.brackets)


@dataclass(frozen=True)
class Sum:
    """A sum of terms: what one element of a gradient, or of a claim's right side, is."""

    terms: tuple[Term, ...]


def entry(tensor: str, *index: Expr) -> Term:
    """One tensor entry as a term: no sum, no bracket."""
    return Term((), sp.Integer(1), (Factor(tensor, tuple(sp.expand_mul(i) for i in index)),))


def constant(value: Expr) -> Term:
    return Term((), sp.sympify(value), ())


def derivative(term: Term, tensor: str, at: Sequence[Expr]) -> Sum:
    """d term / d tensor[at]: the entries are independent variables, so the derivative of one
    entry is 1 exactly where its indices equal ``at`` (one equality bracket per axis), and a
    product is differentiated by the product rule."""
    found = []
    for place, factor in enumerate(term.factors):
        if factor.tensor != tensor:
            continue
        rest = term.factors[:place] + term.factors[place + 1 :]
        brackets = tuple(equal(i, a) for i, a in zip(factor.index, at, strict=True))
        found.append(Term(term.over, term.coefficient, rest, term.brackets + brackets))
    return Sum(tuple(found))


def on_axis(name: str, axis: int, dims: int) -> sp.Symbol:
    """A per-axis symbol: ``h`` with one spatial axis, ``h_1``, ``h_2``, ... with more."""
    return integer(f"{name}_{axis + 1}" if dims > 1 else name)


def free_indices(dims: int, names: str, sizes: Sequence[Expr]) -> dict[sp.Symbol, Expr]:
    """The free indices of a gradient element, each with the size of its axis: ``"n c h"``
    names the leading indices and, last, the spatial one, repeated on every axis."""
    *lead, spatial = names.split()
    symbols = [integer(n) for n in lead] + [on_axis(spatial, j, dims) for j in range(dims)]
    return dict(zip(symbols, sizes, strict=True))


def spatial_slots(slots: Mapping[str, tuple[str, ...]], dims: int) -> dict[str, tuple[str, ...]]:
    """Slot names with the last (spatial) one repeated on every axis: ``i`` -> ``i_1, i_2``."""
    suffixes = [f"_{j + 1}" if dims > 1 else "" for j in range(dims)]
    return {t: (*names[:-1], *(names[-1] + s for s in suffixes)) for t, names in slots.items()}


def fresh(names: Iterable[str]) -> tuple[sp.Symbol, ...]:
    """Summed variables: Dummies, so that two sums never share one by accident of naming."""
    return tuple(sp.Dummy(n, integer=True) for n in names)
