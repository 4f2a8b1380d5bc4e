"""The options of ``symderiv linear``: torch.nn.functional.linear's sizes, by name."""

from __future__ import annotations

from ...core.options import Option, count, max_terms
from .spec import DEFAULT_MAX_TERMS, leading_axes

OPTIONS = (
    Option(
        "--batch",
        "The input's leading axes: N, or NxT for a batch of sequences (every axis before the "
        "features).",
        parse=leading_axes,
        metavar="N|NxT",
        default="2",
    ),
    count("--in-features", 3, "Input features I: the input is (N, I), the weight (O, I)."),
    count("--out-features", 2, "Output features O: the output is (N, O)."),
    Option("--bias/--no-bias", "Add a bias b of shape (O,) and derive dL/db.", default=True),
    max_terms(DEFAULT_MAX_TERMS),
)
