"""The Sphinx directive in a tiny project: reStructuredText and MyST sources, built with the
HTML and LaTeX builders as ``sphinx-build`` builds them.

Skipped without Sphinx and MyST, except under CI, where .ci/run installs the docs extra.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
if not IN_CI:
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")

from sphinx.cmd.build import build_main  # noqa: E402

import symderiv  # noqa: E402
import symderiv.sphinx as extension  # noqa: E402
from symderiv.core.family import Command  # noqa: E402
from symderiv.core.results import Proof  # noqa: E402

CONF = 'extensions = ["myst_parser", "symderiv.sphinx"]\nproject = "course"\n'
INDEX = """Course
======

.. toctree::

   pooling

.. symderiv:: conv2d --input 4x4 --kernel 2x2 --stride 2
"""
POOLING = """# Pooling

```{symderiv} maxpool2d --figures --lang zh
```
"""


def project(folder: Path, **pages: str) -> Path:
    folder.mkdir()
    (folder / "conf.py").write_text(CONF, encoding="utf-8")
    for name, text in pages.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def build(source: Path, builder: str) -> tuple[int, Path]:
    out = source / "_build" / builder
    return build_main(["-q", "-b", builder, str(source), str(out)]), out


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return project(
        tmp_path_factory.mktemp("site") / "src", **{"index.rst": INDEX, "pooling.md": POOLING}
    )


def test_the_html_builder_inserts_the_page_fragments(site: Path) -> None:
    status, out = build(site, "html")
    assert status == 0
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "<h2>Backpropagation through <code>conv2d</code>: a" in index
    assert 'class="symderiv-explorer"' in index and 'data-place="O:2,2"' in index
    assert "<style>" not in index.split("<body")[1], "the assets come once, from _static"
    for name in ("katex.css", "katex.min.js", "page.css", "page.js"):
        assert (out / "_static" / "symderiv" / name).is_file()
        assert f"_static/symderiv/{name}" in index
    pooling = (out / "pooling.html").read_text(encoding="utf-8")
    assert 'lang="zh-Hans"' in pooling and "最大池化" in pooling and "<svg" in pooling


def test_the_latex_builder_inserts_the_latex_fragment(site: Path) -> None:
    status, out = build(site, "latex")
    assert status == 0
    tex = (out / "course.tex").read_text(encoding="utf-8")
    expected = symderiv.conv2d(input=(4, 4), kernel=(2, 2), stride=(2, 2))
    assert "\\section{Backpropagation through \\texttt{conv2d}: a" in tex
    assert expected.to_latex().splitlines()[-1] in tex
    assert "\\usepackage{amsmath}" in tex and "\\usepackage{tikz}" in tex
    assert "symderiv-explorer" not in tex


def test_bad_options_fail_the_build_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = "Bad\n===\n\n.. symderiv:: conv2d --stride 0\n\n.. symderiv:: conv2d --format md\n"
    status, _ = build(project(tmp_path / "src", **{"index.rst": page}), "html")
    errors = capsys.readouterr().err
    assert status == 1
    assert "index.rst:4: ERROR: symderiv conv2d --stride 0: --stride 0: " in errors
    assert (
        "index.rst:6: ERROR: symderiv conv2d --format md: --format: the builder chooses" in errors
    )


def test_an_identity_that_does_not_hold_fails_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(**options: object) -> symderiv.Derivation:
        d = symderiv.conv2d(**options)  # type: ignore[arg-type]
        first = dataclasses.replace(d.identities[0], proof=Proof(4, holds=False))
        return dataclasses.replace(d, identities=(first, *d.identities[1:]))

    real = extension.commands()
    command: Command = dataclasses.replace(real["conv2d"], derive=broken)
    monkeypatch.setattr(extension, "commands", lambda: {**real, "conv2d": command})
    page = "Broken\n======\n\n.. symderiv:: conv2d\n"
    status, _ = build(project(tmp_path / "src", **{"index.rst": page}), "html")
    assert status == 1
    assert "index.rst:4: ERROR: symderiv conv2d: does not hold: " in capsys.readouterr().err


def test_theorems_on_a_page_and_a_claim_that_is_not_proven_fails_the_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = "dL/dX = conv_transpose1d(dL/dO, W, stride=s, output_padding=H mod s)"
    page = "Theorems\n========\n\n.. symderiv:: theorems linear --lang zh\n\n"
    page += f".. symderiv:: theorems conv1d --claim '{wrong}'\n"
    status, out = build(project(tmp_path / "src", **{"index.rst": page}), "html")
    errors = capsys.readouterr().err
    assert status == 1
    assert "index.rst:6: ERROR: symderiv theorems conv1d --claim" in errors
    assert "NOT PROVEN" in errors and "counterexample: symderiv check conv1d" in errors
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "<h2>对任意尺寸成立的定理</h2>" in index  # one level below the page's title
    assert "<h4>定理 9：全连接层的梯度是矩阵乘积</h4>" in index
    assert "<style>" not in index.split("<body")[1]
