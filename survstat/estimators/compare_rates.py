"""Comparing response rates between two arms (2 x 2 tables).

For x1/n1 responders in a group and x2/n2 in the reference arm:

* difference p1 - p2 with Newcombe's hybrid score interval (default; Newcombe 1998, Stat Med
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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import polars as pl
from scipy import optimize, special, stats

from survstat._choices import (
    Alternative,
    DifferenceMethod,
    MantelHaenszelVariance,
    Missing,
    OddsRatioMethod,
    RateTest,
)
from survstat.errors import EstimationError, InvalidValueError, OptionError, check_choice
from survstat.estimators._confint import z_value
from survstat.estimators.proportions import binomial_interval, proportion

_TOL = {"xtol": 1e-300, "rtol": 4 * np.finfo(float).eps, "maxiter": 1000}


def newcombe_interval(x1: int, n1: int, x2: int, n2: int, level: float) -> tuple[float, float]:
    """Newcombe's hybrid score interval for p1 - p2 (method 10)."""
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
    """Miettinen-Nurminen score interval for p1 - p2."""
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
    """Conditional MLE of the odds ratio and its exact interval (R ``fisher.test``)."""
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
    """Fisher's exact test p-value (R ``fisher.test``)."""
    h = _Conditional(x1, n1, x2, n2)
    if alternative == "greater":
        return h.tail(1.0, upper=True)
    if alternative == "less":
        return h.tail(1.0, upper=False)
    d = h.density(1.0)
    observed = d[h.support == h.x][0]
    return float(min(1.0, d[d <= observed * (1 + 1e-7)].sum()))


def chi_square_p_value(x1: int, n1: int, x2: int, n2: int, correct: bool = True) -> float:
    """Pearson's chi-square test of equal proportions (R ``prop.test``)."""
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
    """Sample odds ratio with Woolf's logit interval (0.5 added to every cell when one is 0)."""
    cells = np.array([x1, n1 - x1, x2, n2 - x2], float)
    if np.any(cells == 0):
        cells += 0.5
    a, b, c, d = cells
    log_or = np.log(a * d / (b * c))
    se = np.sqrt(np.sum(1 / cells))
    z = z_value(level)
    return float(np.exp(log_or)), float(np.exp(log_or - z * se)), float(np.exp(log_or + z * se))


def risk_ratio(x1: int, n1: int, x2: int, n2: int, level: float) -> tuple[float, float, float]:
    """Relative risk p1/p2 with the log (Katz) interval; undefined with no responders."""
    if x1 == 0 or x2 == 0:
        return (x1 / n1) / (x2 / n2) if x2 else float("nan"), float("nan"), float("nan")
    rr = (x1 / n1) / (x2 / n2)
    se = np.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    z = z_value(level)
    return float(rr), float(rr * np.exp(-z * se)), float(rr * np.exp(z * se))


def cmh_test(
    strata: Sequence[tuple[int, int, int, int]], correct: bool = True
) -> tuple[float, float]:
    """Cochran-Mantel-Haenszel statistic and p-value for 2 x 2 x K tables (R ``mantelhaen.test``).

    Each stratum is (x1, n1, x2, n2): responders and patients in the group, then the reference.
    """
    t = np.asarray(strata, dtype=float)
    a, n1, c, n2 = t[:, 0], t[:, 1], t[:, 2], t[:, 3]
    big_n = n1 + n2
    m1 = a + c
    m2 = big_n - m1
    delta = np.sum(a - n1 * m1 / big_n)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.where(big_n > 1, n1 * n2 * m1 * m2 / (big_n**2 * (big_n - 1)), 0.0)
    yates = 0.5 if correct and abs(delta) >= 0.5 else 0.0
    if not var.sum() > 0:
        # no stratum varies in both margins: the statistic is 0/0
        return float("nan"), float("nan")
    stat = (abs(delta) - yates) ** 2 / var.sum()
    return float(stat), float(stats.chi2.sf(stat, 1))


def mantel_haenszel_odds_ratio(
    strata: Sequence[tuple[int, int, int, int]], level: float
) -> tuple[float, float, float]:
    """Mantel-Haenszel common odds ratio with the Robins-Breslow-Greenland interval
    (Robins, Breslow & Greenland 1986, Biometrics 42:311-323; R ``mantelhaen.test``)."""
    t = np.asarray(strata, dtype=float)
    a, b, c, d = t[:, 0], t[:, 1] - t[:, 0], t[:, 2], t[:, 3] - t[:, 2]
    big_n = t[:, 1] + t[:, 3]
    r, s = a * d / big_n, b * c / big_n
    p, q = (a + d) / big_n, (b + c) / big_n
    rr, ss = r.sum(), s.sum()
    z = z_value(level)
    # with sum(a d / N) or sum(b c / N) = 0 the estimate is 0, infinite or 0/0 and the
    # interval undefined (NaN here, null in tables)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        odds = rr / ss
        var = (
            np.sum(p * r) / (2 * rr**2)
            + np.sum(p * s + q * r) / (2 * rr * ss)
            + np.sum(q * s) / (2 * ss**2)
        )
        half = z * np.sqrt(var)
        return float(odds), float(np.exp(np.log(odds) - half)), float(np.exp(np.log(odds) + half))


def mantel_haenszel_difference(
    strata: Sequence[tuple[int, int, int, int]],
    level: float,
    variance: MantelHaenszelVariance = "sato",
) -> tuple[float, float, float]:
    """Mantel-Haenszel common risk difference with a Wald interval.

    The estimate is d = sum_k w_k (p1k - p2k) / W with w_k = n1k n2k / N_k and W = sum_k w_k
    (Mantel & Haenszel 1959). ``variance="sato"`` (default) uses Sato's estimator, consistent
    both for many sparse strata and for few large ones (Sato 1989, Biometrics 45:1323-1324;
    SAS PROC FREQ ``COMMONRISKDIFF``; epiR ``ARisk.mh.sato``)::

        Var = (d sum_k P_k + sum_k Q_k) / W^2
        P_k = (n1k^2 c_k - n2k^2 a_k + n1k n2k (n2k - n1k) / 2) / N_k^2
        Q_k = (a_k (n2k - c_k) + c_k (n1k - a_k)) / (2 N_k)

    ``variance="greenland-robins"`` uses Greenland & Robins (1985, Biometrics 41:55-68), valid
    for few large strata: Var = sum_k (a_k b_k n2k^3 + c_k d_k n1k^3) / (n1k n2k N_k^2) / W^2.
    Each stratum is (a, n1, c, n2): responders and patients in the group, then the reference.
    """
    check_choice("variance", variance, ("sato", "greenland-robins"))
    t = np.asarray(strata, dtype=float)
    a, n1, c, n2 = t.T
    big_n = n1 + n2
    w = n1 * n2 / big_n  # every stratum holds both arms, so N > 0 and w > 0
    big_w = w.sum()
    d = float(np.sum(w * (a / n1 - c / n2)) / big_w)
    if variance == "sato":
        p_sum = np.sum((n1**2 * c - n2**2 * a + n1 * n2 * (n2 - n1) / 2) / big_n**2)
        q_sum = np.sum((a * (n2 - c) + c * (n1 - a)) / (2 * big_n))
        var = (d * p_sum + q_sum) / big_w**2
    else:
        b, dd = n1 - a, n2 - c
        var = np.sum((a * b * n2**3 + c * dd * n1**3) / (n1 * n2 * big_n**2)) / big_w**2
    half = z_value(level) * np.sqrt(max(float(var), 0.0))
    return d, d - half, d + half


DIFFERENCE_METHODS = {
    "newcombe": newcombe_interval,
    "miettinen-nurminen": miettinen_nurminen_interval,
}
STRATIFIED_DIFFERENCE_METHODS: dict[str, MantelHaenszelVariance] = {
    "mh-sato": "sato",
    "mh-greenland-robins": "greenland-robins",
}
ODDS_RATIO_METHODS = {"exact": exact_odds_ratio, "woolf": woolf_odds_ratio}
TESTS = ("fisher", "chi-square", "chi-square-uncorrected", "cmh", "cmh-uncorrected")


@dataclass(frozen=True, slots=True)
class ComparisonResult:
    """Each group's response rate compared with a reference group.

    Attributes
    ----------
    table
        One row per non-reference group: the ``by`` column, then ``reference, difference,
        difference_conf_low, difference_conf_high, odds_ratio, odds_ratio_conf_low,
        odds_ratio_conf_high, p_value, test``, then ``difference_method, odds_ratio_method,
        risk_ratio, risk_ratio_conf_low, risk_ratio_conf_high, n, n_responders, reference_n,
        reference_n_responders``.
    rates
        The per-group rates (as :func:`survstat.proportion`).
    """

    table: pl.DataFrame
    rates: pl.DataFrame


def compare_proportions(
    data: Any,
    *,
    response: str,
    by: str,
    reference: Any = None,
    responder_values: Sequence[Any] | None = None,
    missing: Missing = "nonresponder",
    conf_level: float = 0.95,
    difference_method: DifferenceMethod | None = None,
    odds_ratio_method: OddsRatioMethod | None = None,
    test: RateTest | None = None,
    strata: str | Sequence[str] | None = None,
) -> ComparisonResult:
    """Compare each group's response rate with a reference group (2 x 2 tables).

    Parameters
    ----------
    data, response, responder_values, missing
        As in :func:`survstat.proportion`.
    by
        The arm column; ``reference`` is its reference level (default: the first sorted level).
    difference_method
        ``"newcombe"`` (hybrid score, default) or ``"miettinen-nurminen"``; with strata
        ``"mh-sato"`` (default) or ``"mh-greenland-robins"``, the variance behind the Wald
        interval of the Mantel-Haenszel risk difference.
    odds_ratio_method
        ``"exact"`` (conditional MLE and exact interval, as ``fisher.test``; default) or
        ``"woolf"``. With strata the odds ratio is always Mantel-Haenszel's, so giving this is
        an error there. The exact odds ratio and its limits are null when the table has a zero
        margin (no responders at all, or no non-responders), where the conditional likelihood
        carries no information, and an infinite estimate or limit is null.
    test
        ``"fisher"`` (default), ``"chi-square"`` (Yates-corrected, as ``prop.test``) or
        ``"chi-square-uncorrected"``; with strata ``"cmh"`` (default, continuity-corrected as
        ``mantelhaen.test``) or ``"cmh-uncorrected"``.
    strata
        Stratification column(s): the test is Cochran-Mantel-Haenszel, the odds ratio the
        Mantel-Haenszel common odds ratio (Robins-Breslow-Greenland interval) and the difference
        the Mantel-Haenszel risk difference (Sato or Greenland-Robins interval). The risk
        ratio stays the crude (unstratified) one.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"r": [1] * 13 + [0] * 11 + [1] * 5 + [0] * 17,
    ...                    "arm": ["new"] * 24 + ["ctl"] * 22})
    >>> t = compare_proportions(df, response="r", by="arm", reference="ctl").table
    >>> round(t.get_column("p_value").item(), 4)
    0.038
    """
    strata_cols = [strata] if isinstance(strata, str) else list(strata or [])
    if strata_cols and odds_ratio_method is not None:
        raise OptionError(
            "with strata the odds ratio is the Mantel-Haenszel common odds ratio; "
            f"odds_ratio_method={odds_ratio_method!r} would be ignored"
        )
    odds_ratio_method = odds_ratio_method or "exact"
    or_fn = ODDS_RATIO_METHODS[
        check_choice("odds_ratio_method", odds_ratio_method, ODDS_RATIO_METHODS)
    ]
    if by in strata_cols:
        raise OptionError(f"`{by}` cannot be both the arm and a stratum")
    if test is None:
        test = "cmh" if strata_cols else "fisher"
    check_choice("test", test, TESTS)
    if strata_cols and not test.startswith("cmh"):
        raise OptionError("with strata the test is `cmh` or `cmh-uncorrected`")
    if not strata_cols and test.startswith("cmh"):
        raise OptionError("the CMH test needs `strata`")
    if strata_cols:
        difference_method = difference_method or "mh-sato"
        check_choice("difference_method", difference_method, STRATIFIED_DIFFERENCE_METHODS)
    else:
        difference_method = difference_method or "newcombe"
        check_choice("difference_method", difference_method, DIFFERENCE_METHODS)
    rates = proportion(
        data,
        response=response,
        responder_values=responder_values,
        by=by,
        missing=missing,
        conf_level=conf_level,
    ).table
    levels = rates.get_column(by).to_list()
    if len(levels) < 2:
        raise InvalidValueError(f"`{by}` has a single group; nothing to compare")
    ref = levels[0] if reference is None else reference
    matches = [lvl for lvl in levels if str(lvl) == str(ref)]
    if not matches:
        raise OptionError(f"reference level {ref!r} not found in `{by}`; levels: {levels}")
    ref = matches[0]
    cells = None
    if strata_cols:
        cells = proportion(
            data,
            response=response,
            responder_values=responder_values,
            by=[*strata_cols, by],
            missing=missing,
        ).table
    ref_row = rates.filter(pl.col(by) == ref).row(0, named=True)
    x2, n2 = int(ref_row["n_responders"]), int(ref_row["n"])
    rows = []
    for row in rates.filter(pl.col(by) != ref).iter_rows(named=True):
        x1, n1 = int(row["n_responders"]), int(row["n"])
        rr, rr_lo, rr_hi = risk_ratio(x1, n1, x2, n2, conf_level)
        if cells is not None:
            tables = _strata_tables(cells, strata_cols, by, row[by], ref)
            mh_variance = STRATIFIED_DIFFERENCE_METHODS[difference_method]
            difference, lo, hi = mantel_haenszel_difference(tables, conf_level, mh_variance)
            odds, or_lo, or_hi = mantel_haenszel_odds_ratio(tables, conf_level)
            p = cmh_test(tables, correct=test == "cmh")[1]
            diff_label, or_label = difference_method, "mantel-haenszel"
        else:
            difference = x1 / n1 - x2 / n2
            lo, hi = DIFFERENCE_METHODS[difference_method](x1, n1, x2, n2, conf_level)
            odds, or_lo, or_hi = or_fn(x1, n1, x2, n2, conf_level)
            if odds_ratio_method == "exact" and _degenerate(x1, n1, x2, n2):
                # a zero margin: the conditional likelihood is flat in the odds ratio
                odds, or_lo, or_hi = float("nan"), float("nan"), float("nan")
            if test == "fisher":
                p = fisher_p_value(x1, n1, x2, n2)
            else:
                p = chi_square_p_value(x1, n1, x2, n2, correct=test == "chi-square")
            diff_label, or_label = difference_method, odds_ratio_method
        rows.append(
            {
                by: row[by],
                "reference": ref,
                "difference": difference,
                "difference_conf_low": lo,
                "difference_conf_high": hi,
                "odds_ratio": odds,
                "odds_ratio_conf_low": or_lo,
                "odds_ratio_conf_high": or_hi,
                "p_value": p,
                "test": test,
                "difference_method": diff_label,
                "odds_ratio_method": or_label,
                "risk_ratio": rr,
                "risk_ratio_conf_low": rr_lo,
                "risk_ratio_conf_high": rr_hi,
                "n": n1,
                "n_responders": x1,
                "reference_n": n2,
                "reference_n_responders": x2,
            }
        )
    table = pl.DataFrame(
        rows, schema_overrides={by: rates.schema[by], "reference": rates.schema[by]}
    )
    # undefined (NaN) and unbounded (an odds ratio or limit of inf) values are null
    finite = [
        pl.when(pl.col(c).is_finite()).then(pl.col(c)).otherwise(None).alias(c)
        for c, t in table.schema.items()
        if t == pl.Float64
    ]
    return ComparisonResult(table=table.with_columns(finite), rates=rates)


def _degenerate(x1: int, n1: int, x2: int, n2: int) -> bool:
    """Whether the 2 x 2 table has a zero margin (no responders, or no non-responders, at all):
    then x1 is fixed by the margins and no odds ratio can be estimated."""
    h = _Conditional(x1, n1, x2, n2)
    return bool(h.lo == h.hi)


def _strata_tables(
    cells: pl.DataFrame, strata: list[str], by: str, group: Any, ref: Any
) -> list[tuple[int, int, int, int]]:
    """(x1, n1, x2, n2) per stratum holding both the group and the reference."""
    both = cells.filter(pl.col(by).is_in([group, ref]))
    tables = []
    for _, part in both.group_by(strata, maintain_order=True):
        g = part.filter(pl.col(by) == group)
        r = part.filter(pl.col(by) == ref)
        if g.height and r.height:
            tables.append(
                (
                    int(g.get_column("n_responders").item()),
                    int(g.get_column("n").item()),
                    int(r.get_column("n_responders").item()),
                    int(r.get_column("n").item()),
                )
            )
    if not tables:
        raise EstimationError(f"no stratum holds both {group!r} and the reference {ref!r}")
    return tables
