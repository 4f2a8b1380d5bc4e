"""``symderiv network``: every value against torch autograd on the same network built with
torch.nn.functional (float64), for a table of networks and random small chains; the two backward
passes compared; the --layers parser; the JSON; bad input in one line."""

from __future__ import annotations

import json
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
from symderiv.core.symbols import tensor_symbols
from symderiv.networks.derive import _check
from symderiv.networks.result import NetworkDerivation
from symderiv.networks.stage import Backward
from symderiv.networks.syntax import parse_layers

if os.environ.get("CI", "").strip().lower() in ("", "0", "false", "no"):
    torch = pytest.importorskip("torch")
else:
    import torch

NETWORKS: list[tuple[str, tuple[int, ...], int]] = [
    (symderiv.networks.__wrapped__.__defaults__[0] if False else "", (1, 1, 5, 5), 6),  # default
    (
        "conv2d(out_channels=3, kernel=3, padding=1, stride=2, bias=true); "
        "leaky-relu(negative_slope=0.5); avgpool2d(kernel=2, stride=1, padding=1, "
        "count_include_pad=false); flatten; linear(out_features=4); "
        "cross-entropy(target=[1,3], label_smoothing=0.1, weight=[1,2,1,1])",
        (2, 2, 5, 5),
        3,
    ),
    (
        "conv1d(out_channels=2, kernel=3, dilation=2); relu; maxpool1d(kernel=2, stride=1); "
        "flatten; linear(out_features=2, bias=false); cross-entropy",
        (1, 2, 8),
        1,
    ),
    (
        "conv2d(out_channels=4, kernel=2, groups=2); maxpool2d(kernel=2, padding=1, "
        "ceil_mode=true); flatten; linear(out_features=3); cross-entropy(reduction=sum, target=0)",
        (1, 2, 4, 4),
        2,
    ),
    (
        "conv3d(out_channels=1, kernel=2, bias=true); relu; flatten; linear(out_features=2); "
        "cross-entropy(target_probabilities='0.25,0.75')",
        (1, 1, 3, 3, 3),
        0,
    ),
    ("flatten; linear(out_features=3); relu; linear(out_features=2); cross-entropy", (2, 3), 4),
]


def torch_network(d: NetworkDerivation) -> tuple[Any, Any, list[dict[str, Any]]]:
    F = torch.nn.functional

    def tensor(g: Grid[Any]) -> Any:
        cells = np.array([float(v) for v in g.cells]).reshape(g.shape)
        return torch.tensor(cells, dtype=torch.float64, requires_grad=True)

    x = tensor(d.input)
    h, params = x, []
    for s in d.stages:
        p = {k: tensor(v) for k, v in s.parameters.items()}
        params.append(p)
        o = s.options
        if s.layer.startswith("conv"):
            h = getattr(F, s.layer)(
                h,
                p["W"],
                p.get("b"),
                stride=o["stride"],
                padding=o["padding"],
                dilation=o["dilation"],
                groups=o["groups"],
            )
        elif s.layer == "relu":
            h = F.relu(h)
        elif s.layer == "leaky-relu":
            h = F.leaky_relu(h, float(o["negative_slope"]))
        elif s.layer.startswith("maxpool"):
            pool = getattr(F, "max_pool" + s.layer[-2:])
            h = pool(
                h, o["kernel"], o["stride"], o["padding"], o["dilation"], ceil_mode=o["ceil_mode"]
            )
        elif s.layer.startswith("avgpool"):
            pool = getattr(F, "avg_pool" + s.layer[-2:])
            h = pool(
                h,
                o["kernel"],
                o["stride"],
                o["padding"],
                ceil_mode=o["ceil_mode"],
                count_include_pad=o["count_include_pad"],
            )
        elif s.layer == "flatten":
            h = torch.flatten(h, o["start_dim"], o["end_dim"])
        elif s.layer == "linear":
            h = F.linear(h, p["W"], p.get("b"))
        else:
            if o["target"] is not None:
                target = torch.tensor(list(o["target"]))
            else:
                rows = [[float(v) for v in r] for r in o["target_probabilities"]]
                target = torch.tensor(rows, dtype=torch.float64)
            weight = (
                None
                if o["weight"] is None
                else torch.tensor([float(w) for w in o["weight"]], dtype=torch.float64)
            )
            loss = F.cross_entropy(
                h,
                target,
                weight=weight,
                reduction=o["reduction"],
                label_smoothing=float(o["label_smoothing"]),
            )
    loss.backward()
    return loss, x, params


def compare_with_torch(d: NetworkDerivation) -> None:
    assert d.verified
    loss, x, params = torch_network(d)
    probabilities = dict(
        zip(tensor_symbols("P", d.stages[-1].input_shape).cells, d.loss.probabilities.cells)
    )

    def numeric(g: Grid[Poly]) -> np.ndarray:
        values = [float(p.to_sympy().xreplace(probabilities).evalf(30)) for p in g.cells]
        return np.array(values).reshape(g.shape)

    assert abs(float(sp.N(d.loss.loss, 30)) - loss.item()) < 1e-12
    np.testing.assert_allclose(numeric(d.backward[0].input), x.grad.numpy(), rtol=1e-10, atol=1e-12)
    for grads, p in zip(d.backward, params):
        for key, t in p.items():
            np.testing.assert_allclose(
                numeric(grads.parameters[key]), t.grad.numpy(), rtol=1e-10, atol=1e-12
            )
    for stage, nxt in zip(d.stages[:-1], d.stages[1:]):
        assert stage.output.shape == nxt.input_shape


@pytest.mark.parametrize(("layers", "shape", "seed"), NETWORKS)
def test_networks_match_torch(layers: str, shape: tuple[int, ...], seed: int) -> None:
    options = {"layers": layers} if layers else {}
    compare_with_torch(symderiv.network(**options, input=shape, seed=seed))


@st.composite
def chains(draw: st.DrawFn) -> tuple[str, tuple[int, ...], int]:
    """Small random chains: a convolution, maybe an activation, maybe a pooling, then flatten,
    linear and the loss, on a small input; the seed draws the numbers."""
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    h, w = draw(st.integers(3, 5)), draw(st.integers(3, 5))
    out = draw(st.integers(1, 2))
    kernel = draw(st.integers(1, 2))
    parts = [f"conv2d(out_channels={out}, kernel={kernel}, bias={draw(st.booleans())})"]
    parts += draw(st.sampled_from([[], ["relu"], ["leaky-relu(negative_slope=0.25)"]]))
    if min(h, w) - kernel + 1 >= 2:
        parts += draw(
            st.sampled_from([[], ["maxpool2d(kernel=2)"], ["avgpool2d(kernel=2, stride=1)"]])
        )
    classes = draw(st.integers(2, 3))
    targets = draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n))
    parts += [
        "flatten",
        f"linear(out_features={classes})",
        f"cross-entropy(target=[{', '.join(map(str, targets))}])",
    ]
    return "; ".join(parts), (n, c, h, w), draw(st.integers(0, 1000))


@settings(max_examples=12, deadline=None)
@given(chains())
def test_random_chains_match_torch(chain: tuple[str, tuple[int, ...], int]) -> None:
    layers, shape, seed = chain
    compare_with_torch(symderiv.network(layers=layers, input=shape, seed=seed))


def test_a_difference_between_the_two_passes_is_caught() -> None:
    d = symderiv.network()
    stage, right = d.stages[4], d.backward[4]
    cells = right.input.cells
    wrong = Backward(
        Grid(right.input.shape, (cells[0] + Poly.constant(1), *cells[1:])), right.parameters
    )
    assert _check(stage, right, right).proof.holds
    assert not _check(stage, right, wrong).proof.holds


def test_values_override_the_seed_and_every_value_is_exact() -> None:
    values = {"input": [[[[1, 0, 2], [0, 1, 1], [2, 1, 0]]]], "1.W": [[[[1, -1], ["1/2", 0]]]]}
    d = symderiv.network(
        layers="conv2d(out_channels=1, kernel=2); flatten; linear(out_features=2); cross-entropy",
        input="1x1x3x3",
        values=json.dumps(values),
    )
    assert str(d.stages[0].parameters["W"].cells[2]) == "1/2"
    compare_with_torch(d)
    data = json.loads(d.to_json())
    assert data["input"] == values["input"]
    assert data["stages"][0]["parameters"]["W"] == [[[[1, -1], ["1/2", 0]]]]


def test_json_has_every_stage_in_order() -> None:
    data = json.loads(symderiv.network().to_json())
    layers = [s["layer"] for s in data["stages"]]
    assert layers == ["conv2d", "relu", "maxpool2d", "flatten", "linear", "cross-entropy"]
    for stage in data["stages"]:
        assert {
            "layer",
            "options",
            "parameters",
            "output",
            "input_gradient",
            "parameter_gradients",
        } <= set(stage)
    loss = data["stages"][-1]
    assert loss["target"] == [2] and loss["probabilities"]["symbols"] == [
        ["P_1_1", "P_1_2", "P_1_3"]
    ]
    assert data["stages"][0]["options"]["kernel"] == [2, 2]
    assert sp.sympify(data["loss"]).is_real and data["verified"] is True
    # Every gradient is an exact polynomial in the probabilities, parseable by SymPy.
    for entry in np.array(data["stages"][4]["input_gradient"], dtype=object).ravel():
        assert sp.sympify(str(entry)).free_symbols <= set(sp.symbols("P_1_1 P_1_2 P_1_3"))


def test_output_is_deterministic(tmp_path: Any) -> None:
    runs = []
    for k in range(2):
        path = tmp_path / f"n{k}.tex"
        assert main(["network", "--format", "latex", "-o", str(path)]) == 0
        runs.append(path.read_bytes())
    assert runs[0] == runs[1]


def test_the_parser_reads_values_and_lists() -> None:
    (stage,) = parse_layers(
        "cross-entropy(target=[1, 0], weight=(1, 2.5), reduction='sum', x=true)"
    )
    assert stage.options == (
        ("target", ("1", "0")),
        ("weight", ("1", "2.5")),
        ("reduction", "sum"),
        ("x", True),
    )


@pytest.mark.parametrize(
    ("layers", "needle"),
    [
        ("conv2d(out_channels=2", "layer 1: conv2d: expected ',' or ')', but the text ends"),
        ("relu;; cross-entropy", "layer 2: expected a layer name"),
        ("softmax; cross-entropy", "layer 1 (softmax): cannot be chained in a network yet"),
        ("dense; cross-entropy", "layer 1 (dense): unknown layer"),
        (
            "flatten; linear(out_features=2)",
            "the last layer, and only the last, must be cross-entropy",
        ),
        (
            "conv2d(out_channels=2, kernal=2); flatten; linear; cross-entropy",
            "unknown option 'kernal'",
        ),
        (
            "conv2d(out_channels=2, in_channels=3); flatten; linear; cross-entropy",
            "in_channels is set by the network",
        ),
        (
            "conv2d(out_channels=2); linear(out_features=2); cross-entropy",
            "layer 2 (linear): linear takes (N, in_features)",
        ),
        ("conv2d(kernel=2); flatten; linear; cross-entropy", "layer 1 (conv2d): give out_channels"),
        ("conv2d(out_channels=1, kernel=9); flatten; linear; cross-entropy", "layer 1 (conv2d)"),
        (
            "flatten; linear; cross-entropy(target=5)",
            "layer 3 (cross-entropy): --target: class index 5",
        ),
        (
            "flatten; linear; cross-entropy(reduction=none)",
            "reduction='none' leaves no scalar loss",
        ),
        ("flatten; linear(bias=2); cross-entropy", "bias='2'; expected true or false"),
        (
            "flatten; linear(max_terms=5); cross-entropy",
            "layer 2 (linear): input 1x25 with 2 output features needs 50 product terms, over the "
            "limit of 5; raise it with max_terms= in the layer's options",
        ),
    ],
)
def test_bad_layers_are_one_line(
    layers: str, needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["network", "--layers", layers]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err, err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--values", "{"], "--values: not JSON"),
        (["--values", "[1]"], "expected a JSON object"),
        (["--values", '{"input": [1]}'], "nested lists of shape 1x1x5x5"),
        (["--values", '{"9.W": [1]}'], "'9.W' names no array"),
        (
            [
                "--values",
                '{"input": [[[["a",0,0,0,0],[0,0,0,0,0],[0,0,0,0,0],[0,0,0,0,0],[0,0,0,0,0]]]]}',
            ],
            "not a number",
        ),
        (
            [
                "--values",
                '{"input": [[[["1/0",0,0,0,0],[0,0,0,0,0],[0,0,0,0,0],[0,0,0,0,0],[0,0,0,0,0]]]]}',
            ],
            "'1/0' divides by zero",
        ),
        (["--lr", "0"], "--lr"),
        (["--input", "1x1x999x999"], "--input: 1x1x999x999 has 998,001 elements, over the limit"),
        (
            ["--layers", "flatten; linear(out_features=999999999); cross-entropy"],
            "layer 2 (linear): input 1x25 with 999999999 output features needs 24,999,999,975",
        ),
        (["--input", "1x1x5"], "layer 1 (conv2d): conv2d takes (N, C, H, W)"),
    ],
)
def test_bad_options_are_one_line(
    args: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["network", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err, err


@pytest.mark.tex
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_document_compiles_without_overfull_lines(lang: str, tmp_path: Any) -> None:
    from .test_output_checks import ENGINE, compile_tex, overfull_boxes

    source = symderiv.network().to_latex(lang, standalone=True)
    text, log = compile_tex(source, ENGINE[lang], tmp_path)
    assert ("Verification" if lang == "en" else "验证") in text
    assert not overfull_boxes(log), overfull_boxes(log)


@pytest.mark.katex
def test_the_markdown_math_passes_katex_strict() -> None:
    from .test_output_checks import extract_math, run_katex

    pieces = []
    symbols = symderiv.network(layers=SMALL, input="1x1x3x3", mode="symbols")
    for lang in ("en", "zh"):
        pieces += extract_math(symderiv.network().to_markdown(lang))
        pieces += extract_math(symbols.to_markdown(lang))
    errors = run_katex(pieces)
    assert not errors, [(pieces[int(e["index"])].tex[:200], e["message"]) for e in errors[:5]]


SMALL = (
    "conv2d(out_channels=2, kernel=2, bias=true); avgpool2d(kernel=2, stride=1); flatten; "
    "linear(out_features=2); cross-entropy(target=1)"
)


def test_symbols_mode_at_the_seeds_numbers_is_numbers_mode() -> None:
    """Every symbolic value, with the seed's numbers put in for the symbols, is exactly the
    numbers-mode value: the two modes are one computation."""
    numbers = symderiv.network(layers=SMALL, input="1x1x3x3", seed=5)
    symbols = symderiv.network(layers=SMALL, input="1x1x3x3", seed=5, mode="symbols")
    assert symbols.verified and numbers.verified
    put: dict[Any, Poly] = {}
    for leaf in symbols.leaves:
        index = leaf.key[1:]
        array = (
            numbers.input
            if leaf.key == "X"
            else numbers.stages[int(index) - 1].parameters[leaf.key[0]]
        )
        put.update({s: Poly.constant(v) for s, v in zip(leaf.symbols.cells, array.cells)})
    probabilities = {s: Poly.symbol(s) for s in tensor_symbols("P", (1, 2)).cells}

    def at_numbers(g: Grid[Poly]) -> tuple[Poly, ...]:
        return tuple(p.substitute({**put, **probabilities}) for p in g.cells)

    for sym, num in zip(symbols.stages[:-1], numbers.stages[:-1]):
        assert at_numbers(sym.output) == tuple(Poly.constant(v) for v in num.output.cells)
    for sym, num in zip(symbols.backward, numbers.backward):
        assert at_numbers(sym.input) == num.input.cells
        for key in num.parameters:
            assert at_numbers(sym.parameters[key]) == num.parameters[key].cells
    data = json.loads(symbols.to_json())
    assert data["stages"][-1]["logit_symbols"] == [["A4_1_1", "A4_1_2"]]
    assert data["options"]["mode"] == "symbols"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ([], "layer 2 (relu): its branches depend on the values, so it needs numbers"),
        (["--values", "{}"], "--values: symbols mode has no numbers"),
        (
            [
                "--layers",
                "conv2d(out_channels=4, kernel=2); flatten; linear(out_features=10); cross-entropy",
                "--input",
                "2x2x6x6",
            ],
            "symbols mode is for tiny networks",
        ),
    ],
)
def test_symbols_mode_refuses_what_it_cannot_do(
    args: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["network", "--mode", "symbols", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err, err
