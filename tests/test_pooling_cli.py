"""The pooling commands: bad input, verify, determinism, KaTeX (strict) and LaTeX engines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

from symderiv.cli.main import main
from symderiv.layers.pool.derive import avgpool2d, global_avgpool, max_pool

from .test_output_checks import (
    ENGINE,
    compile_tex,
    extract_math,
    run_katex,
)

BAD_INPUT = [
    (["maxpool2d", "--values", "1,2;3"], "ragged"),
    (["maxpool3d", "--values", "1,2;3,4|5,6"], "ragged"),
    (["maxpool2d", "--values", "1,x;3,4"], "'x' is not a number"),
    (["maxpool2d", "--values", "1,,2;3,4,5"], "empty entry"),
    (["maxpool2d", "--values", "1,2;3,4", "--input", "3x3"], "--input is 3x3"),
    (["maxpool1d", "--values", "1,2;3,4"], "single row"),
    (["maxpool2d", "--values", "1,2|3,4"], "depth slices"),
    (["maxpool2d", "--values", "1,nan;3,4"], "'nan' is not finite"),
    (["maxpool2d", "--values", "1,2;inf,4"], "'inf' is not finite"),
    (["maxpool2d", "--values", "1,2;-Infinity,4"], "not finite"),
    (["maxpool2d", "--values", "1,2;3,4", "--seed", "1"], "not both"),
    (["maxpool2d", "--kernel", "2", "--padding", "2"], "more than half of --kernel"),
    (["avgpool2d", "--kernel", "3", "--padding", "2"], "more than half of --kernel"),
    (["maxpool2d", "--values", "1,2;3,4", "--kernel", "3"], "larger than input 2x2"),
    (["avgpool1d", "--input", "2", "--kernel", "5", "--padding", "1"], "larger than input 2"),
    (
        ["maxpool2d", "--input", "2", "--seed", "0", "--padding", "1", "--dilation", "3"],
        "covers only padding",
    ),
    (["maxpool2d", "--kernel", "2x0"], "--kernel"),
    (["maxpool2d", "--stride", "0"], "--stride"),
    (["maxpool2d", "--padding", "-1"], "--padding"),
    (["maxpool2d", "--seed", "-1"], "--seed"),
    (
        ["avgpool2d", "--input", "200", "--kernel", "3", "--stride", "1", "--max-terms", "1000"],
        "--max-terms",
    ),
    (["global-avgpool", "--input", "0x3"], "'0x3'"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUT, ids=[" ".join(a) for a, _ in BAD_INPUT])
def test_bad_input_is_one_line_exit_2_and_no_file(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out.md"
    code = main([*args, "-o", str(target)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("symderiv: error: "), captured.err
    assert message in lines[0]
    assert "Traceback" not in captured.err
    assert list(tmp_path.iterdir()) == []


def test_verify_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "maxpool2d"]) == 0
    assert main(["verify", "avgpool2d", "--input", "5", "--kernel", "3", "--padding", "1"]) == 0
    out = capsys.readouterr().out
    assert "PROVEN" in out and "FAILED" not in out and "NO MATCH" not in out
    # Divisors vary without count_include_pad: no constant-kernel identity, reported as such.
    assert main(["verify", "avgpool2d", "--padding", "1", "--no-count-include-pad"]) == 1
    assert "NO MATCH  dL/dX: none of 2 candidates" in capsys.readouterr().out


def test_json_gradient_entries_parse_in_the_upstream_symbols(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert (
        main(["maxpool2d", "--values", "1,3,3;3,0,3;2,3,1", "--stride", "1", "--format", "json"])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    upstream = {s for row in data["tensors"]["dL/dO"]["symbols"] for s in row}
    for row in data["gradients"]["X"]:
        for entry in row:
            assert {str(s) for s in sp.sympify(entry).free_symbols} <= upstream
    ties = [w for w in data["windows"] if len(w["tied"]) > 1]
    assert ties and all(w["selected"] == w["tied"][0] for w in ties)
    assert data["verified"] is True and data["values"]["O"] == [[3, 3], [3, 3]]


def test_seeded_values_are_deterministic_and_in_range(capsys: pytest.CaptureFixture[str]) -> None:
    first = max_pool(2, input=(5, 6), seed=42)
    second = max_pool(2, input=(5, 6), seed=42)
    assert first.values == second.values and first.values is not None
    assert all(0 <= v <= 9 and v.denominator == 1 for v in first.values.cells)
    assert max_pool(2, input=(5, 6), seed=43).values != first.values


def test_output_is_byte_identical_across_hash_seeds(tmp_path: Path) -> None:
    outputs = []
    for seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "symderiv.cli",
                "maxpool2d",
                "--input",
                "5",
                "--seed",
                "3",
                "--kernel",
                "3",
                "--stride",
                "1",
                "--padding",
                "1",
                "--format",
                "json",
            ],
            capture_output=True,
            env=env,
            check=True,
        )
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1]


# --------------------------------------------------------------------------------------------
# Real consumers of the output: KaTeX (strict) and pdflatex / xelatex

RENDER_CASES = [
    ("maxpool2d-default", lambda: max_pool(2)),
    (
        "maxpool2d-ties-overlap-pad",
        lambda: max_pool(2, values="1,3,3;3,0,3;2,3,1", stride=1, kernel=3, padding=1),
    ),
    ("maxpool1d", lambda: max_pool(1, padding=1, stride=1)),
    ("maxpool3d", lambda: max_pool(3, dilation=(1, 2, 1), kernel=2, stride=1)),
    ("maxpool2d-large", lambda: max_pool(2, input=12, seed=5, kernel=3, stride=2, ceil_mode=True)),
    ("avgpool2d-identity", lambda: avgpool2d(input=5, kernel=3, stride=2, padding=1)),
    ("avgpool2d-no-match", lambda: avgpool2d(padding=1, count_include_pad=False)),
    ("global-avgpool", lambda: global_avgpool()),
]


@pytest.mark.katex
def test_markdown_math_renders_with_katex_strict() -> None:
    pieces = []
    owners = []
    for name, build in RENDER_CASES:
        d = build()
        for lang in ("en", "zh"):
            found = extract_math(d.to_markdown(lang))
            assert len(found) > 20, (name, lang)
            pieces.extend(found)
            owners.extend([(name, lang)] * len(found))
    errors = run_katex(pieces)
    report = [
        f"{owners[int(e['index'])]}: {e['message']}\n    {pieces[int(e['index'])].tex[:300]}"
        for e in errors  # type: ignore[call-overload]
    ]
    assert not report, "\n".join(report)


LATEX_CASES = [
    (name, lang) for name, _ in RENDER_CASES[:2] + RENDER_CASES[5:7] for lang in ("en", "zh")
]


@pytest.mark.tex
@pytest.mark.parametrize(("name", "lang"), LATEX_CASES, ids=[f"{n}-{lg}" for n, lg in LATEX_CASES])
def test_standalone_latex_compiles(name: str, lang: str, tmp_path: Path) -> None:
    build = dict(RENDER_CASES)[name]
    source = build().to_latex(lang, standalone=True)
    text, _ = compile_tex(source, ENGINE[lang], tmp_path)
    # The document's last paragraph: how its identities were proven, or that there are none.
    last = {
        ("en", True): "There is no identity to prove",
        ("zh", True): "没有需要证明的恒等式",
        ("en", False): "How these identities were found and proven.",
        ("zh", False): "这些恒等式是怎样找到并证明的。",
    }[lang, "no-match" in name]
    words = [{"en": "Backpropagation", "zh": "反向传播"}[lang], last]
    flat = " ".join(text.split())
    assert all(w in flat for w in words), flat[:500]


POOL_COMMANDS = [
    "maxpool1d",
    "maxpool2d",
    "maxpool3d",
    "avgpool1d",
    "avgpool2d",
    "avgpool3d",
    "global-avgpool",
]


@pytest.mark.parametrize("command", POOL_COMMANDS)
def test_every_command_renders_every_format_and_verifies(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for lang in ("en", "zh"):
        assert main([command, "--lang", lang]) == 0
        assert main([command, "--lang", lang, "--format", "latex", "--standalone"]) == 0
    assert main([command, "--format", "json"]) == 0
    outputs = capsys.readouterr().out
    data = json.loads(outputs[outputs.index('{\n  "schema"') :])
    assert data["layer"] == command and data["verified"] is True
    assert main(["verify", command]) == 0
    report = capsys.readouterr().out.splitlines()
    assert report and all(line.startswith("PROVEN") for line in report)


@pytest.mark.tex
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_default_maxpool2d_document_fits_the_page(lang: str, tmp_path: Path) -> None:
    from .test_output_checks import overfull_boxes

    _, log = compile_tex(max_pool(2).to_latex(lang, standalone=True), ENGINE[lang], tmp_path)
    assert not overfull_boxes(log)
