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
