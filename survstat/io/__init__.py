"""Parquet input and output.

:mod:`survstat.io.read` opens inputs (frames, or Parquet files, folders, globs and Hive
datasets, every file checked first) as polars LazyFrames; :mod:`survstat.io.write` writes
outputs atomically, with provenance in the Parquet metadata and the same bytes for the same
input and options.
"""

from survstat.io.read import (
    FrameLike,
    check_parquet_file,
    check_parquet_path,
    parquet_files,
    reading,
    scan,
)
from survstat.io.write import (
    METADATA_KEY,
    check_output_path,
    provenance,
    read_metadata,
    sibling_path,
    write_atomically,
    write_parquet,
)

__all__ = [
    "METADATA_KEY",
    "FrameLike",
    "check_output_path",
    "check_parquet_file",
    "check_parquet_path",
    "parquet_files",
    "provenance",
    "read_metadata",
    "reading",
    "scan",
    "sibling_path",
    "write_atomically",
    "write_parquet",
]
