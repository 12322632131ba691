"""Landmark analysis and conditional survival.

Comparing survival by a status that patients reach during follow-up (response, molecular
response, progression) with time measured from the start favours those who reach it: they
must live long enough to do so (guarantee-time or immortal-time bias). The landmark method
(Anderson, Cain & Gelber 1983, J Clin Oncol 1:710-719) fixes a time s, keeps the patients
still under follow-up after s (time > s: an event or a censoring at or before s leaves them
out), groups them by their status at s (reached at or before s; a status reached later counts
as not reached) and compares survival from s by Kaplan–Meier, the log-rank test and a Cox
model. The classic CML question is survival by major molecular response at 12 months.

Conditional survival S(t | s) = S(t) / S(s), the chance of surviving to t having survived to
s, equals the Kaplan–Meier estimate of the patients still at risk after s (every risk set
after s is the same), and its Greenwood variance sums over the event times in (s, t] only
(Zabor et al. 2013, Cancer 119:3589-3592).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from survstat._choices import ConfType
from survstat.data import SurvivalData, as_survival_data
from survstat.errors import ColumnNotFoundError, InvalidValueError, OptionError, counted
from survstat.io import FrameLike

#: The group column of a landmark analysis by the time a status is reached.
STATUS_COLUMN = "status_at_landmark"
REACHED, NOT_REACHED = "reached", "not reached"
#: Columns of :attr:`LandmarkResult.excluded`.
EXCLUDED_COLUMNS = ("reason", "n")
#: Columns of :attr:`LandmarkResult.comparison`.
COMPARISON_COLUMNS = (
    "group",
    "reference",
    "hazard_ratio",
    "conf_low",
    "conf_high",
    "cox_p_value",
    "logrank_statistic",
    "logrank_df",
    "logrank_p_value",
)


@dataclass(frozen=True, slots=True)
class LandmarkResult:
    """A landmark analysis (:func:`landmark`).

    Attributes
    ----------
    landmark
        The landmark time s.
    group
        The group column: the status column given, or ``status_at_landmark`` (``reached`` /
        ``not reached``) when the status came from the time it was reached.
    table
        One row per group of the patients kept: the group column, ``n, n_event, median,
        conf_low, conf_high`` (median survival from the landmark, time counted from it).
    comparison
        One row per group other than the reference (:data:`COMPARISON_COLUMNS`): the Cox
        hazard ratio against the reference with its interval and Wald p-value, and the
        log-rank test of all groups (the same on every row).
    excluded
        ``reason, n``: the patients left out, by why (an event at or before the landmark,
        censored at or before it).
    data
        The patients kept, with the group column and ``time_from_landmark``.
    km, logrank, cox
        The Kaplan–Meier, log-rank and Cox results on the kept patients, time from the
        landmark (for figures and further tables).
    """

    landmark: float
    group: str
    table: pl.DataFrame
    comparison: pl.DataFrame
    excluded: pl.DataFrame
    data: pl.DataFrame = field(repr=False)
    km: Any = field(repr=False, default=None)
    logrank: Any = field(repr=False, default=None)
    cox: Any = field(repr=False, default=None)


def _landmark_time(value: float, name: str) -> float:
    s = float(value)
    if not np.isfinite(s) or s <= 0:
        raise OptionError(f"`{name}` must be a positive, finite time; got {value}")
    return s


def landmark(
    data: FrameLike | SurvivalData,
    *,
    time: str | None = None,
    event: str | None = None,
    landmark: float,
    status: str | None = None,
    status_time: str | None = None,
    status_event: str | None = None,
    reference: Any = None,
    conf_type: ConfType = "log-log",
    conf_level: float = 0.95,
    censor: str | None = None,
) -> LandmarkResult:
    """Survival from a landmark time by the status reached before it (Anderson et al. 1983).

    Give the status either as a column holding each patient's status at the landmark
    (``status``), or as the time it was reached (``status_time``: missing = never; with
    ``status_event``, a 0/1 column, the time counts only where it is 1, as a progression time
    that may be a censoring time). A status reached after the landmark counts as not reached.

    Parameters
    ----------
    data, time, event, censor
        Right-censored survival data measured from the start (as :func:`survstat.kaplan_meier`
        takes them).
    landmark
        The landmark time s, on the scale of ``time``: patients with time <= s (an event or a
        censoring at or before s) are left out.
    status
        Column with the status at the landmark (any type; its levels are the groups).
    status_time
        Column with the time the status was reached (numeric; missing: never reached).
    status_event
        0/1 column: whether ``status_time`` is the time the status was reached (1) or a
        censoring of it (0).
    reference
        The reference group of the hazard ratios (default: ``not reached``, or the first level
        of ``status``).
    conf_type, conf_level
        Interval transform and level of the Kaplan–Meier medians; the level also of the
        hazard ratios.

    Returns
    -------
    LandmarkResult
        Medians per group, hazard ratios and the log-rank test, and who was left out.

    Raises
    ------
    OptionError
        Neither or both of ``status`` and ``status_time``; ``status_event`` without
        ``status_time``; a landmark that is not positive.
    InvalidValueError
        No patient, or a single group, left after the landmark; a negative status time.

    References
    ----------
    .. [1] Anderson JR, Cain KC, Gelber RD (1983). Analysis of survival by tumor response.
       J Clin Oncol 1:710-719.
    .. [2] Dafni U (2011). Landmark analysis at the 25-year landmark point. Circ Cardiovasc
       Qual Outcomes 4:363-371.

    Examples
    --------
    >>> import survstat
    >>> lm = survstat.landmark(survstat.datasets.load("mgus2"), time="futime", event="death",
    ...                        landmark=12, status_time="ptime", status_event="pstat")
    >>> lm.excluded.rows()
    [('event at or before the landmark', 173), ('censored at or before the landmark', 2)]
    """
    from survstat.estimators.cox import cox
    from survstat.estimators.kaplan_meier import kaplan_meier
    from survstat.estimators.logrank import logrank

    s = _landmark_time(landmark, "landmark")
    if (status is None) == (status_time is None):
        raise OptionError("give one of `status` (the status at the landmark) or `status_time`")
    if status_event is not None and status_time is None:
        raise OptionError("`status_event` goes with `status_time`")
    sd = as_survival_data(data, time=time, event=event, censor=censor)
    sd.require_rows("landmark analysis")
    extra = [c for c in (status, status_time, status_event) if c is not None]
    available = sd.frame.collect_schema().names()
    for col in extra:
        if col not in available:
            raise ColumnNotFoundError(col, available, role="status")
    frame = sd.frame.select(sd.time, sd.event, *dict.fromkeys(extra)).collect()
    t = pl.col(sd.time).cast(pl.Float64)
    ev = pl.col(sd.event).cast(pl.Int8)
    excluded = pl.DataFrame(
        {
            "reason": ["event at or before the landmark", "censored at or before the landmark"],
            "n": [
                frame.filter((t <= s) & (ev == 1)).height,
                frame.filter((t <= s) & (ev == 0)).height,
            ],
        }
    )
    kept = frame.filter(t > s)
    if status_time is not None:
        group = STATUS_COLUMN
        reached = _reached(kept, status_time, status_event, s)
        kept = kept.with_columns(reached.alias(group))
        default_ref = NOT_REACHED
    else:
        assert status is not None
        group = status
        if kept.get_column(group).null_count():
            rows = kept.get_column(group).is_null().arg_true().to_list()
            raise InvalidValueError(
                f"`{group}` (status) is missing for {counted(len(rows), 'patient')} kept at the "
                "landmark "
                f"(first at row {rows[0]}); every patient needs a status"
            )
        default_ref = None
    kept = kept.with_columns((t - s).alias("time_from_landmark"))
    if kept.height == 0:
        raise InvalidValueError(
            f"no patient is under follow-up after the landmark {s:g} (`{sd.time}` <= {s:g} for "
            f"all {frame.height})"
        )
    levels = kept.get_column(group).unique().sort().to_list()
    if len(levels) < 2:
        raise InvalidValueError(
            f"after the landmark {s:g} all {kept.height} patients have `{group}` = "
            f"{levels[0]!r}: nothing to compare"
        )
    ref = reference if reference is not None else default_ref
    if ref is None:
        ref = levels[0]
    if str(ref) not in [str(v) for v in levels]:
        raise OptionError(f"reference {ref!r} is not a level of `{group}`; levels: {levels}")
    # the groups as text, so that a numeric status is a factor in the Cox model, not a trend
    kept = kept.with_columns(pl.col(group).cast(pl.String))
    ref = str(ref)
    others = [str(v) for v in levels if str(v) != ref]
    t0, ev0 = "time_from_landmark", sd.event
    km = kaplan_meier(
        kept, time=t0, event=ev0, by=group, conf_type=conf_type, conf_level=conf_level
    )
    test = logrank(kept, time=t0, event=ev0, by=group)
    fit = cox(
        kept,
        time=t0,
        event=ev0,
        covariates=[group],
        reference={group: ref},
        conf_level=conf_level,
    )
    counts = kept.group_by(group).agg(
        pl.len().cast(pl.Int64).alias("n"), ev.cast(pl.Int64).sum().alias("n_event")
    )
    table = (
        counts.join(km.median().rename({"time": "median"}), on=group, how="left")
        .sort(group)
        .select(group, "n", "n_event", "median", "conf_low", "conf_high")
    )
    terms = fit.table.with_columns(pl.col("term").str.slice(len(group) + 1).str.strip_suffix("]"))
    terms = pl.DataFrame({"term": others}).join(terms, on="term", how="left")
    comparison = pl.DataFrame(
        {
            "group": others,
            "reference": [ref] * len(others),
            "hazard_ratio": terms.get_column("hazard_ratio"),
            "conf_low": terms.get_column("conf_low"),
            "conf_high": terms.get_column("conf_high"),
            "cox_p_value": terms.get_column("p_value"),
            "logrank_statistic": [test.statistic] * len(others),
            "logrank_df": [int(test.table.get_column("df").item())] * len(others),
            "logrank_p_value": [test.p_value] * len(others),
        },
        schema_overrides={"logrank_statistic": pl.Float64, "logrank_p_value": pl.Float64},
    )
    return LandmarkResult(s, group, table, comparison, excluded, kept, km, test, fit)


def _reached(frame: pl.DataFrame, status_time: str, status_event: str | None, s: float) -> pl.Expr:
    """``reached`` where the status was reached at or before ``s``, else ``not reached``."""
    column = frame.get_column(status_time)
    if not column.dtype.is_numeric():
        raise InvalidValueError(
            f"`{status_time}` (status time) must be numeric; found dtype {column.dtype}"
        )
    values = column.cast(pl.Float64)
    negative = (values < 0).fill_null(False).arg_true()
    if len(negative):
        raise InvalidValueError(
            f"`{status_time}` (status time) must be non-negative; found {len(negative)} "
            f"negative values (first: {values[negative[0]]} at row {negative[0]})"
        )
    hit = pl.col(status_time).cast(pl.Float64) <= s
    if status_event is not None:
        flag = frame.get_column(status_event)
        bad = (~flag.cast(pl.Int64, strict=False).is_in([0, 1])).fill_null(True).arg_true()
        if len(bad):
            raise InvalidValueError(
                f"`{status_event}` (status event) must be 0 or 1; found {len(bad)} other values "
                f"(first: {flag[bad[0]]!r} at row {bad[0]})"
            )
        hit = hit & (pl.col(status_event).cast(pl.Int64) == 1)
    return pl.when(hit.fill_null(False)).then(pl.lit(REACHED)).otherwise(pl.lit(NOT_REACHED))


#: Columns of :func:`conditional_survival`'s table after the group columns.
CONDITIONAL_COLUMNS = (
    "given",
    "time",
    "n_risk",
    "survival",
    "std_error",
    "conf_low",
    "conf_high",
    "status",
)


def conditional_survival(
    data: FrameLike | SurvivalData,
    *,
    time: str | None = None,
    event: str | None = None,
    given: float,
    times: float | Sequence[float],
    by: str | Sequence[str] | None = None,
    conf_type: ConfType = "log-log",
    conf_level: float = 0.95,
    censor: str | None = None,
) -> pl.DataFrame:
    """Conditional survival S(t | s) = S(t) / S(s) with its interval, per group.

    The Kaplan–Meier estimate of the patients still at risk after ``given`` (time > s), read
    at ``times``: the same as the ratio of the full curve's values, with the Greenwood
    variance over the event times in (s, t] (Zabor et al. 2013), as R
    ``summary(survfit(Surv(time, status) ~ 1, subset = time > s), times = t)``.

    Parameters
    ----------
    data, time, event, by, censor
        Right-censored survival data, as :func:`survstat.kaplan_meier` takes them.
    given
        The time s survived, positive.
    times
        Times t >= s to report, on the original scale.
    conf_type, conf_level
        Pointwise interval transform and level.

    Returns
    -------
    polars.DataFrame
        The group columns, then :data:`CONDITIONAL_COLUMNS`; ``status`` is ``ok``, ``beyond
        follow-up`` (a time after the group's last observed time while its curve is above 0:
        the survival is null there, where R's ``extend=TRUE`` carries it forward) or ``nobody
        at risk after s`` (a group with no patient still at risk after ``given``: its rows are
        null).

    Raises
    ------
    OptionError
        A time before ``given``.
    InvalidValueError
        No patient at risk after ``given`` (in the data as a whole).

    References
    ----------
    .. [1] Zabor EC, Gonen M, Chapman PB, Panageas KS (2013). Dynamic prognostication using
       conditional survival estimates. Cancer 119:3589-3592.

    Examples
    --------
    >>> import survstat
    >>> cs = survstat.conditional_survival(survstat.datasets.load("gbsg2"), time="time",
    ...                                    event="cens", given=365, times=[1825])
    >>> round(cs["survival"].item(), 4)
    0.537
    """
    from survstat.estimators.kaplan_meier import kaplan_meier

    s = _landmark_time(given, "given")
    req = np.atleast_1d(np.asarray(times, dtype=float))
    if req.size == 0 or np.any(~np.isfinite(req)) or np.any(req < s):
        raise OptionError(
            f"`times` must be finite and not before `given` = {s:g}; got {req.tolist()}"
        )
    sd = as_survival_data(data, time=time, event=event, by=by, censor=censor)
    sd.require_rows("conditional survival")
    frame = sd.frame.select(*sd.by, sd.time, sd.event).collect()
    kept = frame.filter(pl.col(sd.time).cast(pl.Float64) > s)
    if kept.height == 0:
        raise InvalidValueError(
            f"no patient is at risk after `given` = {s:g} (`{sd.time}` <= {s:g} for all "
            f"{frame.height})"
        )
    km = kaplan_meier(
        kept,
        time=sd.time,
        event=sd.event,
        by=list(sd.by) or None,
        conf_type=conf_type,
        conf_level=conf_level,
    )
    from survstat.estimators.milestone import within_follow_up

    by = list(sd.by)
    table = within_follow_up(km.table, km.at(req.tolist()), by)
    if by:
        # a group with nobody at risk after `given` keeps its rows, empty, with the reason
        grid = frame.select(by).unique().sort(by).join(pl.DataFrame({"time": req}), how="cross")
        table = grid.join(table, on=[*by, "time"], how="left", nulls_equal=True).with_columns(
            pl.col("n_risk").fill_null(0.0),
            pl.col("status").fill_null(pl.lit(f"nobody at risk after {s:g}")),
        )
    return table.with_columns(pl.lit(s).alias("given")).select(*by, *CONDITIONAL_COLUMNS)


__all__ = [
    "COMPARISON_COLUMNS",
    "CONDITIONAL_COLUMNS",
    "EXCLUDED_COLUMNS",
    "LandmarkResult",
    "conditional_survival",
    "landmark",
]
