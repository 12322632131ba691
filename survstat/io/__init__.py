"""Reading inputs, writing Parquet and SAS transport output.

:mod:`survstat.io.read` opens inputs (frames, or Parquet files, folders, globs and Hive
datasets, every file checked first, or single .csv, .xpt and .sas7bdat files) as polars
LazyFrames; :mod:`survstat.io.write` writes
outputs atomically, with provenance in the Parquet metadata and the same bytes for the same
input and options; :mod:`survstat.io.xpt` writes SAS transport v5 files as FDA submissions
require them; :mod:`survstat.io.adam` writes ADaM datasets with their CDISC labels.
"""

from survstat.io.adam import adam_paths, check_adam_datasets, write_adam_dataset, xpt_columns
from survstat.io.read import (
    LABEL_KEY,
    TABLE_EXTENSIONS,
    FrameLike,
    check_input_path,
    check_parquet_file,
    check_parquet_path,
    parquet_files,
    read_labels,
    read_table_file,
    reading,
    scan,
)
from survstat.io.table import TABLE_OUTPUTS, check_table, write_table
from survstat.io.write import (
    METADATA_KEY,
    check_output_path,
    provenance,
    provenance_path,
    read_metadata,
    sibling_path,
    write_atomically,
    write_parquet,
    write_provenance_beside,
)
from survstat.io.xpt import check_xpt, write_xpt

__all__ = [
    "LABEL_KEY",
    "METADATA_KEY",
    "TABLE_EXTENSIONS",
    "TABLE_OUTPUTS",
    "FrameLike",
    "adam_paths",
    "check_adam_datasets",
    "check_input_path",
    "check_output_path",
    "check_parquet_file",
    "check_parquet_path",
    "check_table",
    "check_xpt",
    "parquet_files",
    "provenance",
    "provenance_path",
    "read_labels",
    "read_metadata",
    "read_table_file",
    "reading",
    "scan",
    "sibling_path",
    "write_adam_dataset",
    "write_atomically",
    "write_parquet",
    "write_provenance_beside",
    "write_table",
    "write_xpt",
    "xpt_columns",
]
