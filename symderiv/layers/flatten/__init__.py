"""Flatten, ``torch.flatten(input, start_dim, end_dim)``: the step from a convolution's output
to a linear layer's input.

Stages: ``spec`` (the shape and the merged axes), ``derive`` (each output element is one input
element; the chain rule hands the gradient back), ``search`` (dL/dX among the reshapes of dL/dY:
row-major and column-major), ``prove`` (from torch.flatten's index rule), ``result``, ``view``
(render context and JSON), ``options``. Imports: ``core`` and ``render``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.family import Command, Family
from . import options

if TYPE_CHECKING:
    from ...core.protocol import LayerDerivation


def _derive(**chosen: object) -> LayerDerivation:
    from .derive import flatten  # SymPy loads with the first derivation, not with --help

    return flatten(**chosen)  # type: ignore[arg-type]


def _cost(**chosen: object) -> float:
    from .derive import cost

    return cost(**chosen)


COMMANDS = (
    Command(
        name="flatten",
        help="Flatten, as torch.flatten(input, start_dim, end_dim): the axes start_dim..end_dim "
        "merged into one, row-major.\n\nDerives dL/dX element by element and finds and proves "
        "that it is dL/dY reshaped back to the input's shape.",
        options=options.OPTIONS,
        derive=_derive,
        short_help="Flatten (torch.flatten)",
        cost=_cost,
        torch_backward="dY.reshape(X.shape)",
    ),
)

FAMILY = Family(name="flatten", commands=COMMANDS, templates=("flatten",))
