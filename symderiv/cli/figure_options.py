"""The command-line options for figures and output directories, shared by every layer and the
notes, and their checks (made before any derivation, so bad input fails fast)."""

from __future__ import annotations

from pathlib import Path

import click

from .output import check_destination


def figure_options() -> list[click.Parameter]:
    return [
        click.Option(
            ["--figures"],
            is_flag=True,
            help="Add the figures: TikZ in LaTeX, SVG inside an HTML page; in Markdown, SVG "
            "files written beside the document (give -o or --output-dir).",
        ),
        click.Option(
            ["--output-dir"],
            type=click.Path(file_okay=False, path_type=Path),
            help="Write the document and its figures into this directory (created if missing): "
            "all files or none.",
        ),
    ]


def check_figures(fmt: str, figures: bool, output: Path | None, output_dir: Path | None) -> None:
    if figures and fmt == "json":
        raise click.BadParameter(
            "only applies to --format md, latex or html", param_hint="--figures"
        )
    check_destination(output, output_dir)
    if figures and fmt == "md" and output is None and output_dir is None:
        raise click.BadParameter(
            "Markdown figures are SVG files written beside the document: give -o FILE or "
            "--output-dir DIR",
            param_hint="--figures",
        )
