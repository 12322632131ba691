"""A cut-point for a continuous biomarker by maximally selected log-rank statistics (R
``maxstat::maxstat.test(Surv(time, event) ~ marker, smethod = "LogRank")``).

Every split "marker <= c" against "marker > c" with between ``minprop`` and ``maxprop`` of the
patients in the lower group is scored by the standardised linear rank statistic of the
log-rank scores a_i = d_i - sum_{j: t_j <= t_i} d_j / (N - r_j + 1) (r: the number of times
<= t_j), with its permutation mean and variance (Lausen & Schumacher 1992):

    S_m = sum_{i <= m} a_(i),   E_m = m / N sum a,
    V_m = m (N - m) / (N^2 (N - 1)) (N sum a^2 - (sum a)^2),

and the cut-point is the first c maximising M = |S_m - E_m| / sqrt(V_m). Because the best of
many splits is chosen, the naive p-value of M is far too small; the adjusted p-values are
Lausen & Schumacher's (1992) approximation, ``Lau92``:

    p = 4 phi(b) / b + phi(b) (b - 1/b) log(maxprop (1 - minprop) / ((1 - maxprop) minprop)),

and the improved Bonferroni bound of Lausen, Sauerbrei & Schumacher (1994), ``Lau94``, over
the split sizes actually available. A cut-point chosen from the data overstates the
separation it gives; it needs validation in independent data (Altman et al. 1994, J Natl
Cancer Inst 86:829-835), which every result says.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from survstat._choices import CUTPOINT_P_VALUES, ConfType, CutpointPValue
from survstat.data import SurvivalData, as_survival_data
from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    EstimationError,
    InvalidValueError,
    OptionError,
    check_choice,
)
from survstat.io import FrameLike

#: The caution every cut-point result carries.
VALIDATION_NOTE = (
    "data-driven cut-point: the separation it gives is overstated; validate it in independent "
    "data before use"
)
#: Columns of :attr:`CutpointResult.table`.
CUTPOINT_COLUMNS = (
    "marker",
    "cutpoint",
    "statistic",
    "p_value",
    "p_method",
    "n_low",
    "n_high",
    "minprop",
    "maxprop",
    "hazard_ratio",
    "conf_low",
    "conf_high",
    "note",
)
#: The group column of the dichotomised marker and its two levels.
GROUP_COLUMN = "marker_group"
LOW, HIGH = "low", "high"
#: The group column's type: low first, so that models take it as the reference level.
GROUP_LEVELS = pl.Enum([LOW, HIGH])


@dataclass(frozen=True, slots=True)
class CutpointResult:
    """A maximally selected log-rank cut-point (:func:`cutpoint`).

    Attributes
    ----------
    table
        One row (:data:`CUTPOINT_COLUMNS`): the cut-point c (low: marker <= c), the maximal
        standardised statistic M, its adjusted p-value and method, the group sizes, the
        proportions searched, the Cox hazard ratio of high against low with its interval (null,
        with the reason first in the note, when the split leaves it undefined), and
        :data:`VALIDATION_NOTE`.
    statistics
        One row per split searched: ``cutpoint, n_low, statistic`` (R ``maxstat``'s ``cuts``
        and ``stats``), for a plot of the statistic against the marker.
    groups
        One row per group (``low``, ``high``): ``marker_group, n, n_event, median, conf_low,
        conf_high`` (Kaplan–Meier).
    km
        The Kaplan–Meier result by group (for a figure).
    """

    table: pl.DataFrame
    statistics: pl.DataFrame
    groups: pl.DataFrame
    km: Any = field(repr=False, default=None)


def logrank_scores(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """The log-rank (Savage) scores of right-censored data, as R ``exactRankTests::cscores``
    computes them for a ``Surv`` object.

    Parameters
    ----------
    time
        Follow-up times.
    event
        0/1 event indicators.

    Returns
    -------
    numpy.ndarray
        a_i = d_i - sum over records j with t_j <= t_i of d_j / (N - r_j + 1), where r_j is
        the number of records with time <= t_j (ties share the largest rank).
    """
    n = len(time)
    order = np.argsort(time, kind="stable")
    sorted_t = time[order]
    # the number of records with time <= t, for each record
    rank = np.searchsorted(sorted_t, time, side="right")
    fact = event / (n - rank + 1.0)
    cum = np.cumsum(fact[order])
    return event - cum[rank - 1]


def p_lausen92(b: float, minprop: float, maxprop: float) -> float:
    """Lausen & Schumacher's (1992) approximate p-value of a maximally selected statistic b
    (R ``maxstat::pLausen92``, with its correction for b < 1: p = 1).

    Parameters
    ----------
    b
        The maximal standardised statistic.
    minprop, maxprop
        The range of proportions searched.

    Returns
    -------
    float
        The p-value, in [0, 1].
    """
    if b < 1:
        return 1.0
    db = stats.norm.pdf(b)
    p = 4 * db / b + db * (b - 1 / b) * math.log(
        (maxprop * (1 - minprop)) / ((1 - maxprop) * minprop)
    )
    return float(min(max(p, 0.0), 1.0))


def p_lausen94(b: float, n: int, m: np.ndarray) -> float:
    """The improved Bonferroni p-value of Lausen, Sauerbrei & Schumacher (1994) for a
    maximally selected statistic b over lower-group sizes ``m`` (R ``maxstat::pLausen94``).

    Parameters
    ----------
    b
        The maximal standardised statistic.
    n
        The number of records.
    m
        The lower-group sizes searched, increasing.

    Returns
    -------
    float
        The p-value (capped at 1).
    """
    d = 0.0
    if len(m) > 1:
        m1, m2 = m[:-1].astype(float), m[1:].astype(float)
        t = np.sqrt(1 - m1 * (n - m2) / ((n - m1) * m2))
        d = float(np.sum(1 / math.pi * math.exp(-(b**2) / 2) * (t - (b**2 / 4 - 1) * t**3 / 6)))
    p = 1 - (stats.norm.cdf(b) - stats.norm.cdf(-b)) + d
    return float(min(max(p, 0.0), 1.0))


def cutpoint(
    data: FrameLike | SurvivalData,
    *,
    time: str | None = None,
    event: str | None = None,
    marker: str,
    minprop: float = 0.1,
    maxprop: float = 0.9,
    p_method: CutpointPValue = "Lau92",
    conf_type: ConfType = "log-log",
    conf_level: float = 0.95,
    censor: str | None = None,
) -> CutpointResult:
    """The cut-point of a continuous marker that best separates survival, by maximally
    selected log-rank statistics, with an adjusted p-value (R ``maxstat.test(...,
    smethod = "LogRank", pmethod = "Lau92")``).

    Parameters
    ----------
    data, time, event, censor
        Right-censored survival data, as :func:`survstat.kaplan_meier` takes them.
    marker
        The numeric biomarker column (no missing values).
    minprop, maxprop
        Only splits with between ``floor(N minprop)`` (at least 1) and ``floor(N maxprop)``
        patients in the lower group are searched (R's defaults 0.1 and 0.9).
    p_method
        ``"Lau92"`` (Lausen & Schumacher 1992) or ``"Lau94"`` (Lausen, Sauerbrei &
        Schumacher 1994).
    conf_type, conf_level
        Kaplan–Meier interval of the groups' medians; the level also of the hazard ratio.

    Returns
    -------
    CutpointResult
        The cut-point with its statistic, p-value and hazard ratio, every split's statistic,
        and the two groups' survival.

    Raises
    ------
    ColumnNotFoundError, ColumnTypeError
        The marker column is missing or not numeric.
    InvalidValueError
        Missing or non-finite marker values; no split within the proportions; no events.
    OptionError
        ``minprop``/``maxprop`` outside 0 <= minprop < maxprop <= 1.

    References
    ----------
    .. [1] Lausen B, Schumacher M (1992). Maximally selected rank statistics. Biometrics
       48:73-85.
    .. [2] Lausen B, Sauerbrei W, Schumacher M (1994). Classification and regression trees
       (CART) used for the exploration of prognostic factors measured on different scales.
       In: Dirschedl P, Ostermann R (eds), Computational Statistics, 483-496.
    .. [3] Hothorn T, Lausen B (2003). On the exact distribution of maximally selected rank
       statistics. Comput Stat Data Anal 43:121-137.
    .. [4] Altman DG, Lausen B, Sauerbrei W, Schumacher M (1994). Dangers of using "optimal"
       cutpoints in the evaluation of prognostic factors. J Natl Cancer Inst 86:829-835.

    Examples
    --------
    >>> import survstat
    >>> cp = survstat.cutpoint(survstat.datasets.load("gbsg2"), time="time", event="cens",
    ...                        marker="pnodes")
    >>> cp.table.select("cutpoint", "n_low", "n_high").row(0)
    (3.0, 376, 310)
    """
    from survstat.estimators.cox import cox
    from survstat.estimators.kaplan_meier import kaplan_meier

    if not (0 <= minprop < maxprop <= 1):
        raise OptionError(
            f"`minprop` and `maxprop` must satisfy 0 <= minprop < maxprop <= 1; got {minprop}, "
            f"{maxprop}"
        )
    check_choice("p_method", p_method, CUTPOINT_P_VALUES)
    if p_method == "Lau92" and not (minprop > 0 and maxprop < 1):
        raise OptionError("the Lau92 p-value needs 0 < minprop and maxprop < 1")
    sd = as_survival_data(data, time=time, event=event, censor=censor)
    sd.require_rows("cut-point search")
    available = sd.frame.collect_schema().names()
    if marker not in available:
        raise ColumnNotFoundError(marker, available, role="marker")
    frame = sd.frame.select(sd.time, sd.event, marker).collect()
    x = _marker_values(frame, marker)
    t = frame.get_column(sd.time).cast(pl.Float64).to_numpy()
    d = frame.get_column(sd.event).cast(pl.Float64).to_numpy()
    n = len(t)
    if d.sum() == 0:
        raise InvalidValueError(
            f"`{sd.event}` records no event: no cut-point can separate survival"
        )
    scores = logrank_scores(t, d)
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], scores[order]
    # lower-group sizes at each distinct marker value: the records strictly below it
    first = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
    m = first.copy()
    if minprop == 0 and maxprop == 1:
        m = m[1:-1]  # as R: neither the empty split nor the one below the largest value
    else:
        m = m[(m >= max(1, math.floor(n * minprop))) & (m <= math.floor(n * maxprop))]
    m = m[(m >= 1) & (m <= n - 1)]
    if len(m) == 0:
        raise InvalidValueError(
            f"`{marker}` has no split with between {minprop:g} and {maxprop:g} of the {n} "
            "patients in the lower group"
        )
    total = ys.sum()
    mm = m.astype(float)
    expect = mm / n * total
    variance = mm * (n - mm) / (n**2 * (n - 1)) * (n * np.sum(ys**2) - total**2)
    if not np.all(variance > 0):
        raise InvalidValueError(
            "the log-rank scores do not vary (every record has the same score): no split can "
            "separate survival"
        )
    cum = np.cumsum(ys)
    stat = np.abs((cum[m - 1] - expect) / np.sqrt(variance))
    best = int(np.flatnonzero(stat == stat.max())[0])
    m_best = int(m[best])
    cut = float(xs[m_best - 1])
    b = float(stat[best])
    p = p_lausen92(b, minprop, maxprop) if p_method == "Lau92" else p_lausen94(b, n, m)
    grouped = marker_groups(frame, marker, cut).with_columns(pl.col(GROUP_COLUMN).cast(pl.String))
    km = kaplan_meier(
        grouped,
        time=sd.time,
        event=sd.event,
        by=GROUP_COLUMN,
        conf_type=conf_type,
        conf_level=conf_level,
    )
    note = VALIDATION_NOTE
    try:
        fit = cox(
            grouped,
            time=sd.time,
            event=sd.event,
            covariates=[GROUP_COLUMN],
            reference={GROUP_COLUMN: LOW},
            conf_level=conf_level,
        )
        hr = fit.table.row(0, named=True)
    except EstimationError as exc:
        # the split is still the maximally selected one; only its hazard ratio is undefined
        # (e.g. every event's risk set lies in one group)
        hr = dict.fromkeys(("hazard_ratio", "conf_low", "conf_high"))
        note = f"hazard ratio not estimable: {exc}; {VALIDATION_NOTE}"
    counts = grouped.group_by(GROUP_COLUMN).agg(
        pl.len().cast(pl.Int64).alias("n"),
        pl.col(sd.event).cast(pl.Int64).sum().alias("n_event"),
    )
    groups = (
        counts.join(km.median().rename({"time": "median"}), on=GROUP_COLUMN, how="left")
        .with_columns(pl.col(GROUP_COLUMN).replace_strict({LOW: 0, HIGH: 1}).alias("__o"))
        .sort("__o")
        .select(GROUP_COLUMN, "n", "n_event", "median", "conf_low", "conf_high")
    )
    table = pl.DataFrame(
        {
            "marker": [marker],
            "cutpoint": [cut],
            "statistic": [b],
            "p_value": [p],
            "p_method": [p_method],
            "n_low": [m_best],
            "n_high": [n - m_best],
            "minprop": [float(minprop)],
            "maxprop": [float(maxprop)],
            "hazard_ratio": [hr["hazard_ratio"]],
            "conf_low": [hr["conf_low"]],
            "conf_high": [hr["conf_high"]],
            "note": [note],
        },
        schema_overrides={
            "hazard_ratio": pl.Float64,
            "conf_low": pl.Float64,
            "conf_high": pl.Float64,
        },
    )
    statistics = pl.DataFrame(
        {"cutpoint": xs[m - 1].astype(float), "n_low": m.astype(np.int64), "statistic": stat}
    )
    return CutpointResult(table, statistics, groups, km)


def marker_groups(
    frame: pl.DataFrame, marker: str, cut: float, column: str = GROUP_COLUMN
) -> pl.DataFrame:
    """The rows of ``frame`` with the marker dichotomised at a cut-point, as :func:`cutpoint`
    splits it.

    Parameters
    ----------
    frame
        The rows, with a numeric ``marker`` column.
    marker
        The marker column.
    cut
        The cut-point: ``"low"`` means ``marker <= cut``, ``"high"`` above it.
    column
        The name of the group column added (or replaced).

    Returns
    -------
    polars.DataFrame
        ``frame`` with ``column`` (:data:`GROUP_LEVELS`, an Enum whose first level is low,
        the reference of models): ``"low"``, ``"high"``, or null where the marker is null
        or NaN (no group can be given).

    Examples
    --------
    >>> import polars as pl
    >>> marker_groups(pl.DataFrame({"x": [1.0, 2.0, None]}), "x", 1.0)["marker_group"].to_list()
    ['low', 'high', None]
    """
    value = pl.col(marker).cast(pl.Float64)
    group = (
        pl.when(value.is_null() | value.is_nan())
        .then(pl.lit(None, dtype=pl.String))
        .when(value <= cut)
        .then(pl.lit(LOW))
        .otherwise(pl.lit(HIGH))
    )
    return frame.with_columns(group.cast(GROUP_LEVELS).alias(column))


def _marker_values(frame: pl.DataFrame, marker: str) -> np.ndarray:
    """The marker as finite doubles, or a one-line error naming the column and first row."""
    column = frame.get_column(marker)
    if not column.dtype.is_numeric():
        raise ColumnTypeError(f"`{marker}` (marker) must be numeric; found dtype {column.dtype}")
    values = column.cast(pl.Float64).to_numpy()
    bad = np.flatnonzero(~np.isfinite(values) | column.is_null().to_numpy())
    if bad.size:
        raise InvalidValueError(
            f"`{marker}` (marker) has {bad.size} missing or non-finite values (first at row "
            f"{bad[0]}); every patient needs a marker value"
        )
    return values


__all__ = [
    "CUTPOINT_COLUMNS",
    "VALIDATION_NOTE",
    "CutpointResult",
    "cutpoint",
    "logrank_scores",
    "marker_groups",
    "p_lausen92",
    "p_lausen94",
]
