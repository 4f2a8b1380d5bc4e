"""The frozen results of the chain-rule primer: its cases, the gate, and their checks."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from ...core.protocol import Viewer
from ...core.results import Identity, Proof, Search
from ...render.engine import Renders

LAYER = "chain-rule"
METHOD = "sympy.simplify(direct - chain rule) == 0"


@dataclass(frozen=True)
class Factor:
    """One derivative the chain rule multiplies: d(numerator)/d(denominator) = value."""

    numerator: sp.Symbol
    denominator: sp.Symbol
    value: sp.Expr
    partial: bool
    """Partial when the numerator depends on more than one variable."""


@dataclass(frozen=True)
class Case:
    """One case of the chain rule on concrete functions, with its check."""

    name: str
    statement: str
    """Plain text of the general rule, e.g. ``dz/dx = dz/dy * dy/dx``."""
    definitions: tuple[tuple[sp.Symbol, sp.Expr], ...]
    """The functions, innermost first: (y, x**2) means y = x**2."""
    paths: tuple[tuple[Factor, ...], ...]
    """One product of factors per path from the input to the output."""
    target: tuple[sp.Symbol, sp.Symbol]
    """(output, input) of the derivative the case computes."""
    chained: sp.Expr
    """The sum over paths of the products, in the intermediate variables."""
    substituted: sp.Expr
    """The same with the intermediate variables replaced by their definitions."""
    direct: sp.Expr
    """SymPy's derivative of the composed function, taken in one go."""
    proof: Proof

    @property
    def composed(self) -> sp.Expr:
        return compose(self.definitions)


def compose(definitions: tuple[tuple[sp.Symbol, sp.Expr], ...]) -> sp.Expr:
    """The last definition with every earlier one substituted into it."""
    expression = definitions[-1][1]
    for variable, value in reversed(definitions[:-1]):
        expression = expression.subs(variable, value)
    return expression


@dataclass(frozen=True)
class Gate:
    """The graph view: a multiplication gate z = x * y inside a network with loss L = ell(z)."""

    output: sp.Symbol
    inputs: tuple[sp.Symbol, ...]
    function: sp.Expr
    local: tuple[sp.Expr, ...]
    """dz/d(input) for each input."""
    downstream: tuple[sp.Expr, ...]
    """dL/d(input) = dL/dz * dz/d(input), with dL/dz as the symbol ``dL_dz``."""
    proof: Proof
    """For every input, SymPy's dL/d(input) of ell(f(x, y)) equals ell'(z) * dz/d(input)."""
    statement: str = "dL/dx = dL/dz * dz/dx (for every input of a gate)"


@dataclass(frozen=True, repr=False)
class PrimerDerivation(Renders):
    """The chain-rule primer, shaped like a layer's derivation for the command line and views."""

    cases: tuple[Case, ...]
    gate: Gate
    layer: str = LAYER
    options: tuple[tuple[str, object], ...] = ()
    detections: tuple[Search[object], ...] = ()
    """The primer searches for nothing: its checks are its identities."""
    view: Viewer = field(kw_only=True, repr=False, compare=False)
    """How it is shown: the family's view, given by the derive step."""

    tensor_shapes: str = field(default="", repr=False)
    """The primer has no tensors."""

    @property
    def identities(self) -> tuple[Identity[str, Case | Gate], ...]:
        """Each case and the gate as the shared identity record (``form`` names it)."""
        cases: tuple[Identity[str, Case | Gate], ...] = tuple(
            Identity(str(c.target[0]), c.name, c.statement, c.proof, c) for c in self.cases
        )
        g = self.gate
        gate: Identity[str, Case | Gate] = Identity(str(g.output), "gate", g.statement, g.proof, g)
        return (*cases, gate)

    @property
    def verified(self) -> bool:
        return all(identity.proof.holds for identity in self.identities)
