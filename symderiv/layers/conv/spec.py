"""What a convolution is asked to be: sizes, stride, padding, dilation, groups, channels, batch,
bias, and whether it is transposed; checked once, here, with one-line errors.

Semantics and defaults follow ``torch.nn.functional.conv{1,2,3}d`` and ``conv_transpose{1,2,3}d``.
Tensors take PyTorch's layout as soon as a batch, channels or groups are asked for: X is
(N, C_in, *spatial), the weight W is (C_out, C_in/groups, *kernel) for convolution and
(C_in, C_out/groups, *kernel) for transposed convolution, the bias b is (C_out,). Otherwise they
keep the plain spatial shape of the single-channel example, and the kernel is called F.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...core.errors import SymderivError
from ...core.parse import Axes, format_size, work_limit

DEFAULT_MAX_TERMS = 120_000
"""About ten seconds of work; beyond it a derivation is refused unless the limit is raised."""


def _text(values: Axes) -> str:
    return format_size(values) if len(set(values)) > 1 else str(values[0])


@dataclass(frozen=True)
class ConvSpec:
    input: Axes = (3, 3)
    kernel: Axes = (2, 2)
    stride: Axes = (1, 1)
    padding: Axes = (0, 0)
    dilation: Axes = (1, 1)
    output_padding: Axes = (0, 0)
    groups: int = 1
    in_channels: int | None = None
    out_channels: int | None = None
    batch: int | None = None
    bias: bool = False
    transposed: bool = False
    max_terms: int = DEFAULT_MAX_TERMS

    def __post_init__(self) -> None:
        dims = len(self.input)
        for name, values in self._per_axis():
            if len(values) != dims:
                raise SymderivError(
                    f"--{name}: {_text(values)} gives {len(values)} values for {dims} spatial "
                    "axes; give one value, or exactly one per axis"
                )
        self._check_ranges()
        self._check_groups()
        self._check_output()
        work_limit(self.max_terms)
        # Checked in constant time from the sizes before the exact count, which takes a step
        # per position, and before any array is built.
        if self.cells + self.candidates > self.max_terms:
            raise SymderivError(
                f"input {format_size(self.input)} with kernel {format_size(self.kernel)}, stride "
                f"{_text(self.stride)} and padding {_text(self.padding)} needs arrays of about "
                f"{self.cells:,} cells and {self.candidates:,} candidate forms, over the limit "
                f"of {self.max_terms:,}; raise it with --max-terms (max_terms= in Python)"
            )
        if self.work > self.max_terms:
            twice = ", searched and proven twice (plain arrays and whole layer)"
            raise SymderivError(
                f"input {format_size(self.input)} with kernel {format_size(self.kernel)} needs "
                f"{self.terms:,} product terms{twice if self.passes == 2 else ''}, over the "
                f"limit of {self.max_terms:,}; raise it with --max-terms (max_terms= in Python)"
            )

    def _per_axis(self) -> list[tuple[str, Axes]]:
        return [
            ("kernel", self.kernel),
            ("stride", self.stride),
            ("padding", self.padding),
            ("dilation", self.dilation),
            ("output-padding", self.output_padding),
        ]

    def _check_ranges(self) -> None:
        minimum = {"stride": 1, "dilation": 1, "padding": 0, "output-padding": 0}
        rule = {
            "stride": "a stride must be at least 1",
            "dilation": "a dilation must be at least 1",
            "padding": "padding cannot be negative",
            "output-padding": "output padding cannot be negative",
        }
        for name, values in self._per_axis()[1:]:
            if any(v < minimum[name] for v in values):
                raise SymderivError(f"--{name} {_text(values)}: {rule[name]}")
        counts = (
            ("groups", self.groups),
            ("in-channels", self.in_channels),
            ("out-channels", self.out_channels),
            ("batch", self.batch),
        )
        for name, count in counts:
            if count is not None and count < 1:
                raise SymderivError(f"--{name} {count}: must be at least 1")
        if not self.transposed and any(self.output_padding):
            raise SymderivError(
                f"--output-padding {_text(self.output_padding)}: output padding only applies to "
                "transposed convolution"
            )
        for op, s, d in zip(self.output_padding, self.stride, self.dilation):
            if op >= s and op >= d:
                raise SymderivError(
                    f"--output-padding {_text(self.output_padding)} with --stride "
                    f"{_text(self.stride)} and --dilation {_text(self.dilation)}: output padding "
                    "must be smaller than the stride or the dilation on every axis"
                )

    def _check_groups(self) -> None:
        for name, count in (("in-channels", self.c_in), ("out-channels", self.c_out)):
            if count % self.groups:
                raise SymderivError(
                    f"--groups {self.groups} does not divide --{name} {count}: both channel "
                    "counts must be multiples of the number of groups"
                )

    def _check_output(self) -> None:
        if self.transposed:
            if any(n < 1 for n in self.output):
                raise SymderivError(
                    f"input {format_size(self.input)}, kernel {format_size(self.kernel)}, "
                    f"--padding {_text(self.padding)}: the output would be empty, "
                    "(H-1)s - 2p + d(k-1) + output_padding + 1 must be at least 1 on every axis"
                )
            return
        unpadded = not any(self.padding) and all(d == 1 for d in self.dilation)
        for axis, (n, k, p, d) in enumerate(
            zip(self.input, self.kernel, self.padding, self.dilation), start=1
        ):
            reach = d * (k - 1) + 1
            if reach <= n + 2 * p:
                continue
            if unpadded:
                raise SymderivError(
                    f"kernel {format_size(self.kernel)} is larger than input "
                    f"{format_size(self.input)}; each kernel dimension must be at most the input's"
                )
            raise SymderivError(
                f"kernel {format_size(self.kernel)} with --dilation {_text(self.dilation)} "
                f"reaches {reach} on axis {axis}, more than the input {n} padded by {p} on each "
                f"side ({n + 2 * p}): the output would be empty; d(k-1)+1 must be at most H+2p"
            )

    # --- derived sizes ---------------------------------------------------------------------

    @property
    def dims(self) -> int:
        return len(self.input)

    @property
    def c_in(self) -> int:
        return self.in_channels if self.in_channels is not None else 1

    @property
    def c_out(self) -> int:
        return self.out_channels if self.out_channels is not None else 1

    @property
    def n(self) -> int:
        return self.batch if self.batch is not None else 1

    @property
    def channelled(self) -> bool:
        """True when tensors take PyTorch's (N, C, ...) layout: batch or channels were asked for."""
        return (
            self.batch is not None
            or self.in_channels is not None
            or self.out_channels is not None
            or self.groups != 1
        )

    @property
    def single_channel_unit_stride(self) -> bool:
        """Plain layout, stride 1, no padding, no dilation: the plain-array candidates
        (valid/same/full modes) can describe the gradients."""
        return (
            not self.channelled
            and all(s == 1 for s in self.stride)
            and not any(self.padding)
            and all(d == 1 for d in self.dilation)
        )

    @property
    def plain_correlation(self) -> bool:
        """Single channel, stride 1, no padding, no dilation and no bias: the output too is a plain
        correlation of two arrays."""
        return self.single_channel_unit_stride and not self.bias

    @property
    def array_search_targets(self) -> tuple[str, ...]:
        """What the plain-array search is run on, in order: the output (not with a bias, which no
        plain-array candidate has) and the gradients of the weight and the input."""
        if not self.single_channel_unit_stride:
            return ()
        gradients = ("dL/d" + self.weight, "dL/dX")
        return gradients if self.bias else ("O", *gradients)

    @property
    def plain_correlation_2d(self) -> bool:
        """The plain correlation in 2-D, not transposed: the seed article's example and its
        document (the kernel F, the rot180 identities, the figures)."""
        return self.plain_correlation and self.dims == 2 and not self.transposed

    @property
    def function(self) -> str:
        """The torch.nn.functional name, which the JSON's ``layer`` keeps."""
        return f"conv_transpose{self.dims}d" if self.transposed else f"conv{self.dims}d"

    @property
    def command(self) -> str:
        """The layer's id: the command, the notes section, the golden and figure files."""
        return f"conv-transpose{self.dims}d" if self.transposed else f"conv{self.dims}d"

    @property
    def weight(self) -> str:
        return "W" if self.channelled else "F"

    @property
    def output(self) -> Axes:
        if self.transposed:
            return tuple(
                (n - 1) * s - 2 * p + d * (k - 1) + op + 1
                for n, k, s, p, d, op in zip(
                    self.input,
                    self.kernel,
                    self.stride,
                    self.padding,
                    self.dilation,
                    self.output_padding,
                )
            )
        return tuple(
            (n + 2 * p - d * (k - 1) - 1) // s + 1
            for n, k, s, p, d in zip(
                self.input, self.kernel, self.stride, self.padding, self.dilation
            )
        )

    @property
    def remainder(self) -> Axes:
        """(H + 2p - d(k-1) - 1) mod s per axis: input rows past the last window (conv only)."""
        return tuple(
            (n + 2 * p - d * (k - 1) - 1) % s
            for n, k, s, p, d in zip(
                self.input, self.kernel, self.stride, self.padding, self.dilation
            )
        )

    def full_shapes(self) -> dict[str, Axes]:
        """Shapes in PyTorch's layout, used for all computation whatever the display layout."""
        g = self.groups
        weight = (
            (self.c_in, self.c_out // g, *self.kernel)
            if self.transposed
            else (self.c_out, self.c_in // g, *self.kernel)
        )
        return {
            "X": (self.n, self.c_in, *self.input),
            self.weight: weight,
            "O": (self.n, self.c_out, *self.output),
            "dL/dO": (self.n, self.c_out, *self.output),
            "b": (self.c_out,),
        }

    def shown_shape(self, key: str) -> Axes:
        """The shape a tensor is shown (and named) with: spatial only in the plain layout."""
        full = self.full_shapes()[key]
        if self.channelled or key == "b":
            return full
        return full[2:]

    def taps(self, axis: int) -> int:
        """Pairs (output position, kernel offset) on one axis that read a real input element."""
        n, k, s, p, d = (
            self.input[axis],
            self.kernel[axis],
            self.stride[axis],
            self.padding[axis],
            self.dilation[axis],
        )
        # For each position i on the scattering side, the offsets u with 0 <= s*i - p + d*u <
        # length form one interval: counted in closed form, one step per position.
        sources, length = (n, self.output[axis]) if self.transposed else (self.output[axis], n)
        count = 0
        for i in range(sources):
            start = s * i - p
            first = max(0, -(start // d))  # ceil(-start / d)
            last = min(k - 1, (length - 1 - start) // d)
            count += max(0, last - first + 1)
        return count

    @property
    def passes(self) -> int:
        """How many searches and proofs each result goes through: the plain-array one and the
        whole-layer one both run for a single channel at stride 1 beyond the 2-D example."""
        return 2 if self.single_channel_unit_stride and not self.plain_correlation_2d else 1

    @property
    def work(self) -> int:
        """The unit the term limit counts: product terms, once per search they go through."""
        return self.terms * self.passes

    @property
    def cells(self) -> int:
        """An upper bound on the cells of the largest arrays a derivation builds: the tensors,
        the zero-padded input, the stride-dilated gradients the proofs rebuild."""
        count = self.n * (self.c_in + self.c_out)
        for n, k, s, p, d, o in zip(
            self.input, self.kernel, self.stride, self.padding, self.dilation, self.output
        ):
            reach = 2 * d * (k - 1) + 1
            count *= max(n + 2 * p, o + 2 * p, (n - 1) * s + reach, (o - 1) * s + reach)
        return count

    @property
    def candidates(self) -> int:
        """How many whole-layer forms the search may try: every output padding a transposed
        convolution allows, per result and operand order."""
        count = 12
        for s, d in zip(self.stride, self.dilation):
            count *= max(s, d)
        return count

    @property
    def terms(self) -> int:
        """Products input * weight in the expanded forward pass: the unit of work."""
        count = self.n * self.c_in * self.c_out // self.groups
        for axis in range(self.dims):
            count *= self.taps(axis)
        return count

    def options(self) -> tuple[tuple[str, object], ...]:
        """The options as given: sizes always, every other setting only when not its default."""
        shown: list[tuple[str, object]] = [
            ("input", list(self.input)),
            ("kernel", list(self.kernel)),
        ]
        defaults = {"stride": 1, "padding": 0, "dilation": 1, "output_padding": 0}
        for name, default in defaults.items():
            values = getattr(self, name)
            if any(v != default for v in values):
                shown.append((name, list(values)))
        if self.groups != 1:
            shown.append(("groups", self.groups))
        for name in ("in_channels", "out_channels", "batch"):
            if getattr(self, name) is not None:
                shown.append((name, getattr(self, name)))
        if self.bias:
            shown.append(("bias", True))
        return tuple(shown)
