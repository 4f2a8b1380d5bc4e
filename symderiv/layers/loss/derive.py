"""Cross-entropy on logits, as ``torch.nn.functional.cross_entropy``: log_softmax along the
classes, the target-weighted negative log-likelihood per sample, then the reduction.

The chain rule runs through the per-sample losses l_n (dL/dl_n = s_n, the reduction's scale),
each differentiated by the logits of its own row: the work is linear in N·C."""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from ...core.chain_rule import expression_chain_rule
from ...core.errors import SymderivError, checked_keywords
from ...core.exact import softmax
from ...core.grid import Grid
from ...core.parse import exact_decimal, shown, whole, work_limit
from ...core.perf import without_cycle_collection
from ...core.results import ExpressionExpansion, Role, Tensor
from ...core.symbols import gradient_key, tensor_symbols
from .prove import prove
from .result import CrossEntropyDerivation
from .search import S_SCALAR, Row, positions, search
from .spec import DEFAULT_MAX_TERMS, CrossEntropySpec
from .view import VIEW


def _r(v: Fraction) -> sp.Rational:
    return sp.Rational(v.numerator, v.denominator)


def scales(spec: CrossEntropySpec, upstream: Grid[sp.Symbol] | None) -> list[sp.Expr]:
    """s_n = dL/dl_n: 1/normaliser for mean, 1 for sum, the upstream gradient for none."""
    if upstream is not None:
        return list(upstream.cells)
    factor = 1 / spec.normaliser if spec.reduction == "mean" else Fraction(1)
    return [_r(factor)] * spec.batch


def onehot(spec: CrossEntropySpec, n: int) -> list[int] | None:
    if spec.target is None:
        return None
    return [1 if k == spec.target[n] else 0 for k in range(spec.classes)]


def expand(spec: CrossEntropySpec) -> tuple[ExpressionExpansion, list[sp.Expr]]:
    shape = (spec.batch, spec.classes)
    x = Tensor("X", Role.INPUT, tensor_symbols("X", shape))
    losses = Tensor("l", Role.OUTPUT, tensor_symbols("l", (spec.batch,)))
    tensors = [x, losses]
    upstream = None
    if spec.reduction == "none":
        up = gradient_key("l")
        upstream = tensor_symbols(up, (spec.batch,))
        tensors.append(Tensor(up, Role.UPSTREAM, upstream))
    cells = []
    for n in range(spec.batch):
        row = [x.symbols[(n, k)] for k in range(spec.classes)]
        log_total = sp.log(sp.Add(*(sp.exp(v) for v in row)))
        q = spec.distribution(n)
        cells.append(
            -sp.Add(
                *(
                    _r(spec.class_weight(k) * q[k]) * (row[k] - log_total)
                    for k in range(spec.classes)
                    if q[k] and spec.class_weight(k)
                )
            )
        )
    forward = Grid((spec.batch,), tuple(cells))
    s = scales(spec, upstream)
    local, (grad_x,) = expression_chain_rule(
        forward, losses.symbols, Grid((spec.batch,), tuple(s)), [x.symbols]
    )
    return ExpressionExpansion(tuple(tensors), "l", forward, local, (("X", grad_x),)), s


def rows(spec: CrossEntropySpec, x: Grid[sp.Symbol], s: list[sp.Expr]) -> list[Row]:
    weights = tuple(spec.class_weight(k) for k in range(spec.classes))
    return [
        Row(
            softmax([x[(n, k)] for k in range(spec.classes)]),
            spec.distribution(n),
            weights,
            onehot(spec, n),
            s[n],
        )
        for n in range(spec.batch)
    ]


@without_cycle_collection
def derive(spec: CrossEntropySpec) -> CrossEntropyDerivation:
    expansion, s = expand(spec)
    x = expansion.tensor("X").symbols
    value = expansion.gradient("X")
    own = rows(spec, x, s)
    xs = positions(spec.classes)
    renamed = []
    for n, row in enumerate(own):
        scale = S_SCALAR if spec.reduction == "none" else row.s
        names = {x[(n, k)]: xs[k] for k in range(spec.classes)}
        if spec.reduction == "none":
            names[s[n]] = S_SCALAR
        renamed.append(
            (
                Row(softmax(xs), row.q, row.w, row.onehot, scale),
                [value[(n, k)].xreplace(names) for k in range(spec.classes)],
            )
        )
    found = search(renamed, spec.classes)
    identities = prove(found, value, own, x, s)
    return CrossEntropyDerivation(spec, expansion, tuple(s), (found,), identities, view=VIEW)


def _numbers(text: object, option: str) -> list[Fraction]:
    if isinstance(text, str):
        return [exact_decimal(part, option) for part in text.split(",")]
    if isinstance(text, list | tuple):
        return [exact_decimal(str(v), option) for v in text]
    raise SymderivError(f"{option}: invalid value {shown(text)}; expected numbers such as 1,2,1")


def _count(value: object, option: str, least: int = 1) -> int:
    number = whole(value)
    if number is None or number < least or number > 10_000:
        raise SymderivError(
            f"{option}: invalid value {shown(value)}; expected an integer from {least} to 10,000"
        )
    return number


def cross_entropy_spec(
    batch: object = None,
    classes: object = 3,
    target: object = None,
    target_probabilities: object = None,
    reduction: object = "mean",
    label_smoothing: object = 0,
    weight: object = None,
    max_terms: object = DEFAULT_MAX_TERMS,
) -> CrossEntropySpec:
    c = _count(classes, "--classes")
    probabilities_rows = None
    indices: tuple[int, ...] | None = None
    if target is not None and target_probabilities is not None:
        raise SymderivError("--target and --target-probabilities: give one or the other, not both")
    if target_probabilities is not None:
        text = target_probabilities
        listed = text.split(";") if isinstance(text, str) else text
        if not isinstance(listed, list | tuple):
            raise SymderivError(f"--target-probabilities: invalid value {shown(text)}")
        probabilities_rows = tuple(tuple(_numbers(row, "--target-probabilities")) for row in listed)
    else:
        given = "2,0" if target is None and batch is None else target
        if given is None:
            given = ",".join(str(n % c) for n in range(_count(batch, "--batch")))
        parts = given.split(",") if isinstance(given, str) else given
        if not isinstance(parts, list | tuple):
            raise SymderivError(f"--target: invalid value {shown(given)}; expected e.g. 2,0")
        indices = tuple(_index(p) for p in parts)
    rows_given = len(indices) if indices is not None else len(probabilities_rows or ())
    n = rows_given if batch is None else _count(batch, "--batch")
    if rows_given == 0:
        which = "--target" if indices is not None else "--target-probabilities"
        raise SymderivError(f"{which}: no sample given; expected one entry per sample")
    if not isinstance(reduction, str):
        raise SymderivError(f"--reduction: invalid value {shown(reduction)}")
    smoothing = _numbers([label_smoothing], "--label-smoothing")[0]
    weights = None if weight is None else tuple(_numbers(weight, "--weight"))
    return CrossEntropySpec(
        n, c, indices, probabilities_rows, reduction, smoothing, weights, work_limit(max_terms)
    )


def _index(part: object) -> int:
    number = whole(part) if not isinstance(part, str) else None
    if isinstance(part, str) and part.strip().lstrip("-").isdigit() and len(part.strip()) < 8:
        number = int(part)
    if number is None:
        raise SymderivError(f"--target: {shown(part)} is not a class index (0-based integers)")
    return number


def cost(**options: object) -> float:
    spec = cross_entropy_spec(**options)
    return spec.batch * spec.classes / DEFAULT_MAX_TERMS


@checked_keywords
def cross_entropy(
    batch: int | None = None,
    classes: int = 3,
    target: object = None,
    target_probabilities: object = None,
    reduction: str = "mean",
    label_smoothing: object = 0,
    weight: object = None,
    max_terms: int = DEFAULT_MAX_TERMS,
) -> CrossEntropyDerivation:
    """Derive ``torch.nn.functional.cross_entropy`` on symbolic logits of shape (batch,
    classes): ``target`` class indices (``"2,0"`` or ``[2, 0]``, 0-based) or
    ``target_probabilities`` rows (``"0.2,0.8;1,0"``); default: 2 samples, targets 2 and 0."""
    return derive(
        cross_entropy_spec(
            batch,
            classes,
            target,
            target_probabilities,
            reduction,
            label_smoothing,
            weight,
            max_terms,
        )
    )
