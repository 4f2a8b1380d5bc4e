"""What every family's JSON shares: the schema version, the tensors / forward / gradients of a
polynomial expansion, and the verification block of a proof."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from typing import Any, TypeVar

from ..core.poly import Poly
from ..core.results import Expansion, Proof, Search, Tensor
from .latex import Notation

C = TypeVar("C")

SCHEMA_VERSION = 1


def tensors_json(tensors: Iterable[Tensor]) -> dict[str, Any]:
    """Each tensor's role, shape (PyTorch's layout) and symbol names, by key."""
    return {
        t.key: {
            "role": t.role.value,
            "shape": list(t.shape),
            "symbols": t.symbols.map(lambda s: s.name).nested(),
        }
        for t in tensors
    }


def expansion_json(expansion: Expansion) -> dict[str, Any]:
    """``tensors``, ``forward`` and ``gradients``: what every polynomial layer's JSON shares."""
    notation = Notation.of(expansion.tensors)

    def expression(p: Poly) -> str:
        return p.to_str(rank=notation.rank)

    return {
        "tensors": tensors_json(expansion.tensors),
        "forward": {expansion.output: expansion.forward.map(expression).nested()},
        "gradients": {key: grid.map(expression).nested() for key, grid in expansion.gradients},
    }


def searches_json(searches: Iterable[Search[C]]) -> list[dict[str, Any]]:
    """One entry per search: its target, operands, how many candidates, how many matched."""
    return [
        {
            "target": s.target,
            "operands": list(s.operands),
            "candidates_tried": s.tried,
            "matches": len(s.matches),
        }
        for s in searches
    ]


def verification(proof: Proof, elements: bool = True) -> dict[str, Any]:
    """``status``, ``method`` and (unless the proof has no elements to count) ``elements``."""
    block: dict[str, Any] = {
        "status": "proven" if proof.holds else "failed",
        "method": proof.method,
    }
    if elements:
        block["elements"] = proof.elements
    return block


def identity_json(identity: Any, kind: str, **about: Any) -> dict[str, Any]:
    """One proven identity: ``target``, ``statement``, ``kind``, what the family says ``about``
    its form, and ``verification``."""
    return {
        "target": identity.target,
        "statement": identity.statement,
        "kind": kind,
        **about,
        "verification": verification(identity.proof),
    }


def exact_number(v: Fraction) -> int | str:
    """An integer as a JSON number, any other rational as an exact string such as ``"3/4"``."""
    return v.numerator if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
