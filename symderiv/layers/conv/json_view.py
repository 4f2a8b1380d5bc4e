"""The JSON form of a derivation: data for programs, the same in every language."""

from __future__ import annotations

from typing import Any

from ...render.json import SCHEMA_VERSION, expansion_json, searches_json, verification
from ...render.worked import worked_json
from .candidates import ConvIdentity, LayerCandidate
from .facts import axis_sizes, zero_gradients
from .result import Derivation
from .spec import ConvSpec


def build(derivation: Derivation) -> dict[str, Any]:
    expansion = derivation.expansion
    data = {
        "schema": SCHEMA_VERSION,
        "layer": derivation.spec.function if derivation.spec else derivation.layer,
        "options": dict(derivation.options),
        **expansion_json(expansion),
        **worked_json(derivation.worked, expansion),
        "identities": [_identity(i) for i in derivation.identities],
        "searches": searches_json(derivation.detections),
        "verified": derivation.verified,
    }
    spec = derivation.spec
    if spec is not None and not spec.plain_correlation_2d:
        data.update(_geometry(derivation, spec))
    return data


def _geometry(derivation: Derivation, spec: ConvSpec) -> dict[str, Any]:
    """What the general convolution adds: the layout, the output size per axis with the numbers
    that go into it, and the elements whose gradient is exactly zero (1-based)."""
    layout = "N C " + {1: "L", 2: "H W", 3: "D H W"}[spec.dims] if spec.channelled else "spatial"
    return {
        "layout": layout,
        "output_size": [
            {
                "input": a.input,
                "kernel": a.kernel,
                "stride": a.stride,
                "padding": a.padding,
                "dilation": a.dilation,
                "output_padding": a.output_padding,
                "output": a.output,
                "remainder": a.remainder,
            }
            for a in axis_sizes(spec)
        ],
        "zero_gradients": {
            z.key: [[i + 1 for i in index] for index in z.elements]
            for z in zero_gradients(spec, derivation.expansion)
        },
    }


def _identity(identity: ConvIdentity) -> dict[str, Any]:
    c = identity.form
    if isinstance(c, LayerCandidate):
        return _layer_identity(identity, c)
    return {
        "target": identity.target,
        "statement": identity.statement,
        "kind": c.kind,
        "operation": c.operation.value,
        "mode": c.mode.value,
        "operands": [c.first, c.second],
        "second_rotated_180": c.rotate_second,
        "verification": verification(identity.proof),
    }


def _layer_identity(identity: ConvIdentity, c: LayerCandidate) -> dict[str, Any]:
    operands = [c.first] + ([c.second] if c.second else []) + ([c.bias] if c.bias else [])
    return {
        "target": identity.target,
        "statement": identity.statement,
        "kind": c.kind,
        "function": c.function,
        "operands": operands,
        "second_flipped": c.flip_second,
        "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in c.settings()},
        **({"keep": list(c.keep)} if c.keep else {}),
        "verification": verification(identity.proof),
    }
