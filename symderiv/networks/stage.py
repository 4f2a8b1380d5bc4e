"""What every stage of a network shares: its record, and the two ways its gradients are
computed, which the network compares.

- ``compact``: each kind applies the identity its layer's derivation proved (dL/dX = conv_transpose
  of dL/dO with W, dL/dX = dL/dY · W, the switches of max pooling, ...) to the concrete arrays.
- ``elementwise``: the chain rule element by element, dL/dv = Σ_o dL/dO_o · ∂O_o/∂v, with every
  ∂O_o/∂v the local gradient the layer's derivation expanded, evaluated at the stage's numbers.

Values are exact: forward values are fractions; gradients are polynomials (``Poly``) in the
softmax probabilities P of the loss, linear and with rational coefficients, because every layer
below the loss is linear in its upstream gradient once its inputs are numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Protocol

import sympy as sp

from ..core.errors import SymderivError
from ..core.grid import Grid
from ..core.poly import Poly
from ..core.protocol import LayerDerivation

Value = Fraction | Poly
"""A number, or in symbols mode a polynomial in the network's input and parameter symbols."""
Array = Grid[Value]
Gradient = Grid[Poly]
EMPTY: Grid[Any] = Grid((0,), ())
"""No array: the loss stage's output, and the upstream gradient before the loss."""


@dataclass(frozen=True)
class Stage:
    """One layer of the network, forward: its options (defaults filled in), shapes, parameters,
    output, and the layer derivations that proved its identities at this stage's sizes."""

    index: int
    layer: str
    options: dict[str, Any]
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    parameters: dict[str, Array]
    output: Array
    derivations: tuple[LayerDerivation, ...] = field(repr=False)
    kind: Kind = field(repr=False, compare=False)


@dataclass(frozen=True)
class Backward:
    """One stage's gradients: of its input and of each parameter."""

    input: Gradient
    parameters: dict[str, Gradient]


class Kind(Protocol):
    """How one layer command behaves inside a network."""

    name: str
    owned: tuple[str, ...]
    """Options the network sets from the previous layer's shape (and values)."""

    def build(
        self,
        where: str,
        options: dict[str, Any],
        shape: tuple[int, ...],
        draw: Callable[[str, tuple[int, ...]], Array],
    ) -> tuple[dict[str, Any], tuple[int, ...], dict[str, Array]]:
        """Checked options with defaults, the output shape, the parameters (``draw(name,
        shape)``); ``where`` starts every error message."""
        ...

    def forward(self, stage: Stage, x: Array) -> tuple[Array, tuple[LayerDerivation, ...]]:
        """The output and the layer derivations behind it, at this stage's sizes."""
        ...

    def compact(self, stage: Stage, x: Array, upstream: Gradient) -> Backward: ...

    def elementwise(self, stage: Stage, x: Array, upstream: Gradient) -> Backward: ...


def sympy_value(v: Value) -> sp.Expr:
    return v.to_sympy() if isinstance(v, Poly) else sp.Rational(v.numerator, v.denominator)


def numbers_only(array: Array, where: str) -> Grid[Fraction]:
    """The array's numbers, for a layer whose branches the values decide (ReLU, max pooling):
    in symbols mode there are none to decide by."""
    if any(isinstance(v, Poly) for v in array.cells):
        raise SymderivError(
            f"{where}: its branches depend on the values, so it needs numbers; use --mode numbers"
        )
    return Grid(array.shape, tuple(v for v in array.cells if isinstance(v, Fraction)))


def times(g: Poly, v: Value) -> Poly:
    return g.scale(v) if isinstance(v, Fraction) else g * v


def evaluator(numbers: Mapping[sp.Symbol, Value]) -> Callable[[Any], Value]:
    """How a local gradient (a Poly, or a SymPy number or expression) is evaluated at the
    stage's values: to a number, or in symbols mode to the polynomial it becomes. What depends
    only on the values is prepared once: a layer has as many local gradients as values, and
    preparing it for each would make a stage quadratic in its size."""
    numeric = all(isinstance(v, Fraction) for v in numbers.values())
    polys = (
        {}
        if numeric
        else {s: v if isinstance(v, Poly) else Poly.constant(v) for s, v in numbers.items()}
    )
    sympy_values: dict[sp.Symbol, sp.Expr] = {}

    def evaluate(value: Any) -> Value:
        if isinstance(value, Poly):
            if numeric:
                return Fraction(value.at(numbers))  # type: ignore[arg-type]
            return value.substitute(polys)
        if not sympy_values:
            sympy_values.update({s: sympy_value(v) for s, v in numbers.items()})
        rational = sp.Rational(sp.sympify(value).xreplace(sympy_values))
        return Fraction(int(rational.p), int(rational.q))

    return evaluate


def chain(
    derivation: Any,
    numbers: Mapping[sp.Symbol, Value],
    upstream: Mapping[sp.Symbol, Poly],
) -> dict[sp.Symbol, Poly]:
    """dL/dv for every input symbol v of one layer derivation, element by element: the sum over
    its local gradients ∂O_o/∂v of dL/dO_o times their value at the stage's numbers."""
    parts: dict[sp.Symbol, list[Poly]] = {}
    evaluate = evaluator(numbers)
    for local in derivation.expansion.local_gradients:
        factor = evaluate(local.value)
        if factor:
            parts.setdefault(local.wrt, []).append(times(upstream[local.output], factor))
    return {s: Poly.total(p) for s, p in parts.items()}


def through_layer(stage: Stage, x: Array, upstream: Gradient, output: str) -> Backward:
    """The element-by-element backward pass of a stage with one layer derivation whose output
    tensor is ``output`` (``O``, ``Y``): the gradients of its input ``X`` and of every
    parameter."""
    (d,) = stage.derivations
    got = chain(d, numbers_for(d, {"X": x, **stage.parameters}), upstream_for(d, output, upstream))
    return Backward(gathered(d, "X", got), {k: gathered(d, k, got) for k in stage.parameters})


def symbols_of(derivation: Any, key: str) -> Grid[sp.Symbol]:
    symbols: Grid[sp.Symbol] = derivation.expansion.tensor(key).symbols
    return symbols


def numbers_for(derivation: Any, arrays: Mapping[str, Grid[Any]]) -> dict[sp.Symbol, Value]:
    """The symbol of every element of the named tensors, with its value."""
    numbers: dict[sp.Symbol, Value] = {}
    for key, array in arrays.items():
        numbers.update(zip(symbols_of(derivation, key).cells, array.cells))
    return numbers


def upstream_for(derivation: Any, key: str, upstream: Gradient) -> dict[sp.Symbol, Poly]:
    return dict(zip(symbols_of(derivation, key).cells, upstream.cells))


def gathered(derivation: Any, key: str, gradients: Mapping[sp.Symbol, Poly]) -> Gradient:
    zero = Poly()
    return symbols_of(derivation, key).map(lambda s: gradients.get(s, zero))


def forward_values(derivation: Any, numbers: Mapping[sp.Symbol, Value]) -> Array:
    forward: Grid[Any] = derivation.expansion.forward
    return forward.map(evaluator(numbers))


def add_into(
    grid_shape: tuple[int, ...], parts: Sequence[tuple[tuple[int, ...], Poly]]
) -> Gradient:
    """A gradient built by scatter-adding terms into cells: the cells nothing reaches are 0."""
    cells: dict[tuple[int, ...], list[Poly]] = {}
    for index, value in parts:
        cells.setdefault(index, []).append(value)
    return Grid.build(grid_shape, lambda i: Poly.total(cells.get(i, [])))


def limit(options: dict[str, Any]) -> dict[str, Any]:
    """The stage's own ``max_terms=`` for its layer's derivation, when it gives one."""
    return {} if options.get("max_terms") is None else {"max_terms": options["max_terms"]}
