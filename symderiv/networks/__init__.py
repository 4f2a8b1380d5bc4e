"""A whole network worked by hand: ``symderiv network --layers "conv2d(...); relu; ...;
cross-entropy(...)"``.

It sits above the layer families and uses their derivations: each stage is the layer command of
its name (``kinds``: how each behaves in a chain, in ``dense``, ``spatial`` and ``loss``), derived
at the stage's sizes. Stages: ``syntax`` (the --layers language), ``options`` (a stage's options
read by its command's own parsers), ``stage`` (the stage record, and the element-by-element
chain rule over a layer's local gradients), ``derive`` (forward, both backward passes, their
comparison, an SGD step), ``result``, ``view`` (render context and JSON). Imports: ``layers``,
``render`` and ``core``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.family import Command
from ..core.options import Option, count
from ..core.parse import coerce_shape, exact_decimal
from .defaults import DEFAULT_LAYERS, DEFAULT_SEED

if TYPE_CHECKING:
    from ..core.protocol import LayerDerivation


def _derive(**chosen: object) -> LayerDerivation:
    from .derive import network  # SymPy loads with the first derivation, not with --help

    return network(**chosen)  # type: ignore[arg-type]


OPTIONS = (
    Option(
        "--layers",
        "The chain, layer commands separated by ';', each with its options as keywords, e.g. "
        '"conv2d(out_channels=2, kernel=2); relu; maxpool2d(kernel=2); flatten; '
        'linear(out_features=3); cross-entropy(target=2)" (the default).',
        metavar="CHAIN",
        default=DEFAULT_LAYERS,
        show_default=False,
    ),
    Option(
        "--input",
        "The input's shape in PyTorch's layout, N x C x H x W (or N x C x L, N x C x D x H x W).",
        parse=lambda text, option: coerce_shape(text, option, 5),
        metavar="SHAPE",
        default="1x1x5x5",
    ),
    count(
        "--seed",
        DEFAULT_SEED,
        "Draw the input (integers 0..3) and parameters (-1..1) from this seed; the default is "
        "one where ReLU cuts and the logits stay small.",
        minimum=0,
    ),
    Option(
        "--values",
        'Numbers instead of drawn ones, as JSON: {"input": [...], "1.W": [...]} (layer '
        "number, parameter name); the rest is drawn from the seed.",
        metavar="JSON",
        show_default=False,
    ),
    Option(
        "--mode",
        "numbers (exact values from --seed or --values) or symbols (every input and parameter a "
        "symbol: the expressions at each stage, for tiny networks without ReLU or max pooling).",
        choices=("numbers", "symbols"),
        default="numbers",
    ),
    Option(
        "--lr",
        "Learning rate of the SGD step.",
        parse=exact_decimal,
        metavar="NUMBER",
        default="0.1",
    ),
)

COMMAND = Command(
    name="network",
    help="A whole network worked by hand on exact numbers: the forward pass layer by layer, the "
    "backward pass from the loss by each layer's proven identity, checked exactly against the "
    "element-by-element chain rule through the whole network, and one SGD step.",
    options=OPTIONS,
    derive=_derive,
    short_help="A whole network, forward and backward, on exact numbers",
)
