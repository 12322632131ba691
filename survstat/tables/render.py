"""Write a :class:`~survstat.tables.display.DisplayTable` as HTML, LaTeX, RTF, DOCX or XLSX.

Each format is written by a library made for it, imported only when that format is asked
for: great_tables (HTML, LaTeX), rtflite (RTF), python-docx (DOCX) and xlsxwriter through
polars ``DataFrame.write_excel`` (XLSX). Every file is written atomically
(:func:`survstat.io.write_atomically`) and its provenance goes into ``OUT.<ext>.json`` beside
it, as for SAS transport outputs (:func:`survstat.io.write_table`).

Reruns give the same bytes: the HTML table's id is fixed, the DOCX core properties and the
XLSX creation time are pinned to ``SOURCE_DATE_EPOCH`` (else 2000-01-01), and the DOCX zip
entries carry that same time instead of the clock's (python-docx would stamp them with the
clock). The provenance JSON holds the file's SHA-256 and a creation time only when
``SOURCE_DATE_EPOCH`` is set, so it too is the same on rerun.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from survstat._clock import source_date_epoch
from survstat.errors import OutputPathError
from survstat.io import write_atomically, write_provenance_beside
from survstat.tables.display import DisplayTable
from survstat.tables.registry import DISPLAY_OUTPUTS

#: The fixed time of a document's properties when ``SOURCE_DATE_EPOCH`` is not set.
_DEFAULT_TIME = _dt.datetime(2000, 1, 1, tzinfo=_dt.UTC)


def _stamp() -> _dt.datetime:
    return source_date_epoch() or _DEFAULT_TIME


def _gt(display: DisplayTable) -> Any:
    from great_tables import GT

    frame = display.frame().with_columns(
        label=display.frame().get_column("label").str.strip_chars_start()
    )
    table = GT(frame, rowname_col="label", id="survstat-display").tab_header(
        display.title, display.population
    )
    for level in (1, 2):
        rows = [i for i, r in enumerate(display.rows) if r.indent == level]
        if rows:
            table = table.tab_stub_indent(rows, indent=level)
    for note in display.footnotes:
        table = table.tab_source_note(note)
    return table


def render_html(display: DisplayTable) -> str:
    """The display as an HTML fragment (great_tables ``as_raw_html``, with its style element).

    Parameters
    ----------
    display
        The display table.

    Returns
    -------
    str
        The HTML text.
    """
    return _gt(display).as_raw_html()


def render_latex(display: DisplayTable) -> str:
    """The display as a LaTeX table (great_tables ``as_latex``; needs booktabs, caption).

    Parameters
    ----------
    display
        The display table.

    Returns
    -------
    str
        The LaTeX text.
    """
    return _gt(display).as_latex()


def render_rtf(display: DisplayTable) -> str:
    """The display as an RTF document (rtflite), landscape-neutral, one table.

    Parameters
    ----------
    display
        The display table.

    Returns
    -------
    str
        The RTF text.
    """
    import polars as pl
    import rtflite

    # rtflite's text conversion reads LaTeX-like markup (``ARM_A`` would print A as a
    # subscript, ``x^2`` a superscript); the table's text is plain, so it is switched off
    # and only RTF's own special characters are escaped
    frame = display.frame()
    frame = frame.with_columns(
        pl.col(c)
        .str.replace_all("\\", "\\\\", literal=True)
        .str.replace_all("{", "\\{", literal=True)
        .str.replace_all("}", "\\}", literal=True)
        for c, dtype in frame.schema.items()
        if dtype == pl.String
    )
    widths = [3.0] + [2.0] * len(display.columns)
    title = [display.title] + ([display.population] if display.population else [])
    doc = rtflite.RTFDocument(
        df=frame,
        rtf_title=rtflite.RTFTitle(text=[_rtf_escape(s) for s in title], text_convert=[False]),
        rtf_column_header=[
            rtflite.RTFColumnHeader(
                text=[_rtf_escape(s) for s in ["", *display.columns]],
                col_rel_width=widths,
                text_convert=False,
            )
        ],
        rtf_body=rtflite.RTFBody(col_rel_width=widths, text_convert=False),
        rtf_footnote=rtflite.RTFFootnote(
            text=[_rtf_escape(s) for s in display.footnotes], as_table=False, text_convert=[False]
        ),
    )
    return doc.rtf_encode()


def _rtf_escape(text: str) -> str:
    """``text`` with RTF's special characters (backslash and braces) escaped."""
    return text.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}")


def _fixed_zip_times(data: bytes) -> bytes:
    """The zip archive ``data`` with every entry's time set to the pinned time."""
    stamp = _stamp()
    when = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=when)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def new_document(title: str) -> Any:
    """An empty Word document (python-docx) whose core properties are pinned: author
    survstat, revision 1, every time ``SOURCE_DATE_EPOCH`` (else 2000-01-01).

    Parameters
    ----------
    title
        The document's title property.

    Returns
    -------
    docx.document.Document
        The document.
    """
    import docx

    document = docx.Document()
    props = document.core_properties
    props.created = props.modified = props.last_printed = _stamp().replace(tzinfo=None)
    props.author = props.last_modified_by = "survstat"
    props.revision = 1
    props.title = title
    return document


def add_display(document: Any, display: DisplayTable, *, level: int = 2) -> None:
    """Append the display to a Word document: its title as a heading of ``level``, the
    population line, the table and the footnotes.

    Parameters
    ----------
    document
        A python-docx document (:func:`new_document`).
    display
        The display table.
    level
        The heading level of the display's title.
    """
    from docx.shared import Pt

    document.add_heading(display.title, level=level)
    if display.population:
        document.add_paragraph(display.population)
    table = document.add_table(rows=1 + len(display.rows), cols=1 + len(display.columns))
    table.style = "Table Grid"
    for j, text in enumerate(["", *display.columns]):
        table.cell(0, j).text = text
    for i, row in enumerate(display.rows, 1):
        table.cell(i, 0).text = row.label
        table.cell(i, 0).paragraphs[0].paragraph_format.left_indent = Pt(10 * row.indent)
        for j, text in enumerate(row.cells, 1):
            table.cell(i, j).text = text
    for note in display.footnotes:
        document.add_paragraph(note).runs[0].font.size = Pt(8)


def document_bytes(document: Any) -> bytes:
    """The Word document's file content, its zip entries stamped with the pinned time.

    Parameters
    ----------
    document
        A python-docx document.

    Returns
    -------
    bytes
        The DOCX file's content: the same document gives the same bytes.
    """
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip_times(buffer.getvalue())


def render_docx(display: DisplayTable) -> bytes:
    """The display as a Word document (python-docx): title, population, table, footnotes.

    Parameters
    ----------
    display
        The display table.

    Returns
    -------
    bytes
        The DOCX file's content, with pinned core properties and zip entry times.
    """
    document = new_document(display.title)
    add_display(document, display)
    return document_bytes(document)


def _write_xlsx(display: DisplayTable, path: str) -> None:
    """Write the display to ``path`` as a workbook (xlsxwriter through polars)."""
    import xlsxwriter

    frame = display.frame().rename({"label": "Statistic"})
    header = [display.title] + ([display.population] if display.population else [])
    with xlsxwriter.Workbook(path) as book:
        book.set_properties({"title": display.title, "author": "survstat", "created": _stamp()})
        sheet = book.add_worksheet("table")
        for i, line in enumerate(header):
            sheet.write_string(i, 0, line)
        top = len(header) + 1
        frame.write_excel(
            book,
            sheet,
            position=(top, 0),
            table_style=None,
            autofit=True,
            include_header=True,
        )
        for k, note in enumerate(display.footnotes):
            sheet.write_string(top + frame.height + 2 + k, 0, note)


def _text_writer(text: str) -> Callable[[str], object]:
    return lambda tmp: Path(tmp).write_text(text, encoding="utf-8")


def _bytes_writer(data: bytes) -> Callable[[str], object]:
    return lambda tmp: Path(tmp).write_bytes(data)


def write_display(
    display: DisplayTable,
    path: str | os.PathLike[str],
    *,
    metadata: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``display`` atomically in the format of ``path``'s extension.

    Parameters
    ----------
    display
        The display table (:func:`survstat.tables.display.tte_display`).
    path
        A ``.html``, ``.tex``, ``.rtf``, ``.docx`` or ``.xlsx`` file.
    metadata
        The provenance record (:func:`survstat.io.provenance`), written to ``OUT.<ext>.json``
        beside the file as ``{"file", "sha256", "survstat"}``; None writes none.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    OutputPathError
        When ``path`` ends otherwise or cannot be written.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    writers: dict[str, Callable[[], Callable[[str], object]]] = {
        ".html": lambda: _text_writer(render_html(display)),
        ".tex": lambda: _text_writer(render_latex(display)),
        ".rtf": lambda: _text_writer(render_rtf(display)),
        ".docx": lambda: _bytes_writer(render_docx(display)),
        ".xlsx": lambda: lambda tmp: _write_xlsx(display, tmp),
    }
    if suffix not in writers:
        raise OutputPathError(
            f"display output `{target}` must end in {', '.join(DISPLAY_OUTPUTS)}; got "
            f"{suffix or 'no extension'}"
        )
    written = write_atomically(target, writers[suffix]())
    if metadata is not None:
        write_provenance_beside(written, metadata)
    return written


__all__ = [
    "DISPLAY_OUTPUTS",
    "add_display",
    "document_bytes",
    "new_document",
    "render_docx",
    "render_html",
    "render_latex",
    "render_rtf",
    "write_display",
]
