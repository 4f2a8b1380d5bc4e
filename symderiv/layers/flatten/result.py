"""The frozen result of a flatten's derivation."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...core.protocol import Viewer
from ...core.results import Expansion, ExpansionViews
from ...render.engine import Renders
from .search import FlattenIdentity, FlattenSearch
from .spec import FlattenSpec


@dataclass(frozen=True, repr=False)
class FlattenDerivation(Renders, ExpansionViews):
    spec: FlattenSpec
    expansion: Expansion
    detections: tuple[FlattenSearch, ...]
    identities: tuple[FlattenIdentity, ...]
    layer: str = "flatten"
    view: Viewer = field(kw_only=True, repr=False, compare=False)
    """How it is shown: the family's view, given by the derive step."""

    @property
    def options(self) -> tuple[tuple[str, object], ...]:
        return self.spec.options()
