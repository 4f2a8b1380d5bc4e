"""The frozen data every stage passes on: tensors, equations, identity candidates and proofs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Protocol

import sympy as sp

from .grid import Grid, Index
from .ops import Mode
from .poly import Poly

POLYNOMIAL_EQUALITY = "exact polynomial equality, element by element"
REBUILT = POLYNOMIAL_EQUALITY + ", right-hand side rebuilt step by step"
"""A proof whose right-hand side was recomputed from the textbook steps, not the search's."""


class Role(str, Enum):
    INPUT = "input"
    PARAMETER = "parameter"
    OUTPUT = "output"
    UPSTREAM = "upstream gradient"


@dataclass(frozen=True)
class Tensor:
    key: str
    role: Role
    symbols: Grid[sp.Symbol]

    @property
    def shape(self) -> tuple[int, ...]:
        return self.symbols.shape


@dataclass(frozen=True)
class LocalGradient:
    """A non-zero partial derivative of one output element by one input element."""

    output: sp.Symbol
    wrt: sp.Symbol
    value: Poly


@dataclass(frozen=True)
class Expansion:
    """What the chain rule gives: the forward elements, their local gradients, the gradients."""

    tensors: tuple[Tensor, ...]
    output: str
    forward: Grid[Poly]
    local_gradients: tuple[LocalGradient, ...]
    gradients: tuple[tuple[str, Grid[Poly]], ...]
    """Pairs of (input key, gradient of the loss by that input), in the order they are shown."""

    def tensor(self, key: str) -> Tensor:
        return next(t for t in self.tensors if t.key == key)

    def gradient(self, key: str) -> Grid[Poly]:
        return dict(self.gradients)[key]


class Operation(str, Enum):
    CORRELATION = "cross-correlation"
    CONVOLUTION = "convolution"


@dataclass(frozen=True)
class Candidate:
    """One compact form a result might take: ``operation(first, [rot180] second, mode)``."""

    operation: Operation
    mode: Mode
    first: str
    second: str
    rotate_second: bool

    @property
    def kind(self) -> str:
        return f"{self.mode.value} {self.operation.value}"


@dataclass(frozen=True)
class Proof:
    """The outcome of a proof: how many elements it covered, whether it holds, and how."""

    elements: int
    holds: bool
    method: str = POLYNOMIAL_EQUALITY
    first_difference: Index | None = None

    @staticmethod
    def comparing(rhs: Grid[Poly], value: Grid[Poly], method: str = POLYNOMIAL_EQUALITY) -> Proof:
        """Compare a recomputed right-hand side with the derived result, element by element."""
        if rhs.shape != value.shape:
            return Proof(elements=0, holds=False, method=method)
        for index, derived in value.items():
            if rhs[index] != derived:
                return Proof(len(value.cells), False, method, first_difference=index)
        return Proof(elements=len(value.cells), holds=True, method=method)


@dataclass(frozen=True)
class Presentation:
    """A candidate rewritten for the reader as a *valid*-mode operation on explicit arrays:
    the first operand already zero-padded, the second already rotated where the candidate says."""

    first: Grid[Poly]
    second: Grid[Poly]
    padding: tuple[tuple[int, int], ...]
    """Zeros added before and after, per axis, to the first operand."""


@dataclass(frozen=True)
class Identity:
    target: str
    candidate: Candidate | LayerCandidate
    proof: Proof
    presentation: Presentation | None
    """None for results with nothing to slide, such as a bias gradient (a plain sum)."""

    @property
    def statement(self) -> str:
        """Plain text: ``dL/dX = full cross-correlation(dL/dO, rot180(F))``."""
        c = self.candidate
        if isinstance(c, LayerCandidate):
            return f"{self.target} = {c.call}"
        second = f"rot180({c.second})" if c.rotate_second else c.second
        return f"{self.target} = {c.kind}({c.first}, {second})"


@dataclass(frozen=True)
class Detection:
    """The result of one search: every candidate that matched (best first), or none."""

    target: str
    operands: tuple[str, ...]
    tried: int
    matches: tuple[Candidate | LayerCandidate, ...]

    @property
    def found(self) -> bool:
        return bool(self.matches)


@dataclass(frozen=True)
class LayerCandidate:
    """A compact form written as a whole layer operation in PyTorch's terms, such as
    ``conv_transpose2d(dL/dO, W, stride=2, padding=1, output_padding=1)``.

    ``function`` is ``conv``, ``conv_transpose``, ``conv_weight`` (the weight gradient of a
    convolution from its input ``first`` to its output gradient ``second``, as
    ``torch.nn.grad.conv2d_weight``) or ``sum`` (over the batch and every spatial axis).
    """

    function: str
    dims: int
    first: str
    second: str | None = None
    bias: str | None = None
    stride: tuple[int, ...] = ()
    padding: tuple[int, ...] = ()
    dilation: tuple[int, ...] = ()
    groups: int = 1
    output_padding: tuple[int, ...] = ()
    flip_second: bool = False
    keep: tuple[int, ...] = ()
    """A ``conv`` whose output is longer than the result keeps its first ``keep`` positions per
    spatial axis (a transposed convolution with output padding at least its stride, where
    PyTorch's backward crops the same way); empty when nothing is cut."""

    @property
    def kind(self) -> str:
        if self.function == "sum":
            return "sum over batch and space"
        return f"{self.function}{self.dims}d"

    def settings(self) -> tuple[tuple[str, object], ...]:
        """The keyword arguments, as torch.nn.functional would take them."""
        if self.function == "sum":
            return ()
        values: list[tuple[str, object]] = [
            ("stride", self.stride),
            ("padding", self.padding),
        ]
        if self.function == "conv_transpose":
            values.append(("output_padding", self.output_padding))
        values += [("dilation", self.dilation), ("groups", self.groups)]
        return tuple(values)

    @property
    def call(self) -> str:
        """Plain text: ``conv_transpose2d(dL/dO, W, stride=2, padding=1, output_padding=1, …)``."""
        if self.function == "sum":
            return f"sum of {self.first} over batch and space"
        second = self.second or ""
        if self.flip_second:
            second = f"{'rot180' if self.dims == 2 else 'flip'}({second})"
        operands = [self.first, second] + ([self.bias] if self.bias else [])
        keywords = [f"{k}={_axes_text(v)}" for k, v in self.settings()]
        call = f"{self.kind}({', '.join(operands + keywords)})"
        if self.keep:
            call += "[..., " + ", ".join(f":{n}" for n in self.keep) + "]"
        return call


def _axes_text(value: object) -> str:
    if isinstance(value, tuple):
        return str(value[0]) if len(set(value)) == 1 else "(" + ", ".join(map(str, value)) + ")"
    return str(value)


class Searched(Protocol):
    @property
    def found(self) -> bool: ...


class Proven(Protocol):
    @property
    def proof(self) -> Proof: ...


class ExpansionViews:
    """SymPy views and the verdict of a derivation built on a polynomial ``Expansion``."""

    expansion: Expansion
    detections: tuple[Searched, ...]
    identities: tuple[Proven, ...]

    @property
    def verified(self) -> bool:
        """True when every search found an identity and every identity was proven."""
        return all(d.found for d in self.detections) and all(i.proof.holds for i in self.identities)

    def symbols(self, key: str) -> sp.ImmutableMatrix | sp.ImmutableDenseNDimArray:
        """The SymPy symbols of a tensor (``"X"``, ``"F"``, ``"O"``, ``"dL/dO"``)."""
        return sympy_array(self.expansion.tensor(key).symbols)

    def forward(self) -> sp.ImmutableMatrix | sp.ImmutableDenseNDimArray:
        """The expanded output elements as SymPy expressions."""
        return sympy_array(self.expansion.forward.map(Poly.to_sympy))

    def gradient(self, key: str) -> sp.ImmutableMatrix | sp.ImmutableDenseNDimArray:
        """dL/d``key`` as SymPy expressions in the input and upstream-gradient symbols."""
        return sympy_array(self.expansion.gradient(key).map(Poly.to_sympy))


def sympy_array(grid: Grid[sp.Expr]) -> sp.ImmutableMatrix | sp.ImmutableDenseNDimArray:
    if len(grid.shape) == 2:
        return sp.ImmutableMatrix(*grid.shape, list(grid.cells))
    return sp.ImmutableDenseNDimArray(list(grid.cells), grid.shape)
