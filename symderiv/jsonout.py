"""The JSON form of a derivation: data for programs, the same in every language."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .latex import Notation
from .model import Identity
from .poly import Poly

if TYPE_CHECKING:
    from .derivation import Derivation

SCHEMA_VERSION = 1


def build(derivation: Derivation) -> dict[str, Any]:
    expansion = derivation.expansion
    notation = Notation.of(expansion.tensors)

    def expression(p: Poly) -> str:
        return p.to_str(notation.sort_key)

    return {
        "schema": SCHEMA_VERSION,
        "layer": derivation.layer,
        "options": dict(derivation.options),
        "tensors": {
            t.key: {
                "role": t.role.value,
                "shape": list(t.shape),
                "symbols": t.symbols.map(lambda s: s.name).nested(),
            }
            for t in expansion.tensors
        },
        "forward": {expansion.output: expansion.forward.map(expression).nested()},
        "gradients": {key: grid.map(expression).nested() for key, grid in expansion.gradients},
        "identities": [_identity(i) for i in derivation.identities],
        "searches": [
            {
                "target": d.target,
                "operands": list(d.operands),
                "candidates_tried": d.tried,
                "matches": len(d.matches),
            }
            for d in derivation.detections
        ],
        "verified": derivation.verified,
    }


def _identity(identity: Identity) -> dict[str, Any]:
    c = identity.candidate
    return {
        "target": identity.target,
        "statement": identity.statement,
        "kind": c.kind,
        "operation": c.operation.value,
        "mode": c.mode.value,
        "operands": [c.first, c.second],
        "second_rotated_180": c.rotate_second,
        "verification": {
            "status": "proven" if identity.proof.holds else "failed",
            "method": identity.proof.method,
            "elements": identity.proof.elements,
        },
    }
