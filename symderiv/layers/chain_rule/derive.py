"""The chain-rule primer: the two cases of the chain rule, derived and checked by SymPy.

Not to be confused with ``core.chain_rule``, which applies the rule to a layer's expanded elements.
Here the rule itself is shown on concrete functions, the way a course introduces it:

* one path, a composition z = h(g(x)): dz/dx = dz/dy * dy/dx;
* two paths, x = g(s), y = k(s), z = f(x, y): dz/ds = dz/dx * dx/ds + dz/dy * dy/ds;
* the computational-graph view the layer sections rely on: a gate z = f(x, y) receives the
  upstream gradient dL/dz and passes on dL/dx = dL/dz * dz/dx (and the same for y).

Each case is checked the same way: the derivative of the composed function, taken directly by
SymPy, minus the chain-rule form with the intermediate variables substituted, simplifies to 0.
"""

from __future__ import annotations

import sympy as sp

from ...core.results import Proof
from .result import METHOD, Case, Factor, Gate, PrimerDerivation, compose
from .view import VIEW

x, y, z, s = sp.symbols("x y z s")
ell = sp.Function("ell")
"""An arbitrary loss of the gate's output: nothing about it is assumed."""
upstream = sp.Symbol("dL_dz")


def check(direct: sp.Expr, substituted: sp.Expr) -> Proof:
    return Proof(elements=1, holds=bool(sp.simplify(direct - substituted) == 0), method=METHOD)


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
        proof=Proof(elements=len(inputs), holds=holds, method=METHOD),
    )


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
    return PrimerDerivation(cases=(one_path, two_paths), gate=gate(), view=VIEW)
