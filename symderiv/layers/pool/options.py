"""Command-line options of the pooling layers, named and defaulted as in torch.nn.functional."""

from __future__ import annotations

import click

from ...cli.options import AXIS_NAMES, Decorator, Parsed, max_terms_option, size
from .derive import DEFAULT_MAX_TERMS, coerce_offsets

_EXAMPLE = {1: "3", 2: "3x3", 3: "2x3x3"}


def offsets(axes: int) -> Parsed:
    """Non-negative integers (padding), one per axis or one for all."""
    return Parsed(AXIS_NAMES[axes], lambda text, option: coerce_offsets(text, option, axes))


def geometry_options(axes: int, dilation: bool) -> tuple[Decorator, ...]:
    options = [
        click.option(
            "--kernel",
            type=size(axes),
            default="2",
            show_default=True,
            help=f"Window size (kernel_size), e.g. {_EXAMPLE[axes]}; a single N for every axis.",
        ),
        click.option(
            "--stride",
            type=size(axes),
            default=None,
            help="Step between windows; default: the kernel size, as in PyTorch.",
        ),
        click.option(
            "--padding",
            type=offsets(axes),
            default="0",
            show_default=True,
            help="Implicit padding on both sides; at most half the kernel (PyTorch's rule).",
        ),
    ]
    if dilation:
        options.append(
            click.option(
                "--dilation",
                type=size(axes),
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
            type=size(axes),
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
            type=size(axes),
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
        max_terms_option(DEFAULT_MAX_TERMS),
    )


def global_avg_pool_options() -> tuple[Decorator, ...]:
    return (
        click.option(
            "--input",
            "input",
            type=size(2),
            default="4x4",
            show_default=True,
            help="Input size HxW (a single N means NxN); the output is 1x1.",
        ),
        max_terms_option(DEFAULT_MAX_TERMS),
    )
