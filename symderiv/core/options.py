"""A layer command's options as data: the families declare them, the command line builds them.

Families never import click: an ``Option`` names the flag, the parser (the same function the
Python API uses, so both accept and refuse exactly the same input), the default and the help.
``symderiv.cli.options`` turns each into a click option, and the notes copy them under a prefix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .parse import coerce_offsets, parse_axes, parse_size

Parser = Callable[[str, str], object]
"""``parse(text, option_name)``: the value, or ``SymderivError`` naming the option."""


@dataclass(frozen=True)
class Option:
    flag: str
    """``--kernel``; a boolean switch is written ``--bias/--no-bias``."""
    help: str
    keyword: str = ""
    """The keyword argument of the derive function; by default the flag's name in snake case."""
    parse: Parser | None = None
    """None: the text is passed on as it is, or read as a whole number with ``integer``."""
    metavar: str = ""
    """What --help shows for the value; by default the parser's name for it."""
    default: object = None
    show_default: bool = True
    choices: tuple[str, ...] = ()
    integer: bool = False
    minimum: int | None = None
    """An integer option's smallest value, if it has one."""
    is_flag: bool = False
    """A flag without a ``--no-`` form, False unless given."""

    @property
    def name(self) -> str:
        return self.keyword or self.flag.split("/")[0].removeprefix("--").replace("-", "_")

    @property
    def switch(self) -> bool:
        """``--bias/--no-bias``: a boolean with both forms."""
        return "/" in self.flag


AXIS_NAMES = {1: "N", 2: "HxW", 3: "DxHxW"}


def sizes(
    flag: str, axes: int, help: str, default: object = None, show_default: bool = True
) -> Option:
    """Positive sizes, one per axis (``4x5``), or a single N for every axis."""
    return Option(
        flag,
        help,
        parse=lambda text, option: parse_size(text, option, axes),
        metavar=AXIS_NAMES[axes],
        default=default,
        show_default=show_default,
    )


def axis_values(flag: str, axes: int, help: str, default: object) -> Option:
    """Integers, one per axis (``2x1``) or one for all; their ranges are the spec's to check."""
    return Option(
        flag,
        help,
        parse=lambda text, option: parse_axes(text, option, axes),
        metavar={1: "N", 2: "N or NxN", 3: "N or NxNxN"}[axes],
        default=default,
    )


def offsets(flag: str, axes: int, help: str, default: object) -> Option:
    """Non-negative integers (padding), one per axis or one for all."""
    return Option(
        flag,
        help,
        parse=lambda text, option: coerce_offsets(text, option, axes),
        metavar=AXIS_NAMES[axes],
        default=default,
    )


def count(flag: str, default: int | None, help: str, minimum: int | None = 1) -> Option:
    """A whole number, at least ``minimum``."""
    return Option(
        flag, help, default=default, integer=True, minimum=minimum, show_default=default is not None
    )


def max_terms(default: int) -> Option:
    return Option(
        "--max-terms",
        "Refuse derivations whose expanded forward pass has more terms than this.",
        default=default,
        integer=True,
        minimum=1,
    )


def worked_options() -> tuple[Option, Option]:
    """``--values`` and ``--seed`` of a layer that is derived on symbols and then worked through
    on numbers (convolution, average pooling)."""
    return (
        Option(
            "--values",
            "Add a worked example on these numbers: a JSON object by array name, such as "
            "'{\"X\": [[1, 2], [3, 4]], \"dL/dO\": [[1]]}', or the input alone as '1,2;3,4'; "
            "arrays not given are drawn from --seed.",
            metavar="JSON",
            show_default=False,
        ),
        count(
            "--seed",
            None,
            "Add a worked example on small integers drawn from this seed (random.Random): the "
            "input 0..4, the weights and the upstream gradient -2..2.",
            minimum=0,
        ),
    )
