"""Command-line options of the normalisation layers, validated at the edge."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ...cli.options import Decorator, Parsed
from ...core.errors import SymderivError
from ...core.parse import parse_size
from . import derive as normalization
from .spec import parse_eps


def _shape(text: str, option: str) -> tuple[int, ...]:
    """One to three positive sizes: ``4``, ``2x3`` or ``2x3x4`` (a bare number is one axis)."""
    axes = len(text.split("x"))
    if axes > 3:
        raise SymderivError(f"{option}: invalid size {text!r}; at most 3 axes")
    return parse_size(text, option, axes)


SHAPE = Parsed("L|HxW|DxHxW", _shape)
EPSILON = Parsed("symbolic|NUMBER", lambda text, option: parse_eps(text))


def _count(name: str, default: int, help_: str) -> Decorator:
    return click.option(
        name, type=click.IntRange(min=1), default=default, show_default=True, help=help_
    )


BATCH = "Batch size N."
CHANNELS = "Number of channels C."
EPS = click.option(
    "--eps",
    type=EPSILON,
    default="symbolic",
    show_default=True,
    help="Epsilon added to the variance inside the square root: 'symbolic' keeps the symbol, "
    "or an exact number such as 1e-5 (torch's default); at least 0 (above 0 for batchnorm "
    "in training mode, as torch requires).",
)
MODE = click.option(
    "--mode",
    type=click.Choice(("train", "eval")),
    default="train",
    show_default=True,
    help="train: statistics of the batch (gradients through mu and sigma^2); eval: the running "
    "statistics, which are constants.",
)


def spatial(default: str | None) -> Decorator:
    return click.option(
        "--spatial",
        type=SHAPE,
        metavar="L|HxW|DxHxW",
        default=default,
        show_default=default is not None,
        help="Spatial size after N and C: L (1-D), HxW (2-D) or DxHxW (3-D)"
        + ("; none by default (input N x C)." if default is None else "."),
    )


# (name, help, options, derive): commands.py turns each into a LayerCommand.
LAYERS: tuple[tuple[str, str, tuple[Decorator, ...], Callable[..., Any]], ...] = (
    (
        "batchnorm",
        "Batch normalisation (torch.nn.functional.batch_norm) of each channel over M = N*H*W "
        "values.\n\nTraining mode derives the backward pass stage by stage through mu, sigma^2 "
        "and xhat, and proves the compact formula for dL/dx; eval mode uses the running "
        "statistics.",
        (_count("--batch", 4, BATCH), _count("--channels", 1, CHANNELS), spatial(None), MODE, EPS),
        normalization.batchnorm,
    ),
    (
        "layernorm",
        "Layer normalisation (torch.nn.functional.layer_norm) of each sample over its trailing "
        "normalized_shape axes.\n\nDerives the staged backward pass and proves the compact "
        "formula, with one gamma and beta per normalised position.",
        (
            _count("--batch", 2, BATCH),
            click.option(
                "--normalized-shape",
                "normalized_shape",
                type=SHAPE,
                metavar="D|D1xD2",
                default="4",
                show_default=True,
                help="The trailing axes normalised together: D or "
                "D1xD2; the input is N x normalized_shape.",
            ),
            EPS,
        ),
        normalization.layernorm,
    ),
    (
        "groupnorm",
        "Group normalisation (torch.nn.functional.group_norm) of each sample's groups of C/G "
        "channels over M = (C/G)*H*W values.\n\nDerives the staged backward pass and proves the "
        "compact formula.",
        (
            _count("--batch", 1, BATCH),
            _count("--channels", 4, CHANNELS),
            _count("--groups", 2, "Number of groups G; must divide C."),
            spatial("2"),
            EPS,
        ),
        normalization.groupnorm,
    ),
    (
        "instancenorm",
        "Instance normalisation (torch.nn.functional.instance_norm) of each channel of each "
        "sample over M = H*W values.\n\nDerives the staged backward pass and proves the compact "
        "formula; eval mode uses running statistics (track_running_stats=True).",
        (_count("--batch", 1, BATCH), _count("--channels", 1, CHANNELS), spatial("2x2"), MODE, EPS),
        normalization.instancenorm,
    ),
)
