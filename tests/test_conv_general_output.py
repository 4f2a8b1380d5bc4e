"""The general convolution's Markdown through KaTeX (strict) and its LaTeX through pdflatex and
xelatex, on examples with stride, padding, dilation, channels, groups, bias, 1-D, 3-D and
transposed convolution. The tools are required under CI=true (see test_output_checks)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

import symderiv

from .test_output_checks import ENGINE, assert_words, compile_tex, extract_math, run_katex

EXAMPLES: dict[str, Any] = {
    "strided-padded-channelled": lambda: symderiv.conv2d(
        input=5,
        kernel=3,
        stride=2,
        padding=1,
        in_channels=2,
        out_channels=4,
        groups=2,
        batch=2,
        bias=True,
    ),
    "remainder-zero-rows": lambda: symderiv.conv2d(input=6, kernel=3, stride=2),
    "dilated-mixed": lambda: symderiv.conv2d(
        input=(7, 6), kernel=2, stride=(2, 1), dilation=2, padding=(0, 1)
    ),
    "conv1d": lambda: symderiv.conv1d(input=7, kernel=3, stride=2, padding=1, bias=True),
    "conv3d": lambda: symderiv.conv3d(input=3, kernel=2, in_channels=2, out_channels=1),
    "conv-transpose2d": lambda: symderiv.conv_transpose2d(
        input=3, kernel=3, stride=2, padding=1, output_padding=1, bias=True
    ),
    "large": lambda: symderiv.conv2d(
        input=8, kernel=3, stride=2, padding=1, in_channels=2, out_channels=2, batch=2
    ),
}


@functools.cache
def derivation(name: str) -> symderiv.Derivation:
    return EXAMPLES[name]()  # type: ignore[no-any-return]


@pytest.mark.katex
def test_markdown_math_renders_with_katex_strict() -> None:
    pieces = []
    owners = []
    for name in EXAMPLES:
        for lang in ("en", "zh"):
            found = extract_math(derivation(name).to_markdown(lang))
            assert len(found) > 20, (name, lang)
            pieces.extend(found)
            owners.extend((name, lang, p) for p in found)
    errors = run_katex(pieces)
    report = [
        f"{owners[int(e['index'])][0]} {owners[int(e['index'])][1]} line "
        f"{owners[int(e['index'])][2].line}: {e['message']}\n    "
        f"{owners[int(e['index'])][2].tex[:300]}"
        for e in errors
    ]
    assert not report, "\n".join(report)


@pytest.mark.tex
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", ["strided-padded-channelled", "conv-transpose2d", "conv3d"])
def test_standalone_latex_compiles(name: str, lang: str, tmp_path: Path) -> None:
    source = derivation(name).to_latex(lang, standalone=True)
    text, _ = compile_tex(source, ENGINE[lang], tmp_path)
    assert_words(text, lang)
