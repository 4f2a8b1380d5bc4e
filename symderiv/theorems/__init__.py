"""Theorems in symbolic sizes: the convolution, pooling, linear and normalisation identities
stated and proven for every size, with their proofs written out (``symderiv theorems``).

Stages: ``terms`` (the language), ``normal`` (the normaliser that decides equality),
``conv_terms`` (index forms), ``conv``, ``pool``, ``linear`` and ``norm`` (the theorems),
``printing`` (LaTeX).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from ..core.errors import SymderivError
from .result import Step, Theorem

__all__ = ["FAMILIES", "Step", "Theorem", "theorems"]


def _families() -> dict[str, tuple[Callable[[], Theorem], ...]]:
    from . import conv, linear, norm, pool

    return {
        "conv": conv.THEOREMS,
        "pool": pool.THEOREMS,
        "linear": linear.THEOREMS,
        "norm": norm.THEOREMS,
    }


FAMILIES = ("conv", "pool", "linear", "norm")


def theorems(family: str | None = None) -> list[tuple[int, Theorem]]:
    """Every theorem, numbered in one sequence, or one family's (with their numbers)."""
    if family is not None and family not in FAMILIES:
        raise SymderivError(
            f"theorems: unknown family {family!r}; choose one of {', '.join(FAMILIES)}"
        )
    numbered: list[tuple[int, Theorem]] = []
    number = 0
    for name, builders in _families().items():
        for build in builders:
            number += 1
            if family in (None, name):
                numbered.append((number, _proven(build)))
    return numbered


@functools.cache
def _proven(build: Callable[[], Theorem]) -> Theorem:
    """A theorem is proven once per process: its proof depends on nothing but the code."""
    return build()
