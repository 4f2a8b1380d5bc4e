"""Worked examples on numbers (convolution, average pooling): the values torch's autograd gives
for the same numbers, the written-out products that lead to each value, the JSON form, and bad
input."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

import symderiv
from symderiv.cli.main import main

from .test_conv_general import autograd, torch  # noqa: F401  (torch is a fixture)

CONV_CASES = [
    ("conv2d", {"seed": 3}),
    ("conv2d", {"seed": 1, "input": "4x5", "kernel": "3x2", "stride": 2, "padding": 1}),
    ("conv2d", {"seed": 2, "input": 4, "dilation": 2, "bias": True}),
    ("conv2d", {"seed": 5, "in_channels": 2, "out_channels": 2, "groups": 2, "input": 3}),
    ("conv1d", {"seed": 4, "input": 7, "kernel": 3, "stride": 3, "padding": 1}),
    ("conv_transpose2d", {"seed": 6, "stride": 2, "padding": 1, "output_padding": 1}),
    ("conv3d", {"seed": 7, "input": 3, "kernel": 2}),
]


def _fractions(nested: Any) -> np.ndarray:
    return np.vectorize(lambda v: float(Fraction(v)))(np.array(nested, dtype=object))


@pytest.mark.torch
@pytest.mark.parametrize(("layer", "options"), CONV_CASES, ids=[c[0] for c in CONV_CASES])
def test_conv_worked_values_are_torchs(torch: Any, layer: str, options: dict[str, Any]) -> None:  # noqa: F811
    d = getattr(symderiv, layer)(**options)
    data = json.loads(d.to_json())
    spec = d.spec
    assert spec is not None
    shapes = spec.full_shapes()
    point = {key: _fractions(v).reshape(shapes[key]) for key, v in data["values"].items()}
    theirs = autograd(torch, spec, point)
    # Small integers: torch's float64 arithmetic is exact here, so the comparison is too.
    assert np.array_equal(point["O"], theirs["O"])
    for key, values in data["gradient_values"].items():
        assert np.array_equal(_fractions(values).reshape(shapes[key]), theirs[key]), key
    assert all(isinstance(v, int) for v in np.array(data["values"]["X"]).ravel().tolist())


@pytest.mark.torch
@pytest.mark.parametrize(
    "options",
    [
        {"seed": 1},
        {"seed": 2, "input": 5, "kernel": 3, "stride": 2, "padding": 1},
        {"seed": 3, "input": 5, "kernel": 3, "stride": 2, "padding": 1, "count_include_pad": False},
        {"values": '{"X": [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]}'},
    ],
)
def test_avgpool_worked_values_are_torchs(torch: Any, options: dict[str, Any]) -> None:  # noqa: F811
    d = symderiv.avgpool2d(**options)
    data = json.loads(d.to_json())
    x = torch.tensor(_fractions(data["values"]["X"]), dtype=torch.float64, requires_grad=True)
    settings = {k: options.get(k, v) for k, v in (("kernel", 2), ("padding", 0))}
    o = torch.nn.functional.avg_pool2d(
        x[None, None],
        settings["kernel"],
        options.get("stride", settings["kernel"]),
        settings["padding"],
        count_include_pad=options.get("count_include_pad", True),
    )[0, 0]
    o.backward(torch.tensor(_fractions(data["values"]["dL/dO"]), dtype=torch.float64))
    # Divisors such as 9 make values that float64 cannot hold exactly: compare to rounding.
    assert np.allclose(_fractions(data["values"]["O"]), o.detach().numpy(), rtol=0, atol=1e-12)
    ours = _fractions(data["gradient_values"]["X"])
    assert np.allclose(ours, x.grad.numpy(), rtol=0, atol=1e-12)
    assert any(
        isinstance(v, str) and "/" in v
        for v in np.array(data["gradient_values"]["X"], dtype=object).ravel()
    )


def _evaluate(tex: str) -> Fraction:
    """A written-out line (``2 \\cdot (-1) + \\frac{1}{4} \\cdot 3``) evaluated exactly."""
    python = re.sub(r"\\t?frac\{(\d+)\}\{(\d+)\}", r"Fraction(\1, \2)", tex)
    python = python.replace("\\cdot", "*").replace("\\quad", "")
    return Fraction(eval(python, {"Fraction": Fraction}))  # test-only: our own output


@pytest.mark.parametrize("layer", ["conv2d", "avgpool2d"])
def test_the_products_written_out_add_up_to_each_value(layer: str) -> None:
    markdown = getattr(symderiv, layer)(seed=4).to_markdown()
    worked = markdown[markdown.index("## A worked example") :]
    blocks = re.findall(r"\\begin\{aligned\}\n(.*?)\n\\end\{aligned\}", worked, re.S)
    checked = 0
    for block in blocks:
        lines = block.split(" \\\\\n")
        for i, line in enumerate(lines):
            if line.startswith("&= ") and i + 1 < len(lines):
                following = lines[i + 1]
                written = line[3:]
                while following.startswith("&\\quad + "):  # a long sum continues
                    written += " + " + following.removeprefix("&\\quad + ")
                    i += 1
                    following = lines[i + 1]
                if following.startswith("&= ") and "\\partial" not in written:
                    assert _evaluate(written) == _evaluate(following[3:]), line
                    checked += 1
    assert checked >= 8


def test_given_values_and_the_seed_fill_the_arrays() -> None:
    d = symderiv.conv2d(values='{"F": [[1, 0], [0, -1]]}', seed=9)
    data = json.loads(d.to_json())
    assert data["values"]["F"] == [[1, 0], [0, -1]]
    assert data["values_from"] == {"given": ["F"], "seed": 9}
    again = json.loads(symderiv.conv2d(seed=9).to_json())
    # Each array's seeded numbers do not depend on whether another array was given.
    assert data["values"]["X"] == again["values"]["X"]
    assert data["values"]["dL/dO"] == again["values"]["dL/dO"]
    plain = json.loads(symderiv.conv2d(values="1,2,3;4,5,6;7,8,9").to_json())
    assert plain["values"]["X"] == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert "values" not in json.loads(symderiv.conv2d().to_json())


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["conv2d", "--values", '{"Y": [[1]]}'], "'Y' names no array of this layer"),
        (["conv2d", "--values", '{"F": [[1, 2]]}'], "F must be nested lists of shape 2x2"),
        (["conv2d", "--values", "1,2;3,4"], "--values gives X as 2x2, but this layer's X is 3x3"),
        (["conv2d", "--values", "{"], "--values: not JSON"),
        (["conv2d", "--seed", "-1"], "--seed"),
        (["avgpool2d", "--values", '{"X": [["a", 0, 0, 0]]}'], "X must be nested lists"),
    ],
)
def test_bad_values_are_one_line(
    args: list[str], needle: str, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    target = tmp_path / "out.md"
    assert main([*args, "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err, err
    assert not target.exists()


@pytest.mark.katex
def test_worked_markdown_passes_katex_strict() -> None:
    from .test_output_checks import extract_math, run_katex

    pieces = []
    for lang in ("en", "zh"):
        for d in (symderiv.conv2d(seed=4, bias=True), symderiv.avgpool2d(seed=4, input=5)):
            pieces += extract_math(d.to_markdown(lang))
    errors = run_katex(pieces)
    assert not errors, [(pieces[int(e["index"])].tex[:200], e["message"]) for e in errors[:5]]
