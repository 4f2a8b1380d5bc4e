"""The theorems as documents: Markdown and LaTeX through the templates, and JSON."""

from __future__ import annotations

import json
from typing import Any

from ..core.errors import SymderivError
from ..theorems.result import Theorem
from .engine import environment, finish
from .formats import LANGUAGES
from .json import SCHEMA_VERSION

FORMATS = ("md", "latex", "json")


def context(numbered: list[tuple[int, Theorem]], proofs: bool) -> list[dict[str, Any]]:
    return [
        {
            "number": number,
            "key": t.key,
            "family": t.family,
            "statement": list(t.statement),
            "hypotheses": list(t.hypotheses),
            "holds": t.holds,
            "dims": list(t.dims),
            "checks": t.checks,
            "steps": [
                {
                    "kind": s.kind,
                    "lines": list(s.lines),
                    "notes": [
                        {"kind": n.split(":", 1)[0], "tex": n.split(":", 1)[1]} for n in s.notes
                    ],
                }
                for s in t.steps
            ]
            if proofs
            else [],
        }
        for number, t in numbered
    ]


def render_theorems(
    numbered: list[tuple[int, Theorem]],
    fmt: str,
    lang: str = "en",
    proofs: bool = True,
    standalone: bool = False,
) -> str:
    if fmt not in FORMATS:
        raise SymderivError(f"theorems: unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if lang not in LANGUAGES:
        raise SymderivError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    items = context(numbered, proofs)
    if fmt == "json":
        data = {"schema": SCHEMA_VERSION, "theorems": items}
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    values = {
        "theorems": items,
        "proofs": proofs,
        "format": fmt,
        "lang": lang,
        "standalone": standalone,
        "body": f"theorems/{lang}.j2",
    }
    text = environment(False).get_template(f"{fmt}/document.j2").render(values)
    return finish(text, fmt)
