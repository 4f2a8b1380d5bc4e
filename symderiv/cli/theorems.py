"""``symderiv theorems`` and ``symderiv verify theorems``: the identities proven for every
size, listed, or printed with their proofs, or checked one line each."""

from __future__ import annotations

from pathlib import Path

import click

from ..core.errors import SymderivError
from ..render.formats import LANGUAGES
from ..theorems import FAMILIES
from .output import write

LAYERS = ("conv1d", "conv2d", "conv3d")
"""The layers a claim can be about; alone, each lists the convolution's theorems."""


@click.command("theorems", short_help="The identities proven for every size, with their proofs.")
@click.argument("family", required=False, type=click.Choice((*FAMILIES, *LAYERS)))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("md", "latex", "json", "html")),
    default="md",
    show_default=True,
    help="Markdown (KaTeX/MathJax math), LaTeX, JSON, or one HTML page that works offline.",
)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default="en",
    show_default=True,
    help="Language of headings and prose (the math is the same).",
)
@click.option(
    "--standalone", is_flag=True, help="LaTeX only: a complete document instead of a fragment."
)
@click.option(
    "--claim",
    metavar="CLAIM",
    help="Your own claim for every size, for conv1d/conv2d/conv3d, in the grammar of symderiv "
    "check with the sizes H, W, D, k, s, p, d, g and mod: 'dL/dX = conv_transpose2d(dL/dO, W, "
    "stride=s, padding=p, output_padding=(H + 2*p - d*(k - 1) - 1) mod s, dilation=d)'. A "
    "setting the claim never names keeps PyTorch's default. PROVEN with the proof (exit 0), "
    "or NOT PROVEN with a counterexample (exit 1); 2 for a malformed claim.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (atomically) instead of standard output.",
)
def theorems_command(
    family: str | None,
    fmt: str,
    lang: str,
    standalone: bool,
    claim: str | None,
    output: Path | None,
) -> None:
    """The theorems in symbolic sizes, numbered and grouped by family; with a FAMILY (conv,
    pool, linear, norm), each with its written proof."""
    from ..render.theorems import render_claim, render_theorems
    from ..theorems import theorems
    from ..theorems.result import as_data

    if claim is not None:
        from ..theorems.claim import judge_claim

        if fmt not in ("md", "json"):  # refused before any work is done
            raise SymderivError(f"theorems --claim: a claim's verdict is md or json, not {fmt}")
        verdict = judge_claim(family or "", claim)
        write(render_claim(verdict.as_data(), fmt, lang), output)
        if not verdict.proven:
            raise SystemExit(1)
        return
    family = "conv" if family in LAYERS else family
    items = [as_data(number, t, family is not None) for number, t in theorems(family)]
    write(render_theorems(items, fmt, lang, standalone), output)


@click.command("theorems")
def verify_theorems_command() -> None:
    """Prove every theorem again: one line each; exit 0 when all hold, 1 otherwise."""
    from ..theorems import theorems

    numbered = theorems()
    for number, t in numbered:
        dims = f", {'-'.join(map(str, (t.dims[0], t.dims[-1])))}-D" if t.dims else ""
        verdict = "PROVEN" if t.holds else "NOT PROVEN"
        click.echo(f"Theorem {number} ({t.key}{dims}): {verdict}, {t.checks} exact comparisons")
    if not all(t.holds for _, t in numbered):
        raise SystemExit(1)
