"""Writing a result table by its file's extension: Parquet, or SAS transport v5.

A Parquet file carries its provenance inside (key-value metadata ``survstat``); an XPT file
has no place for it, so it goes into a JSON file beside it, ``OUT.xpt.json``
(:func:`survstat.io.provenance_path`), with the XPT file's name and SHA-256 so that the two
can be matched: a JSON file whose hash differs describes an earlier file.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from survstat.errors import OutputPathError
from survstat.io.write import METADATA_KEY, provenance_path, write_atomically, write_parquet
from survstat.io.xpt import check_xpt, dataset_name, write_xpt

#: The extensions :func:`write_table` writes.
TABLE_OUTPUTS = (".parquet", ".xpt")


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
        A ``.parquet`` or ``.xpt`` file.
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
        For ``.xpt``: a column type SAS transport v5 cannot hold.
    """
    target = Path(path)
    if _suffix(target) == ".xpt":
        dataset, where = dataset_name(target, name)
        check_xpt(frame, dataset, labels=labels, label=label, where=where)


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
        A ``.parquet`` file (:func:`survstat.io.write_parquet`) or a ``.xpt`` file
        (:func:`survstat.io.write_xpt`).
    labels
        Column labels: Parquet field metadata, or SAS variable labels.
    metadata
        The provenance record (:func:`survstat.io.provenance`): inside a Parquet file; for
        ``.xpt``, in ``OUT.xpt.json`` beside it as ``{"file", "sha256", "survstat"}``, the
        record under ``survstat``. None writes none.
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
        For ``.xpt``: a column type SAS transport v5 cannot hold.
    """
    target = Path(path)
    if _suffix(target) == ".parquet":
        return write_parquet(frame, target, metadata, labels)
    written = write_xpt(frame, target, labels=labels, name=name, label=label)
    if metadata is not None:
        record = {
            "file": written.name,
            "sha256": hashlib.sha256(written.read_bytes()).hexdigest(),
            METADATA_KEY.decode(): dict(metadata),
        }
        text = json.dumps(record, default=str, sort_keys=True, indent=2) + "\n"
        write_atomically(
            provenance_path(written), lambda tmp: Path(tmp).write_text(text, encoding="utf-8")
        )
    return written
