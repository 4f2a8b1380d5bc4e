"""Output: standard output, one file, or a set of files, written all or nothing.

Every file is first written to a temporary file in its own target's directory (so the rename
that puts it in place never crosses a filesystem), then all of them are renamed into place; an
existing file is moved aside first and put back if a later step fails, so a failed or
interrupted run (SIGINT, SIGTERM) leaves every target as it was and no temporary behind.

A symlink is written through to its target; a FIFO or a character device (``/dev/null``) is
written directly, since renaming onto it would replace the node itself; a directory is refused.
A new file gets the mode a plain ``open()`` gives under the umask; a replaced one keeps its own.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..core.errors import SymderivError
from ..core.parse import shown

if TYPE_CHECKING:
    from ..render.documents import Document


def _short(path: str) -> str:
    """A path for a one-line message: long ones keep their start and their length."""
    return shown(path, limit=120)


def check_destination(output: Path | None, output_dir: Path | None) -> None:
    if output is not None and output_dir is not None:
        raise click.UsageError("give either -o/--output or --output-dir, not both")


def to_standard_output(text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as error:
        # Nothing more can reach standard output; keep the interpreter's final flush quiet.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
        raise SymderivError(f"cannot write to standard output: {error.strerror}") from None


def write(text: str, output: Path | None) -> None:
    """Standard output, or one file written all or nothing."""
    if output is None:
        to_standard_output(text)
        return
    _parent_must_exist(output)
    commit({output: text}, named=str(output))


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
        to_standard_output(document.text)
        return
    if output is not None:
        _parent_must_exist(output)
        directory = output.parent
        files = {output: document.text}
    else:
        assert output_dir is not None
        directory = output_dir
        files = {output_dir / name: document.text}
    files.update({directory / file_name: text for file_name, text in document.files})
    commit(files, named=str(output or output_dir), directory=output_dir)


def _parent_must_exist(output: Path) -> None:
    directory = output.parent if str(output.parent) else Path(".")
    if not _is_dir(directory, str(output)):
        raise SymderivError(
            f"cannot write {_short(str(output))}: directory {_short(str(directory))} does not exist"
        )


def _is_dir(path: Path, named: str) -> bool:
    try:
        return path.is_dir()
    except OSError as error:  # a name too long, say
        raise SymderivError(f"cannot write {_short(named)}: {error.strerror}") from None


@dataclass
class _Target:
    path: Path
    """Where the text finally goes, symlinks resolved."""
    text: str
    direct: bool = False
    """A FIFO or device: written in place, never renamed onto."""
    temporary: Path | None = None
    backup: Path | None = None
    placed: bool = False


def commit(files: Mapping[Path, str], named: str, directory: Path | None = None) -> None:
    """Write every file or none. ``directory`` (``--output-dir``) is created when missing, with
    its missing parents, and removed again if the run fails."""
    created: list[Path] = []
    targets: list[_Target] = []
    try:
        if directory is not None:
            created = _make_directories(directory)
        targets = [_target(path, text) for path, text in files.items()]
        for target in targets:
            if not target.direct:
                target.temporary = _temporary(target.path.parent, target.path.name)
                with open(target.temporary, "w", encoding="utf-8", newline="\n") as stream:
                    stream.write(target.text)
                mode = _existing_mode(target.path)
                if mode is not None:
                    os.chmod(target.temporary, mode)
        for target in targets:
            if target.direct:
                continue
            if target.path.exists():
                target.backup = _temporary(target.path.parent, target.path.name, reserve=False)
                os.replace(target.path, target.backup)
            assert target.temporary is not None
            os.replace(target.temporary, target.path)
            target.temporary, target.placed = None, True
        for target in targets:
            if target.direct:
                with open(target.path, "w", encoding="utf-8", newline="\n") as stream:
                    stream.write(target.text)
    except BaseException as error:
        _roll_back(targets, created)
        if isinstance(error, OSError):
            raise SymderivError(f"cannot write {_short(named)}: {error.strerror}") from None
        if isinstance(error, UnicodeError):
            raise SymderivError(f"cannot write {_short(named)}: the name is not text") from None
        raise
    for target in targets:
        if target.backup is not None:
            with contextlib.suppress(OSError):
                os.unlink(target.backup)


def _target(path: Path, text: str) -> _Target:
    resolved = Path(os.path.realpath(path))
    try:
        info = os.stat(resolved)
    except FileNotFoundError:
        return _Target(resolved, text)
    if stat.S_ISDIR(info.st_mode):
        raise SymderivError(f"cannot write {_short(str(path))}: it is a directory")
    return _Target(resolved, text, direct=not stat.S_ISREG(info.st_mode))


def _existing_mode(path: Path) -> int | None:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return None


def _temporary(directory: Path, name: str, reserve: bool = True) -> Path:
    """A new hidden name beside the target; created (empty, under the umask) when reserved."""
    handle, path = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    os.close(handle)
    os.chmod(path, 0o666 & ~_umask())
    if not reserve:
        os.unlink(path)
    return Path(path)


def _roll_back(targets: list[_Target], created: list[Path]) -> None:
    for target in reversed(targets):
        with contextlib.suppress(OSError):
            if target.placed:
                if target.backup is not None:
                    os.replace(target.backup, target.path)
                else:
                    os.unlink(target.path)
            elif target.backup is not None and target.backup.exists():
                os.replace(target.backup, target.path)
            if target.temporary is not None:
                os.unlink(target.temporary)
    for path in reversed(created):
        with contextlib.suppress(OSError):
            path.rmdir()


def _make_directories(directory: Path) -> list[Path]:
    """Create ``directory`` and its missing parents; return them, outermost first."""
    named = str(directory)
    if directory.exists() and not directory.is_dir():
        raise SymderivError(f"cannot create output directory {_short(named)}: a file has that name")
    missing: list[Path] = []
    path = directory.absolute()
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    created: list[Path] = []
    try:
        for path in reversed(missing):
            path.mkdir()
            created.append(path)
    except OSError as error:
        for made in reversed(created):
            with contextlib.suppress(OSError):
                made.rmdir()
        raise SymderivError(
            f"cannot create output directory {_short(named)}: {error.strerror}"
        ) from None
    return created


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
