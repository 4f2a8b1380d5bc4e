"""Rendering: one Jinja environment, the templates for Markdown and LaTeX, and JSON."""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from . import context, jsonout
from .errors import SymderivError
from .perf import without_cycle_collection

if TYPE_CHECKING:
    from .derivation import Derivation

FORMATS = ("md", "latex", "json")
LANGUAGES = ("en", "zh")


def templates_dir() -> Path:
    """Inside an installed wheel the templates sit in the package; in a checkout, beside it."""
    packaged = Path(str(resources.files("symderiv") / "templates"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "templates"


@functools.cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@without_cycle_collection
def render(derivation: Derivation, fmt: str, lang: str = "en", standalone: bool = False) -> str:
    if fmt not in FORMATS:
        raise SymderivError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if lang not in LANGUAGES:
        raise SymderivError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    if fmt == "json":
        return json.dumps(jsonout.build(derivation), indent=2, ensure_ascii=False) + "\n"
    values = context.build(derivation)
    values.update(
        format=fmt,
        lang=lang,
        standalone=standalone,
        body=f"{derivation.layer}/{lang}.j2",
    )
    text = environment().get_template(f"{fmt}/document.j2").render(values)
    return _tidy(text)


def _tidy(text: str) -> str:
    """Collapse the runs of blank lines that template control flow leaves behind."""
    lines: list[str] = []
    for line in text.rstrip().split("\n"):
        line = line.rstrip()
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines) + "\n"
