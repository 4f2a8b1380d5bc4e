"""The frozen result of an activation's derivation."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from ...core.grid import Grid
from ...core.protocol import Viewer
from ...core.results import ExpressionExpansion, ExpressionViews
from ...render.engine import Renders
from .search import ActivationIdentity, ActivationSearch
from .spec import ActivationSpec


@dataclass(frozen=True, repr=False)
class ActivationDerivation(Renders, ExpressionViews):
    spec: ActivationSpec
    expansion: ExpressionExpansion
    outputs: Grid[sp.Expr]
    """Each output element: its number on concrete values, else f(X_i)."""
    detections: tuple[ActivationSearch, ...]
    identities: tuple[ActivationIdentity, ...]
    scalar_definition: sp.Expr
    """f(x) for one scalar x: the rule every element follows (a branch-free form for ReLU)."""
    scalar_derivative: sp.Expr
    """f'(x), differentiated once on the scalar, for the document's statement of the rule."""
    view: Viewer = field(kw_only=True, repr=False, compare=False)
    """How it is shown: the family's view, given by the derive step."""

    @property
    def layer(self) -> str:
        return self.spec.function

    @property
    def options(self) -> tuple[tuple[str, object], ...]:
        return self.spec.options()
