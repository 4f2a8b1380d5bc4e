"""The render context of the normalisation layers: a derivation spelled as LaTeX strings and lists.

The worked example is the first group (channel 1 for batch norm, sample 1 for layer norm, ...);
the proofs cover every group. General-M formulas are written with a generic index i; every
concrete equation is printed from the SymPy result.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Any, TypedDict

import sympy as sp

from ...core.family import View
from ...core.protocol import KeyEquation
from ...core.results import ExpressionExpansion
from ...core.symbols import (
    BETA,
    EPSILON,
    GAMMA,
    MEAN,
    NORMALIZED,
    RUNNING_MEAN,
    RUNNING_VAR,
    VARIANCE,
    adjoint_symbol,
    element_latex,
    generic_latex,
    gradient_key,
    latex_base,
    needs_separators,
    partial,
    scalar_symbol,
)
from ...core.touches import Touches, touches
from ...render.latex import ElementPrinter, join_terms, size
from . import figures, json_view
from .result import NormDerivation, Statistic
from .spec import TORCH_FUNCTION

Context = dict[str, Any]


class NormBase(TypedDict):
    """What every normalisation document states: the layer, its groups, the worked group."""

    layer: str
    torch: str
    training: bool
    shape: str
    layout: str
    normalized_axes: list[str]
    count: int
    m_formula: str
    groups: int
    group_count_shape: str
    group_grid: bool
    channel_groups: int
    worked: Context
    members: list[str]
    shared_parameter: bool
    gamma: str
    beta: str
    parameter_shape: str
    eps: str
    eps_symbolic: bool
    elided: bool
    single_value: bool
    """M = 1 (layer or group norm): x-hat is 0, y = beta, dL/dx = 0."""
    general: Context
    verified: bool
    verification: list[Context]
    unbiased_factor: str


class _Forward(TypedDict):
    xhat_equations: list[Context]
    y_equations: list[Context]


class ForwardContext(_Forward, total=False):
    """The forward pass of the worked group: its statistics in training, the running ones in
    eval mode."""

    mean: Context
    variance: Context
    running_mean: str
    running_var: str


class _Stages(TypedDict):
    locals: list[str]
    parameter_equations: dict[str, list[Context]]
    xhat_adjoints: list[Context]
    x_adjoints: list[Context]
    compact_equations: list[Context]


class StagesContext(_Stages, total=False):
    """The backward pass stage by stage; the paths through mu and sigma^2 in training only."""

    variance_adjoint: Context
    mean_adjoint: Context
    mean_path: str


class NormContext(NormBase, ForwardContext, StagesContext):
    """The render context of batch, layer, group and instance normalisation."""


NESTED_TERMS = 5
"""A sum inside a product is broken across lines when it has more terms than this."""
SUM_LIMIT = 10
"""Sums with more terms than this are shown with their middle elided (the JSON has them all)."""
"""A sum inside a product is broken across lines when it has more terms than this."""
TERMS_SHOWN = 8
"""Groups with more values than this show their first and last equations only."""


# Reading order of the terms of a sum: the input before its mean, the variance before epsilon.
READING_ORDER = (
    "dL_dy",
    "dL_dxhat",
    "gamma",
    "xhat",
    "x",
    "mu",
    "running_mean",
    "sigma2",
    "running_var",
    "epsilon",
    "beta",
)


class NormPrinter(ElementPrinter):
    """Sums read as in course notes: x - mu, sigma^2 + epsilon, subtracted terms last; a fraction
    whose numerator is itself a fraction is written as a factor in front instead."""

    def _print_Mul(self, expr: sp.Expr) -> str:
        spelled = self._settings["element_latex"]
        nested = any(spelled.get(s, "").startswith("\\frac") for s in expr.free_symbols)
        saved = self._settings["long_frac_ratio"]
        self._settings["long_frac_ratio"] = 0 if nested else None
        try:
            return str(super()._print_Mul(expr))
        finally:
            self._settings["long_frac_ratio"] = saved

    def _as_ordered_terms(self, expr: sp.Expr, order: str | None = None) -> list[sp.Expr]:
        return sorted(expr.args, key=_reading_key)

    def _print_Add(self, expr: sp.Expr, order: str | None = None) -> str:
        texts = [str(self._print(t)) for t in self._as_ordered_terms(expr)]
        return join_terms(_elide(texts))


def _elide(terms: list[str]) -> list[str]:
    """The first and last terms of a sum too long to read, the middle left out."""
    return terms if len(terms) <= SUM_LIMIT else [*terms[:4], "\\cdots", *terms[-2:]]


def _long_product(term: sp.Expr) -> bool:
    """A product with a sum of more terms than fit on one line."""
    return isinstance(term, sp.Mul) and any(
        isinstance(a, sp.Add) and len(a.args) > NESTED_TERMS for a in term.args
    )


@functools.lru_cache(maxsize=4096)
def _reading_key(term: sp.Expr) -> tuple[bool, int, tuple[str | int, ...]]:
    """Where a term goes when a sum is read: positive terms first, then by the first tensor
    it names, then by its text with indices as numbers. Cached: a document sorts the same
    sums in several places, and spelling a term is SymPy's printing."""
    ranks = [_rank(s) for s in term.free_symbols]
    return (term.could_extract_minus_sign(), min(ranks, default=len(READING_ORDER)), _natural(term))


def _natural(term: sp.Expr) -> tuple[str | int, ...]:
    """Indices compared as numbers, so that x_9 comes before x_10."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", str(term)))


def _rank(s: sp.Symbol) -> int:
    head = s.name
    for rank, prefix in enumerate(READING_ORDER):
        if head == prefix or head.startswith(prefix + "_"):
            return rank
    return len(READING_ORDER)


class Spelling:
    """The LaTeX of every symbol of one derivation, and a printer that uses it."""

    def __init__(self, d: NormDerivation) -> None:
        separated = needs_separators([d.spec.shape, d.spec.statistics_shape])
        spelled: dict[sp.Symbol, str] = {}
        for tensor in d.tensors:
            for index, s in tensor.symbols.items():
                spelled[s] = element_latex(tensor.key, index, separated)
        for index in d.tensor("x").symbols.indices():
            xhat = d.graph_symbol(NORMALIZED, index)
            spelled[xhat] = element_latex(NORMALIZED, index, separated)
            spelled[adjoint_symbol(xhat)] = element_latex(
                gradient_key(NORMALIZED), index, separated
            )
        single = len(d.statistics) == 1
        if d.spec.training:
            for stat in d.statistics:
                index = () if single else stat.key
                for key, s in ((MEAN, stat.mean), (VARIANCE, stat.variance)):
                    spelled[s] = element_latex(key, index, separated)
                    spelled[adjoint_symbol(s)] = element_latex(gradient_key(key), index, separated)
        spelled[scalar_symbol(EPSILON)] = latex_base(EPSILON)
        self.separated = separated
        self.spelled = spelled
        self.printer = NormPrinter({"element_latex": spelled})

    def __call__(self, e: sp.Expr | sp.Symbol) -> str:
        if isinstance(e, sp.Symbol) and e in self.spelled:
            return self.spelled[e]
        return str(self.printer.doprint(e))

    def lines(self, e: sp.Expr, per_line: int = 2) -> list[str]:
        """A long sum broken into lines of a few terms, each later line starting with its sign;
        a term that is itself a factor times a long sum is broken the same way, in parentheses."""
        if not isinstance(e, sp.Add):
            return [self(e)]
        out: list[str] = []
        chunk: list[str] = []

        def flush() -> None:
            if chunk:
                text = join_terms(chunk)
                out.append(text if not out or text.startswith("- ") else "+ " + text)
                chunk.clear()

        ordered = sorted(e.args, key=_reading_key)
        shown: list[sp.Expr | None] = (
            ordered if len(ordered) <= SUM_LIMIT else [*ordered[:4], None, *ordered[-2:]]
        )
        for term in shown:
            if term is None:
                chunk.append("\\cdots")
                if len(chunk) == per_line:
                    flush()
                continue
            negative = term.could_extract_minus_sign()
            if _long_product(-term if negative else term):
                flush()
                nested = self.product_lines(-term if negative else term)
                out.append(("- " if negative else "+ " if out else "") + nested[0])
                out.extend(nested[1:])
                continue
            chunk.append(self(term))
            if len(chunk) == per_line:
                flush()
        flush()
        return out

    def product_lines(self, e: sp.Expr, per_line: int = 4) -> list[str]:
        """A factor times a long sum, the sum broken into lines inside big parentheses."""
        sums = [a for a in e.args if isinstance(a, sp.Add)] if isinstance(e, sp.Mul) else []
        if len(sums) != 1:
            return [self(e)]
        (inner,) = sums
        front = self(sp.Mul(*(a for a in e.args if a is not inner)))
        lines = self.lines(inner, per_line)
        lines[0] = f"{front} \\Bigl( {lines[0]}"
        lines[-1] = f"{lines[-1]} \\Bigr)"
        return lines

    def derivative(self, numerator: sp.Symbol, denominator: sp.Symbol) -> str:
        return partial(self.spelled[numerator], self.spelled[denominator])


def build(d: NormDerivation) -> NormContext:
    spec = d.spec
    spell = Spelling(d)
    stat = d.statistics[0]
    members = list(stat.members)
    x = d.tensor("x").symbols
    gamma, beta = d.tensor(GAMMA).symbols, d.tensor(BETA).symbols
    params = sorted({spec.parameter_of(i) for i in members})
    shown = _shown(members)
    base: NormBase = {
        "layer": spec.kind,
        "torch": f"torch.nn.functional.{_torch(spec.kind)}",
        "training": spec.training,
        "shape": size(spec.shape),
        "layout": " \\times ".join(spec.axis_names),
        "normalized_axes": [spec.axis_names[a] for a in spec.normalized_axes],
        "count": spec.m,
        "m_formula": spec.m_formula.replace("*", " \\cdot "),
        "groups": len(d.statistics),
        "group_count_shape": size(spec.statistics_shape),
        "group_grid": len(spec.statistics_shape) > 1,
        "channel_groups": spec.groups,
        "worked": _worked(d, stat),
        "members": [spell(x[i]) for i in members],
        "shared_parameter": spec.shared_parameter,
        "gamma": spell(gamma[params[0]]),
        "beta": spell(beta[params[0]]),
        "parameter_shape": size(spec.parameter_shape),
        "eps": spell(d.epsilon),
        "eps_symbolic": spec.eps is None,
        "elided": len(shown) < len(members),
        "single_value": spec.m == 1,
        "general": _general(d),
        "verified": d.verified,
        "verification": [
            {
                "statement": _statement(d, identity.form),
                "elements": identity.proof.elements,
                "holds": identity.proof.holds,
                "method": identity.proof.method,
                "general": identity.form == "compact_general",
            }
            for identity in d.identities
        ],
        "unbiased_factor": spell(_rational(spec.unbiased_factor)) if spec.m > 1 else "",
    }
    return {**base, **_forward(d, spell, stat, shown), **_stages(d, spell, stat, shown, params)}


def _rational(value: Fraction) -> sp.Rational:
    return sp.Rational(value.numerator, value.denominator)


def _torch(kind: str) -> str:
    return TORCH_FUNCTION[kind]


def _shown(members: list[Any]) -> list[Any]:
    if len(members) <= TERMS_SHOWN:
        return members
    return [*members[:3], None, *members[-2:]]


def _worked(d: NormDerivation, stat: Statistic) -> Context:
    """Which group the worked example is, as 1-based numbers the template puts into words."""
    key = [k + 1 for k in stat.key]
    kind = d.spec.kind
    if kind == "batchnorm":
        return {"channel": key[0]}
    if kind == "layernorm":
        return {"sample": key[0]}
    if kind == "instancenorm":
        return {"sample": key[0], "channel": key[1]}
    channels = [i[1] + 1 for i in stat.members]
    return {
        "sample": key[0],
        "group": key[1],
        "first_channel": min(channels),
        "last_channel": max(channels),
    }


def _equation(lhs: str, rhs: str | list[str]) -> Context:
    return {"lhs": lhs, "lines": [rhs] if isinstance(rhs, str) else rhs}


def _elision() -> Context:
    return {"lhs": "\\vdots", "lines": ["\\vdots"]}


def _forward(
    d: NormDerivation, spell: Spelling, stat: Statistic, shown: list[Any]
) -> ForwardContext:
    definition = {n.symbol: n.definition for n in d.nodes}
    y = d.tensor("y").symbols
    xhat = [
        _elision()
        if i is None
        else _equation(
            spell(d.graph_symbol(NORMALIZED, i)), spell(definition[d.graph_symbol(NORMALIZED, i)])
        )
        for i in shown
    ]
    outputs = [
        _elision() if i is None else _equation(spell(y[i]), spell(definition[y[i]])) for i in shown
    ]
    context: ForwardContext = {"xhat_equations": xhat, "y_equations": outputs}
    if d.spec.training:
        context["mean"] = _equation(spell(stat.mean), spell(definition[stat.mean]))
        context["variance"] = _equation(
            spell(stat.variance), spell.lines(definition[stat.variance], 4)
        )
    else:
        context["running_mean"] = spell(stat.mean)
        context["running_var"] = spell(stat.variance)
    return context


def _stages(
    d: NormDerivation, spell: Spelling, stat: Statistic, shown: list[Any], params: list[Any]
) -> StagesContext:
    staged = d.graph.staged
    x = d.tensor("x").symbols
    gamma, beta = d.tensor(GAMMA).symbols, d.tensor(BETA).symbols
    first = stat.members[0]
    first_xhat = d.graph_symbol(NORMALIZED, first)
    edges = {(e.child, e.parent): e.local for e in d.graph.edges}

    def local(child: sp.Symbol, parent: sp.Symbol) -> str:
        return spell.derivative(child, parent) + " = " + spell(edges[(child, parent)])

    def adjoint(s: sp.Symbol) -> str:
        return spell(adjoint_symbol(s)) if s not in x.cells else partial("L", spell(s))

    def equations(symbols: list[Any]) -> list[Context]:
        return [
            _elision()
            if s is None
            else _equation(partial("L", spell(s)), spell.lines(staged[s], 4))
            for s in symbols
        ]

    y_first = d.tensor("y").symbols[first]
    locals_ = [
        local(y_first, first_xhat),
        local(y_first, gamma[d.spec.parameter_of(first)]),
        local(y_first, beta[d.spec.parameter_of(first)]),
        local(first_xhat, x[first]),
    ]
    context: StagesContext = {
        "locals": locals_,
        "parameter_equations": {
            "beta": equations([beta[p] for p in params[:TERMS_SHOWN]]),
            "gamma": equations([gamma[p] for p in params[:TERMS_SHOWN]]),
        },
        "xhat_adjoints": equations(
            [None if i is None else d.graph_symbol(NORMALIZED, i) for i in shown]
        ),
        "x_adjoints": equations([None if i is None else x[i] for i in shown]),
        "compact_equations": [
            _elision()
            if i is None
            else _equation(partial("L", spell(x[i])), spell.product_lines(d.compact[i]))
            for i in shown
        ],
    }
    if d.spec.training:
        mean, variance = stat.mean, stat.variance
        locals_ += [
            local(first_xhat, mean),
            local(first_xhat, variance),
            local(variance, x[first]),
            local(variance, mean),
            local(mean, x[first]),
        ]
        context["variance_adjoint"] = _equation(adjoint(variance), spell.lines(staged[variance]))
        context["mean_adjoint"] = _equation(adjoint(mean), spell.lines(staged[mean]))
        context["mean_path"] = (
            spell.derivative(variance, mean) + " = " + spell(edges[(variance, mean)])
        )
    return context


def _general(d: NormDerivation) -> Context:
    """The formulas for any M, with a generic index: spelled, not computed."""
    i, j = "i", "j"
    x_i = generic_latex("x", i)
    xh_i, xh_j = generic_latex(NORMALIZED, i), generic_latex(NORMALIZED, j)
    dy_i, dy_j = generic_latex(gradient_key("y"), i), generic_latex(gradient_key("y"), j)
    dxh_i, dxh_j = (
        generic_latex(gradient_key(NORMALIZED), i),
        generic_latex(gradient_key(NORMALIZED), j),
    )
    dx_i = generic_latex(gradient_key("x"), i)
    shared = d.spec.shared_parameter
    g = latex_base(GAMMA) if shared else generic_latex(GAMMA, i)
    b = latex_base(BETA) if shared else generic_latex(BETA, i)
    gamma, beta, y_i = latex_base(GAMMA), latex_base(BETA), generic_latex("y", i)
    mu, var, eps = latex_base(MEAN), latex_base(VARIANCE), latex_base(EPSILON)
    rm, rv = latex_base(RUNNING_MEAN), latex_base(RUNNING_VAR)
    sum_i, sum_j = "\\sum_{i=1}^{M}", "\\sum_{j=1}^{M}"
    root = f"\\sqrt{{{var} + {eps}}}"
    dmu, dvar = generic_latex(gradient_key(MEAN), ""), generic_latex(gradient_key(VARIANCE), "")
    if shared:
        compact = (
            f"{dx_i} = \\frac{{{g}}}{{M {root}}} \\left( M {dy_i} - {sum_j} {dy_j}"
            f" - {xh_i} {sum_j} {dy_j} \\, {xh_j} \\right)"
        )
    else:
        compact = (
            f"{dx_i} = \\frac{{1}}{{M {root}}} \\left( M {dxh_i} - {sum_j} {dxh_j}"
            f" - {xh_i} {sum_j} {dxh_j} \\, {xh_j} \\right)"
        )
    return {
        "mean": f"{mu} = \\frac{{1}}{{M}} {sum_i} {x_i}",
        "variance": f"{var} = \\frac{{1}}{{M}} {sum_i} \\left( {x_i} - {mu} \\right)^2",
        "xhat": f"{xh_i} = \\frac{{{x_i} - {mu}}}{{{root}}}",
        "xhat_eval": f"{xh_i} = \\frac{{{x_i} - {rm}}}{{\\sqrt{{{rv} + {eps}}}}}",
        "y": f"{generic_latex('y', i)} = {g} \\, {xh_i} + {b}",
        "graph": [
            f"{x_i} \\to {mu}, \\; {var}, \\; {xh_i}",
            f"{mu} \\to {var}, \\; {xh_i}",
            f"{var} \\to {xh_i}",
            f"{xh_i} \\to {generic_latex('y', i)} \\to L",
        ],
        "stage_beta": f"{partial('L', beta)} = \\sum_{{i}} {dy_i} \\, {partial(y_i, beta)}",
        "stage_gamma": f"{partial('L', gamma)} = \\sum_{{i}} {dy_i} \\, {partial(y_i, gamma)}",
        "stage_xhat": f"{dxh_i} = {dy_i} \\, {partial(generic_latex('y', i), xh_i)}",
        "stage_variance": f"{dvar} = {sum_i} {dxh_i} \\, {partial(xh_i, var)}",
        "stage_mean": (
            f"{dmu} = {sum_i} {dxh_i} \\, {partial(xh_i, mu)} + {dvar} \\, {partial(var, mu)}"
        ),
        "stage_x": (
            f"{dx_i} = {dxh_i} \\, {partial(xh_i, x_i)} + {dvar} \\, {partial(var, x_i)}"
            f" + {dmu} \\, {partial(mu, x_i)}"
        ),
        "compact": compact,
        "g_definition": f"{dxh_i} = {g} \\, {dy_i}",
        "compact_g": (
            f"{dx_i} = \\frac{{1}}{{M {root}}} \\left( M {dxh_i} - {sum_j} {dxh_j}"
            f" - {xh_i} {sum_j} {dxh_j} \\, {xh_j} \\right)"
        ),
        "eval": f"{dx_i} = \\frac{{{g} \\, {dy_i}}}{{\\sqrt{{{rv} + {eps}}}}}",
        "running_update": (
            f"{rv} \\leftarrow (1 - m) \\, {rv} + m \\, \\frac{{M}}{{M - 1}} \\, {var}"
        ),
    }


def _statement(d: NormDerivation, name: str) -> str:
    general = _general(d)
    g = latex_base(GAMMA)
    b = latex_base(BETA)
    dy = generic_latex(gradient_key("y"), "i")
    xh = generic_latex(NORMALIZED, "i")
    statements: dict[str, str] = {
        "beta": f"{partial('L', b)} = \\sum_{{i}} {dy}",
        "gamma": f"{partial('L', g)} = \\sum_{{i}} {dy} \\, {xh}",
        "mean_path": f"{partial(latex_base(VARIANCE), latex_base(MEAN))} = 0",
        "compact": general["compact"],
        "compact_general": general["compact_g"],
        "eval": general["eval"],
    }
    return statements[name]


def _normalization_equations(context: Mapping[str, Any]) -> list[KeyEquation]:
    general = context["general"]
    return [
        ("beta", general["stage_beta"]),
        ("gamma", general["stage_gamma"]),
        ("compact", general["compact"]),
    ]


def _touches(d: NormDerivation) -> Touches:
    """The explorer's relation: y by its definition, dL/dx by the compact formula (in training;
    the staged result in eval mode) and the parameter gradients as staged, all in x-hat, mu and
    sigma^2; each of those stands for the inputs it is defined by, so that an element marks its
    whole group (a channel across the batch for batch norm, a sample for layer norm)."""
    by_symbol = {n.symbol: n.definition for n in d.nodes}
    forward = d.tensor("y").symbols.map(lambda s: by_symbol[s])
    gradient_x = d.compact if d.spec.training else d.staged_gradient("x")
    expansion = ExpressionExpansion(
        tensors=d.tensors,
        output="y",
        forward=forward,
        local_gradients=(),
        gradients=(
            ("x", gradient_x),
            (GAMMA, d.staged_gradient(GAMMA)),
            (BETA, d.staged_gradient(BETA)),
        ),
    )
    spelling = Spelling(d)
    return touches(
        expansion,
        separated=spelling.separated,
        through={s: v.free_symbols for s, v in d.definitions().items()},
        spelled=spelling.spelled,
    )


VIEW = View(
    NormDerivation,
    "normalization",
    build,
    json_view.build,
    figures.build,
    _normalization_equations,
    build_touches=_touches,
)
