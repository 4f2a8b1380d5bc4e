"""The layers the command line offers: for each, its options and how they become a derivation.

Each entry gives ``symderiv NAME`` and ``symderiv verify NAME`` with the same options. Options are
validated at the edge (click types raise one-line errors); the derivation functions validate the
combinations.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import click

from ..core.protocol import LayerDerivation
from ..layers.chain_rule import derive as primer
from ..layers.conv import derive as convolution
from ..layers.norm.options import LAYERS as NORM_LAYERS
from ..layers.pool import derive as pooling
from ..layers.pool import options as pool_options
from .options import Decorator, axis_values, max_terms_option, size


@dataclass(frozen=True)
class LayerCommand:
    name: str
    help: str
    options: tuple[Decorator, ...]
    derive: Callable[..., LayerDerivation]
    """Called with the parsed options as keyword arguments."""


def conv_options(dims: int, transposed: bool) -> tuple[Decorator, ...]:
    """The options of torch.nn.functional.conv{1,2,3}d / conv_transpose{1,2,3}d, same names."""
    pattern = {1: "L", 2: "HxW", 3: "DxHxW"}[dims]
    input_default = "x".join(("2" if transposed else "3") for _ in range(dims))
    per_axis = f"one integer, or one per spatial axis such as {'x'.join('2' * dims)}"
    options: list[Decorator] = [
        click.option(
            "--input",
            "input",
            type=size(dims),
            default=input_default,
            show_default=True,
            help=f"Spatial input size {pattern} (a single N means N on every axis).",
        ),
        click.option(
            "--kernel",
            type=size(dims),
            default="x".join("2" for _ in range(dims)),
            show_default=True,
            help=f"Kernel size {pattern} (a single N means N on every axis).",
        ),
        click.option(
            "--stride",
            type=axis_values(dims),
            default="1",
            show_default=True,
            help=f"Stride: {per_axis}.",
        ),
        click.option(
            "--padding",
            type=axis_values(dims),
            default="0",
            show_default=True,
            help=f"Zero padding on both sides: {per_axis}.",
        ),
        click.option(
            "--dilation",
            type=axis_values(dims),
            default="1",
            show_default=True,
            help=f"Spacing between kernel elements: {per_axis}.",
        ),
    ]
    if transposed:
        options.append(
            click.option(
                "--output-padding",
                type=axis_values(dims),
                default="0",
                show_default=True,
                help=f"Extra output size on one side: {per_axis}; smaller than the "
                "stride or the dilation.",
            )
        )
    options += [
        click.option(
            "--groups",
            type=int,
            default=1,
            show_default=True,
            help="Blocked connections: both channel counts must be multiples of it.",
        ),
        click.option(
            "--in-channels",
            type=int,
            default=None,
            help="Input channels C_in (asking for channels switches to PyTorch's "
            "(N, C, ...) layout and calls the weight W).",
        ),
        click.option(
            "--out-channels",
            type=int,
            default=None,
            help="Output channels C_out (PyTorch's layout, as --in-channels).",
        ),
        click.option(
            "--batch",
            type=int,
            default=None,
            help="Batch size N (PyTorch's layout, as --in-channels).",
        ),
        click.option(
            "--bias/--no-bias",
            default=False,
            show_default=True,
            help="Add a bias b of shape (C_out,) and derive dL/db.",
        ),
        click.option(
            "--all-equations",
            is_flag=True,
            help="Print every element equation in Markdown and LaTeX, however many "
            "(by default large derivations show a representative selection; JSON always "
            "holds all).",
        ),
        max_terms_option(convolution.DEFAULT_MAX_TERMS),
    ]
    return tuple(options)


def _conv_help(dims: int, transposed: bool) -> str:
    function = f"conv_transpose{dims}d" if transposed else f"conv{dims}d"
    kind = "transposed convolution" if transposed else "convolution (cross-correlation)"
    default = (
        " With no option it is the classic single-channel example: stride 1, no padding."
        if dims == 2 and not transposed
        else ""
    )
    return (
        f"{dims}-D {kind}, as torch.nn.functional.{function}.{default}\n\nDerives the gradients "
        "of the input, the weight and the bias element by element, finds and proves the compact "
        "identities (strides, padding, dilation, channels, groups), and prints the derivation."
    )


CONV_COMMANDS: tuple[LayerCommand, ...] = tuple(
    LayerCommand(
        name=f"conv-transpose{dims}d" if transposed else f"conv{dims}d",
        help=_conv_help(dims, transposed),
        options=conv_options(dims, transposed),
        derive=functools.partial(convolution.command, dims, transposed),
    )
    for transposed in (False, True)
    for dims in (1, 2, 3)
)
CONV2D = CONV_COMMANDS[1]

LAYER_COMMANDS: tuple[LayerCommand, ...] = CONV_COMMANDS


# Pooling: no parameters to learn; max pooling is worked on concrete values, average symbolically.
_MAX_POOL = {1: pooling.maxpool1d, 2: pooling.maxpool2d, 3: pooling.maxpool3d}
_AVG_POOL = {1: pooling.avgpool1d, 2: pooling.avgpool2d, 3: pooling.avgpool3d}
POOL_COMMANDS: tuple[LayerCommand, ...] = (
    *(
        LayerCommand(
            name=f"maxpool{n}d",
            help=f"{n}-D max pooling (torch.nn.functional.max_pool{n}d) on concrete values.\n\n"
            "States the routing rule, works it on the values given (--values or --seed): every "
            "window and its maximum, ties, the switch mask, and dL/dX in the dL/dO symbols.",
            options=pool_options.max_pool_options(n),
            derive=derive,
        )
        for n, derive in _MAX_POOL.items()
    ),
    *(
        LayerCommand(
            name=f"avgpool{n}d",
            help=f"{n}-D average pooling (torch.nn.functional.avg_pool{n}d), symbolically.\n\n"
            "Derives dL/dX with PyTorch's divisors and finds and proves its compact form.",
            options=pool_options.avg_pool_options(n),
            derive=derive,
        )
        for n, derive in _AVG_POOL.items()
    ),
    LayerCommand(
        name="global-avgpool",
        help="Global 2-D average pooling (adaptive_avg_pool2d to 1x1), symbolically.",
        options=pool_options.global_avg_pool_options(),
        derive=pooling.global_avgpool,
    ),
)
LAYER_COMMANDS += POOL_COMMANDS


# The chain-rule primer: no options; the course notes open with it.
CHAIN_RULE = LayerCommand(
    name="chain-rule",
    help="The chain rule on its own: one path (a composition) and two paths, each derived and "
    "checked by SymPy on concrete functions, and the gate view that the layers rely on.",
    options=(),
    derive=primer.chain_rule,
)
LAYER_COMMANDS += (CHAIN_RULE,)


# Normalisation: the staged chain rule through mu, sigma^2 and xhat, and the compact formula.
NORM_COMMANDS: tuple[LayerCommand, ...] = tuple(
    LayerCommand(name=name, help=help_, options=options, derive=derive)
    for name, help_, options, derive in NORM_LAYERS
)
LAYER_COMMANDS += NORM_COMMANDS
