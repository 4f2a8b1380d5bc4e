"""ops against scipy and numpy: symbolic results evaluated at random points must agree."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
import sympy as sp

from symderiv.core.grid import Grid
from symderiv.core.ops import Mode, convolve, correlate, flip, padding, zero_pad
from symderiv.core.poly import Poly

# (input shape, kernel shape): 1-D, 2-D and 3-D; odd, even and rectangular kernels; kernels
# larger than the input on some or all axes (those only in same and full mode).
SHAPES = [
    ((5,), (3,)),
    ((6,), (2,)),
    ((4,), (4,)),
    ((1,), (1,)),
    ((3,), (5,)),
    ((2,), (6,)),
    ((3, 3), (2, 2)),
    ((4, 5), (2, 3)),
    ((5, 4), (4, 1)),
    ((3, 3), (3, 3)),
    ((1, 6), (1, 2)),
    ((6, 5), (3, 4)),
    ((2, 3), (4, 5)),
    ((3, 2), (2, 4)),
    ((3, 4, 5), (2, 3, 2)),
    ((3, 3, 3), (2, 2, 2)),
    ((2, 2, 3), (3, 2, 4)),
]


def _id(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape))


def _fits(a: tuple[int, ...], k: tuple[int, ...]) -> bool:
    return all(m <= n for n, m in zip(a, k))


CASES = [
    pytest.param(a, k, mode, id=f"{len(a)}d-{_id(a)}-k{_id(k)}-{mode.value}")
    for a, k in SHAPES
    for mode in Mode
    if mode is not Mode.VALID or _fits(a, k)
]
SHAPE_CASES = [pytest.param(a, k, id=f"{len(a)}d-{_id(a)}-k{_id(k)}") for a, k in SHAPES]


def symbol_grid(name: str, shape: tuple[int, ...]) -> Grid[Poly]:
    return Grid.build(
        shape, lambda index: Poly.symbol(sp.Symbol("_".join([name, *map(str, index)])))
    )


def evaluate(g: Grid[Poly], values: dict[sp.Symbol, float]) -> np.ndarray:
    """The grid's cells evaluated numerically, through SymPy's lambdify."""
    symbols = list(values)
    f = sp.lambdify(symbols, [c.to_sympy() for c in g.cells], "math")
    return np.array(f(*values.values()), dtype=np.float64).reshape(g.shape)


def point(
    rng: np.random.Generator, *grids: tuple[Grid[Poly], ...]
) -> tuple[dict[sp.Symbol, float], list[np.ndarray]]:
    """Random values for every symbol of the grids, and the grids as numpy arrays of them."""
    values: dict[sp.Symbol, float] = {}
    arrays = []
    for g in grids:
        array = rng.uniform(-1, 1, size=g.shape)
        for index, cell in g.items():
            (s,) = cell.free_symbols
            values[s] = float(array[index])
        arrays.append(array)
    return values, arrays


@pytest.mark.parametrize(("a_shape", "k_shape", "mode"), CASES)
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [(correlate, scipy.signal.correlate), (convolve, scipy.signal.convolve)],
    ids=["correlate", "convolve"],
)
def test_matches_scipy(a_shape, k_shape, mode, ours, theirs) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    a, k = symbol_grid("a", a_shape), symbol_grid("k", k_shape)
    values, (a_values, k_values) = point(rng, a, k)
    result = ours(a, k, mode)
    expected = theirs(a_values, k_values, mode=mode.value, method="direct")
    assert result.shape == expected.shape
    np.testing.assert_allclose(evaluate(result, values), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize(("a_shape", "k_shape", "mode"), CASES)
def test_padding_turns_mode_into_valid(a_shape, k_shape, mode) -> None:  # type: ignore[no-untyped-def]
    a, k = symbol_grid("a", a_shape), symbol_grid("k", k_shape)
    before, after = padding(a_shape, k_shape, mode)
    assert all(n >= 0 for n in (*before, *after))
    assert correlate(zero_pad(a, before, after), k, Mode.VALID) == correlate(a, k, mode)


@pytest.mark.parametrize(("shape", "_"), SHAPE_CASES)
def test_flip_matches_numpy(shape, _) -> None:  # type: ignore[no-untyped-def]
    g = symbol_grid("g", shape)
    values, (array,) = point(np.random.default_rng(1), g)
    np.testing.assert_array_equal(evaluate(flip(g), values), np.flip(array))
    assert flip(flip(g)) == g


@pytest.mark.parametrize(("shape", "_"), SHAPE_CASES)
@pytest.mark.parametrize("widths", [(0, 0), (1, 0), (0, 2), (2, 1)], ids=str)
def test_zero_pad_matches_numpy(shape, _, widths) -> None:  # type: ignore[no-untyped-def]
    g = symbol_grid("g", shape)
    values, (array,) = point(np.random.default_rng(2), g)
    # A different width on each axis: axis d gets widths rotated by d.
    before = tuple(widths[d % 2] + d % 2 for d in range(len(shape)))
    after = tuple(widths[(d + 1) % 2] for d in range(len(shape)))
    padded = zero_pad(g, before, after)
    expected = np.pad(array, list(zip(before, after)), mode="constant", constant_values=0)
    np.testing.assert_array_equal(evaluate(padded, values), expected)
