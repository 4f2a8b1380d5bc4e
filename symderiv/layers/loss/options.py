"""The options of ``symderiv cross-entropy``: torch.nn.functional.cross_entropy's, by name."""

from __future__ import annotations

from ...core.options import Option, count, max_terms
from .spec import DEFAULT_MAX_TERMS, REDUCTIONS

OPTIONS = (
    count("--batch", None, "Samples N; default: one per --target entry (2 for the default)."),
    count("--classes", 3, "Classes C: the logits are N x C."),
    Option(
        "--target",
        "Class indices, 0-based as in torch, one per sample, e.g. 2,0 (the default).",
        show_default=False,
    ),
    Option(
        "--target-probabilities",
        "Class probabilities instead: ',' between classes, ';' between samples, e.g. "
        "'0.2,0.3,0.5;1,0,0'.",
        show_default=False,
    ),
    Option("--reduction", "How the per-sample losses combine.", choices=REDUCTIONS, default="mean"),
    Option(
        "--label-smoothing",
        "Mix the target with the uniform distribution by this much.",
        default="0",
    ),
    Option("--weight", "Class weights, e.g. 1,2,1 (torch's weight).", show_default=False),
    max_terms(DEFAULT_MAX_TERMS),
)
