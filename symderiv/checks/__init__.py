"""Check a claim about a layer's backward pass against its derivation: ``symderiv check``.

Stages: ``syntax`` (the claim's grammar, no eval), ``evaluate`` (its right side on the layer's
own symbols), ``verdict`` (exact comparison, the first difference, the mistake named). Imports:
``layers``, ``render`` and ``core`` only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..core.errors import SymderivError
from ..layers.conv.spec import ConvSpec
from .norm_verdict import NORM_LAYERS, judge_norm
from .syntax import parse_claim
from .verdict import Verdict, judge

if TYPE_CHECKING:
    from ..core.protocol import LayerDerivation

__all__ = ["Verdict", "check", "claims_context"]


def check(derivation: LayerDerivation, claim: str) -> Verdict:
    """Compare ``claim`` (``"dL/dX = conv_transpose2d(dL/dO, W, stride=2, padding=1,
    output_padding=1)"``, or one element such as ``"dL/dX[2,2] = dL/dO[1,1]*F[2,2]"``) with
    the derivation, exactly. A malformed claim raises ``SymderivError`` naming the problem."""
    if derivation.layer in NORM_LAYERS and getattr(
        getattr(derivation, "spec", None), "training", False
    ):
        return judge_norm(parse_claim(claim), derivation)
    expansion = getattr(derivation, "expansion", None)
    forward = getattr(expansion, "forward", None)
    if forward is None or not forward.cells or not hasattr(forward.cells[0], "ordered_terms"):
        raise SymderivError(
            f"check: claims about {derivation.layer} are not covered yet: they cover the layers "
            "derived as polynomials (convolution, pooling, linear, flatten) and normalisation in "
            "training mode"
        )
    spec = getattr(derivation, "spec", None)
    # Whole-layer convolution claims need the convolution's settings; other layers take claims
    # about their tensors and elements.
    return judge(parse_claim(claim), expansion, spec if isinstance(spec, ConvSpec) else None)


def claims_context(verdicts: Sequence[Verdict]) -> list[dict[str, object]]:
    """The verdicts as a document shows them (and as the JSON lists them): plain values."""
    return [
        {
            "claim": v.claim,
            "holds": v.holds,
            "elements": v.elements,
            "differing": v.differing,
            "first": list(v.first) if v.first else None,
            "reason": {"kind": v.reason_kind, "values": list(v.reason_values)}
            if v.reason_kind
            else None,
            "mistakes": [{"code": code, "value": value} for code, value in v.mistakes],
        }
        for v in verdicts
    ]
