"""Documents with figures: the text plus the SVG files that go beside it, written all or nothing.

In LaTeX a figure is TikZ inside the text; in Markdown it is an SVG file next to the ``.md``,
referenced by a relative path. Several files are written into a temporary directory beside the
target and then moved into place, so a failed run leaves nothing half-written.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..core.errors import SymderivError
from ..layers.chain_rule import figures as primer_figures
from ..layers.conv import figures as conv_figures
from ..layers.pool import figures as pool_figures
from . import svg, tikz
from .engine import render
from .figures import Figure, GraphFigure, plain_text

if TYPE_CHECKING:
    from ..core.protocol import LayerDerivation

AnyFigure = Figure | GraphFigure

FIGURE_BUILDERS: dict[str, Callable[[Any], Mapping[str, AnyFigure]]] = {
    "chain-rule": primer_figures.build,
    "conv2d": conv_figures.build,
    "maxpool2d": pool_figures.build,
}
"""Keyed by ``Derivation.layer``, like ``render.VIEWS``; a layer without an entry has no figures."""


EXTENSIONS = {"md": "md", "latex": "tex", "json": "json"}


@dataclass(frozen=True)
class Document:
    text: str
    files: tuple[tuple[str, str], ...] = ()
    """(file name, content) of the files that go beside the text: the SVG figures."""


def figures_of(derivation: LayerDerivation) -> Mapping[str, AnyFigure]:
    builder = FIGURE_BUILDERS.get(derivation.layer)
    return builder(derivation) if builder is not None else {}


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
        else:
            entry["path"] = f"{prefix}-{figure.name}.svg"
            files.append((entry["path"], svg.draw(figure)))
        context[key] = entry
    return context, files


def _alt(figure: AnyFigure) -> str:
    if isinstance(figure, GraphFigure):
        return ", ".join(plain_text(n.label) for n in figure.nodes)
    return ", ".join(plain_text(p.title) for p in figure.panels)


def render_layer(
    derivation: LayerDerivation, fmt: str, lang: str, standalone: bool, figures: bool, stem: str
) -> Document:
    """One layer on its own; with ``figures`` its figures join the text (none in JSON)."""
    if not figures or fmt == "json":
        return Document(render(derivation, fmt, lang, standalone))
    placed, files = place(figures_of(derivation), fmt, stem)
    extra = {"figures": placed, "uses_tikz": fmt == "latex" and bool(placed)}
    text = render(derivation, fmt, lang, standalone, extra)
    return Document(text, referenced(files, text))


def referenced(files: list[tuple[str, str]], text: str) -> tuple[tuple[str, str], ...]:
    """Only the figure files the text links to: a template may show fewer figures than its
    layer has (the general convolution template shows the windows only)."""
    return tuple((name, content) for name, content in files if f"]({name})" in text)


def check_destination(output: Path | None, output_dir: Path | None) -> None:
    if output is not None and output_dir is not None:
        raise click.UsageError("give either -o/--output or --output-dir, not both")


def write_document(
    document: Document, output: Path | None, output_dir: Path | None, name: str
) -> None:
    """Standard output, ``-o FILE`` (its directory must exist) or ``--output-dir DIR``
    (created when missing) receiving ``name``; the figures go beside the text."""
    check_destination(output, output_dir)
    if output is None and output_dir is None:
        if document.files:
            raise SymderivError(
                "Markdown figures are SVG files written beside the document: "
                "give -o FILE or --output-dir DIR"
            )
        click.echo(document.text, nl=False)
        return
    files = {name if output is None else output.name: document.text, **dict(document.files)}
    if output is not None:
        directory = output.parent if str(output.parent) else Path(".")
        if not directory.is_dir():
            raise SymderivError(
                f"cannot write {str(output)!r}: directory {str(directory)!r} does not exist"
            )
        write_all(directory, files)
    else:
        assert output_dir is not None
        write_all(output_dir, files)


def write_all(directory: Path, files: Mapping[str, str]) -> None:
    """Write every file or none: into a temporary directory beside ``directory``, then moved in
    (the whole directory when it is new, file by file with atomic renames when it exists)."""
    shown = str(directory)
    if directory.exists() and not directory.is_dir():
        raise SymderivError(f"cannot create output directory {shown!r}: a file has that name")
    new = not directory.is_dir()
    created = _make_parents(directory)
    temporary: Path | None = None
    try:
        temporary = Path(
            tempfile.mkdtemp(dir=directory.absolute().parent, prefix=f".{directory.name}.")
        )
        for file_name, text in files.items():
            with open(temporary / file_name, "w", encoding="utf-8", newline="\n") as stream:
                stream.write(text)
        if not new:
            for file_name in files:
                os.replace(temporary / file_name, directory / file_name)
            temporary.rmdir()
        else:
            os.chmod(temporary, 0o777 & ~_umask())
            os.rename(temporary, directory)
    except OSError as error:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
        for parent in reversed(created):
            _remove_quietly(parent)
        what = "create output directory" if new else "write into"
        raise SymderivError(f"cannot {what} {shown!r}: {error.strerror}") from None


def _make_parents(directory: Path) -> list[Path]:
    """Create the missing parents of ``directory`` (not itself); return them, outermost first."""
    missing: list[Path] = []
    parent = directory.absolute().parent
    while not parent.exists() and parent != parent.parent:
        missing.append(parent)
        parent = parent.parent
    created: list[Path] = []
    for path in reversed(missing):
        try:
            path.mkdir()
        except OSError as error:
            for made in reversed(created):
                _remove_quietly(made)
            raise SymderivError(
                f"cannot create output directory {str(directory)!r}: {error.strerror}"
            ) from None
        created.append(path)
    return created


def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.rmdir()


def _umask() -> int:
    """mkdtemp makes a private directory; a new output directory gets the usual permissions."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
