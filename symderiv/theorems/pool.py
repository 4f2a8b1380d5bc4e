"""Average pooling's theorems, for symbolic sizes in 1, 2 and 3 dimensions: its input gradient
is a transposed convolution with a constant kernel, and with kernel = stride and no padding it
is the upstream gradient up-sampled.

PyTorch's ``avg_pool`` divides every window by the same number k^n when ``count_include_pad``
is true (its default), ``ceil_mode`` is false and no ``divisor_override`` is given; that is
the hypothesis under which pooling is a convolution with the constant kernel 1/k^n, one
channel at a time (groups = channels). With ``count_include_pad=False`` and p > 0 the divisor
counts the window's positions inside the input, which changes from window to window.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .normal import Assumptions, nonnegative_symbol
from .proofs import compare, display, identity_steps, shown
from .result import Step, Theorem
from .terms import (
    Expr,
    Sum,
    Term,
    below,
    constant,
    derivative,
    entry,
    equal,
    free_indices,
    fresh,
    integer,
    on_axis,
    spatial_slots,
)

DIMS = (1, 2, 3)
SLOTS = {"G": ("n", "c", "i"), "X": ("n", "c", "h")}


@dataclass(frozen=True)
class Axis:
    size: Expr
    """The input size, written as ``s*q + a - 2p + k`` (so H_out = q + 1)."""
    stride: Expr
    padding: Expr
    kernel: Expr
    quotient: sp.Symbol

    @property
    def out(self) -> Expr:
        return self.quotient + 1


@dataclass(frozen=True)
class Geometry:
    dims: int
    axes: tuple[Axis, ...]
    substitution: dict[sp.Symbol, Expr]
    """Each size written through symbols known to be >= 0 (``s -> a0 + 1 + s0``)."""

    def slots(self) -> dict[str, tuple[str, ...]]:
        return spatial_slots(SLOTS, self.dims)

    def divisor(self) -> Expr:
        return sp.Mul(*(ax.kernel for ax in self.axes))

    def assumptions(self, free: dict[sp.Symbol, Expr]) -> Assumptions:
        sizes = Assumptions(self.substitution, tuple(ax.size - 1 for ax in self.axes))
        return sizes.with_indices(free)


def geometry(dims: int, upsampling: bool = False) -> Geometry:
    """Symbolic sizes; ``upsampling``: kernel = stride, no padding."""

    axes = []
    sub = {integer(n): 1 + nonnegative_symbol(n) for n in ("N", "C")}
    for j in range(dims):
        s, p, k, q, a = (on_axis(n, j, dims) for n in ("s", "p", "k", "q", "a"))
        sub |= {a: nonnegative_symbol(a.name), q: nonnegative_symbol(q.name)}
        sub[s] = nonnegative_symbol(a.name) + 1 + nonnegative_symbol(s.name)
        if upsampling:
            p, k = sp.Integer(0), s
        else:
            sub |= {p: nonnegative_symbol(p.name), k: 1 + nonnegative_symbol(k.name)}
        axes.append(Axis(s * q + a - 2 * p + k, s, p, k, q))
    return Geometry(dims, tuple(axes), sub)


def forward(geo: Geometry, n: Expr, c: Expr, i: tuple[Expr, ...]) -> Term:
    """O[n, c, i] = 1/k^n * sum_u X[n, c, s*i + u - p], the padding's zeros as brackets."""
    u = fresh("u" for _ in geo.axes)
    reads = tuple(ax.stride * ij + uj - ax.padding for ax, ij, uj in zip(geo.axes, i, u))
    brackets = []
    for ax, uj, r in zip(geo.axes, u, reads):
        brackets += [*below(uj, ax.kernel), *below(r, ax.size)]
    term = constant(1 / geo.divisor()).times(entry("X", n, c, *reads))
    return term.summed(u).guarded(brackets)


def chain_rule(geo: Geometry, at: tuple[Expr, ...]) -> Sum:
    n, c, *i = fresh(["n", "c", *("i" for _ in geo.axes)])
    ranges = [*below(n, integer("N")), *below(c, integer("C"))]
    for ax, ij in zip(geo.axes, i):
        ranges += below(ij, ax.out)
    local = derivative(forward(geo, n, c, tuple(i)), "X", at)
    upstream = entry("G", n, c, *i)
    index = (n, c, *i)
    return Sum(tuple(upstream.times(t).summed(index).guarded(ranges) for t in local.terms))


def constant_transpose(geo: Geometry, at: tuple[Expr, ...]) -> Term:
    """conv_transpose(G, 1/k^n, stride s, padding p, output_padding a, groups C) at [n, c, h]:
    every G[n, c, i] adds 1/k^n at h = s*i + u - p for each kernel position u."""
    n, c, *h = at
    rest = fresh([*("i" for _ in geo.axes), *("u" for _ in geo.axes)])
    i, u = rest[: geo.dims], rest[geo.dims :]
    brackets = []
    for ax, ij, uj, hj in zip(geo.axes, i, u, h):
        brackets += [
            *below(ij, ax.out),
            *below(uj, ax.kernel),
            equal(ax.stride * ij + uj - ax.padding, hj),
        ]
    term = constant(1 / geo.divisor()).times(entry("G", n, c, *i))
    return term.summed((*i, *u)).guarded(brackets)


def upsampled(geo: Geometry, at: tuple[Expr, ...]) -> Term:
    """up_s(G)/k^n at [n, c, h]: G[n, c, i] repeated over the s positions s*i ... s*i + s - 1,
    zero past the last window (the a leftover rows)."""
    n, c, *h = at
    i = fresh("i" for _ in geo.axes)
    brackets = []
    for ax, ij, hj in zip(geo.axes, i, h):
        brackets += [*below(ij, ax.out), *below(hj - ax.stride * ij, ax.stride)]
    term = constant(1 / geo.divisor()).times(entry("G", n, c, *i))
    return term.summed(i).guarded(brackets)


def _free(geo: Geometry) -> dict[sp.Symbol, Expr]:
    sizes = (integer("N"), integer("C"), *(ax.size for ax in geo.axes))
    return free_indices(geo.dims, "n c h", sizes)


def _theorem(key: str, upsampling: bool, right, definition: str, statement, hypotheses) -> Theorem:  # type: ignore[no-untyped-def]
    holds, steps = True, []
    for dims in DIMS:
        geo = geometry(dims, upsampling)
        free = _free(geo)
        at = tuple(free)
        left, rhs = chain_rule(geo, at), Sum((right(geo, at),))
        comparison = compare(left, rhs, geo.assumptions(free), geo.slots())
        holds = holds and comparison.holds
        if dims == 1:
            n, c, i = (integer(x) for x in ("n", "c", "i"))
            steps = [
                Step(
                    "pool-forward",
                    display("O_{n,c,i}", [shown(forward(geo, n, c, (i,)), geo.slots())], set()),
                ),
                *identity_steps(
                    "\\frac{\\partial L}{\\partial X_{n,c,h}}",
                    left,
                    rhs,
                    definition,
                    comparison,
                    set(free),
                    geo.slots(),
                ),
            ]
    return Theorem(key, "pool", statement, hypotheses, tuple(steps), holds, DIMS, len(DIMS))


HYPOTHESES = (
    "s, k \\ge 1,\\quad p \\ge 0,\\quad H + 2p \\ge k,\\quad H + 2p - k = s\\,q + a,\\quad "
    "0 \\le a \\le s - 1",
    "\\text{every window divided by } k^n:\\ \\texttt{count\\_include\\_pad=True} "
    "\\text{ or } p = 0,",
    "\\texttt{ceil\\_mode=False},\\ \\text{no } \\texttt{divisor\\_override}",
)


def input_gradient() -> Theorem:
    return _theorem(
        "pool-input-gradient",
        False,
        constant_transpose,
        "\\operatorname{conv\\_transpose}(G, \\tfrac{1}{k^n}\\mathbf{1})_{n,c,h}",
        (
            "\\frac{\\partial L}{\\partial X} = \\operatorname{conv\\_transpose}\\Big("
            "\\frac{\\partial L}{\\partial O}, \\tfrac{1}{k^n}\\mathbf{1}_{k \\times \\dots "
            "\\times k};\\ \\text{stride } s, \\text{ padding } p, \\text{ output\\_padding } a, "
            "\\text{ groups } C\\Big)",
        ),
        HYPOTHESES,
    )


def upsampling() -> Theorem:
    return _theorem(
        "pool-upsampling",
        True,
        upsampled,
        "\\tfrac{1}{k^n}\\operatorname{up}_s(G)_{n,c,h}",
        (
            "k = s,\\ p = 0:\\quad \\frac{\\partial L}{\\partial X_{n,c,h}} = \\frac{1}{k^n}\\,"
            "\\frac{\\partial L}{\\partial O_{n,c,\\lfloor h/s \\rfloor}}"
            "\\ \\text{ for } h < s\\,H_{out},"
            "\\quad 0 \\text{ for the last } a \\text{ rows}",
        ),
        ("s = k \\ge 1,\\quad p = 0,\\quad H = s\\,H_{out} + a,\\quad 0 \\le a \\le s - 1",),
    )


THEOREMS = {"pool-input-gradient": input_gradient, "pool-upsampling": upsampling}
