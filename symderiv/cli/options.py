"""Building blocks for the layers' command-line options.

Every value is parsed by the same functions the Python API uses (``sizes``, ``conv_spec``, …), so
the command line and the API accept and refuse exactly the same input; ``Parsed`` turns their
``SymderivError`` into click's one-line usage error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ..core.errors import SymderivError
from ..core.parse import parse_size
from ..layers.conv.spec import parse_axes

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

AXIS_NAMES = {1: "N", 2: "HxW", 3: "DxHxW"}


class Parsed(click.ParamType):  # type: ignore[type-arg]
    """A value read by one of symderiv's parsers: ``parse(text, option_name)``."""

    def __init__(self, name: str, parse: Callable[[str, str], Any]) -> None:
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


def size(axes: int = 2) -> Parsed:
    """Positive sizes, one per axis (``4x5``), or a single N for every axis."""
    return Parsed(AXIS_NAMES[axes], lambda text, option: parse_size(text, option, axes))


def axis_values(axes: int) -> Parsed:
    """Integers, one per axis (``2x1``) or one for all; their ranges are the spec's to check."""
    name = {1: "N", 2: "N or NxN", 3: "N or NxNxN"}[axes]
    return Parsed(name, lambda text, option: parse_axes(text, option, axes))


def max_terms_option(default: int) -> Decorator:
    return click.option(
        "--max-terms",
        type=click.IntRange(min=1),
        default=default,
        show_default=True,
        help="Refuse derivations whose expanded forward pass has more terms than this.",
    )
