"""What a theorem is once proven: its statement, its hypotheses and its written proof, as
LaTeX strings and plain values, ready for the documents."""

from __future__ import annotations

from dataclasses import dataclass


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
