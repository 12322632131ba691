"""Reading the CML patient table and checking it against the lab results.

The CML endpoints (:mod:`~survstat.endpoints.cml_endpoints`, :mod:`~survstat.endpoints.cml_tfr`)
read a one-row-per-patient table of times since the start of treatment through
:func:`read_patients` (the columns of the treatment-free remission table:
:class:`TfrColumns`) and check it against the lab results here: the patient ids of both tables
(:func:`check_patient_ids`, with the id-type rule of :mod:`~survstat.endpoints._ids`), the
order of a patient's times (:func:`check_order`), and the last follow-up as the end of each
patient's record (:func:`check_events_in_follow_up`, :func:`warn_late_results`). Every error is
one :class:`~survstat.errors.SurvstatError` naming the column, the rule, how many patients break
it and the first one.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import polars as pl

from survstat.endpoints._ids import check_id_types, is_text, match_id_type
from survstat.endpoints.cml_input import (
    Columns,
    check_id_column,
    fail_where,
    number_column,
    require_columns,
)
from survstat.errors import (
    EmptyDataError,
    InvalidValueError,
    MissingValueError,
    SurvstatWarning,
    check_unique_ids,
)
from survstat.io import FrameLike, scan


@dataclass(frozen=True, slots=True)
class TfrColumns:
    """Columns of the treatment-free remission patient table.

    Times since the start of TKI therapy (null when not applicable; ``tki_restart`` and
    ``death`` may be absent: never happened). For
    :func:`tfr_eligibility` they may hold dates instead, with the start of therapy in
    ``start``.
    """

    patient: str = "patient_id"
    tki_stop: str = "tki_stop"
    tki_restart: str = "tki_restart"
    death: str = "death"
    last_follow_up: str = "last_follow_up"
    start: str = "start_date"


def read_patients(
    patients: FrameLike,
    patient: str,
    times: Mapping[str, str],
    *,
    complete: Iterable[str] = (),
    optional: Iterable[str] = (),
) -> pl.DataFrame:
    """Read and validate a one-row-per-patient table of times since the start of treatment.

    ``times`` maps each time column to its role. Columns in ``complete`` must not be missing;
    the others may be null ("did not happen"), and those in ``optional`` may be absent (read
    them with :func:`time_or_never`: an absent column is an event that never happened). Every
    time column present is cast to Float64 and must be finite and non-negative where given;
    ids must be present and unique.

    Parameters
    ----------
    patients
        The patient table.
    patient
        Its patient id column.
    times
        Time column -> its role, named in messages.
    complete
        Time columns that must not be missing.
    optional
        Time columns that may be absent.

    Returns
    -------
    polars.DataFrame
        The patient table with its time columns as Float64.
    """
    optional = set(optional)
    pts = scan(patients)[0].collect()
    require_columns(
        pts, [(patient, "patient"), *((c, r) for c, r in times.items() if c not in optional)]
    )
    if pts.height == 0:
        raise EmptyDataError("the patient table has no rows")
    check_id_column(pts, patient, "patient")
    pts = pts.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("__row"))
    fail_where(
        pts,
        pl.col(patient).is_null(),
        MissingValueError,
        f"`{patient}` must not be missing in the patient table",
        lambda r: f"row {r['__row']}",
        what="patients",
    )
    check_unique_ids(pts, patient, "patient table")
    times = {c: r for c, r in times.items() if c in pts.columns}
    pts = pts.with_columns(
        number_column(pts, name, role, "time since the start of treatment").alias(name)
        for name, role in times.items()
    )
    who = lambda r: f"patient {r[patient]!r}"  # noqa: E731
    for name in complete:
        fail_where(
            pts,
            pl.col(name).is_null() | pl.col(name).is_nan(),
            MissingValueError,
            f"`{name}` must not be missing",
            who,
            what="patients",
        )
    for name in times:
        col = pl.col(name)
        fail_where(
            pts,
            col.is_nan(),
            MissingValueError,
            f"`{name}` must be a time or null (NaN is neither)",
            who,
            what="patients",
        )
        fail_where(
            pts,
            col.is_infinite() | (col < 0),
            InvalidValueError,
            f"`{name}` must be finite and non-negative",
            lambda r, name=name: f"{r[name]} for patient {r[patient]!r}",
            what="patients",
        )
    return pts.drop("__row")


def check_patient_ids(
    classified: pl.DataFrame, lab_patient: str, pts: pl.DataFrame, patient: str
) -> pl.DataFrame:
    """Return ``classified`` with its patient ids of the patient table's type.

    Every id must be in the patient table.

    Ids of different but compatible types (integers of different widths, String, Categorical
    or Enum) join, as :func:`~survstat.endpoints._ids.match_id_type` casts them; text in one
    table and integers in the other is a :class:`ColumnTypeError` naming both columns and
    types, and a lab id missing from the patient table an :class:`InvalidValueError`.

    Parameters
    ----------
    classified
        The classified lab results.
    lab_patient
        Their patient id column.
    pts
        The patient table.
    patient
        Its patient id column.

    Returns
    -------
    polars.DataFrame
        ``classified`` with its ids cast to the patient table's type.
    """
    pt_type = pts.schema[patient]
    tables = ("lab results", "patient table")
    check_id_types(classified.schema[lab_patient], pt_type, lab_patient, tables, other=patient)
    unknown = (
        classified.select(pl.col(lab_patient).alias("__id"))
        .drop_nulls()
        .unique(maintain_order=True)
        .with_columns(pl.col("__id").cast(pl.String).alias("__key"))
        .join(pts.select(pl.col(patient).cast(pl.String).alias("__key")), on="__key", how="anti")
    )
    if unknown.height:
        raise InvalidValueError(
            f"{unknown.height} patients have lab results but no row in the patient table "
            f"(first: {unknown.get_column('__id')[0]!r})"
        )
    return match_id_type(classified, lab_patient, pt_type, tables, other=patient)


def check_order(
    pts: pl.DataFrame, patient: str, early: str, late: str, *, rule: str | None = None
) -> None:
    """Raise :class:`InvalidValueError` when a patient's ``late`` time is before ``early``.

    The times may be dates. The error names the patient, both columns and both values; a
    column absent from ``pts`` is not checked.

    Parameters
    ----------
    pts
        The patient table.
    patient
        Its patient id column.
    early, late
        The columns that must be in this order.
    rule
        The rule, for the message (default: ``late`` must not be before ``early``).
    """
    if early not in pts.columns or late not in pts.columns:
        return
    fail_where(
        pts,
        pl.col(late) < pl.col(early),
        InvalidValueError,
        rule or f"`{late}` must not be before `{early}`",
        lambda r: f"patient {r[patient]!r}, {early} {r[early]} after {late} {r[late]}",
        what="patients",
    )


def check_events_in_follow_up(
    pts: pl.DataFrame, patient: str, events: Iterable[str], last_follow_up: str
) -> None:
    """Raise :class:`InvalidValueError` for an event dated after the patient's last follow-up.

    The last follow-up ends the patient's record: an event after it (a death at month 30
    with the last follow-up at month 12) is a contradiction in the data, not a censoring at
    the last follow-up, so it is refused naming the patient, the column and both times, as
    the RECIST derivation refuses a subject last known alive before their last assessment.

    Parameters
    ----------
    pts
        The patient table.
    patient
        Its patient id column.
    events
        The event columns (absent ones are skipped).
    last_follow_up
        The last follow-up column.
    """
    for event in events:
        check_order(
            pts,
            patient,
            event,
            last_follow_up,
            rule=f"`{event}` must not be after `{last_follow_up}` (the end of follow-up)",
        )


def warn_late_results(
    results: pl.DataFrame, cols: Columns, pts: pl.DataFrame, last_follow_up: str
) -> None:
    """Warn when lab results are dated after their patient's last follow-up.

    ``results`` holds the lab results with ``__pid`` and ``__t``, ``pts`` the patients with
    ``__pid`` and ``last_follow_up`` on the scale of ``__t``. Such results do not count: the
    patient table's last follow-up is where every endpoint ends. They are common when the last
    follow-up is the last clinic visit and a sample taken later (a central-lab result, a
    sample sent from home) reaches the database, so the analysis goes on; the
    :class:`~survstat.errors.SurvstatWarning` names the patient, the sample time and the last
    follow-up, for the data manager to move the last follow-up if the patient was followed
    until then.

    Parameters
    ----------
    results
        The lab results.
    cols
        Their column names.
    pts
        The patient table.
    last_follow_up
        Its last follow-up column.
    """
    late = results.join(
        pts.select("__pid", pl.col(last_follow_up).alias("__last")),
        on="__pid",
        how="inner",
        maintain_order="left",
    )
    hit = late.select((pl.col("__t") > pl.col("__last")).fill_null(False)).to_series()
    if hit.any():
        first = late.filter(hit).row(0, named=True)
        warnings.warn(
            f"`{cols.time}`: lab results after the patient's `{last_follow_up}` do not count "
            f"(correct `{last_follow_up}` if the patient was followed until then); found "
            f"{int(hit.sum())} of {results.height} results (first: patient "
            f"{first[cols.patient]!r}, {cols.time} {first[cols.time]} after {last_follow_up} "
            f"{first['__last']})",
            SurvstatWarning,
            # one location for every caller: the same finding about the same data is shown
            # once, even by an analysis that derives two endpoints from it
            stacklevel=1,
        )


def patient_key(frame: pl.DataFrame, column: str) -> pl.Expr:
    """Return a patient id comparable between tables: text ids as String, integers as is.

    Parameters
    ----------
    frame
        A table with the id column.
    column
        The id column.

    Returns
    -------
    polars.Expr
        The id as ``__pid``.
    """
    dtype = frame.schema[column]
    return pl.col(column).cast(pl.String if is_text(dtype) else dtype).alias("__pid")


def time_or_never(frame: pl.DataFrame, name: str) -> pl.Expr:
    """Return the Float64 time column ``name``, or null (never) when the table lacks it.

    Parameters
    ----------
    frame
        The patient table.
    name
        The time column.

    Returns
    -------
    polars.Expr
        The times as Float64.
    """
    if name in frame.columns:
        return pl.col(name).cast(pl.Float64)
    return pl.lit(None, dtype=pl.Float64)


__all__ = [
    "TfrColumns",
    "check_events_in_follow_up",
    "check_order",
    "check_patient_ids",
    "patient_key",
    "read_patients",
    "time_or_never",
    "warn_late_results",
]
