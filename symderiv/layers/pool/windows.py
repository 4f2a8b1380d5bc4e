"""Pooling geometry, as PyTorch computes it: output size, the cells of each window, divisors.

Per axis, output cell i (0-based) reads the padded positions s*i + d*u - p for u = 0..k-1; a
position outside 0..n-1 is padding. The output length is

    floor((n + 2p - d(k - 1) - 1) / s) + 1          (ceil instead of floor with ceil_mode)

and with ceil_mode a last window that would start in the right padding is dropped, exactly as
``torch.nn.functional.max_pool2d`` and ``avg_pool2d`` do.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from ...core.errors import SymderivError
from ...core.grid import Index, indices
from ...core.parse import format_size, work_limit

DEFAULT_MAX_TERMS = 120_000
"""Work allowed by default (window cells and the largest array): about ten seconds here."""


@dataclass(frozen=True)
class Window:
    """The cells one output element reads, in row-major order; None where the cell is padding."""

    output: Index
    cells: tuple[Index | None, ...]

    @property
    def real(self) -> tuple[Index, ...]:
        return tuple(c for c in self.cells if c is not None)


@dataclass(frozen=True)
class PoolGeometry:
    input: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    dilation: tuple[int, ...]
    ceil_mode: bool = False

    def __post_init__(self) -> None:
        axes = len(self.input)
        for name, value in self._per_axis():
            if len(value) != axes:
                raise SymderivError(f"--{name}: expected {axes} values, got {format_size(value)}")
        for name, value in self._per_axis():
            least = 0 if name == "padding" else 1
            if any(v < least for v in value):
                raise SymderivError(
                    f"--{name}: invalid value {format_size(value)}; each must be at least {least}"
                )
        for k, p in zip(self.kernel, self.padding):
            if p > k // 2:
                raise SymderivError(
                    f"--padding {format_size(self.padding)} is more than half of --kernel "
                    f"{format_size(self.kernel)} (PyTorch allows at most kernel // 2 = {k // 2})"
                )
        output = self.output
        if any(n < 1 for n in output):
            raise SymderivError(
                f"kernel {format_size(self.kernel)} (dilation {format_size(self.dilation)}) is "
                f"larger than input {format_size(self.input)} padded by "
                f"{format_size(self.padding)}: the output would be {format_size(output)}"
            )
        # A window's cells are a product over the axes, so it holds a real cell exactly when
        # it does on every axis: one step per output position, not per window.
        for axis, length in enumerate(output):
            for i in range(length):
                if not any(0 <= c < self.input[axis] for c in self.positions(axis, i)):
                    window = tuple(i + 1 if a == axis else 1 for a in range(len(output)))
                    raise SymderivError(
                        f"window {format_size(window)} covers only padding (dilation "
                        f"{format_size(self.dilation)}, padding {format_size(self.padding)}); "
                        "PyTorch would output -inf there"
                    )

    def _per_axis(self) -> tuple[tuple[str, tuple[int, ...]], ...]:
        return (
            ("kernel", self.kernel),
            ("stride", self.stride),
            ("padding", self.padding),
            ("dilation", self.dilation),
        )

    @property
    def axes(self) -> int:
        return len(self.input)

    @property
    def output(self) -> tuple[int, ...]:
        return tuple(
            _output_length(n, k, s, p, d, self.ceil_mode)
            for n, k, s, p, d in zip(
                self.input, self.kernel, self.stride, self.padding, self.dilation
            )
        )

    def positions(self, axis: int, i: int) -> tuple[int, ...]:
        """Padded-input positions (0-based, may be negative or past the end) of output cell i."""
        s, p, d = self.stride[axis], self.padding[axis], self.dilation[axis]
        return tuple(s * i + d * u - p for u in range(self.kernel[axis]))

    def window(self, output: Index) -> Window:
        per_axis = [self.positions(axis, i) for axis, i in enumerate(output)]
        cells = tuple(
            cell if all(0 <= c < n for c, n in zip(cell, self.input)) else None
            for cell in itertools.product(*per_axis)
        )
        return Window(output, cells)

    def windows(self) -> tuple[Window, ...]:
        return tuple(self.window(i) for i in indices(self.output))

    @property
    def visits(self) -> int:
        """Window cells, padding included: what building every window costs."""
        count = 1
        for o, k in zip(self.output, self.kernel):
            count *= o * k
        return count

    @property
    def extent(self) -> int:
        """Cells of the largest array a derivation builds: the input, the upsampled or
        zero-inserted upstream gradient, its full correlation with the window."""
        count = 1
        for n, k, s, p, d, o in zip(
            self.input, self.kernel, self.stride, self.padding, self.dilation, self.output
        ):
            count *= max(n + 2 * p, o * s, (o - 1) * s + d * (k - 1) + 1)
        return count

    def check_work(self, limit: object) -> None:
        """Refuse, in constant time from the sizes, work over ``limit`` (--max-terms)."""
        number = work_limit(limit)
        if self.visits + self.extent > number:
            raise SymderivError(
                f"input {format_size(self.input)} with kernel {format_size(self.kernel)} and "
                f"stride {format_size(self.stride)} needs {self.visits + self.extent:,} steps "
                f"({self.visits:,} window cells, arrays of up to {self.extent:,} cells), over "
                f"the limit of {limit:,}; raise it with --max-terms (max_terms= in Python)"
            )

    @property
    def overlapping(self) -> bool:
        """Whether some input cell lies in more than one window."""
        return any(d * (k - 1) + 1 > s for k, s, d in zip(self.kernel, self.stride, self.dilation))

    def average_divisor(self, output: Index, count_include_pad: bool) -> int:
        """PyTorch's divisor: the window clipped to the padded input (count_include_pad) or to
        the input itself; with ceil_mode an edge window can be smaller than the kernel."""
        divisor = 1
        for axis, i in enumerate(output):
            n, k, s, p = (
                self.input[axis],
                self.kernel[axis],
                self.stride[axis],
                self.padding[axis],
            )
            start = s * i - p
            end = min(start + k, n + p)
            if not count_include_pad:
                start, end = max(start, 0), min(end, n)
            divisor *= end - start
        return divisor


def _output_length(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    span = n + 2 * p - d * (k - 1) - 1
    if span < 0:
        return 0
    length = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (length - 1) * s >= n + p:
        length -= 1
    return length
