"""A claim's right-hand side computed on the layer's own symbols, exactly.

Tensors are the derivation's element symbols, so the value is a polynomial per element, the same
kind of object as the derived gradient it is compared with. The convolutions are the textbook
steps of ``layers.conv.ops`` (pad, insert zeros, dilate, slide, crop, sum over channels): the
same construction that proves the identities, applied to whatever operands and settings the
claim names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..core.errors import SymderivError
from ..core.grid import Grid
from ..core.ops import flip, zero_pad
from ..core.poly import Poly
from ..core.results import Expansion, Role
from ..layers.conv.ops import (
    Geometry,
    conv_shape,
    conv_transpose_shape,
    explicit_conv,
    explicit_conv_transpose,
    explicit_weight,
)
from .syntax import ARITHMETIC, FUNCTIONS, Binary, Call, Group, Negate, Node, Number, Ref, Tuple

Value = Grid[Poly] | Poly


class ShapeMismatch(Exception):
    """The claim is well formed but cannot be computed on these shapes: it is refuted, not
    malformed (``conv2d(dL/dO, X)`` on a 3x3 input is a wrong claim, not a typo). ``kind`` and
    ``values`` say why, for the verdict to phrase (``verdict.REASONS``)."""

    def __init__(self, kind: str, *values: str) -> None:
        super().__init__(kind, *values)
        self.kind = kind
        self.values = values


@dataclass(frozen=True)
class Layer:
    """What a claim is evaluated against: the tensors by name, the spatial axes, and whether the
    arrays are plain (no batch and channel axes, as in the single-channel documents)."""

    tensors: dict[str, Grid[Poly]]
    dims: int
    plain: bool
    kernel: tuple[int, ...] | None
    """The weight's spatial size, for the weight gradient of a convolution."""

    @staticmethod
    def of(expansion: Expansion, spec: Any) -> Layer:
        tensors = {
            t.key: t.symbols.map(Poly.symbol)
            for t in expansion.tensors
            if t.role is not Role.OUTPUT
        }
        if spec is None:
            shape = expansion.tensors[0].shape
            return Layer(tensors, len(shape), True, None)
        return Layer(tensors, spec.dims, not spec.channelled, tuple(spec.kernel))

    def tensor(self, name: str) -> Grid[Poly]:
        aliases = {"W": "F", "F": "W"}
        for key in (name, aliases.get(name, "")):
            if key in self.tensors:
                return self.tensors[key]
        raise SymderivError(
            f"--claim: unknown tensor {name!r}; this layer's are " + ", ".join(self.tensors)
        )


def evaluate(node: Node, layer: Layer) -> Value:
    if isinstance(node, Number):
        return Poly.constant(node.value)
    if isinstance(node, Ref):
        grid = layer.tensor(node.name)
        return grid if node.index is None else _element(grid, node)
    if isinstance(node, Tuple):
        raise SymderivError("--claim: a tuple such as (2, 1) is only a setting's value")
    if isinstance(node, Group):
        raise SymderivError("--claim: a tuple such as (2, 1) is only a setting's value")
    if isinstance(node, Negate):
        return _map(evaluate(node.operand, layer), lambda p: -p)
    if isinstance(node, Binary):
        return _binary(node, layer)
    return _call(node, layer)


def _element(grid: Grid[Poly], ref: Ref) -> Poly:
    assert ref.index is not None
    index = tuple(i - 1 for i in ref.index)
    if len(index) != len(grid.shape) or any(i >= n for i, n in zip(index, grid.shape)):
        size = "x".join(map(str, grid.shape))
        where = f"{ref.name}[{','.join(map(str, ref.index))}]"
        raise SymderivError(f"--claim: {where} is outside {ref.name} ({size})")
    return grid[index]


def _map(value: Value, f: Callable[[Poly], Poly]) -> Value:
    return value.map(f) if isinstance(value, Grid) else f(value)


def _constant(value: Value) -> Fraction | None:
    if isinstance(value, Grid):
        return None
    terms = dict(value)
    return Fraction(terms.get((), 0)) if set(terms) <= {()} else None


def _binary(node: Binary, layer: Layer) -> Value:
    left, right = evaluate(node.left, layer), evaluate(node.right, layer)
    if node.op == "**":
        power = _constant(right)
        assert power is not None and power.denominator == 1
        result: Value = _map(left, lambda p: Poly.constant(1))
        for _ in range(int(power)):
            result = _combine(result, left, lambda a, b: a * b)
        return result
    if node.op == "mod":
        dividend, divisor = _constant(left), _constant(right)
        if (
            dividend is None
            or divisor is None
            or (dividend.denominator, divisor.denominator) != (1, 1)
        ):
            raise SymderivError("--claim: mod takes whole numbers, such as (7 - 3) mod 2")
        if divisor == 0:
            raise SymderivError("--claim: mod by zero")
        return Poly.constant(dividend % divisor)
    if node.op == "/":
        divisor = _constant(right)
        if divisor is None:
            raise SymderivError("--claim: divide by a number only, such as (...) / 4")
        if divisor == 0:
            raise SymderivError("--claim: division by zero")
        return _map(left, lambda p: p.scale(1 / divisor))
    return _combine(left, right, ARITHMETIC[node.op])  # +, - or *: the others are above


def _combine(left: Value, right: Value, f: Callable[[Poly, Poly], Poly]) -> Value:
    """Element by element; a scalar meets every element of an array."""
    if isinstance(left, Grid) and isinstance(right, Grid):
        if left.shape != right.shape:
            raise ShapeMismatch("combine", _size(left), _size(right))
        return Grid(left.shape, tuple(f(a, b) for a, b in zip(left.cells, right.cells)))
    if isinstance(left, Grid):
        assert isinstance(right, Poly)
        return left.map(lambda a: f(a, right))
    if isinstance(right, Grid):
        return right.map(lambda b: f(left, b))
    return f(left, right)


def _size(g: Grid[Poly]) -> str:
    return "x".join(map(str, g.shape))


def _call(node: Call, layer: Layer) -> Value:
    axes = FUNCTIONS[node.function]
    if axes and axes != layer.dims:
        raise SymderivError(
            f"--claim: {node.function} works on {axes} spatial axes; this layer has {layer.dims}"
        )
    settings = dict(node.keywords)
    if node.function in ("mean", "sqrt"):
        raise SymderivError(f"--claim: {node.function}() is for claims about normalisation layers")
    if node.function in ("flip", "rot180", "pad", "sum"):
        return _array_function(node, settings, layer)
    args = [_array(evaluate(a, layer), node.function) for a in node.args]
    if "bias" in settings:
        args.append(_array(evaluate(settings.pop("bias"), layer), node.function))
    if len(args) not in (2, 3) or (len(args) == 3 and node.function.startswith("conv_weight")):
        raise SymderivError(
            f"--claim: {node.function} takes two tensors (and a bias), got {len(args)}"
        )
    geo = _geometry(settings, layer)
    first, second = (_lifted(a, layer) for a in args[:2])
    bias = args[2] if len(args) == 3 else None
    if node.function.startswith("conv_transpose"):
        if (
            len(first.shape) != len(second.shape)
            or conv_transpose_shape(first.shape, second.shape, geo) is None
            or first.shape[1] != second.shape[0]
        ):
            raise ShapeMismatch("undefined", node.function, _size(first), _size(second))
        result, _ = explicit_conv_transpose(first, second, geo, False, bias)
    elif node.function.startswith("conv_weight"):
        assert layer.kernel is not None
        if len(first.shape) != len(second.shape) or first.shape[0] != second.shape[0]:
            raise ShapeMismatch("undefined", node.function, _size(first), _size(second))
        result, _ = explicit_weight(first, second, layer.kernel, geo, False)
    else:
        if (
            len(first.shape) != len(second.shape)
            or conv_shape(first.shape, second.shape, geo) is None
            or first.shape[1] != second.shape[1] * geo.groups
        ):
            raise ShapeMismatch("undefined", node.function, _size(first), _size(second))
        result, _ = explicit_conv(first, second, geo, False, bias)
    return Grid(result.shape[2:], result.cells) if layer.plain else result


def _array(value: Value, function: str) -> Grid[Poly]:
    if not isinstance(value, Grid):
        raise SymderivError(f"--claim: {function} takes tensors, not a single element")
    return value


def _lifted(g: Grid[Poly], layer: Layer) -> Grid[Poly]:
    """Plain arrays get PyTorch's batch and channel axes of size 1."""
    return Grid((1, 1, *g.shape), g.cells) if layer.plain else g


def _axes(value: Node | None, layer: Layer, name: str, default: int) -> tuple[int, ...]:
    if value is None:
        return tuple(default for _ in range(layer.dims))
    if isinstance(value, Group):
        value = Tuple(tuple(_whole(evaluate(item, layer), name) for item in value.items))
    if isinstance(value, Tuple):
        if len(value.values) != layer.dims:
            raise SymderivError(
                f"--claim: {name} needs {layer.dims} values, got {len(value.values)}"
            )
        return value.values
    return tuple(_whole(evaluate(value, layer), name) for _ in range(layer.dims))


def _whole(value: Value, name: str) -> int:
    number = _constant(value)
    if number is None or number.denominator != 1 or number < 0:
        raise SymderivError(f"--claim: {name} must be a whole number >= 0 or a tuple")
    return int(number)


def _geometry(settings: dict[str, Node], layer: Layer) -> Geometry:
    groups = _axes(settings.get("groups"), layer, "groups", 1)[0]
    geo = Geometry(
        stride=_axes(settings.get("stride"), layer, "stride", 1),
        padding=_axes(settings.get("padding"), layer, "padding", 0),
        dilation=_axes(settings.get("dilation"), layer, "dilation", 1),
        groups=groups,
        output_padding=_axes(settings.get("output_padding"), layer, "output_padding", 0),
    )
    if min(geo.stride) < 1 or min(geo.dilation) < 1 or groups < 1:
        raise SymderivError("--claim: stride, dilation and groups are at least 1")
    return geo


def _spatial(g: Grid[Poly], layer: Layer, f: Callable[[Grid[Poly]], Grid[Poly]]) -> Grid[Poly]:
    """``f`` applied to each spatial block (the last ``dims`` axes) of ``g``."""
    lead = len(g.shape) - layer.dims
    if lead <= 0:
        return f(g)
    size = 1
    for n in g.shape[lead:]:
        size *= n
    blocks = [f(Grid(g.shape[lead:], g.cells[i : i + size])) for i in range(0, len(g.cells), size)]
    return Grid((*g.shape[:lead], *blocks[0].shape), tuple(c for b in blocks for c in b.cells))


def _array_function(node: Call, settings: dict[str, Node], layer: Layer) -> Value:
    name = node.function
    wanted = {"pad": (2,), "sum": (1, 2)}.get(name, (1,))
    if len(node.args) not in wanted or settings:
        usage = {"pad": "a tensor and a padding", "sum": "a tensor and, optionally, its axes"}
        raise SymderivError(f"--claim: {name} takes {usage.get(name, 'one tensor')}")
    args = [_array(evaluate(node.args[0], layer), name)]
    if name == "sum":
        return _sum(args[0], node.args[1] if len(node.args) == 2 else None, layer)
    if name in ("flip", "rot180"):
        return _spatial(args[0], layer, flip)
    # pad(t, p): p zeros on both sides of every spatial axis (a number, or a tuple per axis).
    amount = _axes(node.args[1], layer, "pad", 0)
    return _spatial(args[0], layer, lambda block: zero_pad(block, amount, amount))


def _sum(g: Grid[Poly], axes: Node | None, layer: Layer) -> Value:
    """``sum(t)``: every element; ``sum(t, (0, 2, 3))``: over those axes."""
    if axes is None:
        return Poly.total(g.cells)
    result: Value = summed(
        g, chosen_axes(axes, lambda n: _constant(evaluate(n, layer))), Poly.total
    )
    return result


def chosen_axes(axes: Node, number_of: Callable[[Node], Fraction | None]) -> set[int]:
    """A sum's axes: a tuple such as (0, 2), or one whole number (0-based, as torch's dim)."""
    if isinstance(axes, Tuple):
        return set(axes.values)
    number = number_of(axes)
    if number is None or number.denominator != 1:
        raise SymderivError("--claim: sum's axes are a whole number or a tuple such as (0, 2)")
    return {int(number)}


def summed(g: Grid[Any], chosen: set[int], total: Callable[[list[Any]], Any]) -> Any:
    """The totals of ``g`` over the ``chosen`` axes, the other axes kept in order (one total
    when every axis is chosen): for polynomials and for SymPy expressions alike."""
    if not chosen <= set(range(len(g.shape))):
        raise SymderivError(f"--claim: sum over axes {sorted(chosen)} of a {_size(g)} tensor")
    kept = [a for a in range(len(g.shape)) if a not in chosen]
    totals: dict[tuple[int, ...], list[Any]] = {}
    for index, value in g.items():
        totals.setdefault(tuple(index[a] for a in kept), []).append(value)
    shape = tuple(g.shape[a] for a in kept)
    if not shape:
        return total(list(g.cells))
    return Grid.build(shape, lambda i: total(totals[i]))
