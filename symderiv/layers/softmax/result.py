"""The frozen result of a softmax or log-softmax derivation."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from ...core.grid import Grid, Index
from ...core.protocol import Viewer
from ...core.results import ExpressionExpansion, ExpressionViews, Proof
from ...render.engine import Renders
from .search import SoftmaxIdentity, SoftmaxSearch
from .spec import SoftmaxSpec


@dataclass(frozen=True, repr=False)
class SoftmaxDerivation(Renders, ExpressionViews):
    spec: SoftmaxSpec
    expansion: ExpressionExpansion
    detections: tuple[SoftmaxSearch, ...]
    identities: tuple[SoftmaxIdentity, ...]
    partials: dict[tuple[Index, Index], sp.Expr]
    """dY_i/dX_j as derived, by (i, j); pairs in different slices are 0 and absent."""
    in_output: dict[tuple[Index, Index], sp.Expr]
    """dY_i/dX_j in the output symbols: Y_i (delta_ij - Y_j), or delta_ij - exp(Y_j)."""
    staged: Grid[sp.Expr]
    """dL/dX_j as the chain rule's sum over the slice, each partial in its form in Y."""
    jacobian: Proof
    """That each derived partial equals its form in the output."""
    view: Viewer = field(kw_only=True, repr=False, compare=False)

    @property
    def layer(self) -> str:
        return self.spec.kind

    @property
    def options(self) -> tuple[tuple[str, object], ...]:
        return self.spec.options()

    @property
    def verified(self) -> bool:
        return self.jacobian.holds and super().verified
