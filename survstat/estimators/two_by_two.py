"""One 2 x 2 table: the difference, ratio and odds ratio of two response rates, and tests.

For x1/n1 responders in a group and x2/n2 in the reference arm:

* difference p1 - p2 with Newcombe's hybrid score interval (Newcombe 1998, Stat Med
  17:873-890, method 10, from the two Wilson intervals) or the Miettinen-Nurminen score
  interval (Miettinen & Nurminen 1985, Stat Med 4:213-226: the score statistic with the
  restricted maximum likelihood estimates of Farrington & Manning 1990 and the variance
  factor N/(N - 1), inverted numerically);
* odds ratio: the conditional maximum likelihood estimate with its exact conditional interval
  (R ``fisher.test``; Cornfield 1956), or Woolf's logit interval around the sample odds ratio;
* relative risk with the log (Katz) interval;
* Fisher's exact test (R ``fisher.test``: two-sided p adds the tables no more likely than the
  observed one, relative tolerance 1e-7) or Pearson's chi-square test (R ``prop.test``, with
  Yates's correction by default).

R's ``fisher.test`` solves for the estimate and limits only to ``uniroot``'s default tolerance
(about 1e-4); survstat solves to machine precision, so its odds ratios agree with R's
functions run at a tight tolerance and with ``fisher.test`` to about four digits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import numpy as np
from scipy import optimize, special, stats

from survstat._choices import Alternative
from survstat.estimators._confint import z_value
from survstat.estimators.proportions import binomial_interval

_TOL = {"xtol": 1e-300, "rtol": 4 * np.finfo(float).eps, "maxiter": 1000}


def newcombe_interval(x1: int, n1: int, x2: int, n2: int, level: float) -> tuple[float, float]:
    """Newcombe's hybrid score interval for p1 - p2 (method 10).

    The limits combine the two groups' Wilson score intervals.

    Parameters
    ----------
    x1, n1
        Responders and patients in the group.
    x2, n2
        Responders and patients in the reference arm.
    level
        Confidence level of the interval, e.g. 0.95.

    Returns
    -------
    tuple of float
        The lower and upper limits of the difference p1 - p2.

    References
    ----------
    .. [1] Newcombe RG (1998). Interval estimation for the difference between independent
       proportions: comparison of eleven methods. Stat Med 17:873-890.
    """
    p1, p2 = x1 / n1, x2 / n2
    (l1,), (u1,) = binomial_interval(x1, n1, "wilson", level)
    (l2,), (u2,) = binomial_interval(x2, n2, "wilson", level)
    d = p1 - p2
    return float(d - np.hypot(p1 - l1, u2 - p2)), float(d + np.hypot(u1 - p1, p2 - l2))


def _restricted_p1(p1: float, p2: float, n1: int, n2: int, delta: float) -> float:
    """MLE of the first proportion under p1 - p2 = delta (Farrington & Manning 1990).

    The closed form picks one root of the likelihood equation's cubic; at the boundary (p1 or
    p2 at 0 or 1) it can pick a root outside the constraint 0 <= r1, r1 - delta <= 1, and the
    feasible root with the largest restricted likelihood is taken instead.
    """
    r1 = _restricted_closed_form(p1, p2, n1, n2, delta)
    lo, hi = max(0.0, delta), min(1.0, 1.0 + delta)
    if lo - 1e-12 <= r1 <= hi + 1e-12:
        return r1
    return _restricted_by_roots(p1, p2, n1, n2, delta, lo, hi)


def _restricted_by_roots(
    p1: float, p2: float, n1: int, n2: int, delta: float, lo: float, hi: float
) -> float:
    theta = n2 / n1
    a = 1 + theta
    b = -(1 + theta + p1 + theta * p2 + delta * (theta + 2))
    c = delta**2 + delta * (2 * p1 + theta + 1) + p1 + theta * p2
    d = -p1 * delta * (1 + delta)
    roots = np.roots([a, b, c, d])
    cands = [float(r.real) for r in roots if abs(r.imag) < 1e-9]
    cands = [min(max(r, lo), hi) for r in cands] + [lo, hi]
    x1, x2 = p1 * n1, p2 * n2

    def loglik(r1: float) -> float:
        r2 = r1 - delta
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = [
                special.xlogy(x1, r1),
                special.xlogy(n1 - x1, 1 - r1),
                special.xlogy(x2, r2),
                special.xlogy(n2 - x2, 1 - r2),
            ]
        total = float(sum(terms))
        return total if np.isfinite(total) else -np.inf

    return max(cands, key=loglik)


def _restricted_closed_form(p1: float, p2: float, n1: int, n2: int, delta: float) -> float:
    theta = n2 / n1
    a = 1 + theta
    b = -(1 + theta + p1 + theta * p2 + delta * (theta + 2))
    c = delta**2 + delta * (2 * p1 + theta + 1) + p1 + theta * p2
    d = -p1 * delta * (1 + delta)
    v = b**3 / (27 * a**3) - b * c / (6 * a**2) + d / (2 * a)
    u2 = b**2 / (9 * a**2) - c / (3 * a)
    u = np.sign(v) * np.sqrt(max(u2, 0.0)) if v != 0 else np.sqrt(max(u2, 0.0))
    ratio = 0.0 if u == 0 else np.clip(v / u**3, -1.0, 1.0)
    w = (np.pi + np.arccos(ratio)) / 3
    return float(2 * u * np.cos(w) - b / (3 * a))


def miettinen_nurminen_interval(
    x1: int, n1: int, x2: int, n2: int, level: float
) -> tuple[float, float]:
    """Miettinen-Nurminen score interval for p1 - p2.

    The score statistic with the restricted maximum likelihood estimates of Farrington &
    Manning and the variance factor N/(N - 1), inverted numerically to machine precision.

    Parameters
    ----------
    x1, n1
        Responders and patients in the group.
    x2, n2
        Responders and patients in the reference arm.
    level
        Confidence level of the interval, e.g. 0.95.

    Returns
    -------
    tuple of float
        The lower and upper limits of the difference p1 - p2.

    References
    ----------
    .. [1] Miettinen O, Nurminen M (1985). Comparative analysis of two rates. Stat Med
       4:213-226.
    .. [2] Farrington CP, Manning G (1990). Test statistics and sample size formulae for
       comparative binomial trials with null hypothesis of non-zero risk difference or non-unity
       relative risk. Stat Med 9:1447-1454.
    """
    z = z_value(level)
    p1, p2 = x1 / n1, x2 / n2
    d_hat = p1 - p2
    big_n = n1 + n2

    def score(delta: float) -> float:
        r1 = min(max(_restricted_p1(p1, p2, n1, n2, delta), 0.0), 1.0)
        r2 = min(max(r1 - delta, 0.0), 1.0)
        var = (r1 * (1 - r1) / n1 + r2 * (1 - r2) / n2) * big_n / (big_n - 1)
        if var <= 0:
            # at delta = d_hat the statistic is 0 (inside the interval) even with var = 0
            return np.inf if d_hat != delta else -(z**2)
        return (d_hat - delta) ** 2 / var - z**2

    eps = 1e-12
    lo = -1.0 if score(-1.0 + eps) <= 0 else _root(score, -1.0 + eps, d_hat)
    hi = 1.0 if score(1.0 - eps) <= 0 else _root(score, d_hat, 1.0 - eps)
    return float(lo), float(hi)


def _root(f: Callable[[float], float], a: float, b: float) -> float:
    """The root of ``f`` in [a, b] by Brent's method (scipy ``brentq``), to :data:`_TOL`."""
    # without full_output brentq returns the root alone; scipy's inferred return type also
    # admits the (root, RootResults) pair of full_output=True
    return cast(float, optimize.brentq(f, a, b, **_TOL))


class _Conditional:
    """The noncentral hypergeometric distribution of x1 given the margins (as fisher.test)."""

    def __init__(self, x1: int, n1: int, x2: int, n2: int) -> None:
        m, n, k = x1 + x2, (n1 - x1) + (n2 - x2), n1
        self.x = x1
        self.lo, self.hi = max(0, k - n), min(k, m)
        self.support = np.arange(self.lo, self.hi + 1)
        self.logdc = stats.hypergeom.logpmf(self.support, m + n, m, k)

    def density(self, ncp: float) -> np.ndarray:
        d = self.logdc + np.log(ncp) * self.support
        return np.exp(d - special.logsumexp(d))

    def mean(self, ncp: float) -> float:
        return float(self.support @ self.density(ncp))

    def tail(self, ncp: float, upper: bool) -> float:
        dens = self.density(ncp)
        return float(
            dens[self.support >= self.x].sum() if upper else dens[self.support <= self.x].sum()
        )


def exact_odds_ratio(
    x1: int, n1: int, x2: int, n2: int, level: float
) -> tuple[float, float, float]:
    """Conditional MLE of the odds ratio and its exact interval (R ``fisher.test``).

    Parameters
    ----------
    x1, n1
        Responders and patients in the group.
    x2, n2
        Responders and patients in the reference arm.
    level
        Confidence level of the interval, e.g. 0.95.

    Returns
    -------
    tuple of float
        The odds ratio, then the lower and upper limits; 0 or inf where the observed table
        is at the edge of its conditional support.

    References
    ----------
    .. [1] Cornfield J (1956). A statistical problem arising from retrospective studies.
       Proc Third Berkeley Symp Math Stat Prob 4:135-148.
    """
    h = _Conditional(x1, n1, x2, n2)
    x, lo, hi = h.x, h.lo, h.hi

    def solve(f, inverted: bool) -> float:
        if inverted:
            return 1.0 / _root(lambda t: f(1.0 / t), np.finfo(float).eps, 1.0)
        return _root(f, np.finfo(float).tiny, 1.0)

    if x == lo:
        mle = 0.0
    elif x == hi:
        mle = np.inf
    else:
        mu = h.mean(1.0)
        mle = 1.0 if mu == x else solve(lambda t: h.mean(t) - x, inverted=mu < x)
    alpha = (1 - level) / 2
    if x == hi:
        upper = np.inf
    else:
        p = h.tail(1.0, upper=False)
        upper = 1.0 if p == alpha else solve(lambda t: h.tail(t, False) - alpha, inverted=p > alpha)
    if x == lo:
        lower = 0.0
    else:
        p = h.tail(1.0, upper=True)
        lower = 1.0 if p == alpha else solve(lambda t: h.tail(t, True) - alpha, inverted=p < alpha)
    return float(mle), float(lower), float(upper)


def fisher_p_value(
    x1: int, n1: int, x2: int, n2: int, alternative: Alternative = "two-sided"
) -> float:
    """Fisher's exact test p-value (R ``fisher.test``).

    The two-sided p-value adds the tables no more likely than the observed one (relative
    tolerance 1e-7, as R).

    Parameters
    ----------
    x1, n1
        Responders and patients in the group.
    x2, n2
        Responders and patients in the reference arm.
    alternative
        ``"two-sided"`` (default), ``"greater"`` (the group's odds are higher) or ``"less"``.

    Returns
    -------
    float
        The p-value.
    """
    h = _Conditional(x1, n1, x2, n2)
    if alternative == "greater":
        return h.tail(1.0, upper=True)
    if alternative == "less":
        return h.tail(1.0, upper=False)
    d = h.density(1.0)
    observed = d[h.support == h.x][0]
    return float(min(1.0, d[d <= observed * (1 + 1e-7)].sum()))


def chi_square_p_value(x1: int, n1: int, x2: int, n2: int, correct: bool = True) -> float:
    """Pearson's chi-square test of equal proportions (R ``prop.test``).

    Parameters
    ----------
    x1, n1
        Responders and patients in the group.
    x2, n2
        Responders and patients in the reference arm.
    correct
        Apply Yates's continuity correction (default, as R), capped as R caps it.

    Returns
    -------
    float
        The p-value; NaN when the statistic is undefined (no responders or no
        non-responders at all).
    """
    x = np.array([x1, x2], float)
    n = np.array([n1, n2], float)
    p = x.sum() / n.sum()
    yates = 0.5 if correct else 0.0
    yates = min(yates, abs(x1 / n1 - x2 / n2) / np.sum(1 / n))
    obs = np.column_stack([x, n - x])
    exp = np.column_stack([n * p, n * (1 - p)])
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.sum((np.abs(obs - exp) - yates) ** 2 / exp)
    return float(stats.chi2.sf(stat, 1)) if np.isfinite(stat) else float("nan")


def woolf_odds_ratio(
    x1: int, n1: int, x2: int, n2: int, level: float
) -> tuple[float, float, float]:
    """Sample odds ratio with Woolf's logit interval (0.5 added to every cell when one is 0).

    Parameters
    ----------
    x1, n1
        Responders and patients in the group.
    x2, n2
        Responders and patients in the reference arm.
    level
        Confidence level of the interval, e.g. 0.95.

    Returns
    -------
    tuple of float
        The odds ratio, then the lower and upper limits.

    References
    ----------
    .. [1] Woolf B (1955). On estimating the relation between blood group and disease. Ann Hum
       Genet 19:251-253.
    """
    cells = np.array([x1, n1 - x1, x2, n2 - x2], float)
    if np.any(cells == 0):
        cells += 0.5
    a, b, c, d = cells
    log_or = np.log(a * d / (b * c))
    se = np.sqrt(np.sum(1 / cells))
    z = z_value(level)
    return float(np.exp(log_or)), float(np.exp(log_or - z * se)), float(np.exp(log_or + z * se))


def risk_ratio(x1: int, n1: int, x2: int, n2: int, level: float) -> tuple[float, float, float]:
    """Relative risk p1/p2 with the log (Katz) interval; undefined with no responders.

    Parameters
    ----------
    x1, n1
        Responders and patients in the group.
    x2, n2
        Responders and patients in the reference arm.
    level
        Confidence level of the interval, e.g. 0.95.

    Returns
    -------
    tuple of float
        The risk ratio, then the lower and upper limits; the limits are NaN when either
        group has no responder (and the ratio too when the reference has none).

    References
    ----------
    .. [1] Katz D, Baptista J, Azen SP, Pike MC (1978). Obtaining confidence intervals for the
       risk ratio in cohort studies. Biometrics 34:469-474.
    """
    if x1 == 0 or x2 == 0:
        return (x1 / n1) / (x2 / n2) if x2 else float("nan"), float("nan"), float("nan")
    rr = (x1 / n1) / (x2 / n2)
    se = np.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    z = z_value(level)
    return float(rr), float(rr * np.exp(-z * se)), float(rr * np.exp(z * se))


def zero_margin(x1: int, n1: int, x2: int, n2: int) -> bool:
    """Whether the 2 x 2 table has a zero margin (no responders, or no non-responders, at all):
    then x1 is fixed by the margins and no odds ratio can be estimated.

    Parameters
    ----------
    x1, n1
        Responders and patients in the group.
    x2, n2
        Responders and patients in the reference arm.

    Returns
    -------
    bool
        True when the conditional distribution of x1 has a single point.
    """
    h = _Conditional(x1, n1, x2, n2)
    return bool(h.lo == h.hi)
