"""--format html without a browser: the page's structure, escaping, the explorer's relation
against the derivation, the vendored KaTeX, determinism, Jupyter's representations and the CLI.

What a browser makes of the pages is tests/test_browser.py's.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sympy as sp
from click.testing import CliRunner

import symderiv
from symderiv.cli.main import cli
from symderiv.layers import FAMILIES
from symderiv.networks import COMMAND as NETWORK
from symderiv.render.engine import render
from symderiv.render.html import EXPLORER_LIMIT, paragraphs

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
VOID = {"meta", "link", "br", "hr", "img", "input", "col", "area", "base", "wbr", "source"}
SVG_LEAVES = {"rect", "line", "path", "circle", "polygon", "polyline", "ellipse", "tspan", "use"}


class Structure(HTMLParser):
    """Every element closed in order; the text and attributes kept for the checks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.cells: dict[str, dict[str, str]] = {}
        self.math = 0
        self.loose: list[str] = []
        """Text that sits in the page's frame outside any paragraph or block."""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if "data-place" in values:
            self.cells[values["data-place"]] = values
        if "math" in values.get("class", "").split():
            self.math += 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] == "main" and data.strip():
            self.loose.append(data.strip())

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass  # <rect .../>: opened and closed at once

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()


def parsed(page: str) -> Structure:
    structure = Structure()
    structure.feed(page)
    structure.close()
    assert not structure.errors, structure.errors[:5]
    assert not structure.stack, f"left open: {structure.stack}"
    return structure


@pytest.fixture(scope="module")
def conv_page() -> tuple[symderiv.Derivation, str]:
    d = symderiv.conv2d(input=(4, 4), kernel=(2, 2), stride=(2, 2), padding=(1, 1))
    return d, render(d, "html")


COMMANDS = [*FAMILIES.commands(), NETWORK]


@pytest.mark.parametrize("command", COMMANDS, ids=[c.name for c in COMMANDS])
def test_every_layer_is_a_whole_page_with_its_math_marked(command) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli, [command.name, "--format", "html"])
    assert result.exit_code == 0, result.output
    page = result.output
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">')
    structure = parsed(page)
    assert structure.math > 3
    assert "<!--symderiv:" not in page
    body = page[page.index("<main") : page.index("</main>")]
    assert "$$" not in body and "\\(" not in body, "no Markdown or LaTeX delimiters"
    assert not structure.loose, "every run of prose is a paragraph: " + structure.loose[0]
    explorer = re.search(r'<section class="symderiv-explorer".*?</section>', body, re.S)
    if explorer and structure.cells:
        # The explorer spells elements as the document does (X_{11}, or X_{1,2,1,1}).
        labels = re.findall(r'data-window="[^"]*"><span class="math">([^<]*)<', explorer.group(0))
        rest = body.replace(explorer.group(0), "")
        assert any(label in rest for label in labels), labels[:3]


def test_the_page_carries_katex_its_fonts_and_the_script(conv_page) -> None:  # type: ignore[no-untyped-def]
    _, page = conv_page
    assert "src:url(data:font/woff2;base64," in page
    assert "katex.render(" in page and "symderiv-explorer" in page
    assert "src=" not in page.split("<body>")[1].split("<script>")[0], "nothing is fetched"
    assert not re.search(r"""(?:href|src)=["']?(?:https?:)?//""", page)


def test_the_explorer_marks_what_the_derivation_says(conv_page) -> None:  # type: ignore[no-untyped-def]
    """Recomputed here from the SymPy views: the symbols of each element's equation."""
    d, page = conv_page
    cells = parsed(page).cells

    def place(s: sp.Symbol) -> str:  # X_1_2 -> X:1,2 and dL_dO_1_2 -> dL/dO:1,2
        *name, i, j = str(s).split("_")
        return f"{'_'.join(name).replace('dL_d', 'dL/d')}:{i},{j}"

    equations = {"O": d.forward(), "dL/dX": d.gradient("X"), "dL/dF": d.gradient("F")}
    symbols = {
        f"{key}:{i + 1},{j + 1}": {place(s) for s in grid[i, j].free_symbols}
        for key, grid in equations.items()
        for i in range(grid.shape[0])
        for j in range(grid.shape[1])
    }
    for cell, equation in [("O:1,2", "O:1,2"), ("X:2,3", "dL/dX:2,3"), ("dL/dF:2,1", "dL/dF:2,1")]:
        attributes = cells[cell]
        assert attributes["data-equation"] == equation
        assert set(attributes["data-reads"].split()) == symbols[equation]
        this = {cell, cell.replace("dL/d", "") if "dL/d" in cell else "dL/d" + cell}
        feeds = {e for e, read in symbols.items() if read & this}
        assert set(attributes["data-feeds"].split()) == feeds
    assert not any(c["data-window"] for c in cells.values())


def test_max_pooling_marks_the_window_and_reads_the_switch() -> None:
    d = symderiv.maxpool2d(input=(4, 4), kernel=(3, 3), stride=(1, 1), padding=(1, 1))
    page = render(d, "html")
    cells = parsed(page).cells
    shown = dict(re.findall(r'data-place="(X:[\d,]+)"[^>]*>.*?class="value math">([^<]*)<', page))
    assert shown == {f"X:{i + 1},{j + 1}": str(v) for (i, j), v in d.values.items()}
    for s in d.selections:
        name = f"O:{','.join(str(i + 1) for i in s.window.output)}"
        window = {f"X:{','.join(str(i + 1) for i in c)}" for c in s.window.cells if c is not None}
        assert set(cells[name]["data-window"].split()) == window
        assert cells[name]["data-reads"] == f"X:{','.join(str(i + 1) for i in s.winner)}"


def test_a_large_layer_says_why_it_has_no_explorer() -> None:
    page = render(symderiv.conv2d(input=(16, 16), kernel=(3, 3)), "html")
    assert "symderiv-explorer" not in page.split("<main")[1].split("</main>")[0]
    assert f"at most {EXPLORER_LIMIT}" in page


def test_no_value_becomes_markup() -> None:
    d = symderiv.conv2d(input=(3, 3), kernel=(2, 2))
    claims = [
        {
            "claim": '<img src=x onerror="alert(1)"> & X[1,1]',
            "holds": True,
            "elements": 9,
            "differing": 0,
            "first": None,
            "reason": None,
            "mistakes": [],
        }
    ]
    page = render(d, "html", extra={"claims": claims}, frame="bare")  # without KaTeX's source
    assert "<img" not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; X[1,1]" in page
    # TeX is text too: an ampersand in a matrix reaches the page escaped.
    assert "X_{11} &amp; X_{12}" in page
    # Nor can a value stand where the page's assets go.
    claims[0]["claim"] = "<!--symderiv:script--> <!--symderiv:css-->"
    page = render(d, "html", extra={"claims": claims})
    assert page.count("<script>") == 1 and page.count("<style>") == 1
    assert "&lt;!--symderiv:script--&gt; &lt;!--symderiv:css--&gt;" in page


def test_chinese_pages_are_chinese() -> None:
    page = render(symderiv.maxpool2d(), "html", "zh")
    assert '<html lang="zh-Hans">' in page
    assert "逐个查看元素" in page and "它的池化窗口" in page
    page = render(symderiv.network(), "html", "zh")
    assert "逐层查看" in page


def test_the_same_command_gives_the_same_bytes() -> None:
    arguments = ["maxpool2d", "--format", "html", "--figures", "--lang", "zh"]
    first, second = (CliRunner().invoke(cli, arguments) for _ in range(2))
    assert first.exit_code == 0 and first.output == second.output
    assert "<svg" in first.output and "<figure" in first.output


def test_notes_as_one_page_number_their_equations_and_link_them() -> None:
    result = CliRunner().invoke(cli, ["notes", "--format", "html", "--sections", "conv2d"])
    assert result.exit_code == 0, result.output
    page = result.output
    parsed(page)
    assert "<title>Backpropagation, derived: course notes</title>" in page
    tags = re.findall(r'<div class="display" id="eq-([\d.]+)">', page)
    assert tags and tags == sorted(set(tags), key=lambda t: [int(p) for p in t.split(".")])
    for link in re.findall(r'<a href="#eq-([^"]+)">', page):
        assert link in tags
    assert '<nav class="contents">' in page and '<div id="section-conv2d"></div>' in page


def test_html_options_and_errors() -> None:
    runner = CliRunner()
    refused = runner.invoke(cli, ["conv2d", "--format", "html", "--standalone"])
    assert refused.exit_code == 2 and "only applies to --format latex" in refused.output
    with runner.isolated_filesystem():
        written = runner.invoke(cli, ["relu", "--format", "html", "-o", "relu.html"])
        assert written.exit_code == 0
        assert Path("relu.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_fragments_for_notebooks_and_sites() -> None:
    d = symderiv.relu()
    fragment = d._repr_html_()
    assert fragment.startswith('<div class="symderiv" lang="en">\n<style>')
    assert "<html" not in fragment and "katex.render(" in fragment
    parsed(fragment)
    bare = d.to_html(frame="bare")
    assert "<style>" not in bare and "<script>" not in bare
    assert d._repr_latex_() == d.to_latex()
    assert len(repr(d)) < 120
    with pytest.raises(symderiv.SymderivError, match="unknown frame 'window'"):
        d.to_html(frame="window")


def test_paragraphs_wrap_prose_and_leave_blocks() -> None:
    text = "<h2>T</h2>\nOne line\nand its next.\n<div>x</div>\n\nTwo <span>s</span>\n"
    assert paragraphs(text) == (
        "<h2>T</h2>\n<p>One line\nand its next.</p>\n<div>x</div>\n\n<p>Two <span>s</span></p>\n"
    )


def _vendor_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("vendor_katex", ROOT / "scripts/vendor_katex.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_vendored_katex_is_the_pinned_package() -> None:
    package = ROOT / "node_modules" / "katex"
    if not package.is_dir():
        if IN_CI:
            pytest.fail("node_modules/katex is missing: .ci/run runs npm ci")
        pytest.skip("KaTeX is not installed (npm ci)")
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["katex"]
    assert json.loads((package / "package.json").read_text())["version"] == pinned
    for name, content in _vendor_script().vendored(package).items():
        assert (ROOT / "symderiv/assets/katex" / name).read_bytes() == content, (
            f"{name} differs from KaTeX {pinned}: run python scripts/vendor_katex.py"
        )


@pytest.mark.parametrize(
    "derivation",
    [symderiv.batchnorm(batch=3, channels=2), symderiv.layernorm(batch=2, normalized_shape=(3,))],
    ids=["batchnorm", "layernorm"],
)
def test_normalisation_marks_the_whole_group(derivation) -> None:  # type: ignore[no-untyped-def]
    """An element's gradient reads every x and dL/dy of its group: a channel across the batch
    for batch norm, a sample for layer norm (the groups as the derivation made them)."""
    cells = parsed(render(derivation, "html")).cells

    def names(key: str, members: tuple[tuple[int, ...], ...]) -> set[str]:
        return {f"{key}:{','.join(str(i + 1) for i in m)}" for m in members}

    for stat in derivation.statistics:
        member = names("x", stat.members[:1]).pop()
        reads = set(cells[member]["data-reads"].split())
        assert {r for r in reads if r.startswith("x:")} == names("x", stat.members)
        assert {r for r in reads if r.startswith("dL/dy:")} == names("dL/dy", stat.members)
