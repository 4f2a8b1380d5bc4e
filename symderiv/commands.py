"""The layers the command line offers: for each, its options and how they become a derivation.

Each entry gives ``symderiv NAME`` and ``symderiv verify NAME`` with the same options. Options are
validated at the edge (click types raise one-line errors); the derivation functions validate the
combinations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from . import convolution
from .derivation import Derivation
from .errors import SymderivError
from .sizes import parse_size

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


class Size(click.ParamType):  # type: ignore[type-arg]
    """HxW (or N, or DxHxW, by the number of axes), or a single N for every axis."""

    def __init__(self, axes: int = 2) -> None:
        self.axes = axes
        self.name = {1: "N", 2: "HxW", 3: "DxHxW"}[axes]

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        option = param.opts[0] if param is not None else "size"
        try:
            return parse_size(str(value), option, self.axes)
        except SymderivError as error:
            self.fail(str(error).removeprefix(f"{option}: "), param, ctx)


@dataclass(frozen=True)
class LayerCommand:
    name: str
    help: str
    options: tuple[Decorator, ...]
    derive: Callable[..., Derivation]
    """Called with the parsed options as keyword arguments."""


def max_terms_option(default: int) -> Decorator:
    return click.option(
        "--max-terms",
        type=click.IntRange(min=1),
        default=default,
        show_default=True,
        help="Refuse derivations with more product terms than this (about 10 s of work at the "
        "default).",
    )


CONV2D = LayerCommand(
    name="conv2d",
    help="2-D convolution (cross-correlation, as torch.nn.functional.conv2d), stride 1, no "
    "padding.\n\nDerives dL/dF and dL/dX for one input X and one kernel F, finds and proves the "
    "compact identities, and prints the whole derivation.",
    options=(
        click.option(
            "--input",
            "input",
            type=Size(),
            default="3x3",
            show_default=True,
            help="Input size HxW (a single N means NxN).",
        ),
        click.option(
            "--kernel",
            type=Size(),
            default="2x2",
            show_default=True,
            help="Kernel size KHxKW (a single N means NxN); at most the input size.",
        ),
        max_terms_option(convolution.DEFAULT_MAX_TERMS),
    ),
    derive=convolution.conv2d,
)

LAYER_COMMANDS: tuple[LayerCommand, ...] = (CONV2D,)
