"""Dose intensity and relative dose intensity from exposure records.

**Definitions** (Hryniuk & Bush 1984, J Clin Oncol 2:1281-1288; Longo et al. 1991, J Clin
Oncol 9:2042-2051): the *dose intensity* is the dose delivered per unit time on treatment,

    DI = cumulative delivered dose / days on treatment            (mg/day),

and the *relative dose intensity* is the delivered dose intensity over the planned one,

    RDI = DI / planned dose per day = cumulative dose / (planned dose per day x days).

**Time on treatment** runs from the first dose day to the last dose day of the subject's
records, both included (the ADaM TRTSDT to TRTEDT span): records with dose 0 before the first
dose or after the last are not part of it, and a subject with no dose at all is an error.
Within it:

* an *interruption* (a gap between records, or a record with dose 0) counts as days on
  treatment with no dose: it lowers the RDI;
* a *dose reduction* counts at the dose taken: 250 mg/day for a week where 300 was planned
  is 250/300 of that week's planned dose;
* ``n_reductions`` counts the dosed records whose daily dose is below the dose it follows:
  the previous dose above 0 (an interruption in between does not reset it), or, for the
  first dosed record, the planned dose. A start below the planned dose is a reduction: in
  the dose-intensity literature a dose reduction is measured against the planned (standard)
  dose, from the first cycle on (Longo et al. 1991; Lyman et al. 2003, J Clin Oncol
  21:4524-4531). A return to a higher dose is not a reduction;
* a *permanent stop* ends the time on treatment at the last dose: the days after it are not
  counted (the RDI is of the treatment given, not of the planned course).

**Records** (an EX-like table, CDISC SDTM EX): one row per period at a constant daily dose,
with the subject, first and last study day (whole days, both included) and the dose per day.
A subject's records must not overlap: two records covering the same day would count that
day's dose twice, and are an error naming the subject and both rows.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import polars as pl

from survstat.endpoints._records import ROW, example, numeric, read_records, whole_days
from survstat.errors import InvalidValueError, OptionError, SurvstatWarning, counted
from survstat.io import FrameLike

#: Columns of the per-subject table, in order (after the subject id).
SUBJECT_COLUMNS = (
    "first_day",
    "last_day",
    "days_on_treatment",
    "days_dosed",
    "days_interrupted",
    "n_reductions",
    "final_dose",
    "planned_dose",
    "cumulative_dose",
    "planned_cumulative_dose",
    "dose_intensity",
    "relative_dose_intensity",
)


@dataclass(frozen=True, slots=True)
class DoseIntensity:
    """Dose intensity per subject and over time.

    Attributes
    ----------
    subjects
        One row per subject (sorted by subject): the subject id column, then ``first_day``,
        ``last_day``, ``days_on_treatment`` (last - first + 1), ``days_dosed`` (days with a
        dose above 0), ``days_interrupted`` (the others), ``n_reductions`` (dosed records whose
        dose is below the subject's previous positive dose, or for the first dosed record
        below the planned dose), ``final_dose`` (the dose of the last
        record), ``planned_dose`` (per day), ``cumulative_dose``, ``planned_cumulative_dose``
        (planned dose x days on treatment), ``dose_intensity`` (per day) and
        ``relative_dose_intensity`` (a fraction: 1 is the planned dose intensity).
    over_time
        The cumulative RDI at the days where it changes course, per subject: the subject id
        column, ``day``, ``dose`` (taken that day; 0 in an interruption), ``cumulative_dose``
        and ``planned_cumulative_dose`` through the end of that day, and
        ``relative_dose_intensity`` (their ratio). Between two rows the cumulative doses are
        linear in the day.
    n_records
        The number of exposure records read.
    """

    subjects: pl.DataFrame
    over_time: pl.DataFrame
    n_records: int


def _planned(
    frame: pl.DataFrame, subject: str, planned: str | None, planned_dose: float | None
) -> pl.Series:
    """The planned dose per day of each record, positive and one per subject."""
    if (planned is None) == (planned_dose is None):
        raise OptionError(
            "give the planned dose per day either as a column (`planned`) or as a number "
            "(`planned_dose`), not both and not neither"
        )
    if planned is None:
        values = pl.Series("planned", [float(planned_dose or 0.0)] * frame.height)
        if not float(planned_dose or 0.0) > 0:
            raise OptionError(f"`planned_dose` must be positive; got {planned_dose}")
        return values
    values = numeric(frame, planned, "planned dose per day", subject)
    bad = values <= 0
    if bad.any():
        raise InvalidValueError(
            f"`{planned}` (planned dose per day) must be positive; found {bad.sum()} values "
            f"that are not (first: {values.filter(bad)[0]}, {example(frame, bad, subject)})"
        )
    several = (
        frame.with_columns(values.alias("__p"))
        .group_by(subject)
        .agg(pl.col("__p").n_unique().alias("n"))
    )
    several = several.filter(pl.col("n") > 1).sort(subject)
    if several.height:
        raise InvalidValueError(
            f"`{planned}` (planned dose per day) must take one value per subject; "
            f"{counted(several.height, 'subject')} "
            + ("has" if several.height == 1 else "have")
            + f" several (first: {several.get_column(subject)[0]})"
        )
    return values


def _check_overlaps(records: pl.DataFrame, subject: str, start: str, end: str) -> None:
    """Raise when two records of a subject cover the same day."""
    ordered = records.sort(subject, "__start", "__end").with_columns(
        pl.col("__end").shift(1).over(subject).alias("__prev_end"),
        pl.col("__start").shift(1).over(subject).alias("__prev_start"),
        pl.col(ROW).shift(1).over(subject).alias("__prev_row"),
    )
    overlap = ordered.filter(pl.col("__start") <= pl.col("__prev_end"))
    if overlap.height:
        r = overlap.row(0, named=True)
        raise InvalidValueError(
            f"exposure records (`{start}` to `{end}`) must not overlap within a subject; found "
            f"{counted(overlap.height, 'overlapping record')} (first: subject {r[subject]}, rows "
            f"{r['__prev_row']} and {r[ROW]}: days {r['__prev_start']}-{r['__prev_end']} and "
            f"{r['__start']}-{r['__end']})"
        )


def exposure_records(
    data: FrameLike,
    *,
    subject: str = "subject_id",
    start: str = "start_day",
    end: str = "end_day",
    dose: str = "dose",
    planned: str | None = None,
    planned_dose: float | None = None,
) -> pl.DataFrame:
    """The exposure records checked and sorted: subject, ``__start``, ``__end``, ``__dose``,
    ``__planned`` and the input row (``__row``).

    Parameters
    ----------
    data
        One row per period at a constant daily dose.
    subject, start, end, dose
        The subject id, first and last study day (whole days, both included) and dose per
        day columns.
    planned
        A column of the planned dose per day (one value per subject); or
    planned_dose
        The planned dose per day of every subject.

    Returns
    -------
    polars.DataFrame
        The records, sorted by subject and start day.

    Raises
    ------
    SurvstatError
        A subclass naming the column, the rule, the count and the first subject and row: a
        missing column or value, a fractional day, a record ending before it starts, a
        negative dose, a planned dose that is not positive or not one per subject, two
        records of a subject covering the same day, a subject with no dose above 0.
    """
    roles = {subject: "subject", start: "start day", end: "end day", dose: "dose per day"}
    if planned is not None:
        roles[planned] = "planned dose per day"
    frame = read_records(data, roles, what="exposure records", subject=subject)
    first, last = (
        whole_days(frame, start, "start day", subject),
        whole_days(frame, end, "end day", subject),
    )
    backwards = last < first
    if backwards.any():
        raise InvalidValueError(
            f"`{end}` (end day) must be on or after `{start}` (start day); found "
            f"{counted(backwards.sum(), 'record')} ending before "
            + ("it starts" if backwards.sum() == 1 else "they start")
            + " (first: "
            f"{example(frame, backwards, subject)}, days {first.filter(backwards)[0]} to "
            f"{last.filter(backwards)[0]})"
        )
    amount = numeric(frame, dose, "dose per day", subject)
    negative = amount < 0
    if negative.any():
        raise InvalidValueError(
            f"`{dose}` (dose per day) must be non-negative; found "
            f"{counted(negative.sum(), 'negative value')} (first: {amount.filter(negative)[0]}, "
            f"{example(frame, negative, subject)})"
        )
    records = frame.select(
        ROW,
        subject,
        first.alias("__start"),
        last.alias("__end"),
        amount.alias("__dose"),
        _planned(frame, subject, planned, planned_dose).alias("__planned"),
    )
    _check_overlaps(records, subject, start, end)
    dosed = pl.col("__dose") > 0
    bounds = records.group_by(subject).agg(
        pl.col("__start").filter(dosed).min().alias("__first"),
        pl.col("__end").filter(dosed).max().alias("__last"),
    )
    never = bounds.filter(pl.col("__first").is_null()).sort(subject)
    if never.height:
        raise InvalidValueError(
            f"`{dose}` (dose per day) must be above 0 in at least one record of each subject; "
            f"{counted(never.height, 'subject')} "
            + ("has" if never.height == 1 else "have")
            + " none, so no time on treatment (first: "
            f"{never.get_column(subject)[0]})"
        )
    # zero-dose records before the first dose or after the last are not time on treatment
    inside = (pl.col("__end") >= pl.col("__first")) & (pl.col("__start") <= pl.col("__last"))
    return (
        records.join(bounds, on=subject, how="left")
        .filter(inside)
        .drop("__first", "__last")
        .sort(subject, "__start")
    )


def _over_time(records: pl.DataFrame, subject: str) -> pl.DataFrame:
    """The cumulative doses at each record's first and last day and each gap's last day."""
    days = pl.col("__end") - pl.col("__start") + 1
    with_cum = records.with_columns(
        (pl.col("__dose") * days).cum_sum().over(subject).alias("__cum_end"),
        pl.col("__start").min().over(subject).alias("__first"),
        pl.col("__start").shift(-1).over(subject).alias("__next"),
    )
    cum_before = pl.col("__cum_end") - pl.col("__dose") * days
    starts = with_cum.select(
        subject,
        "__first",
        "__planned",
        pl.col("__start").alias("day"),
        pl.col("__dose").alias("dose"),
        (cum_before + pl.col("__dose")).alias("cumulative_dose"),
    )
    ends = with_cum.select(
        subject,
        "__first",
        "__planned",
        pl.col("__end").alias("day"),
        pl.col("__dose").alias("dose"),
        pl.col("__cum_end").alias("cumulative_dose"),
    )
    gaps = with_cum.filter(pl.col("__next") > pl.col("__end") + 1).select(
        subject,
        "__first",
        "__planned",
        (pl.col("__next") - 1).alias("day"),
        pl.lit(0.0).alias("dose"),
        pl.col("__cum_end").alias("cumulative_dose"),
    )
    planned_cum = pl.col("__planned") * (pl.col("day") - pl.col("__first") + 1)
    return (
        pl.concat([starts, ends, gaps])
        .unique([subject, "day"], keep="first", maintain_order=True)
        .sort(subject, "day")
        .select(
            subject,
            "day",
            "dose",
            "cumulative_dose",
            planned_cum.alias("planned_cumulative_dose"),
            (pl.col("cumulative_dose") / planned_cum).alias("relative_dose_intensity"),
        )
    )


def _warn_above_planned(records: pl.DataFrame, subject: str, dose: str) -> None:
    """Warn of records whose daily dose exceeds the planned dose: allowed (an escalation),
    but an RDI above 100% is more often a dose entered in the wrong unit or a wrong plan."""
    above = records.get_column("__dose") > records.get_column("__planned")
    if above.any():
        n_subjects = records.filter(above).get_column(subject).n_unique()
        warnings.warn(
            f"`{dose}`: {int(above.sum())} exposure record(s) of {n_subjects} subject(s) give a "
            f"daily dose above the planned dose (first: {example(records, above, subject)}), "
            "so their relative dose intensity can exceed 100%; check the dose units and the plan",
            SurvstatWarning,
            stacklevel=3,
        )


def dose_intensity(
    data: FrameLike,
    *,
    subject: str = "subject_id",
    start: str = "start_day",
    end: str = "end_day",
    dose: str = "dose",
    planned: str | None = None,
    planned_dose: float | None = None,
) -> DoseIntensity:
    """Dose intensity and relative dose intensity (RDI) per subject and over time.

    DI = cumulative dose / days on treatment and RDI = DI / planned dose per day (Hryniuk &
    Bush 1984); days on treatment run from the first to the last dose day, interruptions
    counting as days without dose and reductions at the dose taken (see the module's
    docstring).

    Parameters
    ----------
    data
        Exposure records: one row per period at a constant daily dose (a polars DataFrame
        or LazyFrame, a pyarrow Table, a pandas DataFrame or a path).
    subject
        Subject id column.
    start, end
        First and last study day of the record (whole days, both included).
    dose
        Dose per day taken in the record (0 for a recorded interruption).
    planned
        Column of the planned dose per day, one value per subject; or
    planned_dose
        The planned dose per day of every subject (exactly one of the two).

    Returns
    -------
    DoseIntensity
        The per-subject table and the cumulative RDI over time.

    Raises
    ------
    SurvstatError
        For bad records (see :func:`exposure_records`).

    References
    ----------
    1. Hryniuk W, Bush H. The importance of dose intensity in chemotherapy of metastatic
       breast cancer. J Clin Oncol 1984;2:1281-1288.
    2. Longo DL, Duffey PL, DeVita VT Jr, et al. The calculation of actual or received dose
       intensity: a comparison of published methods. J Clin Oncol 1991;9:2042-2051.

    Examples
    --------
    >>> import polars as pl
    >>> ex = pl.DataFrame({"subject_id": ["A", "A"], "start_day": [1, 15],
    ...                    "end_day": [7, 28], "dose": [300.0, 250.0]})
    >>> dose_intensity(ex, planned_dose=300).subjects["relative_dose_intensity"].round(4)[0]
    0.6667
    """
    records = exposure_records(
        data,
        subject=subject,
        start=start,
        end=end,
        dose=dose,
        planned=planned,
        planned_dose=planned_dose,
    )
    _warn_above_planned(records, subject, dose)
    days = pl.col("__end") - pl.col("__start") + 1
    positive = pl.when(pl.col("__dose") > 0).then(pl.col("__dose"))
    flagged = records.with_columns(
        # the dose followed: the previous positive dose, else (the first dose) the planned
        (
            pl.col("__dose")
            < positive.forward_fill().shift(1).over(subject).fill_null(pl.col("__planned"))
        )
        .and_(pl.col("__dose") > 0)
        .alias("__reduced")
    )
    per_subject = (
        flagged.group_by(subject)
        .agg(
            pl.col("__start").min().alias("first_day"),
            pl.col("__end").max().alias("last_day"),
            days.filter(pl.col("__dose") > 0).sum().alias("days_dosed"),
            pl.col("__reduced").sum().cast(pl.Int64).alias("n_reductions"),
            pl.col("__dose").last().alias("final_dose"),
            pl.col("__planned").first().alias("planned_dose"),
            (pl.col("__dose") * days).sum().alias("cumulative_dose"),
        )
        .with_columns((pl.col("last_day") - pl.col("first_day") + 1).alias("days_on_treatment"))
        .with_columns(
            (pl.col("days_on_treatment") - pl.col("days_dosed")).alias("days_interrupted"),
            (pl.col("planned_dose") * pl.col("days_on_treatment")).alias("planned_cumulative_dose"),
            (pl.col("cumulative_dose") / pl.col("days_on_treatment")).alias("dose_intensity"),
        )
        .with_columns(
            (pl.col("cumulative_dose") / pl.col("planned_cumulative_dose")).alias(
                "relative_dose_intensity"
            )
        )
        .select(subject, *SUBJECT_COLUMNS)
        .sort(subject)
    )
    return DoseIntensity(per_subject, _over_time(records, subject), records.height)
