"""The one error type symderiv raises for bad requests."""

from __future__ import annotations


class SymderivError(ValueError):
    """A request symderiv cannot carry out; the message names the bad value in one line."""
