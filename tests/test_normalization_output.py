"""Normalisation documents through the real tools: KaTeX (strict) on the Markdown math, pdflatex
and xelatex on the standalone LaTeX. Under CI=true a missing tool fails instead of skipping."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

from symderiv.cli.main import main

from .test_output_checks import (
    ENGINE,
    MINIMAL_PREAMBLE,
    compile_tex,
    extract_math,
    run_katex,
)

# Every layer, both modes, several groups, a numeric epsilon, and a group large enough to elide.
DOCUMENTS = [
    ["batchnorm"],
    ["batchnorm", "--mode", "eval"],
    ["batchnorm", "--batch", "2", "--channels", "3", "--spatial", "2x2", "--eps", "1e-5"],
    ["batchnorm", "--batch", "16"],
    ["layernorm", "--normalized-shape", "2x3"],
    ["groupnorm"],
    ["instancenorm"],
    ["instancenorm", "--mode", "eval"],
]
LANGS = ["en", "zh"]
PDF_WORDS = {
    "en": [
        "Backpropagation",
        "Forward computation graph",
        "The compact formula",
        "How these identities were found and proven.",
    ],
    "zh": ["反向传播", "前向计算图", "简化公式", "这些恒等式是怎样找到并证明的。"],
}


@functools.cache
def rendered(args: tuple[str, ...], lang: str, fmt: str) -> str:
    import io
    from contextlib import redirect_stdout

    buffer = io.StringIO()
    with redirect_stdout(buffer):
        code = main(
            [*args, "--lang", lang, "--format", fmt, *(["--standalone"] if fmt == "latex" else [])]
        )
    assert code == 0
    return buffer.getvalue()


@pytest.mark.katex
def test_markdown_math_renders_with_katex_strict() -> None:
    pieces = []
    owners = []
    for args in DOCUMENTS:
        for lang in LANGS:
            found = extract_math(rendered(tuple(args), lang, "md"))
            assert len(found) > 20
            pieces.extend(found)
            owners.extend([(" ".join(args), lang)] * len(found))
    errors = run_katex(pieces)
    report = [
        f"{owners[int(e['index'])]} line {pieces[int(e['index'])].line}: {e['message']}"
        for e in errors
    ]
    assert not report, "\n".join(report[:20])


@pytest.mark.tex
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("args", [DOCUMENTS[0], DOCUMENTS[1], DOCUMENTS[5]], ids=" ".join)
def test_standalone_latex_compiles(args: list[str], lang: str, tmp_path: Path) -> None:
    source = rendered(tuple(args), lang, "latex")
    assert source.lstrip().startswith("\\documentclass")
    text, _ = compile_tex(source, ENGINE[lang], tmp_path)
    flat = re.sub(r"\s+", " ", text)
    expected = PDF_WORDS[lang] if "eval" not in args else PDF_WORDS[lang][:1]
    missing = [w for w in expected if w not in flat]
    assert not missing, f"not in the PDF text: {missing}"


def test_large_group_is_elided_but_proven() -> None:
    markdown = rendered(("batchnorm", "--batch", "16"), "en", "md")
    assert "\\vdots" in markdown
    assert "All 5 identities above hold for every element." in markdown


@pytest.mark.tex
@pytest.mark.parametrize("lang", LANGS)
def test_latex_fragment_compiles_in_minimal_document(lang: str, tmp_path: Path) -> None:
    import io
    from contextlib import redirect_stdout

    buffer = io.StringIO()
    with redirect_stdout(buffer):
        assert main(["layernorm", "--lang", lang, "--format", "latex"]) == 0
    fragment = buffer.getvalue()
    assert "\\documentclass" not in fragment
    source = MINIMAL_PREAMBLE[lang] + "\\begin{document}\n" + fragment + "\\end{document}\n"
    text, _ = compile_tex(source, ENGINE[lang], tmp_path)
    assert PDF_WORDS[lang][-1] in text
