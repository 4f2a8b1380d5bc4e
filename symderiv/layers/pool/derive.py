"""Max and average pooling (1-D, 2-D, 3-D, global average): forward, chain rule, identities.

Average pooling is linear: O_i = (1/div_i) * sum of the real cells of window i, with PyTorch's
divisor, so the shared polynomial chain rule derives dL/dX symbolically. Max pooling depends on
the data: on concrete values each window selects one cell (the first maximum in row-major order,
PyTorch's tie rule; padding is -inf and never selected), O_i equals that cell's symbol, and the
same chain rule routes dL/dO_i to it. The gradient is then an expression in the dL/dO symbols.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction

from ...core.chain_rule import chain_rule
from ...core.errors import SymderivError, checked_keywords
from ...core.grid import Grid
from ...core.parse import coerce_offsets, coerce_size, flag, format_size
from ...core.perf import without_cycle_collection
from ...core.poly import Poly
from ...core.results import Expansion, Role, Tensor
from ...core.symbols import gradient_key, tensor_symbols
from ...core.values import Value, given_values, parse_values
from ...core.worked import worked_example
from .prove import prove
from .result import PoolDerivation, Selection
from .search import AVERAGE_CANDIDATES, MAX_CANDIDATES, search
from .view import AVG_VIEW, MAX_VIEW
from .windows import DEFAULT_MAX_TERMS, PoolGeometry, Window

EXAMPLE_VALUES = {
    1: "2,5,5,1,4,4,0,3",
    2: "1,3,2,4;5,6,7,8;3,2,1,0;1,3,3,4",
    3: "1,3,2,4;5,6,7,8;3,2,1,0;1,3,3,4|0,2,9,1;4,1,3,2;5,5,2,2;0,1,6,2",
}
"""The built-in max-pooling inputs: with the default 2-wide kernel each has a tied window."""

DEFAULT_INPUT = {1: (8,), 2: (4, 4), 3: (2, 4, 4)}


def geometry(
    axes: int,
    input: object,
    kernel: object,
    stride: object,
    padding: object,
    dilation: object,
    ceil_mode: bool,
) -> PoolGeometry:
    """Sizes as a Python caller may give them (an int for every axis, a tuple, ``"2x2"``)."""
    kernel_size = coerce_size(kernel, "--kernel", axes)
    return PoolGeometry(
        input=coerce_size(input, "--input", axes),
        kernel=kernel_size,
        stride=kernel_size if stride is None else coerce_size(stride, "--stride", axes),
        padding=coerce_offsets(padding, "--padding", axes),
        dilation=coerce_size(dilation, "--dilation", axes),
        ceil_mode=flag(ceil_mode, "--ceil-mode"),
    )


# --------------------------------------------------------------------------------------------
# Max pooling


@dataclass(frozen=True)
class MaxPoolSpec:
    geometry: PoolGeometry
    values: Grid[Value]
    source: str
    seed: int | None = None

    def options(self) -> tuple[tuple[str, object], ...]:
        g = self.geometry
        return (
            ("input", list(g.input)),
            ("kernel", list(g.kernel)),
            ("stride", list(g.stride)),
            ("padding", list(g.padding)),
            ("dilation", list(g.dilation)),
            ("ceil_mode", g.ceil_mode),
            ("values_from", self.source),
            ("seed", self.seed),
        )


def input_values(
    axes: int, input: object, values: object, seed: int | None
) -> tuple[Grid[Value], str]:
    """The values and where they came from: ``--values``, ``--seed``, or the built-in example."""
    return given_values(axes, input, values, seed, DEFAULT_INPUT[axes], EXAMPLE_VALUES[axes])


def select(window: Window, values: Grid[Value]) -> Selection:
    """PyTorch's scan in float64, its type here: row-major, the first value strictly greater
    than the running maximum; values that differ exactly but are equal in float64 tie."""
    seen = tuple(None if c is None else values[c] for c in window.cells)
    best: float | None = None
    winner = None
    for cell, v in zip(window.cells, seen):
        if cell is not None and v is not None and (best is None or float(v) > best):
            best, winner = float(v), cell
    assert winner is not None  # PoolGeometry rejects windows of padding only
    tied = tuple(
        c
        for c, v in zip(window.cells, seen)
        if c is not None and v is not None and float(v) == best
    )
    return Selection(window, seen, winner, tied)


@without_cycle_collection
def derive_max(spec: MaxPoolSpec, layer: str) -> PoolDerivation:
    g = spec.geometry
    x = Tensor("X", Role.INPUT, tensor_symbols("X", g.input))
    o = Tensor("O", Role.OUTPUT, tensor_symbols("O", g.output))
    up_key = gradient_key("O")
    upstream = Tensor(up_key, Role.UPSTREAM, tensor_symbols(up_key, g.output))
    selections = tuple(select(w, spec.values) for w in g.windows())
    forward = Grid(g.output, tuple(Poly.symbol(x.symbols[s.winner]) for s in selections))
    local, (grad_x,) = chain_rule(forward, o.symbols, upstream.symbols, (x.symbols,))
    expansion = Expansion((x, o, upstream), "O", forward, local, (("X", grad_x),))
    dl_do = upstream.symbols.map(Poly.symbol)
    detection = search(grad_x, dl_do, g, MAX_CANDIDATES, selections)
    identities = prove(detection, grad_x, dl_do, g, spec.values)
    return PoolDerivation(
        layer=layer,
        kind="max",
        options=spec.options(),
        geometry=g,
        expansion=expansion,
        detections=(detection,),
        identities=identities,
        values=spec.values,
        values_source=spec.source,
        seed=spec.seed,
        selections=selections,
        view=MAX_VIEW,
    )


def cost(axes: int, **options: object) -> float:
    """The work a pooling command will do, as a share of the default limit's."""
    shape = options.get("input")
    values = options.get("values")
    if shape is None:
        shape = parse_values(values, axes).shape if isinstance(values, str) else DEFAULT_INPUT[axes]
    g = geometry(
        axes,
        shape,
        options.get("kernel", 2),
        options.get("stride"),
        options.get("padding", 0),
        options.get("dilation", 1),
        bool(options.get("ceil_mode", False)),
    )
    return (g.visits + g.extent) / DEFAULT_MAX_TERMS


def max_pool(
    axes: int,
    input: object = None,
    kernel: object = 2,
    stride: object = None,
    padding: object = 0,
    dilation: object = 1,
    ceil_mode: bool = False,
    values: object = None,
    seed: int | None = None,
    max_terms: int = DEFAULT_MAX_TERMS,
) -> PoolDerivation:
    if values is None:
        # The values are drawn for the input's shape: check the work before drawing them.
        shape = DEFAULT_INPUT[axes] if input is None else input
        geometry(axes, shape, kernel, stride, padding, dilation, ceil_mode).check_work(max_terms)
    grid, source = input_values(axes, input, values, seed)
    used_seed = None if source != "seed" else (0 if seed is None else seed)
    try:
        g = geometry(axes, grid.shape, kernel, stride, padding, dilation, ceil_mode)
    except SymderivError as error:
        if source != "values" or "the output would be" not in str(error):
            raise
        # The values' shape is what was read: say how it was read, and how to write rows.
        rows = "';' between rows" + (", '|' between depth slices" if axes == 3 else "")
        raise SymderivError(
            f"--values gives a {format_size(grid.shape)} input (',' between entries, {rows}): "
            f"{error}"
        ) from None
    g.check_work(max_terms)
    return derive_max(MaxPoolSpec(g, grid, source, used_seed), f"maxpool{axes}d")


@checked_keywords
def maxpool1d(
    input: object = None,
    kernel: object = 2,
    stride: object = None,
    padding: object = 0,
    dilation: object = 1,
    ceil_mode: bool = False,
    values: object = None,
    seed: int | None = None,
    max_terms: int = DEFAULT_MAX_TERMS,
) -> PoolDerivation:
    """``torch.nn.functional.max_pool1d`` on concrete values (``values="1,3,2"`` or ``seed=N``).

    ``stride`` defaults to the kernel, as in PyTorch; ``input`` to the shape of ``values``.
    """
    return max_pool(1, input, kernel, stride, padding, dilation, ceil_mode, values, seed, max_terms)


@checked_keywords
def maxpool2d(
    input: object = None,
    kernel: object = 2,
    stride: object = None,
    padding: object = 0,
    dilation: object = 1,
    ceil_mode: bool = False,
    values: object = None,
    seed: int | None = None,
    max_terms: int = DEFAULT_MAX_TERMS,
) -> PoolDerivation:
    """``torch.nn.functional.max_pool2d`` on concrete values (``values="1,3;2,4"``, ``seed=N``).

    ``stride`` defaults to the kernel, as in PyTorch; ``input`` to the shape of ``values``.
    """
    return max_pool(2, input, kernel, stride, padding, dilation, ceil_mode, values, seed, max_terms)


@checked_keywords
def maxpool3d(
    input: object = None,
    kernel: object = 2,
    stride: object = None,
    padding: object = 0,
    dilation: object = 1,
    ceil_mode: bool = False,
    values: object = None,
    seed: int | None = None,
    max_terms: int = DEFAULT_MAX_TERMS,
) -> PoolDerivation:
    """``torch.nn.functional.max_pool3d``; ``values`` separates depth slices with ``|``.

    ``stride`` defaults to the kernel, as in PyTorch; ``input`` to the shape of ``values``.
    """
    return max_pool(3, input, kernel, stride, padding, dilation, ceil_mode, values, seed, max_terms)


# --------------------------------------------------------------------------------------------
# Average pooling


@dataclass(frozen=True)
class AvgPoolSpec:
    geometry: PoolGeometry
    count_include_pad: bool = True
    max_terms: int = DEFAULT_MAX_TERMS

    def __post_init__(self) -> None:
        self.geometry.check_work(self.max_terms)
        g = self.geometry
        if len(g.input) == 3 and any(n < k for n, k in zip(g.input, g.kernel)):
            raise SymderivError(
                f"input {format_size(g.input)} is smaller than the kernel {format_size(g.kernel)}"
                " on an axis: torch's avg_pool3d requires every input size to be at least the "
                "kernel's, padding or not"
            )

    def options(self) -> tuple[tuple[str, object], ...]:
        g = self.geometry
        return (
            ("input", list(g.input)),
            ("kernel", list(g.kernel)),
            ("stride", list(g.stride)),
            ("padding", list(g.padding)),
            ("ceil_mode", g.ceil_mode),
            ("count_include_pad", self.count_include_pad),
        )


@without_cycle_collection
def derive_average(spec: AvgPoolSpec, layer: str) -> PoolDerivation:
    g = spec.geometry
    x = Tensor("X", Role.INPUT, tensor_symbols("X", g.input))
    o = Tensor("O", Role.OUTPUT, tensor_symbols("O", g.output))
    up_key = gradient_key("O")
    upstream = Tensor(up_key, Role.UPSTREAM, tensor_symbols(up_key, g.output))
    windows = g.windows()
    divisors = Grid(
        g.output, tuple(g.average_divisor(w.output, spec.count_include_pad) for w in windows)
    )

    def average(window: Window) -> Poly:
        share = Fraction(1, divisors[window.output])
        return Poly({(x.symbols[c],): share for c in window.real})

    forward = Grid(g.output, tuple(average(w) for w in windows))
    local, (grad_x,) = chain_rule(forward, o.symbols, upstream.symbols, (x.symbols,))
    expansion = Expansion((x, o, upstream), "O", forward, local, (("X", grad_x),))
    dl_do = upstream.symbols.map(Poly.symbol)
    detection = search(grad_x, dl_do, g, AVERAGE_CANDIDATES)
    identities = prove(detection, grad_x, dl_do, g)
    return PoolDerivation(
        layer=layer,
        kind="avg",
        options=spec.options(),
        geometry=g,
        expansion=expansion,
        detections=(detection,),
        identities=identities,
        divisors=divisors,
        count_include_pad=spec.count_include_pad,
        view=AVG_VIEW,
    )


def avg_pool(
    axes: int,
    input: object = None,
    kernel: object = 2,
    stride: object = None,
    padding: object = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    max_terms: int = DEFAULT_MAX_TERMS,
    values: object = None,
    seed: int | None = None,
) -> PoolDerivation:
    size = DEFAULT_INPUT[axes] if input is None else input
    g = geometry(axes, size, kernel, stride, padding, 1, ceil_mode)
    derivation = derive_average(
        AvgPoolSpec(g, flag(count_include_pad, "--count-include-pad"), max_terms), f"avgpool{axes}d"
    )
    example = '{"X": [[...]], "dL/dO": [[...]]}'
    worked = worked_example(derivation.expansion, values, seed, example)
    return dataclasses.replace(derivation, worked=worked)


@checked_keywords
def avgpool1d(
    input: object = None,
    kernel: object = 2,
    stride: object = None,
    padding: object = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    max_terms: int = DEFAULT_MAX_TERMS,
    values: object = None,
    seed: int | None = None,
) -> PoolDerivation:
    """``torch.nn.functional.avg_pool1d``, symbolic in the input; ``stride`` defaults to the
    kernel, as in PyTorch. ``values`` or ``seed`` add a worked example on numbers (as for
    convolution)."""
    return avg_pool(
        1, input, kernel, stride, padding, ceil_mode, count_include_pad, max_terms, values, seed
    )


@checked_keywords
def avgpool2d(
    input: object = None,
    kernel: object = 2,
    stride: object = None,
    padding: object = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    max_terms: int = DEFAULT_MAX_TERMS,
    values: object = None,
    seed: int | None = None,
) -> PoolDerivation:
    """``torch.nn.functional.avg_pool2d``, symbolic in the input; ``stride`` defaults to the
    kernel, as in PyTorch. ``values`` or ``seed`` add a worked example on numbers (as for
    convolution)."""
    return avg_pool(
        2, input, kernel, stride, padding, ceil_mode, count_include_pad, max_terms, values, seed
    )


@checked_keywords
def avgpool3d(
    input: object = None,
    kernel: object = 2,
    stride: object = None,
    padding: object = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    max_terms: int = DEFAULT_MAX_TERMS,
    values: object = None,
    seed: int | None = None,
) -> PoolDerivation:
    """``torch.nn.functional.avg_pool3d``, symbolic in the input; ``stride`` defaults to the
    kernel, as in PyTorch. ``values`` or ``seed`` add a worked example on numbers (as for
    convolution)."""
    return avg_pool(
        3, input, kernel, stride, padding, ceil_mode, count_include_pad, max_terms, values, seed
    )


@checked_keywords
def global_avgpool(input: object = (4, 4), max_terms: int = DEFAULT_MAX_TERMS) -> PoolDerivation:
    """``adaptive_avg_pool2d(x, 1)``: one window, the whole input."""
    size = coerce_size(input, "--input", 2)
    g = PoolGeometry(size, size, size, (0, 0), (1, 1))
    return derive_average(AvgPoolSpec(g, True, max_terms), "global-avgpool")
