"""Reading per-subject records (exposure, lab results): the columns present and their values
checked, each problem a one-line error naming the column, the rule, the count and the first
offending row (0-based, in the input's order) with its subject.
"""

from __future__ import annotations

import polars as pl

from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    EmptyDataError,
    InvalidValueError,
    MissingValueError,
    counted,
)
from survstat.io import FrameLike, scan

#: The row number of each input record, kept through sorting for error messages.
ROW = "__row"


def read_records(
    data: FrameLike, columns: dict[str, str], *, what: str, subject: str
) -> pl.DataFrame:
    """Read ``data``, check that it holds ``columns`` (column -> role), rows and a subject
    id on every row, and number its rows (column ``__row``).

    Parameters
    ----------
    data
        A polars DataFrame or LazyFrame, a pyarrow Table, a pandas DataFrame or a path.
    columns
        The columns read, each with the role it plays (named in errors).
    what
        What the rows are (``"exposure records"``), for the error on an empty table.
    subject
        The subject id column (one of ``columns``): it must not be missing.

    Returns
    -------
    polars.DataFrame
        The table with the row numbers.

    Raises
    ------
    ColumnNotFoundError
        When a column is missing (the error suggests the nearest names).
    EmptyDataError
        When the table has no rows.
    MissingValueError
        When a subject id is missing.
    """
    frame = scan(data)[0].collect()
    for column, role in columns.items():
        if column not in frame.columns:
            raise ColumnNotFoundError(column, frame.columns, role=role)
    if frame.height == 0:
        raise EmptyDataError(f"the {what} table has no rows")
    missing = frame.get_column(subject).is_null()
    if missing.any():
        raise MissingValueError(
            f"`{subject}` (subject) must not be missing; found "
            f"{counted(missing.sum(), 'missing value')} "
            f"(first at row {missing.arg_true()[0]})"
        )
    return frame.with_row_index(ROW)


def numeric(
    frame: pl.DataFrame, column: str, role: str, subject: str, *, nulls: bool = False
) -> pl.Series:
    """The values of a numeric column as Float64, finite, and present unless ``nulls``.

    Parameters
    ----------
    frame
        The records, numbered by :func:`read_records`.
    column
        The column.
    role
        What it holds, for the error message (``"start day"``).
    subject
        The subject id column, named in the error's example.
    nulls
        Whether missing values are allowed (they are returned as null; NaN reads as null).

    Returns
    -------
    polars.Series
        The values as Float64.

    Raises
    ------
    ColumnTypeError
        When the column is not numeric.
    MissingValueError
        When a value is missing and ``nulls`` is False.
    InvalidValueError
        When a value is infinite.
    """
    dtype = frame.schema[column]
    if not (dtype.is_numeric() or dtype == pl.Null):
        raise ColumnTypeError(f"`{column}` ({role}) must be numeric; found dtype {dtype}")
    values = frame.get_column(column).cast(pl.Float64)
    missing = values.is_null() | values.is_nan()
    if not nulls and missing.any():
        raise MissingValueError(
            f"`{column}` ({role}) must not be missing; found "
            f"{counted(missing.sum(), 'missing value')} "
            f"(first: {example(frame, missing, subject)})"
        )
    infinite = values.is_infinite()
    if infinite.any():
        raise InvalidValueError(
            f"`{column}` ({role}) must be finite; found "
            f"{counted(infinite.sum(), 'infinite value')} "
            f"(first: {values.filter(infinite)[0]}, {example(frame, infinite, subject)})"
        )
    return values.fill_nan(None)


def whole_days(frame: pl.DataFrame, column: str, role: str, subject: str) -> pl.Series:
    """The values of a column of study days: present, finite whole numbers, as Int64.

    Parameters
    ----------
    frame
        The records, numbered by :func:`read_records`.
    column
        The column.
    role
        What it holds, for the error message.
    subject
        The subject id column, named in the error's example.

    Returns
    -------
    polars.Series
        The days as Int64.

    Raises
    ------
    InvalidValueError
        When a day is not a whole number (and the errors of :func:`numeric`).
    """
    values = numeric(frame, column, role, subject)
    fractional = values != values.round(0)
    if fractional.any():
        raise InvalidValueError(
            f"`{column}` ({role}) must hold whole study days; found "
            f"{counted(fractional.sum(), 'fractional value')} "
            f"(first: {values.filter(fractional)[0]}, "
            f"{example(frame, fractional, subject)})"
        )
    return values.cast(pl.Int64)


def example(frame: pl.DataFrame, mask: pl.Series, subject: str) -> str:
    """``subject P01 at row 3``: the first record where ``mask`` is true.

    Parameters
    ----------
    frame
        The records, numbered by :func:`read_records`.
    mask
        Which records break a rule.
    subject
        The subject id column.

    Returns
    -------
    str
        The subject and input row of the first such record.
    """
    first = frame.filter(mask).row(0, named=True)
    return f"subject {first[subject]} at row {first[ROW]}"
