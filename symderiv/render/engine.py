"""Rendering: one Jinja environment, the templates for Markdown and LaTeX, and JSON."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from ..core.errors import SymderivError
from ..core.perf import without_cycle_collection
from ..layers.chain_rule import view as primer_context
from ..layers.conv import json_view as jsonout
from ..layers.conv import view as conv_context
from ..layers.norm.json_view import build as build_norm_json
from ..layers.norm.view import build as build_norm_context
from ..layers.pool import json_view as pool_json
from ..layers.pool import view as pool_context

if TYPE_CHECKING:
    from ..core.protocol import LayerDerivation


@dataclass(frozen=True)
class View:
    """How one family of layers is shown: its render context, its JSON, its template folder."""

    context: Callable[[Any], dict[str, Any]]
    json: Callable[[Any], dict[str, Any]]
    templates: str


VIEWS: dict[str, View] = {
    "conv2d": View(conv_context.build, jsonout.build, "conv2d"),
}
"""Keyed by ``Derivation.layer``."""
VIEWS.update(
    {
        f"{kind}{n}d": View(conv_context.build, jsonout.build, "conv2d")
        for kind in ("conv", "conv_transpose")
        for n in (1, 2, 3)
    }
)
VIEWS.update(
    {f"maxpool{n}d": View(pool_context.build_max, pool_json.build, "maxpool") for n in (1, 2, 3)}
)
VIEWS.update(
    {f"avgpool{n}d": View(pool_context.build_avg, pool_json.build, "avgpool") for n in (1, 2, 3)}
)
VIEWS["global-avgpool"] = View(pool_context.build_avg, pool_json.build, "avgpool")
VIEWS["chain-rule"] = View(primer_context.build, primer_context.build_json, "chain_rule")

VIEWS.update(
    {
        kind: View(build_norm_context, build_norm_json, "normalization")
        for kind in ("batchnorm", "layernorm", "groupnorm", "instancenorm")
    }
)

FORMATS = ("md", "latex", "json")
LANGUAGES = ("en", "zh")


def templates_dir() -> Path:
    """Inside an installed wheel the templates sit in the package; in a checkout, beside it."""
    packaged = Path(str(resources.files("symderiv") / "templates"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


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
def render(
    derivation: LayerDerivation,
    fmt: str,
    lang: str = "en",
    standalone: bool = False,
    extra: dict[str, Any] | None = None,
) -> str:
    """``extra`` adds to the template context: figures, or the settings of a notes section."""
    if fmt not in FORMATS:
        raise SymderivError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if lang not in LANGUAGES:
        raise SymderivError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    view = VIEWS[derivation.layer]
    if fmt == "json":
        return json.dumps(view.json(derivation), indent=2, ensure_ascii=False) + "\n"
    values = view.context(derivation)
    values.update(format=fmt, lang=lang, standalone=standalone, body=f"{view.templates}/{lang}.j2")
    values.update(extra or {})
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
