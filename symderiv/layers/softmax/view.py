"""The render context and the JSON of softmax and log-softmax."""

from __future__ import annotations

from typing import Any, TypedDict

import sympy as sp

from ...core.family import View, expansion_touches, no_figures, numbered_identities
from ...core.grid import Grid
from ...core.symbols import gradient_key, tensor_latex
from ...render.json import SCHEMA_VERSION, identity_json, searches_json, tensors_json, verification
from ...render.latex import Notation, first_equations, matrix, size
from .result import SoftmaxDerivation
from .search import Form

Context = dict[str, Any]
SHOWN = 6
"""Element equations shown per stage; the Jacobian is shown for the first slice."""
JACOBIAN_SHOWN = 4
"""Slices up to this length have their whole Jacobian written out, element by element."""

TORCH = {
    "softmax": "torch.softmax(input, dim={dim})",
    "log-softmax": "torch.log_softmax(input, dim={dim})",
}


class SoftmaxContext(TypedDict):
    layer: str
    torch: str
    x_size: str
    dim: int
    n: int
    slices: int
    sums: list[Context]
    forward: list[Context]
    forward_omitted: int
    jacobian: list[Context]
    jacobian_omitted: int
    jacobian_raw: bool
    jacobian_matrix: str
    gradient: list[Context]
    omitted: int
    identities: list[str]
    tried: int
    verified: bool
    verification: list[Context]
    jacobian_holds: bool
    jacobian_elements: int


def _probabilities(kind: str) -> str:
    return "Y" if kind == "softmax" else "e^{Y}"


def form_latex(form: Form, kind: str) -> str:
    g = tensor_latex(gradient_key("Y"))
    p = _probabilities(kind)
    rhs = {
        "softmax": f"{p} \\odot \\left({g} - \\operatorname{{sum}}_{{d}}"
        f"\\left({g} \\odot {p}\\right)\\right)",
        "log-softmax": f"{g} - {p} \\odot \\operatorname{{sum}}_{{d}} {g}",
        "diagonal": f"{g} \\odot {p} \\odot (1 - {p})",
        "scaled": f"{g} \\odot {p}",
        "identity": g,
    }[form.name]
    return f"{tensor_latex(gradient_key('X'))} = {rhs}"


def _wrapped(terms: list[str], per_line: int = 6) -> list[str]:
    """A sum of many terms over several lines, continuation lines led by ``+``."""
    chunks = [" + ".join(terms[k : k + per_line]) for k in range(0, len(terms), per_line)]
    return [chunks[0], *("+ " + c for c in chunks[1:])]


def build(d: SoftmaxDerivation) -> SoftmaxContext:
    spec = d.spec
    e = d.expansion
    notation = Notation.of(e.tensors)
    x, y = e.tensor("X").symbols, e.tensor("Y").symbols
    # Each slice's sum of exponentials is named once (S_k), in the slice's own order, so that
    # the element equations stay short whatever the slice length.
    slices = spec.slices()
    sums, _ = first_equations(
        [
            (f"S_{{{k + 1}}}", _wrapped([f"e^{{{notation.symbol(x[i])}}}" for i in members]))
            for k, members in enumerate(slices)
        ],
        SHOWN,
    )
    named = []
    for k, members in enumerate(slices):
        for i in members:
            xi = notation.symbol(x[i])
            rhs = (
                f"e^{{{xi}}} / S_{{{k + 1}}}"
                if spec.kind == "softmax"
                else f"{xi} - \\log S_{{{k + 1}}}"
            )
            named.append((i, (notation.symbol(y[i]), [rhs])))
    forward, forward_omitted = first_equations([line for _, line in sorted(named)], SHOWN)
    first = spec.slices()[0]
    pairs = [(i, j) for i in first for j in first]
    # The derived partials are written out while a slice's sum fits a line; beyond that only
    # their (proven) form in Y, which stays short.
    raw = spec.length <= JACOBIAN_SHOWN
    jacobian, jacobian_omitted = first_equations(
        [
            (
                notation.derivative(y[i], x[j]),
                [
                    (f"{notation.expr(d.partials.get((i, j), sp.Integer(0)))} = " if raw else "")
                    + notation.expr(d.in_output[(i, j)])
                ],
            )
            for i, j in pairs
        ],
        JACOBIAN_SHOWN**2,
    )
    shown_matrix = first[: JACOBIAN_SHOWN + 2]
    cells = Grid(
        (len(shown_matrix), len(shown_matrix)),
        tuple(notation.expr(d.in_output[(i, j)]) for i in shown_matrix for j in shown_matrix),
    )
    gradient, omitted = first_equations(
        [(notation.loss_derivative(x[j]), notation.expr_lines(d.staged[j])) for j in x.indices()],
        SHOWN,
    )
    return {
        "layer": d.layer,
        "torch": TORCH[spec.kind].format(dim=spec.dim),
        "x_size": size(spec.input),
        "dim": spec.dim,
        "n": spec.length,
        "slices": len(spec.slices()),
        "sums": sums,
        "forward": forward,
        "forward_omitted": forward_omitted,
        "jacobian": jacobian,
        "jacobian_omitted": jacobian_omitted,
        "jacobian_raw": raw,
        "jacobian_matrix": matrix(cells),
        "gradient": gradient,
        "omitted": omitted,
        "identities": [form_latex(i.form, spec.kind) for i in d.identities if i.proof.holds],
        "tried": d.detections[0].tried,
        "verified": d.verified,
        "verification": [
            {
                "statement": form_latex(i.form, spec.kind),
                "elements": i.proof.elements,
                "holds": i.proof.holds,
            }
            for i in d.identities
        ],
        "jacobian_holds": d.jacobian.holds,
        "jacobian_elements": d.jacobian.elements,
    }


def build_json(d: SoftmaxDerivation) -> Context:
    e = d.expansion
    x, y = e.tensor("X").symbols, e.tensor("Y").symbols
    return {
        "schema": SCHEMA_VERSION,
        "layer": d.layer,
        "options": dict(d.options),
        "tensors": tensors_json(e.tensors),
        "forward": {"Y": e.forward.map(str).nested()},
        "local_gradients": [
            {
                "output": y[i].name,
                "wrt": x[j].name,
                "value": str(d.partials.get((i, j), 0)),
                "in_terms_of_Y": str(d.in_output[(i, j)]),
            }
            for (i, j) in d.in_output
        ],
        "gradients": {"X": e.gradient("X").map(str).nested()},
        "jacobian_verification": verification(d.jacobian),
        "identities": [
            identity_json(i, "softmax_backward", form=i.form.name) for i in d.identities
        ],
        "searches": searches_json(d.detections),
        "verified": d.verified,
    }


VIEW = View(
    SoftmaxDerivation,
    "softmax",
    build,
    build_json,
    no_figures,
    numbered_identities,
    build_touches=expansion_touches,
)
