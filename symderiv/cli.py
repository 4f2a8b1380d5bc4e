"""The command line: parse options, build a spec, run the pipeline, write the result."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .convolution import DEFAULT_MAX_TERMS, Conv2dSpec, derive
from .derivation import Derivation
from .errors import SymderivError
from .render import FORMATS, LANGUAGES
from .sizes import parse_size


class Size(click.ParamType):  # type: ignore[type-arg]
    """HxW, or a single N for a square."""

    name = "HxW"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        option = param.opts[0] if param is not None else "size"
        try:
            return parse_size(str(value), option)
        except SymderivError as error:
            self.fail(str(error).removeprefix(f"{option}: "), param, ctx)


def conv2d_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--input",
            "input_size",
            type=Size(),
            default="3x3",
            show_default=True,
            help="Input size HxW (a single N means NxN).",
        ),
        click.option(
            "--kernel",
            "kernel_size",
            type=Size(),
            default="2x2",
            show_default=True,
            help="Kernel size KHxKW (a single N means NxN); at most the input size.",
        ),
        click.option(
            "--max-terms",
            type=click.IntRange(min=1),
            default=DEFAULT_MAX_TERMS,
            show_default=True,
            help="Refuse derivations with more product terms than this (about 10 s "
            "of work at the default).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def conv2d_spec(
    input_size: tuple[int, ...], kernel_size: tuple[int, ...], max_terms: int
) -> Conv2dSpec:
    return Conv2dSpec(input_size, kernel_size, max_terms)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="symderiv")
def cli() -> None:
    """Derive, prove and typeset the backward pass of a neural-network layer."""


@cli.command("conv2d")
@conv2d_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="md",
    show_default=True,
    help="Output format: Markdown (KaTeX/MathJax math), LaTeX or JSON.",
)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default="en",
    show_default=True,
    help="Language of headings and prose (the math is the same).",
)
@click.option(
    "--standalone",
    is_flag=True,
    help="LaTeX only: a complete document (pdflatex for en, xelatex for zh) instead of a fragment.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (atomically) instead of standard output.",
)
def conv2d_command(
    input_size: tuple[int, ...],
    kernel_size: tuple[int, ...],
    max_terms: int,
    fmt: str,
    lang: str,
    standalone: bool,
    output: Path | None,
) -> None:
    """2-D convolution (cross-correlation, as torch.nn.functional.conv2d), stride 1, no padding.

    Derives dL/dF and dL/dX for one input X and one kernel F, finds and proves the compact
    identities, and prints the whole derivation.
    """
    if standalone and fmt != "latex":
        raise click.BadParameter("only applies to --format latex", param_hint="--standalone")
    derivation = derive(conv2d_spec(input_size, kernel_size, max_terms))
    text = {
        "md": lambda: derivation.to_markdown(lang),
        "latex": lambda: derivation.to_latex(lang, standalone),
        "json": derivation.to_json,
    }[fmt]()
    write(text, output)


@cli.group("verify")
def verify_group() -> None:
    """Re-derive a layer and check every identity; exit 0 when all hold, 1 otherwise."""


@verify_group.command("conv2d")
@conv2d_options
def verify_conv2d(
    input_size: tuple[int, ...], kernel_size: tuple[int, ...], max_terms: int
) -> None:
    """Verify the conv2d identities for the given sizes."""
    report(derive(conv2d_spec(input_size, kernel_size, max_terms)))


def report(derivation: Derivation) -> None:
    for detection in derivation.detections:
        if not detection.found:
            click.echo(f"NO MATCH  {detection.target}: none of {detection.tried} candidates")
    for identity in derivation.identities:
        status = "PROVEN" if identity.proof.holds else "FAILED"
        click.echo(f"{status:8}  {identity.statement}  [{identity.proof.elements} elements, exact]")
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
