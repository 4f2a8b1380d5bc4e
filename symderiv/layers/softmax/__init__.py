"""Softmax and log-softmax along a dimension: ``torch.softmax`` and ``torch.log_softmax``.

Stages: ``spec`` (the shape and the dimension; the slices along it), ``derive`` (every output
element of a slice as an expression of all its inputs; the chain rule), ``search`` (dL/dX among
forms in the probabilities and g, two right and three common wrong ones), ``prove`` (exact,
element by element, and each local partial in its form in Y), ``result``, ``view`` (render
context and JSON), ``options``. Imports: ``core`` and ``render``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.family import Command, Family
from .options import OPTIONS

if TYPE_CHECKING:
    from ...core.protocol import LayerDerivation


def _deriver(kind: str) -> object:
    def derive(**chosen: object) -> LayerDerivation:
        from .derive import derive, softmax_spec  # SymPy loads with the first derivation

        return derive(softmax_spec(kind, **chosen))

    return derive


def _coster(kind: str) -> object:
    def cost(**chosen: object) -> float:
        from .derive import cost

        return cost(kind, **chosen)

    return cost


COMMANDS = (
    Command(
        name="softmax",
        help="Softmax along a dimension, as torch.softmax(input, dim): Y = exp(X) / sum exp(X)."
        "\n\nDerives the full Jacobian of each slice and dL/dX element by element, and finds "
        "and proves dL/dX = Y ⊙ (dL/dY - sum(dL/dY ⊙ Y, dim)).",
        options=OPTIONS,
        derive=_deriver("softmax"),  # type: ignore[arg-type]
        short_help="Softmax (torch.softmax)",
        cost=_coster("softmax"),  # type: ignore[arg-type]
        torch_backward="torch.ops.aten._softmax_backward_data",
    ),
    Command(
        name="log-softmax",
        help="Log-softmax along a dimension, as torch.log_softmax(input, dim): Y = X - log sum "
        "exp(X).\n\nDerives dL/dX element by element and finds and proves dL/dX = dL/dY - "
        "softmax(X) ⊙ sum(dL/dY, dim).",
        options=OPTIONS,
        derive=_deriver("log-softmax"),  # type: ignore[arg-type]
        short_help="Log-softmax (torch.log_softmax)",
        cost=_coster("log-softmax"),  # type: ignore[arg-type]
        torch_backward="torch.ops.aten._log_softmax_backward_data",
    ),
)

FAMILY = Family(name="softmax", commands=COMMANDS, templates=("softmax",))
