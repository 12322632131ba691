"""Job files: read a TOML job, check all of it, and describe it as a frozen :class:`Job`.

Every problem is collected with its line in the file before anything runs, so that a broken
job reports all its errors at once and writes nothing. The format is documented in the README
("Batch jobs").

A job file writes only inside its own folder: ``[job] output`` is a path relative to the job
file and ``[job] report`` one relative to the output folder, neither absolute nor climbing out
with ``..``, so that a job file shared or rerun elsewhere cannot write over other files; only
the command line (``--output``, ``survstat report -o``) may point anywhere. An input that is
not Parquet, CSV (``.csv``) or SAS (``.xpt``, ``.sas7bdat``) data as its name says (an empty
file, a folder without ``.parquet`` files, a glob matching nothing, a damaged file) is
refused with its name and line before its schema is read, and no output may land on an input.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from survstat import datasets
from survstat._choices import ENGINES
from survstat.batch._checker import Checker, JobError, read_toml, suggest
from survstat.batch._steps import Step, check_step
from survstat.errors import SurvstatError
from survstat.io import check_input_path, scan

__all__ = ["ENGINES", "Job", "JobError", "OutputFolderError", "Source", "Step", "load_job"]

_JOB_KEYS = ("title", "output", "report", "engine", "spark_master")


class OutputFolderError(SurvstatError):
    """The output folder of a job cannot be used: it is a file, cannot be written, holds a
    file named ``manifest.parquet`` that is not a job manifest, or another run is using it."""


@dataclass(frozen=True, slots=True)
class Source:
    """A named input of a job: a Parquet file, directory, glob or Hive dataset."""

    name: str
    path: str
    given: str


@dataclass(frozen=True, slots=True)
class Job:
    """A checked job: where it came from, its inputs and its steps in order."""

    path: Path
    title: str
    output: Path
    report: str | None
    sources: Mapping[str, Source]
    steps: tuple[Step, ...]
    sha256: str = field(default="")
    spark_master: str | None = None

    def steps_by_name(self) -> dict[str, Step]:
        """The steps keyed by name."""
        return {s.name: s for s in self.steps}

    def source_name(self, ref: str) -> str:
        """How a table's footnote names the table a step read: the input as the job file
        gives it (a bundled dataset by its name, never the path it is installed at), or the
        earlier step's output file. The same on every machine, so written displays rerun to
        the same bytes."""
        source = self.sources.get(ref)
        return source.given if source is not None else f"{ref}.parquet (step {ref})"


def _read_sources(
    table: Any, base: Path, check: Checker, schemas: dict[str, list[str]], invalid: set[str]
) -> dict[str, Source]:
    """The readable inputs; their column names go into ``schemas``, the names of inputs that
    cannot be read into ``invalid`` (steps that read them are not reported again)."""
    sources: dict[str, Source] = {}
    if table is None:
        return sources
    if not isinstance(table, dict):
        check.add(check.lines.of("inputs"), "", "[inputs] must be a table of name = path")
        return sources
    for name, value in table.items():
        line = check.lines.of("inputs", 0, name)
        where = f"input `{name}`: "
        invalid.add(name)
        if isinstance(value, dict) and set(value) == {"dataset"}:
            ds = value["dataset"]
            if not isinstance(ds, str) or ds not in datasets.names():
                check.add(
                    line,
                    where,
                    f"no bundled dataset {ds!r}" + suggest(str(ds), [*datasets.names()]),
                )
                continue
            path, given = str(datasets.path(ds)), f"dataset {ds}"
        elif isinstance(value, str) and value:
            path = value if Path(value).is_absolute() else str(base / value)
            given = value
        else:
            check.add(line, where, 'must be a path string or { dataset = "name" }')
            continue
        try:
            check_input_path(path)  # every file, before anything reads a schema
            schemas[name] = scan(path)[0].collect_schema().names()
        except SurvstatError as exc:
            check.add(line, where, str(exc))
            continue
        except Exception as exc:  # Parquet's magic bytes, but a footer polars cannot read
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            check.add(line, where, f"`{path}` is not a readable Parquet dataset ({reason})")
            continue
        invalid.discard(name)
        sources[name] = Source(name, path, given)
    return sources


def _confined(value: Any, key: str, check: Checker, *, inside: str, flag: str) -> bool:
    """Whether ``value`` (the ``[job]`` key ``key``) is a relative path that stays inside its
    folder: a job file may be shared and rerun elsewhere, so it must not write outside its own
    folder; only the command line (``flag``) may point anywhere."""
    line = check.lines.of("job", 0, key)
    if not isinstance(value, str) or not value.strip():
        check.add(line, "[job]: ", f"`{key}` must be a path string; got {value!r}")
        return False
    path = Path(value)
    if path.is_absolute():
        check.add(
            line,
            "[job]: ",
            f"`{key}` must stay inside {inside}: give a path relative to it, not the absolute "
            f"path {value!r} (on the command line, {flag} may point anywhere)",
        )
        return False
    if ".." in path.parts:
        check.add(
            line,
            "[job]: ",
            f"`{key}` must stay inside {inside}; {value!r} climbs out of it with `..` "
            f"(on the command line, {flag} may point anywhere)",
        )
        return False
    return True


def _check_meta(meta: Any, check: Checker, output: str | Path | None) -> dict[str, Any]:
    """The checked ``[job]`` table: title, output, report, engine, spark_master."""
    if not isinstance(meta, dict):
        check.add(check.lines.of("job"), "", "[job] must be a table of key = value")
        meta = {}
    for key in meta:
        if key not in _JOB_KEYS:
            check.add(
                check.lines.of("job", 0, key),
                "[job]: ",
                f"unknown key `{key}`" + suggest(key, [*_JOB_KEYS]),
            )
    if "output" in meta:
        _confined(meta["output"], "output", check, inside="the job file's folder", flag="--output")
    elif output is None:
        check.add(
            check.lines.of("job"),
            "[job]: ",
            "`output` (the results folder) is required, or pass --output",
        )
    engine = meta.get("engine", "polars")
    if not isinstance(engine, str) or engine not in ENGINES:
        check.add(
            check.lines.of("job", 0, "engine"),
            "[job]: ",
            f"`engine` must be one of {', '.join(ENGINES)}; got {engine!r}",
        )
        engine = "polars"
    spark_master = meta.get("spark_master")
    if spark_master is not None and not isinstance(spark_master, str):
        check.add(
            check.lines.of("job", 0, "spark_master"),
            "[job]: ",
            f"`spark_master` must be a master URL string; got {spark_master!r}",
        )
        spark_master = None
    report = meta.get("report")
    if report is not None:
        if not isinstance(report, str) or not report.endswith((".html", ".docx")):
            check.add(
                check.lines.of("job", 0, "report"),
                "[job]: ",
                f"`report` must be a file name ending in .html or .docx; got {report!r}",
            )
            report = None
        elif not _confined(
            report, "report", check, inside="the output folder", flag="`survstat report -o`"
        ):
            report = None
    title = meta.get("title")
    if title is not None and not isinstance(title, str):
        check.add(
            check.lines.of("job", 0, "title"), "[job]: ", f"`title` must be a string; got {title!r}"
        )
    return {
        "title": title if isinstance(title, str) else None,
        "output": meta.get("output"),
        "report": report,
        "engine": engine,
        "spark_master": spark_master,
    }


def _check_links(
    out: Path, report: str | None, base: Path, from_file: bool, check: Checker
) -> None:
    """``[job] output`` and ``report`` stay inside their folders once symbolic links are
    followed, not only as written."""
    folder = out.resolve()
    if from_file and not folder.is_relative_to(base.resolve()):
        check.add(
            check.lines.of("job", 0, "output"),
            "[job]: ",
            f"`output` leads out of the job file's folder through a symbolic link (to "
            f"`{folder}`); give a folder inside it (on the command line, --output may point "
            "anywhere)",
        )
    if report is not None and not (folder / report).resolve().is_relative_to(folder):
        check.add(
            check.lines.of("job", 0, "report"),
            "[job]: ",
            f"`report` leads out of the output folder through a symbolic link (to "
            f"`{(folder / report).resolve()}`); give a file inside it",
        )


def _check_overlap(
    out: Path,
    report: str | None,
    sources: Mapping[str, Source],
    steps: Mapping[str, Step],
    check: Checker,
) -> None:
    """No output may land on an input: an input file the job would overwrite, or an input
    folder holding the output folder (its outputs would be read as input by the next run)."""
    folder = out.resolve()
    targets = {folder / "manifest.parquet", folder / (report or "report.html")}
    for step in steps.values():
        targets.update(folder / name for name in step.outputs())
    for name, source in sources.items():
        src = Path(source.path)
        if not src.exists():  # a glob: its files are not known before the job runs
            continue
        real = src.resolve()
        line = check.lines.of("inputs", 0, name)
        if src.is_dir() and (folder == real or real in folder.parents):
            check.add(
                line,
                f"input `{name}`: ",
                f"the output folder `{out}` is inside this input's folder `{source.given}`: "
                "the job's outputs would be read as input by its next run; "
                "choose an output folder outside it",
            )
        elif real in targets:
            check.add(
                line,
                f"input `{name}`: ",
                f"`{source.given}` is also an output of this job (`{out / real.name}`) and "
                "would be overwritten; move the input or choose another output folder",
            )


def load_job(path: str | Path, *, output: str | Path | None = None) -> Job:
    """Read and check a job file; raise :class:`JobError` listing every problem.

    Parameters
    ----------
    path
        The TOML job file. Relative paths inside it are relative to its folder.
    output
        Output directory, overriding the job's ``[job] output``. It may be anywhere, whereas
        ``[job] output`` in the file must be a relative path that stays inside the job file's
        folder (no absolute path, no ``..``), and ``[job] report`` one that stays inside the
        output folder.
    """
    path = Path(path)
    raw_bytes, text, doc = read_toml(path)
    check = Checker(path, text)
    base = path.parent
    for key in doc:
        if key not in ("job", "inputs", "step"):
            check.add(
                check.lines.of(key),
                "",
                f"unknown table `{key}`; a job has [job], [inputs] and [[step]]",
            )
    meta = _check_meta(doc.get("job", {}), check, output)
    schemas: dict[str, list[str]] = {}
    invalid: set[str] = set()
    sources = _read_sources(doc.get("inputs"), base, check, schemas, invalid)
    raw_steps = doc.get("step", [])
    if not isinstance(raw_steps, list) or not raw_steps:
        check.add(1, "", "the job has no steps: add [[step]] tables")
        raw_steps = []
    steps: dict[str, Step] = {}
    for i, raw in enumerate(raw_steps):
        step = check_step(raw, i, sources, steps, invalid, schemas, check, meta["engine"])
        if step is not None:
            steps.setdefault(step.name, step)
        elif isinstance(raw, dict):
            invalid.add(
                str(raw.get("name", raw.get("analysis", raw.get("plot", "")))).replace(" ", "_")
            )
    out_path = Path(output) if output is not None else base / str(meta["output"])
    if not check.problems:
        _check_links(out_path, meta["report"], base, output is None, check)
        _check_overlap(out_path, meta["report"], sources, steps, check)
    if check.problems:
        raise JobError(path, check.problems)
    return Job(
        path=path,
        title=meta["title"] or path.stem,
        output=out_path,
        report=meta["report"],
        sources=sources,
        steps=tuple(steps.values()),
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
        spark_master=meta["spark_master"],
    )
