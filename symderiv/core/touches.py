"""Which elements each element of a layer touches: what an interactive page highlights.

Every element of the forward output and of each gradient has an equation; the cells that
equation *reads* are its free symbols, and the cells it *feeds* are the equations that read it.
An element and its gradient stand at the same place (X_ab and dL/dX_ab), so they share one
equation: an input or upstream-gradient element shows the equation of its partner. The
relation is read off the derived expressions, never off the identities found later, so a page
built on it shows what the derivation itself says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp

from .grid import Grid, Index, indices
from .poly import Poly
from .results import Expansion, ExpressionExpansion, Tensor
from .symbols import gradient_key, gradient_of

Place = tuple[str, Index]
"""A tensor's key and a 0-based index: ``("dL/dX", (0, 1))``."""


@dataclass(frozen=True)
class Touch:
    """One element: the equation it shows and the places it reads, feeds and looks at."""

    place: Place
    equation: Place | None
    """Whose equation it shows (its own, or its partner's); None where there is none."""
    reads: tuple[Place, ...]
    feeds: tuple[Place, ...]
    window: tuple[Place, ...] = ()
    """Max pooling: the window the element chose its switch from (the switch is read)."""


@dataclass(frozen=True)
class Touches:
    shown: tuple[tuple[str, tuple[int, ...]], ...]
    """Every tensor shown, in order, with its shape: the layer's own, then each gradient."""
    tensors: tuple[Tensor, ...]
    """The layer's own tensors, whose symbols the equations are written in."""
    separated: bool | None
    """Commas between indices as the family's own document prints them (None: its default)."""
    spelled: Mapping[sp.Symbol, str]
    """LaTeX of the other symbols the equations use (normalisation's x-hat, mu, sigma^2)."""
    equations: Mapping[Place, Poly | sp.Expr]
    touches: Mapping[Place, Touch]
    values: Mapping[Place, Fraction] = field(default_factory=dict)
    """Elements with a concrete value (max pooling's input and output, which decide the
    switches), shown beside their names."""


def touches(
    expansion: Expansion | ExpressionExpansion,
    windows: Mapping[Index, Sequence[Index]] | None = None,
    separated: bool | None = None,
    through: Mapping[sp.Symbol, Iterable[sp.Symbol]] | None = None,
    spelled: Mapping[sp.Symbol, str] | None = None,
    values: Mapping[str, Grid[Fraction]] | None = None,
) -> Touches:
    """The relation for every element of every tensor; ``windows`` (max pooling) gives each
    output element's window of input cells, ``separated`` how the family spells indices.

    An equation may be written in intermediate symbols (normalisation's x-hat, mu and sigma^2,
    spelled by ``spelled``): ``through`` names the elements each stands for, so that the
    elements it reads are those the value depends on (a whole group, not one x-hat).
    ``values`` gives tensors their concrete values, by key."""
    places: dict[sp.Symbol, Place] = {}
    for tensor in expansion.tensors:
        for index, symbol in tensor.symbols.items():
            places[symbol] = (tensor.key, index)
    shapes = [(t.key, t.shape) for t in expansion.tensors]
    equations: dict[Place, Poly | sp.Expr] = {}
    _collect(equations, expansion.output, expansion.forward)
    for key, grid in expansion.gradients:
        shapes.append((gradient_key(key), grid.shape))
        _collect(equations, gradient_key(key), grid)
    stands_for = {symbol: tuple(inputs) for symbol, inputs in (through or {}).items()}
    reads = {place: _read(places, stands_for, e) for place, e in equations.items()}
    fed: dict[Place, list[Place]] = {}
    for place, read in reads.items():
        for cell in read:
            fed.setdefault(cell, []).append(place)
    keys = {key for key, _ in shapes}
    relation: dict[Place, Touch] = {}
    for key, shape in shapes:
        partner = _partner(key, keys)
        for index in indices(shape):
            place = (key, index)
            twin = (partner, index) if partner else None
            shown = place if place in equations else twin if twin in equations else None
            feeds = fed.get(place, []) + (fed.get(twin, []) if twin else [])
            window: tuple[Place, ...] = ()
            if windows is not None and key == expansion.output:
                inputs = expansion.tensors[0].key
                window = tuple((inputs, cell) for cell in windows.get(index, ()))
            relation[place] = Touch(
                place,
                shown,
                reads[shown] if shown else (),
                tuple(dict.fromkeys(feeds)),
                window,
            )
    known = {(key, index): v for key, grid in (values or {}).items() for index, v in grid.items()}
    return Touches(
        tuple(shapes),
        expansion.tensors,
        separated,
        dict(spelled or {}),
        equations,
        relation,
        known,
    )


def _collect(
    equations: dict[Place, Poly | sp.Expr], key: str, grid: Grid[Poly] | Grid[sp.Expr]
) -> None:
    for index, value in grid.items():
        equations[(key, index)] = value


def _read(
    places: Mapping[sp.Symbol, Place],
    stands_for: Mapping[sp.Symbol, tuple[sp.Symbol, ...]],
    equation: Poly | sp.Expr,
) -> tuple[Place, ...]:
    cells = set()
    for symbol in equation.free_symbols:
        for s in (symbol, *stands_for.get(symbol, ())):
            if s in places:
                cells.add(places[s])
    return tuple(sorted(cells))


def _partner(key: str, keys: set[str]) -> str | None:
    """X's partner is dL/dX and back, where both are shown."""
    base = gradient_of(key)
    other = base if base is not None else gradient_key(key)
    return other if other in keys else None
