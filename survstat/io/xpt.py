"""Writing SAS transport version 5 files (``.xpt``), the format FDA submissions require.

:func:`write_xpt` refuses, before anything is written, a table that the format or the FDA
cannot take, naming the dataset or column, the rule and an offending value; then it writes
the file through pyreadstat (``write_xport(..., file_format_version=5)``) atomically, with
the same bytes for the same table.

The rules and where they come from:

- SAS Institute, *The record layout of a SAS transport file* (TS-140, version 5): a dataset
  and a variable name hold at most 8 characters, a label at most 40; a character value at
  most 200 bytes; numbers are IBM System/360 hexadecimal floating point (a 7-bit exponent
  of 16 and a 56-bit fraction: magnitudes from 16**-65, about 5.4e-79, to about 7.2e75).
- FDA, *Study Data Technical Conformance Guide* (section 3.3, "SAS transport file format"
  and "Variable and dataset names"): version 5 transport files; dataset and variable names
  start with a letter and hold only letters, digits and underscores; names, labels and
  character values are ASCII text.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import polars as pl

from survstat._clock import source_date_epoch
from survstat.errors import ColumnTypeError, OutputPathError, XptFormatError
from survstat.io.write import write_atomically

#: SAS transport v5 limits (TS-140), checked before writing.
MAX_NAME = 8
MAX_LABEL = 40
MAX_CHAR_BYTES = 200
#: The largest magnitude written: 2**249. IBM floating point reaches ~7.2e75 (16**63), but
#: ReadStat, the library under pyreadstat, writes every magnitude from 2**249 (~9.05e74) up
#: as the IBM maximum, a wrong number; such values are refused rather than changed.
MAX_MAGNITUDE = 2.0**249
#: The smallest nonzero magnitude IBM floating point holds: 16**-65 (~5.4e-79).
MIN_MAGNITUDE = 16.0**-65
#: Integers are written as doubles: beyond 2**53 they would be rounded.
MAX_INTEGER = 2**53

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_NON_ASCII = r"[^\x00-\x7F]"
_SAS_EPOCH = _dt.date(1960, 1, 1)
_SAS_EPOCH_US = int((_dt.datetime(1960, 1, 1) - _dt.datetime(1970, 1, 1)).total_seconds()) * 10**6
#: The SAS formats written for polars' temporal types.
_FORMATS = {pl.Date: "DATE9.", pl.Datetime: "DATETIME20.", pl.Time: "TIME8."}
#: Where ReadStat stamps the header records' "created" and "modified" times (16 characters,
#: ``ddMONyy:hh:mm:ss``): the library header and the member header, TS-140.
_STAMPS = (144, 160, 464, 480)
_STAMP = re.compile(rb"\d\d[A-Z]{3}\d\d:\d\d:\d\d:\d\d")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_UNSUPPORTED = {
    pl.List: "a list",
    pl.Array: "an array",
    pl.Struct: "a struct",
    pl.Binary: "binary",
    pl.Object: "Python objects",
    pl.Decimal: "decimal (cast it to Float64 first)",
    pl.Duration: "a duration (convert it to a number of days or seconds first)",
}


def _advice(what: str) -> str:
    return (
        f"{what}; write Parquet (.parquet) or CSV (.csv) instead, which have no such limit, "
        "or rename it"
    )


def is_xpt_name(name: str) -> bool:
    """Whether ``name`` can name a SAS transport v5 variable or dataset.

    Parameters
    ----------
    name
        The name.

    Returns
    -------
    bool
        True for ASCII names of at most 8 characters: a letter, then letters, digits and
        underscores (TS-140; FDA Study Data Technical Conformance Guide).
    """
    return name.isascii() and len(name) <= MAX_NAME and _NAME.fullmatch(name) is not None


def _check_name(name: str, what: str, where: str = "") -> None:
    """A dataset or variable name: a letter, then letters, digits, underscores; 8 at most."""
    if not name.isascii():
        raise XptFormatError(
            f"{what} `{name}`{where} holds non-ASCII characters; SAS transport v5 names are ASCII "
            "(FDA Study Data Technical Conformance Guide)"
        )
    if len(name) > MAX_NAME:
        raise XptFormatError(
            _advice(
                f"{what} `{name}`{where} has {len(name)} characters; SAS transport v5 names "
                f"hold at most {MAX_NAME} (TS-140)"
            )
        )
    if not _NAME.fullmatch(name):
        raise XptFormatError(
            _advice(
                f"{what} `{name}`{where} must start with a letter and hold only letters, "
                "digits and underscores (FDA Study Data Technical Conformance Guide)"
            )
        )


def _check_label(label: str, what: str) -> None:
    if not label.isascii():
        bad = next(ch for ch in label if not ch.isascii())
        raise XptFormatError(
            f"{what} {label!r} holds non-ASCII characters (first: {bad!r}); SAS transport v5 "
            "labels are ASCII (FDA Study Data Technical Conformance Guide)"
        )
    if len(label) > MAX_LABEL:
        raise XptFormatError(
            f"{what} {label!r} has {len(label)} characters; SAS transport v5 labels hold at "
            f"most {MAX_LABEL} (TS-140)"
        )


def _unsupported(dtype: pl.DataType) -> str | None:
    """What a column type the format cannot hold is, in words; None when it can."""
    for kind, words in _UNSUPPORTED.items():
        if isinstance(dtype, kind):
            return words
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        return (
            f"a datetime in time zone {dtype.time_zone} (SAS datetimes have none: convert it, "
            'e.g. .dt.convert_time_zone("UTC").dt.replace_time_zone(None))'
        )
    return None


def _first_bad(frame: pl.DataFrame, column: str, bad: pl.Expr) -> tuple[int, int, Any]:
    """How many rows of ``column`` break a rule, and the first such row and its value."""
    found = (
        frame.select(pl.col(column))
        .with_row_index("__row")
        .filter(bad.fill_null(value=False))
        .select("__row", column)
    )
    if found.height == 0:
        return 0, -1, None
    return found.height, int(found.item(0, "__row")), found.item(0, column)


def _value_rules(column: str, dtype: pl.DataType) -> list[tuple[pl.Expr, str, str]]:
    """The rules a column's values must follow: (broken when, rule, citation)."""
    col = pl.col(column)
    if dtype == pl.String:
        return [
            (col.str.contains(_NON_ASCII), "must be ASCII text", "FDA Study Data TCG"),
            (
                col.str.len_bytes() > MAX_CHAR_BYTES,
                f"must hold at most {MAX_CHAR_BYTES} bytes",
                "TS-140",
            ),
        ]
    if dtype.is_float():
        size = col.abs()
        return [
            (col.is_nan(), "must not be NaN (a missing value is null)", "TS-140"),
            (
                size >= MAX_MAGNITUDE,
                "must be under 2**249 (~9.05e74) in magnitude: the IBM floating point of "
                "SAS transport v5 reaches ~7.2e75, but the writer (ReadStat) cannot write "
                "larger values",
                "TS-140",
            ),
            (
                (size > 0) & (size < MIN_MAGNITUDE),
                "must be 0 or at least 16**-65 (~5.4e-79) in magnitude, the smallest number "
                "IBM floating point holds",
                "TS-140",
            ),
        ]
    if dtype.is_integer():
        return [
            (
                (col > MAX_INTEGER) | (col < -MAX_INTEGER),
                "must be within ±2**53: SAS numbers are doubles, larger integers are rounded",
                "TS-140",
            )
        ]
    if isinstance(dtype, pl.Datetime) and dtype.time_unit == "ns":
        return [
            (
                col.dt.nanosecond() % 1000 != 0,
                "must be whole microseconds: SAS datetimes are read back to the microsecond",
                "TS-140",
            )
        ]
    return []


def check_xpt(
    frame: pl.DataFrame,
    name: str,
    *,
    labels: Mapping[str, str] | None = None,
    label: str | None = None,
    where: str = "",
) -> None:
    """Raise unless ``frame`` can be written as the SAS transport v5 dataset ``name``.

    The rules, in the order checked (see the module's docstring for their sources): the
    dataset name and each variable name (at most 8 characters, ASCII, a letter then letters,
    digits and underscores; no two names equal but for case, as SAS names ignore case); the
    dataset label and each variable label (ASCII, at most 40 characters); each column's type
    (numbers, booleans, text, dates, datetimes without time zone and times only); each
    column's values (text: ASCII and at most 200 bytes; floats: not NaN, under 2**249 and
    either 0 or at least 16**-65 in magnitude; integers: within ±2**53); and, in a table of
    text only, no final row blank in every column (readers take it for the blank padding of
    the last record).

    Parameters
    ----------
    frame
        The table to write.
    name
        The dataset name.
    labels
        Variable labels by column; columns not in ``frame`` are ignored.
    label
        The dataset label.
    where
        Where the name comes from, for the message (e.g. " (from the file name `a.xpt`)").

    Raises
    ------
    XptFormatError
        For the first name, label or value the format cannot hold, naming it.
    ColumnTypeError
        For a column of a type the format cannot hold (lists, structs, binary, ...).
    """
    _check_name(name, "dataset name", where)
    if label:
        _check_label(label, f"the label of dataset `{name}`")
    seen: dict[str, str] = {}
    for column in frame.columns:
        _check_name(column, f"column `{column}` of dataset `{name}`: the variable name")
        other = seen.setdefault(column.upper(), column)
        if other != column:
            raise XptFormatError(
                f"columns `{other}` and `{column}` of dataset `{name}` differ only in case; "
                "SAS variable names ignore case"
            )
    for column, text in (labels or {}).items():
        if column in frame.columns and text:
            _check_label(text, f"the label of column `{column}` of dataset `{name}`")
    for column, dtype in frame.schema.items():
        kind = _unsupported(dtype)
        if kind is not None:
            raise ColumnTypeError(
                f"column `{column}` of dataset `{name}` holds {kind} ({dtype}); SAS transport "
                "v5 holds numbers and text only (and dates, datetimes and times as numbers)"
            )
        if isinstance(dtype, pl.Categorical | pl.Enum):
            dtype = pl.String()
        for bad, rule, source in _value_rules(column, dtype):
            probe = frame if dtype == frame.schema[column] else frame.cast({column: dtype})
            n_bad, row, value = _first_bad(probe, column, bad)
            if n_bad:
                shown = repr(value) if isinstance(value, str) else str(value)
                if isinstance(value, str) and len(shown) > 60:
                    shown = shown[:57] + "..."
                raise XptFormatError(
                    f"column `{column}` of dataset `{name}` {rule} ({source}); found {n_bad} "
                    f"value{'s' * (n_bad > 1)} of {frame.height} rows (first: {shown} at row "
                    f"{row})"
                )
    _check_last_rows(frame, name)


def _check_last_rows(frame: pl.DataFrame, name: str) -> None:
    """Refuse final rows blank in every column of a table of text only: SAS transport pads
    its last 80-byte record with blanks, and readers (SAS, ReadStat) drop trailing blank
    rows as padding."""
    text = (pl.String, pl.Categorical, pl.Enum)  # an all-null column is numeric: `.`
    if frame.height == 0 or not all(isinstance(t, text) for t in frame.dtypes):
        return
    blank = pl.all_horizontal(
        pl.col(c).cast(pl.String).fill_null("").str.strip_chars_end(" ") == ""
        for c in frame.columns
    )
    flags = frame.select(blank.alias("blank")).get_column("blank").to_list()
    n_blank = next((i for i, b in enumerate(reversed(flags)) if not b), len(flags))
    if n_blank:
        raise XptFormatError(
            f"the last {n_blank} of the {frame.height} rows of dataset `{name}` are blank in "
            f"every column (first: row {frame.height - n_blank}); SAS transport v5 pads its "
            "last record with blanks and readers drop trailing blank rows, so they would be "
            "lost (TS-140); drop them, or add a column that tells them apart"
        )


def _sas_values(frame: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, str]]:
    """The columns as SAS holds them: numbers as Float64 (dates as days, datetimes and times
    as seconds from 1960-01-01 and midnight), text as String; and the SAS formats to write."""
    columns: list[pl.Expr] = []
    formats: dict[str, str] = {}
    for column, dtype in frame.schema.items():
        col = pl.col(column)
        for kind, fmt in _FORMATS.items():
            if isinstance(dtype, kind):
                formats[column] = fmt
        if dtype == pl.Date:
            expr = (col - pl.lit(_SAS_EPOCH)).dt.total_days().cast(pl.Float64)
        elif isinstance(dtype, pl.Datetime):
            micros = col.dt.cast_time_unit("us").cast(pl.Int64) - _SAS_EPOCH_US
            expr = micros.cast(pl.Float64) / 1e6
        elif dtype == pl.Time:
            expr = col.cast(pl.Int64).cast(pl.Float64) / 1e9
        elif dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum):
            expr = col.cast(pl.String)
        else:  # numbers, booleans, all-null columns
            expr = col.cast(pl.Float64)
        columns.append(expr.alias(column))
    return frame.select(columns), formats


def _header_time() -> bytes:
    """The creation time written into the header: ``SOURCE_DATE_EPOCH`` when set, else the
    SAS epoch (01JAN60:00:00:00), so that the same table gives the same bytes."""
    when = source_date_epoch() or _dt.datetime(1960, 1, 1, tzinfo=_dt.UTC)
    month = _MONTHS[when.month - 1]  # not %b: it follows the locale
    return f"{when:%d}{month}{when:%y:%H:%M:%S}".encode("ascii")


def _fix_times(path: str) -> None:
    """Replace the clock times ReadStat stamps into the header by :func:`_header_time`."""
    stamp = _header_time()
    with open(path, "r+b") as fh:
        head = bytearray(fh.read(_STAMPS[-1] + 16))
        for at in _STAMPS:
            if not _STAMP.fullmatch(bytes(head[at : at + 16])):
                raise OutputPathError(
                    f"cannot write `{path}` reproducibly: no header time at byte {at} "
                    "(an unexpected pyreadstat version?)"
                )
            head[at : at + 16] = stamp
        fh.seek(0)
        fh.write(head)


def dataset_name(path: Path, name: str | None) -> tuple[str, str]:
    """The dataset name of an XPT file, and where it comes from for messages: ``name``, or
    the file name without ``.xpt`` in capitals (the FDA asks that the two agree).

    Parameters
    ----------
    path
        The XPT file.
    name
        The name given, or None.

    Returns
    -------
    (name, where)
        The name, and ``" (from the file name `...`)"`` or ``" (of `...`)"``.
    """
    if name is not None:
        return name, f" (of `{path.name}`)"
    return path.stem.upper(), f" (from the file name `{path.name}`)"


def write_xpt(
    frame: pl.DataFrame,
    path: str | os.PathLike[str],
    *,
    labels: Mapping[str, str] | None = None,
    name: str | None = None,
    label: str | None = None,
) -> Path:
    """Write ``frame`` as a SAS transport version 5 file, atomically, the same bytes each time.

    The table is checked first (:func:`check_xpt`); nothing is written when a rule is broken.
    Numbers, booleans (1/0) and integers become SAS numeric variables; dates are written as
    days since 1960-01-01 with the ``DATE9.`` format, datetimes as seconds since then with
    ``DATETIME20.`` (to the microsecond), times as seconds since midnight with ``TIME8.``;
    text becomes character variables (categoricals as their text). Nulls become SAS missing
    values: ``.`` for numbers and blank text, which SAS does not tell from an empty string,
    so text nulls are read back as ``""``; trailing blanks of text are dropped, as SAS drops
    them. ``-0.0`` is written as 0. Every double is written exactly (IBM floating point has
    a 56-bit fraction, a double 53 bits), so the project's reader
    (:func:`survstat.io.read_table_file`) gives back the same values. A datetime comes back
    to the microsecond between 1824 and 2096 (within 2**32 seconds of 1960), and within a
    microsecond further away, where a double of seconds has a coarser step.

    pyreadstat stamps the current time into the header's "created" and "modified" fields;
    they are replaced by ``SOURCE_DATE_EPOCH`` when set, else by the SAS epoch
    (01JAN60:00:00:00), so that the same table gives byte-identical files.

    Parameters
    ----------
    frame
        The table to write.
    path
        The ``.xpt`` file; missing parent folders are created.
    labels
        Variable labels by column (e.g. :func:`survstat.io.read_labels`); columns not in
        ``frame`` are ignored.
    name
        The dataset name; default: the file name without ``.xpt``, in capitals (the FDA
        asks that the two agree: ``adtte.xpt`` holds ``ADTTE``).
    label
        The dataset label; default none.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    OutputPathError
        When ``path`` does not end in ``.xpt`` or cannot be written.
    XptFormatError
        When a name, label or value breaks a rule of the format (see :func:`check_xpt`).
    ColumnTypeError
        When a column's type cannot be written (lists, structs, binary, ...).

    Examples
    --------
    >>> import tempfile, polars as pl
    >>> from survstat.io import read_table_file, write_xpt
    >>> frame = pl.DataFrame({"AVAL": [3.5, None], "TRT": ["A", "B"]})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_xpt(frame, f"{folder}/adtte.xpt", labels={"AVAL": "Analysis Value"})
    ...     read_table_file(path)[1]
    {'AVAL': 'Analysis Value'}
    """
    target = Path(path)
    if target.suffix.lower() != ".xpt":
        raise OutputPathError(f"output path `{target}` must end in .xpt")
    dataset, where = dataset_name(target, name)
    check_xpt(frame, dataset, labels=labels, label=label, where=where)
    values, formats = _sas_values(frame)
    column_labels = {c: (labels or {}).get(c) or None for c in frame.columns}

    def write(tmp: str) -> None:
        import pyreadstat  # lazily: only XPT outputs need it

        pyreadstat.write_xport(
            # pyreadstat takes polars frames; its stub's type for them does not resolve
            cast(Any, values),
            tmp,
            file_label=label or "",
            column_labels=column_labels,
            table_name=dataset,
            file_format_version=5,
            variable_format=formats,
        )
        _fix_times(tmp)

    return write_atomically(target, write)
