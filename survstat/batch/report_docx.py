"""The report as a Word document (python-docx), saying what the HTML report says.

It renders a :class:`~survstat.batch.report_blocks.ReportContent` with Word's own headings
(Heading 1 for the sections, Heading 2 for their parts), so that the table of contents field
placed after the title block lists them: Word fills it in when the document is opened (the
document asks to update its fields). The display tables are written by
:func:`survstat.tables.render.add_display`, as ``survstat table tte -o OUT.docx`` writes
them; figures are their PNG file, sized to the page's text width (a figure written only as
SVG or PDF is named, not embedded); the appendix is in landscape, its listings cut to the
rows the HTML shows. Wide tables with few rows are written turned (one row per column),
as the HTML report prints them, so that they fit the page. The core properties and the
zip entries carry the ``SOURCE_DATE_EPOCH`` time (else 2000-01-01), so the same content
gives the same bytes.
"""

from __future__ import annotations

import io
import struct
from typing import Any

from survstat.batch.report_blocks import (
    Block,
    DisplayBlock,
    FigureBlock,
    PairsBlock,
    ReportContent,
    Section,
    TableBlock,
    TextBlock,
)
from survstat.tables.render import add_display, document_bytes, new_document

_NOTE_PT = 8
_TABLE_PT = 7


def _toc_field(document: Any) -> None:
    """A table-of-contents field over heading levels 1-2, and the setting that makes Word
    update fields when the document opens."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = document.add_paragraph()
    run = paragraph.add_run()
    parts = [("begin", None), (None, 'TOC \\o "1-2" \\h \\z \\u'), ("separate", None)]
    for kind, instruction in parts:
        if kind is not None:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = instruction
        run._r.append(element)
    paragraph.add_run("Update the field to show the table of contents.")
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    paragraph.add_run()._r.append(end)
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    document.settings.element.append(update)


def _small(paragraph: Any, size: int = _NOTE_PT, colour: tuple[int, int, int] | None = None) -> Any:
    from docx.shared import Pt, RGBColor

    for run in paragraph.runs:
        run.font.size = Pt(size)
        if colour is not None:
            run.font.color.rgb = RGBColor(*colour)
    return paragraph


def _text(document: Any, block: TextBlock) -> None:
    paragraph = document.add_paragraph(block.text)
    if block.style == "note":
        _small(paragraph, colour=(0x66, 0x66, 0x66))
    elif block.style in ("error", "status-failed"):
        _small(paragraph, 10, (0xB0, 0x00, 0x20))


def _grid(document: Any, header: list[str] | None, rows: list[list[str]], size: int) -> None:
    width = len(header) if header is not None else max((len(r) for r in rows), default=1)
    table = document.add_table(rows=len(rows) + (header is not None), cols=width)
    table.style = "Table Grid"
    lines = ([header] if header is not None else []) + rows
    for cells, texts in zip(table.rows, lines, strict=True):
        for cell, text in zip(cells.cells, texts, strict=True):
            cell.text = text
            _small(cell.paragraphs[0], size)
    if header is not None:
        for cell in table.rows[0].cells:
            for run in cell.paragraphs[0].runs:
                run.font.bold = True


def _table(document: Any, block: TableBlock) -> None:
    if block.wide:
        _grid(document, None, [list(r) for r in block.turned()], _TABLE_PT)
    else:
        _grid(document, list(block.columns), [list(r) for r in block.rows], _TABLE_PT)
    if block.file:
        _text(document, TextBlock(f"file: {block.file}", "note"))


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG image, from its header."""
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _figure(document: Any, block: FigureBlock) -> None:
    if block.png is None:
        _text(document, TextBlock(f"figure not embedded (no PNG): {', '.join(block.files)}"))
        return
    section = document.sections[-1]
    text_width = section.page_width - section.left_margin - section.right_margin
    text_height = section.page_height - section.top_margin - section.bottom_margin
    width, height = _png_size(block.png)
    if text_width * height / width > 0.8 * text_height:
        document.add_picture(io.BytesIO(block.png), height=int(0.8 * text_height))
    else:
        document.add_picture(io.BytesIO(block.png), width=text_width)
    _text(document, TextBlock(f"files: {', '.join(block.files)}", "note"))


def _pairs(document: Any, block: PairsBlock) -> None:
    if block.keys:  # a step's options: the declared help, the value, the job file's key
        for (label, value), key in zip(block.rows, block.keys, strict=True):
            paragraph = document.add_paragraph(style="List Bullet")
            paragraph.add_run(f"{label}: ")
            paragraph.add_run(value).bold = True
            paragraph.add_run(f" ({key})")
            _small(paragraph, 9)
        return
    _grid(document, None, [[k, v] for k, v in block.rows], 9)


def _block(document: Any, block: Block) -> None:
    if isinstance(block, TableBlock):
        _table(document, block)
    elif isinstance(block, DisplayBlock):
        add_display(document, block.display, level=3)
        _text(document, TextBlock(f"from {block.file} (analysis results data)", "note"))
    elif isinstance(block, FigureBlock):
        _figure(document, block)
    elif isinstance(block, PairsBlock):
        _pairs(document, block)
    else:
        _text(document, block)


def _landscape(document: Any) -> None:
    from docx.enum.section import WD_ORIENT, WD_SECTION

    section = document.add_section(WD_SECTION.NEW_PAGE)
    width, height = section.page_width, section.page_height
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = height, width


def _section(document: Any, section: Section, level: int) -> None:
    document.add_heading(section.title, level=level)
    for block in section.blocks:
        _block(document, block)
    for sub in section.subsections:
        _section(document, sub, level + 1)


def render_docx_report(content: ReportContent) -> bytes:
    """The report as a DOCX file's content.

    Parameters
    ----------
    content
        What the report says (:func:`survstat.batch.report_content.report_content`).

    Returns
    -------
    bytes
        The Word document, the same bytes for the same content.
    """
    from docx.enum.section import WD_SECTION

    document = new_document(content.title)
    document.add_heading(content.title, level=0)
    _pairs(document, content.facts)
    document.add_paragraph().add_run("Contents").bold = True
    _toc_field(document)
    for section in content.sections:
        if section.id == "_appendix":
            _landscape(document)
        else:
            document.add_section(WD_SECTION.NEW_PAGE)
        _section(document, section, 1)
    return document_bytes(document)


__all__ = ["render_docx_report"]
