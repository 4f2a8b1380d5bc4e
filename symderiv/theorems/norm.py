"""Normalisation's theorem: the compact input gradient for every group size M, shared by batch,
layer, group and instance norm, and the affine parameters' gradients for every size.

The compact formula's proof is the one the normalisation layers already run
(``layers.norm.prove_general``: a generic element, the sums over the group kept as symbols);
this module states it as a theorem and writes its steps out. The affine part is proven in the
term language like the other families.
"""

from __future__ import annotations

import sympy as sp

from ..layers.norm.prove_general import equal_for_every_m, general_form
from .normal import Assumptions, nonnegative_symbol
from .proofs import compare, identity_steps
from .result import Step, Theorem
from .terms import Sum, below, derivative, entry, fresh, integer

GROUPS = (
    "\\text{batch\\_norm: } M = N H W \\text{ (per channel)},\\quad "
    "\\text{instance\\_norm: } M = H W",
    "\\text{group\\_norm: } M = (C/G)\\,H W,\\quad "
    "\\text{layer\\_norm: } M = \\text{the product of normalized\\_shape}",
)


def _names(form_symbols: set[sp.Basic]) -> dict[sp.Basic, str]:
    spelled = {
        "M": "M",
        "x_i": "x_{i}",
        "g_i": "g_{i}",
        "mu": "\\mu",
        "sigma2": "\\sigma^{2}",
        "epsilon": "\\epsilon",
        "S_g": "S_{g}",
        "S_gd": "S_{gx}",
        "S_d": "S_{x}",
    }
    return {s: spelled[s.name] for s in form_symbols if s.name in spelled}  # type: ignore[attr-defined]


def _compact() -> tuple[bool, list[Step]]:
    form = general_form()
    holds = equal_for_every_m(form)
    names = _names(form.staged.free_symbols | form.compact.free_symbols)
    steps = [
        Step(
            "norm-definitions",
            (
                "\\mu = \\frac{1}{M}\\sum_j x_j,\\quad \\sigma^{2} = \\frac{1}{M}\\sum_j "
                "(x_j - \\mu)^{2},\\quad \\hat x_i = \\frac{x_i - \\mu}{\\sqrt{\\sigma^{2} + "
                "\\epsilon}},\\quad g_i = \\frac{\\partial L}{\\partial \\hat x_i}",
                "S_{g} = \\sum_j g_j,\\quad S_{gx} = \\sum_j g_j (x_j - \\mu),\\quad "
                "S_{x} = \\sum_j (x_j - \\mu)",
            ),
        ),
        Step(
            "norm-staged",
            ("\\frac{\\partial L}{\\partial x_i} &= " + sp.latex(form.staged, symbol_names=names),),
        ),
        Step("norm-deviations", ("S_{x} = \\sum_j x_j - M \\mu = M\\mu - M\\mu = 0",)),
        Step(
            "norm-compact",
            (
                "\\frac{\\partial L}{\\partial x_i} &= "
                + sp.latex(form.compact, symbol_names=names),
            ),
        ),
    ]
    return holds, steps


def _affine(per_channel: bool) -> tuple[bool, list[Step], int]:
    """y = gamma * x_hat + beta: per channel (``[n, c, h]``, h every position of the channel)
    for batch, group and instance norm; per element of ``normalized_shape`` (``[n, j]``) for
    layer norm."""
    index = ("n", "c", "h") if per_channel else ("n", "j")
    sizes = {"n": integer("N"), "c": integer("C"), "h": integer("P"), "j": integer("J")}
    own = index[1]
    slots = {"G": index, "Xh": index, "gamma": (own,), "beta": (own,)}

    def assumptions(free: dict[sp.Symbol, sp.Expr]) -> Assumptions:
        sub = {sizes[x]: 1 + nonnegative_symbol(sizes[x].name) for x in index}
        sub |= {v: nonnegative_symbol(v.name + "_") for v in free}
        return Assumptions(sub, tuple(size - 1 - v for v, size in free.items()))

    def gradient(tensor: str, at: tuple[sp.Expr, ...]) -> Sum:
        summed = fresh(index)
        ranges = [b for v, x in zip(summed, index) for b in below(v, sizes[x])]
        own_index = summed[1]
        forward = Sum(
            (
                entry("gamma", own_index).times(entry("Xh", *summed)),
                entry("beta", own_index),
            )
        )
        terms = []
        for t in forward.terms:
            for local in derivative(t, tensor, at).terms:
                terms.append(entry("G", *summed).times(local).summed(summed).guarded(ranges))
        return Sum(tuple(terms))

    def over_own(at: sp.Symbol, with_xhat: bool) -> Sum:
        summed = fresh(x for x in index if x != own)
        full = tuple(at if x == own else summed[0 if x == "n" else 1] for x in index)
        ranges = [
            b for v, x in zip(summed, (x for x in index if x != own)) for b in below(v, sizes[x])
        ]
        term = entry("G", *full)
        if with_xhat:
            term = term.times(entry("Xh", *full))
        return Sum((term.summed(summed).guarded(ranges),))

    point = tuple(integer(x) for x in index)
    c = integer(own)
    subscript = ",".join(index)
    cases = (
        (
            "Xh",
            point,
            {integer(x): sizes[x] for x in index},
            Sum((entry("gamma", c).times(entry("G", *point)),)),
            f"\\frac{{\\partial L}}{{\\partial \\hat x_{{{subscript}}}}}",
            f"\\gamma_{{{own}}}\\, G_{{{subscript}}}",
        ),
        (
            "gamma",
            (c,),
            {c: sizes[own]},
            over_own(c, True),
            f"\\frac{{\\partial L}}{{\\partial \\gamma_{{{own}}}}}",
            "\\textstyle\\sum G \\hat x",
        ),
        (
            "beta",
            (c,),
            {c: sizes[own]},
            over_own(c, False),
            f"\\frac{{\\partial L}}{{\\partial \\beta_{{{own}}}}}",
            "\\textstyle\\sum G",
        ),
    )
    holds, steps = True, []
    for tensor, at, free, right, label, definition in cases:
        left = gradient(tensor, at)
        comparison = compare(left, right, assumptions(free), slots)
        holds = holds and comparison.holds
        found = identity_steps(label, left, right, definition, comparison, set(free), slots)
        steps += [found[0], found[1]]
    return holds, steps, len(cases)


def theorem() -> Theorem:
    holds, steps = _compact()
    channel_holds, channel_steps, channel_checks = _affine(per_channel=True)
    layer_holds, _, layer_checks = _affine(per_channel=False)
    steps.append(Step("norm-affine", ("y_{n,c,h} = \\gamma_{c}\\,\\hat x_{n,c,h} + \\beta_{c}",)))
    steps += channel_steps
    steps.append(Step("norm-affine-layer", ("y_{n,j} = \\gamma_{j}\\,\\hat x_{n,j} + \\beta_{j}",)))
    return Theorem(
        "norm",
        "norm",
        (
            "\\frac{\\partial L}{\\partial x_i} = \\frac{1}{M\\sqrt{\\sigma^{2} + \\epsilon}}"
            "\\Big(M g_i - \\sum_j g_j - \\hat x_i \\sum_j g_j \\hat x_j\\Big),"
            "\\quad g = \\gamma \\odot \\frac{\\partial L}{\\partial y}",
            "\\frac{\\partial L}{\\partial \\gamma_c} = \\sum_{n,h} "
            "\\frac{\\partial L}{\\partial y_{n,c,h}}\\,\\hat x_{n,c,h},\\qquad "
            "\\frac{\\partial L}{\\partial \\beta_c} = \\sum_{n,h} "
            "\\frac{\\partial L}{\\partial y_{n,c,h}}",
        ),
        (
            "M \\ge 1,\\quad \\epsilon > 0,\\quad \\text{each group of } M \\text{ values "
            "normalised by its own } \\mu, \\sigma^{2}",
            *GROUPS,
        ),
        tuple(steps),
        holds and channel_holds and layer_holds,
        (),
        1 + channel_checks + layer_checks,
    )


THEOREMS = {"norm": theorem}
