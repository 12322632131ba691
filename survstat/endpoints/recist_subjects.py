"""Reading the subject table of a solid-tumour trial, validated once.

The study days of death, last known alive and new anticancer therapy, and whether a baseline
tumour assessment was done, checked against the assessments.

:func:`~survstat.endpoints.recist_tte.time_to_event_endpoints` reads its subject table
through :func:`read_subjects`, so that bad input gives one clear
:class:`~survstat.errors.SurvstatError` naming the column, the rule, how many subjects break
it and the first of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from survstat.endpoints.recist_input import (
    RecistColumns,
    check_days,
    check_subject_ids,
    counted,
)
from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    EmptyDataError,
    InvalidValueError,
    OptionError,
    check_unique_ids,
)
from survstat.io import FrameLike, scan

#: The default subject-table column saying whether a baseline tumour assessment was done.
BASELINE_COLUMN = "baseline_assessed"


@dataclass(frozen=True, slots=True)
class SubjectColumns:
    """Subject-table columns.

    The subject id, study days since the start (null when not applicable) and whether a
    baseline tumour assessment was done.

    Set ``death``, ``last_alive`` or ``new_therapy`` to None when the table has no such
    column (no deaths, every subject died, or no new therapy recorded); ``death`` and
    ``last_alive`` cannot both be None.

    ``baseline`` is a boolean column (or 0/1), True when the subject had a baseline tumour
    assessment, False when not (then censored at day 0, the FDA 2018 rule "no baseline tumor
    assessments"); a missing value is an error. It is a flag rather than a study day because
    the rule needs only whether the assessment exists, and a baseline scan dated before the
    start would be refused as a study day. The default column, ``baseline_assessed``, is
    optional: when the table lacks it the rule is not applied (every subject is taken to
    have had a baseline assessment). A column named otherwise must exist; None switches the
    rule off.
    """

    subject: str = "subject_id"
    death: str | None = "death_day"
    last_alive: str | None = "last_alive_day"
    new_therapy: str | None = "new_therapy_day"
    baseline: str | None = BASELINE_COLUMN


def read_subjects(
    subjects: FrameLike, scols: SubjectColumns, reserved: Iterable[str]
) -> pl.DataFrame:
    """Read and validate the subject table once.

    Adds ``__death, __alive, __nt`` (Float64, null when absent) and ``__baseline`` (Boolean).

    Parameters
    ----------
    subjects
        One row per subject (see :class:`SubjectColumns`).
    scols
        Its column names.
    reserved
        Names the derivation writes (its output columns and the output's subject id): a
        subject-table column of that name, other than the subject id, would be dropped or
        overwritten, so it is an error, as is a column starting with ``__``.

    Returns
    -------
    polars.DataFrame
        The subject table with the checked study days and baseline flag added.
    """
    subj = scan(subjects)[0].collect()
    if scols.death is None and scols.last_alive is None:
        raise OptionError("`death` and `last_alive` cannot both be None in SubjectColumns")
    for role in ("subject", "death", "last_alive", "new_therapy", "baseline"):
        name = getattr(scols, role)
        optional = role == "baseline" and name == BASELINE_COLUMN
        if name is not None and name not in subj.columns and not optional:
            raise ColumnNotFoundError(name, subj.columns, role=role)
    # carried to the output, such columns would be dropped or overwritten by derived ones
    named = set(reserved) - {scols.subject}
    clash = [c for c in subj.columns if c in named]
    if clash:
        raise InvalidValueError(
            f"the subject table has columns named as output columns ({', '.join(clash)}); "
            "rename them first"
        )
    internal = [c for c in subj.columns if c.startswith("__")]
    if internal:
        raise InvalidValueError(
            "the subject table has columns starting with `__`, which the derivation uses for "
            f"its own ({', '.join(internal)}); rename them first"
        )
    if subj.height == 0:
        raise EmptyDataError("the subject table has no rows")
    check_subject_ids(subj, scols.subject, "subject table")
    check_unique_ids(subj, scols.subject, "subject table")
    days = {}
    for role, alias in (("death", "__death"), ("last_alive", "__alive"), ("new_therapy", "__nt")):
        name = getattr(scols, role)
        days[alias] = (
            pl.lit(None, dtype=pl.Float64)
            if name is None
            else check_days(subj, name, scols.subject, table="subject table", after_start=False)
        )
    subj = subj.with_columns(**days, __baseline=_baseline(subj, scols))
    alive_name = scols.last_alive or "last_alive_day"
    no_alive = subj.filter(pl.col("__alive").is_null() & pl.col("__death").is_null())
    if no_alive.height:
        raise InvalidValueError(
            f"`{alive_name}` is missing for {no_alive.height} of {counted(subj.height, 'subject')} "
            f"without a death (first: {no_alive[scols.subject][0]!r})"
        )
    late = subj.filter(pl.col("__alive") > pl.col("__death"))
    if late.height:
        row = late.row(0, named=True)
        were = "was" if late.height == 1 else "were"
        raise InvalidValueError(
            f"`{alive_name}`: {late.height} of {counted(subj.height, 'subject')} {were} alive "
            f"after their `{scols.death}` (first: {row[scols.subject]!r}, alive on day "
            f"{row['__alive']}, death on day {row['__death']})"
        )
    return subj


def _baseline(subj: pl.DataFrame, scols: SubjectColumns) -> pl.Expr:
    """Read whether each subject had a baseline tumour assessment.

    True when the table does not say; else from a boolean or 0/1 column without missing
    values.
    """
    name = scols.baseline
    if name is None or name not in subj.columns:
        return pl.lit(True)
    dtype = subj.schema[name]
    if not (dtype == pl.Boolean or dtype.is_integer()):
        raise ColumnTypeError(
            f"`{name}` in the subject table must be boolean (or 0/1): whether a baseline "
            f"tumour assessment was done; found {dtype}"
        )
    for bad, what in (
        (pl.col(name).is_null(), "missing"),
        (~pl.col(name).cast(pl.Int64).is_in([0, 1]), "neither 0 nor 1"),
    ):
        rows = subj.filter(bad.fill_null(False))
        if rows.height:
            row = rows.row(0, named=True)
            value = "" if row[name] is None else f", {row[name]}"
            raise InvalidValueError(
                f"`{name}` is {what} for {rows.height} of {counted(subj.height, 'subject')} "
                f"(first: {row[scols.subject]!r}{value}); give True when the subject had a "
                "baseline tumour assessment, False when not"
            )
    return pl.col(name).cast(pl.Boolean)


def check_against_visits(
    subj: pl.DataFrame, frame: pl.DataFrame, cols: RecistColumns, scols: SubjectColumns
) -> None:
    """Check the subject table against the assessments.

    Every assessed subject is in the subject table, assessed before death and no later than
    last known alive.
    """
    unknown = (
        frame.select(cols.subject)
        .unique()
        .join(subj.select(pl.col(scols.subject).alias(cols.subject)), on=cols.subject, how="anti")
    )
    if unknown.height:
        have = "has" if unknown.height == 1 else "have"
        raise InvalidValueError(
            f"{counted(unknown.height, 'subject')} {have} assessments but no row in the subject "
            f"table (first: {unknown[cols.subject].sort()[0]!r})"
        )
    last = frame.group_by(cols.subject).agg(pl.col("__day").max().alias("__last"))
    both = subj.join(
        last.rename({cols.subject: scols.subject}), on=scols.subject, how="inner"
    ).sort(scols.subject)
    for column, name, what in (
        ("__death", scols.death, ("has", "have", "assessments after their death")),
        (
            "__alive",
            scols.last_alive,
            ("was", "were", "last known alive before their last assessment"),
        ),
    ):
        bad = both.filter(pl.col("__last") > pl.col(column))
        if bad.height:
            row = bad.row(0, named=True)
            verb = what[0] if bad.height == 1 else what[1]
            raise InvalidValueError(
                f"`{name}`: {bad.height} of {counted(subj.height, 'subject')} {verb} {what[2]} "
                f"(first: {row[scols.subject]!r}, {name} {row[column]}, last assessment day "
                f"{row['__last']})"
            )


__all__ = ["BASELINE_COLUMN", "SubjectColumns", "check_against_visits", "read_subjects"]
