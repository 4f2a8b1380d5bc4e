"""The render context and the JSON of the linear layer: its derivation as strings and lists."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from ...core.family import View, expansion_touches, no_figures
from ...core.grid import Grid
from ...core.poly import Poly
from ...core.protocol import KeyEquation
from ...core.symbols import gradient_key, tensor_latex
from ...render.json import SCHEMA_VERSION, expansion_json, searches_json, verification
from ...render.latex import Notation, matrix
from .result import LinearDerivation
from .search import LinearIdentity, Product, RowSum

Context = dict[str, Any]
SHOWN = 12
"""Element equations shown per result before the rest is left to --format json."""


class LinearContext(TypedDict):
    layer: str
    torch: str
    x_size: str
    w_size: str
    y_size: str
    rows: int
    batch_axes: int
    bias: bool
    tensors: list[Context]
    forward: list[Context]
    gradients: list[Context]
    identities: list[Context]
    verified: bool
    verification: list[Context]


def _size(shape: tuple[int, ...]) -> str:
    return " \\times ".join(str(n) for n in shape)


def _equations(notation: Notation, grid: Grid[Poly], lhs: Grid[str]) -> Context:
    items = list(grid.items())
    shown = items[:SHOWN]
    return {
        "lines": [{"lhs": lhs[i], "lines": notation.poly_lines(v)} for i, v in shown],
        "omitted": len(items) - len(shown),
    }


def _as_matrix(grid: Grid[Any], columns: int) -> Grid[Any]:
    return Grid((len(grid.cells) // columns, columns), grid.cells)


def _operand(name: str, transposed: bool) -> str:
    tex = tensor_latex(name)
    if not transposed:
        return tex
    return f"\\left({tex}\\right)^{{\\top}}" if "/" in name else f"{tex}^{{\\top}}"


def _identity(d: LinearDerivation, identity: LinearIdentity) -> Context:
    form = identity.form
    target = tensor_latex(identity.target)
    if isinstance(form, RowSum):
        up = tensor_latex(form.first)
        rows = d.spec.rows
        tex = f"{target} = \\sum_{{n=1}}^{{{rows}}} \\left({up}\\right)_{{n,:}}"
        return {"target": target, "statement": tex}
    first = _operand(form.first, form.transpose_first)
    rhs = f"{first} \\, {_operand(form.second, form.transpose_second)}"
    if form.bias:
        rhs += " + " + tensor_latex(form.bias)
    return {
        "target": target,
        "statement": f"{target} = {rhs}",
    }


def build(d: LinearDerivation) -> LinearContext:
    spec = d.spec
    expansion = d.expansion
    notation = Notation.of(expansion.tensors)
    tensors = []
    for t in expansion.tensors:
        spelled = t.symbols.map(notation.symbol)
        if len(t.shape) == 1:
            written = "\\begin{pmatrix} " + " & ".join(spelled.cells) + " \\end{pmatrix}"
        else:
            rows = _as_matrix(spelled, t.shape[-1])
            written = matrix(rows) if rows.shape[0] <= 6 else ""
        tensors.append({"name": tensor_latex(t.key), "size": _size(t.shape), "matrix": written})
    y = expansion.tensor("Y").symbols.map(notation.symbol)
    gradients = []
    for key, grid in expansion.gradients:
        lhs = expansion.tensor(key).symbols.map(notation.loss_derivative)
        gradients.append(
            {"key": key, "name": tensor_latex(gradient_key(key)), **_equations(notation, grid, lhs)}
        )
    return {
        "layer": d.layer,
        "torch": "torch.nn.functional.linear",
        "x_size": _size(spec.input_shape),
        "w_size": _size(spec.weight_shape),
        "y_size": _size(spec.output_shape),
        "rows": spec.rows,
        "batch_axes": len(spec.batch),
        "bias": spec.bias,
        "tensors": tensors,
        "forward": [_equations(notation, expansion.forward, y)],
        "gradients": gradients,
        "identities": [_identity(d, i) for i in d.identities if i.proof.holds],
        "verified": d.verified,
        "verification": [
            {
                "statement": _identity(d, i)["statement"],
                "elements": i.proof.elements,
                "holds": i.proof.holds,
            }
            for i in d.identities
        ],
    }


def _form_json(identity: LinearIdentity) -> Context:
    form = identity.form
    if isinstance(form, RowSum):
        return {
            "kind": "sum over rows" if form.over_rows else "sum over columns",
            "operands": [form.first],
        }
    assert isinstance(form, Product)
    return {
        "kind": "matrix product",
        "operands": [form.first, form.second] + ([form.bias] if form.bias else []),
        "transposed": [form.transpose_first, form.transpose_second],
    }


def build_json(d: LinearDerivation) -> Context:
    return {
        "schema": SCHEMA_VERSION,
        "layer": d.layer,
        "options": dict(d.options),
        **expansion_json(d.expansion),
        "identities": [
            {
                "target": i.target,
                "statement": i.statement,
                **_form_json(i),
                "verification": verification(i.proof),
            }
            for i in d.identities
        ],
        "searches": searches_json(d.detections),
        "verified": d.verified,
    }


def _key_equations(context: Mapping[str, Any]) -> list[KeyEquation]:
    return [(f"identity {n}", i["statement"]) for n, i in enumerate(context["identities"], start=1)]


VIEW = View(
    LinearDerivation,
    "linear",
    build,
    build_json,
    no_figures,
    _key_equations,
    build_touches=expansion_touches,
)
