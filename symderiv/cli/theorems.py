"""``symderiv theorems`` and ``symderiv verify theorems``: the identities proven for every
size, listed, or printed with their proofs, or checked one line each."""

from __future__ import annotations

from pathlib import Path

import click

from ..render.formats import LANGUAGES
from ..theorems import FAMILIES
from .output import write



@click.command("theorems", short_help="The identities proven for every size, with their proofs.")
@click.argument("family", required=False, type=click.Choice(FAMILIES))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("md", "latex", "json")),
    default="md",
    show_default=True,
    help="Markdown (KaTeX/MathJax math), LaTeX or JSON.",
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
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (atomically) instead of standard output.",
)
def theorems_command(
    family: str | None, fmt: str, lang: str, standalone: bool, output: Path | None
) -> None:
    """The theorems in symbolic sizes, numbered and grouped by family; with a FAMILY (conv,
    pool, linear, norm), each with its written proof."""
    from ..render.theorems import render_theorems
    from ..theorems import theorems
    from ..theorems.result import as_data

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
