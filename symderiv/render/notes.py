"""Course notes: one article made of the chain-rule primer and a section per layer.

The sections are whatever the family registry offers (so a family that lands later joins the
notes without a change here); the command line hands the registry in. Each section is the
layer's own derivation rendered through its own template, with its headings one level down;
the notes add a table of contents, numbered key equations (``\\label``/``\\eqref`` in LaTeX,
``\\tag`` in Markdown), the figures, and a summary of the identities at the end.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from ..core.errors import SymderivError
from ..core.protocol import LayerDerivation
from .documents import Document, figures_of, place, referenced
from .engine import environment, finish
from .formats import FORMATS, LANGUAGES
from .json import SCHEMA_VERSION
from .sections import PRIMER


@dataclass(frozen=True)
class Part:
    name: str
    derivation: LayerDerivation
    torch: str = ""
    """The PyTorch functions that compute the layer's gradients (``Command.torch_backward``)."""
    variant_of: str = ""
    """The section this one repeats with a change (``Command.variant_of``)."""
    theorems: tuple[dict[str, Any], ...] = ()
    """The theorems for every size that state this layer's identities, as plain values
    (``symderiv.theorems.result.as_data``, without their proofs)."""


def assemble(
    parts: Sequence[Part], fmt: str, lang: str, standalone: bool, figures: bool, stem: str
) -> Document:
    if fmt not in FORMATS:
        raise SymderivError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if lang not in LANGUAGES:
        raise SymderivError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    if fmt == "json":
        return Document(_json(parts))
    sections: list[dict[str, Any]] = []
    files: list[tuple[str, str]] = []
    figure = 1
    numbers: dict[str, int] = {}
    stated: set[int] = set()
    for part in parts:
        # A theorem is stated after the first section it covers (conv1d's is conv2d's), and
        # only when its proof went through (else the notes open with their warning).
        theorems = [t for t in part.theorems if t["number"] not in stated and t["holds"]]
        stated |= {t["number"] for t in theorems}
        numbers[part.name] = len(numbers) + 1
        # After the section it repeats, a variant says what changes and draws no figures.
        variant = (
            {"number": numbers[part.variant_of], "anchor": f"section-{part.variant_of}"}
            if part.variant_of in numbers
            else None
        )
        view = part.derivation.view
        context = view.context(part.derivation)
        equations = view.key_equations(context)
        labels = {
            key: {
                "label": f"eq:{part.name}:{i + 1}",
                "tag": _placeholder(f"{numbers[part.name]}:{part.name}:{i + 1}"),
            }
            for i, (key, _) in enumerate(equations)
        }
        placed: dict[str, dict[str, Any]] = {}
        if figures and variant is None:
            placed, needed = place(figures_of(part.derivation), fmt, f"{stem}-{part.name}", figure)
            figure += len(placed)
            files.extend(needed)
        values = {
            **context,
            "format": fmt,
            "lang": lang,
            "standalone": standalone,
            "heading_offset": 1,
            "equation_labels": labels,
            "figures": placed,
            "variant": variant,
        }
        if fmt == "html":
            from .html import explorer

            values["explorer"] = (
                explorer(view.touches(part.derivation)) if variant is None else None
            )
        text = environment(fmt == "html").get_template(f"{view.templates}/{lang}.j2").render(values)
        # A template may not display every key equation under its key (then it has no number).
        shown = {key for key, label in labels.items() if _marker(label, fmt) in text}
        labels = {key: label for key, label in labels.items() if key in shown}
        sections.append(
            {
                "name": part.name,
                "anchor": f"section-{part.name}",
                "title": _title(text, fmt),
                "text": Markup(text) if fmt == "html" else text,
                "equations": [
                    {"key": key, "tex": tex, "ref": key in shown} for key, tex in equations
                ],
                "labels": labels,
                "row": _summary_row(part, equations, shown),
                "theorems": theorems,
            }
        )
    values = {
        "format": fmt,
        "lang": lang,
        "standalone": standalone,
        "uses_tikz": fmt == "latex" and figure > 1,
        "sections": sections,
        "verified": _verified(parts),
        "equation_labels": {k: v for s in sections for k, v in _qualified(s).items()},
        "body": f"notes/{lang}.j2",
        "uses_table": fmt == "latex",
    }
    if fmt == "html":
        from .html import frame_context

        values |= frame_context("page")
    text = environment(fmt == "html").get_template(f"{fmt}/document.j2").render(values)
    text = finish(_number_tags(text), fmt)
    return Document(text, referenced(files, text))


_GRADIENT = re.compile(r"^\\frac\{\\partial L\}\{\\partial (.+)\}$")


def _summary_row(
    part: Part, equations: Sequence[tuple[str, str]], shown: set[str]
) -> dict[str, Any] | None:
    """The section's key equations sorted for the summary table by what their left-hand side
    is: the forward pass, the gradient of the input (X or x), or of a parameter; equations with
    the same left-hand side share a cell. The primer is no layer: it has no row."""
    if part.name == PRIMER:
        return None
    cells: dict[str, dict[str, dict[str, Any]]] = {"forward": {}, "input": {}, "parameters": {}}
    for key, tex in equations:
        lhs = tex.split(" = ", 1)[0].strip()
        gradient = _GRADIENT.match(lhs)
        role = (
            "forward"
            if gradient is None
            else "input"
            if gradient.group(1).split("_")[0] in ("X", "x")
            else "parameters"
        )
        cell = cells[role].setdefault(lhs, {"lhs": lhs, "keys": []})
        if key in shown:
            cell["keys"].append(key)
    return {role: list(entries.values()) for role, entries in cells.items()} | {"torch": part.torch}


def _placeholder(name: str) -> str:
    return f"⟦{name}⟧"


def _marker(label: dict[str, str], fmt: str) -> str:
    return f"\\label{{{label['label']}}}" if fmt == "latex" else f"\\tag{{{label['tag']}}}"


def _number_tags(text: str) -> str:
    """Markdown: number the tagged equations as LaTeX's ``\\numberwithin{equation}{section}``
    does, section by section in reading order (2.1, 2.2, ...), and the references to them.

    KaTeX cannot number equations across separate blocks, so the numbers are written in: every
    placeholder (``⟦section:name:i⟧``) gets the number of its ``\\tag``."""
    numbers: dict[str, str] = {}
    counts: dict[str, int] = {}
    for match in re.finditer(r"\\tag\{(⟦([^:⟧]*):[^⟧]*⟧)\}", text):
        placeholder, section = match.group(1), match.group(2)
        if placeholder not in numbers:
            counts[section] = counts.get(section, 0) + 1
            numbers[placeholder] = f"{section}.{counts[section]}"
    numbered = re.sub(r"⟦[^⟧]*⟧", lambda m: numbers.get(m.group(0), m.group(0)), text)
    if "⟦" in numbered:
        raise SymderivError("an equation is referred to but never displayed")
    return numbered


def _qualified(section: dict[str, Any]) -> dict[str, Any]:
    """Labels under ``section:key``, so that the summary can name any section's equation."""
    return {f"{section['name']}:{key}": label for key, label in section["labels"].items()}


def _title(text: str, fmt: str) -> str:
    """The heading a section's text opens with, for the table of contents."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    if fmt == "md":
        return first.lstrip("#").strip()
    if fmt == "html":
        heading = re.fullmatch(r"<h\d>(.*)</h\d>", first.strip())
        return Markup(heading.group(1) if heading else first)
    return first


def _verified(parts: Sequence[Part]) -> bool:
    """Every identity proven, and every theorem a section states."""
    return all(p.derivation.verified for p in parts) and all(
        t["holds"] for p in parts for t in p.theorems
    )


def _json(parts: Sequence[Part]) -> str:
    data = {
        "schema": SCHEMA_VERSION,
        "notes": [part.name for part in parts],
        "sections": [p.derivation.view.json(p.derivation) for p in parts],
        "verified": _verified(parts),
        "theorems": {p.name: list(p.theorems) for p in parts if p.theorems},
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
