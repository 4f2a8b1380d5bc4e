"""The options of ``symderiv flatten``: torch.flatten's, by name."""

from __future__ import annotations

from ...core.options import Option, count, max_terms
from ...core.parse import coerce_shape
from .spec import DEFAULT_MAX_TERMS

OPTIONS = (
    Option(
        "--input",
        "The input's shape, e.g. 1x2x2x2 (N x C x H x W) or 2x3x4; one to six axes.",
        parse=lambda text, option: coerce_shape(text, option, 6),
        metavar="SHAPE",
        default="1x2x2x2",
    ),
    count("--start-dim", 0, "First axis merged (negative counts from the end).", minimum=None),
    count("--end-dim", -1, "Last axis merged (negative counts from the end).", minimum=None),
    max_terms(DEFAULT_MAX_TERMS),
)
