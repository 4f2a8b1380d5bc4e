"""The command line: one command and one ``verify`` per registered layer, and the notes.

Each command parses its options, derives, renders and writes; the work is the families' and
the renderer's. Every failure is one line on standard error and exit code 2.
"""

from __future__ import annotations

import sys

import click

from ..core.errors import SymderivError
from ..layers import FAMILIES
from .commands import layer_command, verify_command
from .notes import notes_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="symderiv")
def cli() -> None:
    """Derive, prove and typeset the backward pass of a neural-network layer."""


@cli.group("verify")
def verify_group() -> None:
    """Re-derive a layer and check every identity; exit 0 when all hold, 1 otherwise."""


for _command in FAMILIES.commands():
    cli.add_command(layer_command(_command))
    verify_group.add_command(verify_command(_command))
cli.add_command(notes_command(FAMILIES))


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
