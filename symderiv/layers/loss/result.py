"""The frozen result of a cross-entropy derivation."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from ...core.protocol import Viewer
from ...core.results import ExpressionExpansion, ExpressionViews
from ...render.engine import Renders
from .search import LossIdentity, LossSearch
from .spec import CrossEntropySpec


@dataclass(frozen=True, repr=False)
class CrossEntropyDerivation(Renders, ExpressionViews):
    spec: CrossEntropySpec
    expansion: ExpressionExpansion
    """Forward: the per-sample losses l_n; gradient: dL/dX."""
    scales: tuple[sp.Expr, ...]
    """s_n = dL/dl_n: the reduction's factor (1/N for an unweighted mean), or dL/dl_n."""
    detections: tuple[LossSearch, ...]
    identities: tuple[LossIdentity, ...]
    layer: str = "cross-entropy"
    view: Viewer = field(kw_only=True, repr=False, compare=False)

    @property
    def options(self) -> tuple[tuple[str, object], ...]:
        return self.spec.options()

    @property
    def loss(self) -> sp.Expr:
        """L in the logits (and dL/dl for reduction='none')."""
        losses = self.expansion.forward.cells
        return sp.Add(*(scale * loss for scale, loss in zip(self.scales, losses)))
