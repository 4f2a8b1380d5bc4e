"""The JSON form of a pooling derivation: data for programs, the same in every language."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ...core.grid import Grid
from ...core.values import format_value
from ...render.json import SCHEMA_VERSION, expansion_json, searches_json, verification
from ...render.worked import worked_json
from .result import PoolDerivation


def value(v: Fraction | None) -> int | str | None:
    """Integers as JSON numbers; other values as exact strings ("2.5", "1/3"); padding as null."""
    if v is None:
        return None
    return v.numerator if v.denominator == 1 else format_value(v)


def build(d: PoolDerivation) -> dict[str, Any]:
    expansion = d.expansion
    x = expansion.tensor("X")
    o_symbols = expansion.tensor("O").symbols

    data: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "layer": d.layer,
        "options": {key: v for key, v in d.options},
        **expansion_json(expansion),
    }
    if d.kind == "max":
        assert d.values is not None and d.outputs is not None
        counts: dict[Any, int] = {}
        for s in d.selections:
            counts[s.winner] = counts.get(s.winner, 0) + 1
        data["values"] = {"X": d.values.map(value).nested(), "O": d.outputs.map(value).nested()}
        data["windows"] = [
            {
                "output": o_symbols[s.window.output].name,
                "cells": [None if c is None else x.symbols[c].name for c in s.window.cells],
                "values": [value(v) for v in s.values],
                "max": value(s.maximum),
                "selected": x.symbols[s.winner].name,
                "tied": [x.symbols[c].name for c in s.tied],
            }
            for s in d.selections
        ]
        data["switch_counts"] = _counts(d, counts)
    else:
        assert d.divisors is not None
        data["divisors"] = d.divisors.nested()
        data.update(worked_json(d.worked, expansion))
    data["identities"] = [
        {
            "target": i.target,
            "statement": i.statement,
            "kind": i.form.value,
            "verification": verification(i.proof),
        }
        for i in d.identities
    ]
    data["searches"] = searches_json(d.detections)
    data["verified"] = d.verified
    return data


def _counts(d: PoolDerivation, counts: dict[Any, int]) -> Any:
    """How many windows route their gradient to each input cell (0 off the switches)."""
    return Grid.build(d.geometry.input, lambda i: counts.get(i, 0)).nested()
