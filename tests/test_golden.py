"""The default example, byte for byte. Regenerate with: python tests/regenerate_golden.py"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from symderiv.cli import cli

from .regenerate_golden import CASES, GOLDEN


@pytest.mark.parametrize(("name", "args"), CASES, ids=[name for name, _ in CASES])
def test_output_matches_golden_file(name: str, args: list[str]) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.output == (GOLDEN / name).read_text(encoding="utf-8")


def test_json_does_not_depend_on_language() -> None:
    assert (GOLDEN / "conv2d.en.json").read_bytes() == (GOLDEN / "conv2d.zh.json").read_bytes()
