"""Normalisation on the command line: sections, verify, JSON, bad input, determinism."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

from symderiv.cli.main import main

BAD_INPUT = [
    (["batchnorm", "--batch", "1"], "M = N = 1", "variance of a single value is undefined"),
    (["batchnorm", "--batch", "1", "--spatial", "1x1"], "M = N*H*W = 1", "undefined"),
    (["instancenorm", "--spatial", "1"], "M = L = 1", "undefined"),
    (["groupnorm", "--channels", "4", "--groups", "3"], "--groups 3", "does not divide"),
    (["groupnorm", "--channels", "6", "--groups", "4"], "--channels 6", "does not divide"),
    (["batchnorm", "--eps", "-0.1"], "-0.1", "at least 0"),
    (["layernorm", "--eps", "-1e-5"], "-1e-05", "at least 0"),
    (["batchnorm", "--eps", "tiny"], "'tiny'", "--eps"),
    (["batchnorm", "--eps", "0"], "invalid value 0", "epsilon > 0"),
    (["batchnorm", "--batch", "0"], "--batch", "0"),
    (["batchnorm", "--spatial", "2x0"], "'2x0'", "--spatial"),
    (["batchnorm", "--spatial", "2x2x2x2"], "'2x2x2x2'", "at most 3"),
    (["batchnorm", "--mode", "test"], "'test'", "--mode"),
    (["layernorm", "--mode", "eval"], "--mode", "No such option"),
    (["verify", "groupnorm", "--groups", "3"], "--groups 3", "does not divide"),
    (["batchnorm", "--batch", "5000"], "M = 5,000 values need 25,000,000 steps", "limit"),
]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("args", "named", "reason"), BAD_INPUT, ids=[" ".join(a) for a, _, _ in BAD_INPUT]
)
def test_bad_input_is_one_line_exit_2_and_no_file(
    args: list[str], named: str, reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out.md"
    extra = ["-o", str(target)] if args[0] != "verify" else []
    code, out, err = run([*args, *extra], capsys)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("symderiv: error: ")
    assert named in err and reason in err
    assert list(tmp_path.iterdir()) == []


def test_bad_input_from_a_real_process_has_no_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "symderiv.cli", "batchnorm", "--batch", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_default_batchnorm_sections_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["batchnorm"], capsys)
    assert code == 0
    headings = [line for line in out.splitlines() if line.startswith("#")]
    assert headings == [
        "# Backpropagation through batch normalisation: $M = 4$ values per group",
        "## Forward computation graph",
        "### Worked example: channel 1",
        "## Local derivatives",
        "## Backward pass, stage by stage",
        "### The shift and the scale",
        "### The normalised values",
        "### The variance",
        "### The mean",
        "### The input: three paths",
        "## The compact formula",
        "## Running statistics",
    ]
    # Every element's staged and compact equation is there, printed from SymPy.
    assert len(re.findall(r"^\\frac{\\partial L}{\\partial x_{\d1}} &= ", out, re.M)) == 8
    assert "\\sqrt{\\sigma^2 + \\varepsilon}" in out
    assert "\\frac{\\partial \\sigma^2}{\\partial \\mu} = 2 \\mu - \\frac{x_{11}}{2}" in out


def test_eval_mode_document(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["batchnorm", "--mode", "eval"], capsys)
    assert code == 0
    assert "eval mode" in out and "\\hat{\\sigma}^2_{1}" in out
    assert "\\frac{\\partial L}{\\partial \\mu}" not in out  # the statistics are constants


@pytest.mark.parametrize(
    "args",
    [
        ["batchnorm"],
        ["batchnorm", "--mode", "eval"],
        ["batchnorm", "--batch", "2", "--channels", "3", "--spatial", "2x2", "--eps", "1e-5"],
        ["layernorm"],
        ["groupnorm"],
        ["instancenorm"],
        ["instancenorm", "--mode", "eval"],
    ],
)
def test_verify_reports_every_identity(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["verify", *args], capsys)
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == (3 if "eval" in args else 5)
    assert all(line.startswith("PROVEN") for line in lines)


def test_json_gradients_evaluate_with_the_statistics(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["batchnorm", "--format", "json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["layer"] == "batchnorm" and data["verified"] is True
    assert data["axes"] == {"layout": ["N", "C"], "normalized": ["N"], "M": 4, "groups": 1}
    assert set(data["tensors"]) == {"x", "gamma", "beta", "y", "dL/dy"}
    assert [i["name"] for i in data["identities"]] == [
        "beta",
        "gamma",
        "mean_path",
        "compact",
        "compact_general",
    ]
    assert all(i["verification"]["status"] == "proven" for i in data["identities"])
    # Substitute the statistics (mean first), then a point: dL/dx sums to zero over the group.
    (stat,) = data["statistics"]
    mean = sp.sympify(stat["mean_definition"])
    variance = sp.sympify(stat["variance_definition"]).subs(sp.Symbol(stat["mean"]), mean)
    point = {sp.Symbol(f"x_{i}_1"): v for i, v in zip(range(1, 5), (1, 2, 4, 7))}
    point.update({sp.Symbol(f"dL_dy_{i}_1"): v for i, v in zip(range(1, 5), (3, -1, 2, 5))})
    point.update({sp.Symbol("gamma_1"): 2, sp.Symbol("epsilon"): sp.Rational(1, 10)})
    statistics = {
        sp.Symbol(stat["mean"]): mean.subs(point),
        sp.Symbol(stat["variance"]): variance.subs(point),
    }
    grads = [sp.sympify(row[0]).subs(statistics).subs(point) for row in data["gradients"]["x"]]
    assert sp.simplify(sp.Add(*grads)) == 0


def test_json_does_not_depend_on_language(capsys: pytest.CaptureFixture[str]) -> None:
    outputs = [
        run(["groupnorm", "--format", "json", "--lang", lang], capsys)[1] for lang in ("en", "zh")
    ]
    assert outputs[0] == outputs[1]


def test_output_is_the_same_for_any_hash_seed() -> None:
    outputs = set()
    for seed in ("0", "1", "12345"):
        result = subprocess.run(
            [sys.executable, "-m", "symderiv.cli", "groupnorm", "--format", "latex"],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1
