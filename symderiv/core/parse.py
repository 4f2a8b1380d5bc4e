"""The one parser family: sizes such as ``3x3``, ``4x5`` or a bare ``3``, and per-axis values
(stride, padding, dilation) in the same syntax, from the command line or a Python caller.

A Python caller may pass Python or NumPy integers (anything ``operator.index`` accepts), tuples
or lists of them, or the command line's text. Every bad value is a ``SymderivError`` naming the
option and the value (shortened when it is long), never another exception.
"""

from __future__ import annotations

import operator
import re
from fractions import Fraction

from .errors import SymderivError

_PATTERN = {1: "N", 2: "HxW", 3: "DxHxW"}
_INTEGER = re.compile(r"[+-]?\d+")

LARGEST = 10**9 - 1
"""No size, stride, padding or dilation is larger: work limits refuse far smaller ones, and
the numbers stay small enough to compute with in constant time."""

Axes = tuple[int, ...]


def shown(value: object, limit: int = 40) -> str:
    """``repr(value)`` for a one-line message: long values keep their start and their length."""
    text = repr(value)
    if len(text) <= limit and "\n" not in text:
        return text
    return f"{text[:limit].splitlines()[0]}… ({len(text):,} characters)"


def _split(text: str) -> list[str]:
    """``4x5``, ``4X5`` and ``4 x 5`` alike; an empty text is one empty part."""
    return [p.strip() for p in re.split(r"[xX]", text.strip())] if text.strip() else [""]


def _integers(parts: list[str], option: str, text: str) -> tuple[int, ...] | None:
    """The parts as integers, or None when one is not an integer; too long is an error."""
    if not all(_INTEGER.fullmatch(p) for p in parts):
        return None
    if any(len(p.lstrip("+-")) > len(str(LARGEST)) for p in parts):
        raise SymderivError(f"{option}: {shown(text)} is too large; at most {LARGEST:,}")
    return tuple(int(p) for p in parts)


def _bounded(values: Axes, option: str, value: object) -> Axes:
    if any(abs(v) > LARGEST for v in values):
        raise SymderivError(f"{option}: {shown(value)} is too large; at most {LARGEST:,}")
    return values


def whole(value: object) -> int | None:
    """A Python or NumPy integer as an int (not a bool); None for anything else."""
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        return None


def work_limit(value: object) -> int:
    """A ``--max-terms`` value: a positive whole number, Python's or NumPy's."""
    number = whole(value)
    if number is None or number < 1:
        raise SymderivError(
            f"--max-terms: invalid value {shown(value)}; expected a positive integer"
        )
    return number


def flag(value: object, option: str) -> bool:
    """True or False (NumPy's bools too); anything else is a mistake worth naming."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    raise SymderivError(f"{option}: invalid value {shown(value)}; expected True or False")


def _whole_numbers(value: object) -> tuple[int, ...] | None:
    """An integer, or a tuple or list of integers, as a tuple; None for anything else."""
    single = whole(value)
    if single is not None:
        return (single,)
    if isinstance(value, (tuple, list)):
        numbers = [whole(v) for v in value]
        if all(n is not None for n in numbers):
            return tuple(n for n in numbers if n is not None)
    return None


def parse_size(text: str, option: str, axes: int = 2) -> Axes:
    """``"4x5"`` -> ``(4, 5)``; a bare number is used on every axis."""
    parts = _split(text)
    if len(parts) == 1:
        parts = parts * axes
    values = _integers(parts, option, text) if len(parts) == axes else None
    if values is None:
        raise SymderivError(
            f"{option}: invalid size {shown(text)}; expected {_PATTERN[axes]} or a single N "
            f"with positive integers, e.g. {'x'.join('3' * axes)}"
        )
    return check_size(values, option, text)


def check_size(size: Axes, option: str, value: object = None) -> Axes:
    value = size if value is None else value
    if any(n < 1 for n in size):
        raise SymderivError(
            f"{option}: invalid size {shown(value)}; every dimension must be at least 1"
        )
    return _bounded(size, option, value)


def coerce_size(value: object, option: str, axes: int = 2) -> Axes:
    """Accept what a Python caller is likely to pass: ``3``, ``(4, 5)`` or ``"4x5"``."""
    if isinstance(value, str):
        return parse_size(value, option, axes)
    numbers = _whole_numbers(value)
    if numbers is not None and len(numbers) == 1 and whole(value) is not None:
        return check_size(numbers * axes, option, value)
    if numbers is not None and len(numbers) == axes:
        return check_size(numbers, option, value)
    raise SymderivError(
        f"{option}: invalid size {shown(value)}; expected an integer, a tuple of {axes} "
        f"integers or a string such as {'x'.join('3' * axes)}"
    )


def coerce_shape(value: object, option: str, most: int) -> Axes:
    """A shape of one to ``most`` axes, as many as the value gives: ``3``, ``(2, 3)`` or
    ``"2x3"``."""
    if isinstance(value, str):
        axes = len(_split(value))
    elif isinstance(value, (tuple, list)):
        axes = len(value)
    else:
        axes = 1
    if not 1 <= axes <= most:
        raise SymderivError(f"{option}: {shown(value)} has {axes} axes; give one to {most}")
    return coerce_size(value, option, axes)


def format_size(size: Axes) -> str:
    return "x".join(str(n) for n in size)


def parse_axes(text: str, option: str, axes: int) -> Axes:
    """``"2"`` -> ``(2, 2)``, ``"2x1"`` -> ``(2, 1)``; ranges are checked by the spec."""
    values = _integers(_split(text), option, text)
    if values is None:
        raise SymderivError(
            f"{option}: invalid value {shown(text)}; expected one integer or one per spatial "
            f"axis such as {'x'.join('1' * axes)}"
        )
    return expand_axes(values, option, axes, text)


def expand_axes(values: Axes, option: str, axes: int, value: object = None) -> Axes:
    value = values if value is None else value
    if len(values) == 1:
        return _bounded(values * axes, option, value)
    if len(values) != axes:
        raise SymderivError(
            f"{option}: {shown(value)} gives {len(values)} values for {axes} spatial axes; "
            "give one value, or exactly one per axis"
        )
    return _bounded(values, option, value)


def coerce_axes(value: object, option: str, axes: int) -> Axes:
    """What a Python caller is likely to pass: ``2``, ``(2, 1)`` or ``"2x1"``."""
    if isinstance(value, str):
        return parse_axes(value, option, axes)
    numbers = _whole_numbers(value)
    if numbers is not None and numbers:
        return expand_axes(numbers, option, axes, value)
    raise SymderivError(
        f"{option}: invalid value {shown(value)}; expected an integer, a tuple of {axes} "
        f"integers or a string such as {'x'.join('1' * axes)}"
    )


def coerce_offsets(value: object, option: str, axes: int) -> Axes:
    """Like ``coerce_size`` but zero is allowed (padding): ``1``, ``(1, 0)`` or ``"1x0"``."""
    if isinstance(value, str):
        parts = _split(value)
        numbers = _integers(parts, option, value) if len(parts) in (1, axes) else None
    else:
        numbers = _whole_numbers(value)
    if (
        numbers is not None
        and len(numbers) == 1
        and (isinstance(value, str) or whole(value) is not None)
    ):
        numbers = numbers * axes
    if numbers is not None and len(numbers) == axes and all(v >= 0 for v in numbers):
        return _bounded(numbers, option, value)
    raise SymderivError(
        f"{option}: invalid value {shown(value)}; expected a non-negative integer, or one per "
        f"axis such as {'x'.join('1' * axes)}"
    )


_DECIMAL = re.compile(r"[+-]?(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?")
LARGEST_EXACT = 300
"""Exact numbers stay below 1e300 in magnitude, inside float64's range, which torch works in."""
SMALLEST_EXACT = 1000
"""and above 1e-1000: smaller ones are 0 in float64 (as torch reads them), and their exact
digits would outgrow what the documents can print."""


def exact_decimal(text: str, option: str) -> Fraction:
    """A decimal number such as ``0.1``, ``-3`` or ``1e-5`` as an exact fraction, with at most
    30 digits and a magnitude between 1e-1000 and 1e300."""
    token = text.strip()
    match = _DECIMAL.fullmatch(token)
    if match is None:
        finite = token.lower().lstrip("+-") not in ("nan", "inf", "infinity")
        problem = "is not a number" if finite else "is not finite; exact numbers are finite"
        raise SymderivError(f"{option}: {shown(text)} {problem}")
    digits = "".join(g or "" for g in match.groups()[:3]).lstrip("0")
    exponent = match.group(4)
    if len(digits) > 30 or (exponent is not None and len(exponent.lstrip("+-")) > 4):
        raise SymderivError(f"{option}: {shown(text)} has too many digits; at most 30")
    value = Fraction(token)
    if value and not Fraction(1, 10**SMALLEST_EXACT) <= abs(value) <= 10**LARGEST_EXACT:
        raise SymderivError(
            f"{option}: {shown(text)} is out of range: exact numbers lie between "
            f"1e-{SMALLEST_EXACT} and 1e{LARGEST_EXACT} in magnitude"
        )
    return value


def check_elements(shape: Axes, max_terms: object) -> None:
    """Refuse an input over its element limit (checked before any value is drawn for it)."""
    number = work_limit(max_terms)
    count = 1
    for n in shape:
        count *= n
    if count > number:
        raise SymderivError(
            f"input {format_size(shape)} has {count:,} elements, over the limit of {number:,}; "
            "raise it with --max-terms (max_terms= in Python)"
        )
