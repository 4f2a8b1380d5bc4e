"""Batch, layer, group and instance normalisation: the staged backward pass and the compact formula.

Training mode, for each group of M values (torch semantics, see ``norm_spec``):
mu = (1/M) sum x_i, sigma^2 = (1/M) sum (x_i - mu)^2 (biased), xhat_i = (x_i - mu)/sqrt(sigma^2 +
eps), y_i = gamma_i xhat_i + beta_i. Every x_i reaches the loss through xhat_i, mu and sigma^2; the
graph in ``norm_graph`` applies the chain rule along all three paths, stage by stage. Eval mode
normalises with the running statistics, which are constants.
"""

from __future__ import annotations

import dataclasses
import numbers
import re
from collections.abc import Callable
from fractions import Fraction

import sympy as sp

from ...core.errors import SymderivError, checked_keywords
from ...core.graph import Node, backward
from ...core.grid import Grid, Index
from ...core.parse import LARGEST, coerce_size, exact_decimal, shown, whole
from ...core.perf import without_cycle_collection
from ...core.results import Role, Tensor
from ...core.symbols import (
    BETA,
    EPSILON,
    GAMMA,
    MEAN,
    NORMALIZED,
    RUNNING_MEAN,
    RUNNING_VAR,
    VARIANCE,
    adjoint_symbol,
    element_symbol,
    gradient_key,
    scalar_symbol,
    tensor_symbols,
)
from .prove import prove_identities
from .result import NormDerivation, Statistic
from .spec import DEFAULT_MAX_WORK, KINDS, NormSpec, parse_eps
from .view import VIEW


def statistic_symbol(key: str, group: Index, single: bool) -> sp.Symbol:
    """``mu`` for the only group, ``mu_2`` or ``mu_1_2`` when there are several."""
    return scalar_symbol(key) if single else element_symbol(key, group)


def expand(spec: NormSpec) -> tuple[tuple[Tensor, ...], sp.Expr, tuple[Statistic, ...], list[Node]]:
    x = Tensor("x", Role.INPUT, tensor_symbols("x", spec.shape))
    gamma = Tensor(GAMMA, Role.PARAMETER, tensor_symbols(GAMMA, spec.parameter_shape))
    beta = Tensor(BETA, Role.PARAMETER, tensor_symbols(BETA, spec.parameter_shape))
    y = Tensor("y", Role.OUTPUT, tensor_symbols("y", spec.shape))
    upstream = Tensor(
        gradient_key("y"), Role.UPSTREAM, tensor_symbols(gradient_key("y"), spec.shape)
    )
    tensors = [x, gamma, beta, y, upstream]
    epsilon = scalar_symbol(EPSILON) if spec.eps is None else _rational(spec.eps)
    nodes: list[Node] = []
    statistics: list[Statistic] = []
    xhat_of: dict[Index, sp.Symbol] = {}
    members = spec.members()
    if spec.training:
        single = len(members) == 1
        for key, group in members.items():
            mean = statistic_symbol(MEAN, key, single)
            variance = statistic_symbol(VARIANCE, key, single)
            values = [x.symbols[i] for i in group]
            m = len(values)
            nodes.append(Node(mean, sp.Add(*values) / m, tuple(values)))
            nodes.append(
                Node(variance, sp.Add(*((v - mean) ** 2 for v in values)) / m, (*values, mean))
            )
            statistics.append(Statistic(key, tuple(group), mean, variance))
            for i in group:
                xhat_of[i] = element_symbol(NORMALIZED, i)
                nodes.append(
                    Node(
                        xhat_of[i],
                        (x.symbols[i] - mean) / sp.sqrt(variance + epsilon),
                        (x.symbols[i], mean, variance),
                    )
                )
    else:
        running_mean = Tensor(
            RUNNING_MEAN, Role.INPUT, tensor_symbols(RUNNING_MEAN, spec.running_shape)
        )
        running_var = Tensor(
            RUNNING_VAR, Role.INPUT, tensor_symbols(RUNNING_VAR, spec.running_shape)
        )
        tensors += [running_mean, running_var]
        for key, group in members.items():
            channel = spec.running_of(group[0])
            mean, variance = running_mean.symbols[channel], running_var.symbols[channel]
            statistics.append(Statistic(key, tuple(group), mean, variance))
            for i in group:
                xhat_of[i] = element_symbol(NORMALIZED, i)
                nodes.append(
                    Node(
                        xhat_of[i],
                        (x.symbols[i] - mean) / sp.sqrt(variance + epsilon),
                        (x.symbols[i],),
                    )
                )
    for i, out in y.symbols.items():
        p = spec.parameter_of(i)
        g, b = gamma.symbols[p], beta.symbols[p]
        nodes.append(Node(out, g * xhat_of[i] + b, (xhat_of[i], g, b)))
    return tuple(tensors), epsilon, tuple(statistics), nodes


def adjoints(upstream: dict[sp.Symbol, sp.Symbol]) -> Callable[[sp.Symbol], sp.Symbol]:
    def adjoint(s: sp.Symbol) -> sp.Symbol:
        if s in upstream:
            return upstream[s]
        return adjoint_symbol(s)

    return adjoint


def compact_formula(
    spec: NormSpec, tensors: tuple[Tensor, ...], epsilon: sp.Expr, statistics: tuple[Statistic, ...]
) -> Grid[sp.Expr]:
    """dL/dx_i = 1/(M sqrt(sigma^2 + eps)) (M g_i - sum g_j - xhat_i sum g_j xhat_j) with
    g = gamma dL/dy; with one gamma per group (batch and instance norm) gamma comes out in front,
    as usually written. In eval mode: gamma dL/dy_i / sqrt(running_var + eps)."""
    by_key = {t.key: t.symbols for t in tensors}
    x, gamma, upstream = by_key["x"], by_key[GAMMA], by_key[gradient_key("y")]
    values: dict[Index, sp.Expr] = {}
    for stat in statistics:
        root = sp.sqrt(stat.variance + epsilon)
        if not spec.training:
            for i in stat.members:
                values[i] = gamma[spec.parameter_of(i)] * upstream[i] / root
            continue
        m = len(stat.members)
        xhat = {i: element_symbol(NORMALIZED, i) for i in stat.members}
        shared = spec.shared_parameter
        g = {
            i: upstream[i] if shared else gamma[spec.parameter_of(i)] * upstream[i]
            for i in stat.members
        }
        total = sp.Add(*g.values())
        weighted = sp.Add(*(g[i] * xhat[i] for i in stat.members))
        front = gamma[spec.parameter_of(stat.members[0])] if shared else sp.Integer(1)
        # The same expression as front / (m root) * (m g_i - total - xhat_i weighted), with the
        # parts every element shares built once per group: negating a sum rebuilds its M terms.
        scale, minus_total = front / (m * root), -total
        for i in stat.members:
            values[i] = scale * sp.Add(m * g[i], minus_total, -xhat[i] * weighted)
    return Grid.build(x.shape, lambda i: values[i])


@without_cycle_collection
def derive(spec: NormSpec) -> NormDerivation:
    tensors, epsilon, statistics, nodes = expand(spec)
    by_key = {t.key: t.symbols for t in tensors}
    upstream = dict(zip(by_key["y"].cells, by_key[gradient_key("y")].cells))
    wanted = (*by_key["x"].cells, *by_key[GAMMA].cells, *by_key[BETA].cells)
    graph = backward(nodes, adjoints(upstream), wanted)
    compact = compact_formula(spec, tensors, epsilon, statistics)
    derivation = NormDerivation(
        spec, tensors, epsilon, statistics, tuple(nodes), graph, compact, (), view=VIEW
    )
    return dataclasses.replace(derivation, identities=prove_identities(derivation))


def _rational(value: Fraction) -> sp.Rational:
    return sp.Rational(value.numerator, value.denominator)


def _eps(value: object) -> Fraction | None:
    """None or 'symbolic' keeps the symbol; a Python or NumPy number as the decimal it prints
    as (1e-5 means 1/100000, not its nearest binary fraction); finite and within range."""
    if value is None or isinstance(value, str):
        return None if value is None else parse_eps(value)
    if isinstance(value, Fraction):
        return value
    number = whole(value)
    if number is not None:
        return Fraction(number)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return exact_decimal(repr(float(value)), "--eps")  # NumPy's floats are Reals too
    raise SymderivError(f"--eps: invalid value {shown(value)}; expected a number or 'symbolic'")


def _spatial(value: object) -> tuple[int, ...]:
    if value is None or (isinstance(value, (tuple, list, str)) and not value):
        return ()
    if isinstance(value, str):
        return coerce_size(value, "--spatial", len(re.split(r"[xX]", value)))
    if whole(value) is not None:
        return coerce_size(value, "--spatial", 1)
    if isinstance(value, (tuple, list)):
        return coerce_size(value, "--spatial", len(value))
    raise SymderivError(
        f"--spatial: invalid value {shown(value)}; expected an integer, a tuple of integers or "
        "a string such as 2x2"
    )


def _count(value: object, option: str) -> int:
    number = whole(value)
    if number is None or number < 1 or number > LARGEST:
        raise SymderivError(f"{option}: invalid value {shown(value)}; expected a positive integer")
    return number


def _mode(mode: str) -> bool:
    if mode not in ("train", "eval"):
        raise SymderivError(f"--mode: invalid value {mode!r}; choose train or eval")
    return mode == "train"


# The specs of the four layers, from what a Python caller or the command line passes; the
# public functions below give the defaults, and ``cost`` reads the work off a spec alone.


def batchnorm_spec(
    batch: object, channels: object, spatial: object, mode: str, eps: object, max_terms: int
) -> NormSpec:
    return _per_channel_spec("batchnorm", batch, channels, spatial, mode, eps, max_terms)


def instancenorm_spec(
    batch: object, channels: object, spatial: object, mode: str, eps: object, max_terms: int
) -> NormSpec:
    return _per_channel_spec("instancenorm", batch, channels, spatial, mode, eps, max_terms)


def _per_channel_spec(
    kind: str,
    batch: object,
    channels: object,
    spatial: object,
    mode: str,
    eps: object,
    max_terms: int,
) -> NormSpec:
    """Batch and instance norm: (N, C, *spatial), in train or eval mode."""
    shape = (_count(batch, "--batch"), _count(channels, "--channels"), *_spatial(spatial))
    return NormSpec(kind, shape, training=_mode(mode), eps=_eps(eps), max_terms=max_terms)


def groupnorm_spec(
    batch: object, channels: object, groups: object, spatial: object, eps: object, max_terms: int
) -> NormSpec:
    shape = (_count(batch, "--batch"), _count(channels, "--channels"), *_spatial(spatial))
    groups_count = _count(groups, "--groups")
    return NormSpec("groupnorm", shape, groups=groups_count, eps=_eps(eps), max_terms=max_terms)


def layernorm_spec(
    batch: object, normalized_shape: object, eps: object, max_terms: int
) -> NormSpec:
    normalized = _spatial(normalized_shape)
    if not normalized:
        raise SymderivError("--normalized-shape: expected at least one axis, e.g. 4 or 2x3")
    shape = (_count(batch, "--batch"), *normalized)
    return NormSpec(
        "layernorm", shape, normalized_ndim=len(normalized), eps=_eps(eps), max_terms=max_terms
    )


def cost(spec: Callable[..., NormSpec], **options: object) -> float:
    """The work a normalisation command will do, as a share of the default limit's."""
    return spec(**options).work / DEFAULT_MAX_WORK


@checked_keywords
def batchnorm(
    batch: int = 4,
    channels: int = 1,
    spatial: object = (),
    *,
    mode: str = "train",
    eps: object = None,
    max_terms: int = DEFAULT_MAX_WORK,
) -> NormDerivation:
    """``torch.nn.functional.batch_norm``: each channel over M = N·H·W values."""
    return derive(batchnorm_spec(batch, channels, spatial, mode, eps, max_terms))


@checked_keywords
def instancenorm(
    batch: int = 1,
    channels: int = 1,
    spatial: object = (2, 2),
    *,
    mode: str = "train",
    eps: object = None,
    max_terms: int = DEFAULT_MAX_WORK,
) -> NormDerivation:
    """``torch.nn.functional.instance_norm``: each (sample, channel) over M = H·W values."""
    return derive(instancenorm_spec(batch, channels, spatial, mode, eps, max_terms))


@checked_keywords
def groupnorm(
    batch: int = 1,
    channels: int = 4,
    groups: int = 2,
    spatial: object = (2,),
    *,
    eps: object = None,
    max_terms: int = DEFAULT_MAX_WORK,
) -> NormDerivation:
    """``torch.nn.functional.group_norm``: each (sample, group) over M = (C/G)·H·W values."""
    return derive(groupnorm_spec(batch, channels, groups, spatial, eps, max_terms))


@checked_keywords
def layernorm(
    batch: int = 2,
    normalized_shape: object = (4,),
    *,
    eps: object = None,
    max_terms: int = DEFAULT_MAX_WORK,
) -> NormDerivation:
    """``torch.nn.functional.layer_norm``: each sample over its trailing ``normalized_shape``."""
    return derive(layernorm_spec(batch, normalized_shape, eps, max_terms))


__all__ = ["KINDS", "NormDerivation", "batchnorm", "groupnorm", "instancenorm", "layernorm"]
