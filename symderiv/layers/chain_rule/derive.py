"""The chain-rule primer: the two cases of the chain rule, derived and checked by SymPy.

Not to be confused with ``chainrule.py``, which applies the rule to a layer's expanded elements.
Here the rule itself is shown on concrete functions, the way a course introduces it:

* one path, a composition z = h(g(x)): dz/dx = dz/dy * dy/dx;
* two paths, x = g(s), y = k(s), z = f(x, y): dz/ds = dz/dx * dx/ds + dz/dy * dy/ds;
* the computational-graph view the layer sections rely on: a gate z = f(x, y) receives the
  upstream gradient dL/dz and passes on dL/dx = dL/dz * dz/dx (and the same for y).

Each case is checked the same way: the derivative of the composed function, taken directly by
SymPy, minus the chain-rule form with the intermediate variables substituted, simplifies to 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ...core.protocol import Renders
from ...core.results import Detection, Proof

LAYER = "chain-rule"
METHOD = "sympy.simplify(direct - chain rule) == 0"

x, y, z, s = sp.symbols("x y z s")
ell = sp.Function("ell")
"""An arbitrary loss of the gate's output: nothing about it is assumed."""
upstream = sp.Symbol("dL_dz")


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


def check(direct: sp.Expr, substituted: sp.Expr) -> Proof:
    return Proof(elements=1, holds=bool(sp.simplify(direct - substituted) == 0))


def case(
    name: str,
    statement: str,
    definitions: tuple[tuple[sp.Symbol, sp.Expr], ...],
    paths: tuple[tuple[tuple[sp.Symbol, sp.Symbol], ...], ...],
    target: tuple[sp.Symbol, sp.Symbol],
) -> Case:
    """Derive one case: each factor by SymPy from the definitions, then the check."""
    defined = dict(definitions)
    factors = tuple(
        tuple(
            Factor(
                numerator,
                denominator,
                sp.diff(defined[numerator], denominator),
                partial=len(defined[numerator].free_symbols) > 1,
            )
            for numerator, denominator in path
        )
        for path in paths
    )
    chained = sp.Add(*(sp.Mul(*(f.value for f in path)) for path in factors))
    substituted = chained
    for variable, value in reversed(definitions[:-1]):
        substituted = substituted.subs(variable, value)
    direct = sp.diff(compose(definitions), target[1])
    return Case(
        name=name,
        statement=statement,
        definitions=definitions,
        paths=factors,
        target=target,
        chained=chained,
        substituted=substituted,
        direct=direct,
        proof=check(direct, substituted),
    )


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


def gate() -> Gate:
    function = x * y
    inputs = (x, y)
    local = tuple(sp.diff(function, v) for v in inputs)
    loss_slope = sp.diff(ell(z), z).subs(z, function)
    holds = all(
        sp.simplify(sp.diff(ell(function), v) - loss_slope * d) == 0 for v, d in zip(inputs, local)
    )
    return Gate(
        output=z,
        inputs=inputs,
        function=function,
        local=local,
        downstream=tuple(upstream * d for d in local),
        proof=Proof(elements=len(inputs), holds=holds),
    )


@dataclass(frozen=True)
class PrimerDerivation(Renders):
    """The chain-rule primer, shaped like a layer's derivation for the command line and views."""

    cases: tuple[Case, ...]
    gate: Gate
    layer: str = LAYER
    options: tuple[tuple[str, object], ...] = ()
    detections: tuple[Detection, ...] = ()
    """The primer searches for nothing: its checks are its identities."""

    @property
    def identities(self) -> tuple[Case | Gate, ...]:
        return (*self.cases, self.gate)

    @property
    def verified(self) -> bool:
        return all(identity.proof.holds for identity in self.identities)


def chain_rule() -> PrimerDerivation:
    """Derive and check both cases of the chain rule and the gate view."""
    one_path = case(
        "one path",
        "dz/dx = dz/dy * dy/dx",
        definitions=((y, x**2), (z, sp.sin(y))),
        paths=(((z, y), (y, x)),),
        target=(z, x),
    )
    two_paths = case(
        "two paths",
        "dz/ds = dz/dx * dx/ds + dz/dy * dy/ds",
        definitions=((x, s**2), (y, sp.sin(s)), (z, x * y)),
        paths=(((z, x), (x, s)), ((z, y), (y, s))),
        target=(z, s),
    )
    return PrimerDerivation(cases=(one_path, two_paths), gate=gate())
