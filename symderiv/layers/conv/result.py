"""The Derivation: everything one run found, with SymPy views and rendering to each format."""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ...core.grid import Grid
from ...core.poly import Poly
from ...core.protocol import ProvenStatement, Renders, SearchOutcome
from ...core.results import Detection, Expansion, Identity
from .spec import ConvSpec


class ExpansionViews:
    """SymPy views and the verdict of a derivation built on a polynomial ``Expansion``."""

    expansion: Expansion
    detections: tuple[SearchOutcome, ...]
    identities: tuple[ProvenStatement, ...]

    @property
    def verified(self) -> bool:
        """True when every search found an identity and every identity was proven."""
        return all(d.found for d in self.detections) and all(i.proof.holds for i in self.identities)

    def symbols(self, key: str) -> sp.ImmutableMatrix | sp.ImmutableDenseNDimArray:
        """The SymPy symbols of a tensor (``"X"``, ``"F"``, ``"O"``, ``"dL/dO"``)."""
        return sympy_array(self.expansion.tensor(key).symbols)

    def forward(self) -> sp.ImmutableMatrix | sp.ImmutableDenseNDimArray:
        """The expanded output elements as SymPy expressions."""
        return sympy_array(self.expansion.forward.map(Poly.to_sympy))

    def gradient(self, key: str) -> sp.ImmutableMatrix | sp.ImmutableDenseNDimArray:
        """dL/d``key`` as SymPy expressions in the input and upstream-gradient symbols."""
        return sympy_array(self.expansion.gradient(key).map(Poly.to_sympy))


@dataclass(frozen=True)
class Derivation(Renders, ExpansionViews):
    layer: str
    options: tuple[tuple[str, object], ...]
    expansion: Expansion
    detections: tuple[Detection, ...]
    identities: tuple[Identity, ...]
    all_equations: bool = False
    """Show every element equation in Markdown and LaTeX, however many (JSON always does)."""
    spec: ConvSpec | None = None
    """The convolution asked for, with every setting (``options`` lists only those given)."""


def sympy_array(grid: Grid[sp.Expr]) -> sp.ImmutableMatrix | sp.ImmutableDenseNDimArray:
    if len(grid.shape) == 2:
        return sp.ImmutableMatrix(*grid.shape, list(grid.cells))
    return sp.ImmutableDenseNDimArray(list(grid.cells), grid.shape)
