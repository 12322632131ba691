"""Reading CSV files (RFC 4180), every row used to infer each column's type.

:func:`survstat.io.read.read_table_file` checks the file's content first and dispatches here.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from survstat.errors import EmptyDataError, InputFormatError
from survstat.io._names import duplicates, first_line


def _ragged_rows(path: Path) -> str | None:
    """Describe the rows of a CSV file whose field count differs from its header's, or None."""
    import csv

    with path.open(newline="", encoding="utf-8", errors="replace") as fh:
        rows = csv.reader(fh)
        header = next(rows, [])
        bad = [(n, r) for n, r in enumerate(rows, start=1) if r and len(r) != len(header)]
    if not bad:
        return None
    row, fields = bad[0]
    return (
        f"{len(bad)} row{'s' * (len(bad) > 1)} do{'es' * (len(bad) == 1)} not have the "
        f"header's {len(header)} fields (first: row {row} has {len(fields)}: "
        f"{','.join(fields)[:60]!r})"
    )


def read_csv(path: Path) -> pl.DataFrame:
    """Read a CSV file, inferring each column's type from all its rows.

    Parameters
    ----------
    path
        The file, its content already checked to be text.

    Returns
    -------
    pl.DataFrame
        The data.

    Raises
    ------
    InputFormatError
        When a header name repeats (polars would rename the second silently) or a row has
        another number of fields than the header.
    EmptyDataError
        When the file has no header line.
    """
    import csv

    with path.open(newline="", encoding="utf-8", errors="replace") as fh:
        header = next(csv.reader(fh), [])
    repeated = duplicates(header)
    if repeated is not None:  # polars would rename the second silently
        raise InputFormatError(f"`{path}` has duplicate column names: {repeated}")
    try:
        return pl.read_csv(path, infer_schema_length=None)
    except pl.exceptions.NoDataError:
        raise EmptyDataError(f"`{path}` is empty: the CSV has no header line") from None
    except Exception as exc:  # ComputeError for a ragged row or an undecodable value
        why = _ragged_rows(path) or first_line(exc)
        raise InputFormatError(f"`{path}` is not valid CSV: {why}") from None
