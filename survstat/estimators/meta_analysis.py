"""Meta-analysis of two-arm binary outcomes across trials (R ``metafor``: ``escalc``,
``rma.mh``, ``rma``).

Each trial contributes its events and patients per arm. Its effect y_i and sampling variance
v_i are ``escalc``'s: the log odds ratio (v = 1/a + 1/b + 1/c + 1/d), the log risk ratio
(v = 1/a - 1/n1 + 1/c - 1/n2) or the risk difference (v = p1 q1 / n1 + p2 q2 / n2), with 1/2
added to every cell of a trial that has a zero cell (``add = 1/2, to = "only0"``). Pooled:

- **Mantel–Haenszel** (fixed effect, ``rma.mh``), from the counts: the odds ratio with the
  Robins–Breslow–Greenland (1986) variance, the risk ratio with Greenland & Robins' (1985), the
  risk difference with Sato, Greenland & Robins' (1989); its heterogeneity Q uses the trials'
  y_i, v_i without the trials with no event in either arm (``drop00 = TRUE``).
- **Inverse variance** (fixed effect, ``rma(method = "EE")``).
- **Random effects** (``rma(method = "DL")``, ``rma(method = "REML")``): DerSimonian & Laird's
  (1986) moment estimate of the between-trial variance tau^2, or the restricted maximum
  likelihood estimate (Viechtbauer 2005), both truncated at 0; weights 1 / (v_i + tau^2);
  with the Hartung–Knapp(–Sidik–Jonkman) adjustment (``test = "knha"``) the variance is scaled
  by sum w (y - mu)^2 / (k - 1) and the interval and test use t with k - 1 degrees of freedom.
  I^2 = tau^2 / (tau^2 + s^2) with the typical within-trial variance
  s^2 = (k - 1) / (sum w - sum w^2 / sum w), H^2 = tau^2 / s^2 + 1 (Higgins & Thompson 2002),
  and the prediction interval mu ± crit sqrt(se^2 + tau^2) (``predict.rma``).

Ratios are reported on their own scale (exp of the log estimate).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import polars as pl
from scipy import optimize, stats

from survstat._choices import META_MEASURES, MetaMeasure
from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidValueError,
    MissingValueError,
    OptionError,
    check_choice,
    counted,
)
from survstat.estimators._confint import z_value
from survstat.io import FrameLike, scan

#: Columns of :attr:`MetaAnalysisResult.pooled`.
POOLED_COLUMNS = (
    "model",
    "method",
    "k",
    "estimate",
    "conf_low",
    "conf_high",
    "statistic",
    "df",
    "p_value",
    "pi_low",
    "pi_high",
    "tau2",
    "i2",
    "h2",
    "q",
    "q_df",
    "q_p_value",
)
#: Columns of :attr:`MetaAnalysisResult.studies` after the study column.
STUDY_COLUMNS = (
    "events_treatment",
    "n_treatment",
    "events_control",
    "n_control",
    "yi",
    "vi",
    "estimate",
    "conf_low",
    "conf_high",
    "weight_fixed",
    "weight_random",
)


@dataclass(frozen=True, slots=True)
class MetaAnalysisResult:
    """A meta-analysis of two-arm binary outcomes (:func:`meta_analysis`).

    Attributes
    ----------
    studies
        One row per trial: the study column, its counts, ``yi, vi`` (the log ratio or the
        difference and its variance, as ``escalc``), ``estimate, conf_low, conf_high`` on the
        measure's scale, and its percentage weights in the inverse-variance fixed-effect and
        the REML random-effects models.
    pooled
        One row per method (:data:`POOLED_COLUMNS`): Mantel–Haenszel, inverse variance,
        DerSimonian–Laird and REML, the last two also with the Hartung–Knapp adjustment;
        ``statistic`` is z (t with Hartung–Knapp, with ``df``); the prediction interval only
        for the random-effects models; ``q`` is Cochran's heterogeneity statistic.
    measure
        ``OR``, ``RR`` or ``RD``.
    """

    studies: pl.DataFrame
    pooled: pl.DataFrame
    measure: MetaMeasure
    conf_level: float


def _counts(frame: pl.DataFrame, columns: dict[str, str]) -> dict[str, np.ndarray]:
    out = {}
    for role, col in columns.items():
        series = frame.get_column(col)
        if not series.dtype.is_numeric():
            raise ColumnTypeError(
                f"`{col}` ({role}) must hold numeric counts; found dtype {series.dtype}"
            )
        if series.null_count():
            rows = series.is_null().arg_true()
            raise MissingValueError(
                f"`{col}` ({role}) has {counted(len(rows), 'missing value')} (first at row "
                f"{rows[0]}); "
                "every trial needs its counts"
            )
        values = series.cast(pl.Float64).to_numpy()
        bad = np.flatnonzero((values < 0) | (values != np.round(values)) | ~np.isfinite(values))
        if bad.size:
            raise InvalidValueError(
                f"`{col}` ({role}) must hold whole non-negative counts; found "
                f"{counted(bad.size, 'other value')} (first: {values[bad[0]]} at row {bad[0]})"
            )
        out[role] = values
    for events, n in (("events_treatment", "n_treatment"), ("events_control", "n_control")):
        bad = np.flatnonzero((out[events] > out[n]) | (out[n] == 0))
        if bad.size:
            i = bad[0]
            raise InvalidValueError(
                f"`{columns[events]}` must not exceed `{columns[n]}` (and `{columns[n]}` must be "
                f"positive); found {counted(bad.size, 'row')} (first: {out[events][i]:g} of "
                f"{out[n][i]:g} at row {i})"
            )
    return out


def effect_sizes(
    a: np.ndarray, n1: np.ndarray, c: np.ndarray, n2: np.ndarray, measure: MetaMeasure
) -> tuple[np.ndarray, np.ndarray]:
    """Each trial's effect and sampling variance, as R ``metafor::escalc`` with its defaults
    (1/2 added to every cell of a trial with a zero cell).

    Parameters
    ----------
    a, n1, c, n2
        Events and patients in the treatment and the control arm.
    measure
        ``OR`` (log odds ratio), ``RR`` (log risk ratio) or ``RD`` (risk difference).

    Returns
    -------
    tuple of numpy.ndarray
        y_i and v_i.
    """
    b, d = n1 - a, n2 - c
    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    add = np.where(zero, 0.5, 0.0)
    a, b, c, d = a + add, b + add, c + add, d + add
    n1, n2 = a + b, c + d
    if measure == "OR":
        return np.log(a * d / (b * c)), 1 / a + 1 / b + 1 / c + 1 / d
    if measure == "RR":
        return np.log((a / n1) / (c / n2)), 1 / a - 1 / n1 + 1 / c - 1 / n2
    p1, p2 = a / n1, c / n2
    return p1 - p2, p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2


def _mantel_haenszel(
    a: np.ndarray, n1: np.ndarray, c: np.ndarray, n2: np.ndarray, measure: MetaMeasure
) -> tuple[float | None, float | None]:
    """The Mantel–Haenszel estimate (log scale for ratios) and its standard error (R
    ``rma.mh``); None when undefined (no events in an arm across all trials, or no events,
    or only events, anywhere)."""
    b, d = n1 - a, n2 - c
    n = n1 + n2
    if (a + c).sum() == 0 or (b + d).sum() == 0:
        return None, None  # no trial has an event (or a non-event) in either arm
    if measure == "OR":
        p, q = (a + d) / n, (b + c) / n
        r, s = a * d / n, b * c / n
        big_r, big_s = r.sum(), s.sum()
        if big_r == 0 or big_s == 0:
            return None, None
        var = 0.5 * (
            np.sum(p * r) / big_r**2
            + np.sum(p * s + q * r) / (big_r * big_s)
            + np.sum(q * s) / big_s**2
        )
        return float(np.log(big_r / big_s)), float(np.sqrt(var))
    if measure == "RR":
        big_r, big_s = np.sum(a * n2 / n), np.sum(c * n1 / n)
        if a.sum() == 0 or c.sum() == 0:
            return None, None
        var = np.sum(n1 / n * (n2 / n) * (a + c) - a / n * c) / (big_r * big_s)
        return float(np.log(big_r / big_s)), float(np.sqrt(var))
    w = np.sum(n1 * (n2 / n))
    beta = float(np.sum(a * (n2 / n) - c * (n1 / n)) / w)
    var = (
        beta * np.sum(c * (n1 / n) ** 2 - a * (n2 / n) ** 2 + (n1 / n) * (n2 / n) * (n2 - n1) / 2)
        + np.sum(a * (n2 - c) / n + c * (n1 - a) / n) / 2
    ) / w**2
    return beta, float(np.sqrt(var))


def _reml_tau2(y: np.ndarray, v: np.ndarray) -> float:
    """The REML estimate of tau^2 for an intercept-only model, truncated at 0: the root of
    the restricted likelihood's derivative (Viechtbauer 2005), to machine precision."""

    def score(tau2: float) -> float:
        w = 1 / (v + tau2)
        mu = np.sum(w * y) / np.sum(w)
        return float(np.sum(w**2 * (y - mu) ** 2) - np.sum(w) + np.sum(w**2) / np.sum(w))

    if score(0.0) <= 0:
        return 0.0
    hi = max(1.0, float(np.var(y)) * 10)
    while score(hi) > 0:
        hi *= 10
    # without full_output brentq returns the root alone (scipy's inferred type also admits
    # the pair of full_output=True)
    tol: Any = {"xtol": 1e-15, "rtol": 1e-15, "maxiter": 500}
    return cast(float, optimize.brentq(score, 0.0, hi, **tol))


def meta_analysis(
    data: FrameLike,
    *,
    events_treatment: str,
    n_treatment: str,
    events_control: str,
    n_control: str,
    study: str | None = None,
    measure: MetaMeasure = "OR",
    conf_level: float = 0.95,
) -> MetaAnalysisResult:
    """Pool a two-arm binary outcome (e.g. pCR) across trials: Mantel–Haenszel and
    inverse-variance fixed effect, DerSimonian–Laird and REML random effects with and without
    the Hartung–Knapp adjustment (R ``metafor``).

    Parameters
    ----------
    data
        One row per trial (frame or path).
    events_treatment, n_treatment, events_control, n_control
        Columns with the events and patients of the treatment and the control arm.
    study
        Column naming the trials (default: their row numbers from 1).
    measure
        ``"OR"`` (odds ratio), ``"RR"`` (risk ratio) or ``"RD"`` (risk difference, treatment
        minus control).
    conf_level
        Level of the intervals.

    Returns
    -------
    MetaAnalysisResult
        The trials' effects and weights and the pooled estimates.

    Raises
    ------
    InvalidValueError
        Counts that are missing, negative, not whole, or events above patients.
    OptionError
        An unknown measure, or fewer than two trials.

    References
    ----------
    .. [1] DerSimonian R, Laird N (1986). Meta-analysis in clinical trials. Control Clin
       Trials 7:177-188.
    .. [2] Hartung J, Knapp G (2001). A refined method for the meta-analysis of controlled
       clinical trials with binary outcome. Stat Med 20:3875-3889.
    .. [3] Higgins JPT, Thompson SG (2002). Quantifying heterogeneity in a meta-analysis. Stat
       Med 21:1539-1558.
    .. [4] Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. J Stat
       Softw 36(3).

    Examples
    --------
    >>> import polars as pl
    >>> import survstat
    >>> trials = pl.DataFrame({"trial": ["A", "B", "C"], "pcr_t": [12, 20, 7],
    ...                        "n_t": [40, 60, 25], "pcr_c": [8, 11, 6], "n_c": [38, 61, 24]})
    >>> ma = survstat.meta_analysis(trials, study="trial", events_treatment="pcr_t",
    ...                             n_treatment="n_t", events_control="pcr_c", n_control="n_c")
    >>> method, odds_ratio = ma.pooled.select("method", "estimate").row(0)
    >>> method, round(odds_ratio, 4)
    ('Mantel-Haenszel', 1.7735)
    """
    check_choice("measure", measure, META_MEASURES)
    z = z_value(conf_level)
    frame = scan(data)[0].collect()
    columns = {
        "events_treatment": events_treatment,
        "n_treatment": n_treatment,
        "events_control": events_control,
        "n_control": n_control,
    }
    names = frame.columns
    for role, col in [*columns.items(), *([("study", study)] if study else [])]:
        if col not in names:
            raise ColumnNotFoundError(col, names, role=role)
    counts = _counts(frame, columns)
    k = frame.height
    if k < 2:
        raise OptionError(f"a meta-analysis needs at least two trials; got {k}")
    a, n1 = counts["events_treatment"], counts["n_treatment"]
    c, n2 = counts["events_control"], counts["n_control"]
    y, v = effect_sizes(a, n1, c, n2, measure)
    ratio = measure != "RD"

    def scale(x: float | None) -> float | None:
        return None if x is None else (float(np.exp(x)) if ratio else float(x))

    rows = []
    # Mantel-Haenszel, with Q over the trials that have an event in some arm
    mh, mh_se = _mantel_haenszel(a, n1, c, n2, measure)
    keep = ((a + c) > 0) & (((n1 - a) + (n2 - c)) > 0)  # rma.mh's drop00
    q_mh = q_mh_p = i2_mh = h2_mh = None
    k_mh = int(keep.sum())
    if mh is not None and k_mh > 1:
        q_mh = max(0.0, float(np.sum((y[keep] - mh) ** 2 / v[keep])))
        q_mh_p = float(stats.chi2.sf(q_mh, k_mh - 1))
        i2_mh = max(0.0, 100 * (q_mh - (k_mh - 1)) / q_mh) if q_mh > 0 else 0.0
        h2_mh = q_mh / (k_mh - 1)
    rows.append(
        _row(
            "fixed",
            "Mantel-Haenszel",
            k,
            mh,
            mh_se,
            z,
            None,
            None,
            0.0,
            i2_mh,
            h2_mh,
            q_mh,
            k_mh - 1 if k_mh > 1 else None,
            q_mh_p,
            scale,
        )
    )
    # inverse variance and the heterogeneity statistics of the fixed weights
    w = 1 / v
    mu_fe = float(np.sum(w * y) / np.sum(w))
    se_fe = float(np.sqrt(1 / np.sum(w)))
    q = max(0.0, float(np.sum(w * (y - mu_fe) ** 2)))
    q_p = float(stats.chi2.sf(q, k - 1))
    i2_fe = max(0.0, 100 * (q - (k - 1)) / q) if q > 0 else 0.0
    rows.append(
        _row(
            "fixed",
            "inverse variance",
            k,
            mu_fe,
            se_fe,
            z,
            None,
            None,
            0.0,
            i2_fe,
            q / (k - 1),
            q,
            k - 1,
            q_p,
            scale,
        )
    )
    typical = (k - 1) / (np.sum(w) - np.sum(w**2) / np.sum(w))
    tau2_dl = max(0.0, (q - (k - 1)) / (np.sum(w) - np.sum(w**2) / np.sum(w)))
    weights_random = None
    for method, tau2 in (("DerSimonian-Laird", tau2_dl), ("REML", _reml_tau2(y, v))):
        wr = 1 / (v + tau2)
        mu = float(np.sum(wr * y) / np.sum(wr))
        se = float(np.sqrt(1 / np.sum(wr)))
        i2 = 100 * tau2 / (typical + tau2)
        h2 = tau2 / typical + 1
        if method == "REML":
            weights_random = wr
        for knha in (False, True):
            se_m, crit, df = se, z, None
            if knha:
                rss = float(np.sum(wr * (y - mu) ** 2))
                s2w = 0.0 if rss <= np.finfo(float).eps else rss / (k - 1)
                se_m = se * np.sqrt(s2w)
                df = k - 1
                crit = float(stats.t.ppf(0.5 + conf_level / 2, df))
            pi = crit * np.sqrt(se_m**2 + tau2)
            label = f"{method} + Hartung-Knapp" if knha else method
            rows.append(
                _row(
                    "random",
                    label,
                    k,
                    mu,
                    se_m,
                    crit,
                    df,
                    (mu - pi, mu + pi),
                    float(tau2),
                    float(i2),
                    float(h2),
                    q,
                    k - 1,
                    q_p,
                    scale,
                )
            )
    pooled = pl.DataFrame(rows, schema=_POOLED_SCHEMA, orient="row")
    labels = (
        frame.get_column(study).cast(pl.String)
        if study
        else pl.Series("study", [str(i + 1) for i in range(k)])
    )
    se_i = np.sqrt(v)
    assert weights_random is not None
    studies = pl.DataFrame(
        {
            study or "study": labels,
            "events_treatment": a.astype(np.int64),
            "n_treatment": n1.astype(np.int64),
            "events_control": c.astype(np.int64),
            "n_control": n2.astype(np.int64),
            "yi": y,
            "vi": v,
            "estimate": np.exp(y) if ratio else y,
            "conf_low": np.exp(y - z * se_i) if ratio else y - z * se_i,
            "conf_high": np.exp(y + z * se_i) if ratio else y + z * se_i,
            "weight_fixed": 100 * w / w.sum(),
            "weight_random": 100 * weights_random / weights_random.sum(),
        }
    )
    return MetaAnalysisResult(studies, pooled, measure, conf_level)


_POOLED_SCHEMA = {
    "model": pl.String,
    "method": pl.String,
    "k": pl.Int64,
    "estimate": pl.Float64,
    "conf_low": pl.Float64,
    "conf_high": pl.Float64,
    "statistic": pl.Float64,
    "df": pl.Int64,
    "p_value": pl.Float64,
    "pi_low": pl.Float64,
    "pi_high": pl.Float64,
    "tau2": pl.Float64,
    "i2": pl.Float64,
    "h2": pl.Float64,
    "q": pl.Float64,
    "q_df": pl.Int64,
    "q_p_value": pl.Float64,
}


def _row(
    model: str,
    method: str,
    k: int,
    est: float | None,
    se: float | None,
    crit: float,
    df: int | None,
    pi: tuple[float, float] | None,
    tau2: float,
    i2: float | None,
    h2: float | None,
    q: float | None,
    q_df: int | None,
    q_p: float | None,
    scale,
) -> tuple:
    """One pooled row; the estimate and limits on the measure's scale; the test z (or t with
    ``df``)."""
    if est is None or se is None:
        return (
            model,
            method,
            k,
            None,
            None,
            None,
            None,
            df,
            None,
            None,
            None,
            tau2,
            i2,
            h2,
            q,
            q_df,
            q_p,
        )
    stat = est / se if se > 0 else None
    if stat is None:
        p = None
    elif df is None:
        p = float(2 * stats.norm.sf(abs(stat)))
    else:
        p = float(2 * stats.t.sf(abs(stat), df))
    low, high = scale(est - crit * se), scale(est + crit * se)
    pi_low = pi_high = None
    if pi is not None:
        pi_low, pi_high = scale(pi[0]), scale(pi[1])
    return (
        model,
        method,
        k,
        scale(est),
        low,
        high,
        stat,
        df,
        p,
        pi_low,
        pi_high,
        tau2,
        i2,
        h2,
        q,
        q_df,
        q_p,
    )


__all__ = [
    "POOLED_COLUMNS",
    "STUDY_COLUMNS",
    "MetaAnalysisResult",
    "effect_sizes",
    "meta_analysis",
]
