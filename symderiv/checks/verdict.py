"""A claim against the derivation: equal element by element, or the first difference, how many
differ, and the classic mistake when the claim's own settings and operands show one.

The comparison is exact (polynomials in the element symbols, coefficient by coefficient); the
mistake is named from the claim's tree compared with the layer's settings, and only for a claim
that is refuted, so a name is never attached to a claim that holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..core.errors import SymderivError
from ..core.grid import Grid
from ..core.poly import Poly
from ..core.symbols import gradient_of
from .evaluate import Layer, ShapeMismatch, evaluate
from .syntax import Call, Claim, Node, Number, Ref, Tuple


@dataclass(frozen=True)
class Verdict:
    claim: str
    holds: bool
    elements: int
    """How many elements were compared (1 for a claim about one element)."""
    differing: int
    first: tuple[str, str, str] | None = None
    """The first element that differs: its name, the claim's value, the derivation's."""
    reason_kind: str = ""
    """Why the claim could not be compared element by element, if it could not: a key of
    ``REASONS`` (``shape``, ``undefined``, ...), with ``reason_values`` to fill it in."""
    reason_values: tuple[str, ...] = ()
    mistakes: tuple[tuple[str, str], ...] = ()
    """The classic mistakes the claim makes, when its settings or operands show them: (code,
    value) pairs such as ``("output_padding", "1")`` (the right value), phrased by ``MISTAKES``
    here and by each language's template in documents."""

    @property
    def reason(self) -> str:
        return REASONS[self.reason_kind].format(*self.reason_values) if self.reason_kind else ""

    @property
    def mistake(self) -> str:
        return "; ".join(MISTAKES[code].format(value) for code, value in self.mistakes)

    @property
    def status(self) -> str:
        return "PROVEN" if self.holds else "REFUTED"

    def line(self) -> str:
        """One line: the verdict, and why."""
        if self.holds:
            where = "element" if self.elements == 1 else f"result at all {self.elements} elements"
            return f"PROVEN   {self.claim}  [equal to the derived {where}, exact]"
        return f"REFUTED  {self.claim}  [{self.why()}]"

    def why(self) -> str:
        """Why a refuted claim fails: the reason or the first differing element, and the
        mistake when it is a classic one."""
        parts = []
        if self.reason:
            parts.append(self.reason)
        elif self.first is not None:
            name, claimed, derived = self.first
            parts.append(
                f"{self.differing} of {self.elements} elements differ; first {name}: "
                f"the claim gives {claimed}, the derivation {derived}"
            )
        if self.mistake:
            parts.append(f"mistake: {self.mistake}")
        return "; ".join(parts)


def readable(p: Poly) -> str:
    """A polynomial with 1-based element names as the claims write them: ``dL/dO[1,2]*F[2,1]``."""
    return spelled(p.to_str())


def spelled(text: str) -> str:
    """SymPy's element names (``dL_dO_1_2``) as the claims write them (``dL/dO[1,2]``)."""

    def name(match: re.Match[str]) -> str:
        base, index = match.group(1), match.group(2)
        base = "dL/d" + base[4:] if base.startswith("dL_d") else base
        return f"{base}[{index.replace('_', ',')}]"

    return re.sub(r"\b((?:dL_d)?[A-Za-z]\w*?)_(\d+(?:_\d+)*)\b", name, text)


def target_of(claim: Claim, expansion: Any) -> tuple[str, Grid[Poly]]:
    """What the claim is about: the output or one gradient, as derived."""
    name = claim.target.name
    if name == expansion.output:
        return name, expansion.forward
    key = gradient_of(name)
    keys = [k for k, _ in expansion.gradients]
    aliases = {"W": "F", "F": "W"}
    for candidate in (key, aliases.get(key or "", "")):
        if candidate in keys:
            return f"dL/d{candidate}", expansion.gradient(candidate)
    wanted = ", ".join([expansion.output, *(f"dL/d{k}" for k in keys)])
    raise SymderivError(
        f"--claim: the left side {name!r} is not derived here; claim one of {wanted}"
    )


def judge(claim: Claim, expansion: Any, spec: Any) -> Verdict:
    name, derived = target_of(claim, expansion)
    layer = Layer.of(expansion, spec)
    try:
        value = evaluate(claim.expression, layer)
    except ShapeMismatch as error:
        return _refuted(claim, derived, spec, error.kind, *error.values)
    if claim.target.index is not None:
        index = tuple(i - 1 for i in claim.target.index)
        if len(index) != len(derived.shape) or any(i >= n for i, n in zip(index, derived.shape)):
            raise SymderivError(
                f"--claim: {claim.target.name}[{','.join(map(str, claim.target.index))}] is "
                f"outside {name} ({_size(derived.shape)})"
            )
        if isinstance(value, Grid):
            return _refuted(claim, derived, spec, "tensor")
        holds = value == derived[index]
        first = (
            None if holds else (_element(name, index), readable(value), readable(derived[index]))
        )
        return Verdict(claim.text, holds, 1, 0 if holds else 1, first)
    if not isinstance(value, Grid):
        if derived.shape == (1,) or all(n == 1 for n in derived.shape):
            value = Grid(derived.shape, (value,))
        else:
            return _refuted(claim, derived, spec, "scalar", name, str(len(derived.cells)))
    if value.shape != derived.shape:
        sizes = (_size(value.shape), name, _size(derived.shape))
        return _refuted(claim, derived, spec, "shape", *sizes)
    differing = [i for i, (a, b) in enumerate(zip(value.cells, derived.cells)) if a != b]
    if not differing:
        return Verdict(claim.text, True, len(derived.cells), 0)
    position = list(derived.indices())[differing[0]]
    first = (
        _element(name, position),
        readable(value.cells[differing[0]]),
        readable(derived.cells[differing[0]]),
    )
    return Verdict(
        claim.text, False, len(derived.cells), len(differing), first, mistakes=diagnose(claim, spec)
    )


def _refuted(claim: Claim, derived: Grid[Poly], spec: Any, kind: str, *values: str) -> Verdict:
    n = len(derived.cells) if claim.target.index is None else 1
    return Verdict(claim.text, False, n, n, None, kind, values, diagnose(claim, spec))


REASONS = {
    "undefined": "the right side's {} is not defined on shapes {} and {}",
    "combine": "the right side adds or multiplies arrays of shapes {} and {}",
    "shape": "the right side has shape {}, {} has {}",
    "tensor": "the right side is a tensor, the left side one element",
    "scalar": "the right side is one value, {} has {}",
}
"""Why a claim cannot be compared element by element, in the one-line verdicts' words."""


MISTAKES = {
    "operands": "operands swapped",
    "flipped_twice": "kernel flipped twice: the transposed convolution flips it itself",
    "not_flipped": "kernel not flipped: the full correlation needs rot180 of the kernel",
    "upstream_flipped": "dL/dO flipped: the weight gradient correlates without a flip",
    "stride_dilation": "stride and dilation exchanged",
    "stride": "stride wrong: the layer's is {}",
    "dilation": "dilation wrong: the layer's is {}",
    "padding": "padding wrong: the layer's is {}",
    "output_padding": (
        "output_padding wrong: the right one is {}, the remainder (H + 2p - d(k-1) - 1) mod s"
    ),
    "stride_ignored": "the stride is ignored: with stride > 1 dL/dX is a transposed convolution",
    "groups": "groups mishandled: the layer has {} groups",
    "mean_path": "the term through the mean is missing (- mean(g))",
    "variance_path": "the term through the variance is missing (- xhat * mean(g * xhat))",
    "one_over_m": "the 1/M is missing: sums where the formula has means",
}
"""The classic mistakes, in the words of the command line's one-line verdicts."""


def _size(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape))


def _element(name: str, index: tuple[int, ...]) -> str:
    return f"{name}[{','.join(str(i + 1) for i in index)}]"


# --------------------------------------------------------------------------------------------
# Naming the classic mistakes of a convolution's backward pass


def _setting(call: Call, name: str, dims: int, default: int) -> tuple[int, ...] | None:
    """A call's setting as one value per axis; None when it is not a plain number or tuple."""
    value = dict(call.keywords).get(name)
    if value is None:
        return tuple(default for _ in range(dims))
    if isinstance(value, Tuple):
        return value.values
    if isinstance(value, Number) and value.value.denominator == 1:
        return tuple(int(value.value) for _ in range(dims))
    return None


def _is(node: Node, *names: str) -> bool:
    return isinstance(node, Ref) and node.index is None and node.name in names


def _flipped(node: Node) -> bool:
    return isinstance(node, Call) and node.function in ("flip", "rot180")


def diagnose(claim: Claim, spec: Any) -> tuple[tuple[str, str], ...]:
    """The classic mistakes a refuted convolution claim makes; none when none is recognised."""
    if spec is None or not isinstance(claim.expression, Call) or claim.target.index is not None:
        return ()
    call = claim.expression
    target = gradient_of(claim.target.name)
    weight = ("W", "F")
    dims = spec.dims
    stride, padding, dilation = tuple(spec.stride), tuple(spec.padding), tuple(spec.dilation)
    settings = {
        name: _setting(call, name, dims, default)
        for name, default in (("stride", 1), ("padding", 0), ("dilation", 1), ("output_padding", 0))
    }
    groups = _setting(call, "groups", dims, 1)
    found: list[tuple[str, str]] = []
    if target == "X" and not spec.transposed and call.function.startswith("conv_transpose"):
        if call.args and not _is(call.args[0], "dL/dO"):
            found.append(("operands", ""))
        if len(call.args) > 1 and _flipped(call.args[1]):
            found.append(("flipped_twice", ""))
        if settings["stride"] == dilation and settings["dilation"] == stride and stride != dilation:
            found.append(("stride_dilation", ""))
        elif settings["stride"] != stride:
            found.append(("stride", _axes_text(stride)))
        elif settings["dilation"] != dilation:
            found.append(("dilation", _axes_text(dilation)))
        if settings["padding"] != padding:
            found.append(("padding", _axes_text(padding)))
        remainder = tuple(spec.remainder)
        if settings["output_padding"] != remainder and settings["stride"] == stride:
            found.append(("output_padding", _axes_text(remainder)))
    elif target == "X" and not spec.transposed and call.function.startswith("conv"):
        if call.args and _is(call.args[0], *weight):
            found.append(("operands", ""))
        elif len(call.args) > 1 and _is(call.args[1], *weight):
            found.append(("not_flipped", ""))
        if stride != tuple(1 for _ in stride) and "stride" not in dict(call.keywords):
            found.append(("stride_ignored", ""))
    elif target in weight and not spec.transposed and call.function.startswith("conv"):
        if call.args and _is(call.args[0], "dL/dO"):
            found.append(("operands", ""))
        if len(call.args) > 1 and _flipped(call.args[1]):
            found.append(("upstream_flipped", ""))
        if (
            call.function.startswith("conv_weight")
            and settings["stride"] == dilation
            and (settings["dilation"] == stride and stride != dilation)
        ):
            found.append(("stride_dilation", ""))
    if groups is not None and groups[0] != spec.groups and call.function.startswith("conv"):
        found.append(("groups", str(spec.groups)))
    return tuple(found)


def _axes_text(values: tuple[int, ...]) -> str:
    return str(values[0]) if len(set(values)) == 1 else "x".join(map(str, values))
