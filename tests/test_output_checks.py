"""Check rendered output with the real tools that will consume it.

* Markdown: every math piece (``$$ ... $$`` display blocks and ``$...$`` inline spans) is
  rendered by KaTeX with ``strict: "error"`` and ``throwOnError: true``; all pieces of all
  documents go to a single node process (``tests/katex_check.mjs``).
* LaTeX: standalone documents and fragments (wrapped in a minimal preamble) are compiled with
  pdflatex (English) or xelatex (Chinese), and ``pdftotext`` must find the expected headings.

Under CI (``CI=true``) a missing tool (node, the katex package, pdflatex, xelatex, pdftotext)
fails these tests; elsewhere they are skipped with the reason.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import symderiv

ROOT = Path(__file__).resolve().parent.parent
KATEX_SCRIPT = ROOT / "tests" / "katex_check.mjs"
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")

# (input, kernel): the default; a non-square pair; and a size large enough that indices become
# comma-separated (X_{1,12}) and the matrices are elided with \cdots / \vdots / \ddots.
SIZES = [((3, 3), (2, 2)), ((4, 5), (2, 3)), ((12, 12), (3, 3))]
LANGS = ["en", "zh"]


def require(available: bool, what: str) -> None:
    """Skip outside CI when a tool is missing; under CI a missing tool is a failure."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} (CI=true: the tool is required, the test is not skipped)")
    pytest.skip(what)


def require_program(name: str) -> str:
    path = shutil.which(name)
    require(path is not None, f"{name} is not on PATH")
    assert path is not None
    return path


@functools.cache
def derivation(input_size: tuple[int, int], kernel_size: tuple[int, int]) -> symderiv.Derivation:
    return symderiv.conv2d(input=input_size, kernel=kernel_size)


def size_id(input_size: tuple[int, int], kernel_size: tuple[int, int]) -> str:
    return f"{input_size[0]}x{input_size[1]}-{kernel_size[0]}x{kernel_size[1]}"


# --------------------------------------------------------------------------------------------
# Extracting math from Markdown


class MathSyntaxError(ValueError):
    """Math delimiters that a Markdown renderer would not pair up as intended."""


@dataclass(frozen=True)
class Math:
    tex: str
    display: bool
    line: int  # 1-based line where the piece starts


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def extract_math(markdown: str) -> list[Math]:
    """Every math piece in a Markdown document, in order.

    Display math is a ``$$`` line, the TeX lines, and a closing ``$$`` line (a blank line inside
    is an error: it ends the paragraph in CommonMark renderers), or ``$$...$$`` within a line.
    Inline math is ``$...$`` on one line, pandoc-style: the opening ``$`` is followed and the
    closing ``$`` preceded by a non-space, and the closing ``$`` is not followed by a digit.
    Backslash escapes (``\\$``), code spans and fenced code blocks are not math. A ``$`` that
    does not open well-formed math is an error: symderiv's prose has no literal dollar signs.
    """
    lines = markdown.split("\n")
    pieces: list[Math] = []
    fence: str | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        number = index + 1
        if fence is not None:
            if line.strip().startswith(fence) and not line.strip().lstrip(fence[0]):
                fence = None
            index += 1
            continue
        opening = _FENCE.match(line)
        if opening:
            fence = opening.group(1)
            index += 1
            continue
        if line.strip() == "$$":
            body: list[str] = []
            index += 1
            while index < len(lines) and lines[index].strip() != "$$":
                if not lines[index].strip():
                    raise MathSyntaxError(
                        f"line {index + 1}: blank line inside the $$ block opened on line {number}"
                    )
                body.append(lines[index])
                index += 1
            if index == len(lines):
                raise MathSyntaxError(f"line {number}: $$ block is never closed")
            if not body:
                raise MathSyntaxError(f"line {number}: empty $$ block")
            pieces.append(Math("\n".join(body), True, number))
            index += 1
            continue
        pieces.extend(_inline_math(line, number))
        index += 1
    return pieces


def _closing_dollar(line: str, start: int, double: bool) -> int:
    """Index of the closing ``$`` (or ``$$``) from start on, skipping TeX escapes; -1 if none."""
    position = start
    while position < len(line):
        char = line[position]
        if char == "\\":
            position += 2
            continue
        if char == "$" and (not double or line.startswith("$$", position)):
            return position
        position += 1
    return -1


def _inline_math(line: str, number: int) -> list[Math]:
    pieces: list[Math] = []
    position = 0
    while position < len(line):
        char = line[position]
        if char == "\\":  # a Markdown escape such as \$ or \`
            position += 2
            continue
        if char == "`":
            run = len(line[position:]) - len(line[position:].lstrip("`"))
            ticks = line[position : position + run]
            end = line.find(ticks, position + run)
            while end != -1 and line.startswith("`", end + run):  # a longer run does not close
                end = line.find(ticks, end + len(ticks) + 1)
            position = position + run if end == -1 else end + run
            continue
        if char != "$":
            position += 1
            continue
        column = position + 1
        if line.startswith("$$", position):
            end = _closing_dollar(line, position + 2, double=True)
            if end == -1:
                raise MathSyntaxError(
                    f"line {number}, column {column}: $$ is never closed "
                    f"(display math must open and close on their own lines "
                    f"or on the same line)"
                )
            tex = line[position + 2 : end]
            if not tex.strip():
                raise MathSyntaxError(f"line {number}, column {column}: empty $$...$$")
            pieces.append(Math(tex, True, number))
            position = end + 2
            continue
        end = _closing_dollar(line, position + 1, double=False)
        if end == -1:
            raise MathSyntaxError(
                f"line {number}, column {column}: $ is never closed: "
                f"{line[position : position + 60]!r}"
            )
        tex = line[position + 1 : end]
        if not tex:
            raise MathSyntaxError(
                f"line {number}, column {column}: empty $$ where inline math was expected"
            )
        if tex[0].isspace() or tex[-1].isspace():
            raise MathSyntaxError(
                f"line {number}, column {column}: space just inside the $ "
                f"delimiters (not math for pandoc/GitHub): {tex!r}"
            )
        if end + 1 < len(line) and line[end + 1].isdigit():
            raise MathSyntaxError(
                f"line {number}, column {column}: a digit right after the "
                f"closing $ (not math for pandoc): {line[position : end + 2]!r}"
            )
        pieces.append(Math(tex, False, number))
        position = end + 1
    return pieces


SAMPLE = r"""# Title with $a+b$ inline

Text $x_1$ and $y^{2}$, a price of \$5, and `code $not math$` or ``a ` $still code$``.

```python
s = "$$ not math $$"
```

$$
\begin{aligned}
a &= b \\
c &= d
\end{aligned}
$$

- $\frac{1}{2}$: item with $\$ 3$ inside
Same-line display $$z = 1$$ and $\text{end}$.
~~~~
$ also not math
~~~~
"""


def test_extract_math_sample() -> None:
    assert extract_math(SAMPLE) == [
        Math("a+b", False, 1),
        Math("x_1", False, 3),
        Math("y^{2}", False, 3),
        Math("\\begin{aligned}\na &= b \\\\\nc &= d\n\\end{aligned}", True, 9),
        Math("\\frac{1}{2}", False, 16),
        Math("\\$ 3", False, 16),
        Math("z = 1", True, 17),
        Math("\\text{end}", False, 17),
    ]


def test_extract_math_no_math() -> None:
    assert extract_math("") == []
    assert extract_math("plain text, `$code$`, and \\$ escaped\n") == []


@pytest.mark.parametrize(
    "text, message",
    [
        ("an unclosed $x here", "never closed"),
        ("a lone dollar $ sign", "never closed"),
        ("a $ b $ c", "space just inside"),
        ("$x $ trailing space", "space just inside"),
        ("costs $x$5", "digit right after"),
        ("empty $$ inline", "never closed"),
        ("$$\nx = 1", "never closed"),
        ("$$\nx = 1\n\ny = 2\n$$", "blank line inside"),
        ("$$\n$$", "empty $$ block"),
        ("inline $$x = 1 on one line", "never closed"),
    ],
)
def test_extract_math_rejects(text: str, message: str) -> None:
    with pytest.raises(MathSyntaxError, match=re.escape(message)):
        extract_math(text)


# --------------------------------------------------------------------------------------------
# KaTeX, strict


def run_katex(pieces: list[Math]) -> list[dict[str, Any]]:
    """Render the pieces with KaTeX in one node process; return its list of {index, message}."""
    node = require_program("node")
    require(
        (ROOT / "node_modules" / "katex" / "package.json").is_file(),
        "the katex npm package is not installed (run `npm ci` at the repository top)",
    )
    payload = json.dumps([{"tex": p.tex, "display": p.display} for p in pieces])
    proc = subprocess.run(
        [node, str(KATEX_SCRIPT)],
        cwd=ROOT,
        input=payload,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
    )
    assert proc.returncode == 0, f"katex_check.mjs failed ({proc.returncode}):\n{proc.stderr}"
    errors = json.loads(proc.stdout)
    assert isinstance(errors, list)
    return errors


@dataclass
class Rendered:
    markdown: str | None = None
    pieces: list[Math] | None = None
    problem: BaseException | None = None
    errors: list[dict[str, Any]] | None = None


KATEX_CASES = [(lang, i, k) for i, k in SIZES for lang in LANGS]


@pytest.fixture(scope="module")
def katex_results() -> dict[tuple[str, tuple[int, int], tuple[int, int]], Rendered]:
    """Render and extract every case, then check all pieces with one node process."""
    results: dict[tuple[str, tuple[int, int], tuple[int, int]], Rendered] = {}
    batch: list[Math] = []
    owners: list[tuple[tuple[str, tuple[int, int], tuple[int, int]], int]] = []
    for case in KATEX_CASES:
        lang, input_size, kernel_size = case
        result = results[case] = Rendered()
        try:
            result.markdown = derivation(input_size, kernel_size).to_markdown(lang)
            result.pieces = extract_math(result.markdown)
        except Exception as problem:  # reported by the test for this case
            result.problem = problem
            continue
        result.errors = []
        for local, piece in enumerate(result.pieces):
            batch.append(piece)
            owners.append((case, local))
    for failure in run_katex(batch):
        case, local = owners[int(failure["index"])]
        errors = results[case].errors
        assert errors is not None
        errors.append({"index": local, "message": failure["message"]})
    return results


@pytest.mark.katex
@pytest.mark.parametrize(
    "lang, input_size, kernel_size",
    KATEX_CASES,
    ids=[f"{lang}-{size_id(i, k)}" for lang, i, k in KATEX_CASES],
)
def test_markdown_math_renders_with_katex_strict(
    katex_results: dict[tuple[str, tuple[int, int], tuple[int, int]], Rendered],
    lang: str,
    input_size: tuple[int, int],
    kernel_size: tuple[int, int],
) -> None:
    result = katex_results[(lang, input_size, kernel_size)]
    if result.problem is not None:
        raise result.problem
    assert result.pieces is not None and result.errors is not None
    # The derivation has matrices, equations, chain rule, identities and a verification list:
    # far more than 20 math pieces at any size. This keeps the check from passing vacuously.
    assert len(result.pieces) > 20
    assert any(p.display for p in result.pieces) and any(not p.display for p in result.pieces)
    report = []
    for error in result.errors:
        piece = result.pieces[int(error["index"])]
        kind = "display" if piece.display else "inline"
        report.append(f"line {piece.line} ({kind}): {error['message']}\n    {piece.tex[:400]}")
    assert not report, (
        f"{len(report)} of {len(result.pieces)} math pieces fail KaTeX (strict) in the {lang} "
        f"Markdown for {size_id(input_size, kernel_size)}:\n" + "\n".join(report)
    )


@pytest.mark.katex
def test_katex_check_reports_errors() -> None:
    """The checker itself flags a parse error and a strict-mode violation, and passes good TeX."""
    errors = run_katex(
        [
            Math("x^2", False, 1),
            Math("\\frac{a}", True, 2),
            Math("é", False, 3),  # unicode text in math mode: only an error in strict mode
            Math("\\begin{aligned} a &= b \\\\ c &= d \\end{aligned}", True, 4),
        ]
    )
    assert [e["index"] for e in errors] == [1, 2]
    assert "strict" in str(errors[1]["message"])


def test_default_markdown_math_count() -> None:
    pieces = extract_math(derivation((3, 3), (2, 2)).to_markdown("en"))
    assert len(pieces) > 20
    assert sum(p.display for p in pieces) > 10
    assert sum(not p.display for p in pieces) > 10


def test_large_size_uses_comma_indices_and_elided_matrices() -> None:
    """The 12x12/3x3 case really exercises the other notation (else it would test nothing new)."""
    markdown = derivation((12, 12), (3, 3)).to_markdown("en")
    assert "X_{12,12}" in markdown and "F_{1,1}" in markdown
    assert "\\cdots" in markdown and "\\vdots" in markdown and "\\ddots" in markdown


# --------------------------------------------------------------------------------------------
# LaTeX with a real engine

MINIMAL_PREAMBLE = {
    "en": "\\documentclass{article}\n\\usepackage{amsmath}\n",
    "zh": "\\documentclass{ctexart}\n\\usepackage{amsmath}\n",
}
ENGINE = {"en": "pdflatex", "zh": "xelatex"}
# Words that must survive into the PDF text: the title, a section heading and the last section.
EXPECTED_WORDS = {
    "en": [
        "Backpropagation",
        "Forward pass",
        "The chain rule",
        "How these identities were found and proven.",
    ],
    "zh": ["反向传播", "前向传播", "链式法则", "这些恒等式是怎样找到并证明的。"],
}


def log_errors(log: str) -> str:
    """The '!' error lines of a TeX log with the context TeX prints after them."""
    lines = log.splitlines()
    out: list[str] = []
    for index, line in enumerate(lines):
        if line.startswith("!"):
            out.extend(lines[index : index + 12])
            out.append("...")
    return "\n".join(out) if out else "\n".join(lines[-40:])


def compile_tex(source: str, engine: str, directory: Path, name: str = "doc") -> tuple[str, str]:
    """Compile source once with engine in directory; return the PDF's text (pdftotext), the log."""
    program = require_program(engine)
    pdftotext = require_program("pdftotext")
    tex = directory / f"{name}.tex"
    tex.write_text(source, encoding="utf-8")
    proc = subprocess.run(
        [program, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", tex.name],
        cwd=directory,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )
    pdf = directory / f"{name}.pdf"
    log_path = directory / f"{name}.log"
    log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
    if proc.returncode != 0 or not pdf.is_file():
        pytest.fail(
            f"{engine} failed on {tex} (exit {proc.returncode}, PDF "
            f"{'exists' if pdf.is_file() else 'missing'}):\n{log_errors(log)}",
        )
    # A font without a glyph does not stop TeX: the character silently vanishes from the PDF.
    missing = [line for line in log.splitlines() if line.startswith("Missing character")]
    assert not missing, f"{engine}: characters missing from the fonts:\n" + "\n".join(missing[:20])
    text = subprocess.run(
        [pdftotext, "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout.decode("utf-8")
    assert text.strip(), f"pdftotext found no text in {pdf}"
    return text, log


def overfull_boxes(log: str) -> list[str]:
    lines = log.splitlines()
    return [
        f"{line}\n    {lines[i + 1][:200] if i + 1 < len(lines) else ''}"
        for i, line in enumerate(lines)
        if line.startswith("Overfull \\hbox")
    ]


def assert_words(text: str, lang: str) -> None:
    flat = re.sub(r"\s+", " ", text)
    missing = [word for word in EXPECTED_WORDS[lang] if word not in flat]
    assert not missing, f"not in the PDF text: {missing}\n--- start of the text ---\n{flat[:1500]}"


@pytest.mark.tex
@pytest.mark.parametrize("lang", LANGS)
def test_standalone_latex_compiles(lang: str, tmp_path: Path) -> None:
    source = derivation((3, 3), (2, 2)).to_latex(lang, standalone=True)
    assert source.lstrip().startswith("\\documentclass")
    text, log = compile_tex(source, ENGINE[lang], tmp_path)
    assert_words(text, lang)
    # The default document fits its page: no line or equation runs into the margin.
    overfull = overfull_boxes(log)
    assert not overfull, "overfull lines in the default document:\n" + "\n".join(overfull)


@pytest.mark.tex
@pytest.mark.parametrize("lang", LANGS)
def test_latex_fragment_compiles_in_minimal_document(lang: str, tmp_path: Path) -> None:
    fragment = derivation((3, 3), (2, 2)).to_latex(lang, standalone=False)
    assert "\\documentclass" not in fragment and "\\begin{document}" not in fragment
    source = MINIMAL_PREAMBLE[lang] + "\\begin{document}\n" + fragment + "\\end{document}\n"
    text, log = compile_tex(source, ENGINE[lang], tmp_path)
    assert_words(text, lang)
    # The fragment fits the default article margins too.
    overfull = overfull_boxes(log)
    assert not overfull, "overfull lines in the fragment:\n" + "\n".join(overfull)


@pytest.mark.tex
def test_large_standalone_latex_compiles(tmp_path: Path) -> None:
    """12x12 with 3x3: comma-separated indices, elided matrices, long align environments."""
    source = derivation((12, 12), (3, 3)).to_latex("en", standalone=True)
    text, log = compile_tex(source, ENGINE["en"], tmp_path)
    assert_words(text, "en")
    overfull = overfull_boxes(log)
    assert not overfull, "overfull lines in the 12x12 document:\n" + "\n".join(overfull)


@pytest.mark.tex
@pytest.mark.parametrize(
    "args",
    [
        # A 5x5 matrix of sums of fractions: δ_ij for ∂L/∂O_ij and the shared 1/9 keep it inside.
        ["avgpool2d", "--input", "5", "--kernel", "3", "--stride", "2", "--padding", "1"],
        # A long call in typewriter type: it breaks between its words.
        ["cross-entropy", "--target", "1,0", "--weight", "1,2,1", "--label-smoothing", "0.2"],
        # Worked examples: ten products of numbers in one sum, and products of fractions.
        ["conv2d", "--input", "5", "--kernel", "3", "--bias", "--seed", "1"],
        [
            "avgpool2d",
            "--input",
            "5",
            "--kernel",
            "3",
            "--stride",
            "2",
            "--padding",
            "1",
            "--seed",
            "1",
        ],
    ],
    ids=["avgpool-matrix", "long-code", "conv-worked", "avgpool-worked"],
)
def test_documents_that_used_to_overflow_fit_the_page(args: list[str], tmp_path: Path) -> None:
    from click.testing import CliRunner

    from symderiv.cli.main import cli

    source = CliRunner().invoke(cli, [*args, "--format", "latex", "--standalone"]).output
    _, log = compile_tex(source, ENGINE["en"], tmp_path)
    assert not overfull_boxes(log), overfull_boxes(log)
