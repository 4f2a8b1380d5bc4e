"""A derivation in a notebook: executed by nbclient on a real kernel, as Jupyter runs it, and
read back from the outputs the notebook stores.

Skipped without nbclient and ipykernel, except under CI, where the test extra installs them.
"""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
if not IN_CI:
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

import symderiv  # noqa: E402

CODE = "import symderiv\nd = symderiv.conv2d(input=(3, 3), kernel=(2, 2))\nd"


@pytest.fixture(scope="module")
def output() -> dict[str, str]:
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell(CODE))
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    outputs = notebook.cells[0].outputs
    assert [o.output_type for o in outputs] == ["execute_result"], outputs
    data: dict[str, str] = outputs[0].data
    return data


def test_the_notebook_stores_every_representation(output: dict[str, str]) -> None:
    d = symderiv.conv2d(input=(3, 3), kernel=(2, 2))
    assert set(output) == {"text/plain", "text/html", "text/latex", "text/markdown"}
    assert output["text/plain"] == repr(d)
    assert output["text/plain"].startswith("<Derivation conv2d (X 3x3, F 2x2, O 2x2, dL/dO 2x2):")
    assert output["text/latex"] == d.to_latex()
    assert output["text/markdown"] == d.to_markdown()


def test_the_html_is_a_fragment_that_carries_its_assets(output: dict[str, str]) -> None:
    html = output["text/html"]
    assert html == symderiv.conv2d(input=(3, 3), kernel=(2, 2))._repr_html_()
    assert html.startswith('<div class="symderiv" lang="en">') and "<html" not in html
    assert "katex.render(" in html and "data:font/woff2;base64," in html
    assert 'data-place="O:1,1"' in html
