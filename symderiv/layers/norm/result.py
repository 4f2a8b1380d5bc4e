"""The frozen results of a normalisation derivation: statistics, identities, proofs."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from ...core.graph import Backward, Node
from ...core.grid import Grid, Index
from ...core.protocol import Viewer
from ...core.results import Identity, Proof, Tensor
from ...core.symbols import element_symbol
from ...render.engine import Renders
from .spec import NormSpec

NormIdentity = Identity[str, None]
"""``form`` is a stable name: ``beta``, ``gamma``, ``mean_path``, ``compact``,
``compact_general`` or ``eval``; ``target`` the tensor or local derivative it is about."""


def norm_identity(target: str, name: str, statement: str, proof: Proof) -> NormIdentity:
    return Identity(target, name, statement, proof, None)


@dataclass(frozen=True)
class Statistic:
    """One group's statistics: its members, its mean and variance symbols, and their definitions
    (in training mode; in eval mode the running statistics, which have no definition)."""

    key: Index
    members: tuple[Index, ...]
    mean: sp.Symbol
    variance: sp.Symbol


@dataclass(frozen=True, repr=False)
class NormDerivation(Renders):
    spec: NormSpec
    tensors: tuple[Tensor, ...]
    epsilon: sp.Expr
    statistics: tuple[Statistic, ...]
    nodes: tuple[Node, ...]
    graph: Backward
    compact: Grid[sp.Expr]
    """dL/dx by the compact formula, in terms of xhat, the statistics, gamma and dL/dy."""
    identities: tuple[NormIdentity, ...]
    detections: tuple[()] = ()
    view: Viewer = field(kw_only=True, repr=False, compare=False)
    """How it is shown: the family's view, given by the derive step."""

    @property
    def tensor_shapes(self) -> str:
        """``x 4x1, gamma 1, ...``: for a one-line summary."""
        return ", ".join(f"{t.key} {'x'.join(map(str, t.shape))}" for t in self.tensors)

    @property
    def layer(self) -> str:
        return self.spec.kind

    @property
    def options(self) -> tuple[tuple[str, object], ...]:
        return self.spec.options()

    @property
    def verified(self) -> bool:
        return bool(self.identities) and all(i.proof.holds for i in self.identities)

    def graph_symbol(self, key: str, index: Index) -> sp.Symbol:
        """The symbol of an intermediate value of one element, such as ``xhat_1_1``."""
        return element_symbol(key, index)

    def tensor(self, key: str) -> Tensor:
        return next(t for t in self.tensors if t.key == key)

    def symbols(self, key: str) -> sp.ImmutableDenseNDimArray:
        """The symbols of ``x``, ``gamma``, ``beta``, ``y``, ``dL/dy`` (and the running stats)."""
        grid = self.tensor(key).symbols
        return sp.ImmutableDenseNDimArray(list(grid.cells), grid.shape)

    def definitions(self) -> dict[sp.Symbol, sp.Expr]:
        """Every intermediate symbol (mu, sigma2, xhat) as a function of the inputs alone."""
        values: dict[sp.Symbol, sp.Expr] = {}
        for node in self.nodes:
            if node.symbol not in self.tensor("y").symbols.cells:
                values[node.symbol] = node.definition.xreplace(values)
        return values

    def staged_gradient(self, key: str) -> Grid[sp.Expr]:
        """dL/d``key`` with the upstream gradient and the intermediate symbols left in place."""
        return self.tensor(key).symbols.map(lambda s: self.graph.resolved[s])

    def gradient(self, key: str) -> sp.ImmutableDenseNDimArray:
        """dL/d``key`` (``x``, ``gamma`` or ``beta``) as SymPy expressions in the inputs, the
        parameters, epsilon and the upstream gradient only."""
        values = self.definitions()
        grid = self.staged_gradient(key).map(lambda e: e.xreplace(values))
        return sp.ImmutableDenseNDimArray(list(grid.cells), grid.shape)

    def forward(self) -> sp.ImmutableDenseNDimArray:
        """y as SymPy expressions in the inputs and parameters."""
        values = self.definitions()
        by_symbol = {n.symbol: n.definition for n in self.nodes}
        y = self.tensor("y").symbols.map(lambda s: by_symbol[s].xreplace(values))
        return sp.ImmutableDenseNDimArray(list(y.cells), y.shape)
