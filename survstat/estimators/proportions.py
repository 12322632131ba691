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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import polars as pl
from scipy import optimize, stats

from survstat._choices import ALTERNATIVES, MISSING, Alternative, Missing, RateMethod
from survstat.data import check_declared_levels
from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    EmptyDataError,
    InvalidValueError,
    MissingValueError,
    OptionError,
    SurvstatWarning,
    check_choice,
    counted,
)
from survstat.estimators._confint import z_value
from survstat.io import scan


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
        return float(stats.binom.sf(x, n, p) + 0.5 * stats.binom.pmf(x, n, p) - a)

    def lower_tail(p: float) -> float:
        return float(stats.binom.cdf(x - 1, n, p) + 0.5 * stats.binom.pmf(x, n, p) - a)

    tol = {"xtol": 1e-15, "rtol": 4 * np.finfo(float).eps, "maxiter": 500}

    def root(f: Callable[[float], float]) -> float:
        # without full_output brentq returns the root alone; scipy's inferred return type
        # also admits the (root, RootResults) pair of full_output=True
        return cast(float, optimize.brentq(f, 0.0, 1.0, **tol))

    lo = 0.0 if x == 0 else root(upper_tail)
    hi = 1.0 if x == n else root(lower_tail)
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
    method: RateMethod = "clopper-pearson",
    conf_level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence limits for x responders out of n (arrays allowed); see the module docstring.

    Parameters
    ----------
    x
        Responders (a count or an array of counts).
    n
        Patients (a count or an array of the same shape as ``x``).
    method
        The interval: ``"clopper-pearson"`` (default, exact), ``"wilson"``, ``"wilson-cc"``,
        ``"jeffreys"``, ``"agresti-coull"``, ``"mid-p"`` or ``"wald"``.
    conf_level
        Confidence level, 0.95 by default.

    Returns
    -------
    tuple of numpy.ndarray
        The lower and upper limits, as 1-D arrays.

    References
    ----------
    .. [1] Clopper CJ, Pearson ES (1934). The use of confidence or fiducial limits illustrated
       in the case of the binomial. Biometrika 26:404-413.
    .. [2] Brown LD, Cai TT, DasGupta A (2001). Interval estimation for a binomial proportion.
       Stat Sci 16:101-133.

    Examples
    --------
    >>> lo, hi = binomial_interval(5, 13)
    >>> round(float(lo[0]), 3), round(float(hi[0]), 3)
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


def binomial_test(
    x: int, n: int, null_rate: float, alternative: Alternative = "two-sided"
) -> float:
    """Exact binomial test p-value, as R ``binom.test``.

    Parameters
    ----------
    x
        Responders.
    n
        Patients.
    null_rate
        The response rate under the null hypothesis.
    alternative
        ``"two-sided"`` (default), ``"greater"`` or ``"less"``.

    Returns
    -------
    float
        The p-value.

    Examples
    --------
    >>> round(binomial_test(13, 24, 0.23, "greater"), 6)
    0.000916
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


def critical_responders(
    n: int, null_rate: float, alternative: Alternative, alpha: float
) -> int | None:
    """The fewest responders that reject (``greater``, ``two-sided``: on the high side), or the
    most that reject (``less``), at level ``alpha``; None when no count rejects.

    Parameters
    ----------
    n
        Patients.
    null_rate
        The response rate under the null hypothesis.
    alternative
        ``"two-sided"``, ``"greater"`` or ``"less"``.
    alpha
        The significance level.

    Returns
    -------
    int or None
        The critical number of responders, or None.
    """
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


@dataclass(frozen=True, slots=True)
class ProportionResult:
    """Response rates per group.

    Attributes
    ----------
    table
        One row per group: the ``by`` columns, then ``n, n_responders, rate, conf_low,
        conf_high, method``; with a null rate also ``p_value, null_rate, alternative,
        critical_responders``; always ``n_missing, missing_as`` last (``missing_as`` says whether
        missing responses were counted as non-responders or excluded from n).
    """

    table: pl.DataFrame
    method: RateMethod
    conf_level: float


def _indicator(frame: pl.LazyFrame, schema: pl.Schema, response: str, responders) -> pl.Expr:
    """Expression giving 1 for a responder, 0 otherwise, null for a missing response."""
    dtype = schema[response]
    col = pl.col(response)
    if responders is not None:
        values = [str(v) for v in responders]
        present = set(
            frame.select(col.cast(pl.String).unique()).collect().get_column(response).to_list()
        )
        if not present & set(values):
            warnings.warn(
                f"none of the responder values {list(responders)} occurs in `{response}`",
                SurvstatWarning,
                stacklevel=4,
            )
        hit = col.cast(pl.String).is_in(values).cast(pl.Int64)
        return pl.when(col.is_null()).then(None).otherwise(hit).alias("__resp")
    if dtype == pl.Boolean:
        return col.cast(pl.Int64).alias("__resp")
    if not dtype.is_numeric():
        raise ColumnTypeError(
            f"`{response}` holds {dtype} values: give the responder values "
            "(e.g. responder_values=['CR', 'PR'])"
        )
    bad = (
        frame.select(col.filter(col.is_not_null() & (col != 0) & (col != 1)))
        .collect()
        .get_column(response)
    )
    if bad.len():
        listed = ", ".join(str(v) for v in bad.unique(maintain_order=True).head(5).to_list())
        raise InvalidValueError(
            f"`{response}` must be 0/1 or true/false unless responder values are given; found "
            f"{counted(bad.len(), 'other value')} (values: {listed})"
        )
    return col.cast(pl.Int64).alias("__resp")


def _counts(
    data: Any, response: str, responder_values: Sequence[Any] | None, groups: list[str]
) -> pl.DataFrame:
    """Rows, missing responses and responders per group (``__rows, n_missing,
    n_responders`` after the group columns), sorted by group; the columns checked first."""
    frame, _ = scan(data)
    schema = frame.collect_schema()
    for role, col in [("response", response)] + [("by", g) for g in groups]:
        if col not in schema:
            raise ColumnNotFoundError(col, schema.names(), role=role)
    for g in groups:
        n_null = frame.select(pl.col(g).null_count()).collect().item()
        if n_null:
            raise MissingValueError(
                f"`{g}` must not be missing; found {counted(n_null, 'missing value')}"
            )
        check_declared_levels(frame, g, schema[g])
    resp = _indicator(frame, schema, response, responder_values)
    return (
        frame.with_columns(resp)
        .group_by(groups or [pl.lit(0).alias("__all")])
        .agg(
            pl.len().alias("__rows"),
            pl.col("__resp").null_count().alias("n_missing"),
            pl.col("__resp").sum().alias("n_responders"),
        )
        .sort(groups or "__all")
        .collect()
    )


def proportion(
    data: Any,
    *,
    response: str,
    responder_values: Sequence[Any] | None = None,
    by: str | Sequence[str] | None = None,
    method: RateMethod = "clopper-pearson",
    conf_level: float = 0.95,
    null_rate: float | None = None,
    alternative: Alternative = "two-sided",
    missing: Missing = "nonresponder",
) -> ProportionResult:
    """Response rate with a confidence interval per group, and an exact test against a rate.

    Parameters
    ----------
    data
        A polars/pyarrow/pandas frame or a Parquet path.
    response
        A 0/1 or boolean column, or any column together with ``responder_values``.
    responder_values
        The values that count as a response (e.g. best overall response in CR, PR).
    by
        Group column(s).
    method, conf_level
        Interval method (see :data:`METHODS`) and level.
    null_rate, alternative
        Test H0: rate = null_rate with R ``binom.test``; ``greater`` asks whether the rate is
        higher (e.g. than the 23% expected on a standard treatment). ``alternative`` is for
        that test only: ``greater`` or ``less`` without a ``null_rate`` is an error.
    missing
        ``"nonresponder"`` (intention to treat, default): missing responses count in n as
        non-responders; ``"exclude"``: they are left out of n.

    Returns
    -------
    ProportionResult
        One row per group: responders, evaluable patients, the rate with its interval and,
        with ``null_rate``, the exact binomial test.

    References
    ----------
    .. [1] Clopper CJ, Pearson ES (1934). The use of confidence or fiducial limits illustrated
       in the case of the binomial. Biometrika 26:404-413.
    .. [2] Brown LD, Cai TT, DasGupta A (2001). Interval estimation for a binomial proportion.
       Stat Sci 16:101-133.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"mr45": [1] * 13 + [0] * 11})
    >>> t = proportion(df, response="mr45", null_rate=0.23, alternative="greater").table
    >>> t.select("n", "n_responders", "critical_responders").row(0)
    (24, 13, 10)
    """
    check_choice("method", method, METHODS)
    check_choice("alternative", alternative, ALTERNATIVES)
    check_choice("missing", missing, MISSING)
    z_value(conf_level)
    level = float(conf_level)
    if null_rate is not None and not (0.0 <= float(null_rate) <= 1.0):
        raise OptionError(f"`null_rate` must lie in [0, 1]; got {null_rate}")
    if null_rate is None and alternative != "two-sided":
        raise OptionError(
            f"alternative={alternative!r} is the direction of the test against `null_rate`; "
            "give null_rate= (without it there is no test and the option would be ignored)"
        )
    groups = [by] if isinstance(by, str) else list(by or [])
    agg = _counts(data, response, responder_values, groups)
    if agg.height == 0:
        raise EmptyDataError("the data has no rows")
    rows = agg.get_column("__rows").to_numpy()
    n_missing = agg.get_column("n_missing").to_numpy()
    n = rows - n_missing if missing == "exclude" else rows
    x = agg.get_column("n_responders").fill_null(0).to_numpy()
    if np.any(n == 0):
        raise EmptyDataError("a group has no evaluable responses (all missing and excluded)")
    lo, hi = binomial_interval(x, n, method, level)
    cols: dict[str, Any] = {
        "n": n.astype(np.int64),
        "n_responders": x.astype(np.int64),
        "rate": x / n,
        "conf_low": lo,
        "conf_high": hi,
        "method": [method] * len(n),
    }
    if null_rate is not None:
        cols["p_value"] = [
            binomial_test(int(a), int(b), float(null_rate), alternative)
            for a, b in zip(x, n, strict=True)
        ]
        cols["null_rate"] = [float(null_rate)] * len(n)
        cols["alternative"] = [alternative] * len(n)
        crit = [critical_responders(int(b), float(null_rate), alternative, 1 - level) for b in n]
        cols["critical_responders"] = pl.Series(crit, dtype=pl.Int64)
    cols["n_missing"] = n_missing.astype(np.int64)
    cols["missing_as"] = [missing] * len(n)
    body = pl.DataFrame(cols)
    table = pl.concat([agg.select(groups), body], how="horizontal") if groups else body
    return ProportionResult(table=table, method=method, conf_level=level)
