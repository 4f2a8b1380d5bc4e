"""The activations: gradients against torch autograd (float64), the factors the search finds and
proves, a wrong gradient refused, PyTorch's convention at 0, and bad input in one line."""

from __future__ import annotations

import os
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import symderiv
from symderiv.cli.main import main
from symderiv.core.grid import Grid
from symderiv.layers.activation.derive import activation_spec
from symderiv.layers.activation.prove import prove_factor
from symderiv.layers.activation.result import ActivationDerivation
from symderiv.layers.activation.search import FACTORS

if os.environ.get("CI", "").strip().lower() in ("", "0", "false", "no"):
    torch = pytest.importorskip("torch")
else:
    import torch

F = None if torch is None else torch.nn.functional

SMOOTH: list[tuple[str, dict[str, Any], Any]] = [
    ("sigmoid", {}, lambda x: torch.sigmoid(x)),
    ("tanh", {"input": "3"}, lambda x: torch.tanh(x)),
    ("gelu", {"input": "2x2"}, lambda x: F.gelu(x)),
    ("gelu", {"input": "3", "approximate": "tanh"}, lambda x: F.gelu(x, approximate="tanh")),
    ("softplus", {"input": "3"}, lambda x: F.softplus(x)),
    ("softplus", {"input": "2", "beta": "2", "threshold": "5"}, lambda x: F.softplus(x, 2, 5)),
    ("sigmoid", {"input": "1x2x1x2"}, lambda x: torch.sigmoid(x)),
]
EXPECTED = {
    "sigmoid": {("sigmoid", "X"), ("sigmoid", "Y")},
    "tanh": {("tanh", "X"), ("tanh", "Y")},
    "gelu": {("gelu", "X")},
    "softplus": {("softplus", "X"), ("softplus", "Y")},
}
"""The factors each function's derivative has: what the search must find, no more."""

DERIVE = {
    "sigmoid": symderiv.sigmoid,
    "tanh": symderiv.tanh,
    "gelu": symderiv.gelu,
    "softplus": symderiv.softplus,
    "relu": symderiv.relu,
    "leaky-relu": symderiv.leaky_relu,
}


def _numeric(d: ActivationDerivation, x: np.ndarray, g: np.ndarray) -> tuple[Any, Any]:
    e = d.expansion
    values = {
        s: sp.Float(v, 30)
        for key, array in (("X", x), ("dL/dY", g))
        for s, v in zip(e.tensor(key).symbols.cells, array.ravel().tolist())
    }
    shape = d.spec.input

    def evaluate(grid: Grid[sp.Expr]) -> np.ndarray:
        return np.array([float(c.xreplace(values).evalf(30)) for c in grid.cells]).reshape(shape)

    return evaluate(e.forward), evaluate(e.gradient("X"))


@pytest.mark.parametrize(("name", "options", "oracle"), SMOOTH)
def test_smooth_activations_match_torch(name: str, options: dict[str, Any], oracle: Any) -> None:
    d = DERIVE[name](**options)
    assert d.verified
    kind = "gelu" if name == "gelu" and options.get("approximate") != "tanh" else name
    found = {(i.form.name, i.form.of) for i in d.identities}
    assert found == (
        EXPECTED[kind] if kind != "gelu" or "approximate" not in options else {("gelu-tanh", "X")}
    )
    rng = np.random.default_rng(len(options))
    # Inside softplus's threshold (beta x <= threshold), the branch the derivation is about.
    x = np.clip(rng.normal(scale=2.0, size=d.spec.input), -2.4, 2.4)
    g = rng.normal(size=d.spec.input)
    tx = torch.tensor(x, requires_grad=True)
    y = oracle(tx)
    (y * torch.tensor(g)).sum().backward()
    forward, gradient = _numeric(d, x, g)
    np.testing.assert_allclose(forward, y.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(gradient, tx.grad.numpy(), rtol=1e-12, atol=1e-15)


def _exact(v: sp.Expr) -> Fraction:
    r = sp.Rational(v)
    return Fraction(int(r.p), int(r.q))


def _piecewise_against_torch(d: ActivationDerivation, slope: float | None) -> None:
    assert d.spec.values is not None
    x = np.array([float(v) for v in d.spec.values.cells]).reshape(d.spec.input)
    rng = np.random.default_rng(1)
    g = rng.integers(1, 9, size=d.spec.input).astype(float)
    tx = torch.tensor(x, requires_grad=True)
    y = F.relu(tx) if slope is None else F.leaky_relu(tx, slope)
    (y * torch.tensor(g)).sum().backward()
    forward, gradient = _numeric(d, x, g)
    np.testing.assert_allclose(forward, y.detach().numpy(), rtol=1e-15)
    np.testing.assert_allclose(gradient, tx.grad.numpy(), rtol=1e-15)
    outputs = np.array([float(_exact(v)) for v in d.outputs.cells]).reshape(d.spec.input)
    np.testing.assert_allclose(outputs, y.detach().numpy(), rtol=1e-15)


def test_relu_at_zero_passes_nothing_back_as_pytorch() -> None:
    d = symderiv.relu(values="0,2,-1")
    _piecewise_against_torch(d, None)
    assert str(d.gradient("X")[0]) == "0"
    assert {(i.form.name, i.form.of) for i in d.identities} == {("step", "X"), ("step", "Y")}


def test_leaky_relu_at_zero_passes_the_slope_back() -> None:
    d = symderiv.leaky_relu(values="0,2,-1", negative_slope="0.25")
    _piecewise_against_torch(d, 0.25)
    assert str(d.gradient("X")[0]) == "dL_dY_1/4"
    # A negative slope makes Y > 0 for X < 0, so the form in Y is refused by the search.
    d = symderiv.leaky_relu(values="-2,3", negative_slope=-0.5)
    _piecewise_against_torch(d, -0.5)
    assert {(i.form.name, i.form.of) for i in d.identities} == {("leaky-step", "X")}


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(st.integers(-5, 5), min_size=1, max_size=6),
    slope=st.sampled_from([None, 0.01, 0.5, 2.0]),
)
def test_piecewise_property(values: list[int], slope: float | None) -> None:
    text = ",".join(map(str, values))
    d = (
        symderiv.relu(values=text)
        if slope is None
        else symderiv.leaky_relu(values=text, negative_slope=slope)
    )
    assert d.verified
    _piecewise_against_torch(d, slope)


def test_a_wrong_gradient_is_refused() -> None:
    d = symderiv.sigmoid(input=2)
    e = d.expansion
    x, g = e.tensor("X").symbols, e.tensor("dL/dY").symbols
    altered = Grid(
        e.gradient("X").shape, (e.gradient("X").cells[0] * 2, *e.gradient("X").cells[1:])
    )
    factor = next(f for f in FACTORS if f.name == "sigmoid" and f.of == "Y")
    proof = prove_factor(d.spec, factor, altered, g, x, d.outputs)
    assert not proof.holds and proof.first_difference == (0,)
    assert prove_factor(d.spec, factor, e.gradient("X"), g, x, d.outputs).holds


def test_seeded_values_are_reproducible_and_any_shape() -> None:
    a = symderiv.relu(input="2x1x3x2", seed=4)
    b = symderiv.relu(input="2x1x3x2", seed=4)
    assert a.spec.values == b.spec.values and a.verified
    assert {int(v) for v in a.spec.values.cells} <= set(range(-4, 5))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["relu", "--values", "1,a"], "--values"),
        (["relu", "--values", "1,2", "--seed", "1"], "--values and --seed"),
        (["relu", "--values", "1,2", "--input", "3"], "--input"),
        (["softplus", "--beta", "0"], "--beta: 0"),
        (["softplus", "--beta", "x"], "--beta"),
        (["gelu", "--approximate", "erf"], "--approximate"),
        (["tanh", "--input", "0x2"], "--input"),
        (["tanh", "--input", "100x100", "--max-terms", "10"], "over the limit of 10"),
        (["relu", "--input", "999x999", "--seed", "1"], "999x999 has 998,001 elements, over the"),
        (["leaky-relu", "--negative-slope", "1/0"], "--negative-slope"),
    ],
)
def test_bad_input_is_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_activation_spec_is_the_api_and_the_cli() -> None:
    assert activation_spec("gelu", approximate="tanh").approximate == "tanh"
    with pytest.raises(symderiv.SymderivError, match="--seed"):
        activation_spec("relu", seed=-1)
    with pytest.raises(symderiv.SymderivError, match="--values: sigmoid is smooth"):
        activation_spec("sigmoid", values="1,2")


ORACLES = {
    "sigmoid": lambda x, o: torch.sigmoid(x),
    "tanh": lambda x, o: torch.tanh(x),
    "gelu": lambda x, o: F.gelu(x, approximate=o.get("approximate", "none")),
    "softplus": lambda x, o: F.softplus(x, float(o.get("beta", 1)), float(o.get("threshold", 20))),
}


@settings(max_examples=12, deadline=None)
@given(
    name=st.sampled_from(sorted(ORACLES)),
    shape=st.lists(st.integers(1, 3), min_size=1, max_size=3),
    data=st.data(),
)
def test_smooth_property(name: str, shape: list[int], data: st.DataObject) -> None:
    options: dict[str, Any] = {"input": tuple(shape)}
    if name == "gelu":
        options["approximate"] = data.draw(st.sampled_from(["none", "tanh"]))
    if name == "softplus":
        options["beta"] = data.draw(st.sampled_from(["0.5", "1", "2"]))
    d = DERIVE[name](**options)
    assert d.verified
    rng = np.random.default_rng(len(shape))
    # Inside softplus's threshold (beta x <= 20), the branch the derivation is about.
    x = np.clip(rng.normal(scale=2.0, size=d.spec.input), -5, 5)
    g = rng.normal(size=d.spec.input)
    tx = torch.tensor(x, requires_grad=True)
    y = ORACLES[name](tx, options)
    (y * torch.tensor(g)).sum().backward()
    forward, gradient = _numeric(d, x, g)
    np.testing.assert_allclose(forward, y.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gradient, tx.grad.numpy(), rtol=1e-11, atol=1e-14)
