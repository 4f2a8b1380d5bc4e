"""The compact formula for every M at once: the staged chain rule on one generic element.

The local derivatives are SymPy's derivatives of the definitions written for a generic index (the
j-th summand of mu and sigma^2, the j-th x-hat). A sum over j of a summand is linear: its factors
that do not depend on j come out in front, and what remains is one of four sums, kept as symbols:
sum g_j, sum g_j (x_j - mu), sum (x_j - mu) and sum 1 = M. The third is 0 by the definition of mu
(sum x_j - M mu with mu = sum x_j / M), which is proven here too. With those, the staged result
and the compact formula are rational functions of M, the sums, g_i, x_i - mu and s = sqrt(sigma^2
+ eps), and their expanded difference is 0: the identity holds for every M, not only the concrete
one.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

GENERAL_METHOD = (
    "exact for symbolic M: generic element, sums as symbols by linearity, "
    "sum (x_j - mu) = 0 from the definition of mu, expanded difference 0"
)


@dataclass(frozen=True)
class GeneralForm:
    """Both sides for a generic element, with the sums over j as symbols."""

    staged: sp.Expr
    compact: sp.Expr
    deviations_vanish: bool
    """sum (x_j - mu) = 0, proven from the definition of mu."""
    variance: sp.Symbol
    epsilon: sp.Symbol
    sum_of_deviations: sp.Symbol


def general_form() -> GeneralForm:
    m = sp.Dummy("M", positive=True, integer=True)
    x_i, x_j, g_i, g_j = sp.Dummy("x_i"), sp.Dummy("x_j"), sp.Dummy("g_i"), sp.Dummy("g_j")
    mean, variance, eps = sp.Dummy("mu"), sp.Dummy("sigma2"), sp.Dummy("epsilon", positive=True)
    sum_g, sum_gd, sum_d, sum_x = (sp.Dummy(n) for n in ("S_g", "S_gd", "S_d", "S_x"))
    sums = {
        sp.expand(k): v
        for k, v in (
            (g_j, sum_g),
            (g_j * (x_j - mean), sum_gd),
            (x_j - mean, sum_d),
            (x_j, sum_x),
            (sp.Integer(1), m),
        )
    }

    def summed(summand: sp.Expr) -> sp.Expr:
        """sum over j = 1..M of the summand: constants out in front, the rest one of the sums."""
        constant, varying = sp.factor_terms(summand).as_independent(x_j, g_j, as_Add=False)
        key = sp.expand(varying)
        return constant * sums[key] if key in sums else -constant * sums[-key]

    def xhat(x: sp.Expr) -> sp.Expr:
        return (x - mean) / sp.sqrt(variance + eps)

    # mu = sum x_j / M, so sum (x_j - mu) = sum x_j - M mu = 0.
    deviations = summed(x_j) - mean * summed(sp.Integer(1))
    vanish = sp.expand(deviations.xreplace({mean: sum_x / m})) == 0
    d_variance = summed(g_j * sp.diff(xhat(x_j), variance))
    d_mean = summed(g_j * sp.diff(xhat(x_j), mean)) + d_variance * summed(
        sp.diff((x_j - mean) ** 2 / m, mean)
    )
    staged = (
        g_i * sp.diff(xhat(x_i), x_i)
        + d_variance * sp.diff((x_i - mean) ** 2 / m, x_i)
        + d_mean * sp.diff(x_i / m, x_i)
    )
    compact = (m * g_i - summed(g_j) - xhat(x_i) * summed(g_j * xhat(x_j))) / (
        m * sp.sqrt(variance + eps)
    )
    return GeneralForm(staged, compact, vanish, variance, eps, sum_d)


def equal_for_every_m(form: GeneralForm) -> bool:
    s = sp.Dummy("s", positive=True)
    change = {form.sum_of_deviations: 0, form.variance: s**2 - form.epsilon}
    difference = (form.staged - form.compact).xreplace(change)
    return form.deviations_vanish and sp.expand(difference) == 0
