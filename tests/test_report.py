"""The job report as a reviewer reads it: its sections in order, the summary's display tables,
parameters as text, listings in the appendix, the DOCX version saying the same things, and
the same bytes on rerun."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import docx
import polars as pl
import pytest
from typer.testing import CliRunner

import survstat
from survstat.batch import load_job, run_job
from survstat.batch.report import render_report, write_report
from survstat.batch.report_blocks import MAX_ROWS
from survstat.batch.report_content import report_content
from survstat.batch.report_inputs import data_cut
from survstat.cli import app
from survstat.errors import InputFormatError, OutputPathError
from survstat.io import read_metadata
from survstat.tables.registry import build_display

EXAMPLES = Path(__file__).parent.parent / "examples"
EPOCH = "1767225600"  # 2026-01-01T00:00:00Z
SECTIONS = ["_summary", "_results", "_methods", "_provenance", "_appendix"]
runner = CliRunner()


class _Page(HTMLParser):
    """The ids, the headings (level, id, text) and the contents' links of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.headings: list[tuple[int, str, str]] = []
        self.links: list[str] = []
        self._heading: list[object] | None = None
        self._in_toc = False

    def handle_starttag(self, tag, attrs):
        attr = dict(attrs)
        if "id" in attr:
            self.ids.append(attr["id"] or "")
        if tag == "nav":
            self._in_toc = True
        if tag == "a" and self._in_toc:
            self.links.append(attr.get("href") or "")
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = [int(tag[1]), attr.get("id") or "", ""]

    def handle_endtag(self, tag):
        if tag == "nav":
            self._in_toc = False
        if re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            level, anchor, text = self._heading
            self.headings.append((int(str(level)), str(anchor), str(text)))
            self._heading = None

    def handle_data(self, data):
        if self._heading is not None:
            self._heading[2] = str(self._heading[2]) + data


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


@pytest.fixture(scope="module")
def breast(tmp_path_factory):
    """The bundled breast cancer job, run once: its job, manifest and HTML report."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        out = tmp_path_factory.mktemp("breast")
        job = load_job(EXAMPLES / "breast_efficacy.toml", output=out)
        manifest = run_job(job)
        html = render_report(job, manifest)
    return job, manifest, html


def _section(html: str, anchor: str) -> str:
    """The HTML of the section whose ``h2`` has id ``anchor``, to the next ``h2``."""
    start = html.index(f'<h2 id="{anchor}">')
    end = html.find("<h2 ", start + 1)
    return html[start : end if end > 0 else len(html)]


# --- structure ----------------------------------------------------------------------------


def test_the_sections_come_in_order_after_the_title_block_and_contents(breast):
    _, _, html = breast
    page = _parse(html)
    top = [(level, anchor) for level, anchor, _ in page.headings if level <= 2]
    assert top == [(1, ""), (2, "_contents")] + [(2, s) for s in SECTIONS]
    # the title block comes before the contents: version, creation time, short hashes
    head = html[: html.index('<nav class="toc"')]
    assert "<h1>Breast cancer trial: efficacy by arm</h1>" in head
    assert f"<td>survstat version</td><td>{survstat.__version__}</td>" in head
    assert "<td>created (UTC)</td><td>2026-01-01T00:00:00+00:00</td>" in head
    assert re.search(r"<td>input subjects</td><td>sha256 [0-9a-f]{12}</td>", head)


def test_the_contents_link_every_section_and_step_in_page_order(breast):
    job, _, html = breast
    page = _parse(html)
    assert len(page.ids) == len(set(page.ids)), "ids are unique"
    anchors = [link.removeprefix("#") for link in page.links]
    assert all(link.startswith("#") for link in page.links)
    assert set(anchors) <= set(page.ids)
    # in the order of the page
    positions = [html.index(f'id="{a}"') for a in anchors]
    assert positions == sorted(positions)
    assert [a for a in anchors if a in SECTIONS] == SECTIONS
    # every step has its own section under Methods and parameters, named by the step
    for step in job.steps:
        assert step.name in anchors


def test_the_summary_leads_with_the_display_tables_then_the_figures(breast):
    _, _, html = breast
    summary = _section(html, "_summary")
    parts = re.findall(r'<h3 id="([^"]+)">', summary)
    assert parts == [
        "_summary-pfs_table",
        "_summary-orr_table",
        "_figure-pfs_km",
        "_figure-pakt_forest",
    ]
    assert summary.count("data:image/png;base64,") == 2
    assert "Time-to-event summary by arm" in summary
    assert "Response rate summary by arm" in summary
    # the summary comes before the appendix's listings
    assert html.index('id="_summary"') < html.index('id="_appendix"')
    assert html.index('id="_summary"') < html.index('id="_listing-derived"')


def test_the_display_in_the_summary_is_the_one_built_from_the_step_s_ard(breast):
    job, _, html = breast
    path = job.output / "pfs_table.parquet"
    display = build_display(
        "table tte",
        pl.read_parquet(path),
        read_metadata(path)["parameters"],
        source="derived.parquet (step derived)",
    )
    summary = _section(html, "_summary")
    for row in display.rows:
        for cell in row.cells:
            assert f">{cell}<" in summary or not cell, (row.label, cell)
    assert "Median (days)" in summary
    assert "182.6 days" in summary
    assert "Source: derived.parquet (step derived)" in summary


def test_the_display_tables_styles_stay_inside_them(breast):
    _, _, html = breast
    body = html.split("</head>", 1)[1]
    styles = re.findall(r"<style>(.*?)</style>", body, re.S)
    assert len(styles) == 2  # table tte and table response
    for style in styles:
        for selectors in re.findall(r"([^{}]+)\{", style):
            for selector in selectors.split(","):
                assert selector.strip().startswith("#_display-"), selector
    assert "survstat-display" not in html


def test_parameters_are_written_as_their_declared_help_and_value(breast):
    _, _, html = breast
    methods = _section(html, "_methods")
    pfs = methods[methods.index('<h3 id="pfs_table">') : methods.index('<h3 id="orr_table">')]
    assert (
        "<dt>Times of the event-free rates and their differences (comma-separated) "
        "<code>timepoints</code></dt><dd>182.625, 365.25</dd>"
    ) in pfs
    assert "<dt>Input table <code>input</code></dt><dd>output of step derived" in pfs
    assert "table tte: Time-to-event summary table per arm (TTET01) as analysis results data" in pfs
    derived = methods[: methods.index('<h3 id="efficacy">')]
    assert "<code>confirm</code></dt><dd>yes</dd>" in derived
    assert "<dd>dataset breast_trial_subjects (input subjects)</dd>" in derived
    # not key=value, not JSON
    assert "timepoints=" not in html
    assert "[182.625" not in methods


def test_listings_are_folded_in_the_appendix_and_marked_as_truncated(breast):
    _, _, html = breast
    appendix = _section(html, "_appendix")
    assert appendix.count("<details") == 2
    derived = appendix[appendix.index('<details id="_listing-derived">') :]
    derived = derived[: derived.index("</details>")]
    assert "derived.parquet: 120 rows; the first 60 are shown (truncated), all are in the file" in (
        derived
    )
    table = derived[: derived.index("derived.counts.parquet")]
    assert table.count("<tr>") == 1 + MAX_ROWS
    # a per-subject table is not among the results
    assert "derived" not in re.findall(r'<h3 id="_result-([^"]+)"', html)


def test_a_table_over_the_row_limit_goes_to_the_appendix(tmp_path):
    survstat.datasets.load("gbsg2").write_parquet(tmp_path / "gbsg2.parquet")
    (tmp_path / "job.toml").write_text(
        '[job]\ntitle = "long"\noutput = "out"\n\n[inputs]\ngbsg2 = "gbsg2.parquet"\n\n'
        '[[step]]\nname = "curve"\nanalysis = "km"\ninput = "gbsg2"\ntime = "time"\n'
        'event = "cens"\n\n[[step]]\nname = "lr"\nanalysis = "logrank"\ninput = "gbsg2"\n'
        'time = "time"\nevent = "cens"\nby = "horTh"\n'
    )
    job = load_job(tmp_path / "job.toml")
    html = render_report(job, run_job(job))
    rows = pl.read_parquet(tmp_path / "out" / "curve.parquet").height
    assert rows > MAX_ROWS
    appendix = _section(html, "_appendix")
    assert f"curve.parquet: {rows} rows; the first {MAX_ROWS} are shown (truncated)" in appendix
    assert re.findall(r'<h3 id="_result-([^"]+)"', html) == ["lr"]
    # with no display table or figure, the summary says so
    assert "this job has no summary tables and no figures" in _section(html, "_summary")


def test_the_subgroups_table_is_in_the_summary_as_its_display(tmp_path):
    survstat.datasets.load("gbsg2").write_parquet(tmp_path / "gbsg2.parquet")
    (tmp_path / "job.toml").write_text(
        '[job]\noutput = "out"\n\n[inputs]\ngbsg2 = "gbsg2.parquet"\n\n'
        '[[step]]\nname = "lr"\nanalysis = "logrank"\ninput = "gbsg2"\ntime = "time"\n'
        'event = "cens"\nby = "horTh"\n\n'
        '[[step]]\nname = "by_grade"\nanalysis = "table subgroups"\ninput = "gbsg2"\n'
        'time = "time"\nevent = "cens"\nby = "horTh"\nreference = "no"\n'
        'subgroups = ["tgrade"]\n'
    )
    job = load_job(tmp_path / "job.toml")
    html = render_report(job, run_job(job))
    assert re.findall(r'<h3 id="([^"]+)"', _section(html, "_summary")) == ["_summary-by_grade"]
    assert re.findall(r'<h3 id="([^"]+)"', _section(html, "_results")) == ["_result-lr"]
    assert "Interaction p-value" in _section(html, "_summary")  # the forest table's display


TABLE_TTE_BY_GRADE = """
[[step]]
name = "t"
analysis = "table tte"
input = "gbsg2"
time = "time"
event = "cens"
by = "horTh"
by_partition = "tgrade"
"""


def test_a_display_step_run_by_partition_has_one_display_per_partition(tmp_path):
    survstat.datasets.load("gbsg2").write_parquet(tmp_path / "gbsg2.parquet")
    (tmp_path / "job.toml").write_text(
        '[job]\noutput = "out"\n\n[inputs]\ngbsg2 = "gbsg2.parquet"\n' + TABLE_TTE_BY_GRADE
    )
    job = load_job(tmp_path / "job.toml")
    html = render_report(job, run_job(job))
    summary = _section(html, "_summary")
    titles = re.findall(r"Time-to-event summary by horTh: tgrade = (I+)", summary)
    assert titles == ["I", "II", "III"]
    assert len(set(re.findall(r'<div id="(_display-[^"]+)"', summary))) == 3


def test_an_ard_without_a_display_is_shown_with_the_reason(tmp_path, monkeypatch):
    import survstat.batch.report_content as content

    def refuse(*args, **kwargs):
        raise InputFormatError("the ARD of `table tte` must have its arm column first")

    monkeypatch.setattr(content, "build_display", refuse)
    survstat.datasets.load("gbsg2").write_parquet(tmp_path / "gbsg2.parquet")
    (tmp_path / "job.toml").write_text(
        '[job]\noutput = "out"\n\n[inputs]\ngbsg2 = "gbsg2.parquet"\n' + TABLE_TTE_BY_GRADE
    )
    job = load_job(tmp_path / "job.toml")
    summary = _section(render_report(job, run_job(job)), "_summary")
    assert (
        '<p class="error">no display: the ARD of `table tte` must have its arm column first</p>'
    ) in summary
    assert "<th>statistic</th>" in summary


def test_other_files_of_a_table_step_are_named_beside_its_display(tmp_path):
    """A table step may also write its display as DOCX or RTF (listed in the manifest): the
    report names them and reads only the Parquet tables."""
    survstat.datasets.load("gbsg2").write_parquet(tmp_path / "gbsg2.parquet")
    step = TABLE_TTE_BY_GRADE.replace('by_partition = "tgrade"\n', "")
    (tmp_path / "job.toml").write_text(
        '[job]\noutput = "out"\n\n[inputs]\ngbsg2 = "gbsg2.parquet"\n' + step
    )
    job = load_job(tmp_path / "job.toml")
    manifest = run_job(job).with_columns(
        pl.col("outputs").list.concat(pl.lit(["t.docx", "t.docx.json"]))
    )
    (tmp_path / "out" / "t.docx").write_bytes(b"PK")
    summary = _section(render_report(job, manifest), "_summary")
    assert '<p class="note">also written: t.docx, t.docx.json</p>' in summary
    assert "Time-to-event summary by horTh" in summary


def test_a_failed_step_is_said_in_the_summary(tmp_path):
    survstat.datasets.load("gbsg2").write_parquet(tmp_path / "gbsg2.parquet")
    (tmp_path / "job.toml").write_text(
        '[job]\noutput = "out"\n\n[inputs]\ngbsg2 = "gbsg2.parquet"\n\n'
        '[[step]]\nname = "lr"\nanalysis = "logrank"\ninput = "gbsg2"\ntime = "time"\n'
        'event = "cens"\nby = "horTh"\n\n'
        '[[step]]\nname = "fig"\nplot = "forest"\ninput = "lr"\nlabel = "no_such_column"\n'
    )
    job = load_job(tmp_path / "job.toml")
    html = render_report(job, run_job(job, continue_on_error=True))
    summary = _section(html, "_summary")
    assert '<p class="error">1 of 2 steps did not finish: fig (failed)' in summary
    methods = _section(html, "_methods")
    assert '<p class="status-failed">status: failed' in methods


# --- data cut -----------------------------------------------------------------------------


def _adsl_job(tmp_path: Path, cut: pl.Series) -> Path:
    gbsg = survstat.datasets.load("gbsg2")
    gbsg.write_parquet(tmp_path / "gbsg2.parquet")
    pl.DataFrame({"USUBJID": [f"S{i}" for i in range(len(cut))], "DCUTDT": cut}).write_parquet(
        tmp_path / "adsl.parquet"
    )
    (tmp_path / "job.toml").write_text(
        '[job]\noutput = "out"\n\n[inputs]\ngbsg2 = "gbsg2.parquet"\nadsl = "adsl.parquet"\n\n'
        '[[step]]\nname = "lr"\nanalysis = "logrank"\ninput = "gbsg2"\ntime = "time"\n'
        'event = "cens"\nby = "horTh"\n'
    )
    return tmp_path / "job.toml"


@pytest.mark.parametrize(
    ("cut", "shown"),
    [
        (pl.Series([dt.date(2026, 6, 30)] * 2), "2026-06-30"),
        (pl.Series([24287.0, 24287.0, None]), "2026-06-30"),  # a SAS date: days from 1960
        (pl.Series(["2026-06-30", "2026-06-30"]), "2026-06-30"),
        (pl.Series(["2026-06-30", "2026-07-31"]), None),  # two cuts: none is shown
    ],
)
def test_the_data_cut_is_the_one_dcutdt_of_the_inputs(tmp_path, cut, shown):
    job = load_job(_adsl_job(tmp_path, cut))
    assert data_cut(job) == shown
    html = render_report(job, run_job(job))
    head = html[: html.index('<nav class="toc"')]
    if shown is None:
        assert "data cut-off" not in head
    else:
        assert f"<td>data cut-off</td><td>{shown}</td>" in head


# --- same bytes, formats ------------------------------------------------------------------


def test_a_rerun_writes_the_same_bytes(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    path = EXAMPLES / "breast_efficacy.toml"
    job = load_job(path, output=tmp_path / "out")
    run_job(job)
    # a report says whether the steps ran or were skipped: every rerun after the first
    # skips them all, and its report is the same bytes
    for name in ("a.html", "a.docx"):
        first = write_report(job, run_job(job), tmp_path / name).read_bytes()
        again = write_report(job, run_job(job), tmp_path / f"b{name}").read_bytes()
        assert first == again, name


def test_a_report_must_be_html_or_docx(tmp_path, breast):
    job, manifest, _ = breast
    with pytest.raises(OutputPathError, match=r"report `.*r\.txt` must end in \.html or \.docx"):
        write_report(job, manifest, tmp_path / "r.txt")
    r = runner.invoke(app, ["report", str(EXAMPLES / "gbsg2.toml"), "-o", str(tmp_path / "r.pdf")])
    assert r.exit_code == 1
    assert "must end in .html or .docx" in r.output
    assert not (tmp_path / "r.pdf").exists()


def test_job_report_may_name_a_docx_file(tmp_path):
    survstat.datasets.load("gbsg2").write_parquet(tmp_path / "gbsg2.parquet")
    (tmp_path / "job.toml").write_text(
        '[job]\noutput = "out"\nreport = "report.docx"\n\n[inputs]\ngbsg2 = "gbsg2.parquet"\n\n'
        '[[step]]\nname = "lr"\nanalysis = "logrank"\ninput = "gbsg2"\ntime = "time"\n'
        'event = "cens"\nby = "horTh"\n'
    )
    r = runner.invoke(app, ["run", str(tmp_path / "job.toml"), "-q"])
    assert r.exit_code == 0, r.output
    document = docx.Document(str(tmp_path / "out" / "report.docx"))
    assert document.paragraphs[0].text == "job"


# --- DOCX ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def breast_docx(breast, tmp_path_factory):
    job, manifest, _ = breast
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        path = write_report(job, manifest, tmp_path_factory.mktemp("docx") / "report.docx")
    return path


def test_the_docx_has_the_html_report_s_headings_in_order(breast, breast_docx):
    job, manifest, html = breast
    document = docx.Document(str(breast_docx))
    headings = [
        (p.style.name, p.text)
        for p in document.paragraphs
        if p.style is not None and p.style.name in ("Title", "Heading 1", "Heading 2")
    ]
    content = report_content(job, manifest)
    want = [("Title", content.title)]
    for section in content.sections:
        want.append(("Heading 1", section.title))
        want += [("Heading 2", sub.title) for sub in section.subsections]
    assert headings == want
    assert [t for _, t in want if _ == "Heading 1"] == [
        "Summary",
        "Results",
        "Methods and parameters",
        "Inputs and provenance",
        "Appendix: listings",
    ]
    # the HTML says the same: its h2 and h3 titles in the same order (the appendix's
    # listings are folded, their titles in <summary>)
    page = _parse(html)
    titles = [t for level, _, t in page.headings if level in (2, 3) and t != "Contents"]
    assert [t for s, t in want if s != "Title"][: len(titles)] == titles
    assert [t for s, t in want[-2:]] == ["derived (recist derive)", "pcr (recist pcr)"]


def test_the_docx_carries_the_display_numbers_pictures_and_a_contents_field(breast, breast_docx):
    job, _, _ = breast
    document = docx.Document(str(breast_docx))
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    path = job.output / "pfs_table.parquet"
    display = build_display(
        "table tte", pl.read_parquet(path), read_metadata(path)["parameters"], source=None
    )
    for row in display.rows:
        assert row.label in cells
        assert set(row.cells) <= cells
    assert len(document.inline_shapes) == 2  # the two PNG figures
    section = document.sections[0]
    text_width = section.page_width - section.left_margin - section.right_margin
    assert all(shape.width <= text_width for shape in document.inline_shapes)
    with zipfile.ZipFile(io.BytesIO(breast_docx.read_bytes())) as archive:
        body = archive.read("word/document.xml").decode()
        settings = archive.read("word/settings.xml").decode()
        times = {info.date_time for info in archive.infolist()}
    assert 'TOC \\o "1-2" \\h \\z \\u' in body
    assert "updateFields" in settings
    assert times == {(2026, 1, 1, 0, 0, 0)}
    # the appendix is landscape and its listing says it is truncated
    assert document.sections[-1].page_width > document.sections[-1].page_height
    texts = [p.text for p in document.paragraphs]
    assert any("120 rows; the first 60 are shown (truncated)" in t for t in texts)
