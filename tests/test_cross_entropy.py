"""Cross-entropy: gradients and losses against torch autograd (float64) over targets, weights,
label smoothing and reductions; the compact form found and proven; a wrong gradient refused."""

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
from symderiv.layers.loss.derive import rows
from symderiv.layers.loss.prove import prove_form
from symderiv.layers.loss.result import CrossEntropyDerivation
from symderiv.layers.loss.search import FORMS

if os.environ.get("CI", "").strip().lower() in ("", "0", "false", "no"):
    torch = pytest.importorskip("torch")
else:
    import torch

CASES: list[tuple[dict[str, Any], set[str]]] = [
    ({}, {"textbook", "weighted", "one-hot"}),
    ({"reduction": "sum"}, {"textbook", "weighted", "one-hot", "unscaled"}),
    ({"reduction": "none"}, {"textbook", "weighted", "one-hot"}),
    ({"label_smoothing": "0.1"}, {"textbook", "weighted"}),
    ({"target": "1,0", "weight": "1,2,1"}, {"weighted"}),
    ({"target": "1,0", "weight": "1,2,1", "label_smoothing": 0.2}, {"weighted"}),
    ({"target_probabilities": "0.2,0.3,0.5;1,0,0"}, {"textbook", "weighted"}),
    ({"target_probabilities": "0.2,0.3,0.4;1,0,0", "weight": [2, 1, 1]}, {"weighted"}),
    (
        {"batch": 3, "classes": 2, "target": [1, 1, 0], "reduction": "sum"},
        {"textbook", "weighted", "one-hot", "unscaled"},
    ),
]


def compare_with_torch(d: CrossEntropyDerivation, seed: int) -> None:
    spec = d.spec
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=2.0, size=(spec.batch, spec.classes))
    e = d.expansion
    values = {s: sp.Float(v, 30) for s, v in zip(e.tensor("X").symbols.cells, x.ravel().tolist())}
    upstream = rng.normal(size=spec.batch)
    if spec.reduction == "none":
        values.update(
            {s: sp.Float(v, 30) for s, v in zip(e.tensor("dL/dl").symbols.cells, upstream.tolist())}
        )

    def numeric(grid: Grid[sp.Expr]) -> np.ndarray:
        return np.array([float(c.xreplace(values).evalf(30)) for c in grid.cells]).reshape(
            grid.shape
        )

    tx = torch.tensor(x, requires_grad=True)
    if spec.target is not None:
        target = torch.tensor(list(spec.target))
    else:
        target = torch.tensor(
            [[float(v) for v in row] for row in spec.probabilities], dtype=torch.float64
        )
    weight = (
        None
        if spec.weight is None
        else torch.tensor([float(w) for w in spec.weight], dtype=torch.float64)
    )
    loss = torch.nn.functional.cross_entropy(
        tx,
        target,
        weight=weight,
        reduction=spec.reduction,
        label_smoothing=float(spec.label_smoothing),
    )
    if spec.reduction == "none":
        np.testing.assert_allclose(numeric(e.forward), loss.detach().numpy(), rtol=1e-12)
        (loss * torch.tensor(upstream)).sum().backward()
    else:
        assert abs(float(d.loss.xreplace(values).evalf(30)) - loss.item()) < 1e-12
        loss.backward()
    np.testing.assert_allclose(numeric(e.gradient("X")), tx.grad.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize(("options", "forms"), CASES)
def test_cross_entropy_matches_torch(options: dict[str, Any], forms: set[str]) -> None:
    d = symderiv.cross_entropy(**options)
    assert d.verified
    assert {i.form.name for i in d.identities} == forms
    compare_with_torch(d, len(options))


@settings(max_examples=20, deadline=None)
@given(
    data=st.data(),
    n=st.integers(1, 3),
    c=st.integers(2, 4),
    reduction=st.sampled_from(["mean", "sum", "none"]),
    smoothing=st.sampled_from([0, 0.1, 0.5]),
    weighted=st.booleans(),
)
def test_cross_entropy_property(
    data: st.DataObject, n: int, c: int, reduction: str, smoothing: float, weighted: bool
) -> None:
    target = data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n))
    weight = data.draw(st.lists(st.integers(1, 3), min_size=c, max_size=c)) if weighted else None
    d = symderiv.cross_entropy(
        batch=n,
        classes=c,
        target=target,
        reduction=reduction,
        label_smoothing=smoothing,
        weight=weight,
    )
    assert d.verified and "weighted" in {i.form.name for i in d.identities}
    compare_with_torch(d, n + c)


def test_a_wrong_gradient_is_refused() -> None:
    d = symderiv.cross_entropy()
    e = d.expansion
    x = e.tensor("X").symbols
    cells = e.gradient("X").cells
    altered = Grid(e.gradient("X").shape, (*cells[:4], cells[4] + sp.Rational(1, 7), cells[5]))
    textbook = next(f for f in FORMS if f.name == "textbook")
    proof = prove_form(textbook, altered, rows(d.spec, x, list(d.scales)), x, list(d.scales))
    assert not proof.holds and proof.first_difference == (1, 1)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["cross-entropy", "--target", "3,0"], "class index 3 is out of range"),
        (["cross-entropy", "--target", "1,x"], "--target"),
        (["cross-entropy", "--target", "1", "--batch", "2"], "--target has 1 class indices"),
        (["cross-entropy", "--label-smoothing", "1.5"], "--label-smoothing"),
        (["cross-entropy", "--weight", "1,2"], "--weight has 2 entries"),
        (["cross-entropy", "--weight", "1,-1,1"], "must not be negative"),
        (["cross-entropy", "--target", "0", "--weight", "0,1,1"], "sum to 0"),
        (["cross-entropy", "--target-probabilities", "0.5,0.5"], "--target-probabilities"),
        (["cross-entropy", "--target", "0", "--target-probabilities", "1,0,0"], "not both"),
        (["cross-entropy", "--batch", "100", "--classes", "100"], "over the limit"),
    ],
)
def test_bad_input_is_one_line(
    args: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err, err


@pytest.mark.parametrize("keyword", ["target", "target_probabilities"])
def test_no_sample_is_one_error(keyword: str) -> None:
    """An empty target list left the mean's normaliser 0 (a ZeroDivisionError, not one line)."""
    with pytest.raises(symderiv.SymderivError, match="no sample given"):
        symderiv.cross_entropy(**{keyword: []})
