"""What a report says about a job's inputs: their content hashes, the labels of the columns
the job used, and the date of the data cut."""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path
from typing import Any

import polars as pl

from survstat.batch.job import Job
from survstat.batch.runner import content_sha256
from survstat.errors import SurvstatError
from survstat.io import read_labels, scan

#: The ADaM ADSL variable of the data cut-off date ("Date of Data Cut", CDISC ADaM
#: Implementation Guide, ADSL variables); a numeric SAS date in a transport file.
DATA_CUT_COLUMN = "DCUTDT"
_SAS_EPOCH = _dt.date(1960, 1, 1)


def input_hashes(job: Job, manifest: pl.DataFrame) -> dict[str, str]:
    """Content hash of each input, as the run recorded it (hashing a large dataset again
    would double the reading); an input no step read is hashed here.

    Parameters
    ----------
    job
        The job.
    manifest
        The manifest of its run.

    Returns
    -------
    dict
        Input name -> SHA-256 of its content.
    """
    hashes: dict[str, str] = {}
    for refs, digests in manifest.select("inputs", "input_sha256").iter_rows():
        if refs and digests:
            by_role = json.loads(digests)
            hashes.update({ref: by_role[role] for role, ref in json.loads(refs).items()})
    return {
        name: hashes.get(name) or content_sha256(source.path)
        for name, source in job.sources.items()
    }


def _used_columns(job: Job) -> dict[str, list[str]]:
    """The columns the job's steps read from each of its inputs, in the order first used."""
    used: dict[str, dict[str, None]] = {}
    for step in job.steps:
        needed = step.spec.columns({**step.parameters, **step.inputs})
        if step.by_partition:
            needed.setdefault("data", []).extend((c, "by_partition") for c in step.by_partition)
        for role, pairs in needed.items():
            ref = step.inputs.get(role)
            if ref is not None and ref in job.sources:
                used.setdefault(ref, {}).update(dict.fromkeys(c for c, _ in pairs))
    return {ref: list(columns) for ref, columns in used.items()}


def _local_file(path: str) -> bool:
    return "://" not in path and Path(path).is_file()


def column_labels(job: Job) -> pl.DataFrame:
    """The label of each column the job used, for the inputs that are files with column
    labels (SAS files, Parquet written with labels); a column without one shows blank.

    Parameters
    ----------
    job
        The job.

    Returns
    -------
    polars.DataFrame
        ``input, column, label``, in the order the columns are first used.
    """
    rows: list[tuple[str, str, str]] = []
    for ref, columns in _used_columns(job).items():
        path = job.sources[ref].path
        if not _local_file(path):
            continue  # folders, globs and remote data: no one file to take labels from
        try:
            labels = read_labels(path)
        except SurvstatError:  # a file the run could not read has said so already
            continue
        if labels:
            rows += [(ref, c, labels.get(c, "")) for c in columns]
    return pl.DataFrame(rows, schema=["input", "column", "label"], orient="row")


def _as_date(value: Any) -> str | None:
    """A data cut-off value as ISO 8601: a date, a datetime, ISO text, or a SAS date (days
    since 1960-01-01, how SAS transport files store numeric dates)."""
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, int | float):
        return (_SAS_EPOCH + _dt.timedelta(days=int(value))).isoformat()
    return str(value).strip() or None


def data_cut(job: Job) -> str | None:
    """The date of the data cut: the one value of ADaM ``DCUTDT`` over the job's inputs that
    carry it; None when no input has it or they disagree.

    Parameters
    ----------
    job
        The job whose inputs are read.

    Returns
    -------
    str or None
        The date, ISO 8601.
    """
    found: set[str] = set()
    for source in job.sources.values():
        try:
            frame = scan(source.path)[0]
            if DATA_CUT_COLUMN not in frame.collect_schema().names():
                continue
            values = frame.select(pl.col(DATA_CUT_COLUMN).drop_nulls().unique()).collect()
        except (SurvstatError, OSError, pl.exceptions.PolarsError):
            continue
        found.update(d for d in map(_as_date, values.to_series()) if d)
    return found.pop() if len(found) == 1 else None


__all__ = ["DATA_CUT_COLUMN", "column_labels", "data_cut", "input_hashes"]
