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

__all__ = ["FAMILIES", "Step", "Theorem", "keys", "theorems", "theorems_of"]


def _families() -> dict[str, dict[str, Callable[[], Theorem]]]:
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
        for key, build in builders.items():
            number += 1
            if family in (None, name):
                numbered.append((number, _proven(key, build)))
    return numbered


def keys() -> tuple[str, ...]:
    """Every theorem's key, in the order of their numbers; nothing is proven."""
    return tuple(key for builders in _families().values() for key in builders)


def theorems_of(keys: tuple[str, ...]) -> list[tuple[int, Theorem]]:
    """The theorems with these keys, with their numbers, proving only those."""
    numbered: list[tuple[int, Theorem]] = []
    everything = [item for builders in _families().values() for item in builders.items()]
    for number, (key, build) in enumerate(everything, start=1):
        if key in keys:
            numbered.append((number, _proven(key, build)))
    return numbered


@functools.cache
def _proven(key: str, build: Callable[[], Theorem]) -> Theorem:
    """A theorem is proven once per process: its proof depends on nothing but the code."""
    theorem = build()
    assert theorem.key == key, (theorem.key, key)
    return theorem
