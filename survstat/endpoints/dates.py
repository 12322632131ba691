"""Calendar dates to time since the start of treatment.

Trial databases hold dates: the start of therapy, each sample, the last follow-up, the end of
treatment, progression, death. The endpoint functions work on time since the start; this module
converts, in one validated step, so that a sample dated before its patient's start is an error
naming the patient and both dates, never a negative time.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from survstat._choices import TimeUnit
from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidValueError,
    OptionError,
    check_unique_ids,
    counted,
)
from survstat.io import FrameLike, scan

#: Days per time unit (a month is 365.25 / 12 days, as in most CML and oncology trials).
DAYS_PER_UNIT = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12.0, "years": 365.25}

#: Default patient-table date columns and the time columns made from them.
PATIENT_DATES = {
    "last_follow_up": "last_follow_up_date",
    "discontinuation": "discontinuation_date",
    "progression": "progression_date",
    "death": "death_date",
}


#: Patient-table date columns of a treatment-free remission phase and the time columns made
#: from them (for :func:`survstat.endpoints.cml_tfr.tfr_endpoints`); ``tki_restart`` and
#: ``death`` may be absent.
TFR_DATES = {
    "tki_stop": "tki_stop_date",
    "tki_restart": "tki_restart_date",
    "death": "death_date",
    "last_follow_up": "last_follow_up_date",
}


#: Subject-table date columns of a solid-tumour trial and the study-day columns made from them
#: (for :func:`survstat.endpoints.recist_tte.time_to_event_endpoints`, with ``unit="days"``).
RECIST_DATES = {
    "death_day": "death_date",
    "last_alive_day": "last_alive_date",
    "new_therapy_day": "new_therapy_date",
}


def is_date(dtype: pl.DataType) -> bool:
    """Return True for Date and Datetime columns (of any unit and time zone).

    Parameters
    ----------
    dtype
        A column's type.

    Returns
    -------
    bool
        Whether the column holds dates.
    """
    return dtype == pl.Date or isinstance(dtype, pl.Datetime)


def as_date(frame: pl.DataFrame, name: str, role: str) -> pl.Expr:
    """Read the column ``name`` of ``frame`` as calendar dates.

    Every CML function reads its dates through this one function.

    Parameters
    ----------
    frame
        The table holding the column.
    name
        The column: Date, Datetime (taken at its calendar date, in its own time zone), or
        all null (a column of no dates, as an event that never happened gives).
    role
        What the column is, for the message of an error (e.g. ``"start date"``).

    Returns
    -------
    polars.Expr
        The column as Date.

    Raises
    ------
    ColumnNotFoundError
        ``name`` is not a column of ``frame`` (with the nearest names).
    ColumnTypeError
        The column holds anything else, e.g. dates as text.
    """
    if name not in frame.columns:
        raise ColumnNotFoundError(name, frame.columns, role=role)
    dtype = frame.schema[name]
    if dtype == pl.Date:
        return pl.col(name)
    if isinstance(dtype, pl.Datetime):
        return pl.col(name).dt.date()
    if dtype == pl.Null:
        return pl.col(name).cast(pl.Date)
    raise ColumnTypeError(f"`{name}` ({role}) must be a date or datetime; found {dtype}")


def _elapsed(frame: pl.DataFrame, name: str, role: str, start: str, unit: float) -> pl.Expr:
    return (as_date(frame, name, role) - pl.col(start)).dt.total_days() / unit


def _check_not_before_start(
    frame: pl.DataFrame, patient: str, start: str, name: str, what: str
) -> None:
    early = frame.filter(pl.col(name) < pl.col(start))
    if early.height:
        first = early.row(0, named=True)
        raise InvalidValueError(
            f"`{name}`: {early.height} of {frame.height} {what} dated before the patient's "
            f"`{start}` (first: patient {first[patient]!r}, {first[name]} before "
            f"{first[start]})"
        )


def times_from_dates(
    labs: FrameLike,
    patients: FrameLike,
    *,
    patient: str = "patient_id",
    start: str = "start_date",
    sample_date: str = "sample_date",
    dates: Mapping[str, str] | None = None,
    time: str = "time",
    unit: TimeUnit = "months",
    optional: bool = False,
    pre_study: bool = False,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Convert sample and event dates to time since each patient's start of treatment.

    Parameters
    ----------
    labs
        Lab results with ``patient`` and ``sample_date`` (date or datetime) columns.
    patients
        One row per patient with ``start`` and the event dates.
    dates
        Patient time column to make -> its date column; defaults to :data:`PATIENT_DATES`, of
        which the columns present are converted (a missing date stays missing). Columns
        named explicitly must exist unless ``optional`` is set.
    time
        Name of the sample-time column added to ``labs``.
    unit
        ``"months"`` (default; 365.25 / 12 days), ``"days"``, ``"weeks"`` or ``"years"``.
    optional
        With ``dates`` given, convert only the date columns present (default False: each
        must exist).
    pre_study
        False (default): a sample dated before its patient's start is an error. True: it
        becomes a negative time, a pre-study (baseline) result, which the CML endpoints
        classify but never count as a response. Event dates before the start are errors
        either way.

    Returns
    -------
    (labs, patients)
        The inputs with the time columns added (the date columns are kept), ready for
        :func:`survstat.endpoints.cml.response_endpoints`.

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> labs = pl.DataFrame({"patient_id": ["a"], "sample_date": [dt.date(2020, 7, 1)]})
    >>> pts = pl.DataFrame({"patient_id": ["a"], "start_date": [dt.date(2020, 1, 1)],
    ...                     "last_follow_up_date": [dt.date(2021, 1, 1)]})
    >>> lab_t, pt_t = times_from_dates(labs, pts, unit="days")
    >>> lab_t["time"].item(), pt_t["last_follow_up"].item()
    (182.0, 366.0)
    """
    if unit not in DAYS_PER_UNIT:
        raise OptionError(f"`unit` must be one of {', '.join(DAYS_PER_UNIT)}; got {unit!r}")
    per = DAYS_PER_UNIT[unit]
    lab_frame = scan(labs)[0].collect()
    pts = scan(patients)[0].collect()
    for frame, role in ((lab_frame, "lab results"), (pts, "patient table")):
        if patient not in frame.columns:
            raise ColumnNotFoundError(patient, frame.columns, role=f"patient id in the {role}")
    pts = pts.with_columns(as_date(pts, start, "start date").alias(start))
    no_start = pts.filter(pl.col(start).is_null())
    if no_start.height:
        raise InvalidValueError(
            f"`{start}` is missing for {no_start.height} of {counted(pts.height, 'patient')} "
            f"(first: patient {no_start[patient][0]!r})"
        )
    check_unique_ids(pts, patient, "patient table")
    wanted = dict(PATIENT_DATES if dates is None else dates)
    present = {out: col for out, col in wanted.items() if col in pts.columns}
    if dates is not None and not optional and len(present) < len(wanted):
        missing = next(col for col in wanted.values() if col not in pts.columns)
        raise ColumnNotFoundError(missing, pts.columns, role="event date")
    for out, col in present.items():
        pts = pts.with_columns(as_date(pts, col, f"{out} date").alias(col))
        _check_not_before_start(pts, patient, start, col, "patients have it")
    pts = pts.with_columns(
        *(_elapsed(pts, col, f"{out} date", start, per).alias(out) for out, col in present.items())
    )
    joined = lab_frame.with_columns(
        as_date(lab_frame, sample_date, "sample date").alias("__sample")
    ).join(pts.select(patient, start), on=patient, how="left")
    orphans = joined.filter(pl.col(start).is_null())
    if orphans.height:
        raise InvalidValueError(
            f"{orphans.height} of {joined.height} lab results belong to patients missing from "
            f"the patient table (first: patient {orphans[patient][0]!r})"
        )
    no_date = joined.filter(pl.col("__sample").is_null())
    if no_date.height:
        raise InvalidValueError(
            f"`{sample_date}` is missing for {no_date.height} of "
            f"{counted(joined.height, 'lab result')} "
            f"(first: patient {no_date[patient][0]!r})"
        )
    if not pre_study:
        _check_not_before_start(
            joined.with_columns(pl.col("__sample").alias(sample_date)),
            patient,
            start,
            sample_date,
            "lab results are",
        )
    lab_out = joined.with_columns(
        ((pl.col("__sample") - pl.col(start)).dt.total_days() / per).alias(time)
    ).drop("__sample", start)
    return lab_out, pts


__all__ = [
    "DAYS_PER_UNIT",
    "PATIENT_DATES",
    "RECIST_DATES",
    "TFR_DATES",
    "as_date",
    "is_date",
    "times_from_dates",
]
