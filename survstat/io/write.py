"""Writing outputs: atomically, with provenance, the same bytes for the same input.

Outputs are written atomically: to a temporary file in the destination folder, then renamed
over the target, so a failed run never leaves a partial file. Each Parquet output carries
provenance in its key-value metadata under the key ``survstat``; it records a creation time
only when ``SOURCE_DATE_EPOCH`` is set, so that the same input and options give the same
bytes.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import polars as pl

from survstat._clock import recorded_time
from survstat._version import __version__
from survstat.errors import OutputPathError
from survstat.io.read import LABEL_KEY, check_parquet_file

METADATA_KEY = b"survstat"


def sibling_path(path: str | os.PathLike[str], name: str) -> Path:
    """The file beside ``path`` that holds its extra table ``name``: ``OUT.parquet`` ->
    ``OUT.<name>.parquet``.

    Parameters
    ----------
    path
        The main output file.
    name
        The extra table's name.

    Returns
    -------
    Path
        The extra table's file, in the same folder as ``path``.
    """
    p = Path(path)
    return p.with_name(f"{p.stem}.{name}{p.suffix}")


def provenance_path(path: str | os.PathLike[str]) -> Path:
    """The JSON file beside an output that holds its provenance when the file has no place
    for it (SAS transport, CSV, a display document): ``OUT.xpt`` -> ``OUT.xpt.json``.

    Parameters
    ----------
    path
        The output file.

    Returns
    -------
    Path
        The provenance file, in the same folder.
    """
    p = Path(path)
    return p.with_name(p.name + ".json")


def write_provenance_beside(
    written: Path, metadata: Mapping[str, Any], *, labels: Mapping[str, str] | None = None
) -> Path:
    """Write ``OUT.<ext>.json`` (:func:`provenance_path`) beside ``written`` atomically:
    ``{"file", "sha256", "survstat"[, "labels"]}``, the file's name and SHA-256 so that the
    two can be matched (a JSON file whose hash differs describes an earlier file).

    Parameters
    ----------
    written
        The output file, already written.
    metadata
        The provenance record (:func:`provenance`), stored under ``survstat``.
    labels
        Column labels the file itself cannot hold (CSV), stored under ``labels``; None or
        empty for none.

    Returns
    -------
    Path
        The JSON file.
    """
    import hashlib

    record: dict[str, Any] = {
        "file": written.name,
        "sha256": hashlib.sha256(written.read_bytes()).hexdigest(),
        METADATA_KEY.decode(): dict(metadata),
    }
    if labels:
        record["labels"] = dict(labels)
    text = json.dumps(record, default=str, sort_keys=True, indent=2) + "\n"
    return write_atomically(
        provenance_path(written), lambda tmp: Path(tmp).write_text(text, encoding="utf-8")
    )


def provenance(
    analysis: str,
    parameters: Mapping[str, Any],
    *,
    input_path: str | None = None,
    n_rows: int | None = None,
    notes: list[str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the provenance record written into an output file's metadata.

    Parameters
    ----------
    analysis
        The analysis (or command) that made the output.
    parameters
        Its options.
    input_path
        The input as given, if it was a path.
    n_rows
        Rows of the input analysed.
    notes
        The lines the analysis printed beside its tables.
    extra
        More keys, e.g. the job file and step of a batch run.

    Returns
    -------
    dict
        With ``created_utc`` set from ``SOURCE_DATE_EPOCH`` when it is set and null otherwise:
        the same input and options then give byte-identical files.
    """
    return {
        "survstat_version": __version__,
        "analysis": analysis,
        "parameters": dict(parameters),
        "input": input_path,
        "input_rows": n_rows,
        "notes": list(notes or []),
        "created_utc": recorded_time(),
        **(extra or {}),
    }


def write_parquet(
    frame: pl.DataFrame,
    path: str | os.PathLike[str],
    metadata: Mapping[str, Any] | None = None,
    labels: Mapping[str, str] | None = None,
) -> Path:
    """Write ``frame`` to ``path`` atomically, with ``metadata`` under the ``survstat`` key.

    The table is written to a temporary file in the target's directory and renamed over the
    target only once complete, so readers never see a partial file.

    Parameters
    ----------
    frame
        The table to write.
    path
        The Parquet file to write; missing parent folders are created.
    metadata
        The provenance record (see :func:`provenance`), stored as JSON in the file's
        key-value metadata under ``survstat``; None writes none.
    labels
        Column labels (e.g. SAS variable labels, :func:`survstat.io.read_labels`), stored in
        each column's Parquet field metadata under ``label``; columns not in ``frame`` are
        ignored.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    OutputPathError
        When the file cannot be written.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = Path(path)
    if target.suffix.lower() != ".parquet":
        raise OutputPathError(f"output path `{target}` must end in .parquet")
    table = frame.to_arrow()
    meta = dict(table.schema.metadata or {})
    if metadata is not None:
        meta[METADATA_KEY] = json.dumps(metadata, default=str, sort_keys=True).encode()
    table = table.replace_schema_metadata(meta)
    if labels:
        fields = [
            f.with_metadata({**(f.metadata or {}), LABEL_KEY: labels[f.name].encode()})
            if f.name in labels
            else f
            for f in table.schema
        ]
        table = table.cast(pa.schema(fields, metadata=table.schema.metadata))
    return write_atomically(target, lambda tmp: pq.write_table(table, tmp))


def check_output_path(
    path: str | os.PathLike[str],
    suffixes: Iterable[str] | None = None,
    inputs: Iterable[object] = (),
) -> Path:
    """Check, before any work, that a file can be written at ``path``; return it as a Path.

    Parameters
    ----------
    path
        The output file given on the command line.
    suffixes
        The allowed file name endings, e.g. ``(".parquet",)``; None (the default) allows any.
    inputs
        The command's inputs: the output (or a table written beside it,
        ``OUT.<name>.parquet``) must not replace an input file, nor land in an input folder or
        match an input glob, where the next run would read it as data. Inputs that are not
        local paths (frames, URLs) are ignored.

    Returns
    -------
    Path
        ``path`` as a Path.

    Raises
    ------
    OutputPathError
        When ``path`` ends otherwise, is a folder, or its folder is missing (a typo in a
        folder name is an error, not a new folder), is not a folder or cannot be written, or
        it would overwrite or join an input.
    """
    target = Path(path)
    _check_not_an_input(target, inputs)
    allowed = tuple(s.lower() for s in suffixes) if suffixes is not None else ()
    if target.is_dir():
        example = target / ("out" + (allowed[0] if allowed else ""))
        raise OutputPathError(
            f"output `{target}` is a folder; give a file name in it, e.g. `{example}`"
        )
    if allowed and target.suffix.lower() not in allowed:
        raise OutputPathError(f"output path `{target}` must end in {' or '.join(allowed)}")
    parent = target.parent
    if not parent.exists():
        raise OutputPathError(
            f"output folder `{parent}` does not exist (for `{target}`); create it first"
        )
    if not parent.is_dir():
        raise OutputPathError(f"output folder `{parent}` is not a folder (for `{target}`)")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputPathError(f"cannot write `{target}`: folder `{parent}` is not writable")
    try:  # a read-only file system, or a place even root cannot write: try it
        fd, probe = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise OutputPathError(f"cannot write `{target}`: {exc.strerror or exc}") from None
    os.close(fd)
    os.unlink(probe)
    return target


def _check_not_an_input(target: Path, inputs: Iterable[object]) -> None:
    """Refuse an output that would replace an input file or become part of an input."""
    out = target.resolve()
    for raw in inputs:
        if not isinstance(raw, str | os.PathLike) or "://" in os.fspath(raw):
            continue
        given = os.fspath(raw)
        src = Path(given)
        if any(ch in given for ch in "*?["):
            if fnmatch.fnmatch(str(out), str(Path(given).absolute())):
                raise OutputPathError(
                    f"output `{target}` matches the input glob `{given}`: the next run would "
                    "read it as data; write it elsewhere"
                )
            continue
        if not src.exists():
            continue
        real = src.resolve()
        if src.is_dir():
            if real in out.parents:
                raise OutputPathError(
                    f"output `{target}` is inside the input folder `{given}`: the next run "
                    "would read it as data; write it elsewhere"
                )
            continue
        # the extra tables' names: OUT.<lower-case identifier>.parquet
        extra = re.fullmatch(
            re.escape(out.stem) + r"\.[a-z][a-z0-9_]*" + re.escape(out.suffix), real.name
        )
        beside = real.parent == out.parent and extra is not None
        if real == out or beside:
            what = "is" if real == out else "could be overwritten by a table written beside"
            raise OutputPathError(
                f"the input `{given}` {what} the output `{target}`; write the output elsewhere"
            )


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomically(path: str | os.PathLike[str], write: Callable[[str], object]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it over ``path``.

    Readers see the old file or the complete new one, never a partial file; if ``write``
    fails the temporary file is removed and the old file, if any, is left untouched. Missing
    parent folders are created (job output folders); the command line checks its ``-o``
    first with :func:`check_output_path`.

    Parameters
    ----------
    path
        The file to write.
    write
        Writes the content to the temporary path it is given; its return value is ignored.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    OutputPathError
        When the file system refuses (a folder at ``path``, a read-only place, a full disk),
        naming the file and the reason.
    """
    target = Path(path)
    if target.is_dir():
        raise OutputPathError(f"cannot write `{target}`: it is a folder")
    tmp = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes the file private; outputs are not
        os.replace(tmp, target)
    except OSError as exc:
        raise OutputPathError(f"cannot write `{target}`: {exc.strerror or exc}") from exc
    finally:
        if tmp is not None and os.path.lexists(tmp):
            Path(tmp).unlink(missing_ok=True)
    return target


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the provenance record survstat wrote with an output (empty if none).

    Parameters
    ----------
    path
        A Parquet file, or an XPT or CSV file whose record is in ``OUT.<ext>.json``
        (:func:`provenance_path`).

    Returns
    -------
    dict
        The record stored under the ``survstat`` key (see :func:`provenance`), or an empty
        dict.
    """
    import pyarrow.parquet as pq

    p = Path(path)
    if p.suffix.lower() in (".xpt", ".csv"):
        beside = provenance_path(p)
        if not beside.is_file():
            return {}
        return json.loads(beside.read_text(encoding="utf-8")).get(METADATA_KEY.decode(), {})
    check_parquet_file(p)
    meta = pq.read_schema(p).metadata or {}
    raw = meta.get(METADATA_KEY)
    return json.loads(raw) if raw else {}
