"""Parquet input and output.

Inputs are opened lazily (``polars.scan_parquet``) so that large files, directories of files,
globs and Hive-partitioned datasets are read only as far as an analysis needs. Outputs are written
atomically: to a temporary file in the destination folder, then renamed over the target, so a
failed run never leaves a partial file. Each output carries provenance in the Parquet key-value
metadata under the key ``survstat``.
"""

from __future__ import annotations

import glob as _glob
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from survstat._clock import utc_now
from survstat._version import __version__
from survstat.errors import InputFormatError

#: Anything survstat accepts as tabular input.
FrameLike = Any  # pl.DataFrame | pl.LazyFrame | pa.Table | pandas.DataFrame | str | os.PathLike

METADATA_KEY = b"survstat"
_PARQUET_MAGIC = b"PAR1"


def _check_parquet_file(path: Path) -> None:
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(4)
            if size >= 8:
                fh.seek(-4, os.SEEK_END)
            tail = fh.read(4)
    except OSError as exc:
        raise InputFormatError(f"cannot read `{path}`: {exc.strerror}") from None
    if size < 12 or head != _PARQUET_MAGIC or tail != _PARQUET_MAGIC:
        raise InputFormatError(
            f"`{path}` is not a Parquet file (no PAR1 magic bytes; {size} bytes); "
            "convert it first, e.g. polars.read_csv(...).write_parquet(...)"
        )


def scan(source: FrameLike) -> tuple[pl.LazyFrame, str | None]:
    """Open ``source`` as a polars LazyFrame.

    Parameters
    ----------
    source
        A polars DataFrame or LazyFrame, a pyarrow Table, a pandas DataFrame, or a path to a
        Parquet file, a directory of Parquet files (Hive partitions become columns) or a glob.

    Returns
    -------
    (frame, label)
        The lazy frame and, for paths, the path as given (recorded as provenance).
    """
    if isinstance(source, pl.LazyFrame):
        return source, None
    if isinstance(source, pl.DataFrame):
        return source.lazy(), None
    if isinstance(source, pa.Table):
        return pl.from_arrow(source).lazy(), None  # type: ignore[union-attr]
    if isinstance(source, str | os.PathLike):
        return _scan_path(os.fspath(source)), os.fspath(source)
    if type(source).__module__.startswith("pandas") and hasattr(source, "columns"):
        return pl.from_pandas(source).lazy(), None
    raise InputFormatError(
        "data must be a polars DataFrame/LazyFrame, a pyarrow Table, a pandas DataFrame or a "
        f"Parquet path; got {type(source).__name__}"
    )


def check_parquet_path(raw: str) -> str:
    """Check that ``raw`` names Parquet data; return ``"dir"``, ``"glob"`` or ``"file"``.

    A directory must hold ``.parquet`` files (Hive partitions allowed), a glob must match, and
    the files checked must carry Parquet's magic bytes, so that a CSV renamed ``.parquet`` is
    refused with a clear message rather than a reader's stack trace.
    """
    path = Path(raw)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.parquet") if p.is_file())
        if not files:
            raise InputFormatError(f"directory `{raw}` contains no .parquet files")
        _check_parquet_file(files[0])
        return "dir"
    if any(ch in raw for ch in "*?["):
        files = sorted(_glob.glob(raw, recursive=True))
        if not files:
            raise InputFormatError(f"glob `{raw}` matches no files")
        for f in files:
            _check_parquet_file(Path(f))
        return "glob"
    if not path.exists():
        raise InputFormatError(f"input file `{raw}` does not exist")
    _check_parquet_file(path)
    return "file"


def _scan_path(raw: str) -> pl.LazyFrame:
    if check_parquet_path(raw) == "dir":
        # only the .parquet files: writers leave markers such as Spark's _SUCCESS beside them
        pattern = os.path.join(raw, "**", "*.parquet")
        return pl.scan_parquet(pattern, hive_partitioning=True)
    return pl.scan_parquet(raw)


def sibling_path(path: str | os.PathLike[str], name: str) -> Path:
    """The file beside ``path`` that holds its extra table ``name``: ``OUT.parquet`` ->
    ``OUT.<name>.parquet``."""
    p = Path(path)
    return p.with_name(f"{p.stem}.{name}{p.suffix}")


def provenance(
    analysis: str,
    parameters: Mapping[str, Any],
    *,
    input_path: str | None = None,
    n_rows: int | None = None,
    notes: list[str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the provenance record written into an output file's metadata (``notes`` are the
    lines the analysis printed beside its tables; ``extra`` adds keys, e.g. the job file and
    step of a batch run)."""
    return {
        "survstat_version": __version__,
        "analysis": analysis,
        "parameters": dict(parameters),
        "input": input_path,
        "input_rows": n_rows,
        "notes": list(notes or []),
        "created_utc": utc_now(),
        **(extra or {}),
    }


def write_parquet(
    frame: pl.DataFrame, path: str | os.PathLike[str], metadata: Mapping[str, Any] | None = None
) -> Path:
    """Write ``frame`` to ``path`` atomically, with ``metadata`` under the ``survstat`` key.

    The table is written to a temporary file in the target's directory and renamed over the
    target only once complete, so readers never see a partial file.
    """
    target = Path(path)
    if target.suffix.lower() != ".parquet":
        raise InputFormatError(f"output path `{target}` must end in .parquet")
    table = frame.to_arrow()
    meta = dict(table.schema.metadata or {})
    if metadata is not None:
        meta[METADATA_KEY] = json.dumps(metadata, default=str, sort_keys=True).encode()
    table = table.replace_schema_metadata(meta)
    return write_atomically(target, lambda tmp: pq.write_table(table, tmp))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomically(path: str | os.PathLike[str], write: Callable[[str], object]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it over ``path``.

    Readers see the old file or the complete new one, never a partial file; if ``write``
    fails the temporary file is removed and the old file, if any, is left untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes the file private; outputs are not
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the provenance record survstat wrote into a Parquet file (empty if none)."""
    p = Path(path)
    _check_parquet_file(p)
    meta = pq.read_schema(p).metadata or {}
    raw = meta.get(METADATA_KEY)
    return json.loads(raw) if raw else {}
