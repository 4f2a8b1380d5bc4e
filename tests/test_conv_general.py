"""Convolution in full generality checked against independent oracles: PyTorch autograd (a table of
awkward configurations and a hypothesis property test), SymPy differentiating the scalar loss, the
zero-gradient rule of domain.md, and the detector and prover against altered results.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
from pathlib import Path
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
from symderiv.layers.conv.candidates import LayerCandidate
from symderiv.layers.conv.derive import make_spec
from symderiv.layers.conv.ops import Geometry
from symderiv.layers.conv.prove import verify_layer
from symderiv.layers.conv.search import search_layer
from symderiv.layers.conv.spec import ConvSpec

# (id, dims, transposed, options): the awkward cases (remainders, stride > kernel, depthwise)
# and a spread of the others.
CONFIGS: list[tuple[str, int, bool, dict[str, Any]]] = [
    ("2d-stride-larger-than-kernel", 2, False, dict(input=7, kernel=2, stride=3)),
    ("2d-padding-with-remainder", 2, False, dict(input=6, kernel=3, stride=2, padding=1)),
    ("2d-dilation2-stride2", 2, False, dict(input=7, kernel=2, stride=2, dilation=2)),
    (
        "2d-depthwise",
        2,
        False,
        dict(input=4, kernel=3, padding=1, groups=3, in_channels=3, out_channels=3, bias=True),
    ),
    (
        "2d-groups2-channels",
        2,
        False,
        dict(
            input=(5, 4),
            kernel=(2, 3),
            stride=(2, 1),
            groups=2,
            in_channels=4,
            out_channels=2,
            batch=2,
            bias=True,
        ),
    ),
    (
        "2d-mixed-axes",
        2,
        False,
        dict(input=(6, 5), kernel=(3, 2), stride=(2, 1), padding=(0, 1), dilation=(1, 2)),
    ),
    (
        "1d-mixed",
        1,
        False,
        dict(
            input=9,
            kernel=3,
            stride=2,
            padding=2,
            dilation=2,
            in_channels=2,
            out_channels=3,
            batch=2,
            bias=True,
        ),
    ),
    ("1d-plain", 1, False, dict(input=5, kernel=2)),
    ("1d-k1-s2", 1, False, dict(input=6, kernel=1, stride=2)),
    (
        "3d-mixed",
        3,
        False,
        dict(
            input=(4, 3, 5),
            kernel=(2, 2, 3),
            stride=(2, 1, 2),
            padding=(1, 0, 1),
            in_channels=2,
            out_channels=2,
            bias=True,
        ),
    ),
    ("3d-plain", 3, False, dict(input=3, kernel=2)),
    (
        "t1d-stride-output-padding",
        1,
        True,
        dict(input=3, kernel=3, stride=2, padding=1, output_padding=1, bias=True),
    ),
    ("t2d-default", 2, True, dict(input=2, kernel=2)),
    (
        "t2d-channels-groups",
        2,
        True,
        dict(
            input=(3, 2),
            kernel=2,
            stride=2,
            padding=(1, 0),
            groups=2,
            in_channels=2,
            out_channels=4,
            batch=2,
            bias=True,
        ),
    ),
    ("t2d-dilation", 2, True, dict(input=3, kernel=2, stride=2, dilation=2, output_padding=1)),
    (
        "t2d-output-padding-reaches-stride",
        2,
        True,
        dict(
            input=(3, 2),
            kernel=2,
            stride=(1, 2),
            dilation=(3, 1),
            output_padding=(2, 1),
            groups=2,
            in_channels=2,
            out_channels=2,
            bias=True,
        ),
    ),
    (
        "t3d-mixed",
        3,
        True,
        dict(
            input=(2, 2, 3),
            kernel=(2, 1, 2),
            stride=(1, 2, 2),
            padding=(0, 0, 1),
            output_padding=(0, 1, 1),
            in_channels=2,
            out_channels=2,
        ),
    ),
]


def derive(dims: int, transposed: bool, options: dict[str, Any]) -> symderiv.Derivation:
    return _cached(dims, transposed, json.dumps(options, sort_keys=True))


@functools.cache
def _cached(dims: int, transposed: bool, key: str) -> symderiv.Derivation:
    from symderiv.layers.conv.derive import derive as run

    options = {k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(key).items()}
    return run(make_spec(dims, transposed, **options))


@pytest.fixture(scope="module")
def torch() -> Any:
    """PyTorch; skipped where it is missing, except under CI, where a missing torch fails."""
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        import torch

        return torch
    return pytest.importorskip("torch")


def evaluate(p: Poly, values: dict[sp.Symbol, float]) -> float:
    total = 0.0
    for monomial, coefficient in p:
        term = float(coefficient)
        for s in monomial:
            term *= values[s]
        total += term
    return total


def numeric(
    d: symderiv.Derivation, seed: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Random values for every input (in PyTorch's layout) and the derived results there."""
    spec = d.spec
    assert spec is not None
    shapes = spec.full_shapes()
    rng = np.random.default_rng(seed)
    point: dict[str, np.ndarray] = {}
    values: dict[sp.Symbol, float] = {}
    for t in d.expansion.tensors:
        if t.key == "O":
            continue
        array = rng.uniform(-2, 2, size=shapes[t.key])
        point[t.key] = array
        values.update(zip(t.symbols.cells, array.ravel().tolist()))
    ours = {"O": np.array([evaluate(p, values) for p in d.expansion.forward.cells])}
    ours["O"] = ours["O"].reshape(shapes["O"])
    for key, grid in d.expansion.gradients:
        ours[key] = np.array([evaluate(p, values) for p in grid.cells]).reshape(shapes[key])
    return point, ours


def autograd(torch: Any, spec: ConvSpec, point: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    f = torch.nn.functional
    x = torch.tensor(point["X"], dtype=torch.float64, requires_grad=True)
    w = torch.tensor(point[spec.weight], dtype=torch.float64, requires_grad=True)
    b = torch.tensor(point["b"], dtype=torch.float64, requires_grad=True) if spec.bias else None
    if spec.transposed:
        function = getattr(f, f"conv_transpose{spec.dims}d")
        o = function(
            x, w, b, spec.stride, spec.padding, spec.output_padding, spec.groups, spec.dilation
        )
    else:
        function = getattr(f, f"conv{spec.dims}d")
        o = function(x, w, b, spec.stride, spec.padding, spec.dilation, spec.groups)
    o.backward(torch.tensor(point["dL/dO"], dtype=torch.float64))
    result = {"O": o.detach().numpy(), "X": x.grad.numpy(), spec.weight: w.grad.numpy()}
    if b is not None:
        result["b"] = b.grad.numpy()
    return result


def assert_matches_torch(torch: Any, d: symderiv.Derivation, seed: int) -> None:
    assert d.spec is not None
    point, ours = numeric(d, seed)
    theirs = autograd(torch, d.spec, point)
    assert set(ours) == set(theirs)
    for key in theirs:
        assert ours[key].shape == theirs[key].shape, key
        assert np.max(np.abs(ours[key] - theirs[key])) <= 1e-10, key


@pytest.mark.torch
@pytest.mark.parametrize(
    ("dims", "transposed", "options"), [pytest.param(d, t, o, id=i) for i, d, t, o in CONFIGS]
)
def test_gradients_match_torch_autograd(
    torch: Any, dims: int, transposed: bool, options: dict[str, Any]
) -> None:
    d = derive(dims, transposed, options)
    assert_matches_torch(torch, d, seed=len(json.dumps(options)))
    assert d.verified


@st.composite
def configurations(draw: st.DrawFn) -> tuple[int, bool, dict[str, Any], int]:
    dims = draw(st.integers(1, 3))
    transposed = draw(st.booleans())
    groups = draw(st.sampled_from([1, 1, 2]))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    top = {1: 7, 2: 5, 3: 3}[dims]
    axes: dict[str, list[int]] = {
        k: [] for k in ("input", "kernel", "stride", "padding", "dilation", "output_padding")
    }
    for _ in range(dims):
        k = draw(st.integers(1, 3))
        s = draw(st.integers(1, 3))
        d = draw(st.integers(1, 2))
        if transposed:
            n = draw(st.integers(1, 3))
            p = draw(st.integers(0, d * (k - 1)))
            # Up to max(s, d) - 1: an output padding that reaches the stride is allowed when
            # it stays below the dilation (PyTorch's backward then crops the convolution).
            op = draw(st.integers(0, max(s, d) - 1))
            if (n - 1) * s - 2 * p + d * (k - 1) + op + 1 < 1:
                p = 0
        else:
            p = draw(st.integers(0, 2))
            n = draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p), max(top, d * (k - 1) + 1)))
            op = 0
        for key, value in zip(axes, (n, k, s, p, d, op)):
            axes[key].append(value)
    options: dict[str, Any] = {key: tuple(v) for key, v in axes.items()}
    if not transposed:
        del options["output_padding"]
    if draw(st.booleans()):
        options.update(
            groups=groups, in_channels=c_in, out_channels=c_out, batch=draw(st.integers(1, 2))
        )
    options["bias"] = draw(st.booleans())
    return dims, transposed, options, draw(st.integers(0, 2**32 - 1))


@pytest.mark.torch
@settings(max_examples=40, deadline=None)
@given(configurations())
def test_random_configurations_match_torch_autograd(
    torch: Any, case: tuple[int, bool, dict[str, Any], int]
) -> None:
    dims, transposed, options, seed = case
    from symderiv.layers.conv.derive import derive as run

    d = run(make_spec(dims, transposed, **options, max_terms=10**6))
    assert_matches_torch(torch, d, seed)
    assert d.verified, [i.statement for i in d.identities if not i.proof.holds]


# --- exact: SymPy differentiating the scalar loss -----------------------------------------------

EXACT = [
    c
    for c in CONFIGS
    if c[0]
    in ("2d-padding-with-remainder", "2d-groups2-channels", "1d-mixed", "t2d-channels-groups")
]


@pytest.mark.parametrize(
    ("dims", "transposed", "options"), [pytest.param(d, t, o, id=i) for i, d, t, o in EXACT]
)
def test_gradients_are_sympy_derivatives_of_the_loss(
    dims: int, transposed: bool, options: dict[str, Any]
) -> None:
    d = derive(dims, transposed, options)
    upstream = d.expansion.tensor("dL/dO").symbols
    loss = sp.Add(*(u * p.to_sympy() for u, p in zip(upstream.cells, d.expansion.forward.cells)))
    for key, grid in d.expansion.gradients:
        symbols = d.expansion.tensor(key).symbols
        for s, value in zip(symbols.cells, grid.cells):
            assert sp.expand(sp.diff(loss, s) - value.to_sympy()) == 0, (key, s)


# --- the whole-layer identities, each by name ---------------------------------------------------


def identity(d: symderiv.Derivation, target: str, function: str) -> LayerCandidate:
    found = [
        i
        for i in d.identities
        if i.target == target
        and i.proof.holds
        and isinstance(i.form, LayerCandidate)
        and i.form.function == function
    ]
    assert found, [i.statement for i in d.identities]
    candidate = found[0].form
    assert isinstance(candidate, LayerCandidate)
    return candidate


@pytest.mark.parametrize(
    ("dims", "transposed", "options"),
    [pytest.param(d, t, o, id=i) for i, d, t, o in CONFIGS if not t],
)
def test_input_gradient_is_conv_transpose_with_the_remainder(
    dims: int, transposed: bool, options: dict[str, Any]
) -> None:
    d = derive(dims, transposed, options)
    spec = d.spec
    assert spec is not None
    c = identity(d, "dL/dX", "conv_transpose")
    assert (c.first, c.second, c.flip_second) == ("dL/dO", spec.weight, False)
    assert (c.stride, c.padding, c.dilation, c.groups) == (
        spec.stride,
        spec.padding,
        spec.dilation,
        spec.groups,
    )
    expected = tuple(
        (n + 2 * p - d * (k - 1) - 1) % s
        for n, k, s, p, d in zip(spec.input, spec.kernel, spec.stride, spec.padding, spec.dilation)
    )
    assert c.output_padding == expected
    w = identity(d, "dL/d" + spec.weight, "conv_weight")
    assert (w.first, w.second) == ("X", "dL/dO")


@pytest.mark.parametrize(
    ("dims", "transposed", "options"), [pytest.param(d, t, o, id=i) for i, d, t, o in CONFIGS if t]
)
def test_transposed_input_gradient_is_the_convolution(
    dims: int, transposed: bool, options: dict[str, Any]
) -> None:
    d = derive(dims, transposed, options)
    spec = d.spec
    assert spec is not None
    c = identity(d, "dL/dX", "conv")
    assert (c.first, c.second, c.flip_second) == ("dL/dO", spec.weight, False)
    assert (c.stride, c.padding, c.dilation, c.groups) == (
        spec.stride,
        spec.padding,
        spec.dilation,
        spec.groups,
    )
    forward = identity(d, "O", "conv_transpose")
    assert forward.output_padding == spec.output_padding
    assert identity(d, "dL/d" + spec.weight, "conv_weight").first == "dL/dO"


def test_bias_gradient_is_the_sum_of_the_upstream_gradient() -> None:
    d = derive(2, False, dict(CONFIGS[4][3]))
    identity(d, "dL/db", "sum")
    assert d.verified


def _zero_rows(n: int, k: int, s: int, p: int, dil: int) -> list[int]:
    """domain.md: rows h with no (i, u) such that s*i + d*u = h + p (0-based)."""
    out = (n + 2 * p - dil * (k - 1) - 1) // s + 1
    read = {s * i + dil * u - p for i in range(out) for u in range(k)}
    return [h for h in range(n) if h not in read]


@pytest.mark.parametrize(
    ("n", "k", "s", "p", "dil"),
    [(6, 3, 2, 0, 1), (6, 1, 2, 0, 1), (7, 2, 3, 0, 1), (8, 2, 3, 1, 2)],
)
def test_zero_gradient_rows_follow_the_rule(n: int, k: int, s: int, p: int, dil: int) -> None:
    d = symderiv.conv2d(input=n, kernel=k, stride=s, padding=p, dilation=dil)
    data = json.loads(d.to_json())
    rows = _zero_rows(n, k, s, p, dil)
    zero = {tuple(i) for i in data["zero_gradients"].get("X", [])}
    expected = {(a + 1, b + 1) for a in range(n) for b in range(n) if a in rows or b in rows}
    assert zero == expected
    gradient = d.expansion.gradient("X")
    assert all(
        (not gradient[(a - 1, b - 1)]) == ((a, b) in expected)
        for a in range(1, n + 1)
        for b in range(1, n + 1)
    )


def test_zero_gradient_row_six_is_named_in_the_text() -> None:
    markdown = symderiv.conv2d(input=6, kernel=3, stride=2).to_markdown()
    assert "They are row 6, column 6." in markdown
    assert re.search(r"output padding \$1\$", markdown)
    chinese = symderiv.conv2d(input=6, kernel=3, stride=2).to_markdown("zh")
    assert "第 6 行" in chinese and "第 6 列" in chinese


# --- the search really searches; the proof really checks ----------------------------------------


def _altered(g: Grid[Poly]) -> Grid[Poly]:
    busiest = max(range(len(g.cells)), key=lambda i: len(g.cells[i]))
    (m, c), *rest = g.cells[busiest].ordered_terms()
    cells = list(g.cells)
    cells[busiest] = Poly({m: 2 * c, **dict(rest)})
    return Grid(g.shape, tuple(cells))


@pytest.mark.parametrize(
    ("dims", "transposed", "options"), [pytest.param(d, t, o, id=i) for i, d, t, o in CONFIGS[:6]]
)
def test_altered_input_gradient_has_no_match_and_fails_its_proof(
    dims: int, transposed: bool, options: dict[str, Any]
) -> None:
    d = derive(dims, transposed, options)
    spec = d.spec
    assert spec is not None
    shapes = spec.full_shapes()
    full = {
        t.key: Grid(shapes[t.key], t.symbols.cells).map(Poly.symbol) for t in d.expansion.tensors
    }
    value = Grid(shapes["X"], d.expansion.gradient("X").cells)
    operands = {"dL/dO": full["dL/dO"], spec.weight: full[spec.weight]}
    geo = Geometry(spec.stride, spec.padding, spec.dilation, spec.groups, spec.output_padding)
    control = search_layer("dL/dX", value, operands, geo)
    assert control.found
    altered = _altered(value)
    assert not search_layer("dL/dX", altered, operands, geo).found
    for proven in verify_layer(control, altered, operands):
        assert not proven.proof.holds and proven.proof.first_difference is not None


# --- large derivations ---------------------------------------------------------------------


def test_large_derivation_shows_a_selection_and_says_how_to_print_all() -> None:
    options = dict(input=8, kernel=3, stride=2, padding=1, in_channels=2, out_channels=2, batch=2)
    d = symderiv.conv2d(**options)
    markdown = d.to_markdown()
    section = markdown.split("## Gradient with respect to $X$")[1].split("## Compact")[0]
    shown = re.findall(r"^\\frac\{\\partial L\}\{\\partial X_\{[^}]*\}\} &= ", section, re.M)
    total = 2 * 2 * 8 * 8
    assert 0 < len(shown) < total
    assert (
        f"{total - len(shown)} equations left out here; `--all-equations` prints them" in markdown
    )
    everything = symderiv.conv2d(**options, all_equations=True).to_markdown()
    section = everything.split("## Gradient with respect to $X$")[1].split("## Compact")[0]
    assert (
        len(re.findall(r"^\\frac\{\\partial L\}\{\\partial X_\{[^}]*\}\} &= ", section, re.M))
        == total
    )
    assert "left out" not in everything
    data = json.loads(d.to_json())
    assert np.array(data["gradients"]["X"], dtype=object).shape == (2, 2, 8, 8)


# --- the command line ---------------------------------------------------------------------------

BAD = [
    (
        ["conv2d", "--groups", "2", "--in-channels", "3", "--out-channels", "2"],
        ["--groups 2", "--in-channels 3", "multiples"],
    ),
    (
        ["conv2d", "--input", "3", "--kernel", "3", "--dilation", "2"],
        ["reaches 5", "input 3", "empty"],
    ),
    (["conv2d", "--input", "2", "--kernel", "3"], ["kernel 3x3 is larger than input 2x2"]),
    (["conv1d", "--padding", "-1"], ["--padding -1", "negative"]),
    (["conv3d", "--stride", "0"], ["--stride 0", "at least 1"]),
    (["conv2d", "--dilation", "1x0"], ["--dilation 1x0", "at least 1"]),
    (
        ["conv-transpose2d", "--stride", "2", "--output-padding", "2"],
        [
            "--output-padding 2",
            "--stride 2",
            "--dilation 1",
            "smaller than the stride or the dilation",
        ],
    ),
    (["conv2d", "--stride", "2x1x1"], ["'2x1x1'", "3 values", "2 spatial axes"]),
    (["conv1d", "--kernel", "2x2"], ["'2x2'"]),
    (
        ["conv-transpose1d", "--input", "1", "--kernel", "1", "--padding", "1"],
        ["output would be empty"],
    ),
    (["conv2d", "--batch", "0"], ["--batch 0", "at least 1"]),
    (
        ["conv2d", "--input", "40", "--kernel", "3", "--in-channels", "8", "--out-channels", "8"],
        ["--max-terms"],
    ),
]


@pytest.mark.parametrize(("args", "named"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_exit_2_and_no_file(
    args: list[str], named: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out.md"
    code = main([*args, "-o", str(target)])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("symderiv: error: ")
    for word in named:
        assert word in captured.err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "command",
    ["conv1d", "conv2d", "conv3d", "conv-transpose1d", "conv-transpose2d", "conv-transpose3d"],
)
def test_every_command_verifies(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "verify",
            command,
            "--stride",
            "2",
            "--padding",
            "1",
            "--bias",
            "--in-channels",
            "2",
            "--out-channels",
            "2",
            "--input",
            "3",
        ]
    )
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert lines and all(line.startswith("PROVEN") for line in lines)
    assert any(line.startswith("PROVEN    dL/db = sum") for line in lines)


def test_general_output_is_identical_across_hash_seeds() -> None:
    command = [
        sys.executable,
        "-m",
        "symderiv.cli",
        "conv2d",
        "--stride",
        "2",
        "--padding",
        "1",
        "--groups",
        "2",
        "--in-channels",
        "2",
        "--out-channels",
        "2",
        "--bias",
    ]
    outputs = []
    for fmt in ("md", "json"):
        runs = [
            subprocess.run(
                [*command, "--format", fmt],
                capture_output=True,
                check=True,
                env={**os.environ, "PYTHONHASHSEED": seed},
            ).stdout
            for seed in ("0", "7")
        ]
        assert runs[0] and runs[0] == runs[1]
        outputs.append(runs[0])
    assert outputs[0] != outputs[1]


def test_json_layout_follows_pytorch() -> None:
    d = symderiv.conv_transpose2d(
        input=2, kernel=2, groups=2, in_channels=2, out_channels=4, batch=3, bias=True
    )
    data = json.loads(d.to_json())
    assert data["tensors"]["X"]["shape"] == [3, 2, 2, 2]
    assert data["tensors"]["W"]["shape"] == [2, 2, 2, 2]
    assert data["tensors"]["b"]["shape"] == [4]
    assert data["tensors"]["O"]["shape"] == data["tensors"]["dL/dO"]["shape"] == [3, 4, 3, 3]
    assert data["tensors"]["X"]["symbols"][2][1][0][1] == "X_3_2_1_2"
    assert set(data["gradients"]) == {"X", "W", "b"}
    assert data["layout"] == "N C H W"
    assert all(i["verification"]["status"] == "proven" for i in data["identities"])


def test_single_channel_bias_keeps_the_rot180_gradient_identities() -> None:
    d = symderiv.conv2d(bias=True)
    statements = [i.statement for i in d.identities if i.proof.holds]
    assert "dL/dX = full cross-correlation(dL/dO, rot180(F))" in statements
    assert "dL/dF = valid cross-correlation(X, dL/dO)" in statements
    assert not any(s.startswith("O = valid") for s in statements)  # the bias is not spatial
    assert d.verified


@pytest.mark.parametrize("padding", [0, 1])
def test_a_weight_gradient_statement_is_a_call_torch_accepts(padding: int, torch: Any) -> None:
    """Transposed convolution whose output padding reaches the stride: dL/dW is a weight
    gradient whose output gradient is shorter than the convolution's output. Without padding the
    statement crops the input (keep) and torch.nn.grad.conv1d_weight accepts it and agrees with
    autograd; with padding 1 >= stride no crop helps, and the document says torch needs the
    output gradient extended (torch rejects the operands as they stand)."""
    import numpy as np

    from symderiv.layers.conv.view_general import identity_context
    from symderiv.render.latex import Notation

    d = symderiv.conv_transpose1d(
        input=3,
        kernel=2,
        dilation=2,
        output_padding=1,
        padding=padding,
        in_channels=2,
        out_channels=2,
        batch=1,
    )
    identity = next(
        i for i in d.identities if i.target == "dL/dW" and i.form.function == "conv_weight"
    )
    context = identity_context(d, Notation.of(d.expansion.tensors), identity)
    c = identity.form
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.normal(size=(1, 2, 3)), requires_grad=True)
    w = torch.tensor(rng.normal(size=(2, 2, 2)), requires_grad=True)
    y = torch.nn.functional.conv_transpose1d(x, w, dilation=2, output_padding=1, padding=padding)
    g = torch.tensor(rng.normal(size=tuple(y.shape)))
    (y * g).sum().backward()
    first = g[..., : c.keep[0]] if c.keep else g
    call = lambda: torch.nn.grad.conv1d_weight(  # noqa: E731
        first,
        tuple(w.shape),
        x.detach(),
        stride=c.stride,
        padding=c.padding,
        dilation=c.dilation,
        groups=c.groups,
    )
    if context["torch_ready"]:
        np.testing.assert_allclose(call().numpy(), w.grad.numpy(), rtol=1e-12)
    else:
        assert padding == 1
        with pytest.raises(RuntimeError):
            call()
