"""What a job's report says, in order: built once from the job and its manifest.

The HTML (:mod:`survstat.batch.report_html`) and DOCX (:mod:`survstat.batch.report_docx`)
reports render the same :class:`ReportContent`, so the two say the same things:

1. a title block: the job's title, the date of the data cut when the inputs give one
   (ADaM ADSL ``DCUTDT``), the survstat version, the creation time, the job file's and the
   inputs' content hashes (short);
2. **Summary**: the display tables of the table steps (``table tte``, ``table response``,
   built from each step's ARD by :func:`survstat.tables.registry.build_display`), the tables
   of the other ``table`` steps, and the figures;
3. **Results**: the tables of the other analyses;
4. **Methods and parameters**: per step, the analysis, its status and each option set by
   the job as its declared help and value;
5. **Inputs and provenance**: the inputs with their full hashes and column labels, the
   step summary;
6. **Appendix**: the listings, per-subject tables and any table of more than
   :data:`MAX_ROWS` rows, truncated to that many rows with the total said.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import polars as pl

from survstat._clock import utc_now
from survstat._format import format_value
from survstat._version import __version__
from survstat.batch.job import Job, Step
from survstat.batch.runner import content_sha256
from survstat.errors import SurvstatError
from survstat.io import read_labels, read_metadata, scan
from survstat.tables.display import DisplayTable
from survstat.tables.registry import DISPLAY_ANALYSES, build_display

#: Rows of a table shown in the report; longer tables go to the appendix, cut to this many.
MAX_ROWS = 60
#: A table with more columns than this and no more rows is printed turned (one row per
#: column), so that it fits the page.
WIDE_COLUMNS = 10
#: Analyses whose table has a row per subject (or per record): a listing, in the appendix.
LISTINGS = frozenset(
    {
        "recist derive",
        "recist pcr",
        "cml classify",
        "cml endpoints",
        "cml loss-of-mmr",
        "cml tfr",
        "sdtm rs",
        "sdtm dm",
        "sdtm adsl",
        "sdtm tr",
        "sdtm lb",
    }
)
#: The ADaM ADSL variable of the data cut-off date ("Date of Data Cut", CDISC ADaM
#: Implementation Guide, ADSL variables); a numeric SAS date in a transport file.
DATA_CUT_COLUMN = "DCUTDT"
_SAS_EPOCH = _dt.date(1960, 1, 1)
_MIME = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}


@dataclass(frozen=True, slots=True)
class TableBlock:
    """A table read from an output file, its cells formatted as text.

    ``rows`` holds at most :data:`MAX_ROWS` rows of the ``total`` in the file; ``file`` is
    the output file's name (None for a table made by the report itself).
    """

    columns: tuple[str, ...]
    numeric: tuple[bool, ...]
    rows: tuple[tuple[str, ...], ...]
    total: int
    file: str | None = None

    @property
    def truncated(self) -> bool:
        """Whether rows of the file are not shown."""
        return self.total > len(self.rows)

    @property
    def wide(self) -> bool:
        """Whether the table is printed turned: many columns, few rows."""
        return len(self.columns) > WIDE_COLUMNS and len(self.rows) <= WIDE_COLUMNS

    def turned(self) -> tuple[tuple[str, ...], ...]:
        """The table turned: one row per column, its name first, then its cells."""
        return tuple((c, *(r[j] for r in self.rows)) for j, c in enumerate(self.columns))


@dataclass(frozen=True, slots=True)
class DisplayBlock:
    """A summary table's display (built from its ARD) and the ARD file it came from."""

    key: str
    display: DisplayTable
    file: str


@dataclass(frozen=True, slots=True)
class FigureBlock:
    """A figure: the file embedded in HTML, the PNG file's bytes for DOCX (None when the step
    wrote no PNG) and every file of the figure."""

    alt: str
    mime: str
    data: bytes
    png: bytes | None
    files: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TextBlock:
    """A paragraph: plain text, a note (smaller, grey) or an error."""

    text: str
    style: Literal["text", "note", "error", "status-ok", "status-failed"] = "text"


@dataclass(frozen=True, slots=True)
class PairsBlock:
    """Label-value rows: the title block's facts and the steps' options."""

    rows: tuple[tuple[str, str], ...]
    keys: tuple[str, ...] = ()


Block = TableBlock | DisplayBlock | FigureBlock | TextBlock | PairsBlock


@dataclass(frozen=True, slots=True)
class Section:
    """A heading with its anchor, its blocks and its subsections; ``collapsed`` sections
    (listings) are folded in the HTML report.

    A step's own section (under "Methods and parameters") has the step's name as its
    ``id``; every other id starts with ``_``, which no step name can (a step may be named
    ``summary``).
    """

    id: str
    title: str
    blocks: tuple[Block, ...] = ()
    subsections: tuple[Section, ...] = ()
    collapsed: bool = False


@dataclass(frozen=True, slots=True)
class ReportContent:
    """The whole report: title, the title block's facts, then the sections in order."""

    title: str
    facts: PairsBlock
    sections: tuple[Section, ...] = field(default_factory=tuple)


def _table_block(frame: pl.DataFrame, file: str | None, max_rows: int = MAX_ROWS) -> TableBlock:
    rows = tuple(tuple(format_value(v) for v in row) for row in frame.head(max_rows).iter_rows())
    return TableBlock(
        columns=tuple(frame.columns),
        numeric=tuple(dtype.is_numeric() for dtype in frame.dtypes),
        rows=rows,
        total=frame.height,
        file=file,
    )


def _figure(step: Step, files: Sequence[Path]) -> FigureBlock:
    """The step's figure: SVG, else PNG, else PDF embedded; the PNG kept for DOCX."""
    order = ("svg", "png", "pdf")
    figures = [p for p in files if p.suffix.lstrip(".") in order]
    shown = min(figures, key=lambda p: order.index(p.suffix.lstrip(".")))
    png = next((p.read_bytes() for p in files if p.suffix == ".png"), None)
    return FigureBlock(
        alt=f"{step.name}: {step.label}",
        mime=_MIME[shown.suffix.lstrip(".")],
        data=shown.read_bytes(),
        png=png,
        files=tuple(p.name for p in files),
    )


def _source_name(job: Job, ref: str) -> str:
    """How a footnote names the table a step read: the input as the job file gives it, or
    the earlier step's output file."""
    source = job.sources.get(ref)
    return source.given if source is not None else f"{ref}.parquet (step {ref})"


def _displays(job: Job, step: Step, path: Path) -> list[Block]:
    """The display of the step's ARD; one per partition for a step run ``by_partition``
    (titled by its values), or the ARD itself with the reason when no display can be built
    from it."""
    parameters = read_metadata(path).get("parameters", {})
    source = _source_name(job, step.inputs["data"]) if "data" in step.inputs else None
    ard = pl.read_parquet(path)
    keys = [c for c in step.by_partition if c in ard.columns]
    parts = ard.partition_by(keys, maintain_order=True, as_dict=True) if keys else {(): ard}
    blocks: list[Block] = []
    try:
        for i, (values, part) in enumerate(parts.items()):
            display = build_display(step.analysis, part.drop(keys), parameters, source=source)
            if keys:
                where = ", ".join(f"{k} = {v}" for k, v in zip(keys, values, strict=True))
                display = replace(display, title=f"{display.title}: {where}")
            key = f"{step.name}/{i + 1}" if keys else step.name  # no step name holds a /
            blocks.append(DisplayBlock(key=key, display=display, file=path.name))
    except SurvstatError as exc:
        return [TextBlock(f"no display: {exc}", "error"), _table_block(ard, path.name)]
    return blocks


#: The end of a sentence: a full stop before a capital, not that of "e.g." or "i.e.".
_SENTENCE_END = re.compile(r"(?<!e\.g)(?<!i\.e)\.\s+(?=[A-Z])")


def _sentence(text: str) -> str:
    """The first sentence of a declared help text, without its full stop."""
    first = _SENTENCE_END.split(text.strip(), maxsplit=1)[0].strip()
    return first.rstrip(".;,:")


def _readable(value: Any) -> str:
    """An option's value as a reader writes it: lists joined, yes/no, numbers plain."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ", ".join(_readable(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_readable(v)}" for k, v in value.items())
    return str(value)


def _table_role(role: str, help_text: str) -> str:
    """What a table argument is, for a reader: "Input table" for the first, else the name
    its help starts with ("Subject table: ...")."""
    named = help_text.split(":")[0].strip()
    if role == "data":
        return "Input table"
    return named if 0 < len(named) <= 40 else f"{role} table".capitalize()


def _table_source(job: Job, ref: str) -> str:
    source = job.sources.get(ref)
    if source is not None:
        return f"{source.given} (input {ref})"
    return f"output of step {ref} ({ref}.parquet)"


def _options(job: Job, step: Step) -> PairsBlock:
    """The step's tables and the options the job sets, as their declared help and value."""
    tables = step.spec.input_declarations()
    params = step.spec.parameters()
    rows: list[tuple[str, str]] = []
    keys: list[str] = []
    for role, ref in step.inputs.items():
        rows.append((_table_role(role, tables[role][0].help), _table_source(job, ref)))
        keys.append("input" if role == "data" else role)
    for key, value in step.parameters.items():
        rows.append((_sentence(params[key].help) or key.replace("_", " "), _readable(value)))
        keys.append(params[key].label)
    if step.by_partition:
        rows.append(("Run once per value of", ", ".join(step.by_partition)))
        keys.append("by_partition")
    return PairsBlock(tuple(rows), tuple(keys))


def _timing(record: Mapping[str, Any]) -> str:
    """The step's status, how long it took and when it finished; for a skipped step, those of
    the earlier run that wrote its outputs, said as such."""
    duration, finished = record.get("duration_s"), record.get("finished_utc")
    took = f"{duration:.2f} s" if duration is not None else "duration unknown"
    status = record["status"]
    if status == "skipped":
        return (
            f"status: skipped · unchanged, not run again: outputs from an earlier run "
            f"(finished {finished}, took {took})"
        )
    return f"status: {status} · {took}" + (f" · finished {finished}" if finished else "")


def _methods(job: Job, step: Step, record: Mapping[str, Any]) -> Section:
    blocks: list[Block] = [
        TextBlock(f"{step.label}: {_sentence(step.spec.summary)}"),
        TextBlock(
            _timing(record),
            "status-ok" if record["status"] in ("ok", "skipped") else "status-failed",
        ),
    ]
    if record.get("partitions") and step.by_partition:
        blocks.append(
            TextBlock(f"{record['partitions']} partitions by {', '.join(step.by_partition)}")
        )
    blocks.append(_options(job, step))
    if not step.parameters:
        blocks.append(TextBlock("every option at its default", "note"))
    if record.get("error"):
        blocks.append(TextBlock(str(record["error"]), "error"))
    return Section(step.name, f"{step.name} ({step.label})", tuple(blocks))


@dataclass(slots=True)
class _Parts:
    """The sections' contents, filled step by step."""

    summary: list[Section] = field(default_factory=list)
    figures: list[Section] = field(default_factory=list)
    results: list[Section] = field(default_factory=list)
    appendix: list[Section] = field(default_factory=list)


def _step_outputs(job: Job, step: Step, record: Mapping[str, Any], parts: _Parts) -> None:
    """Put the outputs of a finished step where a reader looks for them."""
    outputs = [job.output / f for f in record["outputs"] or []]
    title = f"{step.name} ({step.label})"
    if step.kind == "plot":
        if any(p.suffix.lstrip(".") in _MIME for p in outputs):
            figure = _figure(step, outputs)
            parts.figures.append(Section(f"_figure-{step.name}", title, (figure,)))
        return
    files = [p for p in outputs if p.suffix == ".parquet"]
    if not files:
        return
    # other files of the step (its display as DOCX or RTF, say) are named beside its tables
    others = [p.name for p in outputs if p.suffix != ".parquet"]
    notes: list[Block] = [
        TextBlock(note, "note") for note in read_metadata(files[0]).get("notes", [])
    ]
    if others:
        notes.append(TextBlock(f"also written: {', '.join(others)}", "note"))
    if step.analysis in DISPLAY_ANALYSES:
        displays = _displays(job, step, files[0])
        parts.summary.append(Section(f"_summary-{step.name}", title, (*displays, *notes)))
        return
    tables = [_table_block(pl.read_parquet(path), path.name) for path in files]
    listing = step.analysis in LISTINGS
    shown = [t for t in tables if not (listing or t.truncated)]
    long = [t for t in tables if listing or t.truncated]
    if long:
        blocks: list[Block] = [*notes] if not shown else []
        for table in long:
            blocks.append(TextBlock(_truncation(table), "note"))
            blocks.append(table)
        listed = Section(f"_listing-{step.name}", title, tuple(blocks), collapsed=True)
        parts.appendix.append(listed)
    if shown:
        moved = [
            TextBlock(f"{t.file}: {t.total} rows, listed in the appendix", "note") for t in long
        ]
        target = parts.summary if step.analysis.startswith("table ") else parts.results
        target.append(Section(f"_result-{step.name}", title, (*notes, *shown, *moved)))


def _truncation(table: TableBlock) -> str:
    if table.truncated:
        return (
            f"{table.file}: {table.total} rows; the first {len(table.rows)} are shown "
            "(truncated), all are in the file"
        )
    return f"{table.file}: {table.total} rows"


def _input_hashes(job: Job, manifest: pl.DataFrame) -> dict[str, str]:
    """Content hash of each input, as the run recorded it (hashing a large dataset again
    would double the reading); an input no step read is hashed here."""
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


def _column_labels(job: Job) -> pl.DataFrame:
    """The label of each column the job used, for the inputs that are files with column
    labels (SAS files, Parquet written with labels); a column without one shows blank."""
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


def _facts(job: Job, digests: Mapping[str, str]) -> PairsBlock:
    rows: list[tuple[str, str]] = []
    cut = data_cut(job)
    if cut is not None:
        rows.append(("data cut-off", cut))
    rows += [
        ("survstat version", __version__),
        ("created (UTC)", utc_now()),
        ("job file", f"{job.path.name} (sha256 {job.sha256[:12]})"),
    ]
    rows += [(f"input {name}", f"sha256 {digest[:12]}") for name, digest in digests.items()]
    return PairsBlock(tuple(rows))


def _provenance(job: Job, manifest: pl.DataFrame, digests: Mapping[str, str]) -> Section:
    facts = PairsBlock(
        (
            ("job file", str(job.path)),
            ("job file sha256", job.sha256),
            ("output folder", str(job.output)),
            ("survstat version", __version__),
        )
    )
    sources = pl.DataFrame(
        {
            "input": [s.name for s in job.sources.values()],
            "given as": [s.given for s in job.sources.values()],
            "path": [s.path for s in job.sources.values()],
            "sha256": [digests[s.name] for s in job.sources.values()],
        }
    )
    labels = _column_labels(job)
    steps = manifest.select(
        "step", "analysis", "status", "rows", "partitions", "duration_s", "finished_utc", "error"
    )
    subsections = [Section("_inputs", "Inputs", (_table_block(sources, None, sources.height),))]
    if labels.height:
        subsections.append(
            Section("_column-labels", "Column labels", (_table_block(labels, None, labels.height),))
        )
    subsections.append(Section("_steps", "Steps", (_table_block(steps, None, steps.height),)))
    return Section("_provenance", "Inputs and provenance", (facts,), tuple(subsections))


def _summary_blocks(manifest: pl.DataFrame, parts: _Parts) -> tuple[Block, ...]:
    unfinished = manifest.filter(~pl.col("status").is_in(["ok", "skipped"]))
    blocks: list[Block] = []
    if unfinished.height:
        names = ", ".join(
            f"{s} ({st})" for s, st in unfinished.select("step", "status").iter_rows()
        )
        blocks.append(
            TextBlock(
                f"{unfinished.height} of {manifest.height} steps did not finish: {names}; "
                "they have no outputs (see Methods and parameters)",
                "error",
            )
        )
    if not parts.summary and not parts.figures:
        blocks.append(TextBlock("this job has no summary tables and no figures", "note"))
    return tuple(blocks)


def report_content(job: Job, manifest: pl.DataFrame) -> ReportContent:
    """The report of ``job`` after a run that produced ``manifest``, section by section.

    Parameters
    ----------
    job
        The job that was run.
    manifest
        What :func:`survstat.batch.run_job` returned.

    Returns
    -------
    ReportContent
        The title block and the sections, in the order both renderers write them.
    """
    records = {r["step"]: r for r in manifest.iter_rows(named=True)}
    parts = _Parts()
    methods: list[Section] = []
    for step in job.steps:
        record = records.get(step.name)
        if record is None:
            continue
        methods.append(_methods(job, step, record))
        if record["status"] in ("ok", "skipped"):
            _step_outputs(job, step, record, parts)
    digests = _input_hashes(job, manifest)
    sections = [
        Section(
            "_summary",
            "Summary",
            _summary_blocks(manifest, parts),
            (*parts.summary, *parts.figures),
        ),
        Section(
            "_results",
            "Results",
            () if parts.results else (TextBlock("no other result tables", "note"),),
            tuple(parts.results),
        ),
        Section("_methods", "Methods and parameters", (), tuple(methods)),
        _provenance(job, manifest, digests),
        Section(
            "_appendix",
            "Appendix: listings",
            () if parts.appendix else (TextBlock("no listings", "note"),),
            tuple(parts.appendix),
        ),
    ]
    return ReportContent(job.title, _facts(job, digests), tuple(sections))


__all__ = [
    "DATA_CUT_COLUMN",
    "LISTINGS",
    "MAX_ROWS",
    "WIDE_COLUMNS",
    "Block",
    "DisplayBlock",
    "FigureBlock",
    "PairsBlock",
    "ReportContent",
    "Section",
    "TableBlock",
    "TextBlock",
    "data_cut",
    "report_content",
]
