"""Proof of each pooling identity the search found, independent of the search.

The search evaluates its candidates with whole-array operations (upsampling, zero insertion, a
full cross-correlation, a crop). The proof writes each right-hand side again from its textbook
definition, element by element, with none of those operations, and compares it with the
gradient the chain rule gave, as exact polynomials:

* nearest-neighbour upsampling: dL/dX_a = dL/dO_o / K with o = floor((a + p) / s) per axis;
* the full cross-correlation of the dilated dL/dO with J/K: dL/dX_a is 1/K times the sum of
  dL/dO_o over the windows o that cover a, those with s*o <= a + p < s*o + k on every axis;
* max pooling's switches are found again from the input values (the first maximum of each
  window in row-major order, compared in float64 as torch does; padding never chosen): the
  scatter adds dL/dO_o to the switch of window o; the masked upsampling is the switch mask
  times the upsampled dL/dO.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

from ...core.grid import Grid, Index
from ...core.poly import ZERO, Poly
from ...core.results import Proof
from .result import PoolIdentity, PoolOperation, PoolSearch
from .search import operand, statement, window_size
from .windows import PoolGeometry


def switches(geometry: PoolGeometry, values: Grid[Fraction]) -> dict[Index, Index]:
    """Each window's switch, read off the values: its first maximum in row-major order, the
    values compared in float64 as torch compares them."""
    chosen: dict[Index, Index] = {}
    for output in itertools.product(*(range(n) for n in geometry.output)):
        best: Index | None = None
        for cell in geometry.window(output).cells:
            if cell is not None and (best is None or float(values[cell]) > float(values[best])):
                best = cell
        assert best is not None, "every window PyTorch accepts holds a real cell"
        chosen[output] = best
    return chosen


def _upstream_block(geometry: PoolGeometry, a: Index) -> Index | None:
    """The dL/dO entry that upsampling by the stride puts at input position a (or None)."""
    o = tuple((i + p) // s for i, p, s in zip(a, geometry.padding, geometry.stride))
    return o if all(0 <= i < n for i, n in zip(o, geometry.output)) else None


def _covering(geometry: PoolGeometry, a: Index) -> list[Index]:
    """The windows o with s*o <= a + p < s*o + k on every axis."""
    ranges = []
    for i, p, s, k, n in zip(
        a, geometry.padding, geometry.stride, geometry.kernel, geometry.output
    ):
        first = max(0, -(-(i + p - k + 1) // s))
        last = min(n - 1, (i + p) // s)
        ranges.append(range(first, last + 1))
    return list(itertools.product(*ranges))


def rebuild(
    operation: PoolOperation,
    geometry: PoolGeometry,
    upstream: Grid[Poly],
    values: Grid[Fraction] | None,
) -> Grid[Poly]:
    """The right-hand side of ``operation``, from its textbook definition."""
    share = Fraction(1, window_size(geometry))
    if operation is PoolOperation.UPSAMPLING:

        def spread(a: Index) -> Poly:
            o = _upstream_block(geometry, a)
            return ZERO if o is None else upstream[o].scale(share)

        return Grid.build(geometry.input, spread)
    if operation is PoolOperation.DILATED_CORRELATION:
        return Grid.build(
            geometry.input,
            lambda a: Poly.total([upstream[o] for o in _covering(geometry, a)]).scale(share),
        )
    assert values is not None, "max pooling is proven on its values"
    chosen = switches(geometry, values)
    if operation is PoolOperation.SCATTER:
        routed: dict[Index, list[Poly]] = {}
        for output, cell in chosen.items():
            routed.setdefault(cell, []).append(upstream[output])
        return Grid.build(geometry.input, lambda a: Poly.total(routed.get(a, ())))
    mask = set(chosen.values())

    def masked(a: Index) -> Poly:
        o = _upstream_block(geometry, a)
        return upstream[o] if a in mask and o is not None else ZERO

    return Grid.build(geometry.input, masked)


def prove(
    search: PoolSearch,
    value: Grid[Poly],
    upstream: Grid[Poly],
    geometry: PoolGeometry,
    values: Grid[Fraction] | None = None,
) -> tuple[PoolIdentity, ...]:
    return tuple(
        PoolIdentity(
            search.target,
            operation,
            statement(operation, geometry),
            Proof.comparing(rebuild(operation, geometry, upstream, values), value),
            operand(operation, geometry, upstream),
        )
        for operation in search.matches
    )
