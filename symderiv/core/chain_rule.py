"""The chain rule for any layer whose output elements are polynomials in its inputs, and for
layers whose elements are other expressions (activations, softmax, the loss).

The loss L depends on the layer's inputs only through the output elements O_p, and is linear in
each O_p's upstream gradient, so dL/dv = sum over p of dL/dO_p * dO_p/dv. Each dO_p/dv is found by
differentiating the terms of the expanded O_p one at a time: the work is linear in the number of
terms, where differentiating the whole loss once per variable would be quadratic.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from .grid import Grid
from .incidence import Incidence
from .poly import Poly, variable
from .results import LocalGradients, LocalPartial


def chain_rule(
    forward: Grid[Poly],
    output: Grid[sp.Symbol],
    upstream: Grid[sp.Symbol],
    inputs: Sequence[Grid[sp.Symbol]],
) -> tuple[LocalGradients, tuple[Grid[Poly], ...]]:
    """Local gradients of every output element, and the loss gradient of every input."""
    # Keyed by variable id: looking symbols up would hash and compare them in Python.
    wanted = [variable(s) for grid in inputs for s in grid.cells]
    weighted = zip(forward.cells, (Poly.symbol(u) for u in upstream.cells))
    sums = Poly.pullback(weighted, wanted)
    gradients = tuple(grid.map(lambda s: sums[variable(s)]) for grid in inputs)
    return LocalGradients(forward, output, frozenset(wanted), Incidence(forward)), gradients


def expression_chain_rule(
    forward: Grid[sp.Expr],
    output: Grid[sp.Symbol],
    upstream: Grid[sp.Expr],
    inputs: Sequence[Grid[sp.Symbol]],
) -> tuple[tuple[LocalPartial, ...], tuple[Grid[sp.Expr], ...]]:
    """The same rule for SymPy expressions: each output element is differentiated by each input
    element it contains (its free symbols), never by the ones it does not."""
    wanted = {s for grid in inputs for s in grid.cells}
    contributions: dict[sp.Symbol, list[sp.Expr]] = {s: [] for s in wanted}
    partials: list[LocalPartial] = []
    for index, element in forward.items():
        for v in sorted(element.free_symbols & wanted, key=lambda s: s.name):
            local = sp.diff(element, v)
            partials.append(LocalPartial(output[index], v, local))
            contributions[v].append(upstream[index] * local)
    gradients = tuple(grid.map(lambda s: sp.Add(*contributions[s])) for grid in inputs)
    return tuple(partials), gradients
