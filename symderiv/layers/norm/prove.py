"""Exact proofs of the normalisation identities, element by element.

The staged result and the compact formula both depend on the values of a group only through the
deviations d_j = x_j - mu and on sigma^2 only through s = sqrt(sigma^2 + eps). Writing x_j = mu +
d_j is a change of variables; mu being the mean is exactly sum_j d_j = 0, so the last deviation is
minus the sum of the others; with s = sqrt(sigma^2 + eps) > 0, every power of the square root is
a power of t = 1/s. Both sides then are exact polynomials (``core.poly``) in the deviations, mu, t
and the other symbols, equal exactly when they are equal for all values. The last deviation is
replaced at every sum as it is built (``_ChangeOfVariables``), so each element costs O(M) terms,
where expanding mu and sigma^2 into the x_j, or SymPy's ``expand`` after the substitution, would
cost far more.
"""

from __future__ import annotations

import functools
from fractions import Fraction

import sympy as sp

from ...core.poly import Poly
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
    fast = _ChangeOfVariables(d, stat)
    return all(fast.equal(a, b) for a, b in zip(left, right))


class _ChangeOfVariables:
    """Both sides as exact polynomials (``core.poly``) after the change of variables, in d_j,
    mu, t = 1/s and the other symbols: x_j = mu + d_j, x-hat_j = d_j t, (sigma^2 + eps)^(-k/2)
    = t^k. The relation sum_j d_j = 0 is applied at every sum as it is built (the last d is
    written as minus the sum of the others): reducing modulo a linear relation commutes with
    sums and products, so the result is the reduced difference, and a factor such as
    sum_j (x_j - mu) is 0 before it can multiply anything. Each element then costs O(M) terms,
    where expanding with SymPy after eliminating d_M costs O(M^2) SymPy terms."""

    def __init__(self, d: NormDerivation, stat: Statistic) -> None:
        x = d.tensor("x").symbols
        self.root = stat.variance + d.epsilon
        self.t = Poly.symbol(sp.Dummy("t"))
        deviations = [sp.Dummy(f"d{k}") for k in range(len(stat.members))]
        self.last = deviations[-1]
        self.others = Poly.total(Poly.symbol(s) for s in deviations[:-1]).scale(-1)
        mean = Poly.symbol(stat.mean)
        self.leaves: dict[sp.Expr, Poly] = {}
        for i, dev in zip(stat.members, deviations):
            self.leaves[x[i]] = mean + Poly.symbol(dev)
            self.leaves[element_symbol(NORMALIZED, i)] = Poly.symbol(dev) * self.t
        self.seen: dict[sp.Expr, Poly | None] = {}

    def equal(self, a: sp.Expr, b: sp.Expr) -> bool:
        left, right = self.poly(a), self.poly(b)
        if left is None or right is None:
            return False
        return left == right

    def poly(self, e: sp.Expr) -> Poly | None:
        if e in self.seen:
            return self.seen[e]
        result = self._convert(e)
        self.seen[e] = result
        return result

    def _convert(self, e: sp.Expr) -> Poly | None:
        if e in self.leaves:
            return self.leaves[e]
        if isinstance(e, sp.Symbol):
            return Poly.symbol(e)
        if isinstance(e, sp.Rational):
            return Poly.constant(int(e.p) if e.q == 1 else Fraction(int(e.p), int(e.q)))
        parts = [self.poly(a) for a in e.args]
        if any(p is None for p in parts):
            return None
        if isinstance(e, sp.Add):
            return self._reduced(Poly.total(parts))  # type: ignore[arg-type]
        if isinstance(e, sp.Mul):
            product = Poly.constant(1)
            for p in parts:
                product = product * p  # type: ignore[operator]
            return self._reduced(product)
        if isinstance(e, sp.Pow) and e.exp.is_Rational:
            half_steps = -2 * e.exp
            if e.base == self.root and half_steps.is_Integer and half_steps > 0:
                return self._power(self.t, int(half_steps))
            if e.exp.is_Integer and e.exp > 0:
                return self._power(parts[0], int(e.exp))  # type: ignore[arg-type]
        return None  # not of the form this proof handles: it is not taken as equal

    def _power(self, base: Poly, n: int) -> Poly:
        result = Poly.constant(1)
        for _ in range(n):
            result = self._reduced(result * base)
        return result

    def _reduced(self, p: Poly) -> Poly:
        """p with the last deviation replaced by minus the sum of the others."""
        return p.replaced(self.last, self.others)


@functools.cache
def _holds_for_every_m() -> bool:
    """The same for every layer and size: proven once per process."""
    return equal_for_every_m(general_form())
