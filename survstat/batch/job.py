"""Job files: read a TOML job, check all of it, and describe it as a frozen :class:`Job`.

Every problem is collected with its line in the file before anything runs, so that a broken
job reports all its errors at once and writes nothing. The format is documented in the README
("Batch jobs").
"""

from __future__ import annotations

import difflib
import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from survstat import datasets
from survstat.analyses import ANALYSES, Analysis
from survstat.analyses.plots import FORMATS, PLOTS
from survstat.errors import SurvstatError
from survstat.io import scan

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_JOB_KEYS = ("title", "output", "report", "engine", "spark_master")
_STEP_KEYS = ("name", "analysis", "plot", "input", "by_partition", "formats", "engine")
ENGINES = ("polars", "spark")


class JobError(SurvstatError):
    """A job file is invalid; ``problems`` lists every problem found, each with its line."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.problems = problems
        head = f"{path}: {len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(head + "\n" + "\n".join(f"  {p}" for p in problems))


@dataclass(frozen=True, slots=True)
class Source:
    """A named input of a job: a Parquet file, directory, glob or Hive dataset."""

    name: str
    path: str
    given: str


@dataclass(frozen=True, slots=True)
class Step:
    """One analysis or plot of a job.

    ``inputs`` maps the analysis's table arguments (``data``, ``patients``, ``subjects``) to
    the name of a job input or of an earlier step, whose output it reads.
    """

    name: str
    kind: str  # "analysis" or "plot"
    analysis: str
    inputs: Mapping[str, str]
    parameters: Mapping[str, Any]
    by_partition: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    line: int = 0
    engine: str = "polars"

    @property
    def spec(self) -> Analysis:
        """The registry record of the step's analysis or figure."""
        return (ANALYSES if self.kind == "analysis" else PLOTS)[self.analysis]

    @property
    def label(self) -> str:
        """``km`` for analyses, ``plot km`` for figures."""
        return self.analysis if self.kind == "analysis" else f"plot {self.analysis}"

    def outputs(self) -> tuple[str, ...]:
        """The file names the step writes in the output directory."""
        if self.kind == "analysis":
            return (f"{self.name}.parquet",)
        return tuple(f"{self.name}.{fmt}" for fmt in self.formats)


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


class _Lines:
    """Line numbers of the tables and keys of a TOML text, for error locations."""

    _HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\"' -]+?)\s*\]\]?\s*(#.*)?$")
    _KEY = re.compile(r"^\s*([A-Za-z0-9_\"'.-]+)\s*=")

    def __init__(self, text: str) -> None:
        self.tables: dict[tuple[str, int], int] = {}
        self.keys: dict[tuple[str, int, str], int] = {}
        counts: dict[str, int] = {}
        section: tuple[str, int] = ("", 0)
        for no, line in enumerate(text.splitlines(), start=1):
            if m := self._HEADER.match(line):
                name = m.group(2).strip("\"'")
                index = counts.get(name, 0)
                counts[name] = index + 1
                section = (name, index)
                self.tables[section] = no
            elif m := self._KEY.match(line):
                key = m.group(1).strip("\"'").split(".")[0]
                self.keys.setdefault((*section, key), no)

    def of(self, table: str, index: int = 0, key: str | None = None) -> int:
        """The line of ``key`` in the ``index``-th ``[table]`` (its header if not found)."""
        if key is not None and (table, index, key) in self.keys:
            return self.keys[(table, index, key)]
        return self.tables.get((table, index), 1)


def _suggest(value: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(value, choices, n=2, cutoff=0.5)
    if close:
        return "; did you mean " + " or ".join(f"`{c}`" for c in close) + "?"
    return "; expected one of " + ", ".join(f"`{c}`" for c in choices) if len(choices) <= 20 else ""


class _Checker:
    """Collects problems, each prefixed with the file and line it concerns."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = _Lines(text)
        self.problems: list[str] = []

    def add(self, line: int, where: str, message: str) -> None:
        self.problems.append(f"{self.path.name}:{line}: {where}{message}")


def _read_sources(
    table: Any, base: Path, check: _Checker, schemas: dict[str, list[str]]
) -> dict[str, Source]:
    """The readable inputs; their column names go into ``schemas``."""
    sources: dict[str, Source] = {}
    if table is None:
        return sources
    if not isinstance(table, dict):
        check.add(check.lines.of("inputs"), "", "[inputs] must be a table of name = path")
        return sources
    for name, value in table.items():
        line = check.lines.of("inputs", 0, name)
        where = f"input `{name}`: "
        if isinstance(value, dict) and set(value) == {"dataset"}:
            ds = value["dataset"]
            if ds not in datasets.names():
                check.add(
                    line, where, f"no bundled dataset `{ds}`" + _suggest(ds, [*datasets.names()])
                )
                continue
            path, given = str(datasets.path(ds)), f"dataset {ds}"
        elif isinstance(value, str):
            path = value if Path(value).is_absolute() else str(base / value)
            given = value
        else:
            check.add(line, where, 'must be a path string or { dataset = "name" }')
            continue
        try:
            schemas[name] = scan(path)[0].collect_schema().names()
        except SurvstatError as exc:
            check.add(line, where, str(exc))
            continue
        sources[name] = Source(name, path, given)
    return sources


def _check_step(
    raw: Any,
    index: int,
    sources: Mapping[str, Source],
    earlier: dict[str, Step],
    invalid: set[str],
    schemas: dict[str, list[str]],
    check: _Checker,
    default_engine: str = "polars",
) -> Step | None:
    line = check.lines.of("step", index)
    if not isinstance(raw, dict):
        check.add(line, f"step {index + 1}: ", "must be a table")
        return None
    kinds = [k for k in ("analysis", "plot") if k in raw]
    title = raw.get("name") or raw.get("analysis") or raw.get("plot") or ""
    where = f"step {index + 1} ({title}): " if title else f"step {index + 1}: "
    if len(kinds) != 1:
        check.add(line, where, "needs exactly one of `analysis = ...` or `plot = ...`")
        return None
    kind = kinds[0]
    registry = ANALYSES if kind == "analysis" else PLOTS
    name_of = raw[kind]
    if name_of not in registry:
        at = check.lines.of("step", index, kind)
        check.add(at, where, f"unknown {kind} `{name_of}`" + _suggest(str(name_of), [*registry]))
        return None
    spec = registry[name_of]
    name = raw.get("name", str(name_of).replace(" ", "_"))
    if not isinstance(name, str) or not _NAME.match(name):
        check.add(
            check.lines.of("step", index, "name"),
            where,
            f"`name` must be letters, digits, '_', '.' or '-' (it names the output file); "
            f"got {name!r}",
        )
        return None
    if name in earlier:
        check.add(
            check.lines.of("step", index, "name"),
            where,
            f"step name `{name}` is used twice; give each step a distinct `name`",
        )
    ok = True

    def problem(key: str | None, message: str) -> None:
        nonlocal ok
        ok = False
        check.add(check.lines.of("step", index, key), where, message)

    inputs: dict[str, str] = {}
    params = spec.parameters()
    optional = spec.optional_inputs()
    for role in spec.inputs:
        key = "input" if role == "data" else role
        ref = raw.get(key)
        if ref is None:
            if role not in optional:
                problem(None, f"`{key}` is required: the name of an input or an earlier step")
            continue
        known = [*sources, *(s for s, st in earlier.items() if st.kind == "analysis")]
        if ref in invalid:  # already reported at that step
            ok = False
            continue
        if not isinstance(ref, str) or ref not in known:
            problem(
                key,
                f"`{key} = {ref!r}` is neither an input in [inputs] nor an earlier analysis step"
                + _suggest(str(ref), known),
            )
            continue
        inputs[role] = ref
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _STEP_KEYS or key in spec.inputs:
            continue
        if key not in params:
            problem(
                key, f"unknown option `{key}` for {kind} `{name_of}`" + _suggest(key, [*params])
            )
            continue
        try:
            values[key] = params[key].coerce(value)
        except ValueError as exc:
            problem(key, f"`{key}` {exc}")
    for p in params.values():
        if p.required and p.name not in raw:
            problem(None, f"`{p.name}` is required ({p.describe()})")
    by_partition, formats = _layout(raw, kind, problem)
    engine = _engine(raw, spec, inputs, sources, by_partition, default_engine, problem)
    # columns are checked even when an option is bad, so that one run reports everything
    full = {p.name: p.default for p in params.values()} | values
    _check_columns(spec, full, inputs, by_partition, sources, schemas, problem)
    if not ok:
        return None
    return Step(name, kind, name_of, inputs, values, by_partition, formats, line, engine)


def _engine(raw, spec, inputs, sources, by_partition, default, problem) -> str:
    """The step's engine (its own ``engine`` key, else the job's), if the step can run on it."""
    engine = raw.get("engine", default)
    key = "engine" if "engine" in raw else None
    if engine not in ENGINES:
        problem(key, f"`engine` must be one of {', '.join(ENGINES)}; got {engine!r}")
        return "polars"
    if engine == "polars":
        return engine
    if engine not in spec.engines:
        runs_on = [a for a, s in ANALYSES.items() if engine in s.engines]
        problem(
            key,
            f"`{spec.name}` needs row-level data and does not run on the {engine} engine "
            f'(only {", ".join(runs_on)} do); set `engine = "polars"` on this step',
        )
    if by_partition:
        problem(
            "by_partition",
            f"`by_partition` is not available on the {engine} engine; "
            "group with `by` instead (one curve per level)",
        )
    for role, ref in inputs.items():
        if ref not in sources:
            problem(
                "input" if role == "data" else role,
                f"on the {engine} engine the input must be a job input, not step `{ref}`",
            )
    return engine


def _layout(
    raw: Mapping[str, Any], kind: str, problem: Any
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A step's ``by_partition`` columns (analyses) and figure ``formats`` (plots)."""
    by_partition: tuple[str, ...] = ()
    if "by_partition" in raw:
        value = raw["by_partition"]
        value = [value] if isinstance(value, str) else value
        if kind != "analysis":
            problem("by_partition", "`by_partition` applies to analysis steps only")
        elif not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            problem("by_partition", "`by_partition` must be a column name or a list of them")
        else:
            by_partition = tuple(value)
    formats: tuple[str, ...] = ()
    if kind == "plot":
        value = raw.get("formats", ["png"])
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or not value or any(v not in FORMATS for v in value):
            problem("formats", f"`formats` must list some of {', '.join(FORMATS)}; got {value!r}")
        else:
            formats = tuple(dict.fromkeys(value))
    elif "formats" in raw:
        problem("formats", "`formats` applies to plot steps only")
    return by_partition, formats


def _check_columns(spec, full, inputs, by_partition, sources, schemas, problem) -> None:
    """Columns named by the parameters must exist in inputs read from files (the columns of
    an earlier step's output are known only once it has run)."""
    needed = spec.columns({**full, **inputs})
    if by_partition and "data" in inputs:
        needed.setdefault("data", []).extend((c, "by_partition") for c in by_partition)
    for role, columns in needed.items():
        ref = inputs.get(role)
        if ref is None or ref not in sources:
            continue
        available = schemas[ref]
        for column, param in columns:
            if column not in available:
                # fixed column names (CML, RECIST tables) have no key of their own
                key = param if param in full or param == "by_partition" else None
                problem(
                    key,
                    f"column `{column}` ({param}) not in input `{ref}`"
                    + _suggest(column, available),
                )


def load_job(path: str | Path, *, output: str | Path | None = None) -> Job:
    """Read and check a job file; raise :class:`JobError` listing every problem.

    Parameters
    ----------
    path
        The TOML job file. Relative paths inside it are relative to its folder.
    output
        Output directory, overriding the job's ``[job] output``.
    """
    path = Path(path)
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise JobError(path, [f"cannot read the job file: {exc.strerror}"]) from None
    text = raw_bytes.decode("utf-8", errors="replace")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise JobError(path, [f"{path.name}: not valid TOML: {exc}"]) from None
    check = _Checker(path, text)
    base = path.parent
    for key in doc:
        if key not in ("job", "inputs", "step"):
            check.add(
                check.lines.of(key),
                "",
                f"unknown table `{key}`; a job has [job], [inputs] and [[step]]",
            )
    meta = doc.get("job", {})
    for key in meta:
        if key not in _JOB_KEYS:
            check.add(
                check.lines.of("job", 0, key),
                "[job]: ",
                f"unknown key `{key}`" + _suggest(key, [*_JOB_KEYS]),
            )
    out = output if output is not None else meta.get("output")
    if out is None:
        check.add(
            check.lines.of("job"),
            "[job]: ",
            "`output` (the results folder) is required, or pass --output",
        )
    default_engine = meta.get("engine", "polars")
    if default_engine not in ENGINES:
        check.add(
            check.lines.of("job", 0, "engine"),
            "[job]: ",
            f"`engine` must be one of {', '.join(ENGINES)}; got {default_engine!r}",
        )
        default_engine = "polars"
    spark_master = meta.get("spark_master")
    if spark_master is not None and not isinstance(spark_master, str):
        check.add(
            check.lines.of("job", 0, "spark_master"),
            "[job]: ",
            f"`spark_master` must be a master URL string; got {spark_master!r}",
        )
    report = meta.get("report")
    if report is not None and (not isinstance(report, str) or not report.endswith(".html")):
        check.add(
            check.lines.of("job", 0, "report"),
            "[job]: ",
            f"`report` must be a file name ending in .html; got {report!r}",
        )
    schemas: dict[str, list[str]] = {}
    sources = _read_sources(doc.get("inputs"), base, check, schemas)
    raw_steps = doc.get("step", [])
    if not isinstance(raw_steps, list) or not raw_steps:
        check.add(1, "", "the job has no steps: add [[step]] tables")
        raw_steps = []
    steps: dict[str, Step] = {}
    invalid: set[str] = set()
    for i, raw in enumerate(raw_steps):
        step = _check_step(raw, i, sources, steps, invalid, schemas, check, default_engine)
        if step is not None:
            steps.setdefault(step.name, step)
        elif isinstance(raw, dict):
            invalid.add(
                str(raw.get("name", raw.get("analysis", raw.get("plot", "")))).replace(" ", "_")
            )
    if check.problems:
        raise JobError(path, check.problems)
    out_path = Path(out)
    if not out_path.is_absolute() and output is None:
        out_path = base / out_path
    return Job(
        path=path,
        title=str(meta.get("title", path.stem)),
        output=out_path,
        report=report,
        sources=sources,
        steps=tuple(steps.values()),
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
        spark_master=spark_master if isinstance(spark_master, str) else None,
    )
