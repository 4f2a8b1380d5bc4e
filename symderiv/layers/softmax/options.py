"""The options of softmax and log-softmax: torch's, by name."""

from __future__ import annotations

from ...core.options import Option, count, max_terms
from ...core.parse import coerce_shape
from .spec import DEFAULT_MAX_TERMS

OPTIONS = (
    Option(
        "--input",
        "The input's shape, e.g. 2x3 (each row normalised along --dim -1); one to six axes.",
        parse=lambda text, option: coerce_shape(text, option, 6),
        metavar="SHAPE",
        default="2x3",
    ),
    count("--dim", -1, "The axis normalised (negative counts from the end).", minimum=None),
    max_terms(DEFAULT_MAX_TERMS),
)
