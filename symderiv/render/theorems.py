"""The theorems as documents: Markdown, LaTeX and HTML through the templates, and JSON. The items
are plain values (``symderiv.theorems.result.as_data``), so rendering knows no prover."""

from __future__ import annotations

import json
from typing import Any

from ..core.errors import SymderivError
from .engine import environment, finish
from .formats import LANGUAGES
from .json import SCHEMA_VERSION

FORMATS = ("md", "latex", "json", "html")


def render_theorems(
    items: list[dict[str, Any]],
    fmt: str,
    lang: str = "en",
    standalone: bool = False,
    frame: str = "page",
    heading_offset: int = 0,
) -> str:
    """``frame`` is HTML's (a whole page, or a fragment for a notebook or a Sphinx page);
    ``heading_offset`` moves every heading down, for a page that has its own title."""
    if fmt not in FORMATS:
        raise SymderivError(f"theorems: unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if lang not in LANGUAGES:
        raise SymderivError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    if fmt == "json":
        data = {"schema": SCHEMA_VERSION, "theorems": items}
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    values = {
        "theorems": items,
        "proofs": any(item["steps"] for item in items),
        "format": fmt,
        "lang": lang,
        "standalone": standalone,
        "body": f"theorems/{lang}.j2",
        "heading_offset": heading_offset,
    }
    if fmt == "html":
        from . import html

        values |= html.frame_context(frame)  # a page is titled by its first heading
    text = environment(fmt == "html").get_template(f"{fmt}/document.j2").render(values)
    return finish(text, fmt)


def render_claim(verdict: dict[str, Any], fmt: str, lang: str = "en") -> str:
    """A claim's verdict (``ClaimVerdict.as_data``): its line, and its proof when proven."""
    if fmt == "json":
        return (
            json.dumps({"schema": SCHEMA_VERSION, **verdict}, indent=2, ensure_ascii=False) + "\n"
        )
    if fmt != "md":
        raise SymderivError(f"theorems --claim: a claim's verdict is md or json, not {fmt}")
    proof = verdict["proof"]
    return verdict["line"] + "\n" + ("\n" + render_theorems([proof], "md", lang) if proof else "")
