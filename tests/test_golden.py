"""Every command in every format and language, byte for byte (see ``regenerate_golden.py``)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from symderiv.cli.main import cli

from .regenerate_golden import CASES, COMMANDS, GOLDEN, REGENERATE


@pytest.mark.parametrize(("name", "args"), CASES, ids=[name for name, _ in CASES])
def test_output_matches_golden_file(name: str, args: list[str]) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    expected = (GOLDEN / name).read_text(encoding="utf-8")
    assert result.output == expected, f"{name} differs; if meant, run: {REGENERATE}"


@pytest.mark.parametrize("name", ["conv2d", "maxpool2d", "batchnorm"])
def test_json_does_not_depend_on_language(name: str) -> None:
    args = dict(COMMANDS)[name]
    zh = CliRunner().invoke(cli, [*args, "--format", "json", "--lang", "zh"])
    assert zh.exit_code == 0, zh.output
    assert zh.output == (GOLDEN / f"{name}.json").read_text(encoding="utf-8")
