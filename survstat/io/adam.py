"""Writing ADaM datasets: one function every ADaM file goes through.

:func:`write_adam_dataset` writes ``FOLDER/<name>.parquet`` or ``FOLDER/<name>.xpt``
(``adrs``, ``adtte``) atomically, with the CDISC variable labels (Parquet field metadata, or
SAS variable labels) and the provenance record (inside the Parquet file, or in
``<name>.xpt.json`` beside the SAS transport file; see :func:`survstat.io.write_table`).
:func:`adam_paths` checks the files can be written before any work, and
:func:`check_adam_datasets` that every dataset can be written before the first is.

SAS transport v5, the format FDA submissions take (FDA Study Data Technical Conformance
Guide), names variables with at most 8 characters. The ADaM variables written here all fit;
a column carried from the subject table whose name does not fit (e.g. ``pakt_hscore``) is
left out of the ``.xpt`` file, and the writer says which (:func:`xpt_columns`): in a
submission such columns come from ADSL, joined by ``USUBJID``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import polars as pl

from survstat._choices import AdamFormat
from survstat.io.table import check_table, write_table
from survstat.io.write import check_output_path
from survstat.io.xpt import is_xpt_name

#: The dataset labels of the ADaM datasets written (ADaM IG: ADRS and ADTTE).
ADAM_DATASET_LABELS: Mapping[str, str] = {
    "adrs": "Response Analysis Dataset",
    "adtte": "Time-to-Event Analysis Dataset",
}


def adam_paths(
    folder: str | os.PathLike[str],
    names: Iterable[str],
    inputs: Iterable[object] = (),
    *,
    file_format: AdamFormat = "parquet",
) -> dict[str, Path]:
    """The files of the datasets ``names`` in ``folder``, checked before any work.

    Parameters
    ----------
    folder
        An existing folder (a typo in its name is an error, not a new folder).
    names
        The datasets' lower-case names (``"adrs"``, ``"adtte"``).
    inputs
        The command's inputs, which the files must not replace (see
        :func:`survstat.io.check_output_path`).
    file_format
        ``"parquet"`` or ``"xpt"`` (SAS transport v5).

    Returns
    -------
    dict
        Name -> the file it is written to.

    Raises
    ------
    OutputPathError
        When ``folder`` is missing, not a folder or not writable, or a file would replace an
        input.
    """
    inputs = list(inputs)
    suffix = f".{file_format}"
    paths = {name: Path(folder) / f"{name}{suffix}" for name in names}
    for path in paths.values():
        check_output_path(path, (suffix,), inputs)
    return paths


def xpt_columns(
    frame: pl.DataFrame, labels: Mapping[str, str], path: str | os.PathLike[str]
) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """The columns of an ADaM dataset that go into its file, and those left out.

    Every column goes into a Parquet file. Into a SAS transport (``.xpt``) file go the ADaM
    variables (those with a label) and the carried columns whose names SAS transport v5 can
    hold (:func:`survstat.io.xpt.is_xpt_name`); a labelled variable with a name it cannot
    hold stays, so that writing it is an error rather than a loss.

    Parameters
    ----------
    frame
        The dataset's rows.
    labels
        Column -> CDISC label of the ADaM variables.
    path
        The file the dataset goes to; its suffix is the format.

    Returns
    -------
    (frame, left_out)
        The columns written, and the names of the carried columns left out.
    """
    if Path(path).suffix.lower() != ".xpt":
        return frame, ()
    left_out = tuple(c for c in frame.columns if c not in labels and not is_xpt_name(c))
    return frame.drop(left_out), left_out


def check_adam_datasets(
    tables: Mapping[str, tuple[pl.DataFrame, Mapping[str, str]]], paths: Mapping[str, Path]
) -> None:
    """Raise unless every dataset can be written to its file, writing nothing.

    Parameters
    ----------
    tables
        Dataset name -> (its rows as :func:`xpt_columns` leaves them, its labels).
    paths
        Dataset name -> its file (:func:`adam_paths`).

    Raises
    ------
    XptFormatError, ColumnTypeError
        For ``.xpt``: a name, label, type or value SAS transport v5 cannot hold.
    """
    for name, (frame, labels) in tables.items():
        check_table(
            frame,
            paths[name],
            labels=_labels(frame, labels),
            label=ADAM_DATASET_LABELS.get(name),
        )


def _labels(frame: pl.DataFrame, labels: Mapping[str, str]) -> dict[str, str]:
    return {c: labels[c] for c in frame.columns if c in labels}


def write_adam_dataset(
    frame: pl.DataFrame,
    path: str | os.PathLike[str],
    *,
    labels: Mapping[str, str],
    metadata: Mapping[str, Any] | None = None,
) -> Path:
    """Write one ADaM dataset atomically with its CDISC variable labels.

    Parameters
    ----------
    frame
        The dataset's rows (for ``.xpt``, as :func:`xpt_columns` leaves them).
    path
        The file (from :func:`adam_paths`); its suffix is the format: Parquet, or SAS
        transport v5 named after the file (``ADTTE``) with the dataset label of
        :data:`ADAM_DATASET_LABELS`.
    labels
        Column -> CDISC label: Parquet field metadata under ``label``, or SAS variable labels
        (read back by :func:`survstat.io.read_labels`).
    metadata
        The provenance record (:func:`survstat.io.provenance`); None writes none.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    XptFormatError, ColumnTypeError
        For ``.xpt``: a name, label, type or value SAS transport v5 cannot hold.
    """
    target = Path(path)
    return write_table(
        frame,
        target,
        labels=_labels(frame, labels),
        metadata=metadata,
        label=ADAM_DATASET_LABELS.get(target.stem.lower()),
    )
