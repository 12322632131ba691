"""Baseline and change from baseline of lab results, as the CDISC ADaM Basic Data Structure
(BDS) defines them.

**Rules** (CDISC Analysis Data Model Implementation Guide v1.3, 2021: the BDS variables
ABLFL, BASE, CHG and PCHG), per subject and parameter:

* the *baseline record* (``ABLFL = "Y"``) is the last record with a non-missing value on or
  before the first dose day (``reference_day``; study day 1 when days count from the first
  dose); a value on the first dose day counts as pre-dose, as dates without times must;
* ``BASE`` is that record's value, on every record of the subject and parameter;
* ``CHG = AVAL - BASE`` and ``PCHG = 100 x (AVAL - BASE) / BASE`` on *post-baseline*
  records (after the first dose day); they are null at and before baseline, as the IG
  leaves them.

Undefined values are null with the reason in ``note``: no baseline (no non-missing value on
or before the first dose day), a missing value, or a baseline of 0 or below (no percent
change; CHG stays defined). A lab result is a concentration, count or activity, positive on
its ratio scale: a percent change is a ratio to the baseline, so it is defined only for a
baseline above 0 (a negative result is a data or derivation error, and a ratio to it changes
sign: a rise of 31 from a baseline of -1 would read as -3100%).

A missing value (null or NaN in ``AVAL``) is written back as null with the note
``"missing value"``: never NaN in the output.
"""

from __future__ import annotations

import polars as pl

from survstat.endpoints._records import ROW, numeric, read_records
from survstat.errors import InvalidValueError
from survstat.io import FrameLike

#: The columns added to the records, in order.
BDS_COLUMNS = ("ABLFL", "BASE", "CHG", "PCHG", "note")

#: The columns of :func:`change_summary` after the subject and parameter.
SUMMARY_COLUMNS = (
    "base_day",
    "BASE",
    "n_post",
    "peak_day",
    "peak",
    "peak_chg",
    "peak_pchg",
    "last_day",
    "last",
    "last_chg",
    "last_pchg",
)


def change_from_baseline(
    data: FrameLike,
    *,
    subject: str = "subject_id",
    param: str = "PARAMCD",
    day: str = "ADY",
    value: str = "AVAL",
    reference_day: float = 1.0,
) -> pl.DataFrame:
    """Baseline flag, baseline value, change and percent change from baseline (ADaM BDS).

    Parameters
    ----------
    data
        Lab results: one row per subject, parameter and day (a polars DataFrame or
        LazyFrame, a pyarrow Table, a pandas DataFrame or a path).
    subject
        Subject id column.
    param
        Parameter column (e.g. ``GLUC``, ``INSULIN``): baselines are per subject and
        parameter.
    day
        Study day of the result (numeric).
    value
        The result (``AVAL``; null for a missing result).
    reference_day
        The first dose day: the baseline is the last non-missing value on or before it, and
        results after it are post-baseline (default 1, study day 1 being the first dose).

    Returns
    -------
    polars.DataFrame
        The records sorted by subject, parameter and day, with ``ABLFL`` ("Y" on the
        baseline record, else null), ``BASE``, ``CHG``, ``PCHG`` (in %) and ``note`` (why
        CHG or PCHG is null on a post-baseline record, or ``"missing value"`` on any record
        whose value is missing; else null). A NaN value is written as null.

    Raises
    ------
    SurvstatError
        A subclass naming the column, the rule, the count and the first subject and row: a
        missing column, a non-numeric or missing day, a non-numeric value, or two results of
        a subject and parameter on the same day.

    References
    ----------
    1. CDISC Analysis Data Model Team. Analysis Data Model (ADaM) Implementation Guide,
       version 1.3. CDISC; 2021 (BDS variables ABLFL, BASE, CHG, PCHG).

    Examples
    --------
    >>> import polars as pl
    >>> labs = pl.DataFrame({"subject_id": ["A"] * 3, "PARAMCD": ["GLUC"] * 3,
    ...                      "ADY": [-3, 1, 15], "AVAL": [100.0, None, 150.0]})
    >>> change_from_baseline(labs).select("ABLFL", "BASE", "CHG", "PCHG").row(2)
    (None, 100.0, 50.0, 50.0)
    """
    roles = {subject: "subject", param: "parameter", day: "study day", value: "value"}
    frame = read_records(data, roles, what="lab results", subject=subject)
    days = numeric(frame, day, "study day", subject)
    values = numeric(frame, value, "value", subject, nulls=True)
    frame = frame.with_columns(days.alias("__day"), values.alias("__value"))
    repeated = frame.filter(pl.struct(subject, param, "__day").is_duplicated())
    if repeated.height:
        r = repeated.sort(ROW).row(0, named=True)
        rows = repeated.filter(
            (pl.col(subject) == r[subject]) & (pl.col(param) == r[param]) & (pl.col(day) == r[day])
        ).get_column(ROW)
        raise InvalidValueError(
            f"`{day}` (study day) must hold one result per subject and `{param}`; found "
            f"{repeated.height} results on repeated days (first: subject {r[subject]}, "
            f"{r[param]}, day {r[day]} at rows {', '.join(str(i) for i in rows)})"
        )
    key = [subject, param]
    candidate = (pl.col("__day") <= reference_day) & pl.col("__value").is_not_null()
    ordered = frame.sort(*key, "__day")
    base_day = pl.col("__day").filter(candidate).max().over(key)
    flagged = ordered.with_columns(base_day.alias("__base_day")).with_columns(
        pl.when(pl.col("__day") == pl.col("__base_day")).then(pl.lit("Y")).alias("ABLFL")
    )
    base = pl.col("__value").filter(pl.col("ABLFL") == "Y").first().over(key)
    post = pl.col("__day") > reference_day
    out = flagged.with_columns(base.alias("BASE")).with_columns(
        pl.when(post).then(pl.col("__value") - pl.col("BASE")).alias("CHG")
    )
    out = out.with_columns(
        pl.when(post & (pl.col("BASE") > 0))
        .then(100.0 * pl.col("CHG") / pl.col("BASE"))
        .alias("PCHG"),
        pl.when(post & pl.col("BASE").is_null())
        .then(pl.lit(f"no baseline: no non-missing value on or before day {reference_day:g}"))
        .when(pl.col("__value").is_null())
        .then(pl.lit("missing value"))
        .when(post & (pl.col("BASE") == 0))
        .then(pl.lit("baseline is 0: percent change undefined"))
        .when(post & (pl.col("BASE") < 0))
        .then(pl.lit("baseline is negative: percent change undefined"))
        .alias("note"),
    )
    # the cleaned value (NaN read as missing) replaces the input's, in its own dtype
    if frame.schema[value].is_float():
        out = out.with_columns(pl.col(value).fill_nan(None))
    return out.drop(ROW, "__day", "__value", "__base_day")


def change_summary(
    bds: pl.DataFrame,
    *,
    subject: str = "subject_id",
    param: str = "PARAMCD",
    day: str = "ADY",
    value: str = "AVAL",
) -> pl.DataFrame:
    """Per subject and parameter: the baseline, the post-baseline peak and the last
    post-baseline value, each with its change and percent change from baseline.

    Parameters
    ----------
    bds
        The output of :func:`change_from_baseline`.
    subject, param, day, value
        Its subject, parameter, study day and value columns.

    Returns
    -------
    polars.DataFrame
        One row per subject and parameter: ``base_day``, ``BASE``, ``n_post`` (post-baseline
        results with a change), ``peak_day``, ``peak``, ``peak_chg``, ``peak_pchg`` (the
        highest post-baseline value, the first if tied), ``last_day``, ``last``, ``last_chg``,
        ``last_pchg``; null when there is no such value.
    """
    key = [subject, param]
    has = pl.col("CHG").is_not_null()
    peak_at = pl.col("CHG").filter(has).arg_max()
    aval = pl.col(value).cast(pl.Float64)
    return (
        bds.sort(*key, day)
        .group_by(key, maintain_order=True)
        .agg(
            pl.col(day).filter(pl.col("ABLFL") == "Y").first().alias("base_day"),
            pl.col("BASE").first(),
            has.sum().cast(pl.Int64).alias("n_post"),
            pl.col(day).filter(has).get(peak_at).alias("peak_day"),
            aval.filter(has).get(peak_at).alias("peak"),
            pl.col("CHG").filter(has).get(peak_at).alias("peak_chg"),
            pl.col("PCHG").filter(has).get(peak_at).alias("peak_pchg"),
            pl.col(day).filter(has).last().alias("last_day"),
            aval.filter(has).last().alias("last"),
            pl.col("CHG").filter(has).last().alias("last_chg"),
            pl.col("PCHG").filter(has).last().alias("last_pchg"),
        )
        .select(*key, *SUMMARY_COLUMNS)
    )
