"""Cross-entropy on logits, ``torch.nn.functional.cross_entropy``: class-index or probability
targets, ``reduction`` mean, sum or none, ``label_smoothing`` and class ``weight``.

Stages: ``spec`` (the logits' shape, the target and its smoothed distribution, the weights, the
reduction's scale), ``derive`` (each sample's loss through log_softmax; the chain rule through
the reduction), ``search`` (dL/dX among forms in P, q, w and s: the textbook (p - y)/N, its
weighted form, and common mistakes), ``prove`` (exact, element by element), ``result``, ``view``
(render context and JSON), ``options``. Imports: ``core`` and ``render``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.family import Command, Family
from .options import OPTIONS

if TYPE_CHECKING:
    from ...core.protocol import LayerDerivation


def _derive(**chosen: object) -> LayerDerivation:
    from .derive import cross_entropy  # SymPy loads with the first derivation, not with --help

    return cross_entropy(**chosen)  # type: ignore[arg-type]


def _cost(**chosen: object) -> float:
    from .derive import cost

    return cost(**chosen)


COMMANDS = (
    Command(
        name="cross-entropy",
        help="Cross-entropy on logits, as torch.nn.functional.cross_entropy(input, target): "
        "log_softmax, the negative log-likelihood of the target, the reduction.\n\nDerives dL/dX "
        "element by element through each sample's loss and finds and proves the compact form "
        "dL/dX = (softmax(X) - Q) / N, with Q the (smoothed) target distribution.",
        options=OPTIONS,
        derive=_derive,
        short_help="Cross-entropy loss (torch.nn.functional.cross_entropy)",
        cost=_cost,
        course=True,
        torch_backward="torch.ops.aten.nll_loss_backward, then _log_softmax_backward_data",
    ),
)

FAMILY = Family(name="loss", commands=COMMANDS, templates=("cross_entropy",))
