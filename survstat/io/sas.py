"""Reading SAS files: transport files (``.xpt``, v5 and v8) and SAS data sets (``.sas7bdat``).

Read whole with pyreadstat; :func:`survstat.io.read.read_table_file` checks the file's
content against its extension first and dispatches here.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from survstat.errors import InputFormatError
from survstat.io._names import check_unique_names, first_line

#: The SAS extensions survstat reads, and what a file of each must hold.
SAS_EXTENSIONS = {
    ".xpt": "a SAS transport file (v5 or v8)",
    ".sas7bdat": "a SAS data set",
}


def read_sas(path: Path, suffix: str) -> tuple[pl.DataFrame, dict[str, str]]:
    """Read a SAS file with pyreadstat: the frame and its variable labels.

    Parameters
    ----------
    path
        The file, its content already checked against ``suffix``.
    suffix
        ``".xpt"`` or ``".sas7bdat"``.

    Returns
    -------
    (frame, labels)
        The data and the labelled columns' labels.

    Raises
    ------
    InputFormatError
        When pyreadstat cannot read the file, a column mixes value types or a name repeats.
    """
    import pyreadstat  # lazily: only SAS inputs need it

    read = pyreadstat.read_xport if suffix == ".xpt" else pyreadstat.read_sas7bdat
    try:
        data, meta = read(str(path), output_format="dict")
    except Exception as exc:  # pyreadstat raises ReadstatError, PyreadstatError, ...
        raise InputFormatError(
            f"`{path}` is a corrupt {SAS_EXTENSIONS[suffix][2:]}: {first_line(exc)}"
        ) from None
    kinds = meta.readstat_variable_types
    columns = []
    for name, values in data.items():
        series = pl.Series(name, values, strict=False)
        if series.dtype == pl.Null:  # every value missing: the SAS type decides
            series = series.cast(pl.String if kinds.get(name) == "string" else pl.Float64)
        elif series.dtype == pl.Object:
            raise InputFormatError(
                f"`{path}`: column `{name}` mixes value types that polars cannot hold in one "
                f"column (first value: {values[0]!r})"
            )
        columns.append(series)
    check_unique_names([c.name for c in columns], f"file `{path}`")
    labels = {k: v for k, v in meta.column_names_to_labels.items() if v}
    return pl.DataFrame(columns), labels
