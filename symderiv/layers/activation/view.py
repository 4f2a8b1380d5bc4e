"""The render context and the JSON of an activation: its derivation as strings and lists."""

from __future__ import annotations

from fractions import Fraction
from typing import Any, TypedDict

import sympy as sp

from ...core.family import View, expansion_touches, no_figures, numbered_identities
from ...core.grid import Grid
from ...core.symbols import gradient_key, tensor_latex
from ...core.values import format_value
from ...render.json import SCHEMA_VERSION, identity_json, searches_json, tensors_json
from ...render.latex import Notation, first_equations, matrix, size
from .result import ActivationDerivation
from .search import Factor
from .spec import exact_text

Context = dict[str, Any]
SHOWN = 6
"""Element equations shown per stage before the rest is left to --format json."""
LONG = 90
"""Characters of LaTeX beyond which an expression is split (a sum) or named (a gradient)."""

OPERATOR = {
    "relu": "\\operatorname{ReLU}",
    "leaky-relu": "\\operatorname{LeakyReLU}",
    "sigmoid": "\\sigma",
    "tanh": "\\tanh",
    "gelu": "\\operatorname{GELU}",
    "softplus": "\\operatorname{softplus}",
}
TORCH = {
    "relu": "torch.nn.functional.relu(input)",
    "leaky-relu": "torch.nn.functional.leaky_relu(input, negative_slope={slope})",
    "sigmoid": "torch.sigmoid(input)",
    "tanh": "torch.tanh(input)",
    "gelu": "torch.nn.functional.gelu(input, approximate='{approximate}')",
    "softplus": "torch.nn.functional.softplus(input, beta={beta}, threshold={threshold})",
}


class ActivationContext(TypedDict):
    layer: str
    torch: str
    operator: str
    x_size: str
    piecewise: bool
    values_from: str
    seed: int | None
    slope: str
    beta: str
    threshold: str
    approximate: str
    definition: str
    derivative: str
    matrices: list[Context]
    forward: list[Context]
    forward_omitted: int
    local: list[Context]
    gradient: list[Context]
    omitted: int
    identities: list[str]
    tried: int
    verified: bool
    verification: list[Context]


def _number(v: Fraction | sp.Expr) -> str:
    return format_value(Fraction(int(v.p), int(v.q))) if isinstance(v, sp.Rational) else str(v)


def _scaled(coefficient: Fraction, tensor: str) -> str:
    return tensor if coefficient == 1 else f"{format_value(coefficient)}\\,{tensor}"


def factor_latex(factor: Factor, d: ActivationDerivation) -> str:
    """h in print: the factor of dL/dY in the identity dL/dX = dL/dY ⊙ h."""
    spec = d.spec
    t = factor.of
    slope = format_value(spec.negative_slope)
    return {
        "one": "",
        "sigmoid": f"\\sigma({t}) \\odot \\left(1 - \\sigma({t})\\right)"
        if t == "X"
        else "Y \\odot (1 - Y)",
        "tanh": "\\left(1 - \\tanh^{2} X\\right)" if t == "X" else "\\left(1 - Y \\odot Y\\right)",
        "gelu": "\\left(\\Phi(X) + X \\odot \\varphi(X)\\right)",
        "gelu-tanh": "\\left(\\tfrac{1}{2}(1 + \\tanh U) + \\tfrac{1}{2} X \\odot "
        "(1 - \\tanh^{2} U) \\odot U'\\right)",
        "softplus": f"\\sigma({_scaled(spec.beta, 'X')})"
        if t == "X"
        else f"\\left(1 - e^{{-{_scaled(spec.beta, 'Y')}}}\\right)",
        "step": f"\\mathbf{{1}}[{t} > 0]",
        "leaky-step": f"\\left(\\mathbf{{1}}[{t} > 0] + {slope}\\,"
        f"\\mathbf{{1}}[{t} \\le 0]\\right)",
    }[factor.name]


def statement_latex(factor: Factor, d: ActivationDerivation) -> str:
    h = factor_latex(factor, d)
    rhs = tensor_latex(gradient_key("Y")) + (f" \\odot {h}" if h else "")
    return f"{tensor_latex(gradient_key('X'))} = {rhs}"


def diagonal(d: ActivationDerivation) -> Grid[sp.Expr]:
    """dY_i/dX_i for every element; a branch without X_i (ReLU below 0) has none, so 0."""
    by_output = {p.output: p.value for p in d.expansion.local_gradients}
    return d.expansion.tensor("Y").symbols.map(lambda s: by_output.get(s, sp.Integer(0)))


def _matrix(values: Grid[Any]) -> str:
    cells = values.map(_number)
    return matrix(cells if len(cells.shape) == 2 else Grid((1, len(cells.cells)), cells.cells))


def build(d: ActivationDerivation) -> ActivationContext:
    spec = d.spec
    e = d.expansion
    notation = Notation.of(e.tensors)
    x, y = e.tensor("X").symbols, e.tensor("Y").symbols
    op = OPERATOR[spec.function]
    values = spec.values
    forward: list[tuple[str, list[str]]] = []
    for i, element in e.forward.items():
        applied = f"{op}({notation.symbol(x[i])})"
        if values is None:
            forward.append((notation.symbol(y[i]), [f"{applied} = {notation.expr(element)}"]))
        else:
            number = format_value(values[i])
            forward.append(
                (
                    notation.symbol(y[i]),
                    [f"{applied} = {op}({number}) = {_number(d.outputs[i])}"],
                )
            )
    partials = diagonal(d)
    local = [
        (notation.derivative(y[i], x[i]), notation.expr_lines(partials[i])) for i in x.indices()
    ]
    gradient = []
    for i, v in e.gradient("X").items():
        text = notation.expr(v)
        if len(text) > LONG:  # the local gradient above, by name: one line instead of three
            text = f"{notation.loss_derivative(y[i])} \\cdot {notation.derivative(y[i], x[i])}"
        gradient.append((notation.loss_derivative(x[i]), [text]))
    matrices: list[Context] = []
    if values is not None and len(spec.input) <= 2:
        matrices = [
            {"name": "X", "matrix": _matrix(values)},
            {"name": "Y", "matrix": _matrix(d.outputs)},
        ]
    forward_lines, forward_omitted = first_equations(forward, SHOWN)
    local_lines, _ = first_equations(local, SHOWN)
    gradient_lines, omitted = first_equations(gradient, SHOWN)
    return {
        "layer": d.layer,
        "torch": TORCH[spec.function].format(
            slope=format_value(spec.negative_slope),
            approximate=spec.approximate,
            beta=format_value(spec.beta),
            threshold=format_value(spec.threshold),
        ),
        "operator": op,
        "x_size": size(spec.input),
        "piecewise": spec.piecewise,
        "values_from": spec.values_from,
        "seed": spec.seed,
        "slope": format_value(spec.negative_slope),
        "beta": format_value(spec.beta),
        "threshold": format_value(spec.threshold),
        "approximate": spec.approximate,
        "definition": notation.expr(d.scalar_definition),
        "derivative": notation.expr(d.scalar_derivative),
        "matrices": matrices,
        "forward": forward_lines,
        "forward_omitted": forward_omitted,
        "local": local_lines,
        "gradient": gradient_lines,
        "omitted": omitted,
        "identities": [statement_latex(i.form, d) for i in d.identities if i.proof.holds],
        "tried": d.detections[0].tried,
        "verified": d.verified,
        "verification": [
            {
                "statement": statement_latex(i.form, d),
                "elements": i.proof.elements,
                "holds": i.proof.holds,
            }
            for i in d.identities
        ],
    }


def _exact(v: sp.Expr) -> int | str:
    if isinstance(v, sp.Rational):
        return exact_text(Fraction(int(v.p), int(v.q)))
    return str(v)


def build_json(d: ActivationDerivation) -> Context:
    e = d.expansion
    spec = d.spec
    extra: Context = {}
    if spec.values is not None:
        extra["values"] = {
            "X": spec.values.map(exact_text).nested(),
            "Y": d.outputs.map(_exact).nested(),
        }
    return {
        "schema": SCHEMA_VERSION,
        "layer": d.layer,
        "options": dict(d.options),
        "tensors": tensors_json(e.tensors),
        **extra,
        "forward": {"Y": e.forward.map(str).nested()},
        "local_gradients": {"dY/dX": diagonal(d).map(str).nested()},
        "gradients": {"X": e.gradient("X").map(str).nested()},
        "rule": {"f": str(d.scalar_definition), "df/dx": str(d.scalar_derivative)},
        "identities": [
            identity_json(i, "elementwise_product", factor=i.form.text, in_terms_of=i.form.of)
            for i in d.identities
        ],
        "searches": searches_json(d.detections),
        "verified": d.verified,
    }


VIEW = View(
    ActivationDerivation,
    "activation",
    build,
    build_json,
    no_figures,
    numbered_identities,
    build_touches=expansion_touches,
)
