"""The element-wise activations of torch.nn.functional: relu, leaky_relu, sigmoid, tanh, gelu,
softplus. Y_i = f(X_i) for every element; the chain rule gives dL/dX_i = dL/dY_i f'(X_i), and the
search finds the compact factor (in X, and in Y where one exists), which is then proven."""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from ...core.chain_rule import expression_chain_rule
from ...core.errors import SymderivError, checked_keywords
from ...core.grid import Grid
from ...core.parse import check_elements, coerce_shape, exact_decimal, shown, whole, work_limit
from ...core.perf import without_cycle_collection
from ...core.results import ExpressionExpansion, Role, Tensor
from ...core.symbols import gradient_key, tensor_symbols
from ...core.values import check_shape, parse_values, seeded_values, values_text
from .functions import definition, scalar_rule
from .prove import prove
from .result import ActivationDerivation
from .search import X_SCALAR, search
from .spec import (
    DEFAULT_INPUT,
    DEFAULT_MAX_TERMS,
    EXAMPLE,
    PIECEWISE,
    SEED_SPAN,
    ActivationSpec,
)
from .view import VIEW

PARAMETER_LIMIT = 10**6


def expand(spec: ActivationSpec) -> ExpressionExpansion:
    x = Tensor("X", Role.INPUT, tensor_symbols("X", spec.input))
    y = Tensor("Y", Role.OUTPUT, tensor_symbols("Y", spec.input))
    up = gradient_key("Y")
    upstream = Tensor(up, Role.UPSTREAM, tensor_symbols(up, spec.input))
    values = spec.values
    forward = Grid.build(
        spec.input,
        lambda i: definition(spec, x.symbols[i], None if values is None else values[i]),
    )
    local, (grad_x,) = expression_chain_rule(
        forward, y.symbols, upstream.symbols.map(lambda s: s), [x.symbols]
    )
    return ExpressionExpansion((x, y, upstream), "Y", forward, local, (("X", grad_x),))


def output_values(spec: ActivationSpec, expansion: ExpressionExpansion) -> Grid[sp.Expr]:
    """Each output element: its number for piecewise inputs, else its expression f(X_i)."""
    x = expansion.tensor("X").symbols
    values = spec.values
    if values is None:
        return expansion.forward
    forward = expansion.forward
    return Grid.build(spec.input, lambda i: forward[i].xreplace({x[i]: sp.Rational(values[i])}))


@without_cycle_collection
def derive(spec: ActivationSpec) -> ActivationDerivation:
    expansion = expand(spec)
    x = expansion.tensor("X").symbols
    upstream = expansion.tensor(gradient_key("Y")).symbols
    value = expansion.gradient("X")
    y = output_values(spec, expansion)
    scalar, derivative = scalar_rule(spec, X_SCALAR)
    found = search(spec, value, upstream, x, y, scalar)
    identities = prove(spec, found, value, upstream, x, y)
    return ActivationDerivation(
        spec,
        expansion,
        y,
        (found,),
        identities,
        scalar,
        derivative,
        view=VIEW,
    )


def _axes(input: tuple[int, ...] | None, values: object) -> int:
    """How many axes --values spells: --input's, else what its separators say."""
    if input is not None:
        return len(input)
    if isinstance(values, str):
        return 3 if "|" in values else 2 if ";" in values else 1
    depth, item = 0, values
    while isinstance(item, list | tuple):
        depth, item = depth + 1, item[0] if item else None
    return max(1, min(depth, 3))


def input_values(
    function: str, input: object, values: object, seed: object
) -> tuple[Grid[Fraction], str, int | None]:
    """--values, --seed (integers -4..4), or the built-in example: the values, their source."""
    if values is not None and seed is not None:
        raise SymderivError("--values and --seed: give one or the other, not both")
    number = None
    if seed is not None:
        number = whole(seed)
        if number is None or number < 0:
            raise SymderivError(f"--seed: invalid value {shown(seed)}; expected an integer >= 0")
    shape = None if input is None else coerce_shape(input, "--input", 6)
    if values is not None:
        axes = _axes(shape, values)
        if axes > 3:
            raise SymderivError("--values spells at most 3 axes; use --seed for more")
        text = values if isinstance(values, str) else values_text(values, axes)
        return check_shape(parse_values(text, axes), shape), "values", None
    if number is not None:
        return seeded_values(shape or DEFAULT_INPUT, number, SEED_SPAN), "seed", number
    if shape is None or shape == DEFAULT_INPUT:
        return parse_values(EXAMPLE[function], 2), "example", None
    return seeded_values(shape, 0, SEED_SPAN), "seed", 0


def _fraction(value: object, option: str) -> Fraction:
    """A parameter as an exact number, small enough to print: |v| <= 1e6, 12 decimals at most."""
    if isinstance(value, bool):
        raise SymderivError(f"{option}: invalid value {shown(value)}; expected a number")
    if isinstance(value, Fraction):
        number = value
    elif isinstance(value, str):
        number = exact_decimal(value, option)
    else:
        text = str(value) if whole(value) is None else str(whole(value))
        number = exact_decimal(text, option)
    if abs(number) > PARAMETER_LIMIT or (10**12) % number.denominator:
        raise SymderivError(
            f"{option}: {shown(value)} is out of range; expected a number between "
            f"-{PARAMETER_LIMIT:,} and {PARAMETER_LIMIT:,} with at most 12 decimal places"
        )
    return number


def activation_spec(function: str, **options: object) -> ActivationSpec:
    """The spec from the command's options (the same keywords in Python), each checked."""
    chosen: dict[str, object] = {}
    input = options.pop("input", None)
    values, seed = options.pop("values", None), options.pop("seed", None)
    limit = work_limit(options.get("max_terms", DEFAULT_MAX_TERMS))
    if function in PIECEWISE:
        if input is not None and values is None:
            # Seeded values are drawn for the shape: refuse a shape over the limit first.
            check_elements(coerce_shape(input, "--input", 6), limit)
        grid, source, number = input_values(function, input, values, seed)
        chosen.update(input=grid.shape, values=grid, values_from=source, seed=number)
    else:
        for name, given in (("values", values), ("seed", seed)):
            if given is not None:
                raise SymderivError(
                    f"--{name}: {function} is smooth and derived on symbols; values are for "
                    "relu and leaky-relu"
                )
        chosen["input"] = coerce_shape(DEFAULT_INPUT if input is None else input, "--input", 6)
    for name in ("negative_slope", "beta", "threshold"):
        if options.get(name) is not None:
            chosen[name] = _fraction(options[name], "--" + name.replace("_", "-"))
    if options.get("approximate") is not None:
        chosen["approximate"] = options["approximate"]
    return ActivationSpec(function, max_terms=limit, **chosen)  # type: ignore[arg-type]


def cost(function: str, **options: object) -> float:
    spec = activation_spec(function, **options)
    size = 1
    for n in spec.input:
        size *= n
    return size / DEFAULT_MAX_TERMS


@checked_keywords
def relu(
    input: object = None,
    values: object = None,
    seed: int | None = None,
    max_terms: int = DEFAULT_MAX_TERMS,
) -> ActivationDerivation:
    """Derive the backward pass of ``torch.nn.functional.relu`` on concrete values: ``values``
    as nested lists or ``"1,-2,0;3,-1,2"``, or ``seed`` (integers -4..4) with ``input`` a shape."""
    return derive(
        activation_spec("relu", input=input, values=values, seed=seed, max_terms=max_terms)
    )


@checked_keywords
def leaky_relu(
    input: object = None,
    values: object = None,
    seed: int | None = None,
    negative_slope: object = Fraction(1, 100),
    max_terms: int = DEFAULT_MAX_TERMS,
) -> ActivationDerivation:
    """``torch.nn.functional.leaky_relu(input, negative_slope=0.01)``, on values as ``relu``."""
    return derive(
        activation_spec(
            "leaky-relu",
            input=input,
            values=values,
            seed=seed,
            negative_slope=negative_slope,
            max_terms=max_terms,
        )
    )


@checked_keywords
def sigmoid(
    input: object = DEFAULT_INPUT, max_terms: int = DEFAULT_MAX_TERMS
) -> ActivationDerivation:
    """``torch.sigmoid`` on a symbolic input of shape ``input`` (``(2, 3)`` or ``"2x3"``)."""
    return derive(activation_spec("sigmoid", input=input, max_terms=max_terms))


@checked_keywords
def tanh(input: object = DEFAULT_INPUT, max_terms: int = DEFAULT_MAX_TERMS) -> ActivationDerivation:
    """``torch.tanh`` on a symbolic input of shape ``input``."""
    return derive(activation_spec("tanh", input=input, max_terms=max_terms))


@checked_keywords
def gelu(
    input: object = DEFAULT_INPUT, approximate: str = "none", max_terms: int = DEFAULT_MAX_TERMS
) -> ActivationDerivation:
    """``torch.nn.functional.gelu(input, approximate='none' | 'tanh')`` on symbols."""
    return derive(
        activation_spec("gelu", input=input, approximate=approximate, max_terms=max_terms)
    )


@checked_keywords
def softplus(
    input: object = DEFAULT_INPUT,
    beta: object = 1,
    threshold: object = 20,
    max_terms: int = DEFAULT_MAX_TERMS,
) -> ActivationDerivation:
    """``torch.nn.functional.softplus(input, beta=1, threshold=20)`` on symbols."""
    return derive(
        activation_spec(
            "softplus", input=input, beta=beta, threshold=threshold, max_terms=max_terms
        )
    )
