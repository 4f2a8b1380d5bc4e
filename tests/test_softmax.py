"""Softmax and log-softmax: gradients against torch autograd (float64), the compact form the
search finds and proves, the Jacobian in the output, a wrong gradient refused, bad input."""

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
from symderiv.layers.softmax.prove import form_values, prove_elements
from symderiv.layers.softmax.result import SoftmaxDerivation
from symderiv.layers.softmax.search import FORMS

if os.environ.get("CI", "").strip().lower() in ("", "0", "false", "no"):
    torch = pytest.importorskip("torch")
else:
    import torch

CASES: list[tuple[str, dict[str, Any]]] = [
    ("softmax", {}),
    ("softmax", {"input": "2x2", "dim": 0}),
    ("softmax", {"input": "2x2x3", "dim": 1}),
    ("log_softmax", {}),
    ("log_softmax", {"input": "4", "dim": 0}),
    ("log_softmax", {"input": "1x3x2", "dim": -2}),
]


def compare_with_torch(d: SoftmaxDerivation, seed: int) -> None:
    spec = d.spec
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=2.0, size=spec.input)
    g = rng.normal(size=spec.input)
    e = d.expansion
    values = {
        s: sp.Float(v, 30)
        for key, array in (("X", x), ("dL/dY", g))
        for s, v in zip(e.tensor(key).symbols.cells, array.ravel().tolist())
    }

    def numeric(grid: Grid[sp.Expr]) -> np.ndarray:
        cells = [float(c.xreplace(values).evalf(30)) for c in grid.cells]
        return np.array(cells).reshape(spec.input)

    tx = torch.tensor(x, requires_grad=True)
    function = torch.softmax if spec.kind == "softmax" else torch.log_softmax
    y = function(tx, dim=spec.dim)
    (y * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(numeric(e.forward), y.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(numeric(e.gradient("X")), tx.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(
        numeric(d.staged.map(lambda v: v.xreplace(_outputs(d)))),
        tx.grad.numpy(),
        rtol=1e-10,
        atol=1e-14,
    )


def _outputs(d: SoftmaxDerivation) -> dict[sp.Symbol, sp.Expr]:
    """Y's symbols by their definitions: the staged form is written in Y."""
    y = d.expansion.tensor("Y").symbols
    return {s: d.expansion.forward[i] for i, s in y.items()}


@pytest.mark.parametrize(("function", "options"), CASES)
def test_softmax_matches_torch_and_finds_its_form(function: str, options: dict[str, Any]) -> None:
    d = getattr(symderiv, function)(**options)
    assert d.verified and d.jacobian.holds
    expected = "softmax" if function == "softmax" else "log-softmax"
    assert [i.form.name for i in d.identities] == [expected]
    compare_with_torch(d, len(options))


@settings(max_examples=15, deadline=None)
@given(
    shape=st.lists(st.integers(1, 3), min_size=1, max_size=3),
    data=st.data(),
    log=st.booleans(),
)
def test_softmax_property(shape: list[int], data: st.DataObject, log: bool) -> None:
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    d = (symderiv.log_softmax if log else symderiv.softmax)(input=tuple(shape), dim=dim)
    assert d.verified
    compare_with_torch(d, sum(shape))


def test_a_wrong_gradient_is_refused() -> None:
    d = symderiv.softmax(input=3)
    e = d.expansion
    x, g = e.tensor("X").symbols, e.tensor("dL/dY").symbols
    right = next(f for f in FORMS if f.name == "softmax")
    cells = e.gradient("X").cells
    altered = Grid(e.gradient("X").shape, (cells[0], cells[1] + g[(0,)], cells[2]))
    proof = prove_elements(d.spec, altered, form_values(d.spec, right, x, g), x, g)
    assert not proof.holds and proof.first_difference == (1,)
    # The diagonal-only Jacobian, a common mistake, is tried and refused.
    assert "diagonal" not in [i.form.name for i in d.identities]
    assert d.detections[0].tried == len(FORMS)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["softmax", "--dim", "2"], "--dim: 2 is out of range"),
        (["softmax", "--dim", "x"], "--dim"),
        (["log-softmax", "--input", "2x0"], "--input"),
        (["softmax", "--input", "30x30", "--max-terms", "100"], "over the limit of 100"),
    ],
)
def test_bad_input_is_one_line(
    args: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err
