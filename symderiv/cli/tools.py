"""``symderiv check``, ``code`` and ``testgen`` for every command of the registered families:
a reader's claim judged against the derivation, a backward function written from its proven
identities, and exact tests for someone's own implementation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..core.family import Command
from .options import click_option, output_file
from .output import write


def check_command(command: Command) -> click.Command:
    def derive_and_check(claim: tuple[str, ...], **options: Any) -> None:
        from ..checks import check
        from ..checks.syntax import parse_claim

        if not claim:
            raise click.UsageError('give at least one --claim "dL/dX = ..."')
        for text in claim:  # a malformed claim is refused before any derivation is done
            parse_claim(text)
        derivation = command.derive(**options)
        verdicts = [check(derivation, text) for text in claim]
        for verdict in verdicts:
            click.echo(verdict.line())
        if not all(v.holds for v in verdicts):
            raise SystemExit(1)

    claim = click.Option(
        ["--claim"],
        multiple=True,
        help="A statement to check, in PyTorch's vocabulary: 'dL/dX = conv_transpose2d(dL/dO, "
        "W, stride=2, padding=1, output_padding=1)', 'dL/dX = conv2d(pad(dL/dO, 1), "
        "rot180(F))', or one element, 'dL/dX[2,2] = dL/dO[1,1]*F[2,2] + ...' (1-based). "
        "Repeat for several.",
    )
    return click.Command(
        command.name,
        callback=derive_and_check,
        params=[claim, *_layer_options(command, ("--claim",))],
        help=f"Check claims about {command.name}'s backward pass against its derivation, exactly: "
        "PROVEN, or REFUTED with the first differing element and the mistake when it is a classic "
        "one. Exit 0 when every claim holds, 1 when one is refuted, 2 for a malformed claim.",
    )


def code_command(command: Command) -> click.Command:
    def derive_and_generate(target: str, output: Path | None, **options: Any) -> None:
        from ..codegen import TARGETS, generate

        if target not in TARGETS:  # refused before any derivation is done
            raise click.BadParameter(
                f"unknown target {target!r}; choose one of {', '.join(TARGETS)}",
                param_hint="--target",
            )
        write(generate(command.derive(**options), target), output)

    return click.Command(
        command.name,
        callback=derive_and_generate,
        params=[
            click.Option(
                ["--target"],
                required=True,
                metavar="pytorch|numpy|jax|loops",
                help="PyTorch calls, NumPy's textbook steps (insert zeros, pad, flip, "
                "correlate, crop), JAX's lax.conv_general_dilated (convolution only), or plain "
                "Python loops over the element equations. Every target is tested against torch "
                "autograd.",
            ),
            output_file("Write the module to this file, all or nothing."),
            *_layer_options(command, ("--target", "--cases", "--impl", "--claim", "--output")),
        ],
        help=f"Write a self-contained backward(grad_output, *inputs, **settings) for "
        f"{command.name}, from the identities its derivation proved.",
    )


def testgen_command(command: Command) -> click.Command:
    def generate_tests(cases: str, impl: str | None, output: Path | None, **options: Any) -> None:
        from ..codegen import testgen
        from ..codegen.cases import check_impl

        check_impl(impl)  # refused before any derivation is done
        # The layer's --seed numbers the cases' inputs; their values are the file's to choose.
        seed = options.pop("seed", None)
        if options.pop("values", None) is not None:
            raise click.BadParameter(
                "testgen draws its own inputs; use --seed", param_hint="--values"
            )
        write(testgen(command.derive, options, cases, impl, 1 if seed is None else seed), output)

    return click.Command(
        command.name,
        callback=generate_tests,
        params=[
            click.Option(
                ["--cases"],
                type=click.Choice(["given", "corners"]),
                default="given",
                show_default=True,
                help="The configuration given, or the corners that break real kernels: stride "
                "above 1 with and without a remainder, padding, dilation with stride, stride "
                "above dilation, groups, depthwise, bias.",
            ),
            click.Option(
                ["--impl"],
                metavar="MODULE:FUNCTION",
                help="The function to test, with symderiv code's calling convention on torch "
                "tensors; by default torch's autograd, so that the file runs as generated.",
            ),
            output_file("Write the test file here, all or nothing."),
            *_layer_options(command, ("--target", "--cases", "--impl", "--claim", "--output")),
        ],
        help=f"Write a pytest file of exact cases for your own {command.name} backward "
        "function: small integer inputs and the exact gradients the derivation gives for them.",
    )


def _layer_options(command: Command, own: tuple[str, ...]) -> list[click.Option]:
    """The layer's options, but for one that a tool's option of the same name takes over
    (cross-entropy's --target against code's): that layer keeps its default there."""
    return [click_option(o) for o in command.options if o.flag.split("/")[0] not in own]
