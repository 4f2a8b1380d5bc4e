"""Exact proofs of the normalisation identities, element by element.

The staged result and the compact formula both depend on the values of a group only through the
deviations d_j = x_j - mu and on sigma^2 only through s = sqrt(sigma^2 + eps). Writing x_j = mu +
d_j is a change of variables; mu being the mean is exactly sum_j d_j = 0, so the last deviation is
minus the sum of the others; sigma^2 = s^2 - eps with s > 0 turns every power of the square root
into a power of s. Both sides then are Laurent polynomials in s with polynomial coefficients, and
``expand`` of their difference is 0 exactly when they are equal for all values. The expressions
stay of size O(M^2) per element, where expanding mu and sigma^2 into the x_j would not.
"""

from __future__ import annotations

import functools

import sympy as sp

from ...core.results import Proof
from ...core.symbols import BETA, GAMMA, NORMALIZED, element_symbol, gradient_key
from .prove_general import GENERAL_METHOD, equal_for_every_m, general_form
from .result import NormDerivation, NormIdentity, Statistic, norm_identity

CHANGE_OF_VARIABLES = (
    "exact: x_j = mu + d_j with sum d_j = 0, sqrt(sigma^2 + eps) = s > 0, expanded difference 0"
)
EXPANDED = "exact: expanded difference 0"


def prove_identities(d: NormDerivation) -> tuple[NormIdentity, ...]:
    spec = d.spec
    x = d.tensor("x").symbols
    upstream = d.tensor(gradient_key("y")).symbols
    resolved = d.graph.resolved
    identities = [_parameter_sums(d, BETA), _parameter_sums(d, GAMMA)]
    if spec.training:
        identities.append(_mean_path(d))
        holds = all(
            _equal_in_group(
                d,
                stat,
                [resolved[x[i]] for i in stat.members],
                [d.compact[i] for i in stat.members],
            )
            for stat in d.statistics
        )
        identities.append(
            norm_identity(
                gradient_key("x"),
                "compact",
                "dL/dx_i = 1/(M sqrt(sigma^2 + eps)) * (M g_i - sum_j g_j"
                f" - xhat_i sum_j g_j xhat_j), g = gamma dL/dy, M = {spec.m}",
                Proof(len(x.cells), holds, CHANGE_OF_VARIABLES),
            )
        )
        identities.append(
            norm_identity(
                gradient_key("x"),
                "compact_general",
                "for every M: dL/dx_i = 1/(M sqrt(sigma^2 + eps)) * (M g_i - sum_j g_j"
                " - xhat_i sum_j g_j xhat_j), g = dL/dxhat",
                Proof(1, _holds_for_every_m(), GENERAL_METHOD),
            )
        )
    else:
        holds = all(sp.expand(resolved[x[i]] - d.compact[i]) == 0 for i in x.indices())
        identities.append(
            norm_identity(
                gradient_key("x"),
                "eval",
                "dL/dx_i = gamma dL/dy_i / sqrt(running_var + eps)  (statistics are constants)",
                Proof(len(upstream.cells), holds, EXPANDED),
            )
        )
    return tuple(identities)


def _parameter_sums(d: NormDerivation, key: str) -> NormIdentity:
    spec = d.spec
    upstream = d.tensor(gradient_key("y")).symbols
    params = d.tensor(key).symbols
    expected: dict[sp.Symbol, sp.Expr] = {s: sp.Integer(0) for s in params.cells}
    for i, dy in upstream.items():
        factor = element_symbol(NORMALIZED, i) if key == GAMMA else sp.Integer(1)
        expected[params[spec.parameter_of(i)]] += dy * factor
    holds = all(sp.expand(d.graph.resolved[s] - expected[s]) == 0 for s in params.cells)
    summand = "dL/dy_i * xhat_i" if key == GAMMA else "dL/dy_i"
    return norm_identity(
        gradient_key(key),
        key,
        f"dL/d{key} = sum of {summand} over the values each {key} scales",
        Proof(len(params.cells), holds, EXPANDED),
    )


def _mean_path(d: NormDerivation) -> NormIdentity:
    """d sigma^2 / d mu = -(2/M) sum (x_j - mu) is 0 once mu is the mean: that path adds nothing."""
    local = {(e.child, e.parent): e.local for e in d.graph.edges}
    definition = {n.symbol: n.definition for n in d.nodes}
    holds = all(
        sp.expand(local[(stat.variance, stat.mean)].xreplace({stat.mean: definition[stat.mean]}))
        == 0
        for stat in d.statistics
    )
    return norm_identity(
        "dsigma2/dmu",
        "mean_path",
        "dsigma^2/dmu = -(2/M) sum_j (x_j - mu) = 0, so dL/dmu gets nothing through sigma^2",
        Proof(len(d.statistics), holds, EXPANDED),
    )


def _equal_in_group(
    d: NormDerivation, stat: Statistic, left: list[sp.Expr], right: list[sp.Expr]
) -> bool:
    x = d.tensor("x").symbols
    root = sp.Dummy("s", positive=True)
    deviations = [sp.Dummy(f"d{k}") for k in range(len(stat.members))]
    deviations[-1] = -sp.Add(*deviations[:-1])
    xhat = {
        element_symbol(NORMALIZED, i): (x[i] - stat.mean) / sp.sqrt(stat.variance + d.epsilon)
        for i in stat.members
    }
    change = {x[i]: stat.mean + dev for i, dev in zip(stat.members, deviations)}
    change[stat.variance] = root**2 - d.epsilon

    def substituted(e: sp.Expr) -> sp.Expr:
        return e.xreplace(xhat).xreplace(change)

    return all(sp.expand(substituted(a) - substituted(b)) == 0 for a, b in zip(left, right))


@functools.cache
def _holds_for_every_m() -> bool:
    """The same for every layer and size: proven once per process."""
    return equal_for_every_m(general_form())
