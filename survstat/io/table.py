"""Writing a result table by its file's extension: Parquet, SAS transport v5, or CSV.

A Parquet file carries its provenance inside (key-value metadata ``survstat``); XPT and CSV
files have no place for it, so it goes into a JSON file beside them, ``OUT.xpt.json`` or
``OUT.csv.json`` (:func:`survstat.io.write_provenance_beside`), with the file's name and
SHA-256 so that the two can be matched: a JSON file whose hash differs describes an earlier
file. CSV (RFC 4180, UTF-8, LF line ends) writes numbers so that they read back to the
same doubles, a null as an empty field and dates in ISO 8601; its column labels go into the
JSON file too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from survstat.errors import ColumnTypeError, OutputPathError
from survstat.io.write import write_atomically, write_parquet, write_provenance_beside
from survstat.io.xpt import check_xpt, dataset_name, write_xpt

#: The extensions :func:`write_table` writes.
TABLE_OUTPUTS = (".parquet", ".xpt", ".csv")


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in TABLE_OUTPUTS:
        raise OutputPathError(f"output path `{path}` must end in {' or '.join(TABLE_OUTPUTS)}")
    return suffix


def check_table(
    frame: pl.DataFrame,
    path: str | os.PathLike[str],
    *,
    labels: Mapping[str, str] | None = None,
    name: str | None = None,
    label: str | None = None,
) -> None:
    """Raise unless :func:`write_table` can write ``frame`` to ``path``, writing nothing.

    Parameters
    ----------
    frame
        The table.
    path
        A ``.parquet``, ``.xpt`` or ``.csv`` file.
    labels
        Column labels, as :func:`write_table` takes them.
    name
        The XPT dataset name, as :func:`write_table` takes it.
    label
        The XPT dataset label, as :func:`write_table` takes it.

    Raises
    ------
    OutputPathError
        When ``path`` ends otherwise.
    XptFormatError
        For ``.xpt``: a name, label or value SAS transport v5 cannot hold
        (:func:`survstat.io.check_xpt`).
    ColumnTypeError
        For ``.xpt``: a column type SAS transport v5 cannot hold; for ``.csv``: a nested
        or binary column, which has no CSV form.
    """
    target = Path(path)
    suffix = _suffix(target)
    if suffix == ".xpt":
        dataset, where = dataset_name(target, name)
        check_xpt(frame, dataset, labels=labels, label=label, where=where)
    elif suffix == ".csv":
        _check_csv(frame, target)


def _check_csv(frame: pl.DataFrame, target: Path) -> None:
    """Refuse the columns CSV has no form for: lists, arrays, structs, binary, objects."""
    bad = [
        f"`{column}` ({dtype})"
        for column, dtype in frame.schema.items()
        if dtype.is_nested() or dtype in (pl.Binary, pl.Object)
    ]
    if bad:
        raise ColumnTypeError(
            f"`{target}`: CSV has no form for {len(bad)} column{'s' * (len(bad) > 1)} of "
            f"nested or binary values: {', '.join(bad[:3])}; write Parquet (.parquet)"
        )


def _write_csv(frame: pl.DataFrame, target: Path) -> Path:
    # polars writes the shortest decimal that reads back to the same double
    return write_atomically(target, lambda tmp: frame.write_csv(tmp, line_terminator="\n"))


def write_table(
    frame: pl.DataFrame,
    path: str | os.PathLike[str],
    *,
    labels: Mapping[str, str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    name: str | None = None,
    label: str | None = None,
) -> Path:
    """Write ``frame`` atomically as Parquet or SAS transport v5, by ``path``'s extension.

    Parameters
    ----------
    frame
        The table to write.
    path
        A ``.parquet`` file (:func:`survstat.io.write_parquet`), a ``.xpt`` file
        (:func:`survstat.io.write_xpt`) or a ``.csv`` file.
    labels
        Column labels: Parquet field metadata, SAS variable labels, or for CSV under
        ``labels`` in ``OUT.csv.json`` (written only with ``metadata``).
    metadata
        The provenance record (:func:`survstat.io.provenance`): inside a Parquet file; for
        ``.xpt`` and ``.csv``, in ``OUT.<ext>.json`` beside it as ``{"file", "sha256",
        "survstat"}``, the record under ``survstat``. None writes none.
    name
        The XPT dataset name; default the file name without ``.xpt`` in capitals. Ignored
        for Parquet.
    label
        The XPT dataset label (at most 40 ASCII characters), or None. Ignored for Parquet.

    Returns
    -------
    Path
        The table's file.

    Raises
    ------
    OutputPathError
        When ``path`` ends otherwise or cannot be written.
    XptFormatError
        For ``.xpt``: a name, label or value SAS transport v5 cannot hold.
    ColumnTypeError
        For ``.xpt``: a column type SAS transport v5 cannot hold; for ``.csv``: a nested
        or binary column.
    """
    target = Path(path)
    suffix = _suffix(target)
    if suffix == ".parquet":
        return write_parquet(frame, target, metadata, labels)
    if suffix == ".csv":
        _check_csv(frame, target)
        written = _write_csv(frame, target)
    else:
        written = write_xpt(frame, target, labels=labels, name=name, label=label)
        labels = None  # the XPT file holds them
    if metadata is not None:
        write_provenance_beside(written, metadata, labels=labels)
    return written
