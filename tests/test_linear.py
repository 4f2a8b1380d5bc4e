"""The linear layer and flatten: gradients against torch autograd (float64), the identities the
search finds and proves, a wrong gradient refused, and bad input in one line."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import symderiv
from symderiv.cli.main import main
from symderiv.core.grid import Grid
from symderiv.core.poly import Poly
from symderiv.core.results import Proof
from symderiv.layers.linear.derive import linear
from symderiv.layers.linear.prove import rebuild
from symderiv.layers.linear.result import LinearDerivation
from symderiv.layers.linear.search import Product, search_product

if os.environ.get("CI", "").strip().lower() in ("", "0", "false", "no"):
    torch = pytest.importorskip("torch")
else:
    import torch

CASES: list[tuple[str, dict[str, Any]]] = [
    ("default", {}),
    ("single", {"batch": 1, "in_features": 1, "out_features": 1, "bias": False}),
    ("wide", {"batch": 4, "in_features": 5, "out_features": 3}),
    ("sequence", {"batch": (2, 3), "in_features": 2, "out_features": 4, "bias": False}),
    ("three-axes", {"batch": "2x1x2", "in_features": 3, "out_features": 2}),
]


def compare_with_torch(d: LinearDerivation, seed: int) -> None:
    spec = d.spec
    rng = np.random.default_rng(seed)
    x = rng.normal(size=spec.input_shape)
    w = rng.normal(size=spec.weight_shape)
    b = rng.normal(size=(spec.out_features,))
    g = rng.normal(size=spec.output_shape)
    values: dict[sp.Symbol, float] = {}
    for key, array in (("X", x), ("W", w), ("b", b), ("dL/dY", g)):
        if key == "b" and not spec.bias:
            continue
        values.update(zip(d.expansion.tensor(key).symbols.cells, array.ravel().tolist()))

    def numeric(grid: Grid[Poly], shape: tuple[int, ...]) -> np.ndarray:
        return np.array([float(p.to_sympy().xreplace(values)) for p in grid.cells]).reshape(shape)

    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    tb = torch.tensor(b, requires_grad=True) if spec.bias else None
    y = torch.nn.functional.linear(tx, tw, tb)
    (y * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(numeric(d.expansion.forward, spec.output_shape), y.detach().numpy())
    assert tx.grad is not None and tw.grad is not None
    np.testing.assert_allclose(
        numeric(d.expansion.gradient("X"), spec.input_shape), tx.grad.numpy()
    )
    np.testing.assert_allclose(
        numeric(d.expansion.gradient("W"), spec.weight_shape), tw.grad.numpy()
    )
    if tb is not None:
        assert tb.grad is not None
        np.testing.assert_allclose(
            numeric(d.expansion.gradient("b"), (spec.out_features,)), tb.grad.numpy()
        )


@pytest.mark.torch
@pytest.mark.parametrize(("case", "options"), CASES, ids=[c for c, _ in CASES])
def test_gradients_match_torch_autograd(case: str, options: dict[str, Any]) -> None:
    d = linear(**options)
    assert d.verified
    compare_with_torch(d, seed=len(case))


@pytest.mark.torch
@settings(max_examples=15, deadline=None)
@given(
    rows=st.integers(1, 3),
    in_features=st.integers(1, 3),
    out_features=st.integers(1, 3),
    bias=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_property_gradients_match_torch(
    rows: int, in_features: int, out_features: int, bias: bool, seed: int
) -> None:
    d = linear(batch=rows, in_features=in_features, out_features=out_features, bias=bias)
    assert d.verified
    compare_with_torch(d, seed)


def test_the_search_finds_the_textbook_products() -> None:
    statements = [i.statement for i in linear().identities]
    assert statements == [
        "Y = X · W^T + b",
        "dL/dX = dL/dY · W",
        "dL/dW = (dL/dY)^T · X",
        "dL/db = sum over the rows of dL/dY",
    ]
    assert [s.tried for s in linear().detections] == [8, 8, 8, 2]


def test_an_altered_gradient_matches_nothing_and_the_proof_names_the_cell() -> None:
    d = linear(batch=3, in_features=2, out_features=2, bias=False)
    up = Grid((3, 2), d.expansion.tensor("dL/dY").symbols.cells).map(Poly.symbol)
    w = d.expansion.tensor("W").symbols.map(Poly.symbol)
    value = Grid((3, 2), d.expansion.gradient("X").cells)
    cells = list(value.cells)
    cells[3] = cells[3] + Poly.constant(1)
    altered = Grid(value.shape, tuple(cells))
    assert search_product("dL/dX", value, {"dL/dY": up, "W": w}).found
    assert not search_product("dL/dX", altered, {"dL/dY": up, "W": w}).found
    right = rebuild(Product("dL/dY", "W"), {"dL/dY": up, "W": w})
    proof = Proof.comparing(right, altered)
    assert not proof.holds and proof.first_difference == (1, 1)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["linear", "--in-features", "0"], "--in-features"),
        (["linear", "--batch", "1x2x3x4"], "--batch"),
        (["linear", "--batch", "0"], "--batch"),
        (["linear", "--batch", "400", "--in-features", "400"], "--max-terms"),
    ],
)
def test_bad_input_is_one_line(
    args: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err


def test_torch_name_and_keywords() -> None:
    assert symderiv.linear is linear
    with pytest.raises(symderiv.SymderivError, match="unknown keyword 'in_feature'"):
        symderiv.linear(in_feature=3)


@pytest.mark.torch
@pytest.mark.parametrize(
    ("shape", "start", "end"),
    [((1, 2, 2, 2), 0, -1), ((2, 3, 4), 1, -1), ((2, 3, 4, 2), 1, 2), ((3,), 0, 0)],
)
def test_flatten_backward_matches_torch(shape: tuple[int, ...], start: int, end: int) -> None:
    """torch.flatten's gradient is the upstream gradient reshaped back; so is the derivation's."""
    d = symderiv.flatten(input=shape, start_dim=start, end_dim=end)
    assert d.verified
    x = torch.zeros(shape, dtype=torch.float64, requires_grad=True)
    y = torch.flatten(x, start, end)
    assert tuple(y.shape) == d.spec.output
    g = torch.arange(1, y.numel() + 1, dtype=torch.float64).reshape(y.shape)
    (y * g).sum().backward()
    assert x.grad is not None
    values = dict(zip(d.expansion.tensor("dL/dY").symbols.cells, g.flatten().tolist()))
    ours = [float(p.to_sympy().xreplace(values)) for p in d.expansion.gradient("X").cells]
    assert ours == x.grad.flatten().tolist()


def test_flatten_bad_dims_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flatten", "--start-dim", "5"]) == 2
    assert main(["flatten", "--start-dim", "2", "--end-dim", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "--start-dim" in err
