"""The command line: parse options, build a spec, run the pipeline, write the result."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from ..core.errors import SymderivError
from ..core.protocol import LayerDerivation
from ..render.documents import EXTENSIONS, render_layer, write_document
from ..render.engine import FORMATS, LANGUAGES
from . import figure_options as documents_cli
from . import notes as notes_command
from .commands import LAYER_COMMANDS, LayerCommand
from .options import Decorator


def output_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--format",
            "fmt",
            type=click.Choice(FORMATS),
            default="md",
            show_default=True,
            help="Output format: Markdown (KaTeX/MathJax math), LaTeX or JSON.",
        ),
        click.option(
            "--lang",
            type=click.Choice(LANGUAGES),
            default="en",
            show_default=True,
            help="Language of headings and prose (the math is the same).",
        ),
        click.option(
            "--standalone",
            is_flag=True,
            help="LaTeX only: a complete document (pdflatex for en, xelatex for zh) "
            "instead of a fragment.",
        ),
        click.option(
            "-o",
            "--output",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Write to this file (atomically) instead of standard output.",
        ),
    ]
    return _apply(options, command)


def _apply(options: Sequence[Decorator], command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(options):
        command = option(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="symderiv")
def cli() -> None:
    """Derive, prove and typeset the backward pass of a neural-network layer."""


@cli.group("verify")
def verify_group() -> None:
    """Re-derive a layer and check every identity; exit 0 when all hold, 1 otherwise."""


def figure_options(command: Callable[..., Any]) -> Callable[..., Any]:
    return _apply(documents_cli.FIGURE_OPTIONS, command)


def add_layer(layer: LayerCommand) -> None:
    def derive_and_write(
        fmt: str,
        lang: str,
        standalone: bool,
        output: Path | None,
        figures: bool,
        output_dir: Path | None,
        **options: Any,
    ) -> None:
        if standalone and fmt != "latex":
            raise click.BadParameter("only applies to --format latex", param_hint="--standalone")
        documents_cli.check(fmt, figures, output, output_dir)
        derivation = layer.derive(**options)
        if figures or output_dir is not None:
            stem = output.stem if output is not None else layer.name
            document = render_layer(derivation, fmt, lang, standalone, figures, stem)
            write_document(document, output, output_dir, f"{layer.name}.{EXTENSIONS[fmt]}")
            return
        if fmt == "md":
            text = derivation.to_markdown(lang)
        elif fmt == "latex":
            text = derivation.to_latex(lang, standalone)
        else:
            text = derivation.to_json()
        write(text, output)

    def derive_and_report(**options: Any) -> None:
        report(layer.derive(**options))

    cli.command(layer.name, help=layer.help)(
        _apply(layer.options, output_options(figure_options(derive_and_write)))
    )
    verify_group.command(
        layer.name, help=f"Verify every {layer.name} identity for the given options."
    )(_apply(layer.options, derive_and_report))


for _layer in LAYER_COMMANDS:
    add_layer(_layer)
cli.add_command(notes_command.build(output_options))


def report(derivation: LayerDerivation) -> None:
    for detection in derivation.detections:
        if not detection.found:
            click.echo(f"NO MATCH  {detection.target}: none of {detection.tried} candidates")
    for identity in derivation.identities:
        status = "PROVEN" if identity.proof.holds else "FAILED"
        count = identity.proof.elements
        noun = "element" if count == 1 else "elements"
        click.echo(f"{status:8}  {identity.statement}  [{count} {noun}, exact]")
    if not derivation.verified:
        raise SystemExit(1)


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


def main(argv: list[str] | None = None) -> int:
    """Entry point: every failure is one line on standard error and exit code 2."""
    try:
        result = cli.main(args=argv, prog_name="symderiv", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as help_:
        click.echo(help_.format_message())
        return 0
    except click.ClickException as error:
        click.echo(f"symderiv: error: {error.format_message()}", err=True)
        return 2
    except SymderivError as error:
        click.echo(f"symderiv: error: {error}", err=True)
        return 2
    except click.exceptions.Abort:
        click.echo("symderiv: aborted", err=True)
        return 1
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
