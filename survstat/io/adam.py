"""Writing ADaM datasets: one function every ADaM file goes through.

:func:`write_adam_dataset` writes ``FOLDER/<name>.parquet`` (``adrs``, ``adtte``) atomically,
with the CDISC variable labels in each column's field metadata and the provenance record; it
is the one place where other formats (SAS transport, ``.xpt``) join. :func:`adam_paths`
checks the files can be written before any work.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import polars as pl

from survstat.io.write import check_output_path, write_parquet

#: The format ADaM datasets are written in.
ADAM_SUFFIX = ".parquet"


def adam_paths(
    folder: str | os.PathLike[str], names: Iterable[str], inputs: Iterable[object] = ()
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
    paths = {name: Path(folder) / f"{name}{ADAM_SUFFIX}" for name in names}
    for path in paths.values():
        check_output_path(path, (ADAM_SUFFIX,), inputs)
    return paths


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
        The dataset's rows.
    path
        The file (from :func:`adam_paths`); its suffix is the format (Parquet).
    labels
        Column -> CDISC label, stored in the Parquet field metadata under ``label`` (read back
        by :func:`survstat.io.read_labels`).
    metadata
        The provenance record (:func:`survstat.io.provenance`); None writes none.

    Returns
    -------
    Path
        The file written.
    """
    return write_parquet(frame, path, metadata, labels=labels)
