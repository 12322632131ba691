"""The manifest of a job: ``manifest.parquet`` in the output folder, one row per step.

``step, analysis, engine, status, rows, partitions, duration_s, outputs, output_sha256,
inputs, input_sha256, parameters, key, error, survstat_version, finished_utc``

``status`` is ``ok``, ``skipped`` (finished earlier with the same inputs and parameters),
``failed`` or ``not run``. ``key`` is the SHA-256 of the analysis, its parameters, the
content hashes of its inputs and the survstat version: a step is skipped when its key and the
content of its outputs match the previous manifest. A skipped step keeps the ``rows``,
``partitions``, ``duration_s`` and ``finished_utc`` of the run that wrote its outputs, and a
step that failed or did not run lists no ``outputs`` (its files are removed).

The manifest is rewritten after every step, so that it is accurate even if the run is
interrupted, except in a run where every step is skipped: the manifest on disk then already
describes the outputs, and is left byte for byte as it was (its ``status`` still says how the
outputs were made, ``ok``; the frame :func:`survstat.batch.run_job` returns says ``skipped``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from survstat._version import __version__
from survstat.batch.job import Job, OutputFolderError
from survstat.errors import SurvstatError, SurvstatWarning
from survstat.io import provenance, read_metadata, write_parquet

MANIFEST = "manifest.parquet"

#: The manifest's columns and types (the contract).
MANIFEST_SCHEMA = {
    "step": pl.String,
    "analysis": pl.String,
    "engine": pl.String,
    "status": pl.String,
    "rows": pl.Int64,
    "partitions": pl.Int64,
    "duration_s": pl.Float64,
    "outputs": pl.List(pl.String),
    "output_sha256": pl.List(pl.String),
    "inputs": pl.String,
    "input_sha256": pl.String,
    "parameters": pl.String,
    "key": pl.String,
    "error": pl.String,
    "survstat_version": pl.String,
    "finished_utc": pl.String,
}
#: Statuses whose outputs are current.
DONE = ("ok", "skipped")


def read_previous(folder: Path) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The previous manifest's records by step and its provenance (both empty if none).

    A manifest with an older schema still names the files its steps wrote (so that they can
    be removed), but nothing in it can be skipped.

    Raises
    ------
    OutputFolderError
        When ``manifest.parquet`` exists but is not a job manifest survstat can read: it is
        never overwritten, since it may be someone's data in a folder given by mistake.
    """
    path = folder / MANIFEST
    if not path.exists():
        return {}, {}
    reason, meta, frame = _manifest_problem(path)
    if reason is not None or frame is None:
        raise OutputFolderError(
            f"`{path}` is not a job manifest survstat can read ({reason}); if it is a damaged "
            "manifest, delete it (every step then runs again), otherwise choose another "
            "output folder"
        )
    if frame.schema == pl.Schema(MANIFEST_SCHEMA):
        return {row["step"]: row for row in frame.iter_rows(named=True)}, meta
    warnings.warn(
        f"`{path}` was written by survstat {meta.get('survstat_version', '?')} with another "
        "manifest schema; every step runs again",
        SurvstatWarning,
        stacklevel=3,
    )
    # only the files each step wrote are kept, so that a step that fails now removes them
    usable = frame.schema.get("step") == pl.String and frame.schema.get("outputs") == pl.List(
        pl.String
    )
    rows = frame.select("step", "outputs").iter_rows(named=True) if usable else ()
    return {r["step"]: dict.fromkeys(MANIFEST_SCHEMA) | r for r in rows if r["step"]}, {}


def _manifest_problem(
    path: Path,
) -> tuple[str | None, dict[str, Any], pl.DataFrame | None]:
    """Why ``path`` is not a readable job manifest (None if it is), its provenance and rows."""
    if not path.is_file():
        return "not a file", {}, None
    try:
        meta = read_metadata(path)
    except SurvstatError:
        return "not a Parquet file", {}, None
    except Exception as exc:  # a damaged footer: pyarrow's errors have no common base
        return f"unreadable: {_first_line(exc)}", {}, None
    if not isinstance(meta, dict) or meta.get("analysis") != "job":
        return "not written by survstat run", {}, None
    try:
        return None, meta, pl.read_parquet(path)
    except Exception as exc:  # damaged pages: polars' errors have no common base
        return f"unreadable: {_first_line(exc)}", meta, None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def manifest_frame(records: list[Mapping[str, Any]]) -> pl.DataFrame:
    """The manifest as a polars DataFrame with :data:`MANIFEST_SCHEMA`."""
    return pl.DataFrame(
        [{k: r.get(k) for k in MANIFEST_SCHEMA} for r in records], schema=MANIFEST_SCHEMA
    )


def carried(record: Mapping[str, Any], prev: Mapping[str, Any] | None) -> bool:
    """Whether ``record`` is a skipped step whose manifest row would not change."""
    if record["status"] != "skipped" or prev is None or prev["status"] not in DONE:
        return False
    return all(record[k] == prev[k] for k in MANIFEST_SCHEMA if k != "status")


def describes(job: Job, previous: Mapping[str, Any], meta: Mapping[str, Any]) -> bool:
    """Whether the manifest on disk already describes this job: same steps in the same
    order, same job file (content and path) and survstat version."""
    parameters = meta.get("parameters")
    return (
        list(previous) == [s.name for s in job.steps]
        and isinstance(parameters, dict)
        and parameters.get("job_sha256") == job.sha256
        and meta.get("input") == str(job.path)
        and meta.get("survstat_version") == __version__
    )


def write_manifest(job: Job, records: list[Mapping[str, Any]]) -> None:
    """Write ``records`` atomically as the job's manifest, with the job file's path and hash
    as provenance.

    Raises
    ------
    OutputFolderError
        When the file cannot be written (the folder removed or made read-only meanwhile).
    """
    meta = provenance("job", {"job_sha256": job.sha256}, input_path=str(job.path))
    try:
        write_parquet(manifest_frame(records), job.output / MANIFEST, meta)
    except OSError as exc:
        raise OutputFolderError(
            f"cannot write `{job.output / MANIFEST}`: {exc.strerror or exc}"
        ) from None
