"""The pieces a report is made of: sections of headings and blocks (tables, displays,
figures, text, label-value pairs), which :mod:`survstat.batch.report_content` fills and
:mod:`survstat.batch.report_html` and :mod:`survstat.batch.report_docx` render."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from survstat.tables.display import DisplayTable

#: Rows of a table shown in the report; longer tables go to the appendix, cut to this many.
MAX_ROWS = 60
#: A table with more columns than this and no more rows is printed turned (one row per
#: column), so that it fits the page.
WIDE_COLUMNS = 10


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


__all__ = [
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
]
