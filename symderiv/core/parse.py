"""The one parser family: sizes such as ``3x3``, ``4x5`` or a bare ``3``, and per-axis values
(stride, padding, dilation) in the same syntax, from the command line or a Python caller."""

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


Axes = tuple[int, ...]


def parse_axes(text: str, option: str, axes: int) -> Axes:
    """``"2"`` -> ``(2, 2)``, ``"2x1"`` -> ``(2, 1)``; ranges are checked by the spec."""
    parts = text.strip().split("x")
    if not all(re.fullmatch(r"[+-]?\d+", p.strip()) for p in parts):
        raise SymderivError(
            f"{option}: invalid value {text!r}; expected one integer or one per spatial axis "
            f"such as {'x'.join('1' * axes)}"
        )
    values = tuple(int(p) for p in parts)
    return expand_axes(values, option, axes, text)


def expand_axes(values: Axes, option: str, axes: int, shown: object = None) -> Axes:
    if len(values) == 1:
        return values * axes
    if len(values) != axes:
        raise SymderivError(
            f"{option}: {shown if shown is not None else values!r} gives {len(values)} values "
            f"for {axes} spatial axes; give one value, or exactly one per axis"
        )
    return values


def coerce_axes(value: object, option: str, axes: int) -> Axes:
    """What a Python caller is likely to pass: ``2``, ``(2, 1)`` or ``"2x1"``."""
    if isinstance(value, str):
        return parse_axes(value, option, axes)
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) * axes
    if isinstance(value, (tuple, list)) and all(
        isinstance(n, int) and not isinstance(n, bool) for n in value
    ):
        return expand_axes(tuple(value), option, axes, value)
    raise SymderivError(
        f"{option}: invalid value {value!r}; expected an integer, a tuple of {axes} integers or "
        f"a string such as {'x'.join('1' * axes)}"
    )


def coerce_offsets(value: object, option: str, axes: int) -> tuple[int, ...]:
    """Like ``coerce_size`` but zero is allowed (padding): ``1``, ``(1, 0)`` or ``"1x0"``."""
    if isinstance(value, str):
        parts = value.strip().split("x")
        if all(re.fullmatch(r"\d+", p.strip()) for p in parts) and len(parts) in (1, axes):
            value = tuple(int(p) for p in parts) * (axes if len(parts) == 1 else 1)
    elif isinstance(value, int) and not isinstance(value, bool):
        value = (value,) * axes
    if (
        isinstance(value, (tuple, list))
        and len(value) == axes
        and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)
    ):
        return tuple(value)
    raise SymderivError(
        f"{option}: invalid value {value!r}; expected a non-negative integer, or one per axis "
        f"such as {'x'.join('1' * axes)}"
    )
