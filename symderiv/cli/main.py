"""The command line: one command and one ``verify`` per registered layer, and the notes.

Each command parses its options, derives, renders and writes; the work is the families' and
the renderer's. Every failure is one line on standard error and exit code 2.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading

import click

from ..core.errors import SymderivError
from ..layers import FAMILIES
from ..networks import COMMAND as NETWORK
from .commands import layer_command, verify_command
from .notes import notes_command
from .theorems import theorems_command, verify_theorems_command
from .tools import check_command, code_command, testgen_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="symderiv")
def cli() -> None:
    """Derive, prove and typeset the backward pass of a neural-network layer."""


@cli.group(
    "verify", invoke_without_command=True, short_help="Re-derive a layer and check its identities"
)
@click.pass_context
def verify_group(context: click.Context) -> None:
    """Re-derive a layer and check every identity; exit 0 when all hold, 1 otherwise."""
    if context.invoked_subcommand is None:
        # A script that forgot the layer must not pass: name the layers, exit 2.
        raise click.UsageError(f"verify needs a layer: one of {FAMILIES.names()}")


@cli.group(
    "check", invoke_without_command=True, short_help="Check your own formula against a layer's"
)
@click.pass_context
def check_group(context: click.Context) -> None:
    """Check a claim about a layer's backward pass (--claim "dL/dX = ...") against its exact
    derivation; exit 0 when every claim holds, 1 when one is refuted, 2 when one is malformed."""
    if context.invoked_subcommand is None:
        raise click.UsageError(f"check needs a layer: one of {FAMILIES.names()}")


@cli.group("code", invoke_without_command=True, short_help="Write a layer's backward function")
@click.pass_context
def code_group(context: click.Context) -> None:
    """Write a self-contained backward function (PyTorch, NumPy, JAX or plain loops) from the
    identities a layer's derivation proved; covered today: conv1d-3d and their transposes,
    linear, flatten, max, average and global average pooling, normalisation (training and eval),
    the activations, softmax, log-softmax and cross-entropy (JAX: the convolutions)."""
    if context.invoked_subcommand is None:
        raise click.UsageError(f"code needs a layer: one of {FAMILIES.names()}")


@cli.group("testgen", invoke_without_command=True, short_help="Write exact tests for a kernel")
@click.pass_context
def testgen_group(context: click.Context) -> None:
    """Write a pytest file of exact cases for your own backward function; covered today:
    the convolutions and their transposes, pooling, linear, the activations, softmax and
    normalisation in training mode."""
    if context.invoked_subcommand is None:
        raise click.UsageError(f"testgen needs a layer: one of {FAMILIES.names()}")


for _command in FAMILIES.commands():
    cli.add_command(layer_command(_command))
    code_group.add_command(code_command(_command))
    testgen_group.add_command(testgen_command(_command))
    verify_group.add_command(verify_command(_command))
    check_group.add_command(check_command(_command))
cli.add_command(notes_command(FAMILIES))
# The network chains layer commands; it is a command of its own, not a layer of the notes.
cli.add_command(layer_command(NETWORK))
verify_group.add_command(verify_command(NETWORK))
cli.add_command(theorems_command)
verify_group.add_command(verify_theorems_command)


class Stopped(Exception):
    """SIGINT or SIGTERM, raised where the program is so that every writer cleans up on the
    way out (not KeyboardInterrupt, which click would report with a line of its own)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    raise Stopped(signum)


def one_line(message: str) -> str:
    """Control characters (a newline in a stray argument) shown escaped: one line, always."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)


def main(argv: list[str] | None = None) -> int:
    """Entry point: every failure is one line on standard error and exit code 2; an
    interruption is one line and 130 (SIGINT) or 143 (SIGTERM), with nothing left behind."""
    # Signal handlers can only be set from the main thread; elsewhere the defaults stay.
    in_main = threading.current_thread() is threading.main_thread()
    signals = (signal.SIGINT, signal.SIGTERM) if in_main else ()
    previous = {s: signal.signal(s, _stop) for s in signals}
    try:
        result = cli.main(args=argv, prog_name="symderiv", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as help_:
        click.echo(help_.format_message())
        return 0
    except click.ClickException as error:
        return fail(error.format_message())
    except SymderivError as error:
        return fail(str(error))
    except (KeyboardInterrupt, click.exceptions.Abort):
        return fail("interrupted", 130)
    except Stopped as stop:
        interrupted = stop.signum == signal.SIGINT
        return fail("interrupted" if interrupted else "terminated", 128 + stop.signum)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return result if isinstance(result, int) else 0


def fail(message: str, code: int = 2) -> int:
    # If standard error is gone too, the exit code still says it.
    with contextlib.suppress(OSError):
        click.echo(f"symderiv: error: {one_line(message)}", err=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
