"""Rewrite the golden files from the current code: python tests/regenerate_golden.py

Review the diff before committing: a golden file changes only when the output is meant to.
"""

from __future__ import annotations

from pathlib import Path

from symderiv.cli import main

GOLDEN = Path(__file__).parent / "golden"

# (file name, CLI arguments): the default conv2d example in every format and language.
CASES = [
    (f"conv2d.{lang}.{ext}", ["conv2d", "--lang", lang, "--format", fmt, *extra])
    for lang in ("en", "zh")
    for fmt, ext, extra in (
        ("md", "md", []),
        ("latex", "tex", ["--standalone"]),
        ("json", "json", []),
    )
]

# Pooling: the default max-pooling example (a tied window), Markdown in both languages.
CASES += [(f"maxpool2d.{lang}.md", ["maxpool2d", "--lang", lang]) for lang in ("en", "zh")]

# The default batch normalisation derivation, in both languages.
CASES += [(f"batchnorm.{lang}.md", ["batchnorm", "--lang", lang]) for lang in ("en", "zh")]

# Convolution beyond the classic case: the stride skips row 6 and column 6 (remainder 1), and
# dL/dX is a transposed convolution with output_padding 1.
CASES += [
    (
        f"conv2d-stride2.{lang}.md",
        ["conv2d", "--input", "6", "--kernel", "3", "--stride", "2", "--lang", lang],
    )
    for lang in ("en", "zh")
]


if __name__ == "__main__":
    GOLDEN.mkdir(exist_ok=True)
    for name, args in CASES:
        main([*args, "-o", str(GOLDEN / name)])
        print(f"wrote tests/golden/{name}")
