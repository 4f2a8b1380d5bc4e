"""The verdict on a claim about a normalisation layer (``norm`` does the exact algebra)."""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..core.errors import SymderivError
from ..core.grid import Grid
from . import norm
from .syntax import Claim
from .verdict import Verdict, spelled

NORM_LAYERS = ("batchnorm", "layernorm", "groupnorm", "instancenorm")
TARGETS = {"dL/dx": "x", "dL/dgamma": "gamma", "dL/dbeta": "beta"}


def _readable(e: sp.Expr) -> str:
    return spelled(str(e)).replace("epsilon", "eps")


def judge_norm(claim: Claim, derivation: Any) -> Verdict:
    key = TARGETS.get(claim.target.name)
    if key is None:
        raise SymderivError(
            f"--claim: the left side {claim.target.name!r} is not derived here; claim one of "
            + ", ".join(TARGETS)
        )
    layer = norm.NormLayer.of(derivation)
    array = derivation.gradient(key)
    derived = Grid(tuple(array.shape), tuple(sp.flatten(array.tolist())))
    value = norm.evaluate(claim.expression, layer)
    if claim.target.index is not None:
        index = tuple(i - 1 for i in claim.target.index)
        if len(index) != len(derived.shape) or any(i >= n for i, n in zip(index, derived.shape)):
            raise SymderivError(
                f"--claim: {claim.target.name}{list(claim.target.index)} is outside it"
            )
        if isinstance(value, Grid):
            return Verdict(claim.text, False, 1, 1, None, "tensor")
        holds = norm.is_zero(value - derived[index], layer)
        shown = f"{claim.target.name}[{','.join(str(i + 1) for i in index)}]"
        first = None if holds else (shown, _readable(value), _readable(derived[index]))
        return Verdict(claim.text, holds, 1, 0 if holds else 1, first)
    if not isinstance(value, Grid):
        value = Grid(derived.shape, tuple(value for _ in derived.cells))
    if value.shape != derived.shape:
        size = "x".join(map(str, value.shape))
        return Verdict(
            claim.text,
            False,
            len(derived.cells),
            len(derived.cells),
            None,
            "shape",
            (size, claim.target.name, "x".join(map(str, derived.shape))),
        )
    wrong = norm.differing(value, derived, layer)
    if not wrong:
        return Verdict(claim.text, True, len(derived.cells), 0)
    position = list(derived.indices())[wrong[0]]
    shown = f"{claim.target.name}[{','.join(str(i + 1) for i in position)}]"
    first = (
        shown,
        _readable(norm.element(layer, value.cells[wrong[0]])),
        _readable(derived.cells[wrong[0]]),
    )
    mistakes = norm.mistakes(value, layer) if key == "x" else ()
    return Verdict(claim.text, False, len(derived.cells), len(wrong), first, mistakes=mistakes)
