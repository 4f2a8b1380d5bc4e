"""The figure of the chain-rule primer: the gate z = f(x, y) with its gradients, from the
derivation (the local gradients are the ones SymPy computed for the gate)."""

from __future__ import annotations

import sympy as sp

from ...core.figures import Edge, GraphFigure, Label, Node, Run, tensor_label
from ...core.symbols import LOSS
from .result import PrimerDerivation


def _partial(numerator: str, denominator: str) -> Label:
    return (
        Run("∂", "symbol"),
        Run(numerator, "italic"),
        Run("/∂", "symbol"),
        Run(denominator, "italic"),
    )


def _expression(e: sp.Expr) -> Label:
    return (Run(str(e), "italic" if isinstance(e, sp.Symbol) else "upright"),)


def build(derivation: PrimerDerivation) -> dict[str, GraphFigure]:
    gate = derivation.gate
    out = str(gate.output)
    upstream = tensor_label(f"dL/d{out}")
    first, second = (str(v) for v in gate.inputs)
    nodes = (
        Node(first, (Run(first, "italic"),), (0, 0)),
        Node(second, (Run(second, "italic"),), (0, 2)),
        Node("f", (Run("f", "italic"),), (3, 1), tone="kernel", gate=True),
        Node(out, (Run(out, "italic"),), (6, 1)),
        Node(LOSS, (Run(LOSS, "italic"),), (9, 1), tone="zero"),
    )
    edges = (
        Edge(first, "f", (*upstream, Run(" · ", "symbol"), *_expression(gate.local[0]))),
        Edge(second, "f", (*upstream, Run(" · ", "symbol"), *_expression(gate.local[1]))),
        Edge("f", out, upstream),
        Edge(out, LOSS, upstream, dashed=True),
    )
    notes = tuple(
        ((*_partial(out, str(v)), Run(" = ", "symbol"), *_expression(d)), (3, 2.4 + 0.6 * k))
        for k, (v, d) in enumerate(zip(gate.inputs, gate.local))
    )
    return {"gate": GraphFigure("gate", nodes, edges, notes)}
