"""Every command the README shows, as standalone LaTeX, compiled with the real engine: no error,
no overfull box. The notes' own tests compile the default notes (three runs, both languages)
and --sections all; here each other example is built once, in its own language."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from symderiv.cli.main import cli

from .test_output_checks import ENGINE, compile_tex, overfull_boxes

README = Path(__file__).resolve().parent.parent / "README.md"
DROPPED = {"-o": 1, "--output-dir": 1, "--format": 1, "--standalone": 0}
"""Options of the examples that choose where and how to write: the test writes LaTeX itself."""


def examples() -> list[list[str]]:
    """The README's ``symderiv …`` lines (shell blocks, continuation lines joined), as arguments,
    without verify, check, code and testgen lines (no document), JSON redirections and the notes the
    notes' tests compile already."""
    found: list[list[str]] = []
    for block in re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("  #")[0].strip()
            if not line.startswith("symderiv "):
                continue
            args = shlex.split(line)[1:]
            if args[0] in ("verify", "check", "code", "testgen") or ">" in args:
                continue
            kept: list[str] = []
            skip = 0
            for arg in args:
                if skip:
                    skip -= 1
                elif arg in DROPPED:
                    skip = DROPPED[arg]
                else:
                    kept.append(arg)
            sections = kept[kept.index("--sections") + 1] if "--sections" in kept else None
            if kept[0] == "notes" and sections in (None, "all"):
                continue
            if kept not in found:
                found.append(kept)
    return found


EXAMPLES = examples()


def test_the_readme_shows_examples() -> None:
    assert len(EXAMPLES) >= 30
    assert ["conv2d", "--seed", "3"] in EXAMPLES


@pytest.mark.tex
@pytest.mark.parametrize("args", EXAMPLES, ids=[" ".join(a)[:60] for a in EXAMPLES])
def test_every_documented_example_compiles_without_overfull_boxes(
    args: list[str], tmp_path: Path
) -> None:
    lang = args[args.index("--lang") + 1] if "--lang" in args else "en"
    result = CliRunner().invoke(cli, [*args, "--format", "latex", "--standalone"])
    assert result.exit_code == 0, result.output
    _, log = compile_tex(result.output, ENGINE[lang], tmp_path)
    assert not overfull_boxes(log), overfull_boxes(log)
