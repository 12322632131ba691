"""Reading RECIST inputs: visit-level responses, study days and options, validated once.

:func:`~survstat.endpoints.recist.best_overall_response` and
:func:`~survstat.endpoints.recist_tte.time_to_event_endpoints` read their assessment tables
through :func:`read_assessments`, so that bad input gives one clear
:class:`~survstat.errors.SurvstatError` naming the column, the rule, how many values break it
and the first subject and day.

Response codes as trial databases spell them are read as follows (case, surrounding spaces,
inner spaces, hyphens and underscores are ignored; the CDISC values of the SDTM RS domain's
RSORRES/RSSTRESC for RECIST 1.1 overall response, codelist "Oncology Response Assessment
Result", are the first of each row):
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from survstat.endpoints._ids import TEXT_TYPES, match_id_type
from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidValueError,
    MissingValueError,
    OptionError,
    check_unique_ids,
    counted,
)
from survstat.io import FrameLike, scan

#: Overall time-point responses, best first (NE is not evaluable).
RESPONSES = ("CR", "PR", "SD", "NON-CR/NON-PD", "NED", "PD", "NE")
#: Best overall response categories, best first.
BEST_RESPONSES = RESPONSES
#: Spellings read as each response (see the module docstring).
RESPONSE_SPELLINGS: dict[str, tuple[str, ...]] = {
    "CR": ("CR", "COMPLETE RESPONSE"),
    "PR": ("PR", "PARTIAL RESPONSE"),
    "SD": ("SD", "STABLE DISEASE"),
    "NON-CR/NON-PD": ("NON-CR/NON-PD", "NON CR/NON PD", "NONCR/NONPD", "NN"),
    "NED": ("NED", "NO EVIDENCE OF DISEASE"),
    "PD": ("PD", "PROGRESSIVE DISEASE"),
    "NE": ("NE", "NOT EVALUABLE", "UNK", "UNKNOWN", "ND", "NOT DONE"),
}

_IGNORED = r"[\s\-_]+"
_KEYS = {
    re.sub(_IGNORED, "", spelling): code
    for code, spellings in RESPONSE_SPELLINGS.items()
    for spelling in spellings
}


@dataclass(frozen=True, slots=True)
class RecistColumns:
    """Assessment-table columns.

    The subject, the study day since the start (day 0 is the start) and the overall response.
    """

    subject: str = "subject_id"
    day: str = "day"
    response: str = "response"


def _values(n: int, what: str = "") -> str:
    """'1 value' / '3 values', with ``what`` after the noun."""
    return f"{counted(n, 'value')}{what}"


def _first(frame: pl.DataFrame, subject: str, column: str | None = None) -> str:
    """'subject 'x'' (and the value of ``column``) of the first row, for messages."""
    row = frame.row(0, named=True)
    value = f", {column} {row[column]}" if column else ""
    return f"subject {row[subject]!r}{value}"


def check_subject_ids(frame: pl.DataFrame, column: str, table: str) -> None:
    """Raise :class:`MissingValueError` unless every row of ``table`` has a subject id.

    Parameters
    ----------
    frame
        The table.
    column
        Its subject id column.
    table
        Its name, for the message.
    """
    missing = frame.filter(pl.col(column).is_null())
    if missing.height:
        first = frame.with_row_index("__row").filter(pl.col(column).is_null())["__row"][0]
        raise MissingValueError(
            f"`{column}` is missing on {missing.height} of {counted(frame.height, 'row')} of "
            f"the {table} (first: row {first})"
        )


def check_days(
    frame: pl.DataFrame, column: str, subject: str, *, table: str, after_start: bool
) -> pl.Expr:
    """Check a study-day column and return it as a Float64 expression.

    Study days must be numbers (not text, dates or booleans), finite (no NaN or infinity) and
    after the start (> 0, for assessments) or not before it (>= 0, for subject-table days).
    Missing values are left to the caller. Each failure is an error naming the column, the
    rule, how many values break it and the first subject with its value.

    Parameters
    ----------
    frame
        The table.
    column
        The study-day column.
    subject
        The subject id column, named in messages.
    table
        The table's name, for messages.
    after_start
        Whether days must be > 0 (assessments) rather than >= 0.

    Returns
    -------
    polars.Expr
        The column as Float64.
    """
    dtype = frame.schema[column]
    if not (dtype.is_numeric() or dtype == pl.Null):
        hint = " (convert dates with times_from_dates or --from-dates)" * dtype.is_temporal()
        raise ColumnTypeError(
            f"`{column}` in the {table} must hold study days as numbers; found {dtype}{hint}"
        )
    day = pl.col(column).cast(pl.Float64)
    values = frame.select(subject, day.alias("__v")).filter(pl.col("__v").is_not_null())
    bad = values.filter(~pl.col("__v").is_finite())
    if bad.height:
        raise InvalidValueError(
            f"`{column}` must be finite; found {_values(bad.height)} NaN or infinite in the "
            f"{table} (first: {bad['__v'][0]} for {_first(bad, subject)})"
        )
    words = "after the start (> 0)" if after_start else "non-negative"
    early = values.filter(pl.col("__v") <= 0.0 if after_start else pl.col("__v") < 0.0)
    if early.height:
        what = _values(early.height, " <= 0" if after_start else " < 0")
        raise InvalidValueError(
            f"`{column}` must be {words}; found {what} in the {table} (first: "
            f"{early['__v'][0]} for {_first(early, subject)})"
        )
    return day


def read_assessments(assessments: FrameLike, cols: RecistColumns) -> pl.DataFrame:
    """Read and validate visit-level responses once.

    Adds ``__resp`` (the response read through :data:`RESPONSE_SPELLINGS`) and ``__day``.
    Unknown or missing codes, study days that are missing, not numbers, not finite or not
    after the start, missing subject ids and duplicated visits are errors naming the column,
    the values and the first subject.

    Parameters
    ----------
    assessments
        One row per subject and assessment.
    cols
        Its column names.

    Returns
    -------
    polars.DataFrame
        The assessments with ``__resp`` and ``__day``.
    """
    frame = scan(assessments)[0].collect()
    for role in ("subject", "day", "response"):
        name = getattr(cols, role)
        if name not in frame.columns:
            raise ColumnNotFoundError(name, frame.columns, role=role)
    check_subject_ids(frame, cols.subject, "assessment table")
    if not isinstance(frame.schema[cols.response], (*TEXT_TYPES, pl.Null)):
        raise ColumnTypeError(
            f"`{cols.response}` must hold response codes as text (CR, PR, SD, NON-CR/NON-PD, "
            f"NED, PD, NE); found {frame.schema[cols.response]}"
        )
    day = check_days(frame, cols.day, cols.subject, table="assessment table", after_start=True)
    key = pl.col(cols.response).cast(pl.String).str.to_uppercase().str.replace_all(_IGNORED, "")
    frame = frame.with_columns(
        key.replace_strict(_KEYS, default=None, return_dtype=pl.String).alias("__resp"),
        day.alias("__day"),
    )
    no_day = frame.filter(pl.col("__day").is_null())
    if no_day.height:
        raise MissingValueError(
            f"`{cols.day}` is missing for {no_day.height} of {counted(frame.height, 'assessment')} "
            f"(first: {_first(no_day, cols.subject)})"
        )
    bad = frame.filter(pl.col("__resp").is_null())
    if bad.height:
        shown = sorted({str(v) for v in bad.get_column(cols.response).to_list()})[:6]
        raise InvalidValueError(
            f"`{cols.response}` holds unknown responses {shown} in {bad.height} of "
            f"{counted(frame.height, 'row')}; expected one of {', '.join(RESPONSES)} or a "
            f"spelling of them (first: {_first(bad, cols.subject, cols.day)})"
        )
    dup = frame.select(pl.struct(cols.subject, "__day").is_duplicated()).to_series()
    if dup.any():
        raise InvalidValueError(
            f"duplicated visits: {int(dup.sum())} rows share a ({cols.subject}, {cols.day}) "
            f"(first: {_first(frame.filter(dup), cols.subject, cols.day)})"
        )
    return frame


def check_flag(name: str, value: Any) -> bool:
    """Return ``value`` if it is a boolean (Python's or NumPy's), else raise OptionError.

    Any other value (the string "no", 0, None) would be read by its truth and could silently
    leave the option on.

    Parameters
    ----------
    name
        The option's name, for the message.
    value
        Its value.

    Returns
    -------
    bool
        The value as a Python boolean.
    """
    if isinstance(value, bool | np.bool_):
        return bool(value)
    raise OptionError(f"`{name}` must be True or False; got {value!r}")


def check_number(name: str, value: Any, *, positive: bool = False) -> float:
    """Return ``value`` as a float if it is a finite number >= 0, else raise OptionError.

    Any :class:`numbers.Real` but a boolean (int, float, NumPy scalars) counts; with
    ``positive`` it must be > 0.

    Parameters
    ----------
    name
        The option's name, for the message.
    value
        Its value.
    positive
        Whether 0 is refused.

    Returns
    -------
    float
        The value as a float.
    """
    bound = "> 0" if positive else ">= 0"
    if isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_):
        number = float(value)
        if math.isfinite(number) and (number > 0 if positive else number >= 0):
            return number
    raise OptionError(f"`{name}` must be a finite number {bound}; got {value!r}")


def check_count(name: str, value: Any) -> int:
    """Return ``value`` as an int if it is an integer >= 0, else raise OptionError.

    Any :class:`numbers.Integral` but a boolean (int, NumPy integers) counts.

    Parameters
    ----------
    name
        The option's name, for the message.
    value
        Its value.

    Returns
    -------
    int
        The value as an int.
    """
    integral = isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)
    if integral and int(value) >= 0:
        return int(value)
    raise OptionError(f"`{name}` must be an integer >= 0; got {value!r}")


def read_new_therapy_days(
    new_therapy: FrameLike, cols: RecistColumns, column: str, visits: pl.DataFrame
) -> pl.DataFrame:
    """Read and validate the new-therapy days of a subject table.

    Parameters
    ----------
    new_therapy
        One row per subject with the day a new anticancer therapy started (null: none).
    cols
        The assessment table's column names (the subject id is the same in both).
    column
        The new-therapy day column.
    visits
        The assessments, whose subject id type the table's ids are cast to.

    Returns
    -------
    polars.DataFrame
        ``<subject>, __nt``: the new-therapy study day as Float64.
    """
    nt = scan(new_therapy)[0].collect()
    for name in (cols.subject, column):
        if name not in nt.columns:
            raise ColumnNotFoundError(name, nt.columns, role="new therapy table")
    check_subject_ids(nt, cols.subject, "new therapy table")
    check_unique_ids(nt, cols.subject, "new therapy table")
    day = check_days(nt, column, cols.subject, table="new therapy table", after_start=False)
    tables = ("new therapy table", "assessment table")
    nt = match_id_type(nt, cols.subject, visits.schema[cols.subject], tables)
    return nt.select(cols.subject, day.alias("__nt"))


__all__ = [
    "BEST_RESPONSES",
    "RESPONSES",
    "RESPONSE_SPELLINGS",
    "RecistColumns",
    "check_count",
    "check_days",
    "check_flag",
    "check_number",
    "check_subject_ids",
    "counted",
    "read_assessments",
    "read_new_therapy_days",
]
