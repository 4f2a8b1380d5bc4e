"""The command line: the default derivation, options, bad input, files and verify."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from symderiv.cli.main import cli, main
from symderiv.core.results import Search

BAD_INPUT = [
    (["conv2d", "--input", "3by3"], "'3by3'"),
    (["conv2d", "--input", "3x"], "'3x'"),
    (["conv2d", "--input", "x3"], "'x3'"),
    (["conv2d", "--input", "0x3"], "'0x3'"),
    (["conv2d", "--input", "-2"], "'-2'"),
    (["conv2d", "--kernel", "1.5"], "'1.5'"),
    (["conv2d", "--input", "2", "--kernel", "3"], "kernel 3x3 is larger than input 2x2"),
    (["conv2d", "--input", "3x5", "--kernel", "4x2"], "kernel 4x2 is larger than input 3x5"),
    (["conv2d", "--input", "400", "--kernel", "3"], "--max-terms"),
    (["conv2d", "--format", "pdf"], "'pdf'"),
    (["conv2d", "--lang", "fr"], "'fr'"),
    (["conv2d", "--standalone"], "--standalone"),
    (["conv2d", "--max-terms", "0"], "--max-terms"),
    (["verify", "conv2d", "--kernel", "x"], "'x'"),
    (["pool2d"], "pool2d"),
]


def gradient_section(markdown: str, key: str) -> str:
    """One gradient's section: the chain-rule section has a worked example of the same shape."""
    return markdown.split(f"## Gradient with respect to ${key}$\n", 1)[1].split("\n## ", 1)[0]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_default_derivation_sections_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["conv2d"], capsys)
    assert code == 0
    headings = [line for line in out.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Forward pass",
        "## Local gradients",
        "## The chain rule",
        "## Gradient with respect to $F$",
        "## Gradient with respect to $X$",
        "## The gradients as convolutions",
    ]


def test_default_derivation_has_every_element_equation(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(["conv2d"], capsys)
    for tensor, count in (("F", 4), ("X", 9)):
        equations = re.findall(
            rf"^\\frac{{\\partial L}}{{\\partial {tensor}_{{\d\d}}}} &= ",
            gradient_section(out, tensor),
            re.M,
        )
        assert len(equations) == count
    assert (
        "\\frac{\\partial L}{\\partial X_{22}} &= \\frac{\\partial L}{\\partial O_{11}} F_{22}"
        " + \\frac{\\partial L}{\\partial O_{12}} F_{21} + \\frac{\\partial L}{\\partial O_{21}}"
        " F_{12} + \\frac{\\partial L}{\\partial O_{22}} F_{11}"
    ) in out
    assert (
        "\\frac{\\partial L}{\\partial X_{13}} &= "
        "\\frac{\\partial L}{\\partial O_{12}} F_{12} \\\\\n" in out
    )
    assert "O_{11} &= X_{11} F_{11} + X_{12} F_{12} + X_{21} F_{21} + X_{22} F_{22}" in out
    assert "Derivative(" not in out and "\\frac{d" not in out


def test_rectangular_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["conv2d", "--input", "4x5", "--kernel", "2x3"], capsys)
    assert code == 0
    for tensor, count in (("X", 20), ("F", 6)):
        pattern = rf"^\\frac{{\\partial L}}{{\\partial {tensor}_{{\d\d}}}} &= "
        assert len(re.findall(pattern, gradient_section(out, tensor), re.M)) == count


@pytest.mark.parametrize(("args", "named"), BAD_INPUT, ids=[" ".join(a) for a, _ in BAD_INPUT])
def test_bad_input_is_one_line_exit_2(
    args: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(args, capsys)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("symderiv: error: ")
    assert named in err


def test_bad_input_from_a_real_process_has_no_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "symderiv.cli", "conv2d", "--input", "3by3"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_output_file_matches_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(["conv2d", "--format", "json"], capsys)
    target = tmp_path / "d.json"
    assert run(["conv2d", "--format", "json", "-o", str(target)], capsys)[0] == 0
    assert target.read_text(encoding="utf-8") == out
    assert [p.name for p in tmp_path.iterdir()] == ["d.json"]


@pytest.mark.parametrize("args", [["--input", "3by3"], ["--input", "400", "--kernel", "3"]])
def test_failed_run_leaves_existing_file_untouched(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "keep.md"
    target.write_text("precious\n")
    assert run(["conv2d", *args, "-o", str(target)], capsys)[0] == 2
    assert target.read_text() == "precious\n"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.md"]


def test_failed_run_creates_no_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "new.md"
    assert run(["conv2d", "--kernel", "9", "-o", str(target)], capsys)[0] == 2
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["missing/out.md", "a-file/out.md"])
def test_unusable_output_directory(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-file").write_text("")
    code, _, err = run(["conv2d", "-o", str(tmp_path / where)], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "cannot write" in err


def test_verify_reports_every_identity(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["verify", "conv2d", "--input", "4x5", "--kernel", "2x3"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 8 and all(line.startswith("PROVEN") for line in lines)
    assert any("dL/dX = full cross-correlation(dL/dO, rot180(F))" in line for line in lines)


def test_verify_exits_1_when_a_search_finds_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def find_nothing(target, value, operands, table):  # type: ignore[no-untyped-def]
        return Search(target, tuple(operands), 24, ())

    monkeypatch.setattr("symderiv.layers.conv.derive.search", find_nothing)
    code, out, _ = run(["verify", "conv2d"], capsys)
    assert code == 1
    assert out.count("NO MATCH") == 3


def test_no_arguments_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([], capsys)
    assert code == 0 and "conv2d" in out and "verify" in out


def _commands(group: click.Group) -> list[click.Command]:
    found: list[click.Command] = []
    for command in group.commands.values():
        found.append(command)
        if isinstance(command, click.Group):
            found.extend(_commands(command))
    return found


@pytest.mark.parametrize("command", _commands(cli), ids=lambda c: c.name)
def test_every_option_and_command_has_help(command: click.Command) -> None:
    assert command.help
    for parameter in command.params:
        if isinstance(parameter, click.Option):
            assert parameter.help, parameter.name


def test_help_fits_a_screen() -> None:
    """Every command's one-line description is whole, and the notes' help is a screen long
    (its per-section options are listed by --help-sections)."""
    top = CliRunner().invoke(cli, ["--help"], terminal_width=80).output
    commands = top[top.index("Commands:") :].splitlines()[1:]
    assert len(commands) >= 20 and not [line for line in commands if line.endswith("...")]
    notes = CliRunner().invoke(cli, ["notes", "--help"], terminal_width=80).output
    assert len(notes.splitlines()) <= 50 and "--help-sections" in notes
    sections = CliRunner().invoke(cli, ["notes", "--help-sections"]).output
    assert "--conv2d-input" in sections and "--batchnorm-eps" in sections


def test_help_and_bad_input_do_not_load_sympy_or_jinja() -> None:
    """--help and a one-line error answer at once: SymPy and Jinja load with the first
    derivation and the first rendering, not with the command line."""
    code = (
        "import sys; from symderiv.cli.main import main; "
        "codes = [main(['--help']), main(['conv2d', '--help']), main(['conv2d', '--input', '0'])]; "
        "print(codes, 'sympy' in sys.modules, 'jinja2' in sys.modules, file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stderr.splitlines()[-1] == "[0, 0, 2] False False"


def test_a_long_single_channel_derivation_shows_a_selection() -> None:
    """conv2d 8x8 with a 3x3 kernel: 64 equations for dL/dX, of which a representative few are
    printed, with the count left out; --all-equations and the JSON keep every one."""
    import json as json_module

    from symderiv.layers.conv.view_general import EQUATION_LIMIT

    args = ["conv2d", "--input", "8", "--kernel", "3"]
    short = CliRunner().invoke(cli, args).output
    full = CliRunner().invoke(cli, [*args, "--all-equations"]).output
    assert EQUATION_LIMIT < 64
    assert "56 equations left out here" in short and "left out" not in full
    gradients = short.count("\\frac{\\partial L}{\\partial X_{")
    assert gradients < full.count("\\frac{\\partial L}{\\partial X_{")
    data = json_module.loads(CliRunner().invoke(cli, [*args, "--format", "json"]).output)
    assert len([e for row in data["gradients"]["X"] for e in row]) == 64
