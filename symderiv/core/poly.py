"""Sparse polynomials over SymPy symbols with exact rational coefficients.

Layers such as convolution are polynomial in their inputs, and a derivation touches each term a
handful of times. SymPy's ``Add``/``Mul`` canonicalise on every construction (tens of microseconds
each) and its dense polynomial rings store one exponent per generator (thousands here), so both
make a 64x64 derivation take minutes. A dict from monomial to coefficient is canonical, exact and
cheap: two polynomials are equal exactly when their dicts are equal. ``to_sympy`` hands the result
back to SymPy wherever a SymPy expression is wanted.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from fractions import Fraction
from types import MappingProxyType
from typing import Any

import sympy as sp

Coefficient = Fraction | int
"""Exact: ints while whole, since Fraction arithmetic is ten times slower and the two compare and
hash alike."""
SortKey = Callable[[sp.Symbol], Any]

Monomial = tuple[sp.Symbol, ...]
"""Symbols of one term in a canonical order (by name); a power repeats its symbol."""


_by_name = operator.attrgetter("name")


def _canonical(symbols: Iterable[sp.Symbol]) -> Monomial:
    return tuple(sorted(symbols, key=_by_name))


def _product(m1: Monomial, m2: Monomial) -> Monomial:
    """The canonical product of two canonical monomials (two single symbols, most often)."""
    if len(m1) == 1 and len(m2) == 1:
        return m1 + m2 if m1[0].name <= m2[0].name else m2 + m1
    return _canonical(m1 + m2)


class Poly:
    """An immutable polynomial: a mapping from monomials to non-zero exact coefficients."""

    __slots__ = ("_terms",)
    _terms: Mapping[Monomial, Coefficient]

    def __init__(self, terms: Mapping[Monomial, Coefficient] | None = None) -> None:
        cleaned = {m: c for m, c in (terms or {}).items() if c != 0}
        object.__setattr__(self, "_terms", MappingProxyType(cleaned))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Poly is immutable")

    @staticmethod
    def _trusted(terms: dict[Monomial, Coefficient]) -> Poly:
        """Wrap a dict known to hold no zero coefficient, skipping the check."""
        p = object.__new__(Poly)
        object.__setattr__(p, "_terms", MappingProxyType(terms))
        return p

    @staticmethod
    def symbol(s: sp.Symbol) -> Poly:
        return Poly._trusted({(s,): 1})

    @staticmethod
    def constant(c: Coefficient) -> Poly:
        return Poly({(): c})

    @staticmethod
    def total(polys: Iterable[Poly]) -> Poly:
        acc: dict[Monomial, Coefficient] = {}
        for p in polys:
            for m, c in p._terms.items():
                acc[m] = acc.get(m, 0) + c
        return Poly(acc)

    @staticmethod
    def sum_of_products(pairs: Iterable[tuple[Poly, Poly]]) -> Poly:
        """The sum of a * b over the pairs, accumulated in one pass (the hot path of the ops)."""
        acc: dict[Monomial, Coefficient] = {}
        for a, b in pairs:
            for m1, c1 in a._terms.items():
                for m2, c2 in b._terms.items():
                    m = _product(m1, m2)
                    acc[m] = acc.get(m, 0) + c1 * c2
        return Poly._trusted({m: c for m, c in acc.items() if c != 0})

    def at(self, values: Mapping[sp.Symbol, Coefficient]) -> Coefficient:
        """The exact value with every symbol replaced by its number (each must have one)."""
        total: Coefficient = 0
        for m, c in self._terms.items():
            for s in m:
                c = c * values[s]
            total += c
        return total

    def substitute(self, values: Mapping[sp.Symbol, Poly]) -> Poly:
        """The polynomial with every symbol replaced by a polynomial (each must have one)."""
        return Poly.total(
            _product_of([values[s] for s in m]).scale(c) for m, c in self._terms.items()
        )

    def __iter__(self) -> Iterator[tuple[Monomial, Coefficient]]:
        return iter(self._terms.items())

    def __len__(self) -> int:
        return len(self._terms)

    def __bool__(self) -> bool:
        return bool(self._terms)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Poly):
            return self._terms == other._terms
        return NotImplemented

    def __hash__(self) -> int:
        return hash(frozenset(self._terms.items()))

    def __repr__(self) -> str:
        return f"Poly({self.to_str()})"

    def __add__(self, other: Poly) -> Poly:
        return Poly.total((self, other))

    def __neg__(self) -> Poly:
        return Poly({m: -c for m, c in self._terms.items()})

    def __sub__(self, other: Poly) -> Poly:
        return self + (-other)

    def __mul__(self, other: Poly) -> Poly:
        if len(self._terms) == 1 and len(other._terms) == 1:
            # The common case here (an element times an element) needs no accumulation.
            ((m1, c1),) = self._terms.items()
            ((m2, c2),) = other._terms.items()
            return Poly._trusted({_product(m1, m2): c1 * c2})
        acc: dict[Monomial, Coefficient] = {}
        for m1, c1 in self._terms.items():
            for m2, c2 in other._terms.items():
                m = _product(m1, m2)
                acc[m] = acc.get(m, 0) + c1 * c2
        return Poly(acc)

    def scale(self, factor: Coefficient) -> Poly:
        return Poly({m: c * factor for m, c in self._terms.items()})

    @property
    def free_symbols(self) -> tuple[sp.Symbol, ...]:
        return _canonical({s for m in self._terms for s in m})

    def diff(self, s: sp.Symbol) -> Poly:
        """The exact partial derivative: the power rule, term by term."""
        acc: dict[Monomial, Coefficient] = {}
        for m, c in self._terms.items():
            power = m.count(s)
            if power:
                rest = list(m)
                rest.remove(s)
                key = tuple(rest)
                acc[key] = acc.get(key, 0) + c * power
        return Poly(acc)

    def partials(self) -> dict[sp.Symbol, Poly]:
        """Every non-zero first partial derivative, found in one pass over the terms."""
        acc: dict[sp.Symbol, dict[Monomial, Coefficient]] = {}
        for m, c in self._terms.items():
            for position, s in enumerate(m):
                if position and m[position - 1] == s:
                    continue  # a power: handled at its first factor
                power = m.count(s)
                rest = m[:position] + m[position + 1 :]
                into = acc.setdefault(s, {})
                into[rest] = into.get(rest, 0) + c * power
        return {s: Poly._trusted(terms) for s, terms in acc.items()}

    def to_sympy(self) -> sp.Expr:
        return sp.Add(
            *(
                sp.Rational(c.numerator, c.denominator) * sp.Mul(*m)
                for m, c in sorted(self._terms.items(), key=_term_key)
            )
        )

    def to_str(self, order: SortKey | None = None) -> str:
        """A SymPy-parsable string, terms in the order of ``ordered_terms``."""
        if not self._terms:
            return "0"
        text = " + ".join(_term_str(m, c) for m, c in self.ordered_terms(order))
        return text.replace("+ -", "- ")

    def ordered_terms(self, order: SortKey | None = None) -> list[tuple[Monomial, Coefficient]]:
        """Terms with their factors sorted by ``order`` (default: by name), then sorted by those
        factors' keys: a reading order, where the canonical order only needs to be fixed."""
        key = order or _by_name
        keyed = [(tuple(sorted(m, key=key)), c) for m, c in self._terms.items()]
        return sorted(keyed, key=lambda mc: [key(s) for s in mc[0]])


def _product_of(factors: list[Poly]) -> Poly:
    result = Poly.constant(1)
    for f in factors:
        result = result * f
    return result


def _term_key(mc: tuple[Monomial, Coefficient]) -> tuple[str, ...]:
    return tuple(s.name for s in mc[0])


def _term_str(m: Monomial, c: Coefficient) -> str:
    factors = [s.name for s in m]
    if c == 1 and factors:
        return "*".join(factors)
    if c == -1 and factors:
        return "-" + "*".join(factors)
    return "*".join([str(c), *factors]) if factors else str(c)


ZERO = Poly()
