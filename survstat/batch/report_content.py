"""What a job's report says, in order: built once from the job and its manifest.

The HTML (:mod:`survstat.batch.report_html`) and DOCX (:mod:`survstat.batch.report_docx`)
reports render the same :class:`~survstat.batch.report_blocks.ReportContent`, so the two
say the same things:

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
   :data:`~survstat.batch.report_blocks.MAX_ROWS` rows, truncated to that many rows with
   the total said.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import polars as pl

from survstat._clock import utc_now
from survstat._format import format_value
from survstat._version import __version__
from survstat.batch.job import Job, Step
from survstat.batch.report_blocks import (
    MAX_ROWS,
    Block,
    DisplayBlock,
    FigureBlock,
    PairsBlock,
    ReportContent,
    Section,
    TableBlock,
    TextBlock,
)
from survstat.batch.report_inputs import column_labels, data_cut, input_hashes
from survstat.errors import SurvstatError, counted
from survstat.io import read_metadata
from survstat.tables.registry import DISPLAY_ANALYSES, build_display

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
_MIME = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}


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


def _displays(job: Job, step: Step, path: Path) -> list[Block]:
    """The display of the step's ARD; one per partition for a step run ``by_partition``
    (titled by its values), or the ARD itself with the reason when no display can be built
    from it."""
    parameters = read_metadata(path).get("parameters", {})
    source = job.source_name(step.inputs["data"]) if "data" in step.inputs else None
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
    return f"{table.file}: {counted(table.total, 'row')}"


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
    labels = column_labels(job)
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
    digests = input_hashes(job, manifest)
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


__all__ = ["LISTINGS", "report_content"]
