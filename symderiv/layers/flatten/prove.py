"""Proof of the reshape the search found, from torch.flatten's own index rule: input element
(i_0, ..., i_r) sits at position sum_k i_k * prod(sizes after k) of the merged axis, the
other axes unchanged; dL/dX is read there from dL/dY and compared element by element."""

from __future__ import annotations

import math

from ...core.grid import Grid, Index
from ...core.poly import Poly
from ...core.results import Identity, Proof
from .search import FlattenIdentity, FlattenSearch
from .spec import FlattenSpec


def output_index(spec: FlattenSpec, index: Index) -> Index:
    merged = index[spec.first : spec.last + 1]
    sizes = spec.input[spec.first : spec.last + 1]
    position = sum(i * math.prod(sizes[k + 1 :]) for k, i in enumerate(merged))
    return (*index[: spec.first], position, *index[spec.last + 1 :])


def prove(
    spec: FlattenSpec, search: FlattenSearch, value: Grid[Poly], upstream: Grid[Poly]
) -> tuple[FlattenIdentity, ...]:
    rebuilt = Grid.build(spec.input, lambda index: upstream[output_index(spec, index)])
    return tuple(
        Identity(
            search.target,
            form,
            f"{search.target} = {form.text}",
            Proof.comparing(rebuilt, value),
            None,
        )
        for form in search.matches
    )
