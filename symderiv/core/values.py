"""Concrete input values (max pooling, ReLU): parsed from ``--values`` or drawn from ``--seed``.

Syntax: entries separated by ``,``, rows by ``;``, depth slices (3-D) by ``|``:
``"1,3;2,4"`` is a 2x2 matrix, ``"1,2;3,4|5,6;7,8"`` a 2x2x2 volume, ``"1,3,2"`` a 1-D row.
Values are kept as exact fractions (``0.1`` is one tenth), so the comparison that picks each
window's maximum is exact.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from fractions import Fraction

from .errors import SymderivError
from .grid import Grid
from .parse import coerce_size, exact_decimal, format_size, shown, whole

Value = Fraction

SEED_RANGE = (0, 9)
"""Seeded values are small integers, easy to follow by eye."""


def parse_values(text: str, axes: int) -> Grid[Value]:
    """``"1,3;2,4"`` -> a 2x2 grid; the shape comes from the text, which must be rectangular."""
    slices = text.split("|")
    if axes < 3 and len(slices) > 1:
        raise SymderivError("--values: '|' separates depth slices, which only a 3-axis input has")
    nested = [[row.split(",") for row in part.split(";")] for part in slices]
    if axes == 1 and len(nested[0]) > 1:
        raise SymderivError("--values: a 1-axis input is a single row, without ';'")
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


def seeded_values(
    shape: tuple[int, ...], seed: int, span: tuple[int, int] = SEED_RANGE
) -> Grid[Value]:
    """Small integers from ``random.Random(seed)``: the same seed gives the same values anywhere."""
    rng = random.Random(seed)
    return Grid.build(shape, lambda _: Fraction(rng.randint(*span)))


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


def given_values(
    axes: int,
    input: object,
    values: object,
    seed: int | None,
    default_shape: tuple[int, ...],
    example: str,
    span: tuple[int, int] = SEED_RANGE,
) -> tuple[Grid[Value], str]:
    """The values and where they came from: ``--values``, ``--seed`` (with ``--input`` or the
    default shape), or the built-in ``example`` when neither is given for the default shape."""
    if values is not None and seed is not None:
        raise SymderivError("--values and --seed: give one or the other, not both")
    if seed is not None:
        number = whole(seed)
        if number is None or number < 0:
            raise SymderivError(f"--seed: invalid value {shown(seed)}; expected an integer >= 0")
        seed = number
    shape = None if input is None else coerce_size(input, "--input", axes)
    if values is not None:
        text = values if isinstance(values, str) else values_text(values, axes)
        return check_shape(parse_values(text, axes), shape), "values"
    if seed is not None:
        return seeded_values(shape or default_shape, seed, span), "seed"
    if shape is None or shape == default_shape:
        return parse_values(example, axes), "example"
    return seeded_values(shape, 0, span), "seed"


def values_text(values: object, axes: int) -> str:
    """Nested lists (as ``tensor.tolist()`` gives) in the ``--values`` syntax."""
    separators = ["|", ";", ","][3 - axes :]

    def join(item: object, depth: int) -> str:
        if depth == axes:
            return str(item)
        if not isinstance(item, Sequence) or isinstance(item, str):
            raise SymderivError(f"values: expected {axes}-level nested lists, got {item!r}")
        return separators[depth].join(join(x, depth + 1) for x in item)

    return join(values, 0)


# --------------------------------------------------------------------------------------------
# Named arrays as JSON (a network, a convolution's worked example): {"X": [[1, 2], ...], ...}


def named_arrays(text: object, example: str) -> dict[str, object]:
    """``--values`` as a JSON object of nested lists by array name (a dict passes through)."""
    if text is None:
        return {}
    if isinstance(text, dict):
        return text
    try:
        parsed = json.loads(str(text))
    except json.JSONDecodeError as error:
        raise SymderivError(
            f"--values: not JSON ({error.msg} at position {error.pos + 1})"
        ) from None
    if not isinstance(parsed, dict):
        raise SymderivError(f"--values: expected a JSON object such as {example}")
    return parsed


def exact_entry(value: object, where: str) -> Fraction:
    """One entry: an int, a float or a string holding a decimal or a fraction ``"3/4"``."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise SymderivError(f"--values: {where}: {shown(value)} is not a number")
    text = str(value).strip()
    if "/" in text:
        top, _, bottom = text.partition("/")
        denominator = exact_decimal(bottom, "--values")
        if not denominator:
            raise SymderivError(f"--values: {where}: {shown(value)} divides by zero")
        return exact_decimal(top, "--values") / denominator
    return exact_decimal(text, "--values")


def nested_grid(value: object, shape: tuple[int, ...], where: str) -> Grid[Fraction]:
    """Nested lists of exactly ``shape`` as a grid of exact numbers."""
    cells: list[Fraction] = []

    def walk(item: object, depth: int) -> None:
        if depth == len(shape):
            cells.append(exact_entry(item, where))
            return
        if not isinstance(item, list) or len(item) != shape[depth]:
            raise SymderivError(
                f"--values: {where} must be nested lists of shape {'x'.join(map(str, shape))}"
            )
        for inner in item:
            walk(inner, depth + 1)

    walk(value, 0)
    return Grid(shape, tuple(cells))
