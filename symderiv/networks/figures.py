"""The network as a figure: its tensors in a row (A_(0) the input, ..., L the loss), each layer
named on the arrow between its input and its output, each shape under its tensor, and the
gradient of each tensor flowing back in red. Long chains wrap onto a second row."""

from __future__ import annotations

import math

from ..core.figures import Edge, GraphFigure, Label, Node, Run, tensor_label
from ..core.symbols import LOSS
from .result import NetworkDerivation

SPACING = 2.4
"""Grid units between two tensors: room for a layer's name above the arrow and a gradient's
label below it."""
PER_ROW = 7


def _tensor(k: int) -> Label:
    return (Run("A", "italic"), Run(f"({k})", "sub"))


def _gradient(k: int) -> Label:
    return (*tensor_label("dL/dA"), Run(f"({k})", "sub"))


def build(d: NetworkDerivation) -> dict[str, GraphFigure]:
    count = len(d.stages) + 1
    rows = math.ceil(count / PER_ROW)
    per_row = math.ceil(count / rows)

    def at(k: int) -> tuple[float, float]:
        return ((k % per_row) * SPACING, (k // per_row) * 3.2)

    shapes = [d.input_shape] + [s.output_shape for s in d.stages]
    nodes = []
    notes: list[tuple[Label, tuple[float, float]]] = []
    for k in range(count):
        last = k == count - 1
        label: Label = (Run(LOSS, "italic"),) if last else _tensor(k)
        nodes.append(Node(f"A{k}", label, at(k), tone="zero" if last else "plain"))
        if not last:
            x, y = at(k)
            shape: list[Run] = []
            for n in shapes[k]:
                shape += (
                    [Run("×", "symbol"), Run(str(n), "upright")]
                    if shape
                    else [Run(str(n), "upright")]
                )
            notes.append((tuple(shape), (x, y - 1.0)))
    edges = []
    for k, stage in enumerate(d.stages):
        edges.append(Edge(f"A{k}", f"A{k + 1}", _gradient(k)))
        (x1, y1), (x2, y2) = at(k), at(k + 1)
        notes.append(((Run(stage.layer, "upright"),), ((x1 + x2) / 2, (y1 + y2) / 2 - 0.45)))
    return {"chain": GraphFigure("chain", tuple(nodes), tuple(edges), tuple(notes))}
