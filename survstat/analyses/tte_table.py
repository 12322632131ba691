"""The standard time-to-event summary table (TTET01) as analysis results data.

Composes the estimators (no statistics of its own) into the statistics of the time-to-event
table that oncology trials report for PFS and OS, the layout of tern's TTET01 (``s_surv_time``,
``s_coxph_pairwise``, ``surv_timepoint``): per arm the number of patients, events and
censorings, the median and quartiles of the survival time with Brookmeyer-Crowley intervals
and the range of follow-up (:func:`survstat.kaplan_meier`); the event-free rate at chosen
times and its difference against the reference arm; the hazard ratio against the reference
arm (:func:`survstat.cox`, Efron ties, Wald interval) and the log-rank p-value
(:func:`survstat.logrank`), each fitted on the reference arm and that arm alone (pairwise, as
``s_coxph_pairwise`` does), unstratified and, with strata, stratified.

The result is analysis results data (ARD) in long form, one row per arm and statistic (and
time, for the timepoint statistics); a display table (RTF, DOCX, HTML) is rendered from it.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy.stats import norm

from survstat._choices import ConfType
from survstat.analyses._arms import cox_by_arm, read_arms
from survstat.errors import OptionError, SurvstatError
from survstat.io import FrameLike

#: The ARD's columns after the arm column, in order.
ARD_COLUMNS = (
    "statistic",
    "time",
    "estimate",
    "std_error",
    "conf_low",
    "conf_high",
    "censored",
    "note",
)
_SCHEMA = {
    "statistic": pl.String,
    "time": pl.Float64,
    "estimate": pl.Float64,
    "std_error": pl.Float64,
    "conf_low": pl.Float64,
    "conf_high": pl.Float64,
    "censored": pl.Boolean,
    "note": pl.String,
}
#: Why a rate's standard error (and interval) is null while the rate is not.
_UNDEFINED_SE = (
    "standard error at time {t:g} undefined: the curve has reached 0 (Greenwood variance 0 x "
    "infinity; R gives NaN)"
)
#: The quantile statistics: name -> probability of an event by that time.
_QUANTILES = {"median": 0.5, "q1": 0.25, "q3": 0.75}


@dataclass(frozen=True, slots=True)
class TteTable:
    """The time-to-event summary table of one endpoint, as analysis results data.

    Attributes
    ----------
    ard
        The long-form table: ``<by>, statistic, time, estimate, std_error, conf_low,
        conf_high, censored, note`` (see :func:`tte_table`).
    by
        The arm column.
    reference
        The reference arm.
    arms
        The arms in table order: the reference first, then the others sorted.
    timepoints
        The times of the event-free rates.
    strata
        The stratification columns of the stratified comparisons (empty: none).
    conf_type, conf_level
        The Kaplan-Meier interval's transform, and the level of every interval.
    """

    ard: pl.DataFrame
    by: str
    reference: Any
    arms: tuple[Any, ...]
    timepoints: tuple[float, ...]
    strata: tuple[str, ...]
    conf_type: ConfType
    conf_level: float


Row = dict[str, Any]


def _row(statistic: str, estimate: Any = None, **values: Any) -> Row:
    return {"statistic": statistic, "estimate": estimate, **values}


def _check_timepoints(timepoints: Sequence[float]) -> tuple[float, ...]:
    """The timepoints as floats, after checking they are finite, >= 0 and distinct."""
    out = []
    for t in timepoints:
        ok = isinstance(t, numbers.Real) and not isinstance(t, bool) and 0 <= t < math.inf
        if not ok:
            raise OptionError(f"`timepoints` must be finite times >= 0; got {t!r}")
        out.append(float(t))
    repeated = sorted({t for t in out if out.count(t) > 1})
    if repeated:
        raise OptionError(f"`timepoints` must be distinct; {repeated[0]:g} is given twice")
    return tuple(out)


def _quantile_note(name: str, prob: float, row: Row) -> str | None:
    """Why a quantile or one of its confidence limits is null (None when none is)."""
    level = 1.0 - prob
    if row["estimate"] is None:
        return f"{name} not reached: the survival curve stays above {level:g}"
    sides = (("lower", "conf_low"), ("upper", "conf_high"))
    missing = [side for side, column in sides if row[column] is None]
    if not missing:
        return None
    sides = " and ".join(missing)
    one = len(missing) == 1
    limits, curves = ("limit", "curve stays") if one else ("limits", "curves stay")
    return (
        f"{sides} confidence {limits} not reached: the {sides} confidence {curves} above {level:g}"
    )


def _per_arm(frame: pl.DataFrame, by: str, time: str, event: str) -> dict[Any, list[Row]]:
    """Counts and range of follow-up per arm: n, n_event, n_censor, min_time, max_time."""
    counts = frame.group_by(by).agg(
        pl.len().alias("n"),
        pl.col(event).cast(pl.Int64).sum().alias("n_event"),
        pl.col(time).min().alias("min_time"),
        pl.col(time).max().alias("max_time"),
        # a time is censored when no event happens at it (events come first at ties)
        ~(pl.col(event).cast(pl.Boolean) & (pl.col(time) == pl.col(time).min()))
        .any()
        .alias("min_censored"),
        ~(pl.col(event).cast(pl.Boolean) & (pl.col(time) == pl.col(time).max()))
        .any()
        .alias("max_censored"),
    )
    out: dict[Any, list[Row]] = {}
    for r in counts.iter_rows(named=True):
        out[r[by]] = [
            _row("n", float(r["n"])),
            _row("n_event", float(r["n_event"])),
            _row("n_censor", float(r["n"] - r["n_event"])),
        ]
        for name in ("min_time", "max_time"):
            censored = r[name.replace("time", "censored")]
            out[r[by]].append(_row(name, float(r[name]), censored=censored))
    return out


def _quantiles(km: Any, by: str) -> dict[Any, list[Row]]:
    """Median and quartiles per arm with their Brookmeyer-Crowley intervals."""
    table = km.quantile(list(_QUANTILES.values()))
    out: dict[Any, list[Row]] = {}
    for name, prob in _QUANTILES.items():
        for r in table.filter(pl.col("prob") == prob).iter_rows(named=True):
            row = _row(name, r["time"], conf_low=r["conf_low"], conf_high=r["conf_high"])
            row["note"] = _quantile_note(name, prob, row)
            out.setdefault(r[by], []).append(row)
    return out


def _rates(km: Any, by: str, timepoints: tuple[float, ...], last: dict[Any, float]) -> dict:
    """Event-free rate per arm and timepoint: ``{arm: {time: row}}``; the number at risk
    at each timepoint is under the key ``("n_risk", time)``.

    Null with the reason when no patient is at risk at the time (past the arm's follow-up),
    as tern's ``s_surv_timepoint`` does.
    """
    out: dict[Any, dict[Any, Row]] = {}
    if not timepoints:
        return out
    for r in km.at(list(timepoints)).iter_rows(named=True):
        t = r["time"]
        n_risk = _row("n_risk", float(r["n_risk"]), time=t)
        out.setdefault(r[by], {})[("n_risk", t)] = n_risk
        if r["n_risk"] == 0:
            note = (
                f"no patients at risk at time {t:g}: beyond the arm's follow-up (last time "
                f"{last[r[by]]:g}); not estimable"
            )
            row = _row("event_free_rate", time=t, note=note)
        else:
            row = _row(
                "event_free_rate",
                r["survival"],
                time=t,
                std_error=r["std_error"],
                conf_low=r["conf_low"],
                conf_high=r["conf_high"],
            )
            if r["std_error"] is None or r["conf_low"] is None or r["conf_high"] is None:
                row["note"] = _UNDEFINED_SE.format(t=t)
        out.setdefault(r[by], {})[t] = row
    return out


def _rate_difference(arm: Row, ref: Row, z: float) -> Row:
    """The difference of two event-free rates with its normal-approximation interval."""
    t = arm["time"]
    if arm["estimate"] is None or ref["estimate"] is None:
        which = "this arm" if arm["estimate"] is None else "the reference arm"
        note = f"event-free rate at time {t:g} not estimable in {which}"
        return _row("event_free_rate_difference", time=t, note=note)
    diff = arm["estimate"] - ref["estimate"]
    if arm["std_error"] is None or ref["std_error"] is None:
        which = "this arm" if arm["std_error"] is None else "the reference arm"
        note = f"{_UNDEFINED_SE.format(t=t)} in {which}: no interval for the difference"
        return _row("event_free_rate_difference", diff, time=t, note=note)
    se = math.hypot(arm["std_error"], ref["std_error"])
    return _row(
        "event_free_rate_difference",
        diff,
        time=t,
        std_error=se,
        conf_low=diff - z * se,
        conf_high=diff + z * se,
    )


def _comparisons(
    frame: pl.DataFrame,
    by: str,
    arm: Any,
    ref: Any,
    strata: list[str],
    time: str,
    event: str,
    conf_level: float,
) -> list[Row]:
    """Hazard ratio and log-rank p-value of ``arm`` against ``ref``, on those two arms only."""
    from survstat.estimators.logrank import logrank

    pair = frame.filter(pl.col(by).is_in([arm, ref]))
    z = float(norm.ppf(0.5 + conf_level / 2.0))
    rows = []
    for suffix, cols in (("", []), ("_stratified", strata)) if strata else (("", []),):
        hr, low, high, note = cox_by_arm(pair, by, [ref, arm], ref, cols, time, event, conf_level)[
            arm
        ]
        se = None if low is None or high is None else (math.log(high) - math.log(low)) / (2 * z)
        rows.append(
            _row(
                f"hazard_ratio{suffix}",
                hr,
                std_error=se,
                conf_low=low,
                conf_high=high,
                note=note,
            )
        )
        try:
            with np.errstate(divide="ignore", invalid="ignore"):
                p = logrank(pair, time=time, event=event, by=by, strata=cols or None).table
            value, why = p.get_column("p_value").item(), None
        except SurvstatError as exc:
            value, why = None, f"log-rank test not computable: {exc}"
        if value is None and why is None:
            why = "log-rank test undefined: no event time at which both arms are at risk" + (
                " within a stratum" if cols else ""
            )
        rows.append(_row(f"logrank_p_value{suffix}", value, note=why))
    return rows


def tte_table(
    data: FrameLike,
    *,
    by: str,
    time: str | None = None,
    event: str | None = None,
    censor: str | None = None,
    reference: Any = None,
    strata: str | Sequence[str] | None = None,
    timepoints: Sequence[float] = (),
    conf_type: ConfType = "log-log",
    conf_level: float = 0.95,
) -> TteTable:
    """Summarise one time-to-event endpoint per arm as analysis results data (TTET01).

    Parameters
    ----------
    data
        One row per subject: a polars DataFrame or LazyFrame, pyarrow Table, pandas DataFrame
        or a path (see :meth:`survstat.SurvivalData.right_censored`), already restricted to the
        endpoint (e.g. ``PARAMCD == "PFS"``).
    by
        The arm column (no missing values, at least two arms). Text, integer codes or
        booleans, always compared as categories; its values and type are kept in the ARD.
    time
        Follow-up time column: numeric, finite, non-negative.
    event, censor
        The event column (0/1 or boolean), or CDISC ADaM ``CNSR`` (0 = event, positive =
        censored): exactly one of them.
    reference
        The reference arm, as a value of ``by`` or its text (``"2"`` for the integer arm 2);
        default: the first arm, numeric arms sorted by value, others as text. An arm that is
        not in ``by`` is an error listing the arms.
    strata
        Stratification column(s): adds ``hazard_ratio_stratified`` and
        ``logrank_p_value_stratified`` (R ``coxph(... + strata())`` and ``survdiff(... +
        strata())``). ``by`` cannot be one of them.
    timepoints
        Times of the event-free rates, in the unit of ``time`` (finite, >= 0, distinct);
        default none.
    conf_type
        The Kaplan-Meier pointwise interval's transform (``"log-log"``, ``"log"``,
        ``"plain"``, ``"logit"``, ``"arcsine"``), used by the intervals of the quantiles and
        of the event-free rates. tern's TTET01 uses ``"plain"``.
    conf_level
        Level of every interval (0.95).

    Returns
    -------
    TteTable
        ``.ard``: one row per arm and statistic (and timepoint), the reference arm first,
        with columns ``<by>, statistic, time, estimate, std_error, conf_low, conf_high,
        censored, note``; see the Notes.

    Notes
    -----
    The statistics, in order, per arm:

    - ``n``, ``n_event``, ``n_censor``: patients, events and censorings (the event percent
      is ``n_event / n`` of the same arm);
    - ``median``, ``q1``, ``q3``: the times at which the Kaplan-Meier curve reaches 0.5, 0.75
      and 0.25, with R ``quantile.survfit``'s Brookmeyer-Crowley limits from the
      ``conf_type`` pointwise interval; null with a note when not reached;
    - ``min_time``, ``max_time``: the shortest and longest follow-up, with ``censored`` true
      when no event happens at that time (displayed as ``154+``);
    - ``n_risk`` at each timepoint (``time`` set): the patients still at risk at that time
      (R ``summary(fit, times=)$n.risk``; 0 past the arm's follow-up);
    - ``event_free_rate`` at each timepoint (``time`` set): R ``summary(fit, times=)``, with
      the Greenwood standard error of the survival probability; null with a note when no
      patient is at risk at the time (tern ``s_surv_timepoint``; ``recist table`` instead
      keeps a rate of 0 past the end of a curve that reached 0). Where the curve has
      reached 0 the rate is 0 and its standard error and interval are null (R: NaN);

    and on the rows of each non-reference arm, against the reference arm:

    - ``event_free_rate_difference`` at each timepoint: this arm's rate minus the
      reference's, with ``std_error`` = sqrt(se1² + se2²) and the normal interval diff ± z se
      (tern ``s_surv_timepoint_diff``; not clipped to [-1, 1]), null when a rate is;
    - ``hazard_ratio``: Cox model with Efron ties on the two arms alone (tern
      ``s_coxph_pairwise``), Wald interval exp(b ± z se); ``std_error`` is se, of log(HR);
      null with the reason in ``note`` when an arm has no events or the fit gives no finite
      estimate;
    - ``logrank_p_value``: the log-rank test of the two arms (R ``survdiff``); ``estimate``
      holds the p-value;
    - with ``strata``, ``hazard_ratio_stratified`` and ``logrank_p_value_stratified``.

    ``time`` is null except on the timepoint statistics, ``censored`` except on the range;
    counts are stored as floats in ``estimate``. A null value never stands alone: ``note``
    says why.

    References
    ----------
    1. Brookmeyer R, Crowley J. A confidence interval for the median survival time.
       Biometrics 1982;38:29-41.
    2. Efron B. The efficiency of Cox's likelihood function for censored data. J Am Stat Assoc
       1977;72:557-565.
    3. tern (Roche), TTET01: ``s_surv_time``, ``s_coxph_pairwise``, ``surv_timepoint``.
    4. CDISC ADaM Basic Data Structure for Time-to-Event Analyses, version 1.0 (2012).

    Examples
    --------
    >>> import survstat
    >>> from survstat.tables import tte_table
    >>> t = tte_table(survstat.datasets.load("gbsg2"), time="time", event="cens",
    ...               by="horTh", reference="no", timepoints=[365.25])
    >>> t.ard.filter(statistic="hazard_ratio").get_column("estimate").round(3).to_list()
    [0.695]
    """
    from survstat.data import SurvivalData, tte_roles
    from survstat.estimators.kaplan_meier import kaplan_meier

    times = _check_timepoints(timepoints)
    data, time, event = tte_roles(data, time=time, event=event, censor=censor)
    sd = SurvivalData.right_censored(data, time=time, event=event)
    frame = sd.frame.collect()
    strata_cols, levels, ref = read_arms(frame, by, reference, strata, (time, event))
    arms = [ref] + [a for a in levels if a != ref]
    km = kaplan_meier(frame, time=time, event=event, by=by, conf_type=conf_type,
                      conf_level=conf_level)  # fmt: skip
    counts = _per_arm(frame, by, time, event)
    last = {a: rows[-1]["estimate"] for a, rows in counts.items()}
    quantiles = _quantiles(km, by)
    rates = _rates(km, by, times, last)
    z = float(norm.ppf(0.5 + conf_level / 2.0))
    rows: list[Row] = []
    for arm in arms:
        arm_rows = counts[arm][:3] + quantiles[arm] + counts[arm][3:]
        arm_rows += [rates[arm][("n_risk", t)] for t in times]
        arm_rows += [rates[arm][t] for t in times]
        if arm != ref:
            arm_rows += [_rate_difference(rates[arm][t], rates[ref][t], z) for t in times]
            arm_rows += _comparisons(frame, by, arm, ref, strata_cols, time, event, conf_level)
        rows += [{by: arm, **r} for r in arm_rows]
    ard = pl.from_dicts(rows, schema={by: frame.schema[by], **_SCHEMA})
    return TteTable(
        ard=ard,
        by=by,
        reference=ref,
        arms=tuple(arms),
        timepoints=times,
        strata=tuple(strata_cols),
        conf_type=conf_type,
        conf_level=conf_level,
    )


__all__ = ["ARD_COLUMNS", "TteTable", "tte_table"]
