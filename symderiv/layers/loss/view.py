"""The render context and the JSON of cross-entropy."""

from __future__ import annotations

from fractions import Fraction
from typing import Any, TypedDict

import sympy as sp

from ...core.family import View, expansion_touches, no_figures, numbered_identities
from ...core.grid import Grid
from ...core.symbols import gradient_key, tensor_latex
from ...core.values import format_value
from ...render.json import (
    SCHEMA_VERSION,
    exact_number,
    identity_json,
    searches_json,
    tensors_json,
)
from ...render.latex import Notation, exact_latex, first_equations, matrix
from .result import CrossEntropyDerivation
from .search import Form

Context = dict[str, Any]
SHOWN = 6


class CrossEntropyContext(TypedDict):
    layer: str
    torch: str
    n: int
    c: int
    class_targets: bool
    targets: str
    columns: str
    reduction: str
    smoothing: str
    smoothed: bool
    weighted: bool
    weights: str
    normaliser: str
    q_matrix: str
    sums: list[Context]
    losses: list[Context]
    loss: str
    gradient: list[Context]
    omitted: int
    identities: list[str]
    textbook: bool
    scale: str
    tried: int
    verified: bool
    verification: list[Context]


def scale_latex(d: CrossEntropyDerivation) -> str:
    spec = d.spec
    if spec.reduction == "none":
        return tensor_latex(gradient_key("l")) + " \\odot "
    factor = 1 / spec.normaliser if spec.reduction == "mean" else Fraction(1)
    return "" if factor == 1 else exact_latex(factor)


def form_latex(form: Form, d: CrossEntropyDerivation) -> str:
    s = scale_latex(d)
    wq = "w \\odot Q" if d.spec.weight is not None else "Q"
    rhs = {
        "textbook": f"{s}\\left(P - Q\\right)",
        "weighted": f"{s}\\left(P \\odot \\operatorname{{sum}}_{{c}}({wq}) - {wq}\\right)",
        "one-hot": f"{s}\\left(P - \\operatorname{{onehot}}(t)\\right)",
        "sign": f"{s}\\left(Q - P\\right)",
        "unscaled": "P - Q",
    }[form.name]
    return f"{tensor_latex(gradient_key('X'))} = {rhs}"


def build(d: CrossEntropyDerivation) -> CrossEntropyContext:
    spec = d.spec
    e = d.expansion
    notation = Notation.of(e.tensors)
    x = e.tensor("X").symbols
    q = Grid(
        (spec.batch, spec.classes),
        tuple(exact_latex(v) for n in range(spec.batch) for v in spec.distribution(n)),
    )
    sums, _ = first_equations(
        [
            (
                f"S_{{{n + 1}}}",
                [" + ".join(f"e^{{{notation.symbol(x[(n, k)])}}}" for k in range(spec.classes))],
            )
            for n in range(spec.batch)
        ],
        SHOWN,
    )
    losses, _ = first_equations(
        [
            (notation.symbol(e.tensor("l").symbols[(n,)]), notation.expr_lines(v))
            for (n,), v in e.forward.items()
        ],
        SHOWN,
    )
    gradient, omitted = first_equations(
        [
            (notation.loss_derivative(x[i]), notation.expr_lines(v))
            for i, v in e.gradient("X").items()
        ],
        SHOWN,
    )
    torch_args = ["input", "target"]
    if spec.weight is not None:
        torch_args.append("weight=w")
    torch_args.append(f"reduction='{spec.reduction}'")
    if spec.label_smoothing:
        torch_args.append(f"label_smoothing={format_value(spec.label_smoothing)}")
    targets = spec.target or ()
    return {
        "layer": d.layer,
        "torch": f"cross_entropy({', '.join(torch_args)})",
        "n": spec.batch,
        "c": spec.classes,
        "class_targets": spec.target is not None,
        "targets": ", ".join(str(t) for t in targets),
        "columns": ", ".join(str(t + 1) for t in targets),
        "reduction": spec.reduction,
        "smoothing": format_value(spec.label_smoothing),
        "smoothed": bool(spec.label_smoothing),
        "weighted": spec.weight is not None,
        "weights": ", ".join(format_value(w) for w in spec.weight or ()),
        "normaliser": format_value(spec.normaliser),
        "q_matrix": matrix(q),
        "sums": sums,
        "losses": losses,
        "loss": notation.expr(sp.Add(*e.tensor("l").symbols.cells)),
        "gradient": gradient,
        "omitted": omitted,
        "identities": [form_latex(i.form, d) for i in d.identities if i.proof.holds],
        "textbook": any(i.form.name == "textbook" and i.proof.holds for i in d.identities),
        "scale": {"none": "", "sum": "1"}.get(spec.reduction, exact_latex(1 / spec.normaliser)),
        "tried": d.detections[0].tried,
        "verified": d.verified,
        "verification": [
            {
                "statement": form_latex(i.form, d),
                "elements": i.proof.elements,
                "holds": i.proof.holds,
            }
            for i in d.identities
        ],
    }


def build_json(d: CrossEntropyDerivation) -> Context:
    spec = d.spec
    e = d.expansion
    return {
        "schema": SCHEMA_VERSION,
        "layer": d.layer,
        "options": dict(d.options),
        "tensors": tensors_json(e.tensors),
        "distribution": [
            [exact_number(v) for v in spec.distribution(n)] for n in range(spec.batch)
        ],
        "scales": [str(s) for s in d.scales],
        "forward": {"l": e.forward.map(str).nested()},
        "loss": str(d.loss),
        "gradients": {"X": e.gradient("X").map(str).nested()},
        "identities": [
            identity_json(i, "cross_entropy_backward", form=i.form.name) for i in d.identities
        ],
        "searches": searches_json(d.detections),
        "verified": d.verified,
    }


VIEW = View(
    CrossEntropyDerivation,
    "cross_entropy",
    build,
    build_json,
    no_figures,
    numbered_identities,
    build_touches=expansion_touches,
)
