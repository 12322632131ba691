"""The `run` and `report` commands (batch jobs)."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import polars as pl
import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from survstat.cli._common import err_console, print_table, say, user_errors
from survstat.errors import counted
from survstat.io import check_output_path

if TYPE_CHECKING:  # the job machinery loads when a job runs, not at start-up
    from survstat.batch import Step

JobArg = Annotated[Path, typer.Argument(help="The job file (TOML).", show_default=False)]
OutDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        help="Results folder, anywhere (overrides the job's [job] output, which must stay "
        "inside the job file's folder).",
    ),
]
ForceOpt = Annotated[
    bool, typer.Option("--force", help="Run every step, even unchanged finished ones.")
]
ContinueOpt = Annotated[
    bool,
    typer.Option("--continue-on-error", help="After a failed step, run the steps that remain."),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress bars: one log line per step.")
]


class _Bars:
    """A rich progress bar per step (and its partitions)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, Any] = {}

    def start(self, step: Step, total: int) -> None:
        self.tasks[step.name] = self.progress.add_task(f"{step.name} ({step.label})", total=total)

    def advance(self, step: Step) -> None:
        self.progress.advance(self.tasks[step.name])

    def finish(self, step: Step, record: Mapping[str, Any]) -> None:
        task = self.tasks.get(step.name)
        if task is None:
            task = self.tasks[step.name] = self.progress.add_task(step.name, total=1)
        status = record["status"]
        colour = {"ok": "green", "skipped": "green", "failed": "red"}.get(status, "yellow")
        self.progress.update(task, description=f"{step.name} ({step.label}) [{colour}]{status}[/]")


class _Log:
    """One line per finished step, for logs."""

    def start(self, step: Step, total: int) -> None:
        pass

    def advance(self, step: Step) -> None:
        pass

    def finish(self, step: Step, record: Mapping[str, Any]) -> None:
        parts = [f"{step.name} ({step.label}): {record['status']}"]
        if record.get("rows") is not None:
            parts.append(counted(record["rows"], "row"))
        if record["status"] == "skipped":
            parts.append(
                f"outputs from the run finished {record['finished_utc']} "
                f"({record['duration_s']:.2f} s)"
            )
        elif record.get("duration_s") is not None:
            parts.append(f"{record['duration_s']:.2f} s")
        if record.get("error"):
            parts.append(record["error"])
        say("; ".join(parts))


def _execute(
    job_file: Path, output: Path | None, force: bool, continue_on_error: bool, quiet: bool
) -> tuple[Any, pl.DataFrame]:
    import matplotlib

    matplotlib.use("Agg")  # figures go to files only
    from survstat.batch import load_job

    job = load_job(job_file, output=output)
    with _warnings_as_lines():
        return job, _run(job, force, continue_on_error, quiet)


@contextlib.contextmanager
def _warnings_as_lines() -> Iterator[None]:
    """Warnings during a run (an interrupted run's files removed, an old manifest) print as
    one line each, not as Python's two-line warning with a source line."""

    def show(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
        err_console.print(
            f"[yellow]warning:[/] {escape(str(message))}", highlight=False, soft_wrap=True
        )

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


def _run(job: Any, force: bool, continue_on_error: bool, quiet: bool) -> pl.DataFrame:
    from survstat.batch import run_job

    if quiet:
        manifest = run_job(job, force=force, continue_on_error=continue_on_error, reporter=_Log())
    else:
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=err_console) as progress:
            manifest = run_job(
                job, force=force, continue_on_error=continue_on_error, reporter=_Bars(progress)
            )
    return manifest


def _outcome(job: Any, manifest: pl.DataFrame, quiet: bool) -> None:
    if not quiet:
        print_table(
            manifest.select(
                "step", "analysis", "status", "rows", "duration_s", "finished_utc", "error"
            ),
            f"{job.title} → {job.output}",
        )
    bad = manifest.filter(pl.col("status").is_in(["failed", "not run"]))
    if bad.height:
        say(
            f"{bad.height} of {manifest.height} steps did not finish "
            f"(see {job.output / 'manifest.parquet'})",
            prefix="error:",
        )
        raise typer.Exit(1)


@user_errors
def run(
    job_file: JobArg,
    output: OutDirOpt = None,
    force: ForceOpt = False,
    continue_on_error: ContinueOpt = False,
    quiet: QuietOpt = False,
    check: Annotated[
        bool, typer.Option("--check", help="Only check the job file and its inputs; run nothing.")
    ] = False,
) -> None:
    """Run a job file: analyses and plots over Parquet, CSV or SAS inputs, one output file per step.

    The whole job is checked first (unknown analyses or options, missing columns in any
    input, inputs that are not what their names say, output paths that leave the job's folder)
    and every problem is listed with its line; nothing runs when the job is invalid. Each step
    writes `<name>.parquet` (and its extra tables, or its figure files) atomically into the output
    folder, with `manifest.parquet` recording status, rows, duration and content hashes. A step
    that fails or does not run leaves no file; temporary files of a killed run are removed by
    the next run. Steps whose inputs and parameters are unchanged are skipped unless --force,
    and keep the duration of the run that made their outputs. With `[job] report` the report
    (HTML or DOCX) is written too.

    Example: `survstat run examples/gbsg2.toml --output results/gbsg2`
    """
    from survstat.batch import load_job
    from survstat.batch.report import write_report

    if check:
        job = load_job(job_file, output=output)
        n_steps, n_inputs = len(job.steps), len(job.sources)
        say(
            f"{job_file}: valid; {n_steps} step{'s' * (n_steps != 1)}, "
            f"{n_inputs} input{'s' * (n_inputs != 1)}"
        )
        return
    job, manifest = _execute(job_file, output, force, continue_on_error, quiet)
    if job.report is not None:
        path = write_report(job, manifest)
        say(f"wrote {path}")
    _outcome(job, manifest, quiet)


@user_errors
def report(
    job_file: JobArg,
    output: OutDirOpt = None,
    report_file: Annotated[
        Path | None,
        typer.Option(
            "--report",
            "-o",
            help="Report file: .html or .docx (default: [job] report or report.html).",
        ),
    ] = None,
    force: ForceOpt = False,
    continue_on_error: ContinueOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Run a job (finished, unchanged steps are skipped) and write its report: one
    self-contained HTML file, or a Word document with -o ending in .docx. Title block,
    contents, summary (display tables and figures), results, methods and parameters as text,
    inputs and provenance, and an appendix of listings.

    Example: `survstat report examples/gbsg2.toml --output results/gbsg2 -o gbsg2.html`
    """
    from survstat.batch.report import REPORT_SUFFIXES, write_report

    if report_file is not None:
        check_output_path(report_file, REPORT_SUFFIXES)  # before the job runs
    job, manifest = _execute(job_file, output, force, continue_on_error, quiet)
    path = write_report(job, manifest, report_file)
    say(f"wrote {path}")
    _outcome(job, manifest, quiet)
