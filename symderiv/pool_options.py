"""Command-line options of the pooling layers, named and defaulted as in torch.nn.functional."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from .errors import SymderivError
from .pooling import DEFAULT_MAX_TERMS, coerce_offsets
from .sizes import parse_size

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

_EXAMPLE = {1: "3", 2: "3x3", 3: "2x3x3"}


class AxisValues(click.ParamType):  # type: ignore[type-arg]
    """One integer per spatial axis (``2x3``), or a single integer for every axis."""

    def __init__(self, axes: int, allow_zero: bool = False) -> None:
        self.axes = axes
        self.allow_zero = allow_zero
        self.name = {1: "N", 2: "HxW", 3: "DxHxW"}[axes]

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        option = param.opts[0] if param is not None else "size"
        try:
            if self.allow_zero:
                return coerce_offsets(str(value), option, self.axes)
            return parse_size(str(value), option, self.axes)
        except SymderivError as error:
            self.fail(str(error).removeprefix(f"{option}: "), param, ctx)


def geometry_options(axes: int, dilation: bool) -> tuple[Decorator, ...]:
    options = [
        click.option(
            "--kernel",
            type=AxisValues(axes),
            default="2",
            show_default=True,
            help=f"Window size (kernel_size), e.g. {_EXAMPLE[axes]}; a single N for every axis.",
        ),
        click.option(
            "--stride",
            type=AxisValues(axes),
            default=None,
            help="Step between windows; default: the kernel size, as in PyTorch.",
        ),
        click.option(
            "--padding",
            type=AxisValues(axes, allow_zero=True),
            default="0",
            show_default=True,
            help="Implicit padding on both sides; at most half the kernel (PyTorch's rule).",
        ),
    ]
    if dilation:
        options.append(
            click.option(
                "--dilation",
                type=AxisValues(axes),
                default="1",
                show_default=True,
                help="Spacing between the cells of a window.",
            )
        )
    options.append(
        click.option(
            "--ceil-mode",
            is_flag=True,
            help="Round the output size up: a last, shorter window covers the remainder.",
        )
    )
    return tuple(options)


def max_pool_options(axes: int) -> tuple[Decorator, ...]:
    return (
        click.option(
            "--input",
            "input",
            type=AxisValues(axes),
            default=None,
            help="Input size; default: the shape of --values, else the built-in example's.",
        ),
        *geometry_options(axes, dilation=True),
        click.option(
            "--values",
            default=None,
            help="The input values: ',' between entries, ';' between rows"
            + (", '|' between depth slices" if axes == 3 else "")
            + (
                ", e.g. '1,3,2,4'"
                if axes == 1
                else ", e.g. '1,3;2,4'"
                if axes == 2
                else ", e.g. '1,3;2,4|5,6;7,8'"
            )
            + ". Default: a built-in example with a tie.",
        ),
        click.option(
            "--seed",
            type=click.IntRange(min=0),
            default=None,
            help="Draw the input as integers 0..9 from this seed (with --input for the size).",
        ),
    )


def avg_pool_options(axes: int) -> tuple[Decorator, ...]:
    return (
        click.option(
            "--input",
            "input",
            type=AxisValues(axes),
            default={1: "8", 2: "4x4", 3: "2x4x4"}[axes],
            show_default=True,
            help="Input size (a single N for every axis).",
        ),
        *geometry_options(axes, dilation=False),
        click.option(
            "--count-include-pad/--no-count-include-pad",
            default=True,
            show_default=True,
            help="Divide by the whole window, padding included (PyTorch's default), or by the "
            "number of real cells in it.",
        ),
        max_terms_option(),
    )


def global_avg_pool_options() -> tuple[Decorator, ...]:
    return (
        click.option(
            "--input",
            "input",
            type=AxisValues(2),
            default="4x4",
            show_default=True,
            help="Input size HxW (a single N means NxN); the output is 1x1.",
        ),
        max_terms_option(),
    )


def max_terms_option() -> Decorator:
    return click.option(
        "--max-terms",
        type=click.IntRange(min=1),
        default=DEFAULT_MAX_TERMS,
        show_default=True,
        help="Refuse derivations with more terms than this.",
    )
