"""The frozen result of a linear layer's derivation."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...core.protocol import Viewer
from ...core.results import Expansion, ExpansionViews
from ...render.engine import Renders
from .search import LinearIdentity, LinearSearch
from .spec import LinearSpec


@dataclass(frozen=True, repr=False)
class LinearDerivation(Renders, ExpansionViews):
    spec: LinearSpec
    expansion: Expansion
    detections: tuple[LinearSearch, ...]
    identities: tuple[LinearIdentity, ...]
    layer: str = "linear"
    view: Viewer = field(kw_only=True, repr=False, compare=False)
    """How it is shown: the family's view, given by the derive step."""

    @property
    def options(self) -> tuple[tuple[str, object], ...]:
        return self.spec.options()
