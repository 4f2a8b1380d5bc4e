"""What a theorem is once proven: its statement, its hypotheses and its written proof, as
LaTeX strings and plain values, ready for the documents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Step:
    """One step of a written proof: ``kind`` names its justification (the documents word it,
    in each language); ``lines`` are displayed, ``notes`` listed inline (the rewrites)."""

    kind: str
    lines: tuple[str, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Theorem:
    key: str
    """Names the theorem's words in the documents: ``conv-input-gradient``."""
    family: str
    statement: tuple[str, ...]
    hypotheses: tuple[str, ...]
    steps: tuple[Step, ...]
    holds: bool
    dims: tuple[int, ...]
    """The numbers of spatial axes it was proven for (empty: the layer has none)."""
    checks: int
    """How many exact comparisons the proof made (normal forms, sizes, side conditions)."""


def as_data(number: int, theorem: Theorem, proofs: bool) -> dict[str, Any]:
    """The plain values the documents and the JSON show; a note ``kind:tex`` is split in two."""
    return {
        "number": number,
        "key": theorem.key,
        "family": theorem.family,
        "statement": list(theorem.statement),
        "hypotheses": list(theorem.hypotheses),
        "holds": theorem.holds,
        "dims": list(theorem.dims),
        "checks": theorem.checks,
        "steps": [
            {
                "kind": s.kind,
                "lines": list(s.lines),
                "notes": [{"kind": n.split(":", 1)[0], "tex": n.split(":", 1)[1]} for n in s.notes],
            }
            for s in theorem.steps
        ]
        if proofs
        else [],
    }
