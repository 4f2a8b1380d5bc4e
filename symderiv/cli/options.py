"""Click options from the families' ``Option`` records, and the output options every command has.

Values are read by the same parsers the Python API uses, so the command line and the API accept
and refuse exactly the same input; ``Parsed`` turns their ``SymderivError`` into click's
one-line usage error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..core.errors import SymderivError
from ..core.options import Option, Parser
from ..render.formats import FORMATS, LANGUAGES


class Parsed(click.ParamType):  # type: ignore[type-arg]
    """A value read by one of symderiv's parsers: ``parse(text, option_name)``."""

    def __init__(self, name: str, parse: Parser) -> None:
        self.name = name
        self.parse = parse

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value  # already parsed: a default given as a tuple, or a Python caller's value
        option = param.opts[0] if param is not None else self.name
        try:
            return self.parse(value, option)
        except SymderivError as error:
            self.fail(str(error).removeprefix(f"{option}: "), param, ctx)


def click_option(option: Option, prefix: str = "") -> click.Option:
    """The click option for ``option``; with ``prefix`` (a notes section) ``--kernel`` becomes
    ``--PREFIX-kernel`` and the keyword ``PREFIX__kernel``."""

    def flag(text: str) -> str:
        return f"--{prefix}-{text.removeprefix('--')}" if prefix else text

    declarations = [flag(f) for f in option.flag.split("/")]
    keyword = f"{prefix.replace('-', '_')}__{option.name}" if prefix else option.name
    spelled = "/".join(declarations)
    kind: Any = None
    if option.parse is not None:
        kind = Parsed(option.metavar, option.parse)
    elif option.choices:
        kind = click.Choice(option.choices)
    elif option.integer:
        kind = int if option.minimum is None else click.IntRange(min=option.minimum)
    return click.Option(
        [spelled, keyword],
        type=kind,
        default=option.default,
        show_default=option.show_default and not option.is_flag,
        is_flag=True if option.is_flag else None,
        help=option.help,
    )


def output_options() -> list[click.Parameter]:
    return [
        click.Option(
            ["--format", "fmt"],
            type=click.Choice(FORMATS),
            default="md",
            show_default=True,
            help="Output format: Markdown (KaTeX/MathJax math), LaTeX, JSON, or HTML (one "
            "self-contained page that works offline, with an element explorer).",
        ),
        click.Option(
            ["--lang"],
            type=click.Choice(LANGUAGES),
            default="en",
            show_default=True,
            help="Language of headings and prose (the math is the same).",
        ),
        click.Option(
            ["--standalone"],
            is_flag=True,
            help="LaTeX only: a complete document (pdflatex for en, xelatex for zh) "
            "instead of a fragment.",
        ),
        output_file("Write to this file (atomically) instead of standard output."),
    ]


def output_file(help: str) -> click.Option:
    """``-o FILE``: written all or nothing (``output.write``)."""
    return click.Option(
        ["-o", "--output"], type=click.Path(dir_okay=False, path_type=Path), help=help
    )
