"""The one error type symderiv raises for bad requests."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class SymderivError(ValueError):
    """A request symderiv cannot carry out; the message names the bad value in one line."""


def checked_keywords(function: Callable[P, R]) -> Callable[P, R]:
    """A public layer function whose wrong or misspelled keyword is a ``SymderivError`` naming
    it and listing the valid ones (Python's own TypeError would name neither clearly).
    ``help()`` and IDEs still see the real signature, through ``__wrapped__``."""
    signature = inspect.signature(function)
    valid = ", ".join(signature.parameters)

    @functools.wraps(function)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            signature.bind(*args, **kwargs)
        except TypeError as error:
            unknown = [k for k in kwargs if k not in signature.parameters]
            problem = f"unknown keyword {unknown[0]!r}" if unknown else str(error)
            raise SymderivError(
                f"{function.__name__}(): {problem}; valid keywords: {valid}"
            ) from None
        return function(*args, **kwargs)

    return call
