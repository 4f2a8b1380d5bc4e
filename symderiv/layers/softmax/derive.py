"""Softmax and log-softmax along a dimension, as ``torch.softmax`` / ``torch.log_softmax``:
Y_i = exp(X_i) / sum_j exp(X_j), or X_i - log sum_j exp(X_j), over each slice along ``dim``.

Every output of a slice depends on every input of it, so the Jacobian of a slice is full; the
chain rule sums over all of its outputs, and the search finds the compact form
dL/dX = Y ⊙ (g - <g, Y>) (softmax) or g - softmax(X) ⊙ sum g (log-softmax)."""

from __future__ import annotations

import sympy as sp

from ...core.chain_rule import expression_chain_rule
from ...core.errors import SymderivError, checked_keywords
from ...core.grid import Grid, Index
from ...core.parse import coerce_shape, shown, whole, work_limit
from ...core.perf import without_cycle_collection
from ...core.results import ExpressionExpansion, Role, Tensor
from ...core.symbols import gradient_key, tensor_symbols
from .prove import jacobian_form, prove, prove_jacobian
from .result import SoftmaxDerivation
from .search import positions, search
from .spec import DEFAULT_INPUT, DEFAULT_MAX_TERMS, SoftmaxSpec
from .view import VIEW


def expand(spec: SoftmaxSpec) -> ExpressionExpansion:
    x = Tensor("X", Role.INPUT, tensor_symbols("X", spec.input))
    y = Tensor("Y", Role.OUTPUT, tensor_symbols("Y", spec.input))
    up = gradient_key("Y")
    upstream = Tensor(up, Role.UPSTREAM, tensor_symbols(up, spec.input))
    cells: dict[Index, sp.Expr] = {}
    for members in spec.slices():
        total = sp.Add(*(sp.exp(x.symbols[i]) for i in members))
        for i in members:
            v = x.symbols[i]
            cells[i] = sp.exp(v) / total if spec.kind == "softmax" else v - sp.log(total)
    forward = Grid.build(spec.input, lambda i: cells[i])
    local, (grad_x,) = expression_chain_rule(
        forward, y.symbols, upstream.symbols.map(lambda s: s), [x.symbols]
    )
    return ExpressionExpansion((x, y, upstream), "Y", forward, local, (("X", grad_x),))


@without_cycle_collection
def derive(spec: SoftmaxSpec) -> SoftmaxDerivation:
    expansion = expand(spec)
    x = expansion.tensor("X").symbols
    y = expansion.tensor("Y").symbols
    g = expansion.tensor(gradient_key("Y")).symbols
    value = expansion.gradient("X")
    where = {s: i for i, s in x.items()}
    outputs = {s: i for i, s in y.items()}
    partials = {(outputs[p.output], where[p.wrt]): p.value for p in expansion.local_gradients}
    xs, gs = positions(spec.length)
    renamed: set[tuple[int, sp.Expr]] = set()
    for members in spec.slices():
        names = {x[i]: xs[k] for k, i in enumerate(members)} | {
            g[i]: gs[k] for k, i in enumerate(members)
        }
        renamed |= {(k, value[i].xreplace(names)) for k, i in enumerate(members)}
    found = search(renamed, spec.length)
    identities = prove(spec, found, value, x, g)
    jacobian = prove_jacobian(spec, partials, expansion.forward, x)
    in_output = {
        (i, j): jacobian_form(spec, y[i], y[j], i == j)
        for members in spec.slices()
        for i in members
        for j in members
    }
    # dL/dX_j = sum_i dL/dY_i dY_i/dX_j, with each partial in its proven form in the output.
    staged = {
        j: sp.Add(*(g[i] * in_output[(i, j)] for i in members))
        for members in spec.slices()
        for j in members
    }
    return SoftmaxDerivation(
        spec,
        expansion,
        (found,),
        identities,
        partials,
        in_output,
        Grid.build(spec.input, lambda j: staged[j]),
        jacobian,
        view=VIEW,
    )


def softmax_spec(kind: str, input: object, dim: object, max_terms: object) -> SoftmaxSpec:
    number = whole(dim)
    if number is None:
        raise SymderivError(f"--dim: invalid value {shown(dim)}; expected an integer")
    return SoftmaxSpec(kind, coerce_shape(input, "--input", 6), number, work_limit(max_terms))


def cost(kind: str, **options: object) -> float:
    spec = softmax_spec(kind, **options)
    return spec.partials / DEFAULT_MAX_TERMS


@checked_keywords
def softmax(
    input: object = DEFAULT_INPUT, dim: int = -1, max_terms: int = DEFAULT_MAX_TERMS
) -> SoftmaxDerivation:
    """Derive the backward pass of ``torch.softmax(input, dim)`` on a symbolic input of shape
    ``input`` (``(2, 3)`` or ``"2x3"``)."""
    return derive(softmax_spec("softmax", input, dim, max_terms))


@checked_keywords
def log_softmax(
    input: object = DEFAULT_INPUT, dim: int = -1, max_terms: int = DEFAULT_MAX_TERMS
) -> SoftmaxDerivation:
    """Derive the backward pass of ``torch.log_softmax(input, dim)``."""
    return derive(softmax_spec("log-softmax", input, dim, max_terms))
