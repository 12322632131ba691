"""Run a checked job: each step writes its outputs atomically, the manifest records them
(:mod:`survstat.batch.manifest`).

The output folder holds only files the manifest vouches for:

- a step that fails, and a step that does not run (after a failure, or because it reads the
  output of a step that did not finish), has its files **removed** (every figure format, the
  main and extra tables, and whatever the previous manifest listed for it), and its row lists
  no outputs. Removing them, rather than keeping them marked stale, means that no one reading
  the folder rather than the manifest can pick up a table of an earlier data cut; the cost is
  that those steps run again next time;
- a step that runs removes the files of its previous run it no longer writes (a figure format
  or an extra table dropped);
- temporary files of a killed run are removed by the next run, and one run at a time writes
  into a folder (see :mod:`survstat.batch.folder`).

Reruns give the same bytes: a run in which every step is skipped rewrites nothing, not even
the manifest; with ``SOURCE_DATE_EPOCH`` set, a ``--force`` rerun writes identical tables.
"""

from __future__ import annotations

import glob as _glob
import hashlib
import json
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from survstat._clock import utc_now
from survstat._version import __version__
from survstat.analyses import AnalysisOutput, Extra
from survstat.batch.folder import (
    claim,
    remove_step_files,
    remove_temporary_files,
    stale_files,
    step_files,
)
from survstat.batch.job import Job, Step
from survstat.batch.manifest import (
    DONE,
    MANIFEST_SCHEMA,
    carried,
    describes,
    manifest_frame,
    read_previous,
    write_manifest,
)
from survstat.errors import SurvstatWarning
from survstat.io import (
    TABLE_OUTPUTS,
    check_table,
    provenance,
    reading,
    scan,
    sibling_path,
    write_parquet,
    write_table,
)


class Reporter(Protocol):
    """Receives progress: a step starts (with its number of partitions), advances, ends."""

    def start(self, step: Step, total: int) -> None:
        """A step starts; it will advance ``total`` times (once per partition)."""
        ...

    def advance(self, step: Step) -> None:
        """A step has finished one partition."""
        ...

    def finish(self, step: Step, record: Mapping[str, Any]) -> None:
        """A step has ended; ``record`` is its row of the manifest."""
        ...


class _Silent:
    def start(self, step: Step, total: int) -> None:
        pass

    def advance(self, step: Step) -> None:
        pass

    def finish(self, step: Step, record: Mapping[str, Any]) -> None:
        pass


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def content_sha256(path: str) -> str:
    """SHA-256 of a Parquet input's content: a file's bytes, or for a directory or glob the
    relative path and bytes of each file in order (Hive partition values live in the paths)."""
    p = Path(path)
    if p.is_file():
        return file_sha256(p)
    if p.is_dir():
        files, root = sorted(f for f in p.rglob("*.parquet") if f.is_file()), p
    else:
        files = sorted(Path(f) for f in _glob.glob(path, recursive=True))
        root = Path(_common_parent(files))
    h = hashlib.sha256()
    for f in files:
        h.update(str(f.relative_to(root)).encode() + b"\0" + file_sha256(f).encode())
    return h.hexdigest()


def _common_parent(files: list[Path]) -> str:
    import os.path

    return os.path.commonpath([str(f.parent) for f in files]) if files else "."


@dataclass(slots=True)
class _Run:
    job: Job
    force: bool
    reporter: Reporter
    previous: dict[str, dict[str, Any]]
    records: dict[str, dict[str, Any]]
    hashes: dict[str, str]

    def input_hash(self, ref: str) -> str | None:
        """Content hash of a job input, or of an earlier step's output (None if unfinished)."""
        if ref in self.job.sources:
            if ref not in self.hashes:
                self.hashes[ref] = content_sha256(self.job.sources[ref].path)
            return self.hashes[ref]
        rec = self.records.get(ref)
        return rec["output_sha256"][0] if rec and rec["status"] in DONE else None

    def path_of(self, ref: str) -> str:
        if ref in self.job.sources:
            return self.job.sources[ref].path
        return str(self.job.output / self.job.steps_by_name()[ref].outputs()[0])


def _record(step: Step, status: str, **values: Any) -> dict[str, Any]:
    """A manifest row; a step that failed or did not run has no outputs (they are removed)."""
    base: dict[str, Any] = dict.fromkeys(MANIFEST_SCHEMA)
    base.update(
        step=step.name,
        analysis=step.label,
        engine=step.engine,
        status=status,
        outputs=[],
        output_sha256=[],
        inputs=json.dumps(dict(step.inputs), sort_keys=True),
        parameters=json.dumps(dict(step.parameters), sort_keys=True, default=str),
        survstat_version=__version__,
        finished_utc=utc_now(),
    )
    base.update(values)
    return base


def _step_key(step: Step, input_hashes: Mapping[str, str]) -> str:
    payload = {
        "analysis": step.label,
        "parameters": dict(step.parameters),
        "by_partition": list(step.by_partition),
        "formats": list(step.formats),
        "engine": step.engine,
        "inputs": dict(input_hashes),
        "survstat_version": __version__,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _unchanged(prev: Mapping[str, Any] | None, key: str, folder: Path) -> bool:
    if prev is None or prev["status"] not in DONE or prev["key"] != key:
        return False
    files, hashes = prev["outputs"] or [], prev["output_sha256"] or []
    if not files or len(files) != len(hashes):
        return False
    return all(
        (folder / f).is_file() and file_sha256(folder / f) == h
        for f, h in zip(files, hashes, strict=True)
    )


def _rows_of(lazy: pl.LazyFrame, columns: set[str], part: Mapping[str, Any]) -> pl.LazyFrame:
    """The rows of one partition, in an input holding any of the partition columns."""
    conds = [pl.col(c).eq_missing(v) for c, v in part.items() if c in columns]
    return lazy.filter(*conds) if conds else lazy


def _per_partition(step: Step, run: _Run, frames: list[Any]) -> tuple[AnalysisOutput, int]:
    """Run the step once per distinct value of its partition columns (every input holding
    them is filtered) and stack each table across partitions, partition columns first; the
    notes of each partition are kept, each after the partition's values."""
    lazies = [None if f is None else scan(f)[0] for f in frames]
    names = [set() if lf is None else set(lf.collect_schema().names()) for lf in lazies]
    data = lazies[0]
    assert data is not None  # the first input is never optional (checked with the job)
    schema = data.collect_schema()
    cols = list(step.by_partition)
    values = data.select(cols).unique().sort(cols, nulls_last=True)
    parts = list(values.collect(engine="streaming").iter_rows(named=True))
    run.reporter.start(step, len(parts))
    stacks: dict[str, list[pl.DataFrame]] = {}
    titles: dict[str, str] = {}
    notes: list[str] = []
    n_rows = 0
    for part in parts:
        inputs = [
            None if lf is None else _rows_of(lf, cols_in, part)
            for lf, cols_in in zip(lazies, names, strict=True)
        ]
        out = step.spec.run(*inputs, **step.parameters)
        keys = [pl.lit(v, dtype=schema[c]).alias(c) for c, v in part.items()]
        for name, title, table in [("", out.title, out.table)] + [
            (e.name, e.title, e.table) for e in out.written_extras()
        ]:
            stacks.setdefault(name, []).append(table.select(*keys, pl.exclude(*part)))
            titles.setdefault(name, title)
        n_rows += out.n_rows
        where = ", ".join(f"{c} = {v}" for c, v in part.items())
        notes += [f"{where}: {note}" for note in out.notes]
        run.reporter.advance(step)

    def stacked(name: str) -> pl.DataFrame:
        return pl.concat(stacks[name], how="diagonal_relaxed") if name in stacks else pl.DataFrame()

    extras = tuple(Extra(n, titles[n], stacked(n)) for n in stacks if n)
    out = AnalysisOutput(stacked(""), titles.get("", ""), n_rows, extras=extras, notes=(*notes,))
    return out, len(parts)


def _run_analysis(step: Step, run: _Run, frames: list[Any]) -> tuple[list[str], int, int]:
    """Run the step (per partition if asked), write its tables (the main one, then each
    extra table as ``<step>.<name>.parquet``); return output paths, rows and the number of
    partitions."""
    if step.by_partition:
        out, n_parts = _per_partition(step, run, frames)
    else:
        run.reporter.start(step, 1)
        out, n_parts = step.spec.run(*frames, **step.parameters), 1
        run.reporter.advance(step)
    target = run.job.output / step.outputs()[0]
    meta = provenance(
        step.analysis,
        step.parameters,
        input_path=json.dumps({r: run.path_of(ref) for r, ref in step.inputs.items()}),
        n_rows=out.n_rows,
        notes=list(out.notes),
        extra={
            "job": str(run.job.path),
            "step": step.name,
            "engine": step.engine,
            "by_partition": list(step.by_partition),
        },
    )
    paths = [write_parquet(out.table, target, meta, out.labels)]  # CDISC labels kept
    paths += [
        write_parquet(e.table, sibling_path(target, e.name), meta) for e in out.written_extras()
    ]
    paths += _other_formats(step, run, out)
    return [str(p) for p in paths], out.table.height, n_parts


def _other_formats(step: Step, run: _Run, out: AnalysisOutput) -> list[Path]:
    """Write the step's table in its other ``formats``: CSV or SAS transport (the extra
    tables beside it too), and its display. All are checked before any is written. The
    manifest vouches for them (their hashes), so no provenance file goes beside them."""
    folder = run.job.output
    tables: list[tuple[Path, pl.DataFrame, str | None, Mapping[str, str] | None]] = []
    for fmt in (f for f in step.formats if f".{f}" in TABLE_OUTPUTS):
        target = folder / f"{step.name}.{fmt}"
        tables.append((target, out.table, None, out.labels))
        tables += [
            (sibling_path(target, e.name), e.table, e.name.upper(), None)
            for e in out.written_extras()
        ]
    for target, frame, name, labels in tables:
        check_table(frame, target, name=name, labels=labels)
    paths = [
        write_table(frame, target, name=name, labels=labels)
        for target, frame, name, labels in tables
    ]
    shown = [fmt for fmt in step.formats if f".{fmt}" not in TABLE_OUTPUTS]
    if shown:
        from survstat.tables.registry import build_display
        from survstat.tables.render import write_display

        data = step.inputs.get("data")
        source = None if data is None else run.job.source_name(data)
        display = build_display(step.analysis, out.table, step.parameters, source=source)
        paths += [write_display(display, folder / f"{step.name}.{fmt}") for fmt in shown]
    return paths


def _run_plot(step: Step, run: _Run, frames: list[Any]) -> tuple[list[str], int | None, int]:
    """Draw the step's figure and write it in each of its formats with
    :func:`survstat.plot.save_figure`, as ``survstat plot`` does (same bytes each run)."""
    import matplotlib.pyplot as plt

    from survstat.plot import save_figure

    run.reporter.start(step, 1)
    fig = step.spec.run(*frames, **step.parameters)
    try:
        paths = [str(save_figure(fig, run.job.output / name)) for name in step.outputs()]
    finally:
        plt.close(fig)
    run.reporter.advance(step)
    return paths, None, 1


def _one_step(step: Step, run: _Run) -> dict[str, Any]:
    hashes = {role: run.input_hash(ref) for role, ref in step.inputs.items()}
    missing = [ref for role, ref in step.inputs.items() if hashes[role] is None]
    if missing:
        return _record(step, "not run", error=f"input step `{missing[0]}` did not finish")
    known = {role: h for role, h in hashes.items() if h is not None}  # all of them, by now
    key = _step_key(step, known)
    common = {"key": key, "input_sha256": json.dumps(hashes, sort_keys=True)}
    prev = run.previous.get(step.name)
    if not run.force and prev is not None and _unchanged(prev, key, run.job.output):
        run.reporter.start(step, 1)
        run.reporter.advance(step)
        # the outputs, their rows, duration and finish time are those of the run that wrote them
        return _record(
            step,
            "skipped",
            rows=prev["rows"],
            partitions=prev["partitions"],
            duration_s=prev["duration_s"],
            finished_utc=prev["finished_utc"],
            outputs=prev["outputs"],
            output_sha256=prev["output_sha256"],
            **common,
        )
    frames = [run.path_of(step.inputs[r]) if r in step.inputs else None for r in step.spec.inputs]
    start = time.perf_counter()
    try:
        from survstat.engines import open_input

        master = run.job.spark_master
        frames = [None if f is None else open_input(f, step.engine, master) for f in frames]
        execute = _run_analysis if step.kind == "analysis" else _run_plot
        with reading(*(run.path_of(ref) for ref in step.inputs.values())):  # names a bad file
            paths, rows, parts = execute(step, run, frames)
    except Exception as exc:  # recorded in the manifest; the CLI decides whether to go on
        message = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
        return _record(
            step,
            "failed",
            duration_s=time.perf_counter() - start,
            error=message,
            **common,
        )
    return _record(
        step,
        "ok",
        rows=rows,
        partitions=parts,
        duration_s=time.perf_counter() - start,
        outputs=[Path(p).name for p in paths],
        output_sha256=[file_sha256(p) for p in paths],
        **common,
    )


def run_job(
    job: Job,
    *,
    force: bool = False,
    continue_on_error: bool = False,
    reporter: Reporter | None = None,
) -> pl.DataFrame:
    """Run every step of ``job`` in order and return the manifest (also written to
    ``job.output / "manifest.parquet"``).

    Parameters
    ----------
    job
        A checked job (:func:`survstat.batch.load_job`).
    force
        Run every step, even those whose inputs, parameters and outputs are unchanged.
        Default False: an unchanged step is skipped and keeps its outputs.
    continue_on_error
        After a failed step, run the steps that do not depend on it (otherwise they are
        recorded as ``not run``). Default False: the first failure stops the job.
    reporter
        Receives progress (see :class:`Reporter`); the CLI shows rich progress bars.

    Returns
    -------
    polars.DataFrame
        One row per step with :data:`MANIFEST_SCHEMA`. When every step is skipped the
        manifest file is left as it was (so a rerun changes no byte); the returned frame
        then says ``skipped`` where the file says how the outputs were made (``ok``).

    Raises
    ------
    OutputFolderError
        The output folder is a file, cannot be written, is in use by another run, or holds a
        ``manifest.parquet`` that is not a job manifest.
    """
    with claim(job.output):
        removed = remove_temporary_files([job.output, _report_folder(job)])
        if removed:
            warnings.warn(
                f"removed {len(removed)} temporary file{'s' * (len(removed) != 1)} left in "
                f"`{job.output}` by an interrupted run (first: {removed[0]})",
                SurvstatWarning,
                stacklevel=2,
            )
        previous, meta = read_previous(job.output)
        run = _Run(job, force, reporter or _Silent(), previous, {}, {})
        written = stop = False
        for step in job.steps:
            if stop:
                record = _record(step, "not run", error="an earlier step failed")
            else:
                record = _one_step(step, run)
                stop = record["status"] == "failed" and not continue_on_error
            _tidy_step(step, record, previous.get(step.name), job.output)
            run.records[step.name] = record
            run.reporter.finish(step, record)
            if written or not carried(record, previous.get(step.name)):
                write_manifest(job, list(run.records.values()))
                written = True
        if not written and not describes(job, previous, meta):
            write_manifest(job, list(run.records.values()))
    return manifest_frame(list(run.records.values()))


def _report_folder(job: Job) -> Path:
    return (job.output / job.report).parent if job.report else job.output


def _tidy_step(
    step: Step, record: Mapping[str, Any], prev: Mapping[str, Any] | None, folder: Path
) -> None:
    """Leave in the folder only the files the manifest vouches for: a step that failed or
    did not run loses all its files (every format, extra tables, files listed by the previous
    manifest); one that ran loses the files of its previous run it no longer writes."""
    if record["status"] in ("failed", "not run"):
        remove_step_files(folder, step_files(step, prev))
    elif record["status"] == "ok":
        remove_step_files(folder, stale_files(step, prev, record["outputs"]))
