"""Eligibility for treatment-free remission (TFR) in CML.

The ELN 2020 molecular criteria, at the stop of TKI therapy or the last follow-up.

ELN 2020 (Hochhaus et al. 2020, Leukemia 34:966-984, table 7) lets a patient attempt TFR after
more than 5 years of TKI therapy with a deep molecular response (MR4 or deeper) sustained for
more than 2 years; only these molecular and duration criteria can be derived from lab data (the
clinical ones, such as no prior resistance, are the investigator's). "More than" is judged on
dates in calendar terms, or on times at the precision of
:func:`~survstat.endpoints.cml.compare` (see :func:`tfr_eligibility`).
"""

from __future__ import annotations

import polars as pl

from survstat._choices import ResponseLevel
from survstat.endpoints.cml_input import (
    Columns,
    Thresholds,
    check_id_column,
    compare,
    fail_where,
    number_option,
    require_columns,
)
from survstat.endpoints.cml_levels import classified_results, response_rank, usable
from survstat.endpoints.cml_patients import (
    TfrColumns,
    check_order,
    check_patient_ids,
    patient_key,
    read_patients,
    warn_late_results,
)
from survstat.endpoints.cml_sustained import deep_runs
from survstat.endpoints.dates import DAYS_PER_UNIT, as_date, is_date
from survstat.errors import EmptyDataError, MissingValueError, OptionError, check_unique_ids
from survstat.io import FrameLike, scan

_MONTH = DAYS_PER_UNIT["months"]


def tfr_eligibility(
    labs: FrameLike,
    patients: FrameLike,
    *,
    min_treatment: float = 60.0,
    min_deep_duration: float = 24.0,
    level: ResponseLevel = "MR4",
    columns: Columns | None = None,
    patient_columns: TfrColumns | None = None,
    thresholds: Thresholds | None = None,
) -> pl.DataFrame:
    """ELN 2020 molecular eligibility for a TFR attempt, at the stop or the last follow-up.

    Parameters
    ----------
    labs
        BCR-ABL1 results, as for :func:`~survstat.endpoints.cml.classify_samples`; the time
        column holds times since the start of therapy, or sample dates.
    patients
        One row per patient: ``tki_stop`` (null when therapy goes on) and ``last_follow_up``,
        both times since the start, or both dates with the start date in ``start``.
    min_treatment
        TKI therapy must last more than this (default 60 months: ELN 2020's "more than 5
        years"). With dates, a whole number of calendar months.
    min_deep_duration
        The deep response must be sustained more than this (default 24 months: "more than 2
        years"). With dates, a whole number of calendar months.
    level
        Depth of the deep response: MR4 (default, ELN 2020), MR4.5 or MR5 (or MMR).
    columns, patient_columns, thresholds
        Column names; level thresholds and copy floors.

    Returns
    -------
    polars.DataFrame
        One row per patient: ``<patient>, evaluation_time, stopped, treatment_duration,
        deep_start, deep_duration, eligible, reason``. Durations are in the time unit of the
        inputs, or in months (365.25 / 12 days) with dates, where ``evaluation_time`` and
        ``deep_start`` are dates.

    Notes
    -----
    Eligibility is judged at ``tki_stop`` when the patient stopped, else at the last
    follow-up, on the usable results up to then: the current run of results at ``level`` or
    deeper (see :func:`~survstat.endpoints.cml_monitoring.sustained_response`) must span more
    than ``min_deep_duration``, and therapy must have lasted more than ``min_treatment``.

    *With dates* (the patient table's ``tki_stop`` and ``last_follow_up`` hold dates) "more
    than N months" is calendar arithmetic: the evaluation date must be after the start date
    plus N months, and the run's last result after its first plus N months (a date plus
    months keeps the day of the month, the last day for a shorter month: 29 February 2020
    plus 60 months is 28 February 2025). A stop on the 5th anniversary of the start is not
    more than 5 years; a stop the day after is.

    *With times* the duration is compared with the criterion at 6 significant digits (see
    :func:`~survstat.endpoints.cml.compare`), so that 66.1 - 6.1 = 60.00000000000001 months
    is 60, not more than 60. Times made from dates by
    :func:`~survstat.endpoints.dates.times_from_dates` count a month as 365.25 / 12 days, so
    60 months is 1826.25 days and a stop on the 5th anniversary (day 1826 or 1827) falls
    either side of it: give dates to judge anniversaries.

    References
    ----------
    1. Hochhaus A et al. European LeukemiaNet 2020 recommendations for treating chronic myeloid
       leukemia. Leukemia 2020;34:966-984.

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> labs = pl.DataFrame({"patient_id": ["a", "a"],
    ...     "sample_date": [dt.date(2017, 1, 1), dt.date(2020, 1, 1)],
    ...     "is_percent": [0.005, 0.004], "detected": [True, True],
    ...     "control_gene": ["ABL1"] * 2, "control_copies": [5e4] * 2})
    >>> patients = pl.DataFrame({"patient_id": ["a", "a2"],
    ...     "start_date": [dt.date(2015, 1, 1)] * 2,
    ...     "tki_stop": [dt.date(2020, 1, 1), dt.date(2020, 1, 2)],
    ...     "last_follow_up": [dt.date(2021, 1, 1)] * 2})
    >>> tfr_eligibility(labs.filter(pl.col("patient_id") == "a"), patients,
    ...     columns=Columns(time="sample_date")).get_column("reason").to_list()
    ['treatment not longer than 60 months', 'no usable result']
    """
    cols = columns or Columns()
    pcols = patient_columns or TfrColumns()
    min_treatment = number_option("min_treatment", min_treatment)
    min_deep_duration = number_option("min_deep_duration", min_deep_duration)
    rank = response_rank(level)
    pts_raw = scan(patients)[0].collect()
    require_columns(
        pts_raw,
        [(pcols.patient, "patient"), (pcols.tki_stop, "tki_stop")],
    )
    require_columns(pts_raw, [(pcols.last_follow_up, "last_follow_up")])
    if is_date(pts_raw.schema[pcols.tki_stop]) or is_date(pts_raw.schema[pcols.last_follow_up]):
        return _eligibility_by_dates(
            labs, pts_raw, cols, pcols, thresholds, min_treatment, min_deep_duration, level, rank
        )
    classified = classified_results(labs, columns=cols, thresholds=thresholds)
    pts = read_patients(
        pts_raw,
        pcols.patient,
        {pcols.tki_stop: "tki_stop", pcols.last_follow_up: "last_follow_up"},
        complete=[pcols.last_follow_up],
    )
    classified = check_patient_ids(classified, cols.patient, pts, pcols.patient)
    check_order(pts, pcols.patient, pcols.tki_stop, pcols.last_follow_up)
    pts = pts.with_columns(
        patient_key(pts, pcols.patient),
        pl.col(pcols.tki_stop).is_not_null().alias("stopped"),
        pl.coalesce(pcols.tki_stop, pcols.last_follow_up).alias("evaluation_time"),
    )
    classified = classified.with_columns(patient_key(classified, cols.patient))
    warn_late_results(classified, cols, pts, pcols.last_follow_up)
    runs = _runs_until(classified, cols, pts, "evaluation_time", rank)
    out = pts.join(runs, on="__pid", how="left", maintain_order="left").with_columns(
        pl.col("evaluation_time").alias("treatment_duration")
    )
    long_enough = compare(pl.col("treatment_duration"), ">", min_treatment)
    deep_enough = compare(pl.col("deep_duration"), ">", min_deep_duration).fill_null(False)
    return _eligibility_table(
        out,
        pcols.patient,
        long_enough,
        deep_enough,
        f"{min_treatment:g}",
        f"{min_deep_duration:g}",
        level,
    )


def _runs_until(
    classified: pl.DataFrame, cols: Columns, pts: pl.DataFrame, until: str, rank: int
) -> pl.DataFrame:
    """Find each patient's current deep run on the usable results up to ``until``."""
    samples = (
        usable(classified)
        .join(pts.select("__pid", until), on="__pid")
        .filter(pl.col("__t") <= pl.col(until))
    )
    return deep_runs(samples, "__pid", rank).select(
        "__pid",
        "n_results",
        pl.col("current_start").alias("deep_start"),
        pl.col("current_duration").alias("deep_duration"),
        (pl.col("current_start") + pl.col("current_duration")).alias("__deep_end"),
    )


def _eligibility_table(
    out: pl.DataFrame,
    patient: str,
    long_enough: pl.Expr,
    deep_enough: pl.Expr,
    treatment: str,
    deep: str,
    level: str,
) -> pl.DataFrame:
    no_run = pl.col("deep_duration").is_null()
    deep_reason = (
        pl.when(pl.col("n_results").is_null())
        .then(pl.lit("no usable result"))
        .when(no_run)
        .then(pl.lit(f"not in {level} at the last result"))
        .otherwise(pl.lit(f"{level} not sustained longer than {deep}"))
    )
    reason = (
        pl.when(long_enough & deep_enough)
        .then(pl.lit("eligible"))
        .when(~long_enough & ~deep_enough)
        .then(pl.lit(f"treatment not longer than {treatment}; ") + deep_reason)
        .when(~long_enough)
        .then(pl.lit(f"treatment not longer than {treatment}"))
        .otherwise(deep_reason)
    )
    return out.select(
        patient,
        "evaluation_time",
        "stopped",
        "treatment_duration",
        "deep_start",
        "deep_duration",
        (long_enough & deep_enough).alias("eligible"),
        reason.alias("reason"),
    )


def _whole_months(name: str, value: float) -> int:
    if value != int(value):
        raise OptionError(
            f"`{name}` must be a whole number of months when the inputs hold dates; got {value:g}"
        )
    return int(value)


def _eligibility_by_dates(
    labs: FrameLike,
    pts: pl.DataFrame,
    cols: Columns,
    pcols: TfrColumns,
    thresholds: Thresholds | None,
    min_treatment: float,
    min_deep_duration: float,
    level: str,
    rank: int,
) -> pl.DataFrame:
    """:func:`tfr_eligibility` on dates, with "more than N months" in calendar months."""
    treatment_months = _whole_months("min_treatment", min_treatment)
    deep_months = _whole_months("min_deep_duration", min_deep_duration)
    pts = _dated_patients(pts, pcols)
    classified = _classified_in_days(labs, cols, pts, pcols, thresholds)
    runs = _runs_until(classified, cols, pts, "__eval_days", rank)
    start = pl.col(pcols.start)
    out = pts.join(runs, on="__pid", how="left", maintain_order="left")
    deep_first = start + pl.duration(days=pl.col("deep_start").cast(pl.Int64))
    deep_last = start + pl.duration(days=pl.col("__deep_end").cast(pl.Int64))
    long_enough = pl.col("evaluation_time") > start.dt.offset_by(f"{treatment_months}mo")
    deep_enough = (deep_last > deep_first.dt.offset_by(f"{deep_months}mo")).fill_null(False)
    out = out.with_columns(long_enough.alias("__long"), deep_enough.alias("__deep")).with_columns(
        (pl.col("__eval_days") / _MONTH).alias("treatment_duration"),
        deep_first.alias("deep_start"),
        (pl.col("deep_duration") / _MONTH).alias("deep_duration"),
    )
    return _eligibility_table(
        out,
        pcols.patient,
        pl.col("__long"),
        pl.col("__deep"),
        f"{treatment_months} months",
        f"{deep_months} months",
        level,
    )


def _dated_patients(pts: pl.DataFrame, pcols: TfrColumns) -> pl.DataFrame:
    """Read and validate a patient table of dates.

    The start, stop and last follow-up are dates, in that order. Adds ``__pid``,
    ``stopped``, ``evaluation_time`` (the stop, else the last follow-up) and ``__eval_days``
    (days from the start to it).
    """
    require_columns(pts, [(pcols.start, "start of therapy")])
    if pts.height == 0:
        raise EmptyDataError("the patient table has no rows")
    check_id_column(pts, pcols.patient, "patient")
    pts = pts.with_columns(
        as_date(pts, pcols.start, "start of therapy").alias(pcols.start),
        as_date(pts, pcols.tki_stop, "tki_stop").alias(pcols.tki_stop),
        as_date(pts, pcols.last_follow_up, "last_follow_up").alias(pcols.last_follow_up),
    )
    for name in (pcols.patient, pcols.start, pcols.last_follow_up):
        fail_where(
            pts,
            pl.col(name).is_null(),
            MissingValueError,
            f"`{name}` must not be missing",
            lambda r: f"patient {r[pcols.patient]!r}",
            what="patients",
        )
    check_unique_ids(pts, pcols.patient, "patient table")
    check_order(pts, pcols.patient, pcols.start, pcols.tki_stop)
    check_order(pts, pcols.patient, pcols.start, pcols.last_follow_up)
    check_order(pts, pcols.patient, pcols.tki_stop, pcols.last_follow_up)
    return pts.with_columns(
        patient_key(pts, pcols.patient),
        pl.col(pcols.tki_stop).is_not_null().alias("stopped"),
        pl.coalesce(pcols.tki_stop, pcols.last_follow_up).alias("evaluation_time"),
    ).with_columns(
        (pl.col("evaluation_time") - pl.col(pcols.start)).dt.total_days().alias("__eval_days")
    )


def _classified_in_days(
    labs: FrameLike,
    cols: Columns,
    pts: pl.DataFrame,
    pcols: TfrColumns,
    thresholds: Thresholds | None,
) -> pl.DataFrame:
    """Classify dated lab results on days since each patient's start.

    A negative day is a pre-study sample. Adds ``__pid``; a result after the last follow-up
    is named in a warning.
    """
    lab_frame = scan(labs)[0].collect()
    require_columns(lab_frame, [(cols.patient, "patient"), (cols.time, "sample date")])
    sample_date = as_date(lab_frame, cols.time, "sample date")
    lab_frame = check_patient_ids(lab_frame, cols.patient, pts, pcols.patient)
    starts = pts.select("__pid", pl.col(pcols.start).alias("__start"))
    dated = lab_frame.with_columns(patient_key(lab_frame, cols.patient), sample_date.alias("__t"))
    in_days = (
        dated.join(starts, on="__pid", how="left", maintain_order="left")
        .with_columns(
            (pl.col("__t") - pl.col("__start")).dt.total_days().cast(pl.Float64).alias(cols.time)
        )
        .drop("__pid", "__t", "__start")
    )
    classified = classified_results(in_days, columns=cols, thresholds=thresholds)
    warn_late_results(dated, cols, pts, pcols.last_follow_up)
    return classified.with_columns(patient_key(classified, cols.patient))


__all__ = ["tfr_eligibility"]
