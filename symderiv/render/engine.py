"""Rendering: the Jinja environments, the templates for Markdown, LaTeX and HTML, and JSON.

The renderer is handed a derivation and uses the view it carries; it never imports a family.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from ..core.errors import SymderivError
from ..core.perf import without_cycle_collection
from ..core.protocol import LayerDerivation
from .formats import FORMATS, FRAMES, LANGUAGES


def templates_dir() -> Path:
    """Inside an installed wheel the templates sit in the package; in a checkout, beside it."""
    packaged = Path(str(resources.files("symderiv") / "templates"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


_SETTINGS = {
    "undefined": jinja2.StrictUndefined,
    "trim_blocks": True,
    "lstrip_blocks": True,
    "keep_trailing_newline": True,
}


@functools.cache
def environment(html: bool = False) -> jinja2.Environment:
    """One environment for the text formats, and one for HTML that escapes every value it is
    given (a user's claim, a tensor's name), so that no string becomes markup. Jinja keeps
    each environment's compiled templates, and the bytecode cache keeps them between runs."""
    return make_environment(html, _bytecode_cache(html))


def make_environment(html: bool, cache: jinja2.BytecodeCache | None) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=html,
        bytecode_cache=cache,
        **_SETTINGS,  # type: ignore[arg-type]
    )


class _QuietBytecodeCache(jinja2.FileSystemBytecodeCache):
    """A cache that cannot be read or written is no cache: the templates are compiled.

    Jinja keys an entry by the template's name and path alone, but the code compiled from one
    template differs between environments (HTML's escapes every value): ``flavor`` names the
    environment, so that each reads only what it compiled."""

    def __init__(self, directory: str | None = None, flavor: str = "text") -> None:
        super().__init__(directory)
        self.flavor = flavor

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return super().get_cache_key(f"{self.flavor}:{name}", filename)

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError):
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _bytecode_cache(html: bool, directory: str | None = None) -> jinja2.BytecodeCache | None:
    """Compiling the templates is a fifth of a short command's time. Jinja's own per-user
    directory under the system's temporary directory (mode 0700, ownership checked) keeps
    them; each entry is keyed by the environment's settings and the template's path, and
    checked against the template's source; a cache that cannot be made is left out."""
    settings = sorted((k, getattr(v, "__name__", v)) for k, v in _SETTINGS.items())
    flavor = hashlib.sha1(repr((html, settings)).encode()).hexdigest()[:12]
    try:
        return _QuietBytecodeCache(directory, flavor=flavor)
    except (OSError, RuntimeError):
        return None


@without_cycle_collection
def render(
    derivation: LayerDerivation,
    fmt: str,
    lang: str = "en",
    standalone: bool = False,
    extra: dict[str, Any] | None = None,
    frame: str = "page",
) -> str:
    """``extra`` adds to the template context: figures, the settings of a notes section, or
    the verdicts of claims (``claims``, which JSON lists too). ``frame`` is HTML's: a whole
    page, or a fragment with or without its assets (``formats.FRAMES``)."""
    if fmt not in FORMATS:
        raise SymderivError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if frame not in FRAMES:
        raise SymderivError(f"unknown frame {frame!r}; choose one of {', '.join(FRAMES)}")
    if lang not in LANGUAGES:
        raise SymderivError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    view = derivation.view
    if fmt == "json":
        data = view.json(derivation)
        if extra and extra.get("claims"):
            data = {**data, "claims": extra["claims"]}
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    values = {
        **view.context(derivation),
        "format": fmt,
        "lang": lang,
        "standalone": standalone,
        "body": f"{view.templates}/{lang}.j2",
        **(extra or {}),
    }
    if fmt == "html":
        from . import html

        values |= html.frame_context(frame, f"{derivation.layer} · symderiv")
        values["explorer"] = html.explorer(view.touches(derivation))
    text = environment(fmt == "html").get_template(f"{fmt}/document.j2").render(values)
    return finish(text, fmt)


def finish(text: str, fmt: str) -> str:
    """The last touch of every text document: blank-line runs collapsed; in HTML the runs of
    prose between block elements made paragraphs."""
    text = _tidy(text)
    if fmt == "html":
        from . import html

        text = html.finish(text)
    return text


def _tidy(text: str) -> str:
    """Collapse the runs of blank lines that template control flow leaves behind."""
    lines: list[str] = []
    for line in text.rstrip().split("\n"):
        line = line.rstrip()
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines) + "\n"


class Renders:
    """The output methods every family's derivation offers; mypy checks through ``self``'s
    annotation that the class using it satisfies ``LayerDerivation``."""

    def to_markdown(self: LayerDerivation, lang: str = "en") -> str:
        return render(self, "md", lang)

    def to_latex(self: LayerDerivation, lang: str = "en", standalone: bool = False) -> str:
        return render(self, "latex", lang, standalone)

    def to_json(self: LayerDerivation) -> str:
        return render(self, "json")

    def to_html(self: LayerDerivation, lang: str = "en", frame: str = "page") -> str:
        """A self-contained page; ``frame="fragment"`` for a host page (with its assets) and
        ``"bare"`` for a host that loads KaTeX, the stylesheet and the script itself."""
        return render(self, "html", lang, frame=frame)

    # Jupyter picks the richest of these it can show: the HTML fragment in a notebook, the
    # LaTeX when nbconvert writes a PDF, the Markdown elsewhere.
    def _repr_html_(self: LayerDerivation) -> str:
        return render(self, "html", frame="fragment")

    def _repr_latex_(self: LayerDerivation) -> str:
        return render(self, "latex")

    def _repr_markdown_(self: LayerDerivation) -> str:
        return render(self, "md")

    def __repr__(self: LayerDerivation) -> str:
        """One line: the layer, its shapes, how many identities hold (the data is the
        object's fields; ``to_json()`` shows everything)."""
        proven = sum(1 for i in self.identities if i.proof.holds)
        shapes = f" ({self.tensor_shapes})" if self.tensor_shapes else ""
        verdict = "verified" if self.verified else "NOT verified"
        return (
            f"<{type(self).__name__} {self.layer}{shapes}: "
            f"{proven} of {len(self.identities)} identities proven, {verdict}>"
        )
