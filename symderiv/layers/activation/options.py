"""The options of the activation commands: torch.nn.functional's, by name."""

from __future__ import annotations

from ...core.options import Option, count, max_terms
from ...core.parse import coerce_shape, exact_decimal
from .spec import APPROXIMATIONS, DEFAULT_MAX_TERMS


def _shape(help: str, default: object) -> Option:
    return Option(
        "--input",
        help,
        parse=lambda text, option: coerce_shape(text, option, 6),
        metavar="SHAPE",
        default=default,
        show_default=default is not None,
    )


def _number(flag: str, default: str, help: str) -> Option:
    return Option(flag, help, parse=exact_decimal, metavar="NUMBER", default=default)


VALUES = (
    _shape(
        "The input's shape, e.g. 2x3; default: the shape of --values, else the built-in "
        "example's (2x3, with a 0 and negatives).",
        None,
    ),
    Option(
        "--values",
        "The input values: ',' between entries, ';' between rows, '|' between slices, e.g. "
        "'1,-2,0;3,-1,2'. Default: the built-in example.",
        show_default=False,
    ),
    count("--seed", None, "Draw the input as integers -4..4 from this seed.", minimum=0),
)
SYMBOLS = (_shape("The input's shape, e.g. 2x3 or 1x2x2x2; one to six axes.", "2x3"),)

OPTIONS = {
    "relu": (*VALUES, max_terms(DEFAULT_MAX_TERMS)),
    "leaky-relu": (
        *VALUES,
        _number("--negative-slope", "0.01", "Slope for x <= 0 (PyTorch's negative_slope)."),
        max_terms(DEFAULT_MAX_TERMS),
    ),
    "sigmoid": (*SYMBOLS, max_terms(DEFAULT_MAX_TERMS)),
    "tanh": (*SYMBOLS, max_terms(DEFAULT_MAX_TERMS)),
    "gelu": (
        *SYMBOLS,
        Option(
            "--approximate",
            "'none' (the exact x Φ(x)) or 'tanh' (PyTorch's tanh approximation).",
            choices=APPROXIMATIONS,
            default="none",
        ),
        max_terms(DEFAULT_MAX_TERMS),
    ),
    "softplus": (
        *SYMBOLS,
        _number("--beta", "1", "softplus(x) = log(1 + exp(beta x)) / beta."),
        _number("--threshold", "20", "Above beta x > threshold PyTorch returns x itself."),
        max_terms(DEFAULT_MAX_TERMS),
    ),
}
