"""What the command line and the renderer need from a derivation, whatever the layer family.

``Derivation`` (convolution) satisfies it, and so does each family's own result type (pooling's
``PoolDerivation``): the CLI and ``render`` depend on this protocol, not on one concrete class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .model import Proof


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
