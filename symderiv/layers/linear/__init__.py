"""The linear layer, ``torch.nn.functional.linear``: y = x W^T + b.

Stages: ``spec`` (sizes and the leading batch axes), ``derive`` (forward elements and the chain
rule), ``search`` (matrix products of two operands, either order, transposed or not; the bias
sum), ``prove`` (each match rebuilt from its definition with the transposes built as arrays),
``result``, ``view`` (render context and JSON), ``options``. Imports: ``core`` and ``render``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.family import Command, Family
from . import options

if TYPE_CHECKING:
    from ...core.protocol import LayerDerivation


def _derive(**chosen: object) -> LayerDerivation:
    from .derive import linear  # SymPy loads with the first derivation, not with --help

    return linear(**chosen)  # type: ignore[arg-type]


def _cost(**chosen: object) -> float:
    from .derive import cost

    return cost(**chosen)


COMMANDS = (
    Command(
        name="linear",
        help="Linear layer, as torch.nn.functional.linear: y = x W^T + b.\n\nDerives dL/dx, "
        "dL/dW and dL/db element by element and finds and proves the matrix products they are: "
        "dL/dx = dL/dy W, dL/dW = (dL/dy)^T x, dL/db the sum of dL/dy over the batch.",
        options=options.OPTIONS,
        derive=_derive,
        short_help="Linear layer (linear)",
        cost=_cost,
        course=True,
        torch_backward="dY @ W, dY.T @ X, dY.sum(0) (torch.matmul, torch.sum)",
        theorems=("linear",),
    ),
)

FAMILY = Family(name="linear", commands=COMMANDS, templates=("linear",))
