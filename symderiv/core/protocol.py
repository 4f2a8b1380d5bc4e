"""What the command line and the renderer need from a derivation, whatever the layer family.

``Derivation`` (convolution) satisfies it, and so does each family's own result type (pooling's
``PoolDerivation``): the CLI and ``render`` depend on this protocol, not on one concrete class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from .results import Proof


class SearchOutcome(Protocol):
    @property
    def target(self) -> str: ...
    @property
    def tried(self) -> int: ...
    @property
    def found(self) -> bool: ...


class ProvenStatement(Protocol):
    @property
    def statement(self) -> str: ...
    @property
    def proof(self) -> Proof: ...


class LayerDerivation(Protocol):
    @property
    def layer(self) -> str: ...
    @property
    def verified(self) -> bool: ...
    @property
    def detections(self) -> Sequence[SearchOutcome]: ...
    @property
    def identities(self) -> Sequence[ProvenStatement]: ...

    def to_markdown(self, lang: str = "en") -> str: ...
    def to_latex(self, lang: str = "en", standalone: bool = False) -> str: ...
    def to_json(self) -> str: ...


class Renders:
    """The three output methods every family's derivation offers, all through ``render``."""

    def to_markdown(self, lang: str = "en") -> str:
        return _render(self, "md", lang)

    def to_latex(self, lang: str = "en", standalone: bool = False) -> str:
        return _render(self, "latex", lang, standalone)

    def to_json(self) -> str:
        return _render(self, "json")

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def _render(derivation: Any, *args: Any) -> str:
    from ..render.engine import (
        render,  # render imports the families' views, which import this module
    )

    return render(derivation, *args)
