"""The convolution theorems, for symbolic sizes and settings in 1, 2 and 3 dimensions.

Each identity is proven by normalising both sides' index forms (``normal``) under the same
assumptions, once per number of spatial axes; the written proof is the one-axis run's.
"""

from __future__ import annotations

import sympy as sp

from . import conv_terms as ct
from .normal import Assumptions, nonnegative_symbol
from .printing import tex
from .proofs import compare, display, identity_steps, shown
from .result import Step, Theorem
from .terms import Sum, free_indices, integer

DIMS = (1, 2, 3)
HYPOTHESES = (
    "s, d, k, g \\ge 1,\\quad p \\ge 0,\\quad H \\ge 1,\\quad H + 2p \\ge d(k-1) + 1",
    "H + 2p - d(k-1) - 1 = s\\,q + a,\\quad 0 \\le a \\le s - 1",
)
WHERE = "\\text{channels as (group, channel): } X_{n,\\gamma,c,h} = X[n,\\ \\gamma C_i + c,\\ h]"


def _free(geo: ct.Geometry, names: str, lead: tuple[sp.Expr, ...], spatial: str) -> dict:
    """The free indices of a gradient element: the leading ones with ``lead`` sizes, the
    spatial one with each axis's ``spatial`` field (``size`` or ``out``)."""
    return free_indices(geo.dims, names, (*lead, *ct.axis_values(geo, spatial)))


def _size_facts() -> tuple[bool, bool]:
    """With H = s q + a - 2p + d(k-1) + 1 and 0 <= a <= s - 1: the floor of (H + 2p - d(k-1)
    - 1)/s = (s q + a)/s is q (its remainder a lies in [0, s - 1]), and the transposed
    convolution of q + 1 positions with output_padding a has H positions."""
    s, p, d, k, q, a = (integer(n) for n in ("s", "p", "d", "k", "q", "a"))
    assumptions = Assumptions(
        {
            a: nonnegative_symbol("a"),
            s: nonnegative_symbol("a") + 1 + nonnegative_symbol("s"),
            q: nonnegative_symbol("q"),
        }
    )
    size = s * q + a - 2 * p + d * (k - 1) + 1
    numerator = sp.expand_mul(size + 2 * p - d * (k - 1) - 1)  # = s q + a
    remainder = sp.expand_mul(numerator - s * q)
    floor_is_q = assumptions.nonnegative(remainder) and assumptions.nonnegative(s - 1 - remainder)
    transposed = sp.expand_mul((q + 1 - 1) * s - 2 * p + d * (k - 1) + a + 1)
    return floor_is_q, sp.expand_mul(transposed - size) == 0


def sizes() -> Theorem:
    """Output sizes, and the output_padding that makes the transposed convolution return H."""
    h = integer("H")
    floor_is_q, returns_h = _size_facts()
    steps = (
        Step("sizes-write", ("H + 2p - d(k-1) - 1 = s\\,q + a, \\quad 0 \\le a \\le s - 1",)),
        Step(
            "sizes-floor",
            (
                "H_{out} = \\left\\lfloor \\frac{s\\,q + a}{s} \\right\\rfloor + 1 = q + 1"
                ",\\qquad a = (H + 2p - d(k-1) - 1) \\bmod s",
            ),
        ),
        Step(
            "sizes-transposed",
            (
                "(H_{out} - 1)\\,s - 2p + d(k-1) + a + 1 &= s\\,q - 2p + d(k-1) + a + 1",
                f"&= {tex(h)}",
            ),
        ),
    )
    return Theorem(
        "conv-sizes",
        "conv",
        (
            "H_{out} = \\left\\lfloor \\frac{H + 2p - d(k-1) - 1}{s} \\right\\rfloor + 1",
            "H^{T}_{out} = (H_{in} - 1)\\,s - 2p + d(k-1) + a + 1",
            "a = (H + 2p - d(k-1) - 1) \\bmod s \\;\\Rightarrow\\; "
            "\\operatorname{conv\\_transpose}(\\cdot\\,; s, p, a, d) "
            "\\text{ maps } H_{out} \\text{ back to } H",
        ),
        HYPOTHESES,
        steps,
        floor_is_q and returns_h,
        DIMS,
        3,
    )


def _input_gradient(geo: ct.Geometry) -> ct.Sides:
    return ct.input_gradient(geo, ct.settings(geo))


def _prove(
    build, label: str, definition: str, below_stride: bool = True
) -> tuple[bool, list[Step], int]:  # type: ignore[no-untyped-def]
    holds, steps = True, []
    for dims in DIMS:
        geo = ct.geometry(dims)
        left, right, free = build(geo)
        comparison = compare(left, right, geo.assumptions(free, below_stride), geo.slots())
        holds = holds and comparison.holds
        if dims == 1:
            n, group, o, i = (integer(x) for x in ("n", "gamma", "o", "i"))
            forward = ct.forward(geo, n, group, o, (i,))
            steps = [
                Step("forward", display("O_{n,\\gamma,o,i}", [shown(forward, geo.slots())], set())),
                *identity_steps(label, left, right, definition, comparison, set(free), geo.slots()),
            ]
    return holds, steps, len(DIMS)


def input_gradient() -> Theorem:
    holds, steps, checks = _prove(
        _input_gradient,
        "\\frac{\\partial L}{\\partial X_{n,\\gamma,c,h}}",
        "\\operatorname{conv\\_transpose}(G, W)_{n,\\gamma,c,h}",
    )
    steps.append(Step("sizes-same", ("H^{T}_{out} = (q + 1 - 1)\\,s - 2p + d(k-1) + a + 1 = H",)))
    _, returns_h = _size_facts()
    return Theorem(
        "conv-input-gradient",
        "conv",
        (
            "\\frac{\\partial L}{\\partial X} = \\operatorname{conv\\_transpose}"
            "\\Big(\\frac{\\partial L}{\\partial O}, W;\\ \\text{stride } s, \\text{ padding } p, "
            "\\text{ output\\_padding } a, \\text{ dilation } d, \\text{ groups } g\\Big)",
            "a = (H + 2p - d(k-1) - 1) \\bmod s",
        ),
        (*HYPOTHESES, WHERE),
        tuple(steps),
        holds and returns_h,
        DIMS,
        checks + 1,
    )


def _weight_gradient(geo: ct.Geometry) -> ct.Sides:
    return ct.kernel_gradient(geo, ct.settings(geo))


def _bias_gradient(geo: ct.Geometry) -> ct.Sides:
    free = {integer("gamma"): geo.groups, integer("o"): geo.out_per_group}
    at = tuple(free)
    return ct.bias_chain_rule(geo, at), Sum((ct.summed_upstream(geo, at),)), free


def weight_gradient() -> Theorem:
    holds, steps, checks = _prove(
        _weight_gradient,
        "\\frac{\\partial L}{\\partial W_{\\gamma,o,c,u}}",
        "\\nabla_W(X, G)_{\\gamma,o,c,u}",
    )
    # Cropping to the kernel keeps only computed positions: the correlation of the padded
    # input (H + 2p) with the dilated gradient (s q + 1) has H + 2p - s q = a + d(k-1) + 1
    # positions, and the last one sampled is d(k-1).
    q, a = integer("q"), integer("a")
    crop = Assumptions({a: nonnegative_symbol("a"), q: nonnegative_symbol("q")}).nonnegative(a)
    steps.append(Step("crop", ("(H + 2p) - s\\,q - 1 = a + d(k-1) \\ge d(k-1)",)))
    bias_holds, bias_steps, bias_checks = _prove(
        _bias_gradient,
        "\\frac{\\partial L}{\\partial b_{\\gamma,o}}",
        "\\textstyle\\sum_{n,i} G_{n,\\gamma,o,i}",
    )
    steps.append(Step("bias", ()))
    steps += [s for s in bias_steps if s.kind != "forward"]
    return Theorem(
        "conv-weight-gradient",
        "conv",
        (
            "\\frac{\\partial L}{\\partial W} = \\nabla_W\\Big(X, \\frac{\\partial L}{\\partial O}"
            "\\Big):\\ \\text{pad } X \\text{ by } p,\\ \\text{insert } s-1 \\text{ zeros in } "
            "\\frac{\\partial L}{\\partial O},",
            "\\qquad \\text{correlate, sample every } d\\text{-th position, crop to } k,\\ "
            "\\text{sum over } n",
            "\\frac{\\partial L}{\\partial b} = "
            "\\sum_{n,i} \\frac{\\partial L}{\\partial O_{n,\\cdot,i}}",
        ),
        (*HYPOTHESES, WHERE),
        tuple(steps),
        holds and crop and bias_holds,
        DIMS,
        checks + 1 + bias_checks,
    )


def _transposed_input(geo: ct.Geometry) -> ct.Sides:
    free = _free(geo, "n gamma o i", (geo.batch, geo.groups, geo.out_per_group), "out")
    at = tuple(free)
    left = ct.transposed_chain_rule(geo, "X", at)
    right = ct.conv(geo, "Gy", "W", at, tuple(ax.size for ax in geo.axes), ct.settings(geo))
    return left, Sum((right,)), free


def _transposed_weight(geo: ct.Geometry) -> ct.Sides:
    return ct.kernel_gradient(geo, ct.settings(geo), transposed=True)


def transposed() -> Theorem:
    """Y = conv_transpose(X, W; s, p, a, d, g), X of size H_in = q + 1, Y of size
    (H_in - 1)s - 2p + d(k-1) + a + 1: its gradients are the convolution's forward pass and
    weight gradient with the roles of input and output exchanged (the adjoint relation)."""
    # Only a >= 0 is assumed: PyTorch allows output_padding up to max(s, d) - 1.
    holds_x, steps_x, checks_x = _prove(
        _transposed_input,
        "\\frac{\\partial L}{\\partial X_{n,\\gamma,o,i}}",
        "\\operatorname{conv}(\\bar G, W)_{n,\\gamma,o,i}",
        below_stride=False,
    )
    holds_w, steps_w, checks_w = _prove(
        _transposed_weight,
        "\\frac{\\partial L}{\\partial W_{\\gamma,o,c,u}}",
        "\\nabla_W(\\bar G, X)_{\\gamma,o,c,u}",
        below_stride=False,
    )
    steps = [s for s in steps_x if s.kind != "forward"] + [
        s for s in steps_w if s.kind != "forward"
    ]
    steps.insert(
        0,
        Step(
            "transposed-forward",
            (
                "Y_{n,\\gamma,c,h} = \\sum_{o,i,u} X_{n,\\gamma,o,i}\\, W_{\\gamma,o,c,u}\\,"
                "[\\,s i + d u = h + p\\,]",
            ),
        ),
    )
    steps.append(
        Step(
            "sizes-transposed-back",
            (
                "\\left\\lfloor \\frac{H^{T}_{out} + 2p - d(k-1) - 1}{s} \\right\\rfloor + 1"
                " = \\left\\lfloor \\frac{s\\,(H_{in} - 1) + a}{s} \\right\\rfloor + 1"
                " = H_{in} + \\lfloor a / s \\rfloor",
                "\\lfloor a / s \\rfloor = 0 \\iff a \\le s - 1",
            ),
        )
    )
    return Theorem(
        "conv-transpose-adjoint",
        "conv",
        (
            "Y = \\operatorname{conv\\_transpose}(X, W;\\ s, p, a, d, g),\\quad \\bar G = "
            "\\frac{\\partial L}{\\partial Y}",
            "\\frac{\\partial L}{\\partial X} = \\operatorname{conv}(\\bar G, W;\\ s, p, d, g)"
            "_{\\ldots,\\, 0 \\le i < H_{in}},"
            "\\qquad \\frac{\\partial L}{\\partial W} = \\nabla_W(\\bar G, X;\\ s, p, d)",
            "\\text{the convolution has } H_{in} + \\lfloor a/s \\rfloor \\text{ positions: "
            "no crop when } a \\le s - 1",
        ),
        (
            "s, d, k, g \\ge 1,\\quad p \\ge 0,\\quad a \\ge 0\\ "
            "(\\text{PyTorch: } a < \\max(s, d)),\\quad H^{T}_{out} \\ge 1",
            WHERE,
        ),
        tuple(steps),
        holds_x and holds_w and _size_facts()[0],
        DIMS,
        checks_x + checks_w + 1,
    )


def rot180() -> Theorem:
    """Stride 1, no padding, dilation 1: the seed article's statement, for every size."""
    holds, checks, steps = True, 0, []
    for dims in DIMS:
        geo = ct.geometry(dims, plain=True)
        free = _free(geo, "n gamma c h", (geo.batch, geo.groups, geo.in_per_group), "size")
        at = tuple(free)
        left = ct.chain_rule(geo, "X", at)
        assumptions = geo.assumptions(free)
        for kind, right, label in (
            (
                "flipped",
                ct.flipped_correlation(geo, at),
                "\\operatorname{corr}_{\\text{full}}(G, \\operatorname{rot180}(W))_{n,\\gamma,c,h}",
            ),
            ("full", ct.full_convolution(geo, at), "(G * W)_{n,\\gamma,c,h}"),
        ):
            comparison = compare(left, Sum((right,)), assumptions, geo.slots())
            holds, checks = holds and comparison.holds, checks + 1
            if dims == 1:
                found = identity_steps(
                    "\\frac{\\partial L}{\\partial X_{n,\\gamma,c,h}}",
                    left,
                    Sum((right,)),
                    label,
                    comparison,
                    set(free),
                    geo.slots(),
                )
                steps += found if kind == "flipped" else found[2:]
    return Theorem(
        "conv-rot180",
        "conv",
        (
            "\\frac{\\partial L}{\\partial X} = \\operatorname{corr}_{\\text{full}}"
            "\\Big(\\frac{\\partial L}{\\partial O}, \\operatorname{rot180}(W)\\Big) = "
            "\\frac{\\partial L}{\\partial O} * W",
        ),
        (
            "s = 1,\\quad p = 0,\\quad d = 1,\\quad H \\ge k \\ge 1,\\quad H_{out} = H - k + 1",
            WHERE,
        ),
        tuple(steps),
        holds,
        DIMS,
        checks,
    )


def _last_rows() -> bool:
    """A row h >= H - (a - p) lies beyond every s i + d u - p: h + p - (s i + d u) >= 1."""
    s, d, k, p, q, a, h, i, u = (integer(x) for x in ("s", "d", "k", "p", "q", "a", "h", "i", "u"))
    n = nonnegative_symbol
    positive = {s: 1 + n("s"), d: 1 + n("d")}
    size = (s * q + a - 2 * p + d * (k - 1) + 1).xreplace(positive)  # values are not re-read
    rows = Assumptions({h: size - a + p + n("h"), i: q - n("i"), u: k - 1 - n("u"), **positive})
    return rows.nonnegative(h + p - (s * i + d * u) - 1)


def _empty_zero_set() -> tuple[bool, tuple[Step, ...]]:
    """d = 1 and s <= k: no input position is left without gradient exactly when a <= p.
    The witness (i, u) for each position h is written down and checked by the sign test,
    each case under the substitution its hypotheses give (r = h + p - s t, 0 <= r <= s - 1)."""
    s, k, p, q, a, t, r, h = (integer(n) for n in ("s", "k", "p", "q", "a", "t", "r", "h"))
    n = nonnegative_symbol
    size = s * q + a - 2 * p + k  # H with d = 1
    # t <= q: (i, u) = (t, r), and r <= s - 1 <= k - 1.
    inside = Assumptions({r: n("r"), s: n("r") + 1 + n("s"), k: n("r") + 1 + n("s") + n("k")})
    holds = inside.nonnegative(r) and inside.nonnegative(k - 1 - r)
    # t >= q + 1: (i, u) = (q, h + p - s q), u > 0 from t, u <= k - 1 from h <= H - 1, a <= p.
    beyond = Assumptions({t: q + 1 + n("t"), r: n("r"), s: n("r") + 1 + n("s")})
    holds = holds and beyond.nonnegative(s * t + r - s * q)
    # (a substitution's value is not substituted again: p is written through p0 inside it)
    last = Assumptions({h: size.xreplace({p: a + n("p")}) - 1 - n("h"), p: a + n("p")})
    holds = holds and last.nonnegative(k - 1 - (h + p - s * q))
    # a > p: the last row h = H - 1 lies beyond every s i + u (Theorem 5's last rows).
    i, u = integer("i"), integer("u")
    converse = Assumptions({a: p + 1 + n("a"), i: q - n("i"), u: k - 1 - n("u"), s: 1 + n("s")})
    holds = holds and converse.nonnegative((size - 1 + p) - (s * i + u) - 1)
    steps = (
        Step("empty-divide", ("h + p = s\\,t + r,\\quad 0 \\le r \\le s - 1,\\quad t \\ge 0",)),
        Step(
            "empty-inside",
            ("t \\le q:\\quad (i, u) = (t, r),\\quad 0 \\le r \\le s - 1 \\le k - 1",),
        ),
        Step(
            "empty-beyond",
            (
                "t > q:\\quad (i, u) = (q,\\ h + p - s\\,q),\\quad u = s\\,(t - q) + r > 0,",
                "\\qquad u \\le H - 1 + p - s\\,q = k - 1 - (p - a) \\le k - 1",
            ),
        ),
        Step(
            "empty-converse",
            ("a > p:\\quad h = H - 1,\\quad h + p = s\\,q + k - 1 + (a - p) > s\\,i + u",),
        ),
    )
    return holds, steps


def zero_gradient() -> Theorem:
    """dL/dX[h] is 0 exactly for the h with no (i, u): in the normal form of Theorem 2 every
    summed variable is a whole index of a factor, so distinct (o, i, u) give distinct
    products G W, and a sum of distinct monomials is 0 only when it is empty."""
    holds = _last_rows()
    empty, empty_steps = _empty_zero_set()
    for dims in DIMS:
        geo = ct.geometry(dims)
        left, right, free = _input_gradient(geo)
        comparison = compare(left, right, geo.assumptions(free), geo.slots())
        for normal in comparison.left:
            term = normal.term
            assert term is not None
            slots = {e for f in term.factors for e in f.index}
            holds = holds and all(v in slots for v in term.over) and comparison.holds
    return Theorem(
        "conv-zero-gradient",
        "conv",
        (
            "\\frac{\\partial L}{\\partial X_{n,c,h}} \\equiv 0 \\iff \\nexists\\, (i, u):\\ "
            "s\\,i + d\\,u = h + p,\\ 0 \\le i \\le q,\\ 0 \\le u \\le k - 1",
            "\\text{in particular the last } \\max(0, a - p) \\text{ rows: } "
            "h + p > s\\,q + d(k-1)",
            "d = 1,\\ s \\le k:\\quad \\text{no position receives zero gradient} \\iff a \\le p",
        ),
        HYPOTHESES,
        (
            Step(
                "zero-distinct",
                (
                    "\\frac{\\partial L}{\\partial X_{n,\\gamma,c,h}} = "
                    "\\sum_{(o,i,u) \\in S(h)} G_{n,\\gamma,o,i}\\, W_{\\gamma,o,c,u}",
                ),
            ),
            Step("zero-rows", ("h + p \\ge H + p - a + p > s\\,q + d(k-1) \\ge s\\,i + d\\,u",)),
            *empty_steps,
        ),
        holds and empty,
        DIMS,
        len(DIMS) + 5,
    )


THEOREMS = {
    "conv-sizes": sizes,
    "conv-input-gradient": input_gradient,
    "conv-weight-gradient": weight_gradient,
    "conv-transpose-adjoint": transposed,
    "conv-zero-gradient": zero_gradient,
    "conv-rot180": rot180,
}
"""Each theorem's key (its words in the documents; ``Command.theorems``) and its proof."""
