"""A reader's own claim about a convolution's gradient, for every size.

``dL/dX = conv_transpose2d(dL/dO, W, stride=s, padding=p, output_padding=(H + 2*p - d*(k - 1)
- 1) mod s, dilation=d)`` is read in the grammar of ``symderiv check`` (``checks.syntax``), its
settings written in the size symbols. The layer on the left is conv{n}d with kernel k, input
size H (W, D), and stride s, padding p, dilation d and groups g where the claim names them;
a setting the claim never names keeps PyTorch's default, so that "with stride s" is a claim
about every stride and nothing else.

Two routes, independent of each other: the prover (``resolve`` builds the right side in the
term language, ``compare`` normalises both sides) decides PROVEN; ``instances`` evaluates the
claim at concrete sizes with the exact machinery of ``symderiv check``, which either finds a
counterexample or confirms the proof at a few sizes.

In a setting's value, s, p, d and k are the setting's own axis's, and so is H in a single
value; in a tuple, H, W and D name their axes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from ..checks.syntax import (
    ARITHMETIC,
    FUNCTIONS,
    Binary,
    Call,
    Claim,
    Group,
    Negate,
    Node,
    Number,
    Ref,
    Tuple,
    parse_claim,
)
from ..core.errors import SymderivError
from . import conv_terms as ct
from .instances import LIMIT, Outcome, search
from .proofs import Comparison, compare, identity_steps
from .result import Step, Theorem, as_data
from .terms import Expr, Sum

TENSORS = ("X", "W", "F", "dL/dO")
"""The names a claim may give its operands; F is the kernel's name in the plain layout."""
SETTINGS_OF = {"s": "stride", "p": "padding", "d": "dilation", "g": "groups"}
SETTING_SYMBOLS = ("s", "p", "d", "k", "g")
"""With the input sizes (H; H, W; D, H, W), the symbols a claim's settings may use."""


def dims_of(command: str) -> int:
    if not command:
        raise SymderivError(
            "theorems: --claim needs its layer: symderiv theorems conv2d --claim ..."
        )
    if command not in ("conv1d", "conv2d", "conv3d"):
        raise SymderivError(f"theorems: --claim is for conv1d, conv2d or conv3d, not {command!r}")
    return int(command[4])


def names_in(node: Node) -> set[str]:
    if isinstance(node, Ref):
        return {node.name}
    if isinstance(node, Negate):
        return names_in(node.operand)
    if isinstance(node, Binary):
        return names_in(node.left) | names_in(node.right)
    if isinstance(node, Group):
        return set().union(*(names_in(n) for n in node.items))
    if isinstance(node, Call):
        inside = [*node.args, *(v for _, v in node.keywords)]
        return set().union(*(names_in(n) for n in inside)) if inside else set()
    return set()


def validate(claim: Claim, dims: int) -> frozenset[str]:
    """The settings the claim makes symbolic; a claim that cannot be about every size is one
    ``SymderivError`` line."""
    if claim.target.index is not None or claim.target.name not in ("dL/dX", "dL/dW"):
        raise SymderivError(
            "--claim: a claim for every size is about a whole gradient: dL/dX or dL/dW, "
            f"not {claim.target.name}{list(claim.target.index) if claim.target.index else ''}"
        )
    allowed = set(TENSORS) | set(SETTING_SYMBOLS) | set(ct.SIZE_NAMES[dims])
    for name in sorted(names_in(claim.expression)):
        if name not in allowed:
            raise SymderivError(
                f"--claim: unknown name {name!r}; a claim for conv{dims}d names the tensors "
                f"X, W, dL/dO and the sizes {', '.join(sorted(allowed - set(TENSORS)))}"
            )
    for call in calls_in(claim.expression):
        if FUNCTIONS[call.function] not in (0, dims):
            raise SymderivError(
                f"--claim: {call.function} works on {FUNCTIONS[call.function]} spatial axes; "
                f"conv{dims}d has {dims}"
            )
    return frozenset(n for n in SETTINGS_OF if n in names_in(claim.expression))


def calls_in(node: Node) -> list[Call]:
    if isinstance(node, Negate):
        return calls_in(node.operand)
    if isinstance(node, Binary):
        return calls_in(node.left) + calls_in(node.right)
    if isinstance(node, Call):
        inside = [*node.args, *(v for _, v in node.keywords)]
        return [node] + [c for n in inside for c in calls_in(n)]
    return []


# ---- the right side in the term language ---------------------------------------------------


class NotCovered(Exception):
    """The claim's form is outside what ``resolve`` builds: only instances can judge it."""


@dataclass(frozen=True)
class Resolved:
    left: Sum
    right: Sum
    free: dict[sp.Symbol, Expr]
    definition: str
    sizes_hold: bool
    """The right side's shape is the gradient's, for every size."""
    sizes: tuple[str, ...]
    """The size identities as LaTeX lines, for the proof."""


def _value(node: Node, geo: ct.Geometry, axis: int, in_tuple: bool) -> Expr:
    ax = geo.axes[axis]
    if isinstance(node, Number):
        return sp.Rational(node.value.numerator, node.value.denominator)
    if isinstance(node, Ref) and node.index is None:
        own = {"s": ax.stride, "p": ax.padding, "d": ax.dilation, "k": ax.kernel}
        if node.name in own:
            return own[node.name]
        if node.name == "g":
            return geo.groups
        names = ct.SIZE_NAMES[geo.dims]
        if node.name == "H" and not in_tuple:
            return ax.size
        if node.name in names:
            return geo.axes[names.index(node.name)].size
    if isinstance(node, Negate):
        return -_value(node.operand, geo, axis, in_tuple)
    if isinstance(node, Binary):
        left = _value(node.left, geo, axis, in_tuple)
        right = _value(node.right, geo, axis, in_tuple)
        if node.op == "mod":
            return _remainder(left, right, geo)
        return ARITHMETIC[node.op](left, right)  # type: ignore[no-any-return]
    raise NotCovered


def _remainder(dividend: Expr, divisor: Expr, geo: ct.Geometry) -> Expr:
    """``dividend mod divisor`` for every size: dividend = divisor * Q + r with Q a polynomial
    with whole coefficients and 0 <= r <= divisor - 1 shown under the assumptions; else the
    prover cannot say."""
    dividend, divisor = sp.expand(dividend), sp.expand(divisor)
    if divisor == 0:
        raise SymderivError("--claim: mod by zero")
    symbols = sorted(dividend.free_symbols | divisor.free_symbols, key=lambda s: s.name)
    if not symbols:
        if not (dividend.is_Integer and divisor.is_Integer):
            raise NotCovered  # a fraction: the concrete sizes say what torch would
        return sp.Integer(int(dividend) % int(divisor))
    try:
        (quotient,), rest = sp.reduced(dividend, [divisor], *symbols)
    except sp.PolynomialError:  # not a polynomial in the sizes, such as H/s
        raise NotCovered from None
    whole = all(c.is_integer for c in sp.Poly(quotient, *symbols).coeffs()) if quotient else True
    known = geo.assumptions({})
    if whole and known.nonnegative(rest) and known.nonnegative(divisor - 1 - rest):
        return sp.expand(rest)
    raise NotCovered


def _settings(call: Call, geo: ct.Geometry) -> dict[str, tuple[Expr, ...]]:
    values = dict(call.keywords)
    found: dict[str, tuple[Expr, ...]] = {}
    for name, default in (
        ("stride", 1),
        ("padding", 0),
        ("dilation", 1),
        ("output_padding", 0),
        ("groups", 1),
    ):
        node = values.get(name)
        if node is None:
            found[name] = tuple(sp.Integer(default) for _ in geo.axes)
        elif isinstance(node, (Tuple, Group)):
            items = node.values if isinstance(node, Tuple) else node.items
            if len(items) != geo.dims:
                raise SymderivError(f"--claim: {name} needs {geo.dims} values, got {len(items)}")
            found[name] = tuple(
                _value(Number(i) if isinstance(i, int) else i, geo, j, True)  # type: ignore[arg-type]
                for j, i in enumerate(items)
            )
        else:
            found[name] = tuple(_value(node, geo, j, False) for j in range(geo.dims))
    if "bias" in values:
        raise NotCovered
    return found


def _operands(call: Call) -> tuple[str, ...]:
    names = []
    for node in call.args:
        if not isinstance(node, Ref) or node.index is not None:
            raise NotCovered
        names.append("W" if node.name == "F" else node.name)
    return tuple(names)


def resolve(claim: Claim, geo: ct.Geometry) -> Resolved:
    """Both sides of the claim in index form; ``NotCovered`` when the right side is not one
    of the forms built here (a transposed convolution for dL/dX, a weight gradient for dL/dW,
    each of the upstream gradient and the other operand)."""
    call = claim.expression
    dims = geo.dims
    if not isinstance(call, Call):
        raise NotCovered
    settings = _settings(call, geo)
    per_axis = tuple(zip(settings["stride"], settings["padding"], settings["dilation"]))
    sizes_hold = all(sp.expand(g - geo.groups) == 0 for g in settings["groups"])
    lines: list[str] = []
    if claim.target.name == "dL/dX":
        if call.function != f"conv_transpose{dims}d" or _operands(call) != ("dL/dO", "W"):
            raise NotCovered
        left, right, free = ct.input_gradient(geo, per_axis)
        for ax, (s, p, d), op in zip(geo.axes, per_axis, settings["output_padding"]):
            size = sp.expand(ax.quotient * s - 2 * p + d * (ax.kernel - 1) + op + 1)
            sizes_hold = sizes_hold and sp.expand(size - ax.size) == 0
            # (H_out - 1) s' - 2 p' + d' (k - 1) + a' + 1 with the claim's settings, H_out = q + 1
            lines.append(f"{sp.latex(ax.name)}^{{T}}_{{out}} &= {sp.latex(size)}")
            lines.append(f"{sp.latex(ax.name)} &= {sp.latex(sp.expand(ax.size))}")
        definition = "\\operatorname{conv\\_transpose}(G, W)_{n,\\gamma,c,h}"
    else:
        if call.function != f"conv_weight{dims}d" or _operands(call) != ("X", "dL/dO"):
            raise NotCovered
        left, right, free = ct.kernel_gradient(geo, per_axis)
        definition = "\\nabla_W(X, G)_{\\gamma,o,c,u}"
    return Resolved(left, right, free, definition, sizes_hold, tuple(lines))


@dataclass(frozen=True)
class Proof:
    holds: bool
    comparison: Comparison | None
    theorem: Theorem | None


def prove(claim: Claim, dims: int, general: frozenset[str]) -> Proof:
    """The prover's verdict, for every size of conv{dims}d with the ``general`` settings."""
    geo = ct.geometry(dims, general=general)
    try:
        resolved = resolve(claim, geo)
    except NotCovered:
        return Proof(False, None, None)
    comparison = compare(resolved.left, resolved.right, geo.assumptions(resolved.free), geo.slots())
    holds = comparison.holds and resolved.sizes_hold
    index = ",".join(sp.latex(v) for v in resolved.free)
    label = f"\\frac{{\\partial L}}{{\\partial {claim.target.name[-1]}_{{{index}}}}}"
    steps = identity_steps(
        label,
        resolved.left,
        resolved.right,
        resolved.definition,
        comparison,
        set(resolved.free),
        geo.slots(),
    )
    if resolved.sizes:
        steps.append(Step("claim-sizes", resolved.sizes))
    remainder = (
        "H + 2p - d(k-1) - 1 = s\\,q + a,\\quad 0 \\le a \\le s - 1"
        if "s" in general
        else "H + 2p - d(k-1) - 1 = q"
    )
    hypotheses = (
        "k \\ge 1,\\quad H \\ge 1,\\quad H + 2p \\ge d(k-1) + 1,\\quad " + remainder,
        "\\text{settings: }"
        + ",\\ ".join(
            f"{n} \\ge {0 if n == 'p' else 1}" if n in general else f"{n} = {ct.DEFAULTS[n]}"
            for n in ("s", "p", "d", "g")
        ),
    )
    theorem = Theorem(
        "claim",
        "claim",
        statement_lines(claim.text),
        hypotheses,
        tuple(steps),
        holds,
        (dims,),
        2 if resolved.sizes else 1,
    )
    return Proof(holds, comparison, theorem)


def statement_lines(text: str, width: int = 56) -> tuple[str, ...]:
    """The claim as typed, in typewriter type, broken after commas to fit a printed page (the
    grammar admits no TeX special character but the underscore)."""
    lines, current = [], ""
    for piece in text.replace(", ", ",\0").split("\0"):
        if current and len(current) + len(piece) > width:
            lines.append(current)
            current = ""
        current += piece + " "
    lines.append(current)
    escaped = (line.strip().replace("_", "\\_") for line in lines)
    return tuple(f"\\text{{\\texttt{{{line}}}}}" for line in escaped)


FORMS = "dL/dX = conv_transpose{n}d(dL/dO, W, ...) and dL/dW = conv_weight{n}d(X, dL/dO, ...)"


@dataclass(frozen=True)
class ClaimVerdict:
    claim: str
    layer: str
    proven: bool
    covered: bool
    """The prover understood the claim's form (it may still not have proven it)."""
    theorem: Theorem | None
    instances: int
    """How many concrete sizes the claim was evaluated at."""
    counterexample: Outcome | None
    general: frozenset[str]

    def as_data(self) -> dict[str, Any]:
        """Plain values for the documents and the JSON."""
        c = self.counterexample
        return {
            "claim": self.claim,
            "layer": self.layer,
            "verdict": "PROVEN" if self.proven else "NOT PROVEN",
            "line": self.line(),
            "covered": self.covered,
            "instances": self.instances,
            "counterexample": {"command": c.command(), "claim": c.claim, "why": c.why}
            if c is not None
            else None,
            "proof": as_data(0, self.theorem, True) if self.theorem is not None else None,
        }

    def line(self) -> str:
        if self.proven:
            settings = ", ".join(SETTINGS_OF[n] for n in "spdg" if n in self.general)
            scope = f"every size and {settings}" if settings else "every size"
            return (
                f"PROVEN      {self.claim}  [for {scope} of {self.layer}: both sides have the "
                f"same normal form; exact too at {self.instances} concrete sizes]"
            )
        if self.counterexample is not None:
            c = self.counterexample
            return f"NOT PROVEN  {self.claim}  [counterexample: {c.command()}: {c.why}]"
        reason = (
            "the two sides' normal forms differ"
            if self.covered
            else f"the prover covers {FORMS.replace('{n}', self.layer[4])}"
        )
        return (
            f"NOT PROVEN  {self.claim}  [{reason}; it holds at all {self.instances} concrete "
            "sizes tried]"
        )


def judge_claim(layer: str, text: str) -> ClaimVerdict:
    """The prover's verdict, checked against (or refuted by) concrete instances."""
    dims = dims_of(layer)
    claim = parse_claim(text)
    general = validate(claim, dims)
    proof = prove(claim, dims, general)
    outcomes = search(claim, dims, general, LIMIT[dims])
    failures = [o for o in outcomes if not o.holds]
    # The same error at every size is no counterexample: the claim is malformed.
    same = len(failures) == len(outcomes) and len({(o.why, o.defined) for o in failures}) == 1
    if same and not failures[0].defined:
        raise SymderivError(f"--claim: {failures[0].why}")
    failed = next((o for o in failures if o.defined), failures[0] if failures else None)
    # A proof refuted by a concrete size would be a bug of the prover: the exact concrete
    # evaluation wins, and the claim is not called proven.
    proven = proof.holds and failed is None
    return ClaimVerdict(
        claim.text,
        layer,
        proven,
        proof.comparison is not None,
        proof.theorem if proven else None,
        len(outcomes),
        failed,
        general,
    )
