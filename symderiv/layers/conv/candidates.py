"""The candidates a convolution's results are compared with, and the records of its searches.

``Candidate``: an operation on two plain arrays (the single-channel case); ``LayerCandidate``: a
whole layer operation in PyTorch's terms. Searches and identities are the shared
``core.results`` records over these.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ...core.grid import Grid
from ...core.ops import Mode
from ...core.poly import Poly
from ...core.results import Identity, Proof, Search


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
        crop = "[..., " + ", ".join(f":{n}" for n in self.keep) + "]"
        # A weight gradient crops its first operand (the input it reads); a convolution its
        # result.
        first = self.first + (crop if self.keep and self.function == "conv_weight" else "")
        operands = [first, second] + ([self.bias] if self.bias else [])
        keywords = [f"{k}={_axes_text(v)}" for k, v in self.settings()]
        call = f"{self.kind}({', '.join(operands + keywords)})"
        if self.keep and self.function != "conv_weight":
            call += crop
        return call


def _axes_text(value: object) -> str:
    if isinstance(value, tuple):
        return str(value[0]) if len(set(value)) == 1 else "(" + ", ".join(map(str, value)) + ")"
    return str(value)


@dataclass(frozen=True)
class Presentation:
    """A candidate rewritten for the reader as a *valid*-mode operation on explicit arrays:
    the first operand already zero-padded, the second already rotated where the candidate says."""

    first: Grid[Poly]
    second: Grid[Poly]
    padding: tuple[tuple[int, int], ...]
    """Zeros added before and after, per axis, to the first operand."""


AnyCandidate = Candidate | LayerCandidate
ConvSearch = Search[AnyCandidate]
ConvIdentity = Identity[AnyCandidate, Presentation | None]
"""``shown`` is None for results with nothing to slide, such as a bias gradient (a plain sum)."""


def statement(target: str, c: AnyCandidate) -> str:
    """Plain text: ``dL/dX = full cross-correlation(dL/dO, rot180(F))``."""
    if isinstance(c, LayerCandidate):
        return f"{target} = {c.call}"
    second = f"rot180({c.second})" if c.rotate_second else c.second
    return f"{target} = {c.kind}({c.first}, {second})"


def identity(
    target: str, c: AnyCandidate, proof: Proof, shown: Presentation | None
) -> ConvIdentity:
    return Identity(target, c, statement(target, c), proof, shown)
