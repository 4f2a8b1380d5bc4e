"""Output: standard output, one file, or a set of files written all or nothing.

One file is written to a temporary file beside it and renamed into place; several files go into
a temporary directory beside the target and are then moved in, so a failed run leaves nothing
half-written.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import click

from ..core.errors import SymderivError
from ..render.documents import Document


def write(text: str, output: Path | None) -> None:
    """Write to standard output, or atomically to a file: a temporary file beside it, renamed."""
    if output is None:
        click.echo(text, nl=False)
        return
    directory = output.parent if str(output.parent) else Path(".")
    if not directory.is_dir():
        raise SymderivError(
            f"cannot write {str(output)!r}: directory {str(directory)!r} does not exist"
        )
    try:
        handle, temporary = tempfile.mkstemp(
            dir=directory, prefix=f".{output.name}.", suffix=".tmp"
        )
    except OSError as error:
        raise SymderivError(f"cannot write {str(output)!r}: {error.strerror}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, output)
    except OSError as error:
        os.unlink(temporary)
        raise SymderivError(f"cannot write {str(output)!r}: {error.strerror}") from None


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
