"""A worked example on small numbers: the derived element equations evaluated exactly.

The symbolic derivation holds every element of the output and of each gradient as a polynomial
in the element symbols. Giving each symbol a number (from ``--values``, else drawn from
``--seed``) turns each of them into a sum of products of numbers with an exact value; the view
writes the products out (``= 1·2 + (−1)·0 + …``) from the same polynomial, so the numbers line up
with the symbolic equation they come from. The values are computed here, never in the view.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from .errors import SymderivError
from .grid import Grid
from .parse import shown, whole
from .poly import Poly
from .results import Expansion, Role
from .values import named_arrays, nested_grid, parse_values

SPANS = {Role.INPUT: (0, 4), Role.PARAMETER: (-2, 2), Role.UPSTREAM: (-2, 2)}
"""Seeded numbers: small integers a reader can multiply by eye; the parameters and the upstream
gradient take both signs, so that the written-out products show how negatives enter."""


@dataclass(frozen=True)
class WorkedExample:
    seed: int | None
    """The seed the unnamed arrays were drawn from; None when ``--values`` named every one."""
    given: tuple[str, ...]
    """The arrays whose numbers ``--values`` gave (the others come from the seed)."""
    numbers: Mapping[sp.Symbol, Fraction]
    """Every element symbol of the inputs, parameters and upstream gradient, with its number."""
    inputs: tuple[tuple[str, Grid[Fraction]], ...]
    """(key, numbers) of each array that was given a value, in the layer's order."""
    output: Grid[Fraction]
    gradients: tuple[tuple[str, Grid[Fraction]], ...]
    """(input key, exact value of the loss gradient by that input), as the expansion orders them."""

    def gradient(self, key: str) -> Grid[Fraction]:
        return dict(self.gradients)[key]


def worked_example(
    expansion: Expansion, values: object, seed: object, example: str
) -> WorkedExample | None:
    """The example at the given numbers, or None when neither ``--values`` nor ``--seed`` is
    given.

    ``values`` is a JSON object by array name (``{"X": [[...]], "dL/dO": [[...]]}``), or the
    input alone in the ``--values`` grid syntax (``"1,2;3,4"``); arrays it does not name are
    drawn from ``seed`` (0 if not given), one ``random.Random`` in the layer's order."""
    if values is None and seed is None:
        return None
    if seed is not None:
        number = whole(seed)
        if number is None or number < 0:
            raise SymderivError(f"--seed: invalid value {shown(seed)}; expected an integer >= 0")
        seed = number
    leaves = [t for t in expansion.tensors if t.role is not Role.OUTPUT]
    named = _named(values, leaves[0].key, len(leaves[0].shape), example)
    unknown = sorted(set(named) - {t.key for t in leaves})
    if unknown:
        raise SymderivError(
            f"--values: {unknown[0]!r} names no array of this layer; the arrays are "
            + ", ".join(t.key for t in leaves)
        )
    rng = random.Random(seed or 0)
    arrays: dict[str, Grid[Fraction]] = {}
    for tensor in leaves:
        # Drawn even when given, so that each array's seeded numbers do not depend on the others.
        span = SPANS[tensor.role]
        drawn = Grid(
            tensor.shape, tuple(Fraction(rng.randint(*span)) for _ in tensor.symbols.cells)
        )
        given = named.get(tensor.key)
        if given is None:
            arrays[tensor.key] = drawn
        elif isinstance(given, Grid):
            arrays[tensor.key] = _shaped(given, tensor.shape, tensor.key)
        else:
            arrays[tensor.key] = nested_grid(given, tensor.shape, tensor.key)
    numbers: dict[sp.Symbol, Fraction] = {}
    for tensor in leaves:
        numbers.update(zip(tensor.symbols.cells, arrays[tensor.key].cells))

    def value(p: Poly) -> Fraction:
        return Fraction(p.at(numbers))

    return WorkedExample(
        seed=None if len(named) == len(leaves) else (seed or 0),
        given=tuple(t.key for t in leaves if t.key in named),
        numbers=numbers,
        inputs=tuple((t.key, arrays[t.key]) for t in leaves),
        output=expansion.forward.map(value),
        gradients=tuple((key, grid.map(value)) for key, grid in expansion.gradients),
    )


def _named(values: object, first: str, axes: int, example: str) -> dict[str, object]:
    if values is None:
        return {}
    if isinstance(values, str) and not values.lstrip().startswith("{"):
        return {first: parse_values(values, axes)}
    return named_arrays(values, example)


def _shaped(grid: Grid[Fraction], shape: tuple[int, ...], key: str) -> Grid[Fraction]:
    if grid.shape != shape:
        size = "x".join(map(str, grid.shape))
        raise SymderivError(
            f"--values gives {key} as {size}, but this layer's {key} is "
            + "x".join(map(str, shape))
        )
    return grid
