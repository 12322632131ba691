"""One self-contained HTML file with a job's tables, figures, parameters and provenance.

Under its inputs, the report lists the label of each column the job used, for the inputs
that carry labels (SAS files, Parquet written with labels).

Figures are embedded as data URIs and the styles are inline, so the file can be mailed or
archived alone. Tables are read back from the Parquet outputs the manifest lists.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from survstat._clock import utc_now
from survstat._format import format_value
from survstat._version import __version__
from survstat.batch.job import Job, OutputFolderError, Step
from survstat.batch.runner import content_sha256
from survstat.errors import SurvstatError
from survstat.io import read_labels, read_metadata, write_atomically

_MAX_ROWS = 60
_MIME = {"png": "image/png", "svg": "image/svg+xml"}
_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 70em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.6em 0; }
th, td { padding: 0.2em 0.7em; border-bottom: 1px solid #e4e4e4; }
th { text-align: left; background: #f4f4f4; } td.num { text-align: right;
     font-variant-numeric: tabular-nums; }
.meta td:first-child { color: #666; } .status-failed, .error { color: #b00020; }
.status-ok, .status-skipped { color: #1b6e20; } code { font-size: 0.9em; }
img { max-width: 100%; } .note { color: #666; font-size: 0.85em; }
"""


def _esc(value: Any) -> str:
    return html.escape(str(value))


def _table(frame: pl.DataFrame, max_rows: int = _MAX_ROWS) -> str:
    head = "".join(f"<th>{_esc(c)}</th>" for c in frame.columns)
    numeric = [dtype.is_numeric() for dtype in frame.dtypes]
    rows = []
    for row in frame.head(max_rows).iter_rows():
        cells = "".join(
            f'<td class="num">{_esc(format_value(v))}</td>'
            if num
            else f"<td>{_esc(format_value(v))}</td>"
            for v, num in zip(row, numeric, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    more = ""
    if frame.height > max_rows:
        more = (
            f'<p class="note">{frame.height} rows; the first {max_rows} are shown, '
            "all are in the Parquet file.</p>"
        )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"


def _pairs(items: Mapping[str, Any], helps: Mapping[str, str]) -> str:
    """The step's inputs and options as label: value rows; a label's declared help shows
    when the pointer rests on it."""
    rows = "".join(
        f"<tr><td{_tip(helps.get(k))}>{_esc(k)}</td>"
        f"<td><code>{_esc(json.dumps(v, default=str))}</code></td></tr>"
        for k, v in items.items()
    )
    return f'<table class="meta">{rows}</table>' if rows else '<p class="note">defaults only</p>'


def _tip(text: str | None) -> str:
    return f' title="{_esc(text)}"' if text else ""


def _labelled(step: Step) -> tuple[dict[str, Any], dict[str, str]]:
    """The step's tables and options by their labels (as the job file names them), and the
    help each declares, both from the declaration of the step's analysis."""
    tables = step.spec.input_declarations()
    params = step.spec.parameters()
    items: dict[str, Any] = {}
    helps: dict[str, str] = {}
    for role, ref in step.inputs.items():
        label = "input" if role == "data" else role
        items[label] = ref
        helps[label] = tables[role][0].help
    for key, value in step.parameters.items():
        label = params[key].label
        items[label] = value
        helps[label] = params[key].help
    return items, helps


def _figure(path: Path) -> str:
    fmt = path.suffix.lstrip(".")
    data = base64.b64encode(path.read_bytes()).decode()
    if fmt in _MIME:
        return f'<p><img alt="{_esc(path.name)}" src="data:{_MIME[fmt]};base64,{data}"></p>'
    return (
        f'<p><embed type="application/pdf" width="100%" height="520" '
        f'src="data:application/pdf;base64,{data}"></p>'
    )


def _timing(record: Mapping[str, Any]) -> str:
    """How long the step took and when it finished; for a skipped step, those of the earlier
    run that wrote its outputs, said as such."""
    duration, finished = record.get("duration_s"), record.get("finished_utc")
    took = f"{duration:.2f} s" if duration is not None else "duration unknown"
    if record["status"] == "skipped":
        return (
            f' · <span class="note">unchanged, not run again: outputs from an earlier run '
            f"(finished {_esc(finished)}, took {took})</span>"
        )
    return f" · {took}" + (f" · finished {_esc(finished)}" if finished else "")


def _step_section(step: Step, record: Mapping[str, Any], folder: Path) -> str:
    status = record["status"]
    parts = [
        f'<h2 id="{_esc(step.name)}">{_esc(step.name)} <small>— {_esc(step.label)}</small></h2>',
        f'<p>status: <span class="status-{_esc(status).replace(" ", "-")}">{_esc(status)}</span>',
    ]
    parts.append(_timing(record))
    if record.get("partitions") and step.by_partition:
        parts.append(
            f" · {record['partitions']} partitions by {_esc(', '.join(step.by_partition))}"
        )
    parts.append("</p>")
    parts.append(_pairs(*_labelled(step)))
    if record.get("error"):
        parts.append(f'<p class="error">{_esc(record["error"])}</p>')
    if status not in ("ok", "skipped"):
        parts.append(
            '<p class="note">no outputs: a step that fails or does not run keeps no files</p>'
        )
        return "\n".join(parts)
    # figures: one embedded image is enough; prefer a format browsers show inline
    files = [folder / f for f in record["outputs"] or []]
    if step.kind == "plot":
        ranked = sorted(files, key=lambda p: ("svg", "png", "pdf").index(p.suffix.lstrip(".")))
        parts.append(_figure(ranked[0]))
        parts.append(f'<p class="note">files: {_esc(", ".join(p.name for p in files))}</p>')
    else:
        # the notes (e.g. the subjects a population removed) are in each output's provenance
        notes = read_metadata(files[0]).get("notes", []) if files else []
        parts += [f'<p class="note">{_esc(note)}</p>' for note in notes]
        tables = [p for p in files if p.suffix == ".parquet"]
        for path in tables:
            parts.append(_table(pl.read_parquet(path)))
            parts.append(f'<p class="note">file: {_esc(path.name)}</p>')
        others = [p.name for p in files if p.suffix != ".parquet"]  # the other formats
        if others:
            parts.append(f'<p class="note">also written: {_esc(", ".join(others))}</p>')
    return "\n".join(parts)


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


def _column_labels(job: Job) -> pl.DataFrame:
    """The label of each column the job used, for the inputs that are files with column
    labels (SAS files, Parquet written with labels); a column without one shows blank."""
    rows: list[tuple[str, str, str]] = []
    for ref, columns in _used_columns(job).items():
        path = job.sources[ref].path
        if "://" in path or not Path(path).is_file():
            continue  # folders, globs and remote data: no one file to take labels from
        try:
            labels = read_labels(path)
        except SurvstatError:  # a file the run could not read has said so already
            continue
        if labels:
            rows += [(ref, c, labels.get(c, "")) for c in columns]
    return pl.DataFrame(rows, schema=["input", "column", "label"], orient="row")


def _labels_section(job: Job) -> list[str]:
    labels = _column_labels(job)
    if labels.height == 0:
        return []
    return ["<h3>Column labels</h3>", _table(labels, max_rows=labels.height)]


def render_report(job: Job, manifest: pl.DataFrame) -> str:
    """The HTML text of the report for ``job`` after a run that produced ``manifest``."""
    records = {r["step"]: r for r in manifest.iter_rows(named=True)}
    created = utc_now()
    provenance = {
        "job file": str(job.path),
        "job file sha256": job.sha256,
        "output folder": str(job.output),
        "survstat version": __version__,
        "created (UTC)": created,
    }
    digests = _input_hashes(job, manifest)
    sources = pl.DataFrame(
        {
            "input": [s.name for s in job.sources.values()],
            "given as": [s.given for s in job.sources.values()],
            "path": [s.path for s in job.sources.values()],
            "sha256": [digests[s.name] for s in job.sources.values()],
        }
    )
    summary = manifest.select(
        "step", "analysis", "status", "rows", "partitions", "duration_s", "finished_utc", "error"
    )
    body = [
        f"<h1>{_esc(job.title)}</h1>",
        '<table class="meta">'
        + "".join(f"<tr><td>{_esc(k)}</td><td>{_esc(v)}</td></tr>" for k, v in provenance.items())
        + "</table>",
        "<h2>Inputs</h2>",
        _table(sources),
        *_labels_section(job),
        "<h2>Steps</h2>",
        _table(summary, max_rows=len(job.steps)),
    ]
    for step in job.steps:
        if step.name in records:
            body.append(_step_section(step, records[step.name], job.output))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_esc(job.title)}</title><style>{_STYLE}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def write_report(job: Job, manifest: pl.DataFrame, path: str | Path | None = None) -> Path:
    """Write the report atomically and return its path.

    Parameters
    ----------
    job
        The job that was run.
    manifest
        What :func:`survstat.batch.run_job` returned.
    path
        Where to write the HTML file; anywhere. Default: ``[job] report`` in the output
        folder, else ``report.html`` there, beside the outputs it describes.

    Raises
    ------
    OutputFolderError
        When the file cannot be written (a folder of that name, a read-only folder).
    """
    target = Path(path) if path is not None else job.output / (job.report or "report.html")
    text = render_report(job, manifest)
    try:
        return write_atomically(target, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    except OSError as exc:
        raise OutputFolderError(
            f"cannot write the report `{target}`: {exc.strerror or exc}"
        ) from None
