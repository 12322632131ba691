"""The report of a job: one self-contained HTML file or a Word document.

Both say the same things in the same order (:mod:`survstat.batch.report_content`): a title
block, a table of contents, the summary (display tables and figures), the other results, the
methods and parameters as text, the inputs and provenance, and an appendix of listings.
:mod:`survstat.batch.report_html` and :mod:`survstat.batch.report_docx` render them. Under
its inputs, the report lists the label of each column the job used, for the inputs that
carry labels (SAS files, Parquet written with labels). Tables are read back from the Parquet
outputs the manifest lists; figures are embedded, so the file can be mailed or archived
alone. With ``SOURCE_DATE_EPOCH`` set, a rerun writes the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl

from survstat.batch.job import Job, OutputFolderError
from survstat.batch.report_content import report_content
from survstat.batch.report_docx import render_docx_report
from survstat.batch.report_html import render_html_report
from survstat.errors import OutputPathError
from survstat.io import write_atomically

#: The report formats, by file name ending.
REPORT_SUFFIXES = (".html", ".docx")


def render_report(job: Job, manifest: pl.DataFrame) -> str:
    """The HTML text of the report for ``job`` after a run that produced ``manifest``.

    Parameters
    ----------
    job
        The job that was run.
    manifest
        What :func:`survstat.batch.run_job` returned.

    Returns
    -------
    str
        The HTML document.
    """
    return render_html_report(report_content(job, manifest))


def write_report(job: Job, manifest: pl.DataFrame, path: str | Path | None = None) -> Path:
    """Write the report atomically and return its path.

    Parameters
    ----------
    job
        The job that was run.
    manifest
        What :func:`survstat.batch.run_job` returned.
    path
        Where to write the report, anywhere: ``.html`` for the HTML file, ``.docx`` for the
        Word document. Default: ``[job] report`` in the output folder, else ``report.html``
        there, beside the outputs it describes.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    OutputPathError
        When ``path`` ends in neither ``.html`` nor ``.docx``.
    OutputFolderError
        When the file cannot be written (a folder of that name, a read-only folder).
    """
    target = Path(path) if path is not None else job.output / (job.report or "report.html")
    suffix = target.suffix.lower()
    if suffix not in REPORT_SUFFIXES:
        raise OutputPathError(
            f"report `{target}` must end in {' or '.join(REPORT_SUFFIXES)}; got "
            f"{suffix or 'no extension'}"
        )
    content = report_content(job, manifest)
    writer: Callable[[str], object]
    if suffix == ".docx":
        data = render_docx_report(content)
        writer = lambda tmp: Path(tmp).write_bytes(data)  # noqa: E731
    else:
        text = render_html_report(content)
        writer = lambda tmp: Path(tmp).write_text(text, encoding="utf-8")  # noqa: E731
    try:
        return write_atomically(target, writer)
    except OSError as exc:
        raise OutputFolderError(
            f"cannot write the report `{target}`: {exc.strerror or exc}"
        ) from None


__all__ = ["REPORT_SUFFIXES", "render_report", "write_report"]
