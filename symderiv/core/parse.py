"""Parsing and checking of sizes such as ``3x3``, ``4x5`` or a bare ``3``."""

from __future__ import annotations

import re

from .errors import SymderivError

_PATTERN = {1: "N", 2: "HxW", 3: "DxHxW"}


def parse_size(text: str, option: str, axes: int = 2) -> tuple[int, ...]:
    """``"4x5"`` -> ``(4, 5)``; a bare number is used on every axis."""
    parts = text.strip().split("x") if text.strip() else [""]
    if len(parts) == 1:
        parts = parts * axes
    if len(parts) != axes or not all(re.fullmatch(r"[+-]?\d+", p.strip()) for p in parts):
        raise SymderivError(
            f"{option}: invalid size {text!r}; expected {_PATTERN[axes]} or a single N "
            f"with positive integers, e.g. {'x'.join('3' * axes)}"
        )
    return check_size(tuple(int(p) for p in parts), option, text)


def check_size(size: tuple[int, ...], option: str, shown: object = None) -> tuple[int, ...]:
    shown = size if shown is None else shown
    if any(n < 1 for n in size):
        raise SymderivError(f"{option}: invalid size {shown!r}; every dimension must be at least 1")
    return size


def coerce_size(value: object, option: str, axes: int = 2) -> tuple[int, ...]:
    """Accept what a Python caller is likely to pass: ``3``, ``(4, 5)`` or ``"4x5"``."""
    if isinstance(value, str):
        return parse_size(value, option, axes)
    if isinstance(value, int) and not isinstance(value, bool):
        return check_size((value,) * axes, option, value)
    if (
        isinstance(value, (tuple, list))
        and len(value) == axes
        and all(isinstance(n, int) and not isinstance(n, bool) for n in value)
    ):
        return check_size(tuple(value), option, value)
    raise SymderivError(
        f"{option}: invalid size {value!r}; expected an integer, a tuple of {axes} integers "
        f"or a string such as {'x'.join('3' * axes)}"
    )


def format_size(size: tuple[int, ...]) -> str:
    return "x".join(str(n) for n in size)
