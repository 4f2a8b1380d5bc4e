"""Course notes: one article made of the chain-rule primer and a section per layer.

The sections are whatever the registries offer: every command in ``commands.LAYER_COMMANDS``
whose layer has a view in ``render.VIEWS`` (so a layer that lands later joins the notes without
a change here). Each section is the layer's own derivation rendered through its own template,
with its headings one level down; the notes add a table of contents, numbered key equations
(``\\label``/``\\eqref`` in LaTeX, ``\\tag`` in Markdown), the figures, and a summary of the
identities at the end.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..cli import commands
from ..cli.commands import LayerCommand
from ..core.errors import SymderivError
from . import engine as render
from .documents import Document, figures_of, place, referenced
from .engine import FORMATS, LANGUAGES, _tidy, environment

if TYPE_CHECKING:
    from ..core.protocol import LayerDerivation

PRIMER = "chain-rule"
"""The section every other one builds on: it opens the notes whatever order is asked for."""
SCHEMA_VERSION = 1

Context = dict[str, Any]
KeyEquation = tuple[str, str]
"""(key the template displays it under, its LaTeX): an equation the summary refers back to."""


def _view_key(name: str) -> str | None:
    """The ``render.VIEWS`` key of a command, spelled with - or _ alike."""
    for key in render.VIEWS:
        if key.replace("_", "-") == name.replace("_", "-"):
            return key
    return None


def available() -> tuple[LayerCommand, ...]:
    """The layer commands that can be a section: those with a view; the primer first."""
    offered = [c for c in commands.LAYER_COMMANDS if _view_key(c.name) is not None]
    return tuple(sorted(offered, key=lambda c: c.name != PRIMER))


def choose(requested: Sequence[str]) -> tuple[LayerCommand, ...]:
    """The sections asked for, in the article's order; an unknown or repeated name is an error."""
    offered = {c.name: c for c in available()}
    seen: set[str] = set()
    for name in requested:
        if name not in offered:
            raise SymderivError(
                f"--sections: unknown section {name!r}; choose from {', '.join(offered)}"
            )
        if name in seen:
            raise SymderivError(f"--sections: section {name!r} is listed twice")
        seen.add(name)
    if not seen:
        raise SymderivError("--sections: no section given")
    return tuple(c for c in available() if c.name in seen)


# --------------------------------------------------------------------------------------------
# Key equations: what the summary lists, each under the key its template displays it with


def _primer_equations(context: Context) -> list[KeyEquation]:
    return [
        ("one path", context["one_path"]["rule"]),
        ("two paths", context["two_paths"]["rule"]),
        ("gate", context["gate"]["rule"]),
    ]


def _identity_equations(context: Context) -> list[KeyEquation]:
    """Layers that present detected identities in groups: each target's primary statement."""
    found: dict[str, str] = {}
    for group in context.get("identities", []):
        if isinstance(group, dict) and group.get("found") and "key" in group:
            found.setdefault(group["key"], group["primary"]["statement"])
    return list(found.items())


def _max_pool_equations(context: Context) -> list[KeyEquation]:
    return [
        (f"identity {n}", identity["statement"])
        for n, identity in enumerate(context["identities"], start=1)
        if identity["holds"]
    ]


def _average_pool_equations(context: Context) -> list[KeyEquation]:
    primary = context.get("primary")
    return [("identity", primary["statement"])] if context.get("found") and primary else []


def _normalization_equations(context: Context) -> list[KeyEquation]:
    return [("compact", context["general"]["compact"])]


KEY_EQUATIONS: dict[str, Callable[[Context], list[KeyEquation]]] = {
    "chain_rule": _primer_equations,
    "maxpool": _max_pool_equations,
    "avgpool": _average_pool_equations,
    "normalization": _normalization_equations,
}
"""By template folder; any other layer falls back to its identity groups, if it has them."""


def key_equations(templates: str, context: Context) -> list[KeyEquation]:
    return KEY_EQUATIONS.get(templates, _identity_equations)(context)


# --------------------------------------------------------------------------------------------
# Assembly


@dataclass(frozen=True)
class Part:
    name: str
    derivation: LayerDerivation


def assemble(
    parts: Sequence[Part], fmt: str, lang: str, standalone: bool, figures: bool, stem: str
) -> Document:
    if fmt not in FORMATS:
        raise SymderivError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if lang not in LANGUAGES:
        raise SymderivError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    if fmt == "json":
        return Document(_json(parts))
    sections: list[Context] = []
    files: list[tuple[str, str]] = []
    figure = 1
    for part in parts:
        view = render.VIEWS[part.derivation.layer]
        context = view.context(part.derivation)
        equations = key_equations(view.templates, context)
        labels = {
            key: {"label": f"eq:{part.name}:{i + 1}", "tag": _placeholder(f"{part.name}:{i + 1}")}
            for i, (key, _) in enumerate(equations)
        }
        placed: dict[str, dict[str, Any]] = {}
        if figures:
            placed, needed = place(figures_of(part.derivation), fmt, f"{stem}-{part.name}", figure)
            figure += len(placed)
            files.extend(needed)
        context.update(
            format=fmt,
            lang=lang,
            standalone=standalone,
            heading_offset=1,
            equation_labels=labels,
            figures=placed,
        )
        text = environment().get_template(f"{view.templates}/{lang}.j2").render(context)
        # A template may not display every key equation under its key (then it has no number).
        shown = {key for key, label in labels.items() if _marker(label, fmt) in text}
        labels = {key: label for key, label in labels.items() if key in shown}
        sections.append(
            {
                "name": part.name,
                "anchor": f"section-{part.name}",
                "title": _title(text, fmt),
                "text": text,
                "equations": [
                    {"key": key, "tex": tex, "ref": key in shown} for key, tex in equations
                ],
                "labels": labels,
            }
        )
    values = {
        "format": fmt,
        "lang": lang,
        "standalone": standalone,
        "uses_tikz": fmt == "latex" and figure > 1,
        "sections": sections,
        "verified": all(p.derivation.verified for p in parts),
        "equation_labels": {k: v for s in sections for k, v in _qualified(s).items()},
        "body": f"notes/{lang}.j2",
    }
    text = environment().get_template(f"{fmt}/document.j2").render(values)
    text = _tidy(_number_tags(text))
    return Document(text, referenced(files, text))


def _placeholder(name: str) -> str:
    return f"⟦{name}⟧"


def _marker(label: dict[str, str], fmt: str) -> str:
    return f"\\label{{{label['label']}}}" if fmt == "latex" else f"\\tag{{{label['tag']}}}"


def _number_tags(text: str) -> str:
    """Markdown: number the tagged equations in reading order and the references to them.

    KaTeX cannot number equations across separate blocks, so the numbers are written in: every
    placeholder gets the number of its ``\\tag`` in the order the tags appear."""
    numbers: dict[str, str] = {}
    for match in re.finditer(r"\\tag\{(⟦[^⟧]*⟧)\}", text):
        numbers.setdefault(match.group(1), str(len(numbers) + 1))
    numbered = re.sub(r"⟦[^⟧]*⟧", lambda m: numbers.get(m.group(0), m.group(0)), text)
    if "⟦" in numbered:
        raise SymderivError("an equation is referred to but never displayed")
    return numbered


def _qualified(section: Context) -> dict[str, Any]:
    """Labels under ``section:key``, so that the summary can name any section's equation."""
    return {f"{section['name']}:{key}": label for key, label in section["labels"].items()}


def _title(text: str, fmt: str) -> str:
    """The heading a section's text opens with, for the Markdown table of contents."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    if fmt == "md":
        return first.lstrip("#").strip()
    return first


def _json(parts: Sequence[Part]) -> str:
    data = {
        "schema": SCHEMA_VERSION,
        "notes": [part.name for part in parts],
        "sections": [render.VIEWS[p.derivation.layer].json(p.derivation) for p in parts],
        "verified": all(p.derivation.verified for p in parts),
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
