"""A claim for every size, judged at concrete sizes by ``symderiv check``'s exact machinery:
the counterexample when the claim is false, and a confirmation of a proof at many sizes.

The sizes form a small grid (input sizes with every remainder, kernels 1 to 3, and for each
setting the claim makes symbolic a few values, groups included), ordered so that the first
few instances already vary every setting.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction

from ..checks import check
from ..checks.syntax import ARITHMETIC, Binary, Call, Claim, Group, Negate, Node, Number, Ref, Tuple
from ..core.errors import SymderivError
from ..layers.conv.derive import derive, make_spec
from .conv_terms import SIZE_NAMES

VALUES = {"s": (1, 2, 3), "p": (0, 1, 2), "d": (1, 2), "g": (1, 2)}
INPUTS = {1: (5, 6, 7, 8), 2: (4, 5, 6), 3: (3, 4)}
LIMIT = {1: 120, 2: 60, 3: 16}
"""How many instances a search may derive: small sizes, and fewer where each costs more."""


@dataclass(frozen=True)
class Instance:
    dims: int
    sizes: tuple[int, ...]
    kernel: int
    stride: int
    padding: int
    dilation: int
    groups: int

    def symbols(self, axis: int, in_tuple: bool) -> dict[str, int]:
        """The size symbols' values in a setting for ``axis`` (see ``claim``'s reading)."""
        named = dict(zip(SIZE_NAMES[self.dims], self.sizes))
        if not in_tuple:
            named["H"] = self.sizes[axis]
        return {
            **named,
            "s": self.stride,
            "p": self.padding,
            "d": self.dilation,
            "k": self.kernel,
            "g": self.groups,
        }

    def options(self) -> str:
        """The ``symderiv check`` options that derive this instance."""
        parts = [
            f"--input {'x'.join(map(str, self.sizes))}",
            f"--kernel {self.kernel}",
            f"--stride {self.stride}",
            f"--padding {self.padding}",
            f"--dilation {self.dilation}",
            f"--groups {self.groups}",
            f"--in-channels {self.groups}",
            f"--out-channels {2 * self.groups}",
            f"--batch {self.batch}",
        ]
        return " ".join(parts)

    @property
    def batch(self) -> int:
        return 2 if self.dims == 1 else 1


def grid(dims: int, general: frozenset[str]) -> list[Instance]:
    """Valid instances, the ones that vary more settings first."""
    axes = [
        INPUTS[dims],
        (1, 2, 3),
        *(VALUES[n] if n in general else VALUES[n][:1] for n in "spdg"),  # else the default
    ]
    found = []
    for choice in itertools.product(*(range(len(a)) for a in axes)):
        h, k, s, p, d, g = (a[i] for a, i in zip(axes, choice))
        sizes = tuple(h + (j % 2) for j in range(dims))  # unequal axes from 2-D on
        if min(sizes) + 2 * p < d * (k - 1) + 1:
            continue
        found.append((sum(choice), choice, Instance(dims, sizes, k, s, p, d, g)))
    found.sort(key=lambda f: (f[0], f[1]))
    return [f[2] for f in found]


def _number(node: Node, values: dict[str, int]) -> Fraction:
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Ref) and node.name in values and node.index is None:
        return Fraction(values[node.name])
    if isinstance(node, Negate):
        return -_number(node.operand, values)
    if isinstance(node, Binary):
        a, b = _number(node.left, values), _number(node.right, values)
        if node.op in ("/", "mod") and b == 0:
            raise SymderivError(f"--claim: {'division' if node.op == '/' else 'mod'} by zero")
        return a % b if node.op == "mod" else ARITHMETIC[node.op](a, b)  # type: ignore[no-any-return]
    raise SymderivError(f"--claim: {spelled(node)} is not a number")


def _setting(node: Node, instance: Instance) -> Node:
    if isinstance(node, (Tuple, Group)):
        items = (
            node.items
            if isinstance(node, Group)
            else tuple(Number(Fraction(v)) for v in node.values)
        )
        values = [_number(i, instance.symbols(j, True)) for j, i in enumerate(items)]
    else:
        values = [_number(node, instance.symbols(j, False)) for j in range(instance.dims)]
    if len(set(values)) == 1 and not isinstance(node, (Tuple, Group)):
        return Number(values[0])
    if all(v.denominator == 1 for v in values):
        return Tuple(tuple(int(v) for v in values))
    return Group(tuple(Number(v) for v in values))


def instantiated(node: Node, instance: Instance) -> Node:
    """The claim's right side at ``instance``: every setting a number or a tuple of numbers,
    the kernel named W (the layout with channels)."""
    if isinstance(node, Ref):
        if node.name == "F":
            return Ref("W", node.index)
        if node.name in instance.symbols(0, False) and node.name not in ("W",):
            return Number(_number(node, instance.symbols(0, False)))
        return node
    if isinstance(node, Negate):
        return Negate(instantiated(node.operand, instance))
    if isinstance(node, Binary):
        return Binary(
            node.op, instantiated(node.left, instance), instantiated(node.right, instance)
        )
    if isinstance(node, Call):
        return Call(
            node.function,
            tuple(instantiated(a, instance) for a in node.args),
            tuple((k, _setting(v, instance)) for k, v in node.keywords),
        )
    return node


def spelled(node: Node) -> str:
    """A tree back as claim text, every compound operand in parentheses."""
    if isinstance(node, Number):
        v = node.value
        return str(v.numerator) if v.denominator == 1 else f"({v.numerator}/{v.denominator})"
    if isinstance(node, Ref):
        return node.name + (f"[{','.join(map(str, node.index))}]" if node.index else "")
    if isinstance(node, Tuple):
        return "(" + ", ".join(map(str, node.values)) + ")"
    if isinstance(node, Group):
        return "(" + ", ".join(spelled(i) for i in node.items) + ")"
    if isinstance(node, Negate):
        return f"-({spelled(node.operand)})"
    if isinstance(node, Binary):
        op = f" {node.op} " if node.op in ("mod", "+", "-") else node.op
        return f"({spelled(node.left)}{op}{spelled(node.right)})"
    inside = [spelled(a) for a in node.args] + [f"{k}={spelled(v)}" for k, v in node.keywords]
    return f"{node.function}({', '.join(inside)})"


@dataclass(frozen=True)
class Outcome:
    instance: Instance
    claim: str
    """The claim at this instance, as ``symderiv check`` takes it."""
    holds: bool
    why: str
    """Why it fails here (``symderiv check``'s reason), or why the claim is undefined at
    these sizes; empty when it holds."""
    defined: bool = True
    """The claim's right side could be computed at these sizes."""

    def command(self) -> str:
        return (
            f"symderiv check conv{self.instance.dims}d {self.instance.options()} "
            f'--claim "{self.claim}"'
        )


def judge_at(claim: Claim, instance: Instance) -> Outcome:
    text = f"{claim.target.name} = {spelled(instantiated(claim.expression, instance))}"
    spec = make_spec(
        instance.dims,
        False,
        instance.sizes,
        instance.kernel,
        instance.stride,
        instance.padding,
        instance.dilation,
        groups=instance.groups,
        in_channels=instance.groups,
        out_channels=2 * instance.groups,
        batch=instance.batch,
    )
    try:
        verdict = check(derive(spec), text)
    except SymderivError as error:  # the claim is undefined here: a counterexample too
        return Outcome(instance, text, False, str(error).removeprefix("--claim: "), False)
    return Outcome(instance, text, verdict.holds, "" if verdict.holds else verdict.why())


def search(claim: Claim, dims: int, general: frozenset[str], limit: int) -> list[Outcome]:
    """The claim at up to ``limit`` instances, stopping at the first where it is defined and
    differs; sizes where it is undefined (a negative padding, shapes that do not fit) are
    counterexamples too, but weaker ones, so the search goes on past them."""
    outcomes = []
    for instance in grid(dims, general)[:limit]:
        outcomes.append(judge_at(claim, instance))
        if not outcomes[-1].holds and outcomes[-1].defined:
            break
    return outcomes
