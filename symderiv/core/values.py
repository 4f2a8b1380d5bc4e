"""Concrete input values for max pooling: parsed from ``--values`` or drawn from ``--seed``.

Syntax: entries separated by ``,``, rows by ``;``, depth slices (3-D) by ``|``:
``"1,3;2,4"`` is a 2x2 matrix, ``"1,2;3,4|5,6;7,8"`` a 2x2x2 volume, ``"1,3,2"`` a 1-D row.
Values are kept as exact fractions (``0.1`` is one tenth), so the comparison that picks each
window's maximum is exact.
"""

from __future__ import annotations

import random
from fractions import Fraction

from .errors import SymderivError
from .grid import Grid
from .parse import exact_decimal, format_size

Value = Fraction

SEED_RANGE = (0, 9)
"""Seeded values are small integers, easy to follow by eye."""


def parse_values(text: str, axes: int) -> Grid[Value]:
    """``"1,3;2,4"`` -> a 2x2 grid; the shape comes from the text, which must be rectangular."""
    slices = text.split("|")
    if axes < 3 and len(slices) > 1:
        raise SymderivError("--values: '|' separates depth slices, which only 3-D pooling has")
    nested = [[row.split(",") for row in part.split(";")] for part in slices]
    if axes == 1 and len(nested[0]) > 1:
        raise SymderivError("--values: 1-D pooling takes a single row, without ';'")
    rows = [row for part in nested for row in part]
    if any(len(row) != len(rows[0]) for row in rows) or any(
        len(part) != len(nested[0]) for part in nested
    ):
        lengths = "|".join(",".join(str(len(row)) for row in part) for part in nested)
        raise SymderivError(
            f"--values: ragged input: row lengths {lengths}; every row (and slice) needs the "
            "same number of entries"
        )
    cells = tuple(_number(entry) for row in rows for entry in row)
    shape = (len(nested), len(nested[0]), len(rows[0]))[3 - axes :]
    return Grid(shape, cells)


def _number(entry: str) -> Value:
    if not entry.strip():
        raise SymderivError("--values: empty entry (two separators in a row, or one at an end)")
    return exact_decimal(entry, "--values")


def seeded_values(shape: tuple[int, ...], seed: int) -> Grid[Value]:
    """Small integers from ``random.Random(seed)``: the same seed gives the same values anywhere."""
    rng = random.Random(seed)
    return Grid.build(shape, lambda _: Fraction(rng.randint(*SEED_RANGE)))


def check_shape(values: Grid[Value], input: tuple[int, ...] | None) -> Grid[Value]:
    if input is not None and values.shape != input:
        raise SymderivError(
            f"--values has {format_size(values.shape)} entries ({len(values.cells)}) but --input "
            f"is {format_size(input)}"
        )
    return values


def format_value(v: Value) -> str:
    """An integer as itself, a terminating fraction as a decimal, anything else as ``p/q``."""
    if v.denominator == 1:
        return str(v.numerator)
    places = 0
    scaled = v
    while scaled.denominator != 1 and places < 12:
        scaled *= 10
        places += 1
    if scaled.denominator != 1:
        return f"{v.numerator}/{v.denominator}"
    sign = "-" if v < 0 else ""
    digits = str(abs(scaled.numerator)).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}"
