"""Normalisation layers: exact proofs, sympy.diff of the whole loss, PyTorch autograd, pitfalls."""

from __future__ import annotations

import functools
import os
import random
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symderiv.core.errors import SymderivError
from symderiv.core.symbols import EPSILON, scalar_symbol
from symderiv.layers.norm.derive import (
    NormDerivation,
    batchnorm,
    groupnorm,
    instancenorm,
    layernorm,
)

if os.environ.get("CI", "").strip().lower() in ("", "0", "false", "no"):
    torch = pytest.importorskip("torch")
else:
    import torch

import torch.nn.functional as F  # noqa: E402

EPS_SYMBOL = scalar_symbol(EPSILON)

# (id, builder, keyword arguments): a table of shapes for every layer and mode.
CASES: list[tuple[str, Callable[..., NormDerivation], dict[str, Any]]] = [
    ("bn-default", batchnorm, {}),
    ("bn-3x2", batchnorm, {"batch": 3, "channels": 2}),
    ("bn2d-2x2x2x3", batchnorm, {"batch": 2, "channels": 2, "spatial": "2x3"}),
    ("bn1d-2x3x2", batchnorm, {"batch": 2, "channels": 3, "spatial": 2}),
    ("bn-eval", batchnorm, {"mode": "eval"}),
    ("bn2d-eval", batchnorm, {"batch": 1, "channels": 2, "spatial": "2x2", "mode": "eval"}),
    ("bn-eps", batchnorm, {"batch": 3, "eps": "1e-5"}),
    ("ln-eps0", layernorm, {"eps": 0}),
    ("ln-default", layernorm, {}),
    ("ln-2x3", layernorm, {"batch": 3, "normalized_shape": "2x3"}),
    ("gn-default", groupnorm, {}),
    ("gn-6c3g", groupnorm, {"batch": 2, "channels": 6, "groups": 3, "spatial": "1x2"}),
    ("gn-1group", groupnorm, {"channels": 3, "groups": 1, "spatial": 2}),
    # M = 1, which torch accepts for layer and group norm: y = beta and dL/dx = 0.
    ("gn-single", groupnorm, {"batch": 2, "channels": 2, "groups": 2, "spatial": 1}),
    ("ln-single", layernorm, {"normalized_shape": 1}),
    ("in-default", instancenorm, {}),
    ("in-2x2x3", instancenorm, {"batch": 2, "channels": 2, "spatial": 3}),
    ("in-eval", instancenorm, {"batch": 2, "channels": 2, "spatial": "1x2", "mode": "eval"}),
]


@functools.cache
def derived(case_id: str) -> NormDerivation:
    _, build, kwargs = next(c for c in CASES if c[0] == case_id)
    return build(**kwargs)


def flat(array: sp.ImmutableDenseNDimArray) -> list[Any]:
    return list(sp.flatten(array.tolist())) if array.shape else [array]


# --------------------------------------------------------------------------------------------
# Exact proofs


@pytest.mark.parametrize("case_id", [c[0] for c in CASES])
def test_every_identity_is_proven(case_id: str) -> None:
    d = derived(case_id)
    assert d.verified
    names = [i.form for i in d.identities]
    training = ["beta", "gamma", "mean_path", "compact", "compact_general"]
    assert names == (training if d.spec.training else ["beta", "gamma", "eval"])
    elements = {i.form: i.proof.elements for i in d.identities}
    assert elements["compact" if d.spec.training else "eval"] == d.spec.elements


def test_the_general_m_proof_can_fail() -> None:
    import dataclasses

    from symderiv.layers.norm.prove_general import equal_for_every_m, general_form

    form = general_form()
    assert equal_for_every_m(form)
    assert not equal_for_every_m(dataclasses.replace(form, compact=form.compact * 2))
    assert not equal_for_every_m(dataclasses.replace(form, deviations_vanish=False))


def test_a_wrong_compact_formula_is_not_proven() -> None:
    """The proof can fail: dropping the x-hat projection term breaks it."""
    import dataclasses

    from symderiv.core.symbols import NORMALIZED, element_symbol
    from symderiv.layers.norm.prove import prove_identities

    d = batchnorm(batch=3)
    xhat = {element_symbol(NORMALIZED, i) for i in d.tensor("x").symbols.indices()}
    broken = d.compact.map(lambda e: e.xreplace({s: 0 for s in xhat}))
    wrong = dataclasses.replace(d, compact=broken)
    result = {i.form: i.proof.holds for i in prove_identities(wrong)}
    assert result == {
        "beta": True,
        "gamma": True,
        "mean_path": True,
        "compact": False,
        "compact_general": True,
    }


@pytest.mark.parametrize("m", [3, 16])
def test_the_element_proof_refutes_a_missing_term_and_an_unknown_form(m: int) -> None:
    """Dropping the term through the mean (sum_j g_j) for one element, or writing the variance
    outside the square root, is not proven: the reduction modulo sum d_j = 0 cannot hide it."""
    from symderiv.layers.norm.prove import _equal_in_group

    d = batchnorm(batch=m)
    stat = d.statistics[0]
    x, dy = d.tensor("x").symbols, d.tensor("dL/dy").symbols
    staged = [d.graph.resolved[x[i]] for i in stat.members]
    compact = [d.compact[i] for i in stat.members]
    assert _equal_in_group(d, stat, staged, compact)
    root = sp.sqrt(stat.variance + d.epsilon)
    gamma = d.tensor("gamma").symbols.cells[0]
    mean_term = sp.Add(*(dy[i] for i in stat.members)) * gamma / (m * root)
    assert not _equal_in_group(d, stat, staged, [compact[0] + mean_term, *compact[1:]])
    assert not _equal_in_group(d, stat, staged, [compact[0] * stat.variance, *compact[1:]])


@pytest.mark.parametrize("m", [4, 8, 16])
def test_benchmark_sizes_are_proven(m: int) -> None:
    assert batchnorm(batch=m).verified


# --------------------------------------------------------------------------------------------
# sympy.diff of the whole scalar loss (small sizes only: it is quadratic)


@pytest.mark.parametrize("case_id", ["bn-default", "ln-default", "gn-default", "bn-eval"])
def test_gradients_match_sympy_diff_of_the_loss(case_id: str) -> None:
    d = derived(case_id)
    y = flat(d.forward())
    upstream = flat(d.symbols("dL/dy"))
    loss = sp.Add(*(u * v for u, v in zip(upstream, y)))
    rng = random.Random(5)
    point: dict[sp.Symbol, sp.Expr] = {}
    for key in [t.key for t in d.tensors if t.key != "y"]:
        for s in flat(d.symbols(key)):
            point[s] = sp.Rational(rng.randint(-9, 9), rng.randint(1, 4))
    point[EPS_SYMBOL] = sp.Rational(1, 10)
    if not d.spec.training:
        for s in flat(d.symbols("running_var")):
            point[s] = sp.Rational(rng.randint(1, 9), 4)
    for key in ("x", "gamma", "beta"):
        for variable, ours in zip(flat(d.symbols(key)), flat(d.gradient(key))):
            reference = sp.diff(loss, variable)
            difference = (ours - reference).xreplace(point)
            assert abs(sp.N(difference, 60)) < sp.Float("1e-45"), (key, variable)


# --------------------------------------------------------------------------------------------
# PyTorch autograd, float64


def torch_gradients(
    d: NormDerivation, values: dict[str, np.ndarray], eps: float
) -> dict[str, np.ndarray]:
    spec = d.spec
    x = torch.tensor(values["x"], dtype=torch.float64, requires_grad=True)
    gamma = torch.tensor(values["gamma"], dtype=torch.float64, requires_grad=True)
    beta = torch.tensor(values["beta"], dtype=torch.float64, requires_grad=True)
    if spec.kind == "batchnorm":
        if spec.training:
            y = F.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)
        else:
            rm = torch.tensor(values["running_mean"], dtype=torch.float64)
            rv = torch.tensor(values["running_var"], dtype=torch.float64)
            y = F.batch_norm(x, rm, rv, gamma, beta, training=False, eps=eps)
    elif spec.kind == "instancenorm":
        if spec.training:
            y = F.instance_norm(x, None, None, gamma, beta, use_input_stats=True, eps=eps)
        else:
            rm = torch.tensor(values["running_mean"], dtype=torch.float64)
            rv = torch.tensor(values["running_var"], dtype=torch.float64)
            y = F.instance_norm(x, rm, rv, gamma, beta, use_input_stats=False, eps=eps)
    elif spec.kind == "groupnorm":
        y = F.group_norm(x, spec.groups, gamma, beta, eps=eps)
    else:
        y = F.layer_norm(x, spec.parameter_shape, gamma, beta, eps=eps)
    upstream = torch.tensor(values["dL/dy"], dtype=torch.float64)
    (y * upstream).sum().backward()
    assert x.grad is not None and gamma.grad is not None and beta.grad is not None
    return {
        "y": y.detach().numpy(),
        "x": x.grad.numpy(),
        "gamma": gamma.grad.numpy(),
        "beta": beta.grad.numpy(),
    }


@functools.cache
def compiled(d: NormDerivation) -> Callable[..., list[Any]]:
    inputs = [t.key for t in d.tensors if t.key != "y"]
    arguments = [s for key in inputs for s in flat(d.symbols(key))] + [EPS_SYMBOL]
    outputs = [
        *flat(d.forward()),
        *(e for k in ("x", "gamma", "beta") for e in flat(d.gradient(k))),
    ]
    return sp.lambdify(arguments, outputs, "math", cse=True)  # type: ignore[no-any-return]


def ours(d: NormDerivation, values: dict[str, np.ndarray], eps: float) -> dict[str, np.ndarray]:
    inputs = [t.key for t in d.tensors if t.key != "y"]
    arguments = [v for key in inputs for v in values[key].ravel().tolist()] + [eps]
    out = compiled(d)(*arguments)
    shapes = [
        ("y", d.spec.shape),
        ("x", d.spec.shape),
        ("gamma", d.spec.parameter_shape),
        ("beta", d.spec.parameter_shape),
    ]
    result, start = {}, 0
    for key, shape in shapes:
        size = int(np.prod(shape))
        result[key] = np.array(out[start : start + size]).reshape(shape)
        start += size
    return result


def random_values(d: NormDerivation, rng: np.random.Generator) -> dict[str, np.ndarray]:
    values = {t.key: rng.normal(size=t.shape) for t in d.tensors if t.key != "y"}
    if "running_var" in values:
        values["running_var"] = rng.uniform(0.5, 2.0, size=values["running_var"].shape)
    return values


@pytest.mark.torch
@pytest.mark.parametrize("case_id", [c[0] for c in CASES])
def test_gradients_match_torch_autograd(case_id: str) -> None:
    d = derived(case_id)
    eps = float(d.spec.eps) if d.spec.eps is not None else 1e-5
    rng = np.random.default_rng(zlib.crc32(case_id.encode()))
    for _ in range(3):
        values = random_values(d, rng)
        expected = torch_gradients(d, values, eps)
        got = ours(d, values, eps)
        for key in ("y", "x", "gamma", "beta"):
            np.testing.assert_allclose(
                got[key], expected[key], rtol=1e-9, atol=1e-10, err_msg=f"{case_id}: {key}"
            )


@pytest.mark.torch
@settings(max_examples=30, deadline=None)
@given(
    kind=st.sampled_from(["batchnorm", "layernorm", "groupnorm", "instancenorm"]),
    batch=st.integers(1, 3),
    channels=st.integers(1, 3),
    length=st.integers(1, 3),
    seed=st.integers(0, 2**31),
    eps=st.sampled_from([1e-5, 0.1, 1.0]),
)
def test_property_gradients_match_torch(
    kind: str, batch: int, channels: int, length: int, seed: int, eps: float
) -> None:
    try:
        d = _property_derivation(kind, batch, channels, length)
    except SymderivError:
        # M = 1 where torch refuses it too: batch and instance norm, group norm of one sample.
        assert kind in ("batchnorm", "instancenorm") or (kind == "groupnorm" and batch == 1)
        return
    values = random_values(d, np.random.default_rng(seed))
    expected = torch_gradients(d, values, eps)
    got = ours(d, values, eps)
    for key in ("y", "x", "gamma", "beta"):
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-8, atol=1e-9)


@functools.cache
def _property_derivation(kind: str, batch: int, channels: int, length: int) -> NormDerivation:
    if kind == "batchnorm":
        return batchnorm(batch=batch, channels=channels, spatial=length)
    if kind == "layernorm":
        return layernorm(batch=batch, normalized_shape=(channels, length))
    if kind == "groupnorm":
        return groupnorm(batch=batch, channels=channels, groups=channels, spatial=length)
    return instancenorm(batch=batch, channels=channels, spatial=(length, 2))


# --------------------------------------------------------------------------------------------
# Pitfalls (domain.md): epsilon inside the root; biased vs unbiased variance; M = N*H*W


@pytest.mark.torch
def test_epsilon_sits_inside_the_square_root() -> None:
    d = batchnorm(batch=3, eps="0.5")
    sigma2, eps = sp.Symbol("sigma2"), sp.Rational(1, 2)
    xhat = next(n for n in d.nodes if n.symbol.name == "xhat_1_1")
    assert sp.fraction(xhat.definition)[1] == sp.sqrt(sigma2 + eps)
    values = random_values(d, np.random.default_rng(1))
    values["x"] = np.array([[0.1], [0.2], [0.4]])  # small variance: eps placement matters
    expected = torch_gradients(d, values, 0.5)
    np.testing.assert_allclose(ours(d, values, 0.5)["y"], expected["y"], rtol=1e-12)
    x = values["x"].ravel()
    outside = values["gamma"][0] * (x - x.mean()) / (np.sqrt(x.var()) + 0.5) + values["beta"][0]
    assert not np.allclose(outside, expected["y"].ravel(), rtol=1e-3)


@pytest.mark.torch
def test_normalisation_uses_the_biased_variance_and_running_var_the_unbiased() -> None:
    d = batchnorm(batch=4)
    values = [1.0, 2.0, 4.0, 7.0]
    definitions = d.definitions()
    point = {s: v for s, v in zip(flat(d.symbols("x")), values)}
    variance = float(definitions[sp.Symbol("sigma2")].xreplace(point))
    assert variance == pytest.approx(np.var(values, ddof=0))
    assert variance != pytest.approx(np.var(values, ddof=1))
    # torch's running_var update uses the unbiased variance, as the document says.
    running_mean, running_var = (
        torch.zeros(1, dtype=torch.float64),
        torch.ones(1, dtype=torch.float64),
    )
    x = torch.tensor(values, dtype=torch.float64).reshape(4, 1)
    F.batch_norm(x, running_mean, running_var, training=True, momentum=0.1)
    unbiased = np.var(values, ddof=1)
    assert running_var.item() == pytest.approx(0.9 * 1.0 + 0.1 * unbiased)
    assert unbiased == pytest.approx(variance * 4 / 3)
    markdown = d.to_markdown()
    assert "M/(M-1) = \\frac{4}{3}" in markdown and "unbiased" in markdown
    assert "\\frac{M}{M - 1}" in markdown


def test_batchnorm2d_statistics_run_over_n_h_w() -> None:
    d = batchnorm(batch=2, channels=3, spatial="2x3")
    assert d.spec.m == 12 and len(d.statistics) == 3
    assert all(len(stat.members) == 12 for stat in d.statistics)
    assert {i[1] for i in d.statistics[1].members} == {1}  # one channel, every n, h, w
    assert "M = N \\cdot H \\cdot W = 12" in d.to_markdown()
    assert '"M": 12' in d.to_json()


def test_layer_group_instance_norm_say_their_axes_and_m() -> None:
    assert layernorm(batch=2, normalized_shape="2x3").spec.m == 6
    assert "M = D1 \\cdot D2 = 6" in layernorm(batch=2, normalized_shape="2x3").to_markdown()
    gn = groupnorm(batch=1, channels=6, groups=3, spatial="2x2")
    assert gn.spec.m == 8 and "M = (C/G) \\cdot H \\cdot W = 8" in gn.to_markdown()
    inst = instancenorm(batch=2, channels=3, spatial="2x2")
    assert inst.spec.m == 4 and len(inst.statistics) == 6
    assert "M = H \\cdot W = 4" in inst.to_markdown()


# --------------------------------------------------------------------------------------------
# Bad input from Python


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda: batchnorm(batch=1), "M = N = 1"),
        (lambda: batchnorm(batch=1, spatial="1x1"), "the variance of a single value"),
        (lambda: groupnorm(channels=4, groups=3), "--groups 3 does not divide --channels 4"),
        (lambda: batchnorm(eps=-0.1), "-0.1"),
        (lambda: batchnorm(eps="abc"), "'abc'"),
        (lambda: groupnorm(batch=1, channels=2, groups=2, spatial=1), "torch refuses it"),
        (lambda: instancenorm(spatial=()), "spatial axes"),
        (lambda: batchnorm(mode="test"), "'test'"),
    ],
)
def test_bad_input_raises_one_line(call: Callable[[], object], named: str) -> None:
    with pytest.raises(SymderivError) as error:
        call()
    assert named in str(error.value) and "\n" not in str(error.value)


def test_eval_mode_accepts_a_single_value() -> None:
    assert batchnorm(batch=1, mode="eval").verified
