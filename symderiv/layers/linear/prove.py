"""Proof of each form the search found, rebuilt from the definitions and compared element by
element as exact polynomials: the transposed arrays are built as arrays, then multiplied row by
column (the search read them through their indices instead); the bias sum adds the rows up."""

from __future__ import annotations

from collections.abc import Mapping

from ...core.grid import Grid
from ...core.poly import Poly
from ...core.results import REBUILT, Identity, Proof
from .search import LinearIdentity, LinearSearch, Product, RowSum, statement


def transposed(g: Grid[Poly]) -> Grid[Poly]:
    rows, columns = g.shape
    return Grid.build((columns, rows), lambda index: g[(index[1], index[0])])


def multiplied(a: Grid[Poly], b: Grid[Poly]) -> Grid[Poly]:
    """The matrix product by its definition: row i of a times column j of b."""
    rows, inner, columns = a.shape[0], a.shape[1], b.shape[1]
    row = [[a[(i, k)] for k in range(inner)] for i in range(rows)]
    column = [[b[(k, j)] for k in range(inner)] for j in range(columns)]
    return Grid.build(
        (rows, columns), lambda index: Poly.sum_of_products(zip(row[index[0]], column[index[1]]))
    )


def rebuild(form: Product | RowSum, operands: Mapping[str, Grid[Poly]]) -> Grid[Poly]:
    if isinstance(form, RowSum):
        g = operands[form.first] if form.over_rows else transposed(operands[form.first])
        return Grid.build(
            (g.shape[1],), lambda j: Poly.total(g[(r, j[0])] for r in range(g.shape[0]))
        )
    a, b = operands[form.first], operands[form.second]
    result = multiplied(
        transposed(a) if form.transpose_first else a, transposed(b) if form.transpose_second else b
    )
    if form.bias is not None:
        bias = operands[form.bias]
        result = Grid.build(result.shape, lambda i: result[i] + bias.cells[i[1]])
    return result


def prove(
    search: LinearSearch, value: Grid[Poly], operands: Mapping[str, Grid[Poly]]
) -> tuple[LinearIdentity, ...]:
    return tuple(
        Identity(
            search.target,
            form,
            statement(search.target, form),
            Proof.comparing(rebuild(form, operands), value, REBUILT),
            None,
        )
        for form in search.matches
    )
