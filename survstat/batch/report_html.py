"""The report as one self-contained HTML file: styles inline, figures as data URIs.

It renders a :class:`~survstat.batch.report_blocks.ReportContent`: the title block, a table
of contents linking every section, then the sections. Wide tables scroll inside their own
box, so the page itself never scrolls sideways; the listings of the appendix are folded in
``<details>``. The print stylesheet unfolds them, drops the scroll boxes (tables shrink and
wrap instead), starts each major section on a new page, keeps tables and figures whole and
prints the address of each external link. The display tables are great_tables' HTML, their
style rules scoped to their own element so that none reaches the rest of the page. No
script, no external reference: the file can be mailed or archived alone, and the same
content gives the same bytes.
"""

from __future__ import annotations

import base64
import html
import re

from survstat.batch.report_blocks import (
    Block,
    DisplayBlock,
    FigureBlock,
    PairsBlock,
    ReportContent,
    Section,
    TableBlock,
)
from survstat.tables.render import render_html

#: The id great_tables gives the display table (survstat.tables.render).
_GT_ID = "survstat-display"
_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 70em; padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; } h2 { font-size: 1.3em; margin-top: 2em; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.05em; margin-top: 1.6em; }
.scroll { overflow-x: auto; max-width: 100%; margin: 0.6em 0; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { padding: 0.2em 0.7em; border-bottom: 1px solid #e4e4e4; vertical-align: top; }
th { text-align: left; background: #f4f4f4; } td.num { text-align: right;
     font-variant-numeric: tabular-nums; white-space: nowrap; }
.meta td:first-child { color: #666; padding-left: 0; }
.error, .status-failed { color: #b00020; } .status-ok { color: #1b6e20; }
code { font-size: 0.9em; } .note { color: #666; font-size: 0.85em; }
figure { margin: 1em 0; } figure img { max-width: 100%; height: auto; }
figcaption { color: #666; font-size: 0.85em; }
nav.toc ol { padding-left: 1.4em; margin: 0.2em 0; } nav.toc li { margin: 0.1em 0; }
dl.options { display: grid; grid-template-columns: minmax(10em, 2fr) 3fr; gap: 0.2em 1em;
             margin: 0.6em 0; font-size: 0.9em; }
dl.options dt { color: #444; } dl.options dd { margin: 0; overflow-wrap: anywhere; }
dl.options code { color: #888; font-size: 0.8em; }
details { margin: 0.6em 0; } details > summary { cursor: pointer; color: #333; }
.display { margin: 1em 0; max-width: 100%; overflow-x: auto; } .turned { display: none; }
@page listings { size: A4 landscape; } #_appendix, #_appendix ~ * { page: listings; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  h2 { break-before: page; } nav.toc h2 { break-before: auto; }
  h2, h3 { break-after: avoid; }
  .scroll, .display, .display > div { overflow: visible !important; }
  .screen { display: none; } .turned { display: block; }
  table { font-size: 7pt; } .scroll table { width: 100%; table-layout: auto; }
  th, td { padding: 0.1em 0.3em; } td { overflow-wrap: anywhere; } td.num { white-space: normal; }
  .display .gt_table { font-size: 8pt !important; }
  .display .gt_row, .display .gt_col_heading { padding-top: 1px !important;
                                                padding-bottom: 1px !important; }
  figure, .display, .keep { break-inside: avoid; } tr { break-inside: avoid; }
  figure img { max-height: 90vh; }
  details::details-content { display: block; content-visibility: visible; }
  details > summary { list-style: none; font-weight: bold; }
  a[href^="http"]::after { content: " (" attr(href) ")"; font-size: 0.85em; }
  nav.toc a { color: inherit; text-decoration: none; }
}
"""
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")


def _esc(value: object) -> str:
    return html.escape(str(value))


def _scoped_display(block: DisplayBlock) -> str:
    """great_tables' HTML of the display, its id made unique in the page and every style
    rule limited to that element (great_tables writes some unscoped, e.g. ``tr { ... }``)."""
    # an id CSS reads as one name: characters other than letters, digits and - (a step
    # name may hold . and _) are written as _<hex>_, which keeps distinct names distinct
    key = re.sub(r"[^A-Za-z0-9-]", lambda m: f"_{ord(m.group()):x}_", block.key)
    scope = f"_display-{key}"
    fragment = render_html(block.display).replace(_GT_ID, scope)

    def scoped(match: re.Match[str]) -> str:
        selectors = [s.strip() for s in match.group(1).split(",")]
        limited = [s if s.startswith(f"#{scope}") else f"#{scope} {s}" for s in selectors if s]
        return f"{', '.join(limited)} {{{match.group(2)}}}\n"

    def restyle(style: re.Match[str]) -> str:
        return f"<style>{_RULE.sub(scoped, style.group(1))}</style>"

    fragment = re.sub(r"<style>(.*?)</style>", restyle, fragment, flags=re.S)
    return (
        f'<div class="display">{fragment}</div>'
        f'<p class="note">from {_esc(block.file)} (analysis results data)</p>'
    )


def _header(name: str) -> str:
    """A column name that may wrap after its underscores (``pfs_<wbr>median``)."""
    return "_<wbr>".join(_esc(part) for part in name.split("_"))


def _cells(row: tuple[str, ...], numeric: tuple[bool, ...]) -> str:
    return "".join(
        f'<td class="num">{_esc(v)}</td>' if num else f"<td>{_esc(v)}</td>"
        for v, num in zip(row, numeric, strict=True)
    )


def _table(block: TableBlock, listing: bool = False) -> str:
    head = "".join(f"<th>{_header(c)}</th>" for c in block.columns)
    rows = "".join(f"<tr>{_cells(row, block.numeric)}</tr>" for row in block.rows)
    kind = "scroll" if listing or block.truncated else "scroll keep"
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    note = f'<p class="note">file: {_esc(block.file)}</p>' if block.file else ""
    if not block.wide:
        return f'<div class="{kind}">{table}</div>{note}'
    # printed turned, one row per column, so that it fits the page
    flags = (False,) + (True,) * len(block.rows)
    turned = "".join(f"<tr>{_cells(row, flags[: len(row)])}</tr>" for row in block.turned())
    return (
        f'<div class="{kind} screen">{table}</div>'
        f'<div class="scroll keep turned"><table><tbody>{turned}</tbody></table></div>{note}'
    )


def _figure(block: FigureBlock) -> str:
    data = base64.b64encode(block.data).decode()
    if block.mime == "application/pdf":
        shown = (
            f'<embed type="application/pdf" width="100%" height="520" '
            f'src="data:application/pdf;base64,{data}">'
        )
    else:
        shown = f'<img alt="{_esc(block.alt)}" src="data:{block.mime};base64,{data}">'
    return f"<figure>{shown}<figcaption>files: {_esc(', '.join(block.files))}</figcaption></figure>"


def _pairs(block: PairsBlock) -> str:
    if block.keys:  # a step's options: the declared help, the value, the job file's key
        items = "".join(
            f"<dt>{_esc(label)} <code>{_esc(key)}</code></dt><dd>{_esc(value)}</dd>"
            for (label, value), key in zip(block.rows, block.keys, strict=True)
        )
        return f'<dl class="options">{items}</dl>' if items else ""
    rows = "".join(f"<tr><td>{_esc(k)}</td><td>{_esc(v)}</td></tr>" for k, v in block.rows)
    return f'<table class="meta">{rows}</table>'


def _block(block: Block, listing: bool) -> str:
    if isinstance(block, TableBlock):
        return _table(block, listing)
    if isinstance(block, DisplayBlock):
        return _scoped_display(block)
    if isinstance(block, FigureBlock):
        return _figure(block)
    if isinstance(block, PairsBlock):
        return _pairs(block)
    style = "" if block.style == "text" else f' class="{block.style}"'
    return f"<p{style}>{_esc(block.text)}</p>"


def _section(section: Section, level: int) -> str:
    heading = f'<h{level} id="{_esc(section.id)}">{_esc(section.title)}</h{level}>'
    blocks = "\n".join(_block(b, section.collapsed) for b in section.blocks)
    subsections = "\n".join(_section(s, level + 1) for s in section.subsections)
    if section.collapsed:
        rows = next((b.total for b in section.blocks if isinstance(b, TableBlock)), 0)
        return (
            f'<details id="{_esc(section.id)}"><summary>{_esc(section.title)} '
            f'<span class="note">({rows} rows)</span></summary>\n{blocks}\n</details>'
        )
    return "\n".join(p for p in (heading, blocks, subsections) if p)


def _toc(sections: tuple[Section, ...]) -> str:
    def items(group: tuple[Section, ...]) -> str:
        return "".join(
            f'<li><a href="#{_esc(s.id)}">{_esc(s.title)}</a>'
            + (f"<ol>{items(s.subsections)}</ol>" if s.subsections else "")
            + "</li>"
            for s in group
        )

    return (
        '<nav class="toc" aria-label="Contents"><h2 id="_contents">Contents</h2>'
        f"<ol>{items(sections)}</ol></nav>"
    )


def render_html_report(content: ReportContent) -> str:
    """The HTML text of the report.

    Parameters
    ----------
    content
        What the report says (:func:`survstat.batch.report_content.report_content`).

    Returns
    -------
    str
        One HTML document with no script and no external reference.
    """
    body = [
        f"<h1>{_esc(content.title)}</h1>",
        _pairs(content.facts),
        _toc(content.sections),
        *(_section(s, 2) for s in content.sections),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_esc(content.title)}</title><style>{_STYLE}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


__all__ = ["render_html_report"]
