"""The render context and the JSON of flatten: its derivation as strings and lists."""

from __future__ import annotations

from typing import Any, TypedDict

from ...core.family import View, no_figures, numbered_identities
from ...core.results import Expansion
from ...core.symbols import gradient_key, tensor_latex
from ...core.touches import touches
from ...render.json import (
    SCHEMA_VERSION,
    expansion_json,
    identity_json,
    searches_json,
)
from ...render.latex import Notation
from .result import FlattenDerivation

Context = dict[str, Any]
SHOWN = 8
"""Element equations shown before the rest is left to --format json."""


class FlattenContext(TypedDict):
    layer: str
    x_size: str
    y_size: str
    start_dim: int
    end_dim: int
    merged: str
    forward: list[Context]
    forward_omitted: int
    gradient: list[Context]
    gradient_omitted: int
    identities: list[str]
    verified: bool
    verification: list[Context]


def _size(shape: tuple[int, ...]) -> str:
    return " \\times ".join(str(n) for n in shape)


def _statement(target: str, row_major: bool) -> str:
    order = "" if row_major else ",\\ \\mathrm{column\\text{-}major}"
    return (
        f"{tensor_latex(target)} = \\operatorname{{reshape}}\\left("
        f"{tensor_latex(gradient_key('Y'))},\\ {tensor_latex('X')}.\\mathrm{{shape}}{order}\\right)"
    )


def _notation(expansion: Expansion) -> Notation:
    """Commas between indices once a tensor has more than two axes: X_{1,2,1,2}."""
    many = any(len(t.shape) > 2 for t in expansion.tensors)
    return Notation.of(expansion.tensors, separated=True if many else None)


def build(d: FlattenDerivation) -> FlattenContext:
    spec = d.spec
    expansion = d.expansion
    notation = _notation(expansion)
    y = expansion.tensor("Y").symbols
    forward = [
        {"lhs": notation.symbol(y[i]), "lines": [notation.poly(v)]}
        for i, v in list(expansion.forward.items())[:SHOWN]
    ]
    x = expansion.tensor("X").symbols
    gradient = [
        {"lhs": notation.loss_derivative(x[i]), "lines": [notation.poly(v)]}
        for i, v in list(expansion.gradient("X").items())[:SHOWN]
    ]
    merged = _size(spec.input[spec.first : spec.last + 1])
    return {
        "layer": d.layer,
        "x_size": _size(spec.input),
        "y_size": _size(spec.output),
        "start_dim": spec.start_dim,
        "end_dim": spec.end_dim,
        "merged": merged,
        "forward": forward,
        "forward_omitted": len(expansion.forward.cells) - len(forward),
        "gradient": gradient,
        "gradient_omitted": len(x.cells) - len(gradient),
        "identities": [
            _statement(i.target, i.form.row_major) for i in d.identities if i.proof.holds
        ],
        "verified": d.verified,
        "verification": [
            {
                "statement": _statement(i.target, i.form.row_major),
                "elements": i.proof.elements,
                "holds": i.proof.holds,
            }
            for i in d.identities
        ],
    }


def build_json(d: FlattenDerivation) -> Context:
    return {
        "schema": SCHEMA_VERSION,
        "layer": d.layer,
        "options": dict(d.options),
        **expansion_json(d.expansion),
        "identities": [
            identity_json(
                i,
                "reshape",
                order="row-major" if i.form.row_major else "column-major",
                operands=[i.form.source],
            )
            for i in d.identities
        ],
        "searches": searches_json(d.detections),
        "verified": d.verified,
    }


VIEW = View(
    FlattenDerivation,
    "flatten",
    build,
    build_json,
    no_figures,
    numbered_identities,
    build_touches=lambda d: touches(d.expansion, separated=_notation(d.expansion).separated),
)
