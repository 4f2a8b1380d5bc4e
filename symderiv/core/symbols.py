"""Names of tensors and of their elements: the only place that spells them.

Element symbols carry 1-based indices, as in course notes: ``X[0, 0]`` is ``X_1_1`` in SymPy and
:math:`X_{11}` in print. Indices are joined without separators in print while every dimension is
below 10, and with commas once any is larger, so that :math:`X_{1,12}` never reads as
:math:`X_{11,2}`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import sympy as sp

from .grid import Grid, Index
from .poly import plain_symbols

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
    """``element_symbol`` of every element, each index spelled once per axis."""
    per_axis = [[str(i + 1) for i in range(n)] for n in shape]
    names = map("_".join, itertools.product([symbol_prefix(key)], *per_axis))
    return Grid(tuple(shape), tuple(plain_symbols(names)))


def needs_separators(shapes: Iterable[tuple[int, ...]]) -> bool:
    return any(n > 9 for shape in shapes for n in shape)


def index_latex(index: Index, separated: bool) -> str:
    return ("," if separated else "").join(str(i + 1) for i in index)


def element_latex(key: str, index: Index, separated: bool) -> str:
    """LaTeX of one element: ``X_{11}``, or ``\\frac{\\partial L}{\\partial O_{11}}``."""
    base = gradient_of(key)
    name = latex_base(base or key)
    plain = f"{name}_{{{index_latex(index, separated)}}}" if index else name
    return partial(LOSS, plain) if base else plain


def elements_latex(key: str, shape: tuple[int, ...], separated: bool) -> list[str]:
    """``element_latex`` of every element of a tensor, in row-major order, each index spelled
    once per axis (a document spells tens of thousands of elements)."""
    if not shape:
        return [element_latex(key, (), separated)]
    per_axis = [[str(i + 1) for i in range(n)] for n in shape]
    indices = map(("," if separated else "").join, itertools.product(*per_axis))
    base = gradient_of(key)
    name = latex_base(base or key)
    if base:
        return [partial(LOSS, f"{name}_{{{index}}}") for index in indices]
    return [f"{name}_{{{index}}}" for index in indices]


def tensor_latex(key: str) -> str:
    """LaTeX of a whole tensor: ``X``, or ``\\frac{\\partial L}{\\partial O}``."""
    base = gradient_of(key)
    return partial(LOSS, latex_base(base)) if base else latex_base(key)


def partial(numerator: str, denominator: str) -> str:
    return f"\\frac{{\\partial {numerator}}}{{\\partial {denominator}}}"


# Normalisation layers: tensors and statistics spelled in Greek, as in the papers and course notes.
GAMMA = "gamma"
BETA = "beta"
NORMALIZED = "xhat"
MEAN = "mu"
VARIANCE = "sigma2"
EPSILON = "epsilon"
RUNNING_MEAN = "running_mean"
RUNNING_VAR = "running_var"
SAMPLE_LOSS = "l"
"""Cross-entropy's per-sample losses, spelled as in print."""
_LATEX_BASES = {
    SAMPLE_LOSS: "\\ell",
    GAMMA: "\\gamma",
    BETA: "\\beta",
    NORMALIZED: "\\hat{x}",
    MEAN: "\\mu",
    VARIANCE: "\\sigma^2",
    EPSILON: "\\varepsilon",
    RUNNING_MEAN: "\\hat{\\mu}",
    RUNNING_VAR: "\\hat{\\sigma}^2",
}


def latex_base(key: str) -> str:
    """How a tensor's name prints; names without a Greek spelling print as they are."""
    return _LATEX_BASES.get(key, key)


def scalar_symbol(key: str) -> sp.Symbol:
    """A symbol without indices, such as ``epsilon`` or the ``mu`` of a single group."""
    return sp.Symbol(symbol_prefix(key))


def generic_latex(key: str, index: str) -> str:
    base = gradient_of(key)
    plain = f"{latex_base(base or key)}_{{{index}}}" if index else latex_base(base or key)
    return partial(LOSS, plain) if base else plain


def adjoint_symbol(s: sp.Symbol) -> sp.Symbol:
    """The loss gradient of a named intermediate value: ``dL_dmu`` for ``mu``."""
    return sp.Symbol(symbol_prefix(gradient_key(s.name)))
