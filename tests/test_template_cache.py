"""The bytecode cache of the compiled templates: transparent when it works, absent when it
cannot be written."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

import symderiv
from symderiv.render.engine import (
    _QuietBytecodeCache,
    _tidy,
    environment,
    render,
    templates_dir,
)


def _environment(cache: jinja2.BytecodeCache) -> jinja2.Environment:
    settings = environment()
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        undefined=jinja2.StrictUndefined,
        trim_blocks=settings.trim_blocks,
        lstrip_blocks=settings.lstrip_blocks,
        keep_trailing_newline=True,
        bytecode_cache=cache,
    )


def test_cached_templates_render_the_same(tmp_path: Path) -> None:
    d = symderiv.conv2d()
    context = {**d.view.context(d), "format": "md", "lang": "en", "standalone": False}
    context["body"] = "conv2d/en.j2"
    first = _environment(_QuietBytecodeCache(str(tmp_path))).get_template("md/document.j2")
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written, "the compiled templates were stored"
    second = _environment(_QuietBytecodeCache(str(tmp_path))).get_template("md/document.j2")
    assert second.render(context) == first.render(context)
    assert _tidy(second.render(context)) == render(d, "md")


def test_a_cache_that_cannot_be_written_is_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: object, bucket: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(jinja2.FileSystemBytecodeCache, "dump_bytecode", refuse)
    template = _environment(_QuietBytecodeCache(str(tmp_path))).get_template("md/macros.j2")
    assert template.module is not None and not list(tmp_path.iterdir())


def test_a_corrupt_cache_entry_is_compiled_again(tmp_path: Path) -> None:
    _environment(_QuietBytecodeCache(str(tmp_path))).get_template("md/macros.j2")
    for entry in tmp_path.iterdir():
        entry.write_bytes(b"not bytecode")
    template = _environment(_QuietBytecodeCache(str(tmp_path))).get_template("md/macros.j2")
    assert template.module is not None
