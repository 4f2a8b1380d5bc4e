"""Sparse polynomials with exact rational coefficients, over variables interned as small integers.

Layers such as convolution are polynomial in their inputs, and a derivation touches each term a
handful of times. SymPy's ``Add``/``Mul`` canonicalise on every construction (tens of microseconds
each) and its dense polynomial rings store one exponent per generator (thousands here), so both
make a 64x64 derivation take minutes. A dict from monomial to coefficient is canonical, exact and
cheap: two polynomials are equal exactly when their dicts are equal.

A monomial is a sorted tuple of variable ids, not of SymPy symbols: hashing a tuple of ints and
comparing two ints happen in C, where a symbol's hash and name are Python-level calls, and the
hot path (``sum_of_products``) does nothing else. Each symbol is interned once (``variable``) in
one table that keeps its SymPy symbol and name; everything a caller sees (``__iter__``,
``ordered_terms``, ``partials``, ``free_symbols``, ``to_sympy``) is spelled in symbols again, with
the factors of each term in name order. Only the bulk paths read the ids: ``core.products`` and
``core.incidence`` (whole grids as integer arrays) and a document's ``Notation``
(``reading_order``), which keeps each variable's reading rank and LaTeX by id. Tensor elements
are interned by name (``plain_symbols``), so every derivation in a process shares their symbols.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from fractions import Fraction
from typing import Any

import sympy as sp

Coefficient = Fraction | int
"""Exact: ints while whole, since Fraction arithmetic is ten times slower and the two compare and
hash alike."""
SortKey = Callable[[sp.Symbol], Any]

Monomial = tuple[sp.Symbol, ...]
"""The symbols of one term, as callers see them: in name order; a power repeats its symbol."""
_Ids = tuple[int, ...]
"""A monomial inside a polynomial: variable ids in increasing order."""

_SYMBOLS: list[sp.Symbol] = []
_NAMES: list[str] = []
_IDS: dict[sp.Symbol, int] = {}
_SINGLES: list[Poly] = []
"""The interning table: a variable's id indexes its symbol, its name and the polynomial that is
the variable alone (shared, since a derivation wraps every tensor element once per use). It only
grows: a process keeps each distinct symbol it has seen (element names repeat between
derivations, so this is bounded by the largest tensors, about 450 bytes per element), and ids
mean nothing outside the process."""


def variable(s: sp.Symbol) -> int:
    """The id of a symbol, interned on first sight."""
    found = _IDS.get(s)
    if found is None:
        found = _IDS[s] = len(_SYMBOLS)
        _SYMBOLS.append(s)
        _NAMES.append(s.name)
        single = Poly._trusted({(found,): 1})
        object.__setattr__(single, "_variable", found)
        _SINGLES.append(single)
    return found


_PLAIN: dict[str, int] = {}
"""The ids of symbols without assumptions, by name (see ``plain_symbols``)."""


def plain_symbols(names: Iterable[str]) -> list[sp.Symbol]:
    """Symbols without assumptions, by name, each interned: a name seen before gives the same
    object again. SymPy's own cache keeps only recent symbols, and an equal but new object is
    compared with the stored one by SymPy's Python-level equality at every lookup; a tensor's
    elements are looked up several times per derivation, and again by the next one."""
    symbols = []
    for name in names:
        v = _PLAIN.get(name)
        if v is None:
            v = _PLAIN[name] = variable(sp.Symbol(name))
        symbols.append(_SYMBOLS[v])
    return symbols


_name_of = _NAMES.__getitem__


def symbol_of(v: int) -> sp.Symbol:
    """The symbol a variable id stands for."""
    return _SYMBOLS[v]


def _by_name(m: _Ids) -> _Ids:
    """The factors in name order, the order every caller sees (ids follow first sight)."""
    if len(m) < 2:
        return m
    if len(m) == 2:
        a, b = m
        return m if _NAMES[a] <= _NAMES[b] else (b, a)
    return tuple(sorted(m, key=_name_of))


def _symbols(m: _Ids) -> Monomial:
    return tuple(_SYMBOLS[i] for i in _by_name(m))


def _product(m1: _Ids, m2: _Ids) -> _Ids:
    """The canonical product of two canonical monomials (two single variables, most often)."""
    if len(m1) == 1 and len(m2) == 1:
        return m1 + m2 if m1[0] <= m2[0] else m2 + m1
    return tuple(sorted(m1 + m2))


def _cleaned(terms: dict[_Ids, Coefficient]) -> Poly:
    return Poly._trusted({m: c for m, c in terms.items() if c != 0})


class Poly:
    """An immutable polynomial: a mapping from monomials to non-zero exact coefficients."""

    __slots__ = ("_terms", "_variable")
    _terms: dict[_Ids, Coefficient]
    """Never changed after construction: a plain dict, read in the hot path without a proxy."""
    _variable: int
    """The variable's id when the polynomial is one variable with coefficient 1, else -1."""

    def __init__(self, terms: Mapping[Monomial, Coefficient] | None = None) -> None:
        """From monomials spelled in symbols (in any order) to their coefficients."""
        acc: dict[_Ids, Coefficient] = {}
        for m, c in (terms or {}).items():
            key = tuple(sorted(variable(s) for s in m))
            acc[key] = acc.get(key, 0) + c
        object.__setattr__(self, "_terms", {m: c for m, c in acc.items() if c})
        object.__setattr__(self, "_variable", -1)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Poly is immutable")

    @staticmethod
    def _trusted(terms: dict[_Ids, Coefficient]) -> Poly:
        """Wrap a dict known to hold no zero coefficient, skipping the check."""
        p = object.__new__(Poly)
        object.__setattr__(p, "_terms", terms)
        object.__setattr__(p, "_variable", -1)
        return p

    @staticmethod
    def symbol(s: sp.Symbol) -> Poly:
        return _SINGLES[variable(s)]

    @staticmethod
    def constant(c: Coefficient) -> Poly:
        return _cleaned({(): c})

    @staticmethod
    def total(polys: Iterable[Poly]) -> Poly:
        acc: dict[_Ids, Coefficient] = {}
        for p in polys:
            for m, c in p._terms.items():
                acc[m] = acc.get(m, 0) + c
        return _cleaned(acc)

    @staticmethod
    def sum_of_products(pairs: Iterable[tuple[Poly, Poly]]) -> Poly:
        """The sum of a * b over the pairs, accumulated in one pass (the hot path of the ops)."""
        acc: dict[_Ids, Coefficient] = {}
        get = acc.get
        positive = True  # while every product was of two variables, nothing can cancel
        for a, b in pairs:
            va, vb = a._variable, b._variable
            if va >= 0 and vb >= 0:  # two variables, the common case: no loops, no sort
                m = (va, vb) if va <= vb else (vb, va)
                acc[m] = get(m, 0) + 1
                continue
            positive = False
            for m1, c1 in a._terms.items():
                for m2, c2 in b._terms.items():
                    m = _product(m1, m2)
                    acc[m] = get(m, 0) + c1 * c2
        return Poly._trusted(acc) if positive else _cleaned(acc)

    @staticmethod
    def pullback(elements: Iterable[tuple[Poly, Poly]], wanted: Iterable[int]) -> dict[int, Poly]:
        """For each wanted variable v, the sum over (element, weight) of weight * d element/dv:
        the chain rule's gradients, accumulated straight from the elements' terms without
        building each local derivative as a polynomial of its own. Terms are added in the order
        the elements and their terms come, as summing weight * partial would add them."""
        acc: dict[int, dict[_Ids, Coefficient]] = {v: {} for v in wanted}
        positive = True  # while every contribution was positive, nothing can cancel
        for element, weight in elements:
            w = weight._variable
            for m, c in element._terms.items():
                if len(m) == 2 and m[0] != m[1] and w >= 0 and c > 0:
                    # A product of two variables, weighted by a variable: the common case.
                    a, b = m
                    into = acc.get(a)
                    if into is not None:
                        key = (w, b) if w <= b else (b, w)
                        into[key] = into.get(key, 0) + c
                    into = acc.get(b)
                    if into is not None:
                        key = (w, a) if w <= a else (a, w)
                        into[key] = into.get(key, 0) + c
                    continue
                positive = False
                for position, v in enumerate(m):
                    into = acc.get(v)
                    if into is None or (position and m[position - 1] == v):
                        continue  # not wanted, or a power handled at its first factor
                    rest = m[:position] + m[position + 1 :]
                    power = c * m.count(v)
                    for wm, wc in weight._terms.items():
                        key = _product(rest, wm)
                        into[key] = into.get(key, 0) + power * wc
        if positive:
            return {v: Poly._trusted(terms) for v, terms in acc.items()}
        return {v: _cleaned(terms) for v, terms in acc.items()}

    def at(self, values: Mapping[sp.Symbol, Coefficient]) -> Coefficient:
        """The exact value with every symbol replaced by its number (each must have one)."""
        total: Coefficient = 0
        for m, c in self._terms.items():
            for i in m:
                c = c * values[_SYMBOLS[i]]
            total += c
        return total

    def substitute(self, values: Mapping[sp.Symbol, Poly]) -> Poly:
        """The polynomial with every symbol replaced by a polynomial (each must have one)."""
        return Poly.total(
            _product_of([values[_SYMBOLS[i]] for i in m]).scale(c) for m, c in self._terms.items()
        )

    def replaced(self, s: sp.Symbol, by: Poly) -> Poly:
        """The polynomial with one symbol replaced by a polynomial, the others kept."""
        v = _IDS.get(s)
        kept: dict[_Ids, Coefficient] = {}
        replaced = []
        for m, c in self._terms.items():
            power = m.count(v) if v is not None else 0
            if not power:
                kept[m] = c
                continue
            rest = Poly._trusted({tuple(x for x in m if x != v): c})
            for _ in range(power):
                rest = rest * by
            replaced.append(rest)
        if not replaced:
            return self
        return Poly.total([Poly._trusted(kept), *replaced])

    def terms_by_id(self) -> Mapping[_Ids, Coefficient]:
        """The terms as they are stored: each monomial a tuple of variable ids in increasing
        order (for bulk representations such as ``core.products``; not to be changed)."""
        return self._terms

    @staticmethod
    def lone_variables(polys: Sequence[Poly]) -> list[int] | None:
        """Each polynomial's variable id, -1 for zero; None unless each is a single variable
        with coefficient 1 or zero (the arrays a convolution's operands are)."""
        ids = [p._variable for p in polys]
        for position, v in enumerate(ids):
            if v < 0:
                terms = polys[position]._terms
                if not terms:
                    ids[position] = -1
                    continue
                if len(terms) != 1:
                    return None
                ((m, c),) = terms.items()
                if len(m) != 1 or c != 1:
                    return None
                ids[position] = m[0]
        return ids

    def __iter__(self) -> Iterator[tuple[Monomial, Coefficient]]:
        return ((_symbols(m), c) for m, c in self._terms.items())

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
        return Poly._trusted({m: -c for m, c in self._terms.items()})

    def __sub__(self, other: Poly) -> Poly:
        return self + (-other)

    def __mul__(self, other: Poly) -> Poly:
        if len(self._terms) == 1 and len(other._terms) == 1:
            # The common case here (an element times an element) needs no accumulation.
            ((m1, c1),) = self._terms.items()
            ((m2, c2),) = other._terms.items()
            return Poly._trusted({_product(m1, m2): c1 * c2})
        return Poly.sum_of_products(((self, other),))

    def scale(self, factor: Coefficient) -> Poly:
        return _cleaned({m: c * factor for m, c in self._terms.items()})

    @property
    def free_symbols(self) -> tuple[sp.Symbol, ...]:
        return tuple(sorted((_SYMBOLS[i] for i in self.variables()), key=_name))

    def variables(self) -> set[int]:
        """The ids of the variables the polynomial holds."""
        return {v for m in self._terms for v in m}

    def diff(self, s: sp.Symbol) -> Poly:
        """The exact partial derivative: the power rule, term by term."""
        v = _IDS.get(s)
        acc: dict[_Ids, Coefficient] = {}
        for m, c in self._terms.items():
            power = m.count(v) if v is not None else 0
            if power:
                rest = list(m)
                rest.remove(v)
                key = tuple(rest)
                acc[key] = acc.get(key, 0) + c * power
        return _cleaned(acc)

    def partials(self) -> dict[sp.Symbol, Poly]:
        """Every non-zero first partial derivative, found in one pass over the terms, in the
        order their variables first appear (the factors of a term read in name order)."""
        return {_SYMBOLS[v]: p for v, p in self.variable_partials().items()}

    def variable_partials(self) -> dict[int, Poly]:
        """``partials`` keyed by variable id, for callers that look many of them up."""
        acc: dict[int, dict[_Ids, Coefficient]] = {}
        for m, c in self._terms.items():
            # Read in name order, so the variables come in the order a reader meets them; the
            # factors of a power stay adjacent.
            reading = _by_name(m)
            for position, v in enumerate(reading):
                if position and reading[position - 1] == v:
                    continue  # a power: handled at its first factor
                at = m.index(v)
                rest = m[:at] + m[at + 1 :]
                into = acc.get(v)
                if into is None:
                    into = acc[v] = {}
                into[rest] = into.get(rest, 0) + c * m.count(v)
        # No cancellation: for one v, distinct terms leave distinct rests.
        return {v: Poly._trusted(terms) for v, terms in acc.items()}

    def to_sympy(self) -> sp.Expr:
        return sp.Add(
            *(
                sp.Rational(c.numerator, c.denominator) * sp.Mul(*m)
                for m, c in sorted(self, key=_term_key)
            )
        )

    def to_str(self, order: SortKey | None = None, rank: Mapping[int, Any] | None = None) -> str:
        """A SymPy-parsable string, terms in the order of ``ordered_terms`` (or of
        ``reading_order`` when a rank by variable id is given)."""
        if not self._terms:
            return "0"
        if rank is not None:
            terms = (_ids_str(m, c) for m, c in self.reading_order(rank))
        else:
            terms = (_term_str(tuple(s.name for s in m), c) for m, c in self.ordered_terms(order))
        return " + ".join(terms).replace("+ -", "- ")

    def reading_order(self, rank: Mapping[int, Any]) -> list[tuple[_Ids, Coefficient]]:
        """``ordered_terms`` for an order given per variable id (every variable must have a
        rank): each term's factors sorted by rank, then the terms by their factors' ranks. The
        factors stay ids, so a document spells its terms without touching a symbol."""
        keyed = []
        for m, c in self._terms.items():
            if len(m) == 2:  # the common case, without a sort
                a, b = m
                ra, rb = rank[a], rank[b]
                keyed.append(((ra, rb), m, c) if ra <= rb else ((rb, ra), (b, a), c))
            else:
                factors = tuple(sorted(m, key=rank.__getitem__))
                keyed.append((tuple(rank[v] for v in factors), factors, c))
        keyed.sort(key=_first)
        return [(m, c) for _, m, c in keyed]

    def ordered_terms(self, order: SortKey | None = None) -> list[tuple[Monomial, Coefficient]]:
        """Terms with their factors sorted by ``order`` (default: by name), then sorted by those
        factors' keys: a reading order, where the canonical order only needs to be fixed."""
        key = order or _name
        keyed = [(tuple(sorted(m, key=key)), c) for m, c in self]
        return sorted(keyed, key=lambda mc: [key(s) for s in mc[0]])


_name = operator.attrgetter("name")
_first = operator.itemgetter(0)


def _product_of(factors: list[Poly]) -> Poly:
    result = Poly.constant(1)
    for f in factors:
        result = result * f
    return result


def _term_key(mc: tuple[Monomial, Coefficient]) -> tuple[str, ...]:
    return tuple(s.name for s in mc[0])


def _ids_str(m: _Ids, c: Coefficient) -> str:
    return _term_str(tuple(_NAMES[v] for v in m), c)


def _term_str(names: tuple[str, ...], c: Coefficient) -> str:
    factors = list(names)
    if c == 1 and factors:
        return "*".join(factors)
    if c == -1 and factors:
        return "-" + "*".join(factors)
    return "*".join([str(c), *factors]) if factors else str(c)


ZERO = Poly()
