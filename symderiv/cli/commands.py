"""``symderiv NAME`` and ``symderiv verify NAME`` for every command of every registered family."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..core.family import Command
from ..render.formats import EXTENSIONS
from .figure_options import check_figures, figure_options
from .options import click_option, output_options
from .output import write, write_document

if TYPE_CHECKING:
    from ..core.protocol import LayerDerivation


def layer_command(command: Command) -> click.Command:
    def derive_and_write(
        fmt: str,
        lang: str,
        standalone: bool,
        output: Path | None,
        figures: bool,
        output_dir: Path | None,
        claim: tuple[str, ...] = (),
        **options: Any,
    ) -> None:
        if standalone and fmt != "latex":
            raise click.BadParameter("only applies to --format latex", param_hint="--standalone")
        check_figures(fmt, figures, output, output_dir)
        # The renderer loads Jinja: only once there is something to render.
        from ..render.documents import render_layer
        from ..render.engine import render

        if claim:
            from ..checks.syntax import parse_claim

            for text in claim:  # a malformed claim is refused before any derivation is done
                parse_claim(text)
        derivation = command.derive(**options)
        extra = _claims(derivation, claim)
        if figures or output_dir is not None:
            stem = output.stem if output is not None else command.name
            document = render_layer(derivation, fmt, lang, standalone, figures, stem, extra)
            write_document(document, output, output_dir, f"{command.name}.{EXTENSIONS[fmt]}")
            return
        write(render(derivation, fmt, lang, standalone, extra), output)

    params = [click_option(o) for o in command.options] + output_options() + figure_options()
    params.append(
        click.Option(
            ["--claim"],
            multiple=True,
            help="Check a claim of your own and show its verdict in the document (see symderiv "
            "check); repeat for several.",
        )
    )
    return click.Command(
        command.name,
        callback=derive_and_write,
        params=params,
        help=command.help,
        short_help=command.short_help or None,
    )


def _claims(derivation: LayerDerivation, claims: tuple[str, ...]) -> dict[str, Any]:
    """The verdicts for the document's template context (and its JSON), if any were asked."""
    if not claims:
        return {}
    from ..checks import check, claims_context

    return {"claims": claims_context([check(derivation, text) for text in claims])}


def verify_command(command: Command) -> click.Command:
    def derive_and_report(**options: Any) -> None:
        report(command.derive(**options))

    return click.Command(
        command.name,
        callback=derive_and_report,
        params=[click_option(o) for o in command.options],
        help=f"Verify every {command.name} identity for the given options.",
    )


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
        params=[claim, *(click_option(o) for o in command.options)],
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
                metavar="pytorch|numpy|loops",
                help="PyTorch calls, NumPy's textbook steps (insert zeros, pad, flip, "
                "correlate, crop), or plain Python loops over the element equations.",
            ),
            click.Option(
                ["-o", "--output"],
                type=click.Path(path_type=Path, dir_okay=False),
                help="Write the module to this file, all or nothing.",
            ),
            *(click_option(o) for o in command.options),
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
            click.Option(
                ["-o", "--output"],
                type=click.Path(path_type=Path, dir_okay=False),
                help="Write the test file here, all or nothing.",
            ),
            *(click_option(o) for o in command.options),
        ],
        help=f"Write a pytest file of exact cases for your own {command.name} backward "
        "function: small integer inputs and the exact gradients the derivation gives for them.",
    )


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
