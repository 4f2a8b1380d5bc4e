"""The bytecode cache of the compiled templates: transparent when it works, absent when it
cannot be written, and never shared between the escaping HTML environment and the text one."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

import symderiv
from symderiv.render.engine import _bytecode_cache, _tidy, make_environment, render


def _markdown(d: symderiv.Derivation, environment: jinja2.Environment) -> str:
    context = {**d.view.context(d), "format": "md", "lang": "en", "standalone": False}
    context["body"] = "conv2d/en.j2"
    return _tidy(environment.get_template("md/document.j2").render(context))


def test_cached_templates_render_the_same(tmp_path: Path) -> None:
    d = symderiv.conv2d()
    first = _markdown(d, make_environment(False, _bytecode_cache(False, str(tmp_path))))
    assert list(tmp_path.iterdir()), "the compiled templates were stored"
    second = _markdown(d, make_environment(False, _bytecode_cache(False, str(tmp_path))))
    assert first == second == render(d, "md")


def test_html_and_text_never_read_each_other_s_code(tmp_path: Path) -> None:
    """A template compiled with autoescape would escape the TeX of a Markdown document."""
    d = symderiv.relu()
    html = make_environment(True, _bytecode_cache(True, str(tmp_path)))
    html.get_template("md/document.j2")  # the HTML environment compiles the template first
    html.get_template("activation/en.j2")
    text = make_environment(False, _bytecode_cache(False, str(tmp_path)))
    context = {**d.view.context(d), "format": "md", "lang": "en", "standalone": False}
    context["body"] = "activation/en.j2"
    assert _tidy(text.get_template("md/document.j2").render(context)) == render(d, "md")


def test_a_cache_that_cannot_be_written_is_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: object, bucket: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(jinja2.FileSystemBytecodeCache, "dump_bytecode", refuse)
    environment = make_environment(False, _bytecode_cache(False, str(tmp_path)))
    assert environment.get_template("md/macros.j2").module is not None
    assert not list(tmp_path.iterdir())


def test_a_corrupt_cache_entry_is_compiled_again(tmp_path: Path) -> None:
    make_environment(False, _bytecode_cache(False, str(tmp_path))).get_template("md/macros.j2")
    for entry in tmp_path.iterdir():
        entry.write_bytes(b"not bytecode")
    environment = make_environment(False, _bytecode_cache(False, str(tmp_path)))
    assert environment.get_template("md/macros.j2").module is not None
