"""SDTM ``--DTC`` dates (ISO 8601 text) to calendar dates, with imputation, and study days.

SDTM holds every date as ISO 8601 text (SDTM IG 3.4, section 4.4): ``2020-03-17``,
``2020-03-17T14:05`` or ``2020-03-17T14:05:30``, partial dates ``2020-03`` and ``2020``, and the
SDTM form with a hyphen for each missing part, ``2020---17`` (day known, month not). ADaM
analysis dates are numeric and complete, so a partial date is completed by a rule stated in
the analysis plan; :func:`impute_dtc` applies the rules of admiral's ``impute_dtc_dt`` and
``derive_vars_dt`` (the pharmaverse R package), column-wise in polars:

* ``highest_imputation`` -- the highest part that may be imputed: ``"none"`` (a partial date
  gives null), ``"D"`` (the day) or ``"M"`` (the month and the day). A date missing a higher
  part than allowed is an error (null with ``"none"``); the year is never imputed.
* ``date_imputation`` -- ``"first"`` (01-01, or day 01), ``"mid"`` (06-30 when the month is
  missing, day 15 when only the day is), ``"last"`` (12-31, or the last day of the month).
* ``preserve`` -- with the month missing and the day collected (``2020---17``), keep the day
  (admiral's ``preserve = TRUE``); by default month and day are both imputed.
* ``max_date`` -- a bound (a date, or a column such as the death date or the data cut-off):
  an imputed date is never after it, when the bound lies within the partial date's possible
  period (admiral's ``max_dates``). Complete dates are never changed.
* The flag (ADaM ``--DTF``) names the highest part imputed: ``"M"`` or ``"D"``; null when
  nothing was imputed.

The time part, when present, is checked and dropped: the result is a date.

:func:`study_day` is the SDTM study day (SDTM IG 3.4, section 4.4.4): ``date - RFSTDTC + 1``
on or after the reference start date, ``date - RFSTDTC`` before it; there is no day 0.

References
----------
1. CDISC SDTM Implementation Guide v3.4 (2021), 4.4 Timing Variables: 4.4.2 ISO 8601
   representation of dates, 4.4.2.1 intervals of uncertainty (partial dates), 4.4.4 study day.
2. admiral: ADaM in R Asset Library, ``impute_dtc_dt``, ``derive_vars_dt``,
   ``restrict_imputed_dtc_dt`` (pharmaverse, https://pharmaverse.github.io/admiral/).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl

from survstat._choices import (
    DATE_IMPUTATIONS,
    HIGHEST_IMPUTATIONS,
    DateImputation,
    HighestImputation,
)
from survstat.endpoints.dates import as_date
from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidValueError,
    check_choice,
    counted,
)

#: An SDTM ``--DTC`` value: year, month, day (each a hyphen when missing), then an optional
#: time hh, mm, ss (with fraction). Trailing parts may be left out.
DTC_PATTERN = (
    r"^(\d{4}|-)(?:-(\d{2}|-)(?:-(\d{2}|-)"
    r"(?:T(\d{2}|-)(?::(\d{2}|-)(?::(\d{2}(?:\.\d+)?|-))?)?)?)?)?$"
)
_PARTS = ("year", "month", "day", "hour", "minute", "second")

#: The imputed month and day (month missing) and day (only the day missing) per rule.
_MONTH_DAY = {"first": (1, 1), "mid": (6, 30), "last": (12, 31)}
_RANK = {"none": 0, "D": 1, "M": 2}

#: What a valid value looks like, for error messages.
_FORMS = "YYYY-MM-DD[Thh:mm[:ss]], YYYY-MM, YYYY, or a hyphen per missing part (YYYY---DD)"


def _parts(text: pl.Expr) -> list[pl.Expr]:
    groups = text.str.extract_groups(DTC_PATTERN)
    return [
        groups.struct.field(str(i + 1))
        .cast(pl.Float64 if name == "second" else pl.Int32, strict=False)
        .alias(f"__{name}")
        for i, name in enumerate(_PARTS)
    ]


def _raise_first(frame: pl.DataFrame, bad: pl.Expr, message: Callable[[int, dict], str]) -> None:
    """Raise InvalidValueError built from the count and the first row where ``bad`` holds."""
    hits = frame.filter(bad)
    if hits.height:
        raise InvalidValueError(message(hits.height, hits.row(0, named=True)))


def _who(row: dict, subject: str | None) -> str:
    subj = f", {subject} {row[subject]!r}" if subject and row.get(subject) is not None else ""
    return f"row {row['__row']}{subj}"


def impute_dtc(
    frame: pl.DataFrame,
    column: str,
    *,
    highest_imputation: HighestImputation = "none",
    date_imputation: DateImputation = "first",
    preserve: bool = False,
    max_date: str | dt.date | None = None,
    required: bool = True,
    date: str | None = None,
    flag: str | None = None,
    table: str = "the data",
    subject: str | None = "USUBJID",
) -> pl.DataFrame:
    """Add the date of an SDTM ``--DTC`` column and its imputation flag, as admiral does.

    Parameters
    ----------
    frame
        The SDTM domain (or any table) holding ``column``.
    column
        The ``--DTC`` text column (``RSDTC``, ``DTHDTC``, ...).
    highest_imputation
        ``"none"`` (default: a partial date gives null), ``"D"`` (impute a missing day) or
        ``"M"`` (impute a missing month and day). A value missing a higher part than this
        (the year always) is an error, except with ``"none"``, where it is null.
    date_imputation
        ``"first"`` (default), ``"mid"`` or ``"last"`` of the possible period: a missing
        month and day become 01-01, 06-30 or 12-31; a missing day 01, 15 or the month's
        last day.
    preserve
        With a missing month and a collected day (``2020---17``), keep the day and impute
        the month only (default False: both are imputed).
    max_date
        Never impute after this bound: a date, or the name of a date column of ``frame``
        (the death date, the data cut-off). It applies when it lies within the value's
        possible period (null bounds are ignored); complete dates are never changed.
    required
        True (default): a null or empty value is an error. False: it gives a null date.
    date, flag
        The names of the added columns; default ``column`` with ``DTC`` replaced by ``DT``
        and by ``DTF`` (``RSDTC`` -> ``RSDT``, ``RSDTF``).
    table
        The table's name in error messages (``"RS"``).
    subject
        The subject column named in error messages, when ``frame`` has it.

    Returns
    -------
    polars.DataFrame
        ``frame`` with the Date column ``date`` and the flag column ``flag`` (``"M"``,
        ``"D"`` or null) added.

    Raises
    ------
    ColumnNotFoundError
        ``column`` (or a ``max_date`` column) is not in ``frame``.
    ColumnTypeError
        ``column`` is not text.
    InvalidValueError
        A value that is not an ISO 8601 date (``2020-13-01``, ``2021-02-29``, ``17/03/2020``),
        a missing value when ``required``, or a partial date that would need more imputation
        than ``highest_imputation`` allows; the message names the column, the count and
        the first row, subject and value.

    Examples
    --------
    >>> import polars as pl
    >>> rs = pl.DataFrame({"USUBJID": ["a", "b", "c"], "RSDTC": ["2020-03-17", "2020-03", "2020"]})
    >>> impute_dtc(rs, "RSDTC", highest_imputation="M", date_imputation="mid").rows()
    ... # doctest: +NORMALIZE_WHITESPACE
    [('a', '2020-03-17', datetime.date(2020, 3, 17), None),
     ('b', '2020-03', datetime.date(2020, 3, 15), 'D'),
     ('c', '2020', datetime.date(2020, 6, 30), 'M')]
    """
    check_choice("highest_imputation", highest_imputation, HIGHEST_IMPUTATIONS)
    check_choice("date_imputation", date_imputation, DATE_IMPUTATIONS)
    if column not in frame.columns:
        raise ColumnNotFoundError(column, frame.columns, role=f"ISO 8601 date of {table}")
    if frame.schema[column] not in (pl.String, pl.Null):
        raise ColumnTypeError(
            f"{table} `{column}` must hold ISO 8601 dates as text; found {frame.schema[column]}"
        )
    base = column[:-1] if column.upper().endswith("DTC") else column + "_"
    date = date or base
    flag = flag or base + "F"
    subject = subject if subject in frame.columns else None
    work = frame.with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("__row"),
        pl.col(column).cast(pl.String).str.strip_chars().alias("__text"),
    )
    work = work.with_columns(*_parts(pl.col("__text")))
    _check_text(work, column, table, subject, required)
    return _imputed(
        work, highest_imputation, date_imputation, preserve, max_date, column, table, subject
    ).select(*frame.columns, pl.col("__date").alias(date), pl.col("__flag").alias(flag))


def _check_text(
    work: pl.DataFrame, column: str, table: str, subject: str | None, required: bool
) -> None:
    """Missing values (when required), values not in ISO 8601 form, impossible dates."""
    text = pl.col("__text")
    missing = text.is_null() | (text == "")
    if required:
        _raise_first(
            work,
            missing,
            lambda n, r: (
                f"{table} `{column}` must hold a date; {n} of {work.height} values are "
                f"missing (first: {_who(r, subject)})"
            ),
        )
    y, m, d = pl.col("__year"), pl.col("__month"), pl.col("__day")
    month_end = pl.date(y.fill_null(2000), m.fill_null(1).clip(1, 12), 1).dt.month_end().dt.day()
    impossible = (
        ~text.str.contains(DTC_PATTERN)
        | ~m.is_between(1, 12).fill_null(True)
        | ~d.is_between(1, 31).fill_null(True)
        | (d > month_end).fill_null(False) & m.is_not_null() & y.is_not_null()
        | ~pl.col("__hour").is_between(0, 23).fill_null(True)
        | ~pl.col("__minute").is_between(0, 59).fill_null(True)
        | ~(pl.col("__second") < 60).fill_null(True)
    )
    _raise_first(
        work,
        ~missing & impossible,
        lambda n, r: (
            f"{table} `{column}` must be an ISO 8601 date ({_FORMS}); found "
            f"{counted(n, 'invalid value')} (first: {r['__text']!r} at {_who(r, subject)})"
        ),
    )


def _imputed(
    work: pl.DataFrame,
    highest: str,
    rule: str,
    preserve: bool,
    max_date: str | dt.date | None,
    column: str,
    table: str,
    subject: str | None,
) -> pl.DataFrame:
    """The ``__date`` and ``__flag`` columns: imputation, bound, and the allowed level."""
    y, m, d = pl.col("__year"), pl.col("__month"), pl.col("__day")
    needs = (
        pl.when(y.is_null())
        .then(pl.lit("Y"))
        .when(m.is_null())
        .then(pl.lit("M"))
        .when(d.is_null())
        .then(pl.lit("D"))
    )
    allowed = [k for k, rank in _RANK.items() if 0 < rank <= _RANK[highest]]
    too_much = pl.col("__text").str.len_chars().fill_null(0).gt(0) & needs.is_not_null()
    too_much = too_much & ~needs.is_in(allowed)
    if highest != "none":
        _raise_first(
            work,
            too_much,
            lambda n, r: (
                f"{table} `{column}`: {n} partial dates need more imputation than "
                f"highest_imputation={highest!r} allows (first: {r['__text']!r} at "
                f"{_who(r, subject)}; the year is never imputed)"
            ),
        )
    month_fill, mid_day = _MONTH_DAY[rule]
    day_fill = {"first": pl.lit(1), "mid": pl.lit(15), "last": pl.lit(31)}[rule]
    keep_day = d if preserve else pl.lit(None, dtype=pl.Int32)
    month_missing = pl.date(y, pl.lit(month_fill), keep_day.fill_null(mid_day))
    lo_hi_month = (pl.date(y, 1, 1), pl.date(y, 12, 31))
    first_of = pl.date(y, m, 1)
    day_missing = pl.date(y, m, day_fill.clip(upper_bound=first_of.dt.month_end().dt.day()))
    lo_hi_day = (first_of, first_of.dt.month_end())
    work = work.with_columns(needs.alias("__needs"))
    if preserve:
        _check_preserved_day(work, month_fill, column, table, subject)
    level = pl.col("__needs")
    imputed = (
        pl.when(level.is_null() & y.is_not_null())
        .then(pl.date(y, m, d))
        .when(level == "M")
        .then(month_missing)
        .when(level == "D")
        .then(day_missing)
    )
    lo = pl.when(level == "M").then(lo_hi_month[0]).when(level == "D").then(lo_hi_day[0])
    hi = pl.when(level == "M").then(lo_hi_month[1]).when(level == "D").then(lo_hi_day[1])
    if max_date is not None:
        bound = (
            as_date(work, max_date, "maximum date")
            if isinstance(max_date, str)
            else pl.lit(max_date, dtype=pl.Date)
        )
        in_range = bound.is_between(lo, hi).fill_null(False)
        imputed = pl.when(in_range & (imputed > bound)).then(bound).otherwise(imputed)
    ok = level.is_null() | level.is_in(allowed)
    return work.with_columns(
        pl.when(ok).then(imputed).alias("__date"),
        pl.when(ok & level.is_not_null()).then(level).alias("__flag"),
    )


def _check_preserved_day(
    work: pl.DataFrame, month: int, column: str, table: str, subject: str | None
) -> None:
    """A kept day must exist in the imputed month (31 June does not)."""
    length = pl.date(pl.col("__year"), pl.lit(month), 1).dt.month_end().dt.day()
    _raise_first(
        work,
        (pl.col("__needs") == "M") & (pl.col("__day") > length).fill_null(False),
        lambda n, r: (
            f"{table} `{column}`: {n} collected days do not exist in the imputed "
            f"month {month:02d} (first: {r['__text']!r} at {_who(r, subject)})"
        ),
    )


def study_day(date: pl.Expr, reference: pl.Expr) -> pl.Expr:
    """The SDTM study day of ``date`` relative to ``reference`` (SDTM IG 3.4, 4.4.4).

    ``date - reference + 1`` on or after the reference date, ``date - reference`` before it:
    the reference date is day 1, the day before it day -1, and there is no day 0.

    Parameters
    ----------
    date
        The dates (Date expressions).
    reference
        The reference start dates (``RFSTDTC`` as a date).

    Returns
    -------
    polars.Expr
        The study day as Int64 (null when either date is null).

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> f = pl.DataFrame({"d": [dt.date(2020, 1, 1), dt.date(2019, 12, 31)],
    ...                   "ref": [dt.date(2020, 1, 1)] * 2})
    >>> f.select(study_day(pl.col("d"), pl.col("ref"))).to_series().to_list()
    [1, -1]
    """
    days = (date - reference).dt.total_days()
    return pl.when(days >= 0).then(days + 1).otherwise(days).cast(pl.Int64)


__all__ = ["DTC_PATTERN", "impute_dtc", "study_day"]
