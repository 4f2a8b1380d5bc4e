"""The linear layer, as ``torch.nn.functional.linear``: Y[n, o] = sum_i X[n, i] W[o, i] + b[o].

The forward pass is expanded element by element and the shared chain rule gives every element of
dL/dX, dL/dW and dL/db; the search finds the matrix products (and the bias sum) they equal, and
each is proven again from its definition.
"""

from __future__ import annotations

from ...core.chain_rule import chain_rule
from ...core.errors import SymderivError, checked_keywords
from ...core.grid import Grid
from ...core.parse import flag, shown, whole
from ...core.perf import without_cycle_collection
from ...core.poly import Poly
from ...core.results import Expansion, Role, Tensor
from ...core.symbols import gradient_key, tensor_symbols
from .prove import prove
from .result import LinearDerivation
from .search import search_product, search_sum
from .spec import DEFAULT_MAX_TERMS, LinearSpec, leading_axes
from .view import VIEW


def expand(spec: LinearSpec) -> Expansion:
    x = Tensor("X", Role.INPUT, tensor_symbols("X", spec.input_shape))
    w = Tensor("W", Role.PARAMETER, tensor_symbols("W", spec.weight_shape))
    b = (
        Tensor("b", Role.PARAMETER, tensor_symbols("b", (spec.out_features,)))
        if spec.bias
        else None
    )
    y = Tensor("Y", Role.OUTPUT, tensor_symbols("Y", spec.output_shape))
    up = gradient_key("Y")
    upstream = Tensor(up, Role.UPSTREAM, tensor_symbols(up, spec.output_shape))
    rows = Grid((spec.rows, spec.in_features), x.symbols.cells).map(Poly.symbol)
    weights = w.symbols.map(Poly.symbol)
    one = Poly.constant(1)

    def element(index: tuple[int, ...]) -> Poly:
        n, o = index
        pairs = [(rows[(n, i)], weights[(o, i)]) for i in range(spec.in_features)]
        if b is not None:
            pairs.append((Poly.symbol(b.symbols.cells[o]), one))
        return Poly.sum_of_products(pairs)

    flat = Grid.build((spec.rows, spec.out_features), element)
    forward = Grid(spec.output_shape, flat.cells)
    inputs = [x, w] + ([b] if b is not None else [])
    local, gradients = chain_rule(forward, y.symbols, upstream.symbols, [t.symbols for t in inputs])
    tensors = [x, w] + ([b] if b is not None else []) + [y, upstream]
    return Expansion(
        tensors=tuple(tensors),
        output="Y",
        forward=forward,
        local_gradients=local,
        gradients=tuple((t.key, g) for t, g in zip(inputs, gradients)),
    )


def _matrix(grid: Grid[Poly], columns: int) -> Grid[Poly]:
    """The rows of a tensor with leading batch axes, as one matrix."""
    return Grid((len(grid.cells) // columns, columns), grid.cells)


@without_cycle_collection
def derive(spec: LinearSpec) -> LinearDerivation:
    expansion = expand(spec)
    up = gradient_key("Y")
    symbols = {t.key: t.symbols.map(Poly.symbol) for t in expansion.tensors}
    matrices = {
        "X": _matrix(symbols["X"], spec.in_features),
        "W": symbols["W"],
        up: _matrix(symbols[up], spec.out_features),
    }
    bias = symbols.get("b")
    if bias is not None:
        matrices["b"] = bias
    forward = _matrix(expansion.forward, spec.out_features)
    d_x = _matrix(expansion.gradient("X"), spec.in_features)
    d_w = expansion.gradient("W")
    searches = [
        search_product("Y", forward, {"X": matrices["X"], "W": matrices["W"]}, bias),
        search_product(gradient_key("X"), d_x, {up: matrices[up], "W": matrices["W"]}),
        search_product(gradient_key("W"), d_w, {up: matrices[up], "X": matrices["X"]}),
    ]
    values = [forward, d_x, d_w]
    if bias is not None:
        searches.append(search_sum(gradient_key("b"), expansion.gradient("b"), up, matrices[up]))
        values.append(expansion.gradient("b"))
    identities = tuple(
        identity for s, v in zip(searches, values) for identity in prove(s, v, matrices)
    )
    return LinearDerivation(spec, expansion, tuple(searches), identities, view=VIEW)


def linear_spec(
    batch: object, in_features: object, out_features: object, bias: object, max_terms: object
) -> LinearSpec:
    counts = []
    for name, value in (
        ("--in-features", in_features),
        ("--out-features", out_features),
        ("--max-terms", max_terms),
    ):
        number = whole(value)
        if number is None:
            raise SymderivError(
                f"{name}: invalid value {shown(value)}; expected a positive integer"
            )
        counts.append(number)
    return LinearSpec(
        batch=leading_axes(batch),
        in_features=counts[0],
        out_features=counts[1],
        bias=flag(bias, "--bias"),
        max_terms=counts[2],
    )


def cost(**options: object) -> float:
    spec = linear_spec(**options)
    return (spec.terms + spec.cells) / DEFAULT_MAX_TERMS


@checked_keywords
def linear(
    batch: object = 2,
    in_features: int = 3,
    out_features: int = 2,
    bias: bool = True,
    max_terms: int = DEFAULT_MAX_TERMS,
) -> LinearDerivation:
    """Derive the backward pass of ``torch.nn.functional.linear``: y = x W^T + b.

    ``batch`` is the leading axes of the input (an integer, a tuple, or ``"2x3"``); ``bias``
    adds b of shape (out_features,).
    """
    return derive(linear_spec(batch, in_features, out_features, bias, max_terms))
