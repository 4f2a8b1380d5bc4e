"""A worked example as the templates and the JSON take it: numbers spelled, nothing computed.

Each gradient element is written three ways on consecutive lines: the derived sum of products,
the same products with the numbers put in (a negative number in parentheses, so that ``2 \\cdot
(-1)`` is not misread), and the exact value the worked stage computed.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ..core.grid import Grid
from ..core.poly import Poly
from ..core.results import Expansion
from ..core.symbols import element_latex, gradient_key, tensor_latex
from ..core.worked import WorkedExample
from .json import exact_number
from .latex import Notation, busiest, exact_latex, fits_one_line, matrix, representative

SHOWN = 9
"""Element equations worked out per result; beyond this, the first few, the busiest and the
last two (the value matrix and the JSON always hold every element)."""
FIRST = 3
PRODUCTS_PER_LINE = 6


def factor(value: Fraction) -> str:
    """A number inside a product: negatives in parentheses."""
    return f"({exact_latex(value)})" if value < 0 else exact_latex(value)


def products(p: Poly, worked: WorkedExample, notation: Notation) -> list[str]:
    """The terms of ``p`` in reading order, each factor replaced by its number."""
    terms = []
    for monomial, coefficient in p.ordered_terms(notation.sort_key):
        factors = [factor(worked.numbers[s]) for s in monomial]
        if coefficient != 1 or not factors:
            factors.insert(0, factor(Fraction(coefficient)))
        terms.append(" \\cdot ".join(factors))
    return terms


def _selection(grid: Grid[Poly], every: bool) -> list[int]:
    count = len(grid.cells)
    return representative(count, busiest(list(grid.cells)), count if every else SHOWN, FIRST)


def _lines(
    lhs: str, p: Poly, value: Fraction, worked: WorkedExample, notation: Notation
) -> list[str]:
    """``lhs &= symbols``, ``&= numbers``, ``&= value``; a long sum continues on further lines,
    each led by its sign, so that it fits the page."""
    if not p:
        return [f"{lhs} &= 0"]
    symbolic = notation.poly_lines(p)
    lines = [f"{lhs} &= {symbolic[0]}", *(f"&\\quad {rest}" for rest in symbolic[1:])]
    written = products(p, worked, notation)
    if written != [exact_latex(value)]:
        for start in range(0, len(written), PRODUCTS_PER_LINE):
            chunk = " + ".join(written[start : start + PRODUCTS_PER_LINE])
            lines.append(f"&= {chunk}" if not start else f"&\\quad + {chunk}")
    lines.append(f"&= {exact_latex(value)}")
    return lines


def _display(name: str, grid: Grid[Fraction]) -> str | None:
    """``X = [numbers]`` for a vector or a matrix; tensors with more axes go without one."""
    if len(grid.shape) > 2:
        return None
    return f"{name} = {matrix(grid.map(exact_latex))}"


def _result(
    key: str,
    name: str,
    symbolic: Grid[Poly],
    values: Grid[Fraction],
    worked: WorkedExample,
    notation: Notation,
    every: bool,
) -> dict[str, Any]:
    shown = _selection(symbolic, every)
    indices = list(symbolic.indices())
    lines: list[str] = []
    for position in shown:
        index = indices[position]
        lhs = element_latex(key, index, notation.separated)
        lines += _lines(lhs, symbolic[index], values[index], worked, notation)
    return {
        "name": name,
        "lines": lines,
        "omitted": len(indices) - len(shown),
        "matrix": _display(name, values),
    }


def worked_context(
    worked: WorkedExample | None, expansion: Expansion, notation: Notation, every: bool
) -> dict[str, Any] | None:
    """The template context of a worked example, or None without one."""
    if worked is None:
        return None
    shown = [(tensor_latex(key), grid) for key, grid in worked.inputs if len(grid.shape) <= 2]
    # Side by side when they fit the page, as the symbolic matrices are; else one per line.
    if shown and fits_one_line(*(grid.map(exact_latex) for _, grid in shown)):
        matrices = [", \\qquad ".join(f"{n} = {matrix(g.map(exact_latex))}" for n, g in shown)]
    else:
        matrices = [f"{n} = {matrix(g.map(exact_latex))}" for n, g in shown]
    output = expansion.output
    gradients = [
        _result(
            gradient_key(key),
            tensor_latex(gradient_key(key)),
            expansion.gradient(key),
            worked.gradient(key),
            worked,
            notation,
            every,
        )
        for key, _ in expansion.gradients
    ]
    return {
        "seed": worked.seed,
        "given": [tensor_latex(key) for key in worked.given],
        "drawn": [tensor_latex(k) for k, _ in worked.inputs if k not in worked.given],
        "matrices": matrices,
        "output": _result(
            output,
            tensor_latex(output),
            expansion.forward,
            worked.output,
            worked,
            notation,
            every,
        ),
        "gradients": gradients,
    }


def worked_json(worked: WorkedExample | None, expansion: Expansion) -> dict[str, Any]:
    """``values`` (the numbers used and the output they give) and ``gradient_values`` (each
    gradient's exact entries), keyed as ``tensors`` and ``gradients`` are; empty without an
    example."""
    if worked is None:
        return {}
    values = {key: grid.map(exact_number).nested() for key, grid in worked.inputs}
    values[expansion.output] = worked.output.map(exact_number).nested()
    return {
        "values": values,
        "values_from": {"given": list(worked.given), "seed": worked.seed},
        "gradient_values": {key: g.map(exact_number).nested() for key, g in worked.gradients},
    }
