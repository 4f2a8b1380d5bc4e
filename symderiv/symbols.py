"""Names of tensors and of their elements: the only place that spells them.

Element symbols carry 1-based indices, as in course notes: ``X[0, 0]`` is ``X_1_1`` in SymPy and
:math:`X_{11}` in print. Indices are joined without separators in print while every dimension is
below 10, and with commas once any is larger, so that :math:`X_{1,12}` never reads as
:math:`X_{11,2}`.
"""

from __future__ import annotations

from collections.abc import Iterable

import sympy as sp

from .grid import Grid, Index

LOSS = "L"
GRADIENT_PREFIX = "dL/d"


def gradient_key(tensor: str) -> str:
    """The name of the loss gradient of a tensor: ``dL/dX`` for ``X``."""
    return GRADIENT_PREFIX + tensor


def gradient_of(key: str) -> str | None:
    """The tensor a gradient name refers to, or None for a plain tensor."""
    return key[len(GRADIENT_PREFIX) :] if key.startswith(GRADIENT_PREFIX) else None


def symbol_prefix(key: str) -> str:
    return key.replace("/", "_")


def element_symbol(key: str, index: Index) -> sp.Symbol:
    """The SymPy symbol of one element; ``index`` is 0-based."""
    return sp.Symbol("_".join([symbol_prefix(key), *(str(i + 1) for i in index)]))


def tensor_symbols(key: str, shape: tuple[int, ...]) -> Grid[sp.Symbol]:
    return Grid.build(shape, lambda index: element_symbol(key, index))


def needs_separators(shapes: Iterable[tuple[int, ...]]) -> bool:
    return any(n > 9 for shape in shapes for n in shape)


def index_latex(index: Index, separated: bool) -> str:
    return ("," if separated else "").join(str(i + 1) for i in index)


def element_latex(key: str, index: Index, separated: bool) -> str:
    """LaTeX of one element: ``X_{11}``, or ``\\frac{\\partial L}{\\partial O_{11}}``."""
    base = gradient_of(key)
    plain = f"{base or key}_{{{index_latex(index, separated)}}}"
    return partial(LOSS, plain) if base else plain


def tensor_latex(key: str) -> str:
    """LaTeX of a whole tensor: ``X``, or ``\\frac{\\partial L}{\\partial O}``."""
    base = gradient_of(key)
    return partial(LOSS, base) if base else key


def partial(numerator: str, denominator: str) -> str:
    return f"\\frac{{\\partial {numerator}}}{{\\partial {denominator}}}"
