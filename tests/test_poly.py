"""Poly against SymPy: every operation must agree with SymPy's own expanded arithmetic."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symderiv.core.poly import ZERO, Poly, plain_symbols, symbol_of, variable

# Names chosen so that SymPy's print order, name order and creation order all disagree.
SYMBOLS = sp.symbols("b a x10 x2 dL_dO_1_1 F_2_1")
SETTINGS = settings(max_examples=100, deadline=None)

coefficients = st.one_of(
    st.integers(min_value=-4, max_value=4),
    st.fractions(min_value=-3, max_value=3, max_denominator=5),
)
monomials = st.lists(st.sampled_from(SYMBOLS), max_size=3)


@st.composite
def polys(draw: st.DrawFn) -> tuple[Poly, sp.Expr]:
    """A Poly built with the public operations, and the SymPy expression built alongside it."""
    terms = draw(st.lists(st.tuples(coefficients, monomials), max_size=5))
    poly_terms, sympy_terms = [], []
    for c, factors in terms:
        p = Poly.constant(c)
        e = sp.Rational(c.numerator, c.denominator)
        for s in factors:
            p = p * Poly.symbol(s)
            e = e * s
        poly_terms.append(p)
        sympy_terms.append(e)
    return Poly.total(poly_terms), sp.expand(sp.Add(*sympy_terms))


def same(p: Poly, e: sp.Expr) -> bool:
    return sp.expand(p.to_sympy() - e) == 0 and p.to_sympy() == sp.expand(e)


@SETTINGS
@given(polys())
def test_construction_matches_sympy(pe: tuple[Poly, sp.Expr]) -> None:
    p, e = pe
    assert same(p, e)


@SETTINGS
@given(polys(), polys())
def test_add_sub_mul_match_sympy(pe: tuple[Poly, sp.Expr], qf: tuple[Poly, sp.Expr]) -> None:
    (p, e), (q, f) = pe, qf
    assert same(p + q, e + f)
    assert same(p - q, e - f)
    assert same(-p, -e)
    assert same(p * q, e * f)


@SETTINGS
@given(polys(), coefficients)
def test_scale_matches_sympy(pe: tuple[Poly, sp.Expr], c: Fraction) -> None:
    p, e = pe
    assert same(p.scale(c), sp.Rational(c.numerator, c.denominator) * e)


@SETTINGS
@given(polys())
def test_diff_matches_sympy(pe: tuple[Poly, sp.Expr]) -> None:
    p, e = pe
    for s in SYMBOLS:
        assert same(p.diff(s), sp.diff(e, s)), s


@SETTINGS
@given(polys())
def test_partials_match_sympy(pe: tuple[Poly, sp.Expr]) -> None:
    p, e = pe
    partials = p.partials()
    # Exactly the non-zero partials are present.
    assert set(partials) == {s for s in SYMBOLS if sp.diff(e, s) != 0}
    for s in SYMBOLS:
        assert same(partials.get(s, ZERO), sp.diff(e, s)), s
        assert partials.get(s, ZERO) == p.diff(s)


@SETTINGS
@given(st.lists(st.tuples(polys(), polys()), max_size=4))
def test_sum_of_products_matches_sympy(pairs: list[tuple[tuple[Poly, sp.Expr], ...]]) -> None:
    result = Poly.sum_of_products((p, q) for (p, _), (q, _) in pairs)
    assert same(result, sp.Add(*(e * f for (_, e), (_, f) in pairs)))
    assert result == Poly.total(p * q for (p, _), (q, _) in pairs)


WANTED = SYMBOLS[:4]


@SETTINGS
@given(st.lists(st.tuples(polys(), polys()), max_size=4))
def test_pullback_matches_sympy(pairs: list[tuple[tuple[Poly, sp.Expr], ...]]) -> None:
    """Each wanted symbol's sum of weight * d element/d symbol, against SymPy's diff (weights
    are whole polynomials here, and elements hold powers: the paths conv never takes)."""
    wanted = [Poly.symbol(s) for s in WANTED]  # interns them
    sums = Poly.pullback(
        ((p, q) for (p, _), (q, _) in pairs), [v.variables().pop() for v in wanted]
    )
    for s, v in zip(WANTED, wanted):
        expected = sp.Add(*(f * sp.diff(e, s) for (_, e), (_, f) in pairs))
        assert same(sums[v.variables().pop()], expected), s


def test_pullback_of_products_of_two_variables_weighted_by_variables() -> None:
    """The common case (conv's forward terms, upstream symbols as weights), with a repeated
    term whose coefficient adds up."""
    a, x, f, u, w = sp.symbols("a x f u w")
    elements = [
        Poly.symbol(x) * Poly.symbol(f) + Poly.symbol(a) * Poly.symbol(x),
        Poly.symbol(x) * Poly.symbol(f).scale(3),
    ]
    weights = [Poly.symbol(u), Poly.symbol(w)]
    ids = [Poly.symbol(s).variables().pop() for s in (x, f)]
    sums = Poly.pullback(zip(elements, weights), ids)
    assert same(sums[ids[0]], u * (f + a) + 3 * w * f)
    assert same(sums[ids[1]], u * x + 3 * w * x)


@SETTINGS
@given(polys(), polys())
def test_replaced_matches_sympy(pe: tuple[Poly, sp.Expr], qf: tuple[Poly, sp.Expr]) -> None:
    (p, e), (q, f) = pe, qf
    s = SYMBOLS[2]
    assert same(p.replaced(s, q), sp.expand(e.xreplace({s: f})))


def test_partials_come_in_reading_order_whatever_the_interning_order() -> None:
    """Variable ids follow first sight; the partials still come term by term, each term's
    factors in name order, as before ids existed (documents list them in this order)."""
    late, early = sp.Symbol("zz_late"), sp.Symbol("aa_early")
    Poly.symbol(late)  # interned first: the smaller id
    p = Poly.symbol(early) * Poly.symbol(late)
    assert list(p.partials()) == [early, late]
    assert p.free_symbols == (early, late)
    assert [m for m, _ in p] == [(early, late)]


@st.composite
def pairs_sometimes_equal(draw: st.DrawFn) -> tuple[tuple[Poly, sp.Expr], tuple[Poly, sp.Expr]]:
    """Two polynomials; half the time the second is the first rebuilt another way."""
    p, e = draw(polys())
    r, g = draw(polys())
    q, f = draw(
        st.sampled_from(
            [
                draw(polys()),
                ((p + r) - r, e),  # same value, different construction
                (r * p - p * r + p, e),
                (p.scale(Fraction(2, 1)) - p, e),
            ]
        )
    )
    return (p, e), (q, f)


@SETTINGS
@given(pairs_sometimes_equal())
def test_equality_matches_sympy(pair: tuple[tuple[Poly, sp.Expr], tuple[Poly, sp.Expr]]) -> None:
    (p, e), (q, f) = pair
    equal = sp.expand(e - f) == 0
    assert (p == q) is equal
    if equal:
        assert hash(p) == hash(q)
    assert not (p - p)
    assert p - p == ZERO


def test_partials_of_a_power_whose_factors_are_equal_but_not_identical() -> None:
    from sympy.core.cache import clear_cache

    first = sp.Symbol("u")
    clear_cache()  # what creating ~1000 other symbols does too: evicts the cached ``u``
    second = sp.Symbol("u")
    assert first == second and first is not second
    square = Poly.symbol(first) * Poly.symbol(second)
    assert square.partials() == {first: square.diff(first)}


def test_whole_fraction_and_int_coefficients_are_equal() -> None:
    a = SYMBOLS[1]
    p = Poly.constant(Fraction(6, 3)) * Poly.symbol(a)
    q = Poly.constant(2) * Poly.symbol(a)
    assert p == q
    assert hash(p) == hash(q)


@SETTINGS
@given(polys())
def test_to_str_parses_back(pe: tuple[Poly, sp.Expr]) -> None:
    p, e = pe
    local = {s.name: s for s in SYMBOLS}
    for text in (p.to_str(order=lambda s: s.name), p.to_str()):
        assert sp.expand(sp.sympify(text, locals=local) - e) == 0, text


@pytest.mark.parametrize(
    "order",
    [lambda s: s.name, lambda s: tuple(-ord(ch) for ch in s.name)],
    ids=["by-name", "reverse-name"],
)
def test_to_str_orders_factors_and_terms(order: object) -> None:
    a, b = SYMBOLS[1], SYMBOLS[0]
    p = Poly.symbol(a) * Poly.symbol(b) + Poly.symbol(b).scale(-3) + Poly.constant(Fraction(1, 2))
    text = p.to_str(order=order)  # type: ignore[arg-type]
    rendered_terms = text.replace(" - ", " + -").split(" + ")
    assert len(rendered_terms) == len(p)
    keys = []
    for term in rendered_terms:
        names = [f for f in term.lstrip("-").split("*") if f in {a.name, b.name}]
        key = [order(sp.Symbol(n)) for n in names]  # type: ignore[operator]
        assert key == sorted(key), term  # factors in order
        keys.append(key)
    assert keys == sorted(keys), text  # terms in order of their factors


@SETTINGS
@given(polys(), st.permutations(range(len(SYMBOLS))))
def test_reading_order_by_id_is_ordered_terms_by_symbol(
    pe: tuple[Poly, sp.Expr], ranks: list[int]
) -> None:
    """A document's id-keyed order (``reading_order``) spells what the symbol-keyed one does."""
    p, _ = pe
    key = dict(zip(SYMBOLS, ranks))
    rank = {variable(s): r for s, r in key.items()}
    by_id = [(tuple(symbol_of(v) for v in m), c) for m, c in p.reading_order(rank)]
    assert by_id == p.ordered_terms(key.__getitem__)
    assert p.to_str(rank=rank) == p.to_str(key.__getitem__)


def test_plain_symbols_are_interned_by_name() -> None:
    first = plain_symbols(["p_1", "p_2"])
    again = plain_symbols(["p_2", "p_1"])
    assert first == [sp.Symbol("p_1"), sp.Symbol("p_2")]
    assert again[0] is first[1] and again[1] is first[0]
    assert variable(again[1]) == variable(sp.Symbol("p_1"))
    positive = sp.Symbol("p_1", positive=True)  # another symbol, though of the same name
    assert variable(positive) != variable(first[0])
