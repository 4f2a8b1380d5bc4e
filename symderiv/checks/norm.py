"""Claims about a normalisation layer, judged exactly.

The claim may use the tensors (``x``, ``gamma``, ``beta``, ``dL/dy``), ``g`` (``gamma *
dL/dy``, that is dL/dxhat), ``xhat``, ``var`` (each value's group variance), ``eps``,
``mean(t)`` (over each value's group), ``sqrt(t)`` and ``sum(t, dims)``. Both the claim and
the derived gradient are SymPy expressions in the element symbols with square roots of
``var + eps``; each group's root is named ``s_g``, the difference is brought over a common
denominator, and its numerator is reduced modulo ``s_g^2 = var_g + eps`` to ``A + B s_g`` per
group. It is zero exactly when every remaining coefficient expands to 0 (``eps`` stays a
symbol, so ``var + eps`` is never a perfect square): an exact decision, with no numbers
involved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy as sp

from ..core.errors import SymderivError
from ..core.grid import Grid, Index
from .evaluate import chosen_axes, summed
from .syntax import ARITHMETIC, Binary, Call, Group, Negate, Node, Number, Ref, Tuple

Value = Any
"""A grid of SymPy expressions, or one expression (SymPy's types are not checked)."""


@dataclass(frozen=True)
class NormLayer:
    tensors: dict[str, Grid[sp.Expr]]
    group: dict[Index, int]
    """The group of each element of x."""
    members: list[list[Index]]
    roots: list[sp.Symbol]
    """s_g = sqrt(var_g + eps), one symbol per group."""
    means: list[sp.Expr]
    variances: list[sp.Expr]
    parameter_of: Callable[[Index], Index]

    @staticmethod
    def of(d: Any) -> NormLayer:
        tensors = {t.key: t.symbols for t in d.tensors if t.key != "y"}
        x = tensors["x"]
        members = [list(s.members) for s in d.statistics]
        group = {index: g for g, indices in enumerate(members) for index in indices}
        means = [sp.Add(*(x[i] for i in m)) / len(m) for m in members]
        variances = [
            sp.Add(*((x[i] - mu) ** 2 for i in m)) / len(m) for m, mu in zip(members, means)
        ]
        roots = [sp.Symbol(f"s_{g + 1}", positive=True) for g in range(len(members))]
        return NormLayer(tensors, group, members, roots, means, variances, d.spec.parameter_of)


EPSILON = sp.Symbol("epsilon")


def evaluate(node: Node, layer: NormLayer) -> Value:
    x = layer.tensors["x"]
    if isinstance(node, Number):
        return sp.Rational(node.value.numerator, node.value.denominator)
    if isinstance(node, Ref):
        names: dict[str, Callable[[], Grid[sp.Expr] | sp.Expr]] = {
            "xhat": lambda: Grid.build(
                x.shape,
                lambda i: (x[i] - layer.means[layer.group[i]]) / layer.roots[layer.group[i]],
            ),
            "var": lambda: Grid.build(x.shape, lambda i: layer.variances[layer.group[i]]),
            # g = dL/dxhat = gamma * dL/dy, as the textbooks write the formula.
            "g": lambda: Grid.build(
                x.shape,
                lambda i: layer.tensors["dL/dy"][i] * layer.tensors["gamma"][layer.parameter_of(i)],
            ),
            "eps": lambda: EPSILON,
        }
        if node.name in names:
            value = names[node.name]()
        elif node.name in layer.tensors:
            value = layer.tensors[node.name]
        else:
            known = ", ".join([*layer.tensors, *names])
            raise SymderivError(f"--claim: unknown name {node.name!r}; this layer's are {known}")
        if node.index is None:
            return value
        if not isinstance(value, Grid):
            raise SymderivError(f"--claim: {node.name} has no elements")
        return value[tuple(i - 1 for i in node.index)]
    if isinstance(node, Negate):
        return _map(evaluate(node.operand, layer), lambda e: -e)
    if isinstance(node, Binary):
        if node.op == "mod":
            raise SymderivError("--claim: mod is for whole-number settings, not normalisation")
        left, right = evaluate(node.left, layer), evaluate(node.right, layer)
        return _combine(left, right, ARITHMETIC[node.op], layer)
    if isinstance(node, (Tuple, Group)):
        raise SymderivError("--claim: a tuple such as (0, 2) is only a sum's axes")
    return _call(node, layer)


def _map(value: Value, f: Callable[[sp.Expr], sp.Expr]) -> Value:
    return value.map(f) if isinstance(value, Grid) else f(value)


def _broadcast(g: Grid[sp.Expr], shape: tuple[int, ...], layer: NormLayer) -> Grid[sp.Expr]:
    """A parameter (gamma, beta, a per-parameter sum) spread over x's elements."""
    if g.shape == shape:
        return g
    if g.shape == layer.tensors["gamma"].shape:
        return Grid.build(shape, lambda i: g[layer.parameter_of(i)])
    raise SymderivError(f"--claim: cannot combine shapes {g.shape} and {shape}")


def _combine(
    left: Value, right: Value, f: Callable[[sp.Expr, sp.Expr], sp.Expr], layer: NormLayer
) -> Value:
    if isinstance(left, Grid) and isinstance(right, Grid):
        shape = left.shape if len(left.cells) >= len(right.cells) else right.shape
        a, b = _broadcast(left, shape, layer), _broadcast(right, shape, layer)
        return Grid(shape, tuple(f(p, q) for p, q in zip(a.cells, b.cells)))
    if isinstance(left, Grid):
        return left.map(lambda a: f(a, right))
    if isinstance(right, Grid):
        return right.map(lambda b: f(left, b))
    return f(left, right)


def _call(node: Call, layer: NormLayer) -> Value:
    if node.keywords:
        raise SymderivError(f"--claim: {node.function} takes no settings here")
    args = [evaluate(a, layer) for a in node.args[:1]]
    x = layer.tensors["x"]
    if node.function == "sqrt" and len(node.args) == 1:
        return _map(args[0], sp.sqrt)
    if node.function == "mean" and len(node.args) == 1 and isinstance(args[0], Grid):
        t = _broadcast(args[0], x.shape, layer)
        means = [sp.Add(*(t[i] for i in m)) / len(m) for m in layer.members]
        return Grid.build(x.shape, lambda i: means[layer.group[i]])
    if node.function == "sum" and isinstance(args[0], Grid):
        if len(node.args) == 1:
            return sp.Add(*args[0].cells)
        chosen = chosen_axes(node.args[1], lambda n: _rational(evaluate(n, layer)))
        return summed(args[0], chosen, lambda values: sp.Add(*values))
    raise SymderivError(
        f"--claim: {node.function}() is not a function of normalisation claims; they use "
        "mean, sqrt and sum"
    )


def _rational(value: Value) -> Fraction | None:
    if isinstance(value, sp.Basic) and value.is_Rational:
        return Fraction(int(value.p), int(value.q))
    return None


def _named_roots(e: sp.Expr, layer: NormLayer) -> sp.Expr:
    """Each power of (var_g + eps) with an odd half exponent as a power of s_g."""
    targets = [sp.expand(v + EPSILON) for v in layer.variances]

    def swap(p: sp.Pow) -> sp.Expr:
        base = sp.expand(p.base)
        for root, target in zip(layer.roots, targets):
            if sp.expand(base - target) == 0:
                return root ** int(2 * p.exp)
        return p

    return e.replace(
        lambda p: isinstance(p, sp.Pow) and p.exp.is_Rational and p.exp.q == 2,
        swap,
    )


def is_zero(difference: sp.Expr, layer: NormLayer) -> bool:
    numerator, _ = sp.fraction(sp.together(_named_roots(difference, layer)))
    numerator = sp.expand(numerator)
    for root, variance in zip(layer.roots, layer.variances):
        if numerator.has(root):
            numerator = sp.expand(sp.rem(numerator, root**2 - (variance + EPSILON), root))
    return bool(numerator == 0)


def element(layer: NormLayer, e: sp.Expr) -> sp.Expr:
    """An expression as it reads for the verdict, with the roots written back."""
    return e.subs({r: sp.sqrt(v + EPSILON) for r, v in zip(layer.roots, layer.variances)})


def _variants(layer: NormLayer) -> dict[str, Grid[sp.Expr]]:
    """dL/dx with one of the classic mistakes: the path through the mean dropped, the path
    through the variance dropped, sums in place of means (the 1/M missing)."""
    x, gamma, dy = (layer.tensors[k] for k in ("x", "gamma", "dL/dy"))
    g = Grid.build(x.shape, lambda i: dy[i] * gamma[layer.parameter_of(i)])
    xhat = Grid.build(
        x.shape, lambda i: (x[i] - layer.means[layer.group[i]]) / layer.roots[layer.group[i]]
    )

    def over(values: Grid[sp.Expr], scale: bool) -> list[sp.Expr]:
        return [sp.Add(*(values[i] for i in m)) / (len(m) if scale else 1) for m in layer.members]

    gx = Grid(x.shape, tuple(a * b for a, b in zip(g.cells, xhat.cells)))
    mean_g, mean_gx = over(g, True), over(gx, True)
    sum_g, sum_gx = over(g, False), over(gx, False)

    def build(f: Callable[[Index, int], sp.Expr]) -> Grid[sp.Expr]:
        return Grid.build(x.shape, lambda i: f(i, layer.group[i]) / layer.roots[layer.group[i]])

    return {
        "mean_path": build(lambda i, k: g[i] - xhat[i] * mean_gx[k]),
        "variance_path": build(lambda i, k: g[i] - mean_g[k]),
        "one_over_m": build(lambda i, k: g[i] - sum_g[k] - xhat[i] * sum_gx[k]),
    }


def differing(claimed: Grid[sp.Expr], derived: Grid[sp.Expr], layer: NormLayer) -> list[int]:
    return [
        n for n, (a, b) in enumerate(zip(claimed.cells, derived.cells)) if not is_zero(a - b, layer)
    ]


def mistakes(claimed: Grid[sp.Expr], layer: NormLayer) -> tuple[tuple[str, str], ...]:
    """The classic mistakes the refuted claim for dL/dx is exactly equal to."""
    return tuple(
        (code, "")
        for code, wrong in _variants(layer).items()
        if not differing(claimed, wrong, layer)
    )
