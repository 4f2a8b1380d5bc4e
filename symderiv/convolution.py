"""conv2d: one input X cross-correlated with one kernel F, stride 1, no padding.

Forward, as ``torch.nn.functional.conv2d``: O[i, j] = sum over (u, v) of X[i + u, j + v] * F[u, v].
"""

from __future__ import annotations

from dataclasses import dataclass

from .chainrule import chain_rule
from .derivation import Derivation
from .detect import search
from .errors import SymderivError
from .grid import Grid, Index
from .model import Detection, Expansion, Identity, Role, Tensor
from .perf import without_cycle_collection
from .poly import Poly
from .sizes import coerce_size, format_size
from .symbols import gradient_key, tensor_symbols
from .verify import verify

DEFAULT_MAX_TERMS = 120_000
"""About ten seconds of work; beyond it a derivation is refused unless the limit is raised."""


@dataclass(frozen=True)
class Conv2dSpec:
    input: tuple[int, ...] = (3, 3)
    kernel: tuple[int, ...] = (2, 2)
    max_terms: int = DEFAULT_MAX_TERMS

    def __post_init__(self) -> None:
        if any(k > n for k, n in zip(self.kernel, self.input)):
            raise SymderivError(
                f"kernel {format_size(self.kernel)} is larger than input "
                f"{format_size(self.input)}; each kernel dimension must be at most the input's"
            )
        if self.terms > self.max_terms:
            raise SymderivError(
                f"input {format_size(self.input)} with kernel {format_size(self.kernel)} needs "
                f"{self.terms:,} product terms, over the limit of {self.max_terms:,}; "
                "raise it with --max-terms (max_terms= in Python)"
            )

    @staticmethod
    def of(
        input: object = (3, 3), kernel: object = (2, 2), max_terms: int = DEFAULT_MAX_TERMS
    ) -> Conv2dSpec:
        return Conv2dSpec(coerce_size(input, "--input"), coerce_size(kernel, "--kernel"), max_terms)

    @property
    def output(self) -> tuple[int, ...]:
        return tuple(n - k + 1 for n, k in zip(self.input, self.kernel))

    @property
    def terms(self) -> int:
        """Products X * F in the expanded forward pass: the unit of work of a derivation."""
        count = 1
        for n in (*self.output, *self.kernel):
            count *= n
        return count

    def options(self) -> tuple[tuple[str, object], ...]:
        return (("input", list(self.input)), ("kernel", list(self.kernel)))


def expand(spec: Conv2dSpec) -> Expansion:
    x = Tensor("X", Role.INPUT, tensor_symbols("X", spec.input))
    f = Tensor("F", Role.PARAMETER, tensor_symbols("F", spec.kernel))
    o = Tensor("O", Role.OUTPUT, tensor_symbols("O", spec.output))
    upstream = Tensor(
        gradient_key("O"), Role.UPSTREAM, tensor_symbols(gradient_key("O"), spec.output)
    )

    def output_element(index: Index) -> Poly:
        return Poly.sum_of_products(
            (
                Poly.symbol(x.symbols[tuple(i + d for i, d in zip(index, u))]),
                Poly.symbol(f.symbols[u]),
            )
            for u in f.symbols.indices()
        )

    forward = Grid.build(spec.output, output_element)
    local, (grad_f, grad_x) = chain_rule(
        forward, o.symbols, upstream.symbols, (f.symbols, x.symbols)
    )
    return Expansion(
        tensors=(x, f, o, upstream),
        output="O",
        forward=forward,
        local_gradients=local,
        gradients=(("F", grad_f), ("X", grad_x)),
    )


@without_cycle_collection
def derive(spec: Conv2dSpec) -> Derivation:
    expansion = expand(spec)
    values = {t.key: t.symbols.map(Poly.symbol) for t in expansion.tensors}
    upstream = gradient_key("O")
    searches = (
        ("O", expansion.forward, ("X", "F")),
        (gradient_key("F"), expansion.gradient("F"), ("X", upstream)),
        (gradient_key("X"), expansion.gradient("X"), (upstream, "F")),
    )
    detections: list[Detection] = []
    identities: list[Identity] = []
    for target, value, operand_keys in searches:
        operands = {k: values[k] for k in operand_keys}
        detection = search(target, value, operands)
        detections.append(detection)
        identities.extend(verify(detection, value, operands))
    return Derivation(
        layer="conv2d",
        options=spec.options(),
        expansion=expansion,
        detections=tuple(detections),
        identities=tuple(identities),
    )


def conv2d(
    input: object = (3, 3), kernel: object = (2, 2), *, max_terms: int = DEFAULT_MAX_TERMS
) -> Derivation:
    """Derive the backward pass of a single-channel ``conv2d`` (stride 1, no padding).

    ``input`` and ``kernel`` are sizes: ``(H, W)``, a single int for a square, or ``"HxW"``.
    """
    return derive(Conv2dSpec.of(input, kernel, max_terms))
