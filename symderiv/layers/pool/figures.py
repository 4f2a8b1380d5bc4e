"""The figure of max pooling, computed from its worked example: the switch mask at work.

* ``switches``: for each window, the input values with the window shaded and the element it
  selects (the switch) marked; then dL/dO, and dL/dX with every upstream gradient routed to the
  switch of its window (sums where overlapping windows chose the same element).

Drawn for two-dimensional max pooling only; other pooling layers have no figure.
"""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from ...core.figures import (
    Figure,
    Highlight,
    Label,
    Panel,
    Run,
    element_label,
    number_label,
    selection,
    starts_row,
    tensor_label,
)
from ...core.grid import Index
from ...core.poly import Poly
from ...core.symbols import needs_separators
from .result import PoolDerivation

PANEL_LIMIT = 16
LABEL_LIMIT = 8


def build(derivation: PoolDerivation) -> dict[str, Figure]:
    values = derivation.values
    if derivation.kind != "max" or values is None or len(values.shape) != 2:
        return {}
    expansion = derivation.expansion
    separated = needs_separators(t.shape for t in expansion.tensors)
    names = {s: (t.key, i) for t in expansion.tensors for i, s in t.symbols.items()}
    value_labels = values.map(_number)
    labelled = max(values.shape) <= LABEL_LIMIT
    outputs = [s.window.output for s in derivation.selections]
    shown = selection(outputs, derivation.geometry.output, PANEL_LIMIT)
    by_output = {s.window.output: s for s in derivation.selections}
    windows = tuple(
        Panel(
            title=element_label("O", out, separated),
            labels=value_labels,
            highlights=(
                Highlight("window", frozenset(by_output[out].window.real)),
                Highlight("selected", frozenset({by_output[out].winner})),
            ),
            show_labels=labelled,
            starts_row=starts_row(out, shown),
        )
        for out in shown
    )
    upstream = expansion.tensor("dL/dO").symbols
    gradient = expansion.gradient("X")
    routed = frozenset(i for i, cell in gradient.items() if cell)
    panels = (
        *windows,
        Panel(
            tensor_label("dL/dO"),
            upstream.map(lambda s: element_label("dL/dO", names[s][1], separated)),
            show_labels=labelled,
            starts_row=True,
        ),
        Panel(
            tensor_label("dL/dX"),
            gradient.map(lambda p: _poly_label(p, names, separated)),
            (Highlight("selected", routed),),
            show_labels=labelled,
        ),
    )
    return {"switches": Figure("switches", panels, complete=len(shown) == len(outputs))}


def _number(value: Fraction) -> Label:
    return number_label(str(value))


def _poly_label(p: Poly, names: dict[sp.Symbol, tuple[str, Index]], separated: bool) -> Label:
    """A sum of upstream gradients as one label, ``∂L/∂O11+∂L/∂O12``; ``0`` when empty."""
    if not p:
        return number_label("0")
    runs: list[Run] = []
    for monomial, coefficient in sorted(p, key=lambda mc: [names[s][1] for s in mc[0]]):
        if runs:
            runs.append(Run("+", "symbol"))
        if coefficient != 1:
            runs.append(Run(str(coefficient), "upright"))
        for s in monomial:
            runs.extend(element_label(names[s][0], names[s][1], separated))
    return tuple(runs)
