"""The chain-rule primer: each case checked again here by SymPy, independently of the module."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sympy as sp
from click.testing import CliRunner

from symderiv.cli.main import cli
from symderiv.layers.chain_rule import derive as primer

from .test_output_checks import ENGINE, compile_tex, extract_math, run_katex

s, x, y, z = sp.symbols("s x y z")


@pytest.fixture(scope="module")
def derived() -> primer.PrimerDerivation:
    return primer.chain_rule()


def test_every_case_is_proven(derived: primer.PrimerDerivation) -> None:
    assert [c.name for c in derived.cases] == ["one path", "two paths"]
    assert all(c.proof.holds for c in derived.cases) and derived.gate.proof.holds
    assert derived.verified


def test_one_path_matches_plain_differentiation(derived: primer.PrimerDerivation) -> None:
    one = derived.cases[0]
    # Written out by hand here: z = sin(x^2), so dz/dx = 2x cos(x^2).
    assert sp.simplify(one.substituted - sp.diff(sp.sin(x**2), x)) == 0
    assert sp.simplify(one.substituted - 2 * x * sp.cos(x**2)) == 0
    assert one.composed == sp.sin(x**2)
    (path,) = one.paths
    assert [(f.numerator, f.denominator) for f in path] == [(z, y), (y, x)]
    assert [f.value for f in path] == [sp.cos(y), 2 * x]


def test_two_paths_matches_plain_differentiation(derived: primer.PrimerDerivation) -> None:
    two = derived.cases[1]
    # z = x y with x = s^2, y = sin s: both paths contribute.
    expected = 2 * s * sp.sin(s) + s**2 * sp.cos(s)
    assert sp.simplify(two.substituted - expected) == 0
    assert sp.simplify(two.direct - expected) == 0
    assert len(two.paths) == 2
    contributions = [sp.Mul(*(f.value for f in path)) for path in two.paths]
    assert contributions == [y * 2 * s, x * sp.cos(s)]
    assert [f.partial for path in two.paths for f in path] == [True, False, True, False]


def test_gate_passes_upstream_times_local(derived: primer.PrimerDerivation) -> None:
    gate = derived.gate
    assert gate.local == (y, x)
    assert gate.downstream == (primer.upstream * y, primer.upstream * x)
    # Independently: for a concrete loss L = exp(z), dL/dx = exp(xy) * y.
    loss = sp.exp(x * y)
    for v, d in zip(gate.inputs, gate.downstream):
        assert sp.simplify(sp.diff(loss, v) - d.subs(primer.upstream, sp.exp(x * y))) == 0


def test_check_can_fail() -> None:
    """The check is not vacuous: a wrong chain-rule result is reported as not holding."""
    assert not primer.check(2 * x * sp.cos(x**2), sp.cos(x**2)).holds
    assert primer.check(sp.sin(x) ** 2 + sp.cos(x) ** 2, sp.Integer(1)).holds


def run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args)
    return result.exit_code, result.output


def test_verify_command_reports_each_check() -> None:
    code, out = run(["verify", "chain-rule"])
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("PROVEN") for line in lines)


def test_json_expressions_parse_and_agree() -> None:
    code, out = run(["chain-rule", "--format", "json"])
    assert code == 0
    data = json.loads(out)
    assert data["layer"] == "chain-rule" and data["verified"] is True
    for case in data["cases"]:
        chained, direct = sp.sympify(case["substituted"]), sp.sympify(case["direct"])
        assert sp.simplify(chained - direct) == 0
        assert case["verification"]["status"] == "proven"
    assert data["gate"]["local_gradients"] == {"x": "y", "y": "x"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_markdown_sections_and_math(lang: str) -> None:
    code, out = run(["chain-rule", "--lang", lang])
    assert code == 0
    headings = [line for line in out.splitlines() if line.startswith("#")]
    assert len(headings) == 4 and headings[0].startswith("# ")
    assert "\\frac{dz}{dx} = \\frac{dz}{dy} \\frac{dy}{dx}" in out
    assert "\\tag{" not in out  # equations are numbered only inside the notes


@pytest.mark.katex
def test_markdown_math_passes_katex_strict() -> None:
    pieces = [
        p for lang in ("en", "zh") for p in extract_math(run(["chain-rule", "--lang", lang])[1])
    ]
    assert len(pieces) > 30
    errors = run_katex(pieces)
    assert not errors, [(pieces[int(e["index"])].tex, e["message"]) for e in errors]


@pytest.mark.tex
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_standalone_latex_compiles(lang: str, tmp_path: Path) -> None:
    code, source = run(["chain-rule", "--lang", lang, "--format", "latex", "--standalone"])
    assert code == 0
    text, _ = compile_tex(source, ENGINE[lang], tmp_path)
    assert ("chain rule" if lang == "en" else "链式法则") in text


def test_gate_figure_from_the_derivation(derived: primer.PrimerDerivation) -> None:
    import re
    import xml.etree.ElementTree as ET

    from symderiv.core.figures import PALETTE, STROKE, plain_text
    from symderiv.layers.chain_rule import figures as primer_figures
    from symderiv.render import svg, tikz

    figure = primer_figures.build(derived)["gate"]
    assert [plain_text(n.label) for n in figure.nodes] == ["x", "y", "f", "z", "L"]
    assert [n.gate for n in figure.nodes] == [False, False, True, False, False]
    # The gradient sent back to each input is the upstream gradient times its local gradient.
    backward = {(e.start, e.end): plain_text(e.backward) for e in figure.edges}
    assert backward[("x", "f")] == f"∂L/∂z · {derived.gate.local[0]}" == "∂L/∂z · y"
    assert backward[("y", "f")] == "∂L/∂z · x"
    assert backward[("f", "z")] == backward[("z", "L")] == "∂L/∂z"
    assert [plain_text(label) for label, _ in figure.notes] == ["∂z/∂x = y", "∂z/∂y = x"]

    root = ET.fromstring(svg.draw(figure))
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f"{ns}circle[@class='node']")) == 4
    assert len(root.findall(f"{ns}rect[@class='node']")) == 1
    lines = root.findall(f"{ns}line[@class='edge']")
    assert sorted(line.get("stroke") for line in lines) == sorted(
        [STROKE] * 4 + [PALETTE["selected"]] * 4
    )
    source = tikz.draw(figure)
    assert source.count("\\draw[->") == 8 and source.count("\\node[") == 5 + 4
    red = PALETTE["selected"]
    rgb = ",".join(str(int(red[k : k + 2], 16)) for k in (1, 3, 5))
    assert len(re.findall(r"draw=\{rgb,255:red,(\d+);green,(\d+);blue,(\d+)\}", source)) >= 4
    assert f"red,{rgb.split(',')[0]};green,{rgb.split(',')[1]};blue,{rgb.split(',')[2]}" in source


@pytest.mark.tex
def test_standalone_latex_with_the_gate_figure_compiles(tmp_path: Path) -> None:
    code, source = run(["chain-rule", "--figures", "--format", "latex", "--standalone"])
    assert code == 0 and "\\usepackage{tikz}" in source
    text, _ = compile_tex(source, ENGINE["en"], tmp_path)
    assert "Figure 1. The gate" in " ".join(text.split())
