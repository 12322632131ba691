"""Response rates: binomial proportions with confidence intervals and exact tests.

Intervals for x responders out of n, at level 1 - alpha, z = Phi^-1(1 - alpha/2):

* ``clopper-pearson`` (exact; R ``binom.test``): Beta(alpha/2; x, n - x + 1) to
  Beta(1 - alpha/2; x + 1, n - x) (Clopper & Pearson 1934, Biometrika 26:404-413);
* ``wilson`` (score; R ``prop.test(correct = FALSE)``; Wilson 1927, JASA 22:209-212);
* ``wilson-cc`` (score with continuity correction 1/(2n); the interval of
  ``prop.test(correct = TRUE)``; Newcombe 1998, Stat Med 17:857-872, method 4);
* ``jeffreys``: Beta(alpha/2; x + 1/2, n - x + 1/2) to Beta(1 - alpha/2; ...) (Brown, Cai &
  DasGupta 2001, Stat Sci 16:101-133);
* ``agresti-coull``: Wald interval around (x + z^2/2)/(n + z^2) with n + z^2 trials (Agresti &
  Coull 1998, Am Stat 52:119-126);
* ``mid-p``: the exact interval with half the probability of the observed count (Berry &
  Armitage 1995, The Statistician 44:417-423);
* ``wald``: x/n +- z sqrt(p(1-p)/n); allowed, with a warning when it is unreliable.

Boundary conventions: every interval is clipped to [0, 1]; at x = 0 the Clopper-Pearson,
Jeffreys and mid-p lower limits are exactly 0, and at x = n their upper limits exactly 1 (the
``binom`` package's conventions); Wilson limits are computed from their formula and so are 0 or
1 up to rounding there; the Wald interval is degenerate (a single point) at x = 0 and x = n.
The exact test is R ``binom.test``: two-sided p-values add the probabilities of all counts no
more likely than the observed one (relative tolerance 1e-7).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
from scipy import optimize, stats

from survstat.errors import OptionError, SurvstatWarning, check_choice
from survstat.estimators._confint import z_value

ALTERNATIVES = ("two-sided", "greater", "less")


def _clopper_pearson(x, n, level):
    a = (1.0 - level) / 2.0
    with np.errstate(invalid="ignore"):
        lo = np.where(x == 0, 0.0, stats.beta.ppf(a, x, n - x + 1))
        hi = np.where(x == n, 1.0, stats.beta.ppf(1 - a, x + 1, n - x))
    return lo, hi


def _wilson_core(x, n, level, yates):
    z = z_value(level)
    est = x / n
    z22n = z**2 / (2 * n)
    up_c = est + yates / n
    lo_c = est - yates / n
    with np.errstate(invalid="ignore"):
        up = (up_c + z22n + z * np.sqrt(up_c * (1 - up_c) / n + z22n / (2 * n))) / (1 + 2 * z22n)
        lo = (lo_c + z22n - z * np.sqrt(lo_c * (1 - lo_c) / n + z22n / (2 * n))) / (1 + 2 * z22n)
    return np.where(lo_c <= 0, 0.0, lo), np.where(up_c >= 1, 1.0, up)


def _wilson(x, n, level):
    return _wilson_core(x, n, level, 0.0)


def _wilson_cc(x, n, level):
    return _wilson_core(x, n, level, 0.5)


def _jeffreys(x, n, level):
    a = (1.0 - level) / 2.0
    lo = np.where(x == 0, 0.0, stats.beta.ppf(a, x + 0.5, n - x + 0.5))
    hi = np.where(x == n, 1.0, stats.beta.ppf(1 - a, x + 0.5, n - x + 0.5))
    return lo, hi


def _agresti_coull(x, n, level):
    z = z_value(level)
    nt = n + z**2
    pt = (x + z**2 / 2) / nt
    half = z * np.sqrt(pt * (1 - pt) / nt)
    return np.maximum(pt - half, 0.0), np.minimum(pt + half, 1.0)


def _wald(x, n, level):
    z = z_value(level)
    p = x / n
    half = z * np.sqrt(p * (1 - p) / n)
    return np.maximum(p - half, 0.0), np.minimum(p + half, 1.0)


def _mid_p_limits(x: float, n: float, a: float) -> tuple[float, float]:
    def upper_tail(p: float) -> float:
        return stats.binom.sf(x, n, p) + 0.5 * stats.binom.pmf(x, n, p) - a

    def lower_tail(p: float) -> float:
        return stats.binom.cdf(x - 1, n, p) + 0.5 * stats.binom.pmf(x, n, p) - a

    tol = {"xtol": 1e-15, "rtol": 4 * np.finfo(float).eps, "maxiter": 500}
    lo = 0.0 if x == 0 else optimize.brentq(upper_tail, 0.0, 1.0, **tol)
    hi = 1.0 if x == n else optimize.brentq(lower_tail, 0.0, 1.0, **tol)
    return lo, hi


def _mid_p(x, n, level):
    a = (1.0 - level) / 2.0
    limits = [_mid_p_limits(xi, ni, a) for xi, ni in zip(x.tolist(), n.tolist(), strict=True)]
    return np.array([lo for lo, _ in limits]), np.array([hi for _, hi in limits])


#: Interval methods by name.
METHODS: dict[str, Callable] = {
    "clopper-pearson": _clopper_pearson,
    "wilson": _wilson,
    "wilson-cc": _wilson_cc,
    "jeffreys": _jeffreys,
    "agresti-coull": _agresti_coull,
    "mid-p": _mid_p,
    "wald": _wald,
}


def binomial_interval(
    x: np.ndarray | int,
    n: np.ndarray | int,
    method: str = "clopper-pearson",
    conf_level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence limits for x responders out of n (arrays allowed); see the module docstring.

    Examples
    --------
    >>> lo, hi = binomial_interval(5, 13)
    >>> round(float(lo), 3), round(float(hi), 3)
    (0.139, 0.684)
    """
    check_choice("method", method, METHODS)
    z_value(conf_level)
    x_a = np.atleast_1d(np.asarray(x, dtype=float))
    n_a = np.atleast_1d(np.asarray(n, dtype=float))
    x_a, n_a = np.broadcast_arrays(x_a, n_a)
    if np.any((n_a <= 0) | (x_a < 0) | (x_a > n_a) | (x_a != np.round(x_a))):
        raise OptionError("need whole numbers 0 <= x <= n with n > 0")
    if method == "wald":
        small = (np.minimum(x_a, n_a - x_a) < 5) | (x_a == 0) | (x_a == n_a)
        if small.any():
            warnings.warn(
                "Wald intervals are unreliable with fewer than 5 responders or non-responders "
                "(and degenerate at 0% or 100%); prefer clopper-pearson or wilson",
                SurvstatWarning,
                stacklevel=3,
            )
    lo, hi = METHODS[method](x_a, n_a, conf_level)
    return np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)


def binomial_test(x: int, n: int, null_rate: float, alternative: str = "two-sided") -> float:
    """Exact binomial test p-value, as R ``binom.test``.

    Examples
    --------
    >>> round(binomial_test(13, 24, 0.23, "greater"), 6)
    0.000917
    """
    check_choice("alternative", alternative, ALTERNATIVES)
    if not 0.0 <= null_rate <= 1.0:
        raise OptionError(f"`null_rate` must lie in [0, 1]; got {null_rate}")
    if alternative == "greater":
        return float(stats.binom.sf(x - 1, n, null_rate))
    if alternative == "less":
        return float(stats.binom.cdf(x, n, null_rate))
    d = stats.binom.pmf(x, n, null_rate)
    m = n * null_rate
    rel_err = 1 + 1e-7
    if x == m:
        return 1.0
    if x < m:
        i = np.arange(int(np.ceil(m)), n + 1)
        y = int(np.sum(stats.binom.pmf(i, n, null_rate) <= d * rel_err))
        p = stats.binom.cdf(x, n, null_rate) + stats.binom.sf(n - y, n, null_rate)
    else:
        i = np.arange(0, int(np.floor(m)) + 1)
        y = int(np.sum(stats.binom.pmf(i, n, null_rate) <= d * rel_err))
        p = stats.binom.cdf(y - 1, n, null_rate) + stats.binom.sf(x - 1, n, null_rate)
    return float(min(1.0, p))


def critical_responders(n: int, null_rate: float, alternative: str, alpha: float) -> int | None:
    """The fewest responders that reject (``greater``, ``two-sided``: on the high side), or the
    most that reject (``less``), at level ``alpha``; None when no count rejects."""
    check_choice("alternative", alternative, ALTERNATIVES)
    counts = range(n + 1)
    if alternative == "less":
        hits = [x for x in counts if binomial_test(x, n, null_rate, "less") <= alpha]
        return max(hits) if hits else None
    hits = [
        x
        for x in counts
        if (alternative == "greater" or x > n * null_rate)
        and binomial_test(x, n, null_rate, alternative) <= alpha
    ]
    return min(hits) if hits else None
