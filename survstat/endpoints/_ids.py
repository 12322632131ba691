"""Subject and patient ids shared between two tables: one rule for their types.

A derivation joins a table of records (visits, lab results) with a one-row-per-subject table
on an id column. The two may hold the same ids in different but compatible types, as files
from different exports do: integers of different widths (Int32 and Int64), or text as String,
Categorical or Enum. Those are cast to the type of the reference table and join; ids of
different kinds (text in one table, integers in the other) can never match and are an error
naming both columns and both types.
"""

from __future__ import annotations

import polars as pl

from survstat.errors import ColumnTypeError

#: The polars types that hold text: ids, codes, labels.
TEXT_TYPES = (pl.String, pl.Categorical, pl.Enum)


def is_text(dtype: pl.DataType) -> bool:
    """Return True for String, Categorical and Enum columns.

    Parameters
    ----------
    dtype
        A column's type.

    Returns
    -------
    bool
        Whether the column holds text.
    """
    return isinstance(dtype, TEXT_TYPES)


def id_kind(dtype: pl.DataType) -> str:
    """Name the kind of an id column, for joins and messages.

    Parameters
    ----------
    dtype
        A column's type.

    Returns
    -------
    str
        ``"integer"``, ``"text"`` or, for any other type, its name.
    """
    if dtype.is_integer():
        return "integer"
    if is_text(dtype):
        return "text"
    return str(dtype)


def check_id_types(
    have: pl.DataType,
    dtype: pl.DataType,
    column: str,
    tables: tuple[str, str],
    *,
    other: str | None = None,
) -> None:
    """Raise :class:`ColumnTypeError` unless two id columns can be joined.

    Ids of type ``have`` (column ``column`` of the first of ``tables``) can join ids of type
    ``dtype`` (column ``other``, default the same name, of the second) when both are integers,
    both text, or either is all null.

    Parameters
    ----------
    have, dtype
        The types of the two id columns.
    column
        The id column of the first table.
    tables
        The names of the two tables, for the message.
    other
        The id column of the second table (default: ``column``).
    """
    if have == dtype or pl.Null in (have, dtype):
        return
    kind = id_kind(have)
    if kind != id_kind(dtype) or kind not in ("integer", "text"):
        theirs = str(dtype) if other in (None, column) else f"`{other}` is {dtype}"
        raise ColumnTypeError(
            f"`{column}` is {have} in the {tables[0]} but {theirs} in the {tables[1]}; give "
            "both the same type"
        )


def match_id_type(
    frame: pl.DataFrame,
    column: str,
    dtype: pl.DataType,
    tables: tuple[str, str],
    *,
    other: str | None = None,
) -> pl.DataFrame:
    """``frame`` with its ids cast to the type they have in the reference table.

    Parameters
    ----------
    frame
        The first of ``tables``, whose id column is cast.
    column
        The id column of ``frame``.
    dtype
        The type of the ids in the reference table (the second of ``tables``).
    tables
        How the two tables are named in messages, e.g. ``("lab results", "patient table")``.
    other
        The id column of the reference table, when its name differs from ``column``.

    Returns
    -------
    polars.DataFrame
        ``frame``, unchanged when the types agree (or the reference column is all null),
        otherwise with ``column`` cast to ``dtype``.

    Raises
    ------
    ColumnTypeError
        The ids are of different kinds (text in one table, integers in the other, or any
        type that is neither), or some ids of ``frame`` do not fit ``dtype`` (an Int64 id
        beyond the range of Int32, a text id that is not a category of an Enum), naming both
        columns, both types and the first id that does not fit.

    Examples
    --------
    >>> import polars as pl
    >>> labs = pl.DataFrame({"patient_id": pl.Series([1, 2], dtype=pl.Int32)})
    >>> match_id_type(labs, "patient_id", pl.Int64(), ("lab results", "patient table")).dtypes
    [Int64]
    """
    have = frame.schema[column]
    if have == dtype or dtype == pl.Null:
        return frame
    check_id_types(have, dtype, column, tables, other=other)
    cast = frame.with_columns(pl.col(column).cast(dtype, strict=False))
    lost = cast.get_column(column).is_null() & frame.get_column(column).is_not_null()
    if lost.any():
        first = frame.get_column(column).filter(lost)[0]
        raise ColumnTypeError(
            f"`{column}`: ids of the {tables[0]} ({have}) do not all fit the type they have in "
            f"the {tables[1]} ({dtype}); found {int(lost.sum())} of {frame.height} rows "
            f"(first: {first!r}); give both the same type"
        )
    return cast


__all__ = ["TEXT_TYPES", "check_id_types", "id_kind", "is_text", "match_id_type"]
