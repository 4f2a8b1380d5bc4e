"""The frozen data every stage passes on: tensors, equations, identity candidates and proofs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Generic, NamedTuple, Protocol, TypeVar

import sympy as sp

from .grid import Grid, Index, index_of
from .incidence import Incidence
from .poly import Poly, symbol_of, variable
from .products import Table

POLYNOMIAL_EQUALITY = "exact polynomial equality, element by element"
REBUILT = POLYNOMIAL_EQUALITY + ", right-hand side rebuilt step by step"
"""A proof whose right-hand side was recomputed from the textbook steps, not the search's."""


class Role(str, Enum):
    INPUT = "input"
    PARAMETER = "parameter"
    OUTPUT = "output"
    UPSTREAM = "upstream gradient"


@dataclass(frozen=True)
class Tensor:
    key: str
    role: Role
    symbols: Grid[sp.Symbol]

    @property
    def shape(self) -> tuple[int, ...]:
        return self.symbols.shape


class LocalGradient(NamedTuple):
    """A non-zero partial derivative of one output element by one input element (a named tuple:
    there are twice as many as forward terms, and a tuple is the cheapest frozen record)."""

    output: sp.Symbol
    wrt: sp.Symbol
    value: Poly


@dataclass(frozen=True, eq=False)
class LocalGradients:
    """Every non-zero local gradient of the output elements by the input elements, in forward
    order, produced when read: they are twice as many as the forward terms, and neither the
    gradients nor the searches need them, so a derivation does not keep them alive."""

    forward: Grid[Poly]
    output: Grid[sp.Symbol]
    wanted: frozenset[int]
    """The input elements' variable ids."""
    incidence: Incidence
    """Which variables each forward element holds: shared by every restriction."""

    def __iter__(self) -> Iterator[LocalGradient]:
        for position in range(len(self.forward.cells)):
            yield from self.row(position)

    def __len__(self) -> int:
        return sum(self.row_sizes())

    def restricted(self, inputs: Iterable[sp.Symbol]) -> LocalGradients:
        """Only the local gradients by these input elements."""
        wanted = frozenset(variable(s) for s in inputs)
        return LocalGradients(self.forward, self.output, wanted, self.incidence)

    def row_sizes(self) -> list[int]:
        """How many local gradients each output element has, in forward order: what a document
        counts without spelling them."""
        return self.incidence.row_sizes(self.wanted)

    def row(self, position: int) -> list[LocalGradient]:
        """The local gradients of the output element at this position (row-major)."""
        element, wanted = self.forward.cells[position], self.wanted
        if wanted.isdisjoint(element.variables()):
            return []
        out = self.output.cells[position]
        return [
            LocalGradient(out, symbol_of(v), local)
            for v, local in element.variable_partials().items()
            if v in wanted
        ]

    def uses(self) -> dict[sp.Symbol, int]:
        """For each input element, how many output elements it reaches (its chain-rule paths)."""
        return {symbol_of(v): n for v, n in self.incidence.uses(self.wanted).items()}


@dataclass(frozen=True)
class LocalPartial:
    """The same for a layer whose elements are SymPy expressions (exp, tanh, log, ...)."""

    output: sp.Symbol
    wrt: sp.Symbol
    value: sp.Expr


@dataclass(frozen=True)
class ExpressionExpansion:
    """``Expansion`` for such a layer: forward elements, local partials and gradients as SymPy
    expressions."""

    tensors: tuple[Tensor, ...]
    output: str
    forward: Grid[sp.Expr]
    local_gradients: tuple[LocalPartial, ...]
    gradients: tuple[tuple[str, Grid[sp.Expr]], ...]

    def tensor(self, key: str) -> Tensor:
        return next(t for t in self.tensors if t.key == key)

    def gradient(self, key: str) -> Grid[sp.Expr]:
        return dict(self.gradients)[key]


@dataclass(frozen=True)
class Expansion:
    """What the chain rule gives: the forward elements, their local gradients, the gradients."""

    tensors: tuple[Tensor, ...]
    output: str
    forward: Grid[Poly]
    local_gradients: LocalGradients
    gradients: tuple[tuple[str, Grid[Poly]], ...]
    """Pairs of (input key, gradient of the loss by that input), in the order they are shown."""

    def tensor(self, key: str) -> Tensor:
        return next(t for t in self.tensors if t.key == key)

    def gradient(self, key: str) -> Grid[Poly]:
        return dict(self.gradients)[key]


@dataclass(frozen=True)
class Proof:
    """The outcome of a proof: how many elements it covered, whether it holds, and how."""

    elements: int
    holds: bool
    method: str = POLYNOMIAL_EQUALITY
    first_difference: Index | None = None

    @staticmethod
    def comparing(rhs: Grid[Poly], value: Grid[Poly], method: str = POLYNOMIAL_EQUALITY) -> Proof:
        """Compare a recomputed right-hand side with the derived result, element by element."""
        if rhs.shape != value.shape:
            return Proof(elements=0, holds=False, method=method)
        for index, derived in value.items():
            if rhs[index] != derived:
                return Proof(len(value.cells), False, method, first_difference=index)
        return Proof(elements=len(value.cells), holds=True, method=method)

    @staticmethod
    def comparing_tables(
        rhs: Table, value: Table, shape: tuple[int, ...], method: str = POLYNOMIAL_EQUALITY
    ) -> Proof:
        """The same comparison over whole tables (``core.products``) of a grid of ``shape``."""
        if rhs.size != value.size:
            return Proof(elements=0, holds=False, method=method)
        at = value.first_difference(rhs)
        if at is not None:
            return Proof(value.size, False, method, first_difference=index_of(at, shape))
        return Proof(elements=value.size, holds=True, method=method)


C = TypeVar("C")
S = TypeVar("S")


@dataclass(frozen=True)
class Search(Generic[C]):
    """One search for a compact form of a result: how many candidates were tried and every one
    that matched (best first), or none: "no match" is a result, not an error."""

    target: str
    operands: tuple[str, ...]
    tried: int
    matches: tuple[C, ...]

    @property
    def found(self) -> bool:
        return bool(self.matches)


@dataclass(frozen=True)
class Identity(Generic[C, S]):
    """A statement about a result with its proof, the same record in every family."""

    target: str
    form: C
    """What it states: a family's candidate, operation, or the name of a known formula."""
    statement: str
    """Plain text: ``dL/dX = full cross-correlation(dL/dO, rot180(F))``."""
    proof: Proof
    shown: S
    """What the documents show beside it (the arrays of a written-out form), or None."""


class Searched(Protocol):
    @property
    def found(self) -> bool: ...


class Proven(Protocol):
    @property
    def proof(self) -> Proof: ...


class ExpansionViews:
    """SymPy views and the verdict of a derivation built on a polynomial ``Expansion``."""

    expansion: Expansion
    detections: tuple[Searched, ...]
    identities: tuple[Proven, ...]

    @property
    def tensor_shapes(self) -> str:
        """``X 3x3, F 2x2, O 2x2``: for a one-line summary."""
        return ", ".join(f"{t.key} {'x'.join(map(str, t.shape))}" for t in self.expansion.tensors)

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


class ExpressionViews(ExpansionViews):
    """The same views for a derivation built on an ``ExpressionExpansion``: its cells are SymPy
    expressions already."""

    expansion: ExpressionExpansion  # type: ignore[assignment]

    def forward(self) -> sp.ImmutableMatrix | sp.ImmutableDenseNDimArray:
        return sympy_array(self.expansion.forward)

    def gradient(self, key: str) -> sp.ImmutableMatrix | sp.ImmutableDenseNDimArray:
        return sympy_array(self.expansion.gradient(key))


def sympy_array(grid: Grid[sp.Expr]) -> sp.ImmutableMatrix | sp.ImmutableDenseNDimArray:
    if len(grid.shape) == 2:
        return sp.ImmutableMatrix(*grid.shape, list(grid.cells))
    return sp.ImmutableDenseNDimArray(list(grid.cells), grid.shape)
