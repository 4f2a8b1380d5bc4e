"""The JSON form of a normalisation derivation: data for programs, the same in every language.

Expressions are SymPy-parsable strings. Gradients and outputs use the statistics symbols (``mu``,
``sigma2``, or ``mu_1_2`` per group); ``statistics`` gives each one's definition in the inputs, to
substitute means first, then variances. In eval mode the statistics are the running buffers.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ...core.symbols import BETA, GAMMA, NORMALIZED, element_symbol
from ...render.json import SCHEMA_VERSION, tensors_json, verification
from .result import NormDerivation


def build(d: NormDerivation) -> dict[str, Any]:
    spec = d.spec
    definition = {n.symbol: n.definition for n in d.nodes}
    x = d.tensor("x").symbols
    xhat = {
        element_symbol(NORMALIZED, i): definition[element_symbol(NORMALIZED, i)]
        for i in x.indices()
    }

    def text(e: sp.Expr) -> str:
        return str(e.xreplace(xhat))

    return {
        "schema": SCHEMA_VERSION,
        "layer": spec.kind,
        "options": dict(spec.options()),
        "axes": {
            "layout": list(spec.axis_names),
            "normalized": [spec.axis_names[a] for a in spec.normalized_axes],
            "M": spec.m,
            "groups": len(d.statistics),
        },
        "epsilon": str(d.epsilon),
        "tensors": tensors_json(d.tensors),
        "statistics": [
            {
                "group": [k + 1 for k in stat.key],
                "members": [[k + 1 for k in i] for i in stat.members],
                "mean": stat.mean.name,
                "variance": stat.variance.name,
                **(
                    {
                        "mean_definition": str(definition[stat.mean]),
                        "variance_definition": str(definition[stat.variance]),
                    }
                    if spec.training
                    else {}
                ),
            }
            for stat in d.statistics
        ],
        "forward": {"y": d.tensor("y").symbols.map(lambda s: text(definition[s])).nested()},
        "gradients": {
            "x": d.compact.map(text).nested(),
            GAMMA: d.staged_gradient(GAMMA).map(text).nested(),
            BETA: d.staged_gradient(BETA).map(text).nested(),
        },
        "identities": [
            {
                "target": identity.target,
                "name": identity.form,
                "statement": identity.statement,
                "verification": verification(identity.proof),
            }
            for identity in d.identities
        ],
        "verified": d.verified,
    }
