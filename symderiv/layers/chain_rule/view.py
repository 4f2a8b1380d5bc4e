"""The render context and the JSON of the chain-rule primer: its derivation as plain strings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

import sympy as sp

from ...core.family import View
from ...core.protocol import KeyEquation
from ...core.symbols import LOSS, partial
from ...render.json import SCHEMA_VERSION, verification
from . import figures
from .result import Case, Gate, PrimerDerivation

Context = dict[str, Any]


class PrimerContext(TypedDict):
    """The render context of the chain-rule primer: its two cases and the gate."""

    layer: str
    one_path: Context
    two_paths: Context
    gate: Context
    verified: bool


def _tex(e: sp.Expr) -> str:
    return str(sp.latex(e))


def _derivative(numerator: sp.Symbol, denominator: sp.Symbol, is_partial: bool) -> str:
    if is_partial:
        return partial(_tex(numerator), _tex(denominator))
    return f"\\frac{{d{_tex(numerator)}}}{{d{_tex(denominator)}}}"


def _factor(e: sp.Expr) -> str:
    return f"\\left({_tex(e)}\\right)" if isinstance(e, sp.Add) else _tex(e)


def _case(c: Case) -> Context:
    output, wrt = c.target
    lhs = _derivative(output, wrt, is_partial=False)
    rule = " + ".join(
        " ".join(_derivative(f.numerator, f.denominator, f.partial) for f in path)
        for path in c.paths
    )
    products = " + ".join(" \\cdot ".join(_factor(f.value) for f in path) for path in c.paths)
    return {
        "name": c.name,
        "definitions": [f"{_tex(v)} = {_tex(e)}" for v, e in c.definitions],
        "output": _tex(output),
        "input": _tex(wrt),
        "intermediates": [_tex(v) for v, _ in c.definitions[:-1]],
        "rule": f"{lhs} = {rule}",
        "factors": [
            ", \\quad ".join(
                f"{_derivative(f.numerator, f.denominator, f.partial)} = {_tex(f.value)}"
                for f in path
            )
            for path in c.paths
        ],
        "chained": f"{lhs} = {products} = {_tex(c.substituted)}",
        "composed": f"{_tex(output)} = {_tex(c.composed)}",
        "direct": f"{lhs} = {_tex(c.direct)}",
        "holds": c.proof.holds,
    }


def _gate(g: Gate) -> Context:
    upstream = partial(LOSS, _tex(g.output))
    return {
        "definition": f"{_tex(g.output)} = {_tex(g.function)}",
        "output": _tex(g.output),
        "inputs": [_tex(v) for v in g.inputs],
        "upstream": upstream,
        "local": [
            f"{partial(_tex(g.output), _tex(v))} = {_tex(d)}" for v, d in zip(g.inputs, g.local)
        ],
        "rule": f"{partial(LOSS, 'x')} = {upstream} \\, {partial(_tex(g.output), 'x')}",
        "downstream": [
            f"{partial(LOSS, _tex(v))} = {upstream} \\, {partial(_tex(g.output), _tex(v))}"
            f" = {upstream} \\, {_factor(d)}"
            for v, d in zip(g.inputs, g.local)
        ],
        "holds": g.proof.holds,
    }


def build(derivation: PrimerDerivation) -> PrimerContext:
    one_path, two_paths = derivation.cases
    return {
        "layer": derivation.layer,
        "one_path": _case(one_path),
        "two_paths": _case(two_paths),
        "gate": _gate(derivation.gate),
        "verified": derivation.verified,
    }


def build_json(derivation: PrimerDerivation) -> dict[str, Any]:

    g = derivation.gate
    return {
        "schema": SCHEMA_VERSION,
        "layer": derivation.layer,
        "options": dict(derivation.options),
        "cases": [
            {
                "name": c.name,
                "statement": c.statement,
                "definitions": {str(v): str(e) for v, e in c.definitions},
                "paths": [
                    [
                        {"of": str(f.numerator), "wrt": str(f.denominator), "value": str(f.value)}
                        for f in path
                    ]
                    for path in c.paths
                ],
                "chain_rule": str(c.chained),
                "substituted": str(c.substituted),
                "direct": str(c.direct),
                "verification": verification(c.proof, elements=False),
            }
            for c in derivation.cases
        ],
        "gate": {
            "statement": g.statement,
            "output": str(g.output),
            "function": str(g.function),
            "local_gradients": {str(v): str(d) for v, d in zip(g.inputs, g.local)},
            "downstream": {str(v): str(d) for v, d in zip(g.inputs, g.downstream)},
            "verification": verification(g.proof, elements=False),
        },
        "verified": derivation.verified,
    }


def _primer_equations(context: Mapping[str, Any]) -> list[KeyEquation]:
    return [
        ("one path", context["one_path"]["rule"]),
        ("two paths", context["two_paths"]["rule"]),
        ("gate", context["gate"]["rule"]),
    ]


VIEW = View(PrimerDerivation, "chain_rule", build, build_json, figures.build, _primer_equations)
