"""Flatten, as ``torch.flatten``: Y is X with the axes start_dim..end_dim merged, row-major.

Each output element is one input element, so the chain rule hands every dL/dY element back to
the input element it came from: dL/dX is dL/dY read in X's shape."""

from __future__ import annotations

from ...core.chain_rule import chain_rule
from ...core.errors import SymderivError, checked_keywords
from ...core.grid import Grid
from ...core.parse import coerce_shape, shown, whole, work_limit
from ...core.perf import without_cycle_collection
from ...core.poly import Poly
from ...core.results import Expansion, Role, Tensor
from ...core.symbols import gradient_key, tensor_symbols
from .prove import output_index, prove
from .result import FlattenDerivation
from .search import search
from .spec import DEFAULT_MAX_TERMS, FlattenSpec
from .view import VIEW


def expand(spec: FlattenSpec) -> Expansion:
    x = Tensor("X", Role.INPUT, tensor_symbols("X", spec.input))
    y = Tensor("Y", Role.OUTPUT, tensor_symbols("Y", spec.output))
    up = gradient_key("Y")
    upstream = Tensor(up, Role.UPSTREAM, tensor_symbols(up, spec.output))
    source = {output_index(spec, index): cell for index, cell in x.symbols.items()}
    forward = Grid.build(spec.output, lambda index: Poly.symbol(source[index]))
    local, (grad_x,) = chain_rule(forward, y.symbols, upstream.symbols, [x.symbols])
    return Expansion((x, y, upstream), "Y", forward, local, (("X", grad_x),))


@without_cycle_collection
def derive(spec: FlattenSpec) -> FlattenDerivation:
    expansion = expand(spec)
    up = gradient_key("Y")
    upstream = expansion.tensor(up).symbols.map(Poly.symbol)
    value = expansion.gradient("X")
    found = search(gradient_key("X"), value, up, upstream)
    identities = prove(spec, found, value, upstream)
    return FlattenDerivation(spec, expansion, (found,), identities, view=VIEW)


def flatten_spec(
    input: object, start_dim: object, end_dim: object, max_terms: object
) -> FlattenSpec:
    dims = []
    for name, value in (("--start-dim", start_dim), ("--end-dim", end_dim)):
        number = whole(value)
        if number is None:
            raise SymderivError(f"{name}: invalid value {shown(value)}; expected an integer")
        dims.append(number)
    return FlattenSpec(
        input=coerce_shape(input, "--input", 6),
        start_dim=dims[0],
        end_dim=dims[1],
        max_terms=work_limit(max_terms),
    )


def cost(**options: object) -> float:
    spec = flatten_spec(**options)
    size = 1
    for n in spec.input:
        size *= n
    return 2 * size / DEFAULT_MAX_TERMS


@checked_keywords
def flatten(
    input: object = (1, 2, 2, 2),
    start_dim: int = 0,
    end_dim: int = -1,
    max_terms: int = DEFAULT_MAX_TERMS,
) -> FlattenDerivation:
    """Derive the backward pass of ``torch.flatten(input, start_dim, end_dim)``: ``input`` is
    the input's shape (``(1, 2, 2, 2)`` or ``"1x2x2x2"``)."""
    return derive(flatten_spec(input, start_dim, end_dim, max_terms))
