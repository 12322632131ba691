"""Reading inputs: Parquet, CSV, SAS transport (.xpt) and SAS data sets (.sas7bdat).

A single file is read by its extension, checked by its content: ``.csv``, ``.xpt`` and
``.sas7bdat`` files are read by :func:`read_table_file` (see there for the rules), which
dispatches to :mod:`survstat.io.csv` and :mod:`survstat.io.sas`; any other name must hold
Parquet, read here. Folders and globs are Parquet only.

Inputs are opened lazily (``polars.scan_parquet``) so that large files, directories of files,
globs and Hive-partitioned datasets are read only as far as an analysis needs. Before that,
every file an input names is checked: it is a regular file with Parquet's magic bytes, its
footer can be read, its column names are unique and, in a folder or glob, every file has the
same columns and types; an input without rows is refused. A page that cannot be decoded is
found only when the data is read: :func:`reading` then names the file.
"""

from __future__ import annotations

import glob as _glob
import os
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl

from survstat.errors import EmptyDataError, InputFormatError, SurvstatError
from survstat.io._names import check_unique_names, duplicates, first_line
from survstat.io.csv import read_csv
from survstat.io.sas import SAS_EXTENSIONS, read_sas

#: Anything survstat accepts as tabular input.
FrameLike = Any  # pl.DataFrame | pl.LazyFrame | pa.Table | pandas.DataFrame | str | os.PathLike

_PARQUET_MAGIC = b"PAR1"
_CONVERT = {
    "excel": "polars.read_excel(...).write_parquet(...)",
    "text": "name it .csv if it is CSV, or polars.read_csv(...).write_parquet(...)",
    "sas": "name it .xpt or .sas7bdat, which survstat reads",
    "arrow": "polars.read_ipc(...).write_parquet(...)",
    "gzip": "decompress it (gunzip) and convert what it holds",
    "other": "not a table survstat can read",
}
#: Leading bytes of formats often given by mistake: what the file is, and how to convert it.
_FOREIGN_MAGIC = {
    b"PK\x03\x04": ("a ZIP archive such as an Excel workbook (.xlsx)", "excel"),
    b"\xd0\xcf\x11\xe0": ("an old-style Excel workbook (.xls)", "excel"),
    b"HEADER RECORD": ("a SAS transport file (.xpt)", "sas"),
    b"\x00" * 12 + b"\xc2\xea\x81\x60": ("a SAS data set (.sas7bdat)", "sas"),
    b"ARROW1": ("an Arrow IPC (Feather) file", "arrow"),
    b"\x1f\x8b": ("a gzip-compressed file", "gzip"),
    b"\x89PNG": ("a PNG image", "other"),
    b"%PDF": ("a PDF document", "other"),
}


def _what(mode: int) -> str:
    """What a file system entry that is not a regular file is, in words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _not_parquet(path: Path, head: bytes, size: int) -> str:
    """Why a file without Parquet's leading magic bytes is refused, and how to convert it."""
    for magic, (kind, convert) in _FOREIGN_MAGIC.items():
        if head.startswith(magic):
            how = _CONVERT[convert]
            plain = convert in ("gzip", "other", "sas")
            advice = how if plain else f"convert it first, e.g. {how}"
            return f"`{path}` is not a Parquet file: it is {kind}; {advice}"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    if text and "\x00" not in text:
        first = text.splitlines()[0][:60] if text.strip() else ""
        return (
            f"`{path}` is not a Parquet file: it holds text (first line: {first!r}; "
            f"{size} bytes), e.g. CSV; {_CONVERT['text']}"
        )
    return (
        f"`{path}` is not a Parquet file (no PAR1 magic bytes; {size} bytes of binary data); "
        "convert it to Parquet first"
    )


def check_parquet_file(path: Path) -> None:
    """Raise :class:`InputFormatError` unless ``path`` is a regular file that starts and ends
    with Parquet's magic bytes (``PAR1``): a folder, a FIFO, an empty, foreign or truncated
    file is named with what it is.

    Parameters
    ----------
    path
        The file to check.

    Raises
    ------
    InputFormatError
        When ``path`` is not a complete Parquet file, saying what it is instead.
    """
    try:
        info = path.stat()
    except OSError as exc:
        raise InputFormatError(f"cannot read `{path}`: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputFormatError(f"`{path}` is {_what(info.st_mode)}, not a Parquet file")
    size = info.st_size
    if size == 0:
        raise InputFormatError(f"`{path}` is empty (0 bytes), not a Parquet file")
    try:
        with path.open("rb") as fh:
            head = fh.read(256)
            fh.seek(max(size - 4, 0))
            tail = fh.read(4)
    except OSError as exc:
        raise InputFormatError(f"cannot read `{path}`: {exc.strerror}") from None
    if not head.startswith(_PARQUET_MAGIC):
        raise InputFormatError(_not_parquet(path, head, size))
    if size < 12 or tail != _PARQUET_MAGIC:
        raise InputFormatError(
            f"`{path}` is not a complete Parquet file: it starts with Parquet's magic bytes "
            f"but does not end with them ({size} bytes; truncated?)"
        )


def _footer_schema(path: Path) -> Mapping[str, pl.DataType]:
    """The column names and polars types in a Parquet file's footer."""
    try:
        return pl.read_parquet_schema(path)
    except pl.exceptions.DuplicateError:
        import pyarrow.parquet as pq

        repeated = duplicates(pq.read_schema(path).names)
        raise InputFormatError(f"`{path}` has duplicate column names: {repeated}") from None
    except Exception as exc:  # polars' reader raises ComputeError or OSError here
        raise InputFormatError(
            f"`{path}` is a corrupt Parquet file: its footer cannot be read ({first_line(exc)})"
        ) from None


def _schema_difference(
    ref: Mapping[str, pl.DataType], other: Mapping[str, pl.DataType]
) -> str | None:
    """How ``other`` differs from ``ref`` (column order aside), or None."""
    for name, dtype in ref.items():
        if name not in other:
            return f"lacks column `{name}`"
        if other[name] != dtype:
            return f"has `{name}` as {other[name]} where the first has {dtype}"
    extra = [n for n in other if n not in ref]
    return f"has column `{extra[0]}` that the first lacks" if extra else None


def _walk(folder: Path) -> Iterator[Path]:
    """Every entry under ``folder`` that could be data, in sorted order: names starting with
    ``.`` or ``_`` (hidden files, writer markers such as ``_SUCCESS``, ``_committed_0`` or
    ``.part-0.parquet.crc``) are skipped, as pyarrow's datasets and Spark skip them."""

    def fail(exc: OSError) -> None:
        raise InputFormatError(f"cannot read `{exc.filename}`: {exc.strerror}")

    for root, dirs, files in os.walk(folder, onerror=fail):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        for name in sorted(files):
            if not name.startswith((".", "_")):
                yield Path(root) / name


def _files_of(raw: str) -> tuple[str, list[Path]]:
    """The kind of input (``"dir"``, ``"glob"`` or ``"file"``) and the files it names."""
    path = Path(raw)
    if path.is_dir():
        files = list(_walk(path))
        if not any(f.suffix.lower() == ".parquet" for f in files):
            raise InputFormatError(f"directory `{raw}` contains no .parquet files")
        others = [f for f in files if f.suffix.lower() != ".parquet"]
        if others:
            one = len(others) == 1
            raise InputFormatError(
                f"directory `{raw}` holds {len(others)} file{'' if one else 's'} that "
                f"{'is' if one else 'are'} not .parquet (first: `{others[0]}`); move "
                f"{'it' if one else 'them'} out (names starting with . or _ are skipped)"
            )
        return "dir", files
    if any(ch in raw for ch in "*?["):
        files = sorted(Path(f) for f in _glob.glob(raw, recursive=True))
        if not files:
            raise InputFormatError(f"glob `{raw}` matches no files")
        folders = [f for f in files if f.is_dir()]
        if folders:
            raise InputFormatError(
                f"glob `{raw}` matches {len(folders)} folder{'s' * (len(folders) > 1)} "
                f"(first: `{folders[0]}`); a glob must match Parquet files only, e.g. end it "
                "in *.parquet, or give the folder itself"
            )
        return "glob", files
    if not path.exists():
        raise InputFormatError(f"input file `{raw}` does not exist")
    return "file", [path]


def parquet_files(raw: str) -> tuple[str, list[Path]]:
    """Check the Parquet data at ``raw``; return its kind and the files to read.

    ``raw`` is a Parquet file, a directory (searched recursively; Hive partitions allowed;
    names starting with ``.`` or ``_`` skipped) or a glob. Every file is checked — each must
    be a complete Parquet file whose footer reads, with unique column names, and all files
    must have the same columns and types (in any order) — so that a CSV renamed ``.parquet``,
    a truncated file or a part written with another schema is refused by name, with how many
    files break the rule, rather than with a reader's stack trace.

    Parameters
    ----------
    raw
        A path to a Parquet file or folder, or a glob, as the user wrote it.

    Returns
    -------
    (kind, files)
        ``"dir"``, ``"glob"`` or ``"file"``, and the files in sorted order.

    Raises
    ------
    InputFormatError
        For the first rule broken, naming the file.
    """
    kind, files = _files_of(raw)
    problems: list[str] = []
    schemas: list[tuple[Path, Mapping[str, pl.DataType]]] = []
    for f in files:
        try:
            check_parquet_file(f)
            schemas.append((f, _footer_schema(f)))
        except InputFormatError as exc:
            problems.append(str(exc))
    if problems:
        if len(files) == 1:
            raise InputFormatError(problems[0])
        raise InputFormatError(
            f"{len(problems)} of the {len(files)} files of `{raw}` cannot be read as Parquet "
            f"(first: {problems[0]})"
        )
    (first, ref), rest = schemas[0], schemas[1:]
    differ = [(f, d) for f, s in rest if (d := _schema_difference(ref, s)) is not None]
    if differ:
        f, why = differ[0]
        raise InputFormatError(
            f"the {len(files)} files of `{raw}` disagree on schema: {len(differ)} "
            f"differ{'s' * (len(differ) == 1)} from the first, `{first}` (first: `{f}` {why})"
        )
    return kind, files


def check_parquet_path(raw: str) -> str:
    """Check that ``raw`` names Parquet data (see :func:`parquet_files`).

    Parameters
    ----------
    raw
        A path to a Parquet file or folder, or a glob, as the user wrote it.

    Returns
    -------
    str
        ``"dir"``, ``"glob"`` or ``"file"``.

    Raises
    ------
    InputFormatError
        For the first rule broken, naming the file.
    """
    return parquet_files(raw)[0]


#: Extensions read as other tables than Parquet, and what they must hold.
TABLE_EXTENSIONS = {".csv": "CSV text", **SAS_EXTENSIONS}
#: The Parquet field metadata key of a column's label (written by ``write_parquet(labels=...)``).
LABEL_KEY = b"label"
_SAS7BDAT_MAGIC = b"\x00" * 12 + b"\xc2\xea\x81\x60"


def _table_kind(raw: str) -> str | None:
    """The extension (``.csv``, ``.xpt``, ``.sas7bdat``) of a single non-Parquet file."""
    suffix = Path(raw).suffix.lower()
    if suffix in TABLE_EXTENSIONS and not Path(raw).is_dir():
        return suffix
    return None


def _check_table_file(path: Path, suffix: str) -> None:
    """Refuse a ``.csv``/``.xpt``/``.sas7bdat`` file whose content is not what its name says."""
    try:
        info = path.stat()
    except OSError as exc:
        raise InputFormatError(f"cannot read `{path}`: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputFormatError(f"`{path}` is {_what(info.st_mode)}, not a {suffix} file")
    if info.st_size == 0:
        raise InputFormatError(f"`{path}` is empty (0 bytes), not {TABLE_EXTENSIONS[suffix]}")
    with path.open("rb") as fh:
        head = fh.read(256)
    ok = {
        ".xpt": head.startswith(b"HEADER RECORD"),
        ".sas7bdat": head.startswith(_SAS7BDAT_MAGIC),
        ".csv": b"\x00" not in head and not head.startswith(_PARQUET_MAGIC),
    }[suffix]
    if ok:
        return
    if head.startswith(_PARQUET_MAGIC):
        what = "a Parquet file; name it .parquet"
    else:
        found = [kind for magic, (kind, _) in _FOREIGN_MAGIC.items() if head.startswith(magic)]
        if found:
            what = found[0]
        elif b"\x00" in head:
            what = f"binary data ({info.st_size} bytes)"
        else:
            first = head.decode("utf-8", "replace").splitlines()[0][:60] if head.strip() else ""
            what = f"text (first line: {first!r}; {info.st_size} bytes), e.g. CSV"
    raise InputFormatError(f"`{path}` is not {TABLE_EXTENSIONS[suffix]}: it is {what}")


def read_table_file(path: str | os.PathLike[str]) -> tuple[pl.DataFrame, dict[str, str]]:
    """Read a ``.csv``, ``.xpt`` or ``.sas7bdat`` file into memory, with its labels.

    The extension chooses the reader and the content is checked against it first: an
    ``.xpt`` must start with the SAS transport header (``HEADER RECORD``, SAS transport v5
    and v8 specification, TS-140), a ``.sas7bdat`` with its magic number, a ``.csv`` must be
    text (no NUL byte, not Parquet). SAS files are read with pyreadstat: numeric variables
    with a SAS date, datetime or time format (DATE9., YYMMDD10., DATETIME20., TIME8., ...)
    become polars Date, Datetime and Time columns, other numeric variables Float64, character
    variables String; SAS missing values (``.`` and the special ``.A``-``.Z``, ``._``) become
    nulls. A CSV (RFC 4180) is read with every row used to infer each column's type
    (``infer_schema_length=None``), so that a column is never typed from its first rows
    only; repeated header names and rows with another number of fields than the header are
    refused. Everything is read into memory: these formats cannot be streamed.

    Parameters
    ----------
    path
        A ``.csv``, ``.xpt`` or ``.sas7bdat`` file.

    Returns
    -------
    (frame, labels)
        The data and the SAS variable labels by column (empty for CSV; unlabelled
        columns are left out).

    Raises
    ------
    InputFormatError
        When the content is not what the extension says, or cannot be read.
    EmptyDataError
        When the file holds no rows.
    """
    raw = os.fspath(path)
    suffix = Path(raw).suffix.lower()
    if suffix not in TABLE_EXTENSIONS:
        raise InputFormatError(
            f"`{raw}` is not a .csv, .xpt or .sas7bdat file (extension {suffix or 'none'})"
        )
    file = Path(raw)
    _check_table_file(file, suffix)
    if suffix == ".csv":
        frame, labels = read_csv(file), {}
    else:
        frame, labels = read_sas(file, suffix)
    if frame.height == 0:
        raise EmptyDataError(f"`{raw}` holds no rows")
    return frame, labels


def read_labels(path: str | os.PathLike[str]) -> dict[str, str]:
    """The column labels of a file: SAS variable labels (``.xpt``, ``.sas7bdat``), or the
    ``label`` field metadata of a Parquet file (as ``write_parquet(labels=...)`` writes them).

    Labels travel beside a frame as a ``{column: label}`` dict (polars columns carry no
    metadata); Parquet keeps them in each field's metadata under ``label``.

    Parameters
    ----------
    path
        A ``.xpt``, ``.sas7bdat`` or Parquet file; a ``.csv`` has no labels.

    Returns
    -------
    dict of str to str
        ``{column: label}`` for the labelled columns, in file order.

    Raises
    ------
    InputFormatError
        When the file is not a readable SAS or Parquet file.
    """
    if _table_kind(os.fspath(path)) is not None:
        return read_table_file(path)[1]
    import pyarrow.parquet as pq

    file = Path(path)
    check_parquet_file(file)
    schema = pq.read_schema(file)
    return {
        f.name: f.metadata[LABEL_KEY].decode()
        for f in schema
        if f.metadata and LABEL_KEY in f.metadata
    }


def check_input_path(raw: str) -> str:
    """Check that ``raw`` names data survstat reads: a ``.csv``, ``.xpt`` or ``.sas7bdat``
    file (read whole, see :func:`read_table_file`), else Parquet (see :func:`parquet_files`).

    Parameters
    ----------
    raw
        A path as the user wrote it.

    Returns
    -------
    str
        ``"dir"``, ``"glob"`` or ``"file"``.

    Raises
    ------
    InputFormatError
        For the first rule broken, naming the file.
    """
    if _table_kind(raw) is not None and not any(ch in raw for ch in "*?["):
        if not Path(raw).exists():
            raise InputFormatError(f"input file `{raw}` does not exist")
        read_table_file(raw)
        return "file"
    return check_parquet_path(raw)


def scan(source: FrameLike) -> tuple[pl.LazyFrame, str | None]:
    """Open ``source`` as a polars LazyFrame.

    Parameters
    ----------
    source
        A polars DataFrame or LazyFrame, a pyarrow Table, a pandas DataFrame, or a path to a
        Parquet file, a directory of Parquet files (Hive partitions become columns) or a glob,
        or to a ``.csv``, ``.xpt`` or ``.sas7bdat`` file (:func:`read_table_file`). A path is
        checked file by file first (see :func:`parquet_files`).

    Returns
    -------
    (frame, label)
        The lazy frame and, for paths, the path as given (recorded as provenance).

    Raises
    ------
    InputFormatError
        For a path that is not readable Parquet data, or a frame with duplicate column names.
    EmptyDataError
        For a path whose files hold no rows.
    """
    if isinstance(source, pl.LazyFrame):
        return source, None
    if isinstance(source, pl.DataFrame):
        return source.lazy(), None
    if isinstance(source, str | os.PathLike):
        return _scan_path(os.fspath(source)), os.fspath(source)
    module = type(source).__module__
    if module.startswith("pyarrow") and hasattr(source, "column_names"):
        check_unique_names(source.column_names, "pyarrow table")
        return pl.DataFrame(pl.from_arrow(source)).lazy(), None
    if module.startswith("pandas") and hasattr(source, "columns"):
        check_unique_names([str(c) for c in source.columns], "pandas DataFrame")
        return pl.from_pandas(source).lazy(), None
    raise InputFormatError(
        "data must be a polars DataFrame/LazyFrame, a pyarrow Table, a pandas DataFrame or a "
        f"Parquet path; got {type(source).__name__}"
    )


def _scan_path(raw: str) -> pl.LazyFrame:
    if _table_kind(raw) is not None and not any(ch in raw for ch in "*?["):
        if not Path(raw).exists():
            raise InputFormatError(f"input file `{raw}` does not exist")
        return read_table_file(raw)[0].lazy()
    kind, files = parquet_files(raw)
    if kind == "file":
        frame = pl.scan_parquet(raw)
    else:
        # the files checked, not a glob polars expands again: it would read hidden files too
        frame = pl.scan_parquet(files, hive_partitioning=kind == "dir")
    if frame.select(pl.len()).collect().item() == 0:  # from the footers
        where = f"`{raw}`" if kind == "file" else f"the {len(files)} files of `{raw}`"
        raise EmptyDataError(f"{where} hold{'s' * (kind == 'file')} no rows")
    return frame


def _is_reader_error(exc: BaseException) -> bool:
    module = type(exc).__module__
    return isinstance(exc, pl.exceptions.PolarsError | OSError) or module.startswith(
        ("pyarrow", "pyo3_runtime")
    )


def _first_undecodable(raw: str) -> str | None:
    """A message naming the first file of ``raw`` with a part that cannot be decoded, found by
    reading each row group in turn with pyarrow (memory bounded by one row group)."""
    import pyarrow.parquet as pq

    try:
        _, files = parquet_files(raw)
    except SurvstatError as exc:  # changed since it was opened
        return str(exc)
    for f in files:
        try:
            reader = pq.ParquetFile(f)
            n_groups = reader.num_row_groups
        except Exception as exc:
            return f"`{f}` is a corrupt Parquet file: it cannot be opened ({first_line(exc)})"
        for i in range(n_groups):
            try:
                reader.read_row_group(i)
            except Exception as exc:
                return (
                    f"`{f}` is a corrupt Parquet file: row group {i + 1} of {n_groups} "
                    f"cannot be decoded ({first_line(exc)})"
                )
    return None


@contextmanager
def reading(*sources: object) -> Iterator[None]:
    """Name the file when reading ``sources`` lazily fails inside the ``with`` block.

    Lazy frames are read when collected, often deep inside an estimator, and a reader's error
    there (a page that cannot be decoded, a file removed meanwhile) does not say which file
    it concerns. On such an error each path among ``sources`` is read row group by row group
    and the first part that fails is named in an :class:`InputFormatError`; when every part
    reads, a Parquet reader's error names the inputs, and any other error passes unchanged.
    Frames among ``sources`` are ignored.

    Parameters
    ----------
    *sources
        The inputs being read: paths (as text or ``os.PathLike``) and frames.

    Yields
    ------
    None
        Control to the ``with`` block.

    Raises
    ------
    InputFormatError
        When reading fails inside the block and a path among ``sources`` is to blame.
    """
    try:
        yield
    except SurvstatError:
        raise
    except BaseException as exc:
        if not _is_reader_error(exc):
            raise
        paths = [os.fspath(s) for s in sources if isinstance(s, str | os.PathLike)]
        paths = [p for p in paths if "://" not in p and _table_kind(p) is None]
        for raw in paths:
            found = _first_undecodable(raw)
            if found is not None:
                raise InputFormatError(found) from exc
        if paths and "parquet" in str(exc).lower():
            listed = ", ".join(f"`{p}`" for p in paths)
            raise InputFormatError(f"cannot read {listed}: {first_line(exc)}") from exc
        raise
