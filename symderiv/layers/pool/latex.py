"""LaTeX pieces of the pooling derivations: index formulas, tensors of any rank, statements.

Index letters: output i, j, l; input a, b, c; window offsets m, n, q (1-based, as in the notes).
A 1-D tensor prints as a row, a 3-D one as its depth slices, each a matrix.
"""

from __future__ import annotations

from fractions import Fraction

from ...core.grid import Grid
from ...core.symbols import tensor_latex
from ...core.values import format_value
from ...render.latex import matrix
from .result import PoolOperation
from .windows import PoolGeometry

OUTPUT_LETTERS = ("i", "j", "l")
INPUT_LETTERS = ("a", "b", "c")
OFFSET_LETTERS = ("m", "n", "q")


def letters(kind: tuple[str, ...], axes: int) -> str:
    return "".join(kind[:axes])


def number(v: Fraction | int) -> str:
    text = format_value(Fraction(v))
    if "/" in text:
        p, q = text.lstrip("-").split("/")
        return ("-" if text.startswith("-") else "") + f"\\tfrac{{{p}}}{{{q}}}"
    return text


def times(values: tuple[int, ...]) -> str:
    return " \\times ".join(str(v) for v in values)


def _linear(coefficient: int, letter: str) -> str:
    return letter if coefficient == 1 else f"{coefficient}{letter}"


def window_index(geometry: PoolGeometry, axis: int) -> str:
    """The 1-based input index that output index i and offset m read on one axis:
    s(i - 1) + d(m - 1) + 1 - p, written out as ``2i + m - 2``."""
    s, d, p = geometry.stride[axis], geometry.dilation[axis], geometry.padding[axis]
    constant = 1 - s - d - p
    text = f"{_linear(s, OUTPUT_LETTERS[axis])} + {_linear(d, OFFSET_LETTERS[axis])}"
    if constant:
        text += f" - {-constant}" if constant < 0 else f" + {constant}"
    return text


def window_element(geometry: PoolGeometry) -> str:
    """``X_{2i + m - 2,\\, 2j + n - 2}``."""
    return "X_{" + ",\\, ".join(window_index(geometry, a) for a in range(geometry.axes)) + "}"


def offset_ranges(geometry: PoolGeometry) -> str:
    """``1 \\le m \\le 2,\\; 1 \\le n \\le 2`` for under a sum or a max."""
    return ",\\; ".join(
        f"1 \\le {OFFSET_LETTERS[a]} \\le {k}" for a, k in enumerate(geometry.kernel)
    )


def indexed(name: str, index_letters: str) -> str:
    return f"{name}_{{{index_letters}}}"


def tensor_lines(name: str, cells: Grid[str], factor: str = "") -> list[str]:
    """``name = [matrix]`` as display lines: one line, or one per depth slice of a 3-D tensor;
    ``factor`` stands before each matrix (a coefficient every entry shares)."""
    scaled = f"{factor} " if factor else ""
    if len(cells.shape) == 1:
        return [f"{name} = {scaled}{matrix(Grid((1, cells.shape[0]), cells.cells))}"]
    if len(cells.shape) == 2:
        return [f"{name} = {scaled}{matrix(cells)}"]
    depth, rows, cols = cells.shape
    per_slice = rows * cols
    base = name if len(name) == 1 else f"\\left({name}\\right)"
    return [
        f"{base}_{{{d + 1}\\cdot\\cdot}} = {scaled}"
        + matrix(Grid((rows, cols), cells.cells[d * per_slice : (d + 1) * per_slice]))
        for d in range(depth)
    ]


def operation_latex(operation: PoolOperation, geometry: PoolGeometry, window: int) -> str:
    """The right-hand side of an identity for dL/dX."""
    upstream = tensor_latex("dL/dO")
    stride = times(geometry.stride)
    upsampled = f"\\operatorname{{up}}_{{{stride}}}\\left({upstream}\\right)"
    if operation is PoolOperation.UPSAMPLING:
        return f"\\frac{{1}}{{{window}}} \\operatorname{{crop}}\\left({upsampled}\\right)"
    if operation is PoolOperation.DILATED_CORRELATION:
        return (
            f"\\operatorname{{crop}}\\left(\\operatorname{{dilate}}_{{{stride}}}"
            f"\\left({upstream}\\right) \\star_{{\\mathrm{{full}}}} \\tfrac{{1}}{{{window}}}"
            f" J_{{{times(geometry.kernel)}}}\\right)"
        )
    if operation is PoolOperation.MASKED_UPSAMPLING:
        return f"M \\odot \\operatorname{{crop}}\\left({upsampled}\\right)"
    out = letters(OUTPUT_LETTERS, geometry.axes)
    star = ",".join(f"{a}^*_{{{out}}}" for a in INPUT_LETTERS[: geometry.axes])
    return (
        f"\\sum_{{{','.join(out)}}} \\frac{{\\partial L}}{{\\partial O_{{{out}}}}}"
        f" \\, E^{{({star})}}"
    )


def statement_latex(operation: PoolOperation, geometry: PoolGeometry, window: int) -> str:
    return f"{tensor_latex('dL/dX')} = {operation_latex(operation, geometry, window)}"
