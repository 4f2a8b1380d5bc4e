"""What the linear layer's backward code says: its shapes and the identities it implements."""

from __future__ import annotations

from typing import Any

from ..layers.linear.spec import LinearSpec


def linear_context(derivation: Any, spec: LinearSpec) -> dict[str, Any]:
    return {
        "input_shape": "x".join(map(str, spec.input_shape)),
        "weight_shape": "x".join(map(str, spec.weight_shape)),
        "bias": spec.bias,
        "identities": [
            i.statement for i in derivation.identities if i.proof.holds and i.target != "Y"
        ],
    }


def flatten_context(derivation: Any) -> dict[str, Any]:
    spec = derivation.spec
    proven = [i.statement for i in derivation.identities if i.proof.holds]
    return {
        "input_shape": "x".join(map(str, spec.input)),
        "start_dim": spec.start_dim,
        "end_dim": spec.end_dim,
        "identity": proven[0] if proven else "",
    }
