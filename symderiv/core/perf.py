"""Keeping derivations linear in the number of terms."""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def without_cycle_collection(stage: Callable[P, R]) -> Callable[P, R]:
    """Run a stage with the cyclic garbage collector paused.

    A derivation allocates hundreds of thousands of small acyclic objects; each collection pass
    walks all of them, which made a 64x64 derivation grow faster than its number of terms.
    Reference counting still frees everything; the collector resumes afterwards.
    """

    @functools.wraps(stage)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return stage(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return run
