"""Pooling gradients against PyTorch autograd and plain SymPy, and the identity search.

Each case runs the same input through ``torch.nn.functional`` (float64) and through symderiv;
the symbolic dL/dX, evaluated at the same upstream gradient, must equal torch's ``x.grad``.
"""

from __future__ import annotations

import os
import random
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symderiv import SymderivError
from symderiv.core.grid import Grid
from symderiv.core.ops import crop, insert_zeros, upsample
from symderiv.core.poly import Poly
from symderiv.layers.pool.derive import (
    avg_pool,
    global_avgpool,
    max_pool,
    maxpool1d,
    maxpool2d,
)
from symderiv.layers.pool.result import PoolDerivation, PoolOperation

if os.environ.get("CI", "").strip().lower() in ("", "0", "false", "no"):
    torch = pytest.importorskip("torch")
else:
    import torch
F = torch.nn.functional

pytestmark = pytest.mark.torch


def evaluate(p: Poly, values: dict[sp.Symbol, float]) -> float:
    total = 0.0
    for monomial, coefficient in p:
        term = float(coefficient)
        for s in monomial:
            term *= values[s]
        total += term
    return total


def upstream_values(d: PoolDerivation, seed: int) -> tuple[dict[sp.Symbol, float], np.ndarray]:
    """Random small integers for dL/dO, as symbol values and as an array of the output's shape."""
    rng = random.Random(seed)
    grid = d.expansion.tensor("dL/dO").symbols
    numbers = [float(rng.randint(-5, 5)) for _ in grid.cells]
    return dict(zip(grid.cells, numbers)), np.array(numbers).reshape(grid.shape)


def symbolic_gradient(d: PoolDerivation, seed: int) -> tuple[np.ndarray, np.ndarray]:
    values, dy = upstream_values(d, seed)
    grad = d.expansion.gradient("X")
    return np.array([evaluate(p, values) for p in grad.cells]).reshape(grad.shape), dy


def torch_max(d: PoolDerivation, x: np.ndarray, dy: np.ndarray) -> tuple[Any, Any]:
    g = d.geometry
    pool = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}[g.axes]
    t = torch.tensor(x[None, None], dtype=torch.float64, requires_grad=True)
    out = pool(t, g.kernel, g.stride, g.padding, g.dilation, ceil_mode=g.ceil_mode)
    out.backward(torch.tensor(dy[None, None], dtype=torch.float64))
    return out.detach().numpy()[0, 0], t.grad.numpy()[0, 0]


def torch_avg(d: PoolDerivation, x: np.ndarray, dy: np.ndarray) -> tuple[Any, Any]:
    g = d.geometry
    t = torch.tensor(x[None, None], dtype=torch.float64, requires_grad=True)
    if d.layer == "global-avgpool":
        out = F.adaptive_avg_pool2d(t, 1)
    else:
        pool = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}[g.axes]
        out = pool(
            t,
            g.kernel,
            g.stride,
            g.padding,
            ceil_mode=g.ceil_mode,
            count_include_pad=d.count_include_pad,
        )
    out.backward(torch.tensor(dy[None, None], dtype=torch.float64))
    return out.detach().numpy()[0, 0], t.grad.numpy()[0, 0]


def as_array(grid: Grid[Fraction]) -> np.ndarray:
    return np.array([float(v) for v in grid.cells]).reshape(grid.shape)


# (id, axes, options): values given or drawn from a seed, and the pooling settings.
MAX_CASES = [
    ("domain-ties", 2, {"values": "1,3,3;3,0,3;2,3,1", "stride": 1}),
    ("default-example", 2, {}),
    ("all-equal", 2, {"values": "2,2,2;2,2,2;2,2,2", "stride": 1}),
    ("overlap-pad", 2, {"seed": 1, "input": (5, 5), "kernel": 3, "stride": 1, "padding": 1}),
    ("negative-pad", 2, {"values": "-5,-3;-2,-7", "kernel": 2, "stride": 1, "padding": 1}),
    ("dilation", 2, {"seed": 2, "input": (7, 6), "kernel": 2, "stride": 1, "dilation": 2}),
    ("ceil", 2, {"seed": 3, "input": (6, 7), "kernel": 3, "stride": 2, "ceil_mode": True}),
    (
        "ceil-pad",
        2,
        {"seed": 4, "input": 5, "kernel": 2, "stride": 2, "padding": 1, "ceil_mode": True},
    ),
    ("gaps", 2, {"seed": 5, "input": (5, 7), "kernel": 2, "stride": 3}),
    ("rect", 2, {"seed": 6, "input": (4, 6), "kernel": (2, 3), "stride": (1, 2)}),
    ("decimals", 2, {"values": "0.5,-1.25,2;0.5,3.75,-0.1;1e1,2.5,2.5", "stride": 1}),
    ("1d-ties", 1, {}),
    ("1d-overlap", 1, {"values": "4,4,1,4,0,4,4", "kernel": 3, "stride": 1, "padding": 1}),
    (
        "1d-ceil-dil",
        1,
        {"seed": 7, "input": 9, "kernel": 3, "stride": 2, "dilation": 2, "ceil_mode": True},
    ),
    ("3d-default", 3, {}),
    ("3d-pad", 3, {"seed": 8, "input": (3, 4, 4), "kernel": 2, "stride": 1, "padding": 1}),
    (
        "3d-ceil",
        3,
        {"seed": 9, "input": (3, 5, 4), "kernel": (2, 3, 2), "stride": 2, "ceil_mode": True},
    ),
]


@pytest.mark.parametrize(
    ("axes", "options"), [c[1:] for c in MAX_CASES], ids=[c[0] for c in MAX_CASES]
)
def test_max_pool_gradient_matches_torch(axes: int, options: dict[str, Any]) -> None:
    d = max_pool(axes, **options)
    assert d.values is not None and d.outputs is not None
    ours, dy = symbolic_gradient(d, seed=len(d.values.cells))
    out, grad = torch_max(d, as_array(d.values), dy)
    np.testing.assert_array_equal(as_array(d.outputs), out)
    np.testing.assert_array_equal(ours, grad)
    assert d.verified


def test_domain_tie_example_routes_like_torch_with_unit_upstream() -> None:
    """X = [[1,3,3],[3,0,3],[2,3,1]], k=2, s=1, dL/dO = 1: torch's gradient, and ours."""
    d = maxpool2d(values="1,3,3;3,0,3;2,3,1", stride=1)
    ones = {s: 1.0 for s in d.expansion.tensor("dL/dO").symbols.cells}
    ours = np.array([evaluate(p, ones) for p in d.expansion.gradient("X").cells]).reshape(3, 3)
    _, grad = torch_max(d, as_array(d.values), np.ones((2, 2)))  # type: ignore[arg-type]
    np.testing.assert_array_equal(ours, grad)
    # The top-left of each tie wins: X_12 is the first 3 of windows O_11 and O_12.
    assert [s.tied for s in d.selections if len(s.tied) > 1]
    assert all(s.winner == s.tied[0] for s in d.selections)


AVG_CASES = [
    ("k=s", 2, {}),
    ("overlap", 2, {"input": 5, "kernel": 3, "stride": 1}),
    ("pad-include", 2, {"input": 5, "kernel": 3, "stride": 2, "padding": 1}),
    (
        "pad-exclude",
        2,
        {"input": 5, "kernel": 3, "stride": 2, "padding": 1, "count_include_pad": False},
    ),
    ("ceil-include", 2, {"input": (5, 6), "kernel": 2, "stride": 2, "ceil_mode": True}),
    (
        "ceil-pad-include",
        2,
        {"input": 6, "kernel": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    ),
    (
        "ceil-pad-exclude",
        2,
        {
            "input": 6,
            "kernel": 3,
            "stride": 2,
            "padding": 1,
            "ceil_mode": True,
            "count_include_pad": False,
        },
    ),
    ("gaps", 2, {"input": (5, 7), "kernel": 2, "stride": 3}),
    ("1d", 1, {"input": 7, "kernel": 3, "stride": 2, "padding": 1}),
    (
        "1d-exclude",
        1,
        {"input": 7, "kernel": 3, "stride": 2, "padding": 1, "count_include_pad": False},
    ),
    ("3d", 3, {}),
    (
        "3d-pad-ceil",
        3,
        {"input": (3, 4, 5), "kernel": (2, 3, 2), "stride": 2, "padding": 1, "ceil_mode": True},
    ),
]


def random_input(shape: tuple[int, ...], seed: int) -> np.ndarray:
    rng = random.Random(seed)
    return np.array([float(rng.randint(-9, 9)) for _ in range(int(np.prod(shape)))]).reshape(shape)


@pytest.mark.parametrize(
    ("axes", "options"), [c[1:] for c in AVG_CASES], ids=[c[0] for c in AVG_CASES]
)
def test_avg_pool_forward_and_gradient_match_torch(axes: int, options: dict[str, Any]) -> None:
    d = avg_pool(axes, **options)
    check_average(d)


def check_average(d: PoolDerivation) -> None:
    x = random_input(d.geometry.input, seed=3)
    ours, dy = symbolic_gradient(d, seed=4)
    out, grad = torch_avg(d, x, dy)
    xs = dict(zip(d.expansion.tensor("X").symbols.cells, x.flatten()))
    forward = np.array([evaluate(p, xs) for p in d.expansion.forward.cells]).reshape(out.shape)
    np.testing.assert_allclose(forward, out, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours, grad, rtol=0, atol=1e-12)


def test_global_average_pooling_matches_adaptive_avg_pool() -> None:
    d = global_avgpool(input=(3, 5))
    check_average(d)
    assert d.geometry.output == (1, 1)
    assert [i.form for i in d.identities][0] is PoolOperation.UPSAMPLING


@pytest.mark.parametrize(
    ("axes", "options"), [c[1:] for c in AVG_CASES], ids=[c[0] for c in AVG_CASES]
)
def test_avg_identity_found_exactly_when_every_divisor_is_the_window_size(
    axes: int, options: dict[str, Any]
) -> None:
    d = avg_pool(axes, **options)
    assert d.divisors is not None
    window = int(np.prod(d.geometry.kernel))
    uniform = set(d.divisors.cells) == {window}
    assert d.detections[0].found == uniform
    assert d.verified == uniform
    assert all(
        i.proof.holds and i.proof.elements == int(np.prod(d.geometry.input)) for i in d.identities
    )
    upsampling = PoolOperation.UPSAMPLING in [i.form for i in d.identities]
    assert upsampling == (uniform and d.geometry.kernel == d.geometry.stride)


@pytest.mark.parametrize(
    ("axes", "options"), [c[1:] for c in AVG_CASES[:6]], ids=[c[0] for c in AVG_CASES[:6]]
)
def test_avg_gradient_equals_sympy_diff_of_the_loss(axes: int, options: dict[str, Any]) -> None:
    """The chain rule, term by term, against sympy.diff of L = sum of dL/dO_ij * O_ij."""
    d = avg_pool(axes, **options)
    upstream = d.expansion.tensor("dL/dO").symbols
    loss = sp.Add(*(u * o.to_sympy() for u, o in zip(upstream.cells, d.expansion.forward.cells)))
    x = d.expansion.tensor("X").symbols
    for s, g in zip(x.cells, d.expansion.gradient("X").cells):
        assert sp.expand(sp.diff(loss, s) - g.to_sympy()) == 0


MASK_CASES = [
    {},
    {"stride": 1},
    {"values": "1,2,3;4,5,6;7,8,9", "stride": 1},
    {"seed": 3, "input": (5, 7), "kernel": 2, "stride": 3},
    {"seed": 4, "input": 5, "padding": 1},
]


@pytest.mark.parametrize("options", MASK_CASES)
def test_max_masked_upsampling_found_exactly_when_each_switch_has_its_block_window(
    options: dict[str, Any],
) -> None:
    """M * up(dL/dO) gives cell x the gradient of the window whose stride block holds x; it is
    right exactly when every selected cell is selected by that window and no other."""
    d = maxpool2d(**options)
    g = d.geometry
    selected_by: dict[Any, list[Any]] = {}
    for s in d.selections:
        selected_by.setdefault(s.winner, []).append(s.window.output)
    block = {
        x: tuple((i + p) // st for i, p, st in zip(x, g.padding, g.stride)) for x in selected_by
    }
    expected = all(windows == [block[x]] for x, windows in selected_by.items())
    masked = PoolOperation.MASKED_UPSAMPLING in [i.form for i in d.identities]
    assert masked == expected
    assert d.identities[0].form is PoolOperation.SCATTER


def test_no_match_is_reported_not_raised() -> None:
    d = avg_pool(2, input=4, kernel=3, stride=1, padding=1, count_include_pad=False)
    assert not d.detections[0].found and d.identities == () and not d.verified


# --------------------------------------------------------------------------------------------
# The array operations the identities use, against numpy


def poly_grid(array: np.ndarray) -> Grid[Poly]:
    return Grid(array.shape, tuple(Poly.constant(Fraction(int(v))) for v in array.flatten()))


def numbers(grid: Grid[Poly]) -> np.ndarray:
    return np.array([float(evaluate(p, {})) for p in grid.cells]).reshape(grid.shape)


def test_insert_zeros_upsample_crop_against_numpy() -> None:
    a = np.arange(1, 7).reshape(2, 3)
    dilated = np.zeros((3, 7))
    dilated[::2, ::3] = a
    np.testing.assert_array_equal(numbers(insert_zeros(poly_grid(a), (2, 3))), dilated)
    np.testing.assert_array_equal(
        numbers(upsample(poly_grid(a), (2, 2))), np.kron(a, np.ones((2, 2)))
    )
    padded = np.pad(a, ((1, 1), (0, 2)))
    np.testing.assert_array_equal(numbers(crop(poly_grid(a), (-1, 0), (4, 5))), padded)


# --------------------------------------------------------------------------------------------
# Property: random shapes, settings and values (ties are frequent with values 0..3)


@st.composite
def max_configs(draw: st.DrawFn) -> tuple[int, dict[str, Any]]:
    axes = draw(st.integers(1, 3))
    limit = {1: 9, 2: 6, 3: 4}[axes]
    shape = tuple(draw(st.integers(1, limit)) for _ in range(axes))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(axes))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(axes))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(axes))
    cells = int(np.prod(shape))
    values = draw(st.lists(st.integers(-2, 3), min_size=cells, max_size=cells))
    text = ",".join(map(str, values))
    if axes >= 2:
        rows = [",".join(map(str, values[i : i + shape[-1]])) for i in range(0, cells, shape[-1])]
        per_slice = shape[-2]
        slices = [";".join(rows[i : i + per_slice]) for i in range(0, len(rows), per_slice)]
        text = "|".join(slices)
    options = {
        "values": text,
        "kernel": kernel,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "ceil_mode": draw(st.booleans()),
    }
    return axes, options


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(max_configs())
def test_property_max_pool_matches_torch(config: tuple[int, dict[str, Any]]) -> None:
    axes, options = config
    try:
        d = max_pool(axes, **options)
    except SymderivError:
        assume(False)
        return
    assert d.values is not None
    ours, dy = symbolic_gradient(d, seed=1)
    _, grad = torch_max(d, as_array(d.values), dy)
    np.testing.assert_array_equal(ours, grad)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(1, 2).flatmap(
        lambda axes: st.tuples(
            st.just(axes),
            st.tuples(*[st.integers(1, 6)] * axes),
            st.tuples(*[st.integers(1, 3)] * axes),
            st.tuples(*[st.integers(1, 3)] * axes),
            st.booleans(),
            st.booleans(),
            st.integers(0, 1),
        )
    )
)
def test_property_avg_pool_matches_torch(config: tuple[Any, ...]) -> None:
    axes, shape, kernel, stride, ceil_mode, include, pad = config
    padding = tuple(min(pad, k // 2) for k in kernel)
    try:
        d = avg_pool(axes, shape, kernel, stride, padding, ceil_mode, include)
    except SymderivError:
        assume(False)
        return
    check_average(d)
    assert all(i.proof.holds for i in d.identities)


def test_rejected_geometries_are_rejected_by_torch_too() -> None:
    """What symderiv refuses, torch refuses or answers with -inf (a window of padding only)."""
    x = torch.zeros((1, 1, 2, 2), dtype=torch.float64)
    for kernel, stride, padding, dilation in [(3, 1, 0, 1), (2, 1, 2, 1), (2, 1, 1, 3)]:
        with pytest.raises(SymderivError):
            maxpool2d(
                input=2, seed=0, kernel=kernel, stride=stride, padding=padding, dilation=dilation
            )
        try:
            out = F.max_pool2d(x, kernel, stride, padding, dilation)
        except RuntimeError:
            continue
        assert torch.isinf(out).any()


def test_proof_reports_the_first_differing_element() -> None:
    """The proof is not a formality: a gradient changed in one cell is caught there."""
    from symderiv.core.results import Proof
    from symderiv.layers.pool.prove import rebuild

    d = avg_pool(2, input=4, kernel=2)
    value = d.expansion.gradient("X")
    upstream = d.expansion.tensor("dL/dO").symbols.map(Poly.symbol)
    rhs = rebuild(PoolOperation.UPSAMPLING, d.geometry, upstream, None)
    assert Proof.comparing(rhs, value).holds
    cells = list(value.cells)
    cells[5] = cells[5] + Poly.constant(Fraction(1, 100))
    altered = Proof.comparing(rhs, Grid(value.shape, tuple(cells)))
    assert not altered.holds and altered.first_difference == (1, 1)


@pytest.mark.parametrize(
    ("derive", "claimed"),
    [
        (lambda: avg_pool(2, input=5, kernel=3, stride=2, padding=1), PoolOperation.UPSAMPLING),
        (lambda: maxpool2d(values="1,3,3;3,0,3;2,3,1", stride=1), PoolOperation.MASKED_UPSAMPLING),
    ],
    ids=["avg-overlapping", "max-overlapping"],
)
def test_the_proof_does_not_trust_the_search(derive: Any, claimed: PoolOperation) -> None:
    """A match the search wrongly claimed is refuted: the proof recomputes the right-hand side
    from its definition instead of reusing the search's evaluation."""
    from symderiv.core.results import Search
    from symderiv.layers.pool.prove import prove

    d = derive()
    assert claimed not in [i.form for i in d.identities]
    value = d.expansion.gradient("X")
    upstream = d.expansion.tensor("dL/dO").symbols.map(Poly.symbol)
    wrong = Search("dL/dX", ("dL/dO",), 1, (claimed,))
    (identity,) = prove(wrong, value, upstream, d.geometry, d.values)
    assert not identity.proof.holds and identity.proof.first_difference is not None


@pytest.mark.parametrize("case", range(40))
def test_rebuilt_sides_equal_the_search_evaluation_where_both_apply(case: int) -> None:
    """Two implementations of each candidate, the array operations of the search and the index
    formulas of the proof, agree on random pooling geometries (also where neither matches)."""
    from symderiv.layers.pool.prove import rebuild, switches
    from symderiv.layers.pool.search import evaluator

    rng = random.Random(case)
    axes = rng.choice((1, 2))
    kernel = rng.randint(1, 3)
    stride = rng.randint(1, 3)
    padding = rng.randint(0, kernel // 2)
    size = rng.randint(max(kernel, 2), 6)
    d = (
        maxpool2d(input=size, kernel=kernel, stride=stride, padding=padding, seed=case)
        if axes == 2
        else maxpool1d(input=size, kernel=kernel, stride=stride, padding=padding, seed=case)
    )
    upstream = d.expansion.tensor("dL/dO").symbols.map(Poly.symbol)
    assert d.values is not None
    assert switches(d.geometry, d.values) == {s.window.output: s.winner for s in d.selections}
    for operation in PoolOperation:
        searched = evaluator(operation, d.geometry, d.selections)(upstream)
        assert rebuild(operation, d.geometry, upstream, d.values) == searched, operation


def test_values_as_nested_lists_equal_values_as_text() -> None:
    from_lists = maxpool2d(values=[[1, 3, 3], [3, 0, 3], [2, 3, 1]], stride=1)
    from_text = maxpool2d(values="1,3,3;3,0,3;2,3,1", stride=1)
    assert from_lists.values == from_text.values
    assert from_lists.expansion.gradient("X") == from_text.expansion.gradient("X")
    three_d = max_pool(3, values=[[[1, 2], [3, 4]], [[5, 6], [7, 8]]], kernel=1)
    assert three_d.values == max_pool(3, values="1,2;3,4|5,6;7,8", kernel=1).values


@pytest.mark.torch
@pytest.mark.parametrize(
    "values",
    ["0.1,0.10000000000000001", "0,1e-400", "9007199254740992,9007199254740993", "1,3,3,2"],
)
def test_max_pooling_selects_as_torch_does_in_float64(values: str) -> None:
    """Exact values that are equal in float64 tie, and torch's first maximum takes them."""
    d = maxpool1d(values=values, kernel=2, stride=1)
    x = torch.tensor([[[float(v) for v in values.split(",")]]], dtype=torch.float64)
    _, indices = torch.nn.functional.max_pool1d(x, 2, 1, return_indices=True)
    assert [s.winner[0] for s in d.selections] == indices.flatten().tolist()
