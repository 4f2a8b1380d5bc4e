"""The convolutions in index form, for symbolic sizes: the forward pass, the chain rule, and
the right-hand sides a theorem or a claim names (transposed convolution, the weight gradient,
full correlation with the flipped kernel, full convolution), each from its own definition.

Channels are written as (group, channel within the group): ``X[n, g, c, h]`` is PyTorch's
``X[n, g*C + c, h]`` with ``C`` the input channels per group, a bijection of the channel axis,
so that grouped and depthwise convolutions need no rule of their own. ``G`` is dL/dO.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .normal import Assumptions, nonnegative_symbol
from .terms import (
    Expr,
    Sum,
    Term,
    below,
    derivative,
    entry,
    equal,
    free_indices,
    fresh,
    integer,
    on_axis,
    spatial_slots,
)

SLOTS = {
    "G": ("n", "gamma", "o", "i"),
    "W": ("gamma", "o", "c", "u"),
    "X": ("n", "gamma", "c", "h"),
    "Gy": ("n", "gamma", "c", "h"),
    "b": ("gamma", "o"),
}
"""The names a summed variable takes after the slot it indexes (spatial slots get the axis)."""


@dataclass(frozen=True)
class Axis:
    size: Expr
    """The input size, written as ``s*q + a - 2p + d(k - 1) + 1`` (so H_out = q + 1)."""
    stride: Expr
    padding: Expr
    dilation: Expr
    kernel: sp.Symbol
    quotient: sp.Symbol
    remainder: Expr
    name: sp.Symbol
    """The size's own symbol (H, W or D), for the statements."""

    @property
    def out(self) -> Expr:
        return self.quotient + 1


@dataclass(frozen=True)
class Geometry:
    dims: int
    axes: tuple[Axis, ...]
    batch: sp.Symbol
    groups: Expr
    in_per_group: sp.Symbol
    out_per_group: sp.Symbol

    def slots(self) -> dict[str, tuple[str, ...]]:
        return spatial_slots(SLOTS, self.dims)

    def assumptions(self, free: dict[sp.Symbol, Expr], below_stride: bool = True) -> Assumptions:
        """Sizes positive, 0 <= a < s (``below_stride``; else only a >= 0: a transposed
        convolution's output_padding may reach the dilation), H >= 1, and each free index in
        [0, its size)."""
        sub: dict[sp.Symbol, Expr] = {}
        atoms: list[Expr] = []
        for symbol in (self.batch, self.groups, self.in_per_group, self.out_per_group):
            if isinstance(symbol, sp.Symbol):
                sub[symbol] = 1 + nonnegative_symbol(symbol.name)
        for axis in self.axes:
            sub[axis.kernel] = 1 + nonnegative_symbol(axis.kernel.name)
            sub[axis.quotient] = nonnegative_symbol(axis.quotient.name)
            if isinstance(axis.stride, sp.Symbol):
                a = nonnegative_symbol(axis.remainder.name)
                sub[axis.remainder] = a
                stride = 1 + nonnegative_symbol(axis.stride.name)
                sub[axis.stride] = a + stride if below_stride else stride
            if isinstance(axis.dilation, sp.Symbol):
                sub[axis.dilation] = 1 + nonnegative_symbol(axis.dilation.name)
            if isinstance(axis.padding, sp.Symbol):
                sub[axis.padding] = nonnegative_symbol(axis.padding.name)
            atoms.append(axis.size - 1)
        return Assumptions(sub, tuple(atoms)).with_indices(free)


SETTINGS = frozenset("spdg")
"""The settings a geometry can leave symbolic: stride, padding, dilation, groups."""
DEFAULTS = {"s": 1, "p": 0, "d": 1, "g": 1}
"""PyTorch's default of each, what a setting that is not symbolic takes."""
SIZE_NAMES = {1: ("H",), 2: ("H", "W"), 3: ("D", "H", "W")}


def geometry(dims: int, plain: bool = False, general: frozenset[str] = SETTINGS) -> Geometry:
    """Symbolic sizes for ``dims`` spatial axes; the settings not in ``general`` take PyTorch's
    defaults; ``plain``: stride 1, no padding, dilation 1 (groups kept)."""

    def per_axis(name: str, j: int) -> Expr:
        if name in DEFAULTS and name not in general:
            return sp.Integer(DEFAULTS[name])
        return on_axis(name, j, dims)

    if plain:
        general = general & {"g"}
    axes = []
    for j in range(dims):
        s, p, d = (per_axis(n, j) for n in ("s", "p", "d"))
        k, q = on_axis("k", j, dims), on_axis("q", j, dims)
        # 0 <= a < s: with stride 1 the remainder is 0.
        a = per_axis("a", j) if isinstance(s, sp.Symbol) else sp.Integer(0)
        axes.append(
            Axis(
                s * q + a - 2 * p + d * (k - 1) + 1, s, p, d, k, q, a, integer(SIZE_NAMES[dims][j])
            )
        )
    groups = integer("g") if "g" in general else sp.Integer(1)
    return Geometry(dims, tuple(axes), integer("N"), groups, integer("C_i"), integer("C_o"))


def forward(geo: Geometry, n: Expr, group: Expr, o: Expr, i: tuple[Expr, ...]) -> Term:
    """O[n, group, o, i] = sum_{c, u} X[n, group, c, s*i + d*u - p] W[group, o, c, u], the
    padding's zeros as brackets: the input position must lie inside X."""
    c, *u = fresh(["c", *("u" for _ in geo.axes)])
    reads = tuple(
        ax.stride * ij + ax.dilation * uj - ax.padding for ax, ij, uj in zip(geo.axes, i, u)
    )
    term = entry("X", n, group, c, *reads).times(entry("W", group, o, c, *u))
    brackets = [*below(c, geo.in_per_group)]
    for ax, uj, r in zip(geo.axes, u, reads):
        brackets += [*below(uj, ax.kernel), *below(r, ax.size)]
    return term.summed((c, *u)).guarded(brackets)


def chain_rule(geo: Geometry, tensor: str, at: tuple[Expr, ...]) -> Sum:
    """dL/dtensor[at] = sum over every output element of G[out] * dO[out]/dtensor[at]."""
    n, group, o, *i = fresh(["n", "gamma", "o", *("i" for _ in geo.axes)])
    ranges = [*below(n, geo.batch), *below(group, geo.groups), *below(o, geo.out_per_group)]
    for ax, ij in zip(geo.axes, i):
        ranges += below(ij, ax.out)
    local = derivative(forward(geo, n, group, o, tuple(i)), tensor, at)
    return _upstream("G", (n, group, o, *i), ranges, local)


def bias_chain_rule(geo: Geometry, at: tuple[Expr, ...]) -> Sum:
    """dL/db[at]: the bias b[group, o] is added to every output element of its channel."""
    n, group, o, *i = fresh(["n", "gamma", "o", *("i" for _ in geo.axes)])
    ranges = [*below(n, geo.batch), *below(group, geo.groups), *below(o, geo.out_per_group)]
    for ax, ij in zip(geo.axes, i):
        ranges += below(ij, ax.out)
    return _upstream("G", (n, group, o, *i), ranges, derivative(entry("b", group, o), "b", at))


def summed_upstream(geo: Geometry, at: tuple[Expr, ...]) -> Term:
    """sum over the batch and the output positions of G[n, group, o, i], at [group, o]."""
    group, o = at
    n, *i = fresh(["n", *("i" for _ in geo.axes)])
    ranges = [*below(n, geo.batch)]
    for ax, ij in zip(geo.axes, i):
        ranges += below(ij, ax.out)
    return entry("G", n, group, o, *i).summed((n, *i)).guarded(ranges)


def transposed_chain_rule(geo: Geometry, tensor: str, at: tuple[Expr, ...]) -> Sum:
    """The same for Y = conv_transpose(X, W) (X of the output's size, Y of the input's), with
    upstream gradient Gy = dL/dY."""
    n, group, c, *h = fresh(["n", "gamma", "c", *("h" for _ in geo.axes)])
    ranges = [*below(n, geo.batch), *below(group, geo.groups), *below(c, geo.in_per_group)]
    for ax, hj in zip(geo.axes, h):
        ranges += below(hj, ax.size)
    y = conv_transpose(
        geo, "X", "W", (n, group, c, *h), tuple(ax.out for ax in geo.axes), settings(geo)
    )
    return _upstream("Gy", (n, group, c, *h), ranges, derivative(y, tensor, at))


def _upstream(name: str, index: tuple[sp.Symbol, ...], ranges: list, local: Sum) -> Sum:
    upstream = entry(name, *index)
    return Sum(tuple(upstream.times(t).summed(index).guarded(ranges) for t in local.terms))


Sides = tuple[Sum, Sum, dict[sp.Symbol, Expr]]
"""The two sides of an identity, and the free indices of its element with their sizes."""


def input_gradient(geo: Geometry, settings: tuple[tuple[Expr, Expr, Expr], ...]) -> Sides:
    """dL/dX by the chain rule, and conv_transpose(G, W) with these settings, at [n, group,
    c, h] (the output_padding only sets the right side's size, checked apart)."""
    free = free_indices(
        geo.dims,
        "n gamma c h",
        (geo.batch, geo.groups, geo.in_per_group, *axis_values(geo, "size")),
    )
    at = tuple(free)
    right = conv_transpose(geo, "G", "W", at, axis_values(geo, "out"), settings)
    return chain_rule(geo, "X", at), Sum((right,)), free


def kernel_gradient(
    geo: Geometry, settings: tuple[tuple[Expr, Expr, Expr], ...], transposed: bool = False
) -> Sides:
    """dL/dW by the chain rule, and the textbook weight gradient with these settings, at
    [group, o, c, u]; of a transposed convolution (``transposed``), with its input and its
    upstream gradient in each other's roles."""
    sizes = (geo.groups, geo.out_per_group, geo.in_per_group, *axis_values(geo, "kernel"))
    free = free_indices(geo.dims, "gamma o c u", sizes)
    at = tuple(free)
    left = (transposed_chain_rule if transposed else chain_rule)(geo, "W", at)
    source, upstream = ("Gy", "X") if transposed else ("X", "G")
    right = weight_gradient(
        geo, source, upstream, at, axis_values(geo, "size"), axis_values(geo, "out"), settings
    )
    return left, Sum((right,)), free


def axis_values(geo: Geometry, field: str) -> tuple[Expr, ...]:
    """One field of every axis: their sizes, output sizes or kernels."""
    return tuple(getattr(ax, field) for ax in geo.axes)


def settings(geo: Geometry) -> tuple[tuple[Expr, Expr, Expr], ...]:
    """Each axis's (stride, padding, dilation): the layer's own."""
    return tuple((ax.stride, ax.padding, ax.dilation) for ax in geo.axes)


def conv_transpose(
    geo: Geometry,
    source: str,
    weight: str,
    at: tuple[Expr, ...],
    in_sizes: tuple[Expr, ...],
    settings: tuple[tuple[Expr, Expr, Expr], ...],
) -> Term:
    """PyTorch's conv_transpose at [n, group, c, h]: every input element ``source[n, group, o,
    i]`` adds ``weight[group, o, c, u]`` at h = s*i + d*u - p. ``settings`` holds each axis's
    (stride, padding, dilation)."""
    n, group, c, *h = at
    o, *rest = fresh(["o", *("i" for _ in geo.axes), *("u" for _ in geo.axes)])
    i, u = rest[: geo.dims], rest[geo.dims :]
    term = entry(source, n, group, o, *i).times(entry(weight, group, o, c, *u))
    brackets = [*below(o, geo.out_per_group)]
    for ax, (s, p, d), size, ij, uj, hj in zip(geo.axes, settings, in_sizes, i, u, h):
        brackets += [*below(ij, size), *below(uj, ax.kernel), equal(s * ij + d * uj - p, hj)]
    return term.summed((o, *i, *u)).guarded(brackets)


def conv(
    geo: Geometry,
    source: str,
    weight: str,
    at: tuple[Expr, ...],
    in_sizes: tuple[Expr, ...],
    settings: tuple[tuple[Expr, Expr, Expr], ...],
) -> Term:
    """PyTorch's conv at [n, group, o, i], read from ``source`` of spatial size ``in_sizes``."""
    n, group, o, *i = at
    c, *u = fresh(["c", *("u" for _ in geo.axes)])
    term = entry(
        source, n, group, c, *(s * ij + d * uj - p for (s, p, d), ij, uj in zip(settings, i, u))
    ).times(entry(weight, group, o, c, *u))
    brackets = [*below(c, geo.in_per_group)]
    for ax, (s, p, d), size, ij, uj in zip(geo.axes, settings, in_sizes, i, u):
        brackets += [*below(uj, ax.kernel), *below(s * ij + d * uj - p, size)]
    return term.summed((c, *u)).guarded(brackets)


def weight_gradient(
    geo: Geometry,
    source: str,
    upstream: str,
    at: tuple[Expr, ...],
    in_sizes: tuple[Expr, ...],
    out_sizes: tuple[Expr, ...],
    settings: tuple[tuple[Expr, Expr, Expr], ...],
) -> Term:
    """The textbook weight gradient at [group, o, c, u]: pad ``source`` by p, insert s - 1
    zeros between the entries of ``upstream`` (its value at m is sum_i [m = s*i] G[i]),
    correlate, sample every d-th position, crop to the kernel, sum over the batch."""
    group, o, c, *u = at
    n, *rest = fresh(
        ["n", *("m" for _ in geo.axes), *("i" for _ in geo.axes), *("t" for _ in geo.axes)]
    )
    m, i, t = rest[: geo.dims], rest[geo.dims : 2 * geo.dims], rest[2 * geo.dims :]
    term = entry(source, n, group, c, *(tj - p for (_, p, _), tj in zip(settings, t))).times(
        entry(upstream, n, group, o, *i)
    )
    brackets = [*below(n, geo.batch)]
    for (s, p, d), size, out, uj, mj, ij, tj in zip(settings, in_sizes, out_sizes, u, m, i, t):
        brackets += [
            *below(tj - p, size),  # the padded input: zero outside
            equal(tj, d * uj + mj),  # correlation, sampled every d
            equal(mj, s * ij),  # the dilated upstream gradient
            *below(ij, out),
        ]
    return term.summed((n, *m, *i, *t)).guarded(brackets)


def flipped_correlation(geo: Geometry, at: tuple[Expr, ...]) -> Term:
    """Full cross-correlation of G (padded by k - 1) with rot180(W), summed over the output
    channels, at [n, group, c, h]: sum_{o, u} Gpad[n, group, o, h + u] W[group, o, c, k-1-u]."""
    n, group, c, *h = at
    o, *rest = fresh(["o", *("u" for _ in geo.axes), *("t" for _ in geo.axes)])
    u, t = rest[: geo.dims], rest[geo.dims :]
    term = entry("G", n, group, o, *(tj - (ax.kernel - 1) for ax, tj in zip(geo.axes, t))).times(
        entry("W", group, o, c, *(ax.kernel - 1 - uj for ax, uj in zip(geo.axes, u)))
    )
    brackets = [*below(o, geo.out_per_group)]
    for ax, hj, uj, tj in zip(geo.axes, h, u, t):
        brackets += [
            *below(tj - (ax.kernel - 1), ax.out),
            equal(tj, hj + uj),
            *below(uj, ax.kernel),
        ]
    return term.summed((o, *u, *t)).guarded(brackets)


def full_convolution(geo: Geometry, at: tuple[Expr, ...]) -> Term:
    """Full convolution of G with W, summed over the output channels, at [n, group, c, h]:
    (G * W)[h] = sum_u G[h - u] W[u], zero outside G."""
    n, group, c, *h = at
    o, *u = fresh(["o", *("u" for _ in geo.axes)])
    term = entry("G", n, group, o, *(hj - uj for hj, uj in zip(h, u))).times(
        entry("W", group, o, c, *u)
    )
    brackets = [*below(o, geo.out_per_group)]
    for ax, hj, uj in zip(geo.axes, h, u):
        brackets += [*below(hj - uj, ax.out), *below(uj, ax.kernel)]
    return term.summed((o, *u)).guarded(brackets)
