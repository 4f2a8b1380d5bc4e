"""Reverse mode over a small computation graph of SymPy definitions: the multi-path chain rule.

Each node is a symbol with a definition in terms of its parents (other symbols). The adjoint of a
symbol v is the sum, over every node c that v feeds, of c's adjoint times the local derivative
dc/dv, which SymPy finds by differentiating c's definition (common factors pulled out, for
reading). Every local derivative is taken once,
on a definition of at most M terms, so the work grows with the number of edges, never with the
size of the whole composed expression.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import sympy as sp


@dataclass(frozen=True)
class Node:
    symbol: sp.Symbol
    definition: sp.Expr
    parents: tuple[sp.Symbol, ...]


@dataclass(frozen=True)
class Edge:
    """The local derivative of a node by one of its parents."""

    child: sp.Symbol
    parent: sp.Symbol
    local: sp.Expr


@dataclass(frozen=True, eq=False)
class Backward:
    edges: tuple[Edge, ...]
    staged: Mapping[sp.Symbol, sp.Expr]
    """Each symbol's adjoint in terms of the adjoints of the nodes it feeds."""
    resolved: Mapping[sp.Symbol, sp.Expr]
    """Each symbol's adjoint with every intermediate adjoint substituted: only upstream remains."""


def backward(
    nodes: Sequence[Node],
    adjoint: Callable[[sp.Symbol], sp.Symbol],
    wanted: Sequence[sp.Symbol],
) -> Backward:
    """Adjoints of every node and of the ``wanted`` leaves. ``nodes`` are in forward order; a
    node that feeds no other node is an output, and its adjoint symbol is the upstream gradient."""
    edges = tuple(
        Edge(node.symbol, parent, _derivative(node.definition, parent))
        for node in nodes
        for parent in node.parents
    )
    feeds: dict[sp.Symbol, list[Edge]] = {}
    for edge in edges:
        feeds.setdefault(edge.parent, []).append(edge)
    staged: dict[sp.Symbol, sp.Expr] = {}
    resolved: dict[sp.Symbol, sp.Expr] = {}
    order = [node.symbol for node in reversed(nodes)] + list(wanted)
    for v in order:
        out = feeds.get(v, [])
        if not out:
            resolved[adjoint(v)] = adjoint(v)
            continue
        staged[v] = sp.Add(*(adjoint(e.child) * e.local for e in out if e.local != 0))
        resolved[adjoint(v)] = staged[v].xreplace(resolved)
    return Backward(edges, staged, {v: resolved[adjoint(v)] for v in order})


def _derivative(definition: sp.Expr, parent: sp.Symbol) -> sp.Expr:
    """d definition / d parent, common factors pulled out (``sp.factor_terms``), for reading.
    Of a sum only the terms that hold the parent are differentiated: a statistic over M values
    has M parents, and differentiating the whole sum for each would be O(M^2) work; the terms
    left out differentiate to 0, so the sum is the same expression."""
    if isinstance(definition, sp.Add):
        holding = [t for t in definition.args if parent in t.free_symbols]
        if len(holding) == 1:
            return _diff(holding[0], parent)
        return sp.factor_terms(sp.Add(*(_diff(t, parent, factored=False) for t in holding)))
    return _diff(definition, parent)


def _diff(term: sp.Expr, parent: sp.Symbol, factored: bool = True) -> sp.Expr:
    """SymPy's derivative (factored unless asked otherwise), worked out once per shape: the M
    nodes x_hat_i = (x_i - mu)/sqrt(v + eps) differ only in the names of their symbols, so
    each is written over placeholders (the parent first, then the others in SymPy's order),
    differentiated and factored once, and renamed back. Renaming symbols, assumptions kept,
    commutes with both, except that SymPy distributes a number over a sum when it rebuilds
    their product: that one is rebuilt as factor_terms leaves it, unevaluated."""
    others = sorted(term.free_symbols - {parent}, key=sp.default_sort_key)
    symbols = [parent, *others]
    placeholders = [_placeholder(j, s) for j, s in enumerate(symbols)]
    shape = term.xreplace(dict(zip(symbols, placeholders)))
    derivative, factored_shape = _shape_derivative(shape, placeholders[0])
    back = dict(zip(placeholders, symbols))
    if not factored:
        return derivative.xreplace(back)
    if _number_times_sum(factored_shape):
        number, total = factored_shape.args
        return sp.Mul(number, total.xreplace(back), evaluate=False)
    return factored_shape.xreplace(back)


def _number_times_sum(e: sp.Expr) -> bool:
    if not isinstance(e, sp.Mul) or len(e.args) != 2:
        return False
    number, rest = e.args
    return bool(number.is_Number) and isinstance(rest, sp.Add)


def _placeholder(j: int, symbol: sp.Symbol) -> sp.Symbol:
    return sp.Symbol(f"_shape{j}", **symbol.assumptions0)


@functools.lru_cache(maxsize=4096)
def _shape_derivative(shape: sp.Expr, parent: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
    derivative = sp.diff(shape, parent)
    return derivative, sp.factor_terms(derivative)
