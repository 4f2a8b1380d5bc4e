"""What the command line and the renderer need from a derivation, whatever the layer family.

Every family's result type satisfies ``LayerDerivation`` (mypy checks it wherever a result is
rendered), and carries the ``Viewer`` that shows it: the renderer is handed both and never looks
a family up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from .figures import AnyFigure
from .results import Proof
from .touches import Touches

Context = Mapping[str, object]
"""A render context: strings, numbers, lists and nested contexts; never SymPy objects."""
KeyEquation = tuple[str, str]
"""(the key a template displays it under, its LaTeX): an equation the notes' summary names."""


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


class Viewer(Protocol):
    """How a derivation is shown: ``core.family.View`` for one result type."""

    @property
    def templates(self) -> str: ...
    def context(self, derivation: LayerDerivation) -> Context: ...
    def json(self, derivation: LayerDerivation) -> Context: ...
    def figures(self, derivation: LayerDerivation) -> Mapping[str, AnyFigure]: ...
    def key_equations(self, context: Context) -> list[KeyEquation]: ...
    def touches(self, derivation: LayerDerivation) -> Touches | None: ...


class LayerDerivation(Protocol):
    @property
    def layer(self) -> str: ...
    @property
    def verified(self) -> bool: ...
    @property
    def detections(self) -> Sequence[SearchOutcome]: ...
    @property
    def identities(self) -> Sequence[ProvenStatement]: ...
    @property
    def view(self) -> Viewer: ...
    @property
    def tensor_shapes(self) -> str: ...
