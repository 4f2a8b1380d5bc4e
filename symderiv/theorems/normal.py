"""The normaliser: rewrites a term into a canonical form by exact rules only, so that two
terms with the same normal form are equal for every size.

The rules, each an equality over the integers:
- change of summation variable: ``v -> +-(w - rest)`` is a bijection of the integers, used
  to make a variable the index of the tensor slot it feeds (``sum_u G[h - u]`` becomes
  ``sum_w G[w]``);
- collapse: ``sum_v [c*v + rest = 0] f(v) = f(-rest/c)`` when ``c`` is 1 or -1;
- a bracket that the assumptions (sizes positive, indices in range) decide is dropped (true)
  or makes the term 0 (false); one implied by another bracket of the term is dropped;
- an integer inequality divided by the whole-number content of its variable part, its
  constant floored.

Names: each summed variable is named after the first tensor slot it indexes (``i`` for the
output position, ``u`` for the kernel's), so that equal terms print, and compare, the same.
The normaliser is sound and not complete: "not equal" only means "not shown equal here".
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass

import sympy as sp

from .terms import DIVIDES, EQ, GE, Bracket, Expr, Sum, Term, replaced


@dataclass(frozen=True)
class Assumptions:
    """What is known about the sizes and the free indices: ``substitution`` writes each one
    through symbols that are only known to be >= 0 (``s -> 1 + s0``, ``a -> a0`` with
    ``s -> a0 + 1 + s1``), and ``atoms`` are further expressions known to be >= 0."""

    substitution: Mapping[sp.Symbol, Expr]
    atoms: tuple[Expr, ...] = ()

    def nonnegative(self, expr: Expr) -> bool:
        return _nonnegative(self, sp.expand_mul(expr))

    def with_indices(self, free: Mapping[sp.Symbol, Expr]) -> Assumptions:
        """These assumptions and each free index in [0, its size)."""
        sub = dict(self.substitution)
        for index in free:
            sub[index] = nonnegative_symbol(index.name + "_")
        return Assumptions(sub, (*self.atoms, *(size - 1 - i for i, size in free.items())))

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


@functools.lru_cache(maxsize=65536)
def _nonnegative(assumptions: Assumptions, expr: Expr) -> bool:
    return _known_nonnegative(assumptions, _polynomial(assumptions, expr))


@functools.lru_cache(maxsize=65536)
def _polynomial(assumptions: Assumptions, expr: Expr) -> Polynomial:
    """``expr`` written through the nonnegative symbols, once per expression: a difference
    of two brackets is then the difference of their polynomials, with no SymPy arithmetic.
    (Callers never mutate it: ``_add`` and ``_times`` build new dictionaries.)"""
    return _written(expr, _table(assumptions))


def _known_nonnegative(assumptions: Assumptions, written: Polynomial) -> bool:
    """A sufficient test: the polynomial, or it minus one atom, has nonnegative coefficients
    on nonnegative symbols only."""
    bad = next((m for m, c in written.items() if c < 0 or _unknown(m)), None)
    if bad is None:
        return True
    # Subtracting an atom can only help when the atom holds that monomial: a quick filter.
    return any(
        bad in atom and _plainly_nonnegative(_add(written, atom, -1))
        for atom in _atoms(assumptions)
    )


def _unknown(monomial: tuple[tuple[str, int], ...]) -> bool:
    return any(name.startswith("?") for name, _ in monomial)


# Polynomials as {monomial: integer coefficient}, a monomial a sorted tuple of (name, power):
# SymPy's expand and Poly would cost a thousand times more for these few small sign tests.
Polynomial = dict[tuple[tuple[str, int], ...], int]


@functools.lru_cache(maxsize=64)
def _table(assumptions: Assumptions) -> dict[sp.Basic, Polynomial]:
    return {k: _written(v, {}) for k, v in assumptions.substitution.items()}


@functools.lru_cache(maxsize=64)
def _atoms(assumptions: Assumptions) -> tuple[Polynomial, ...]:
    table = _table(assumptions)
    return tuple(_written(sp.expand_mul(a), table) for a in assumptions.atoms)


def _written(expr: Expr, table: Mapping[sp.Basic, Polynomial]) -> Polynomial:
    result: Polynomial = {}
    for monomial, coefficient in sp.expand_mul(expr).as_coefficients_dict().items():
        term: Polynomial = {(): int(coefficient) if coefficient.is_Integer else 0}
        if not coefficient.is_Integer:
            # A fraction is outside these tests: an unknown of its own, named by the whole
            # monomial (srepr tells two Dummies of one name apart), so that only the same
            # fraction of the same monomial cancels it.
            term = {((f"?{coefficient}*{sp.srepr(monomial)}", 1),): 1}
            monomial = sp.Integer(1)
        if monomial != 1:
            for base, power in monomial.as_powers_dict().items():
                factor = table.get(base) or {((_name(base), 1),): 1}
                for _ in range(int(power)):
                    term = _times(term, factor)
        result = _add(result, term, 1)
    return result


def _name(symbol: sp.Basic) -> str:
    """A nonnegative symbol's name; any other symbol is unknown ("?"), and each Dummy keeps
    its own identity (two Dummies named u are two variables)."""
    if isinstance(symbol, sp.Dummy):
        return f"?{symbol.name}#{symbol.dummy_index}"
    if isinstance(symbol, sp.Symbol) and symbol.name.endswith("\u2080"):
        return symbol.name
    return f"?{symbol}"


def _times(a: Polynomial, b: Polynomial) -> Polynomial:
    result: Polynomial = {}
    for ma, ca in a.items():
        for mb, cb in b.items():
            powers = dict(ma)
            for name, power in mb:
                powers[name] = powers.get(name, 0) + power
            key = tuple(sorted(powers.items()))
            result[key] = result.get(key, 0) + ca * cb
    return {k: v for k, v in result.items() if v}


def _add(a: Polynomial, b: Polynomial, sign: int) -> Polynomial:
    result = dict(a)
    for m, c in b.items():
        result[m] = result.get(m, 0) + sign * c
    return {k: v for k, v in result.items() if v}


def _plainly_nonnegative(poly: Polynomial) -> bool:
    return all(c >= 0 and all(not name.startswith("?") for name, _ in m) for m, c in poly.items())


def nonnegative_symbol(name: str) -> sp.Symbol:
    """A symbol the sign test reads as >= 0 (its name ends in a subscript zero)."""
    return sp.Symbol(f"{name}\u2080", integer=True, nonnegative=True)


@dataclass(frozen=True)
class Rewrite:
    """One step of a normalisation, for the written proof: ``collapse`` (a sum over
    ``variable`` taken at ``value``), ``true`` (a bracket the assumptions decide),
    ``implied`` (a bracket implied by ``by``), ``zero`` (a bracket that cannot hold)."""

    kind: str
    bracket: Bracket | None = None
    variable: sp.Symbol | None = None
    value: Expr | None = None
    by: Bracket | None = None


@dataclass(frozen=True)
class Normal:
    term: Term | None
    """None: the term is 0."""
    rewrites: tuple[Rewrite, ...]


def normalise(term: Term, assumptions: Assumptions, slots: Mapping[str, tuple[str, ...]]) -> Normal:
    rewrites: list[Rewrite] = []
    current: Term | None = term
    while True:
        current = _tidy(current, assumptions, rewrites)
        if current is None:
            return Normal(None, tuple(rewrites))
        current = _claim(current, slots)
        found = _collapsible(current)
        if found is None:
            return Normal(_ordered(current), tuple(rewrites))
        bracket, variable, value = found
        rewrites.append(Rewrite("collapse", bracket, variable, value))
        current = Term(
            tuple(v for v in current.over if v != variable),
            replaced(current.coefficient, {variable: value}),
            tuple(f.substitute({variable: value}) for f in current.factors),
            tuple(b.substitute({variable: value}) for b in current.brackets if b != bracket),
        )


def normal_sum(
    total: Sum, assumptions: Assumptions, slots: Mapping[str, tuple[str, ...]]
) -> tuple[dict[tuple[object, ...], Expr], tuple[Normal, ...]]:
    """The terms' normal forms, equal ones merged: {(variables, factors, brackets): coefficient}."""
    merged: dict[tuple[object, ...], Expr] = {}
    normals = tuple(normalise(t, assumptions, slots) for t in total.terms)
    for n in normals:
        if n.term is None:
            continue
        key = (n.term.over, n.term.factors, n.term.brackets)
        merged[key] = sp.expand_mul(merged.get(key, sp.Integer(0)) + n.term.coefficient)
    return {k: v for k, v in merged.items() if v != 0}, normals


def same(left: Mapping[tuple[object, ...], Expr], right: Mapping[tuple[object, ...], Expr]) -> bool:
    return set(left) == set(right) and all(sp.simplify(left[k] - right[k]) == 0 for k in left)


def _tidy(term: Term, assumptions: Assumptions, rewrites: list[Rewrite]) -> Term | None:
    kept: list[Bracket] = []
    for bracket in term.brackets:
        settled = _canonical(bracket, assumptions)
        if settled is True:
            rewrites.append(Rewrite("true", bracket))
        elif settled is False:
            rewrites.append(Rewrite("zero", bracket))
            return None
        elif settled not in kept:
            kept.append(settled)
    kept.sort(key=_bracket_key)
    final = list(kept)
    for bracket in kept:
        if bracket.kind != GE:
            continue
        by = next(
            (
                other
                for other in final
                if other is not bracket
                and (other.kind == GE or other.kind == EQ)
                and _implies(other, bracket, assumptions)
            ),
            None,
        )
        if by is not None:
            rewrites.append(Rewrite("implied", bracket, by=by))
            final.remove(bracket)
    return Term(term.over, term.coefficient, term.factors, tuple(final))


def _implies(known: Bracket, bracket: Bracket, assumptions: Assumptions) -> bool:
    """[known] implies [bracket >= 0]: their difference is >= 0 (an equality either way)."""
    value = _polynomial(assumptions, bracket.expr)
    given = _polynomial(assumptions, known.expr)
    if _known_nonnegative(assumptions, _add(value, given, -1)):
        return True
    return known.kind == EQ and _known_nonnegative(assumptions, _add(value, given, 1))


def _ordered(term: Term) -> Term:
    """Factors by tensor, brackets by kind and expression: one order for equal terms."""
    factors = sorted(
        term.factors, key=lambda f: (f.tensor, [sp.default_sort_key(e) for e in f.index])
    )
    return Term(
        term.over, term.coefficient, tuple(factors), tuple(sorted(term.brackets, key=_bracket_key))
    )


def _bracket_key(bracket: Bracket) -> tuple[object, ...]:
    return (bracket.kind, sp.default_sort_key(bracket.expr), sp.default_sort_key(bracket.modulus))


@functools.lru_cache(maxsize=65536)
def _canonical(bracket: Bracket, assumptions: Assumptions) -> Bracket | bool:
    """A bracket decided (True, False) or in its one spelling; the same bracket recurs at every
    round of a normalisation, so it is settled once."""
    expr = sp.expand_mul(bracket.expr)
    if bracket.kind == DIVIDES:
        if bracket.modulus == 1 or expr == 0:
            return True
        return Bracket(DIVIDES, expr, bracket.modulus)
    if expr.is_Number:
        return bool(expr == 0) if bracket.kind == EQ else bool(expr >= 0)
    constant, variable = expr.as_independent(*_symbols(expr), as_Add=True)
    content = _integer_content(variable)
    if bracket.kind == EQ:
        if content > 1 and constant.is_Integer and constant % content == 0:
            expr = sp.expand_mul(expr / content)
        elif content > 1 and constant.is_Integer:
            return False
        flipped = sp.expand_mul(-expr)
        if sp.default_sort_key(flipped) < sp.default_sort_key(expr):
            expr = flipped
        if assumptions.nonnegative(expr - 1) or assumptions.nonnegative(-expr - 1):
            return False
        return Bracket(EQ, expr)
    if content > 1 and constant.is_Integer:
        expr = sp.expand_mul(variable / content + sp.floor(constant / content))
    if assumptions.nonnegative(expr):
        return True
    if assumptions.nonnegative(-expr - 1):
        return False
    return Bracket(GE, expr)


def _symbols(expr: Expr) -> list[sp.Symbol]:
    return sorted(expr.free_symbols, key=str)


def _integer_content(expr: Expr) -> int:
    if expr == 0:
        return 0
    coefficients = expr.as_coefficients_dict().values()
    if not all(c.is_Integer for c in coefficients):
        return 1
    return math.gcd(*(int(c) for c in coefficients))


def _collapsible(term: Term) -> tuple[Bracket, sp.Symbol, Expr] | None:
    """An equality that fixes a summed variable with coefficient 1 or -1; the last variable
    in the canonical order goes first, so that the slots named first keep their names."""
    for bracket in term.brackets:
        if bracket.kind != EQ:
            continue
        for variable in reversed(term.over):
            c = bracket.expr.coeff(variable)
            if c in (1, -1):
                return bracket, variable, sp.expand_mul(-(bracket.expr - c * variable) / c)
    return None


def _claim(term: Term, slots: Mapping[str, tuple[str, ...]]) -> Term:
    """Rename the summed variables canonically: each becomes the index of the first slot (in
    tensor order) whose index it enters with coefficient 1 or -1, by a change of variable."""
    dummies = {v: sp.Dummy(v.name, integer=True) for v in term.over}
    current = rename(term, dummies, tuple(dummies.values()))
    unclaimed = list(current.over)
    named: list[tuple[sp.Symbol, str]] = []
    order = sorted(range(len(current.factors)), key=lambda j: current.factors[j].tensor)
    for j in order:
        for slot in range(len(current.factors[j].index)):
            index = current.factors[j].index[slot]
            candidates = [v for v in unclaimed if index.coeff(v) in (1, -1)]
            if not candidates:
                continue
            v = candidates[0]
            if len(candidates) > 1:
                v = min(candidates, key=lambda c: _signature(current, c))
            c = index.coeff(v)
            w = sp.Dummy("w", integer=True)
            value = sp.expand_mul(c * (w - (index - c * v)))
            over = tuple(w if x == v else x for x in current.over)
            current = rename(current, {v: value}, over)
            unclaimed.remove(v)
            name = slots.get(current.factors[j].tensor, ())
            named.append((w, name[slot] if slot < len(name) else "j"))
    for v in sorted(unclaimed, key=lambda c: _signature(current, c)):
        named.append((v, "j"))
    reserved = {s.name for s in _free(current)}
    final: dict[sp.Symbol, sp.Symbol] = {}
    for v, name in named:
        while name in reserved:
            name += "'"
        reserved.add(name)
        final[v] = sp.Symbol(name, integer=True)
    return rename(current, final, tuple(final[v] for v, _ in named))


def _free(term: Term) -> set[sp.Symbol]:
    found: set[sp.Symbol] = set(term.coefficient.free_symbols)
    for f in term.factors:
        for e in f.index:
            found |= e.free_symbols
    for b in term.brackets:
        found |= b.expr.free_symbols | b.modulus.free_symbols
    return {s for s in found if s not in term.over}


def _signature(term: Term, variable: sp.Symbol) -> tuple[str, ...]:
    """Where a variable occurs, with every summed variable's name masked: the same for the
    same variable in two spellings of one term, whatever they named it."""
    mask = {v: sp.Symbol("@" if v == variable else "#") for v in term.over}
    places = [
        f"{f.tensor}{k}:{sp.sstr(e.xreplace(mask))}"
        for f in term.factors
        for k, e in enumerate(f.index)
        if variable in e.free_symbols
    ]
    places += [
        f"{b.kind}:{sp.sstr(b.expr.xreplace(mask))}"
        for b in term.brackets
        if variable in b.expr.free_symbols
    ]
    return tuple(sorted(places))


def rename(term: Term, mapping: Mapping[sp.Symbol, Expr], over: tuple[sp.Symbol, ...]) -> Term:
    return Term(
        over,
        replaced(term.coefficient, mapping),
        tuple(f.substitute(mapping) for f in term.factors),
        tuple(b.substitute(mapping) for b in term.brackets),
    )
