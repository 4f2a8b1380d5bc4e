"""Terms, brackets and rewrites as LaTeX, for the written proofs.

Printing only: a pair of brackets ``[x - lo >= 0][hi - x >= 0]`` is shown as one range
``[lo <= x <= hi]``, an equality with its negative terms moved to the right side.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from .normal import Rewrite
from .terms import DIVIDES, EQ, GE, Bracket, Expr, Term

TENSORS = {
    "Gy": "\\bar G",
    "Xh": "\\hat x",
    "gamma": "\\gamma",
    "beta": "\\beta",
}
"""How a tensor that is not a single Latin letter prints."""
BRACKETS_PER_LINE = 3


def tex(expr: Expr) -> str:
    """SymPy's LaTeX, a primed name (``gamma'``) printed as its base's LaTeX and a prime."""
    names = {
        s: sp.latex(sp.Symbol(s.name.rstrip("'"))) + "'" * (len(s.name) - len(s.name.rstrip("'")))
        for s in expr.free_symbols
        if isinstance(s, sp.Symbol) and s.name.endswith("'")
    }
    return sp.latex(expr, symbol_names=names)


def entry(tensor: str, index: Sequence[Expr]) -> str:
    return f"{TENSORS.get(tensor, tensor)}_{{{','.join(tex(i) for i in index)}}}"


def bracket(b: Bracket) -> str:
    if b.kind == EQ:
        left, right = _sides(b.expr)
        return f"[\\,{left} = {right}\\,]"
    if b.kind == DIVIDES:
        return f"[\\,{tex(b.modulus)} \\mid {tex(b.expr)}\\,]"
    left, right = _sides(b.expr)
    return f"[\\,{right} \\le {left}\\,]"


def _sides(expr: Expr) -> tuple[str, str]:
    """``expr = 0`` or ``expr >= 0`` as ``positive part`` against ``negative part``."""
    positive, negative = [], []
    for term in sp.Add.make_args(sp.expand_mul(expr)):
        coefficient, _ = term.as_coeff_Mul()
        (negative if coefficient < 0 else positive).append(term if coefficient >= 0 else -term)
    return tex(sp.Add(*positive)), tex(sp.Add(*negative))


def ranges(brackets: Sequence[Bracket], indices: set[sp.Symbol]) -> list[str]:
    """The brackets in print: two inequalities on one index expression become one range. The
    narrowest ranges pair first (width k - 1 before H - 1), so that each range reads as one
    constraint of the definition rather than a mix of two."""
    pairs = []
    for j, first in enumerate(brackets):
        for k in range(j + 1, len(brackets)):
            second = brackets[k]
            if first.kind != GE or second.kind != GE:
                continue
            width = sp.expand_mul(first.expr + second.expr)
            if width != 0 and not (width.free_symbols & indices):
                pairs.append(((len(width.free_symbols), len(str(width)), j, k), j, k))
    partner: dict[int, int] = {}
    for _, j, k in sorted(pairs):
        if j not in partner and k not in partner:
            partner[j], partner[k] = k, j
    shown: list[str] = []
    for j, b in enumerate(brackets):
        if j not in partner:
            shown.append(bracket(b))
        elif partner[j] > j:
            shown.append(_range(b.expr, brackets[partner[j]].expr, indices))
    return shown


def _range(first: Expr, second: Expr, indices: set[sp.Symbol]) -> str:
    """``first >= 0`` and ``second >= 0`` with ``first + second`` free of indices."""
    index_part = sum(
        (t for t in sp.Add.make_args(first) if t.free_symbols & indices), sp.Integer(0)
    )
    lead = sp.Add.make_args(index_part)[0].as_coeff_Mul()[0] if index_part != 0 else 1
    if lead < 0:
        first, second = second, first
        index_part = -index_part
    low = sp.expand_mul(index_part - first)
    high = sp.expand_mul(index_part + second)
    return f"[\\,{tex(low)} \\le {tex(index_part)} \\le {tex(high)}\\,]"


def term_lines(term: Term, indices: set[sp.Symbol]) -> list[str]:
    """A term as display lines: the sum and its product first, then its brackets, a few per
    line, so that a long guard breaks where a reader expects it."""
    over = set(term.over) | indices
    head = ""
    if term.over:
        head = f"\\sum_{{{','.join(tex(v) for v in term.over)}}} "
    coefficient = "" if term.coefficient == 1 else tex(term.coefficient) + "\\,"
    product = "\\, ".join(entry(f.tensor, f.index) for f in term.factors) or "1"
    shown = ranges(term.brackets, over)
    lines = [head + coefficient + product]
    for start in range(0, len(shown), BRACKETS_PER_LINE):
        lines.append("\\quad " + " ".join(shown[start : start + BRACKETS_PER_LINE]))
    return lines


def rewrite(r: Rewrite, indices: set[sp.Symbol]) -> str:
    if r.kind == "collapse":
        assert r.variable is not None and r.value is not None
        return f"{tex(r.variable)} = {tex(r.value)}"
    assert r.bracket is not None
    return bracket(r.bracket)
