"""Whole-grid tables (``core.products``) against the polynomials they stand for: the bulk search
and proof must say exactly what the cell-by-cell comparison of ``Poly`` cells says."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from symderiv.core.grid import Grid
from symderiv.core.incidence import Incidence
from symderiv.core.ops import Mode, correlate, output_shape
from symderiv.core.poly import ZERO, Poly, variable
from symderiv.core.products import of_grid, reading_order, variable_ids
from symderiv.core.results import Proof
from symderiv.layers.conv.candidates import Candidate, LayerCandidate, Operation
from symderiv.layers.conv.ops import (
    Geometry,
    accumulated,
    accumulated_table,
    conv_shape,
    conv_transpose_shape,
)
from symderiv.layers.conv.prove import (
    by_definition,
    by_definition_table,
    layer_passes,
    present,
)
from symderiv.layers.conv.search import correlation_table, layer_cell, layer_table, prepared

SYMBOLS = sp.symbols("a0:6")
VARIABLES = [Poly.symbol(s) for s in SYMBOLS]


@st.composite
def bilinear_grids(draw: st.DrawFn, linear: bool = False) -> tuple[Grid[Poly], Grid[Poly]]:
    """Two grids of one shape whose cells are sums of products of two variables (squares
    included), and with ``linear`` of single variables too; the second equals the first except
    where it was drawn to differ."""
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    size = math.prod(shape)
    variable = st.sampled_from(VARIABLES)
    factor = st.sampled_from([*VARIABLES, Poly.constant(1)]) if linear else variable
    product = st.tuples(variable, factor, st.integers(-2, 2))

    def cell(terms: list[tuple[Poly, Poly, int]]) -> Poly:
        return Poly.total((a * b).scale(c) for a, b, c in terms)

    cells = [cell(draw(st.lists(product, max_size=4))) for _ in range(size)]
    changed = draw(st.dictionaries(st.integers(0, size - 1), st.lists(product, max_size=4)))
    other = [cell(changed[i]) if i in changed else c for i, c in enumerate(cells)]
    return Grid(shape, tuple(cells)), Grid(shape, tuple(other))


@settings(max_examples=150, deadline=None)
@given(bilinear_grids(linear=True))
def test_tables_are_equal_exactly_when_the_polynomials_are(
    grids: tuple[Grid[Poly], Grid[Poly]],
) -> None:
    a, b = grids
    ta, tb = of_grid(a), of_grid(b)
    assert ta is not None and tb is not None
    assert (ta == tb) == (a == b)
    by_cells = Proof.comparing(a, b)
    assert Proof.comparing_tables(ta, tb, a.shape) == by_cells


def test_grids_with_other_terms_have_no_table() -> None:
    x, y, z = VARIABLES[:3]
    for cell in (x * y * z, Poly.constant(1), (x * y).scale(Fraction(1, 2)), x * y + x * x * x):
        assert of_grid(Grid((2,), (x * y, cell))) is None
    assert of_grid(Grid((1,), ((x * y).scale(2**70),))) is None
    assert variable_ids(Grid((2,), (x, x + y))) is None
    assert variable_ids(Grid((2,), (x, x.scale(2)))) is None
    ids = variable_ids(Grid((3,), (x, ZERO, y)))
    assert ids is not None and ids.tolist() == [variable(SYMBOLS[0]), -1, variable(SYMBOLS[1])]


@st.composite
def operand_pairs(draw: st.DrawFn) -> tuple[Grid[Poly], Grid[Poly]]:
    """Two arrays of single variables and zeros, of any dimension up to 3; variables may repeat
    within and between them, so a cell can hold a product twice or a square."""
    dims = draw(st.integers(1, 3))
    a_shape = tuple(draw(st.lists(st.integers(1, 4), min_size=dims, max_size=dims)))
    k_shape = tuple(draw(st.lists(st.integers(1, 3), min_size=dims, max_size=dims)))
    entry = st.sampled_from([ZERO, *VARIABLES])

    def grid(shape: tuple[int, ...]) -> Grid[Poly]:
        return Grid.build(shape, lambda _: draw(entry))

    return grid(a_shape), grid(k_shape)


CANDIDATES = [
    Candidate(operation, mode, "a", "k", rotate)
    for operation in Operation
    for mode in Mode
    for rotate in (False, True)
]


@settings(max_examples=60, deadline=None)
@given(operand_pairs(), st.sampled_from(CANDIDATES))
def test_the_bulk_search_and_proof_compute_what_their_cell_by_cell_forms_do(
    operands: tuple[Grid[Poly], Grid[Poly]], candidate: Candidate
) -> None:
    a, k = operands
    assume(all(n > 0 for n in output_shape(a.shape, k.shape, candidate.mode)))
    named = {"a": a, "k": k}
    first, kernel = prepared(candidate, named)
    ids_a, ids_k = variable_ids(first), variable_ids(kernel)
    assert ids_a is not None and ids_k is not None
    assert correlation_table(ids_a, ids_k, candidate.mode) == of_grid(
        correlate(first, kernel, candidate.mode)
    )
    shown = present(candidate, named)
    assert by_definition_table(candidate, shown) == of_grid(by_definition(candidate, shown))


@st.composite
def any_grids(draw: st.DrawFn) -> Grid[Poly]:
    """Grids of polynomials of any degree, constants included."""
    size = draw(st.integers(1, 6))
    term = st.tuples(st.integers(-2, 2), st.lists(st.sampled_from(VARIABLES), max_size=3))

    def cell(terms: list[tuple[int, list[Poly]]]) -> Poly:
        return Poly.total(math.prod(factors, start=Poly.constant(c)) for c, factors in terms)

    return Grid((size,), tuple(cell(draw(st.lists(term, max_size=4))) for _ in range(size)))


@settings(max_examples=100, deadline=None)
@given(any_grids(), st.sets(st.sampled_from(SYMBOLS)))
def test_incidence_counts_what_each_cells_variables_say(
    grid: Grid[Poly], wanted_symbols: set[sp.Symbol]
) -> None:
    wanted = frozenset(variable(s) for s in wanted_symbols)
    incidence = Incidence(grid)
    held = [p.variables() & wanted for p in grid.cells]
    assert incidence.row_sizes(wanted) == [len(h) for h in held]
    expected = {v: sum(v in h for h in held) for v in sorted(wanted)}
    assert incidence.uses(wanted) == {v: n for v, n in expected.items() if n}


@settings(max_examples=100, deadline=None)
@given(bilinear_grids(), st.permutations(range(len(SYMBOLS))))
def test_bulk_reading_order_is_the_polynomials_own(
    grids: tuple[Grid[Poly], Grid[Poly]], ranks: list[int]
) -> None:
    """The order a long sum is printed in, worked out by NumPy, is ``Poly.reading_order``."""
    rank = {variable(s): r for s, r in zip(SYMBOLS, ranks)}
    places = np.full(max(rank) + 1, -1, dtype=np.int64)
    places[list(rank)] = list(rank.values())
    for p in grids[0].cells:
        expected = [(*m, c) for m, c in p.reading_order(rank)]
        assert reading_order(p, places) == (expected or None)
    unranked = np.full(len(places), -1, dtype=np.int64)
    assert all(reading_order(p, unranked) is None for p in grids[0].cells)


@st.composite
def layer_cases(draw: st.DrawFn) -> tuple[LayerCandidate, dict[str, Grid[Poly]], tuple[int, ...]]:
    """A whole-layer candidate (conv, transposed conv or weight gradient) with stride, padding,
    dilation, groups and channels, its operands of single variables and zeros (a bias too, at
    times), and the shape of its result."""
    function = draw(st.sampled_from(["conv", "conv_transpose", "conv_weight"]))
    dims = draw(st.integers(1, 2))
    axes = st.lists(st.integers(1, 3), min_size=dims, max_size=dims).map(tuple)
    groups = draw(st.integers(1, 2))
    batch, c_in, c_out = draw(st.integers(1, 2)), groups * draw(st.integers(1, 2)), groups
    stride, dilation, kernel = draw(axes), draw(axes), draw(axes)
    padding = tuple(draw(st.integers(0, 2)) for _ in range(dims))
    size = tuple(draw(st.integers(1, 5)) for _ in range(dims))
    output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    geo = Geometry(stride, padding, dilation, groups, output_padding)
    if function == "conv_transpose":
        a_shape, k_shape = (batch, c_in, *size), (c_in, c_out // groups, *kernel)
        shape = conv_transpose_shape(a_shape, k_shape, geo)
    else:
        a_shape, k_shape = (batch, c_in, *size), (c_out, c_in // groups, *kernel)
        shape = conv_shape(a_shape, k_shape, geo)
    assume(shape is not None)
    assert shape is not None
    if function == "conv_weight":  # from the input and the convolution's output gradient
        k_shape, shape = shape, k_shape
        geo = Geometry(stride, padding, dilation, groups, ())
    entry = st.sampled_from([ZERO, *VARIABLES])
    operands = {
        "a": Grid.build(a_shape, lambda _: draw(entry)),
        "k": Grid.build(k_shape, lambda _: draw(entry)),
    }
    bias = function != "conv_weight" and draw(st.booleans())
    if bias:  # one per output channel
        operands["b"] = Grid.build((shape[1],), lambda _: draw(entry))
    candidate = LayerCandidate(
        function,
        dims,
        "a",
        "k",
        "b" if bias else None,
        stride,
        padding,
        dilation,
        groups,
        output_padding if function == "conv_transpose" else (),
        draw(st.booleans()),
    )
    return candidate, operands, shape


@settings(max_examples=80, deadline=None)
@given(layer_cases())
def test_bulk_layer_search_and_proof_compute_what_their_cell_by_cell_forms_do(
    case: tuple[LayerCandidate, dict[str, Grid[Poly]], tuple[int, ...]],
) -> None:
    """The search's whole-layer table is its index formula, cell by cell; the proof's is its
    textbook steps added up cell by cell."""
    candidate, operands, shape = case
    ids = {key: variable_ids(g) for key, g in operands.items()}
    _, cell = layer_cell(candidate, operands)
    assert layer_table(candidate, ids, shape) == of_grid(Grid.build(shape, cell))  # type: ignore[arg-type]
    prepared = layer_passes(candidate, operands, shape[2:])
    bias = operands.get("b")
    assert accumulated_table(prepared, bias) == of_grid(accumulated(prepared, bias))
