"""A whole network worked by hand: the forward pass stage by stage on exact numbers, the backward
pass from the loss stage by stage by each layer's proven identity, the same backward pass again
by the element-by-element chain rule (each layer's local gradients at its numbers), the two
compared exactly, and one SGD step."""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from ..core.errors import SymderivError, checked_keywords
from ..core.grid import Grid
from ..core.parse import coerce_shape, exact_decimal, format_size, shown, whole
from ..core.poly import Poly
from ..core.results import Proof
from ..core.symbols import tensor_symbols
from ..core.values import named_arrays, nested_grid
from ..layers import FAMILIES
from .defaults import DEFAULT_INPUT, DEFAULT_LAYERS, DEFAULT_SEED
from .kinds import KINDS, LOSS
from .loss import CrossEntropy
from .options import given
from .result import NetworkDerivation, StageCheck
from .stage import EMPTY, Array, Backward, Kind, Stage, Value
from .syntax import parse_layers
from .view import VIEW

SPANS = {"input": (0, 3), "W": (-1, 1), "b": (-1, 1)}
INPUT_LIMIT = 100_000
"""Elements of the input, checked before it is drawn: every stage has its own limit after."""
"""Seeded numbers: small integers a reader can follow (the input non-negative, weights of both
signs, so that ReLU has something to cut)."""
TWO_PATHS = (
    "exact equality of two backward passes: the layer's identity, and the chain rule element by "
    "element"
)


def _as_poly(v: Value) -> Poly:
    return v if isinstance(v, Poly) else Poly.constant(v)


MODES = ("numbers", "symbols")
SYMBOLS_LIMIT = 5_000
"""Terms in one stage's output in symbols mode: products of symbols grow with every layer, and
the mode is for networks small enough to read."""


@dataclass(frozen=True)
class Leaf:
    """An array of symbols in symbols mode: the input (``X``) or a parameter (``W1`` for layer
    1's weight, printed W^(1))."""

    key: str
    latex: str
    symbols: Grid[sp.Symbol]


class Numbers:
    """Where each array's numbers come from: --values by name, else the seed, in one order; in
    symbols mode every array is a tensor of symbols instead."""

    def __init__(self, seed: int, values: dict[str, object], symbolic: bool = False) -> None:
        self.rng = random.Random(seed)
        self.values = values
        self.used: set[str] = set()
        self.symbolic = symbolic
        self.leaves: list[Leaf] = []

    def drawer(self, index: int) -> Callable[[str, tuple[int, ...]], Array]:
        """Layer ``index``'s parameters: ``--values`` key ``"1.W"``, else the seed."""
        return lambda name, shape: self.draw(f"{index}.{name}", name, shape)

    def draw(self, name: str, kind: str, shape: tuple[int, ...]) -> Array:
        if self.symbolic:
            index, _, parameter = name.rpartition(".")
            key = "X" if name == "input" else f"{parameter}{index}"
            latex = "X" if name == "input" else f"{parameter}^{{({index})}}"
            symbols = tensor_symbols(key, shape)
            self.leaves.append(Leaf(key, latex, symbols))
            return symbols.map(Poly.symbol)
        if name in self.values:
            self.used.add(name)
            given = nested_grid(self.values[name], shape, name)
            return Grid(given.shape, tuple[Value, ...](given.cells))
        low, high = SPANS[kind]
        return Grid.build(shape, lambda _: Fraction(self.rng.randint(low, high)))


def build_stages(
    layers: str, shape: tuple[int, ...], numbers: Numbers
) -> tuple[Array, list[Stage]]:
    texts = parse_layers(layers)
    commands = {c.name: c for c in FAMILIES.commands()}
    for t in texts:
        if t.name not in KINDS:
            known = t.name in commands
            raise SymderivError(
                f"--layers: layer {t.index} ({t.name}): "
                + ("cannot be chained in a network yet" if known else "unknown layer")
                + f"; a network takes {', '.join(KINDS)}"
            )
    if texts[-1].name != LOSS or any(t.name == LOSS for t in texts[:-1]):
        raise SymderivError(
            "--layers: the last layer, and only the last, must be cross-entropy (the loss)"
        )
    x = numbers.draw("input", "input", shape)
    first = x
    stages: list[Stage] = []
    for t in texts:
        kind: Kind = KINDS[t.name]
        where = f"--layers: layer {t.index} ({t.name})"
        options = given(t, commands[t.name], kind.owned)
        try:
            chosen, out_shape, parameters = kind.build(
                where, options, shape, numbers.drawer(t.index)
            )
            stage = Stage(t.index, t.name, chosen, shape, out_shape, parameters, EMPTY, (), kind)
            output, derivations = kind.forward(stage, x)
        except SymderivError as error:
            # The layer's own message (a size, a work limit), said of this stage.
            message = str(error).replace(
                "raise it with --max-terms (max_terms= in Python)",
                "raise it with max_terms= in the layer's options",
            )
            said = message if message.startswith("--layers:") else f"{where}: {message}"
            raise SymderivError(said) from None
        if numbers.symbolic:
            terms = sum(len(v) for v in output.cells if isinstance(v, Poly))
            if terms > SYMBOLS_LIMIT:
                raise SymderivError(
                    f"{where}: its output has {terms:,} terms in symbols, over the limit of "
                    f"{SYMBOLS_LIMIT:,}: symbols mode is for tiny networks; use --mode numbers"
                )
        stage = dataclasses.replace(stage, output=output, derivations=derivations)
        stages.append(stage)
        x, shape = output, out_shape
    unused = set(numbers.values) - numbers.used
    if unused:
        raise SymderivError(f"--values: {sorted(unused)[0]!r} names no array of this network")
    return first, stages


def _check(stage: Stage, compact: Backward, elementwise: Backward) -> StageCheck:
    pairs = [(compact.input, elementwise.input)] + [
        (compact.parameters[k], elementwise.parameters[k]) for k in compact.parameters
    ]
    elements = sum(len(a.cells) for a, _ in pairs)
    holds = all(a.shape == b.shape and a.cells == b.cells for a, b in pairs)
    return StageCheck(stage.index, stage.layer, Proof(elements, holds, TWO_PATHS))


def derive(
    layers: str,
    shape: tuple[int, ...],
    seed: int,
    values: dict[str, object],
    lr: Fraction,
    mode: str = "numbers",
) -> NetworkDerivation:
    numbers = Numbers(seed, values, symbolic=mode == "symbols")
    first, stages = build_stages(layers, shape, numbers)
    inputs = [first, *(s.output for s in stages[:-1])]
    loss_kind = stages[-1].kind
    assert isinstance(loss_kind, CrossEntropy)
    loss = loss_kind.values(stages[-1], inputs[-1])
    compact: list[Backward] = []
    checks: list[StageCheck] = []
    up_c = up_e = EMPTY
    for stage, x in zip(reversed(stages), reversed(inputs)):
        c = stage.kind.compact(stage, x, up_c)
        e = stage.kind.elementwise(stage, x, up_e)
        compact.append(c)
        checks.append(_check(stage, c, e))
        up_c, up_e = c.input, e.input
    compact.reverse()
    checks.reverse()
    updated = tuple(
        {
            k: Grid(
                v.shape,
                tuple(_as_poly(t) - g.scale(lr) for t, g in zip(v.cells, b.parameters[k].cells)),
            )
            for k, v in s.parameters.items()
        }
        for s, b in zip(stages, compact)
    )
    return NetworkDerivation(
        layers,
        shape,
        seed,
        lr,
        first,
        tuple(stages),
        tuple(compact),
        tuple(checks),
        loss,
        updated,
        mode,
        tuple(numbers.leaves),
        view=VIEW,
    )


@checked_keywords
def network(
    layers: str = DEFAULT_LAYERS,
    input: object = DEFAULT_INPUT,
    seed: int = DEFAULT_SEED,
    values: object = None,
    lr: object = "0.1",
    mode: str = "numbers",
) -> NetworkDerivation:
    """Work a whole network by hand: ``layers`` in the --layers syntax, ``input`` N x C x ...,
    numbers from ``seed`` or ``values`` (``{"input": [...], "1.W": [...]}``), one SGD step of
    rate ``lr``; ``mode="symbols"`` keeps the input and the parameters as symbols instead."""
    if mode not in MODES:
        raise SymderivError(f"--mode: invalid value {shown(mode)}; expected numbers or symbols")
    if mode == "symbols" and values is not None:
        raise SymderivError("--values: symbols mode has no numbers; use --mode numbers")
    if not isinstance(layers, str):
        raise SymderivError(f"--layers: invalid value {shown(layers)}; expected text")
    number = whole(seed)
    if number is None or number < 0:
        raise SymderivError(f"--seed: invalid value {shown(seed)}; expected an integer >= 0")
    rate = exact_decimal(str(lr), "--lr") if not isinstance(lr, Fraction) else lr
    if rate <= 0:
        raise SymderivError(f"--lr: {shown(lr)}; the learning rate must be positive")
    shape = coerce_shape(input, "--input", 5)
    if math.prod(shape) > INPUT_LIMIT:
        raise SymderivError(
            f"--input: {format_size(shape)} has {math.prod(shape):,} elements, over the limit of "
            f"{INPUT_LIMIT:,} for a network worked by hand"
        )
    return derive(
        layers, shape, number, named_arrays(values, '{"input": [...], "1.W": [...]}'), rate, mode
    )
