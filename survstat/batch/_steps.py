"""The steps of a job file: each checked against the declaration of its analysis or figure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from survstat._choices import ENGINES
from survstat.analyses import ANALYSES, Analysis
from survstat.analyses._declare import Option
from survstat.analyses.plots import FORMATS, PLOTS
from survstat.batch._checker import Checker, suggest
from survstat.tables.registry import DISPLAY_ANALYSES, DISPLAY_OUTPUTS

if TYPE_CHECKING:
    from survstat.batch.job import Source

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
#: Names of an analysis's extra tables (see survstat.analyses.Extra).
_EXTRA = re.compile(r"[a-z][a-z0-9_]*")
_STEP_KEYS = ("name", "analysis", "plot", "input", "by_partition", "formats", "engine")
#: The files an analysis step may write besides its Parquet table (which it always writes:
#: later steps and the report read it): the table as CSV or SAS transport v5 ...
TABLE_FORMATS = ("csv", "xpt")
#: ... and, for the analyses with a display (:data:`DISPLAY_ANALYSES`), the display.
DISPLAY_FORMATS = tuple(suffix.lstrip(".") for suffix in DISPLAY_OUTPUTS)


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
        """The file names the step writes in the output directory: for an analysis its
        Parquet table first (the one later steps read), then the other ``formats``."""
        if self.kind == "analysis":
            return (f"{self.name}.parquet", *(f"{self.name}.{fmt}" for fmt in self.formats))
        return tuple(f"{self.name}.{fmt}" for fmt in self.formats)


class _Problems:
    """Adds the problems of one step, each at the line of its key; remembers whether any."""

    def __init__(self, check: Checker, index: int, where: str) -> None:
        self.check, self.index, self.where = check, index, where
        self.ok = True

    def __call__(self, key: str | None, message: str) -> None:
        self.ok = False
        self.check.add(self.check.lines.of("step", self.index, key), self.where, message)


def check_step(
    raw: Any,
    index: int,
    sources: Mapping[str, Source],
    earlier: dict[str, Step],
    invalid: set[str],
    schemas: dict[str, list[str]],
    check: Checker,
    default_engine: str = "polars",
) -> Step | None:
    """The checked step ``raw`` (the ``index``-th ``[[step]]``), or None after adding its
    problems to ``check``: its analysis or figure, name, inputs (job inputs or ``earlier``
    steps; those in ``invalid`` were reported already), options against the analysis's
    declaration, layout, engine, and the columns it names against the inputs' ``schemas``."""
    found = _analysis(raw, index, check)
    if found is None:
        return None
    kind, name_of, spec, where = found
    name = _step_name(raw, name_of, kind, earlier, _Problems(check, index, where))
    if name is None:
        return None
    problem = _Problems(check, index, where)
    inputs = _inputs(raw, spec, sources, earlier, invalid, problem)
    values = _values(raw, spec, f"{kind} `{name_of}`", problem)
    by_partition, formats = _layout(raw, kind, problem)
    engine = _engine(raw, spec, inputs, sources, by_partition, default_engine, problem)
    # columns are checked even when an option is bad, so that one run reports everything
    full = {p.name: p.default for p in spec.parameters().values()} | values
    _check_columns(spec, full, inputs, by_partition, sources, schemas, problem)
    if not problem.ok:
        return None
    line = check.lines.of("step", index)
    return Step(name, kind, name_of, inputs, values, by_partition, formats, line, engine)


def _analysis(raw: Any, index: int, check: Checker) -> tuple[str, str, Analysis[Any], str] | None:
    """The step's kind (analysis or plot), the analysis's name and record, and how problems
    name the step; None after adding the problem."""
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
        check.add(at, where, f"unknown {kind} `{name_of}`" + suggest(str(name_of), [*registry]))
        return None
    return kind, name_of, registry[name_of], where


def _step_name(
    raw: Mapping[str, Any], name_of: str, kind: str, earlier: Mapping[str, Step], problem: _Problems
) -> str | None:
    """The step's name (its output file's stem); None when it cannot name a file. A name
    used before or clashing with another step's files is a problem, but names the step."""
    name = raw.get("name", name_of.replace(" ", "_"))
    if not isinstance(name, str) or not _NAME.match(name):
        problem(
            "name",
            f"`name` must be letters, digits, '_', '.' or '-' (it names the output file); "
            f"got {name!r}",
        )
        return None
    same = [e for e in earlier if e.lower() == name.lower()]
    if same:
        # names differing only in case name one file on macOS and Windows file systems
        twice = "is used twice" if same[0] == name else f"differs from `{same[0]}` only in case"
        problem("name", f"step name `{name}` {twice}; give each step a distinct `name`")
    clash = _name_clash(name, kind, earlier)
    if clash:
        problem("name", clash)
    return name


def _inputs(
    raw: Mapping[str, Any],
    spec: Analysis[Any],
    sources: Mapping[str, Source],
    earlier: Mapping[str, Step],
    invalid: set[str],
    problem: _Problems,
) -> dict[str, str]:
    """The step's tables: each of the analysis's table arguments -> a job input or an
    earlier analysis step (``input = ...`` for the first, the argument's name for others)."""
    inputs: dict[str, str] = {}
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
            problem.ok = False
            continue
        if not isinstance(ref, str) or ref not in known:
            problem(
                key,
                f"`{key} = {ref!r}` is neither an input in [inputs] nor an earlier analysis step"
                + suggest(str(ref), known),
            )
            continue
        inputs[role] = ref
    return inputs


def _values(
    raw: Mapping[str, Any], spec: Analysis[Any], what: str, problem: _Problems
) -> dict[str, Any]:
    """The step's options, each checked against the analysis's declaration of it."""
    params = spec.parameters()
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _STEP_KEYS or key in spec.inputs:
            continue
        if key not in params:
            problem(key, f"unknown option `{key}` for {what}" + suggest(key, [*params]))
            continue
        option = params[key].option
        if isinstance(option, Option) and option.command_line_only is not None:
            problem(key, f"`{key}` is for the command line only: {option.command_line_only}")
            continue
        try:
            values[key] = params[key].coerce(value)
        except ValueError as exc:
            problem(key, f"`{key}` {exc}")
    for p in params.values():
        if p.required and p.name not in raw:
            problem(None, f"`{p.name}` is required ({p.describe()})")
    return values


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
    """A step's ``by_partition`` columns (analyses) and ``formats``: the figure's files
    (plots), or the files an analysis writes besides its Parquet table."""
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
        formats = _table_formats(raw, by_partition, problem)
    return by_partition, formats


def _table_formats(
    raw: Mapping[str, Any], by_partition: tuple[str, ...], problem: Any
) -> tuple[str, ...]:
    """An analysis step's ``formats``: the files it writes besides its Parquet table."""
    value = raw["formats"]
    value = [value] if isinstance(value, str) else value
    analysis = raw["analysis"]
    display = analysis in DISPLAY_ANALYSES
    allowed = ("parquet", *TABLE_FORMATS, *(DISPLAY_FORMATS if display else ()))
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problem("formats", f"`formats` must list some of {', '.join(allowed)}; got {value!r}")
        return ()
    bad = [v for v in value if v not in allowed]
    if bad:
        why = (
            f"; only {', '.join(DISPLAY_ANALYSES)} have a display"
            if any(v in DISPLAY_FORMATS for v in bad) and not display
            else ""
        )
        problem(
            "formats",
            f"`formats` of analysis `{analysis}` must list some of {', '.join(allowed)}; got "
            f"{', '.join(map(repr, bad))}{why}",
        )
        return ()
    shown = [v for v in value if v in DISPLAY_FORMATS]
    if shown and by_partition:
        problem(
            "formats",
            f"a display ({', '.join(shown)}) shows one table, not one per partition: drop "
            "`by_partition` or the display formats",
        )
        return ()
    return tuple(v for v in dict.fromkeys(value) if v != "parquet")


def _check_columns(spec, full, inputs, by_partition, sources, schemas, problem) -> None:
    """Columns named by the parameters must exist in inputs read from files (the columns of
    an earlier step's output are known only once it has run)."""
    needed = spec.columns({**full, **inputs})
    if by_partition and "data" in inputs:
        needed.setdefault("data", []).extend((c, "by_partition") for c in by_partition)
    # a table joined to another (ADSL to data) lends it its columns
    joined = {
        r: [n for n, (table, _) in spec.input_declarations().items() if table.joins == r]
        for r in inputs
    }
    for role, columns in needed.items():
        ref = inputs.get(role)
        if ref is None or ref not in sources:
            continue
        lenders = [inputs[r] for r in joined.get(role, []) if r in inputs]
        if any(lender not in sources for lender in lenders):
            continue  # an earlier step's columns are known only once it has run
        available = [*schemas[ref], *(c for lender in lenders for c in schemas[lender])]
        for column, param in columns:
            own = param == "by_partition"  # partitions are cut from this table's rows
            if column not in (schemas[ref] if own else available):
                # fixed column names (CML, RECIST tables) have no key of their own
                key = param if param in full or own else None
                problem(
                    key,
                    f"column `{column}` ({param}) not in input `{ref}`"
                    + "".join(f" nor in `{lender}`" for lender in ([] if own else lenders))
                    + suggest(column, schemas[ref] if own else available),
                )
