"""Command-line options of the pooling layers, named and defaulted as in torch.nn.functional."""

from __future__ import annotations

from ...core.options import Option, count, max_terms, offsets, sizes, worked_options
from .windows import DEFAULT_MAX_TERMS

_EXAMPLE = {1: "3", 2: "3x3", 3: "2x3x3"}


def geometry_options(axes: int, dilation: bool) -> tuple[Option, ...]:
    made = [
        sizes(
            "--kernel",
            axes,
            f"Window size (kernel_size), e.g. {_EXAMPLE[axes]}; a single N for every axis.",
            default="2",
        ),
        sizes(
            "--stride",
            axes,
            "Step between windows; default: the kernel size, as in PyTorch.",
            show_default=False,
        ),
        offsets(
            "--padding",
            axes,
            "Implicit padding on both sides; at most half the kernel (PyTorch's rule).",
            "0",
        ),
    ]
    if dilation:
        made.append(
            sizes("--dilation", axes, "Spacing between the cells of a window.", default="1")
        )
    made.append(
        Option(
            "--ceil-mode",
            "Round the output size up: a last, shorter window covers the remainder.",
            is_flag=True,
            default=False,
        )
    )
    return tuple(made)


def max_pool_options(axes: int) -> tuple[Option, ...]:
    example = {1: "'1,3,2,4'", 2: "'1,3;2,4'", 3: "'1,3;2,4|5,6;7,8'"}[axes]
    return (
        sizes(
            "--input",
            axes,
            "Input size; default: the shape of --values, else the built-in example's.",
            show_default=False,
        ),
        *geometry_options(axes, dilation=True),
        Option(
            "--values",
            "The input values: ',' between entries, ';' between rows"
            + (", '|' between depth slices" if axes == 3 else "")
            + f", e.g. {example}. Default: a built-in example with a tie.",
            show_default=False,
        ),
        count(
            "--seed",
            None,
            "Draw the input as integers 0..9 from this seed (with --input for the size).",
            minimum=0,
        ),
        max_terms(DEFAULT_MAX_TERMS),
    )


def avg_pool_options(axes: int) -> tuple[Option, ...]:
    return (
        sizes(
            "--input",
            axes,
            "Input size (a single N for every axis).",
            default={1: "8", 2: "4x4", 3: "2x4x4"}[axes],
        ),
        *geometry_options(axes, dilation=False),
        Option(
            "--count-include-pad/--no-count-include-pad",
            "Divide by the whole window, padding included (PyTorch's default), or by the number "
            "of real cells in it.",
            default=True,
        ),
        *worked_options(),
        max_terms(DEFAULT_MAX_TERMS),
    )


def global_avg_pool_options() -> tuple[Option, ...]:
    return (
        sizes(
            "--input",
            2,
            "Input size HxW (a single N means NxN); the output is 1x1.",
            default="4x4",
        ),
        max_terms(DEFAULT_MAX_TERMS),
    )
