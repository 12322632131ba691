"""Job files: read a TOML job, check all of it, and describe it as a frozen :class:`Job`.

Every problem is collected with its line in the file before anything runs, so that a broken
job reports all its errors at once and writes nothing. The format is documented in the README
("Batch jobs").

A job file writes only inside its own folder: ``[job] output`` is a path relative to the job
file and ``[job] report`` one relative to the output folder, neither absolute nor climbing out
with ``..``, so that a job file shared or rerun elsewhere cannot write over other files; only
the command line (``--output``, ``survstat report -o``) may point anywhere. An input that is
not Parquet (a CSV, an empty file, a folder without ``.parquet`` files, a glob matching
nothing, a damaged file) is refused with its name and line before its schema is read, and no
output may land on an input.
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
from survstat.io import check_parquet_path, scan

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
#: Names of an analysis's extra tables (see survstat.analyses.Extra).
_EXTRA = re.compile(r"[a-z][a-z0-9_]*")
_JOB_KEYS = ("title", "output", "report", "engine", "spark_master")
_STEP_KEYS = ("name", "analysis", "plot", "input", "by_partition", "formats", "engine")
ENGINES = ("polars", "spark")


class JobError(SurvstatError):
    """A job file is invalid; ``problems`` lists every problem found, each with its line."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.problems = problems
        head = f"{path}: {len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(head + "\n" + "\n".join(f"  {p}" for p in problems))


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
    def spec(self) -> Analysis[Any]:
        """The registry record of the step's analysis or figure (whose ``run`` returns an
        :class:`~survstat.analyses.AnalysisOutput` or a matplotlib Figure)."""
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
                self.keys.setdefault((section[0], section[1], key), no)

    def of(self, table: str, index: int = 0, key: str | None = None) -> int:
        """The line of ``key`` in the ``index``-th ``[table]`` (its header if not found)."""
        if key is not None and (table, index, key) in self.keys:
            return self.keys[(table, index, key)]
        return self.tables.get((table, index), 1)


def _suggest(value: str, choices: list[str]) -> str:
    if not choices:
        return ""
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
    table: Any, base: Path, check: _Checker, schemas: dict[str, list[str]], invalid: set[str]
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
                    f"no bundled dataset {ds!r}" + _suggest(str(ds), [*datasets.names()]),
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
            check_parquet_path(path)  # every file, before anything reads a schema
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
    if not isinstance(name_of, str) or name_of not in registry:
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
    same = [e for e in earlier if e.lower() == name.lower()]
    if same:
        # names differing only in case name one file on macOS and Windows file systems
        twice = "is used twice" if same[0] == name else f"differs from `{same[0]}` only in case"
        check.add(
            check.lines.of("step", index, "name"),
            where,
            f"step name `{name}` {twice}; give each step a distinct `name`",
        )
    clash = _name_clash(name, kind, earlier)
    if clash:
        check.add(check.lines.of("step", index, "name"), where, clash)
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
        if isinstance(ref, str) and ref in invalid:  # already reported at that input or step
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


def _name_clash(name: str, kind: str, earlier: Mapping[str, Step]) -> str | None:
    """Why ``name`` would overwrite another file of the job: the manifest, or an extra table
    ``<step>.<table>.parquet`` of another analysis step (or the reverse)."""
    if name == "manifest":
        return "step name `manifest` is reserved: the job writes manifest.parquet"
    if kind != "analysis":
        return None
    for other, step in earlier.items():
        if step.kind != "analysis":
            continue
        short, long = sorted((name, other), key=len)
        rest = long[len(short) + 1 :]
        if long.startswith(short + ".") and _EXTRA.fullmatch(rest):
            return (
                f"step names `{short}` and `{long}` clash: extra tables of `{short}` are written "
                f"as {short}.<table>.parquet, so {long}.parquet could be one of them; "
                "rename one of the steps"
            )
    return None


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


def _read_toml(path: Path) -> tuple[bytes, str, dict[str, Any]]:
    """The job file's bytes, text and parsed TOML; a file that cannot be read, is not UTF-8
    or is not TOML is one problem."""
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise JobError(path, [f"cannot read the job file: {exc.strerror}"]) from None
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw_bytes[: exc.start].count(b"\n") + 1
        raise JobError(
            path,
            [
                f"{path.name}:{line}: not UTF-8 text (byte 0x{raw_bytes[exc.start]:02x}); "
                "TOML files are UTF-8"
            ],
        ) from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise JobError(path, [f"not valid TOML: {exc}"]) from None
    return raw_bytes, text, doc


def _confined(value: Any, key: str, check: _Checker, *, inside: str, flag: str) -> bool:
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


def _check_meta(meta: Any, check: _Checker, output: str | Path | None) -> dict[str, Any]:
    """The checked ``[job]`` table: title, output, report, engine, spark_master."""
    if not isinstance(meta, dict):
        check.add(check.lines.of("job"), "", "[job] must be a table of key = value")
        meta = {}
    for key in meta:
        if key not in _JOB_KEYS:
            check.add(
                check.lines.of("job", 0, key),
                "[job]: ",
                f"unknown key `{key}`" + _suggest(key, [*_JOB_KEYS]),
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
        if not isinstance(report, str) or not report.endswith(".html"):
            check.add(
                check.lines.of("job", 0, "report"),
                "[job]: ",
                f"`report` must be a file name ending in .html; got {report!r}",
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
    out: Path, report: str | None, base: Path, from_file: bool, check: _Checker
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
    check: _Checker,
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
    raw_bytes, text, doc = _read_toml(path)
    check = _Checker(path, text)
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
        step = _check_step(raw, i, sources, steps, invalid, schemas, check, meta["engine"])
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
