"""Command-line options of the normalisation layers, validated at the edge."""

from __future__ import annotations

from ...core.errors import SymderivError
from ...core.options import Option, count, max_terms
from ...core.parse import parse_size
from .spec import DEFAULT_MAX_WORK, parse_eps


def _shape(text: str, option: str) -> tuple[int, ...]:
    """One to three positive sizes: ``4``, ``2x3`` or ``2x3x4`` (a bare number is one axis)."""
    axes = len(text.split("x"))
    if axes > 3:
        raise SymderivError(f"{option}: invalid size {text!r}; at most 3 axes")
    return parse_size(text, option, axes)


BATCH = "Batch size N."
CHANNELS = "Number of channels C."
EPS = Option(
    "--eps",
    "Epsilon added to the variance inside the square root: 'symbolic' keeps the symbol, "
    "or an exact number such as 1e-5 (torch's default); at least 0 (above 0 for batchnorm "
    "in training mode, as torch requires).",
    parse=lambda text, option: parse_eps(text),
    metavar="symbolic|NUMBER",
    default="symbolic",
)
MODE = Option(
    "--mode",
    "train: statistics of the batch (gradients through mu and sigma^2); eval: the running "
    "statistics, which are constants.",
    choices=("train", "eval"),
    default="train",
)


def spatial(default: str | None) -> Option:
    return Option(
        "--spatial",
        "Spatial size after N and C: L (1-D), HxW (2-D) or DxHxW (3-D)"
        + ("; none by default (input N x C)." if default is None else "."),
        parse=_shape,
        metavar="L|HxW|DxHxW",
        default=default,
        show_default=default is not None,
    )


NORMALIZED_SHAPE = Option(
    "--normalized-shape",
    "The trailing axes normalised together: D or D1xD2; the input is N x normalized_shape.",
    parse=_shape,
    metavar="D|D1xD2",
    default="4",
)

WORK = max_terms(DEFAULT_MAX_WORK)
BATCHNORM = (
    count("--batch", 4, BATCH),
    count("--channels", 1, CHANNELS),
    spatial(None),
    MODE,
    EPS,
    WORK,
)
LAYERNORM = (count("--batch", 2, BATCH), NORMALIZED_SHAPE, EPS, WORK)
GROUPNORM = (
    count("--batch", 1, BATCH),
    count("--channels", 4, CHANNELS),
    count("--groups", 2, "Number of groups G; must divide C."),
    spatial("2"),
    EPS,
    WORK,
)
INSTANCENORM = (
    count("--batch", 1, BATCH),
    count("--channels", 1, CHANNELS),
    spatial("2x2"),
    MODE,
    EPS,
    WORK,
)
