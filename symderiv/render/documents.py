"""Documents with figures: the text plus the SVG files that go beside it.

In LaTeX a figure is TikZ inside the text; in HTML it is SVG inside the page; in Markdown it is
an SVG file next to the ``.md``, referenced by a relative path. Writing them is the command
line's (``cli.output``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from ..core.figures import AnyFigure, GraphFigure, plain_text
from ..core.protocol import LayerDerivation
from . import svg, tikz
from .engine import render


@dataclass(frozen=True)
class Document:
    text: str
    files: tuple[tuple[str, str], ...] = ()
    """(file name, content) of the files that go beside the text: the SVG figures."""


def figures_of(derivation: LayerDerivation) -> Mapping[str, AnyFigure]:
    return derivation.view.figures(derivation)


def place(
    figures: Mapping[str, AnyFigure], fmt: str, prefix: str, first_number: int = 1
) -> tuple[dict[str, dict[str, Any]], list[tuple[str, str]]]:
    """The template context of each figure (numbered in order) and the files it needs."""
    context: dict[str, dict[str, Any]] = {}
    files: list[tuple[str, str]] = []
    for number, (key, figure) in enumerate(figures.items(), start=first_number):
        entry: dict[str, Any] = {
            "number": number,
            "complete": figure.complete,
            "alt": _alt(figure),
        }
        if fmt == "latex":
            entry["tikz"] = tikz.draw(figure)
        elif fmt == "html":
            # One line, so that the page's paragraphs leave it whole; its text is escaped.
            entry["svg"] = Markup("".join(svg.draw(figure).splitlines()))
        else:
            name = f"{prefix}-{figure.name}.svg"
            entry["path"] = link(name)
            files.append((name, svg.draw(figure)))
        context[key] = entry
    return context, files


def link(name: str) -> str:
    """A file name as a relative link that is valid and inert whatever the name holds: every
    byte outside letters, digits and ``-._~`` percent-encoded (``a b.svg`` -> ``a%20b.svg``);
    a name that is not valid UTF-8 keeps its bytes."""
    return quote(name.encode("utf-8", "surrogateescape"), safe="")


def _alt(figure: AnyFigure) -> str:
    if isinstance(figure, GraphFigure):
        return ", ".join(plain_text(n.label) for n in figure.nodes)
    return ", ".join(plain_text(p.title) for p in figure.panels)


def render_layer(
    derivation: LayerDerivation,
    fmt: str,
    lang: str,
    standalone: bool,
    figures: bool,
    stem: str,
    context: dict[str, Any] | None = None,
    frame: str = "page",
) -> Document:
    """One layer on its own; with ``figures`` its figures join the text (none in JSON);
    ``context`` adds to the template's (the verdicts of claims); ``frame`` is HTML's."""
    if not figures or fmt == "json":
        return Document(render(derivation, fmt, lang, standalone, context, frame))
    placed, files = place(figures_of(derivation), fmt, stem)
    extra = {**(context or {}), "figures": placed, "uses_tikz": fmt == "latex" and bool(placed)}
    text = render(derivation, fmt, lang, standalone, extra, frame)
    return Document(text, referenced(files, text))


def referenced(files: list[tuple[str, str]], text: str) -> tuple[tuple[str, str], ...]:
    """Only the figure files the text links to: a template may show fewer figures than its
    layer has (the general convolution template shows the windows only)."""
    return tuple((name, content) for name, content in files if f"]({link(name)})" in text)
