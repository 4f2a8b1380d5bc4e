"""LaTeX for symderiv's symbols, polynomials and matrices.

Element symbols print as course notes write them (``X_{11}``, ``\\frac{\\partial L}{\\partial
O_{11}}``) through a small SymPy ``LatexPrinter`` subclass. Terms are ordered for reading: in each
product the upstream gradient comes first, then the tensors in the layer's order, and the terms of
a sum follow the indices of their leading factor, so ``dL/dX_22`` lists ``dL/dO_11`` first.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TypeVar

import numpy as np
import sympy as sp
from sympy.printing.latex import LatexPrinter

from ..core import products
from ..core.grid import Grid, Index
from ..core.poly import Poly, variable
from ..core.results import Role, Tensor
from ..core.symbols import elements_latex, needs_separators, partial

T = TypeVar("T")

TERMS_PER_LINE = 4
LINE_WIDTH = 90
"""Characters of LaTeX source on one line of a long SymPy sum (about a page's width)."""
BULK_TERMS = 64
"""From this many terms a sum is put in reading order by NumPy (fewer cost less one by one)."""
MATRIX_LIMIT = 8
"""Matrices with more rows or columns than this are shown with their middle elided."""


class ElementPrinter(LatexPrinter):  # type: ignore[misc]
    """SymPy's LaTeX printer, with each element symbol spelled as in course notes."""

    _default_settings = {**LatexPrinter._default_settings, "element_latex": {}}

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        spelled: Mapping[sp.Symbol, str] = self._settings["element_latex"]
        if expr in spelled:
            return spelled[expr]
        return str(super()._print_Symbol(expr, style))


@dataclass(frozen=True)
class Notation:
    """How a derivation's symbols print, and in which order they are read."""

    printer: ElementPrinter
    order: Mapping[sp.Symbol, tuple[int, Index]]
    spelled: Mapping[sp.Symbol, str]
    separated: bool

    @staticmethod
    def of(tensors: Sequence[Tensor], separated: bool | None = None) -> Notation:
        """``separated`` forces commas between indices (``X_{1,2,3,4}``); by default they appear
        only when some dimension has two digits."""
        if separated is None:
            separated = needs_separators(t.shape for t in tensors)
        reading = sorted(tensors, key=lambda t: t.role is not Role.UPSTREAM)
        order: dict[sp.Symbol, tuple[int, Index]] = {}
        spelled: dict[sp.Symbol, str] = {}
        for rank, tensor in enumerate(reading):
            cells = tensor.symbols.cells
            order.update(zip(cells, ((rank, index) for index in tensor.symbols.indices())))
            spelled.update(zip(cells, elements_latex(tensor.key, tensor.shape, separated)))
        printer = ElementPrinter({"element_latex": spelled})
        return Notation(printer, order, spelled, separated)

    def also(self, spelled: Mapping[sp.Symbol, str]) -> Notation:
        """The same notation, printing these other symbols as given too."""
        if not spelled:
            return self
        merged = {**self.spelled, **spelled}
        return Notation(
            ElementPrinter({"element_latex": merged}), self.order, merged, self.separated
        )

    def symbol(self, s: sp.Symbol) -> str:
        return self.spelled[s]

    def expr(self, e: sp.Expr) -> str:
        return str(self.printer.doprint(e))

    def expr_lines(self, e: sp.Expr, width: int = LINE_WIDTH) -> list[str]:
        """A long sum a few terms per line, each continuation line led by its sign, so that it
        fits the page; anything else, or a short sum, on one line."""
        text = self.expr(e)
        if len(text) <= width or not isinstance(e, sp.Add):
            return [text]
        lines: list[str] = []
        for term in (self.expr(t) for t in sp.Add.make_args(e)):
            signed = term if term.startswith("-") else "+ " + term
            if lines and len(lines[-1]) + len(signed) < width:
                lines[-1] += " " + signed
            else:
                lines.append(signed if lines else term)
        return lines

    def sort_key(self, s: sp.Symbol) -> tuple[int, Index]:
        return self.order[s]

    @functools.cached_property
    def rank(self) -> dict[int, tuple[int, Index]]:
        """``sort_key`` by variable id, for ``Poly.reading_order``: a document spells every term
        of its equations, and hashing each factor's symbol would cost more than spelling it."""
        return {variable(s): key for s, key in self.order.items()}

    @functools.cached_property
    def _latex(self) -> dict[int, str]:
        return {variable(s): text for s, text in self.spelled.items()}

    @functools.cached_property
    def _rank_array(self) -> np.ndarray:
        """Each variable's place in the reading order, indexed by id (-1: none), for
        ``products.reading_order``."""
        ranked = sorted(self.rank.items(), key=operator.itemgetter(1))
        places = np.full(max(self.rank, default=-1) + 1, -1, dtype=np.int64)
        places[[v for v, _ in ranked]] = np.arange(len(ranked), dtype=np.int64)
        return places

    def terms(self, p: Poly) -> list[str]:
        """Each term of ``p`` in reading order, with its sign: ``["a b", "- 2 c"]``."""
        latex = self._latex
        if len(p) >= BULK_TERMS:
            ordered = products.reading_order(p, self._rank_array)
            if ordered is not None:
                return [
                    f"{latex[a]} {latex[b]}" if c == 1 else self._term([latex[a], latex[b]], c)
                    for a, b, c in ordered
                ]
        return [self._term([latex[v] for v in m], c) for m, c in p.reading_order(self.rank)]

    def _term(self, factors: list[str], c: Fraction | int) -> str:
        if c == 1 and factors:
            return " ".join(factors)
        sign = "- " if c < 0 else ""
        magnitude = Fraction(-c if c < 0 else c)
        if magnitude != 1 or not factors:
            factors.insert(0, self.expr(sp.Rational(magnitude.numerator, magnitude.denominator)))
        return sign + " ".join(factors)

    def poly(self, p: Poly) -> str:
        return join_terms(self.terms(p)) if p else "0"

    def poly_lines(self, p: Poly) -> list[str]:
        """The sum broken into lines of a few terms, each later line starting with its sign."""
        terms = self.terms(p) or ["0"]
        lines = []
        for start in range(0, len(terms), TERMS_PER_LINE):
            chunk = terms[start : start + TERMS_PER_LINE]
            text = join_terms(chunk)
            if start:
                text = text if text.startswith("- ") else "+ " + text
            lines.append(text)
        return lines

    def derivative(self, numerator: sp.Symbol, denominator: sp.Symbol) -> str:
        return partial(self.spelled[numerator], self.spelled[denominator])

    def loss_derivative(self, s: sp.Symbol) -> str:
        return partial("L", self.spelled[s])


def first_equations(
    items: Sequence[tuple[str, list[str]]], shown: int
) -> tuple[list[dict[str, object]], int]:
    """The first ``shown`` of (left-hand side, lines) as the equations macro takes them, and
    how many were left out (the JSON holds every one)."""
    kept = items[:shown]
    return [{"lhs": lhs, "lines": rhs} for lhs, rhs in kept], len(items) - len(kept)


def representative(count: int, busiest: int, limit: int, first: int) -> list[int]:
    """Which of ``count`` equations a human format shows: all up to ``limit``, else the
    ``first`` few, the busiest (most terms) and the last two."""
    if count <= limit:
        return list(range(count))
    return sorted(set(range(first)) | {busiest, count - 2, count - 1})


def busiest(values: Sequence[Poly]) -> int:
    """The position of the polynomial with the most terms (the first of those)."""
    return max(range(len(values)), key=lambda i: (len(values[i]), -i))


def join_terms(terms: Sequence[str]) -> str:
    text = terms[0]
    for t in terms[1:]:
        text += " " + t if t.startswith("- ") else " + " + t
    return text


def matrix(cells: Grid[str]) -> str:
    """A bmatrix (a column for a vector), eliding the middle of anything larger than the limit."""
    shape = cells.shape if len(cells.shape) == 2 else (cells.shape[0], 1)
    rows = _kept(shape[0])
    cols = _kept(shape[1])
    lines = []
    for r in rows:
        if r is None:
            lines.append(" & ".join(_dots(c, "\\vdots", "\\ddots") for c in cols))
            continue
        lines.append(" & ".join("\\cdots" if c is None else cells[_at(cells, r, c)] for c in cols))
    return "\\begin{bmatrix}\n" + " \\\\\n".join(lines) + "\n\\end{bmatrix}"


def spelled(grid: Grid[T], spell: Callable[[T], str]) -> Grid[str]:
    """``grid.map(spell)`` for ``matrix``: the cells it elides are left blank, so that a large
    array is not spelled whole only to be cut to its corners."""
    if len(grid.shape) > 2:
        return grid.map(spell)
    rows_, cols_ = grid.shape if len(grid.shape) == 2 else (grid.shape[0], 1)
    rows = {r for r in _kept(rows_) if r is not None}
    cols = {c for c in _kept(cols_) if c is not None}
    if len(rows) * len(cols) == len(grid.cells):
        return grid.map(spell)
    cells = [""] * len(grid.cells)
    for at in (r * cols_ + c for r in rows for c in cols):
        cells[at] = spell(grid.cells[at])
    return Grid(grid.shape, tuple(cells))


def fits_one_line(*matrices: Grid[str]) -> bool:
    """Whether matrices shown side by side fit a page: at most 10 columns together."""
    return sum(len(_kept(m.shape[-1] if len(m.shape) == 2 else 1)) for m in matrices) <= 10


def _at(cells: Grid[str], r: int, c: int) -> Index:
    return (r, c) if len(cells.shape) == 2 else (r,)


def _dots(column: int | None, vertical: str, diagonal: str) -> str:
    return diagonal if column is None else vertical


def _kept(n: int) -> list[int | None]:
    """Indices shown along an axis of length n; None marks the elided middle."""
    if n <= MATRIX_LIMIT:
        return list(range(n))
    return [0, 1, 2, None, n - 2, n - 1]


def exact_latex(v: Fraction) -> str:
    """An exact number: ``2``, ``-2``, ``-\\tfrac{3}{4}`` (a text-size fraction, so that a
    number inside a sum of products does not tower over its neighbours)."""
    if v.denominator == 1:
        return str(v.numerator)
    sign = "-" if v < 0 else ""
    return f"{sign}\\tfrac{{{abs(v.numerator)}}}{{{v.denominator}}}"


def size(shape: tuple[int, ...]) -> str:
    return " \\times ".join(str(n) for n in shape)
