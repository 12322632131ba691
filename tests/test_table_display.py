"""The display of the time-to-event summary table: layout and formatting from a hand-built ARD,
each renderer's file read back, the command line's display outputs and byte-identical reruns."""

from __future__ import annotations

import hashlib
import html.parser
import json
import re
import zipfile
from pathlib import Path

import docx
import polars as pl
import pytest
from typer.testing import CliRunner

import survstat
from survstat.cli import app
from survstat.errors import ColumnNotFoundError, InputFormatError, OutputPathError
from survstat.tables import tte_table
from survstat.tables.display import (
    DisplayRow,
    DisplayTable,
    format_number,
    population_line,
    run_display,
    tte_display,
)
from survstat.tables.render import (
    DISPLAY_OUTPUTS,
    render_docx,
    render_html,
    render_latex,
    render_rtf,
    write_display,
)

runner = CliRunner()
_SCHEMA = {
    "arm": pl.String,
    "statistic": pl.String,
    "time": pl.Float64,
    "estimate": pl.Float64,
    "std_error": pl.Float64,
    "conf_low": pl.Float64,
    "conf_high": pl.Float64,
    "censored": pl.Boolean,
    "note": pl.String,
}
_MEDIAN_NOTE = "upper confidence limit not reached: the upper confidence curve stays above 0.5"
_Q3_NOTE = "q3 not reached: the survival curve stays above 0.25"


def _r(arm, statistic, estimate, *, time=None, low=None, high=None, censored=None, note=None):
    return {
        "arm": arm,
        "statistic": statistic,
        "time": time,
        "estimate": estimate,
        "std_error": None,
        "conf_low": low,
        "conf_high": high,
        "censored": censored,
        "note": note,
    }


def _ard(*, stratified: bool = False) -> pl.DataFrame:
    """A hand-built ARD of two arms: A (reference) with an upper limit and q3 not reached."""
    rows = [
        _r("A", "n", 10.0),
        _r("A", "n_event", 4.0),
        _r("A", "n_censor", 6.0),
        _r("A", "median", 12.34, low=5.0, note=_MEDIAN_NOTE),
        _r("A", "q1", 3.0, low=1.0, high=6.0),
        _r("A", "q3", None, low=9.0, note=_Q3_NOTE),
        _r("A", "min_time", 1.0, censored=False),
        _r("A", "max_time", 30.0, censored=True),
        _r("A", "n_risk", 7.0, time=6.0),
        _r("A", "event_free_rate", 0.81234, time=6.0, low=0.5, high=0.95),
        _r("B", "n", 12.0),
        _r("B", "n_event", 12.0),
        _r("B", "n_censor", 0.0),
        _r("B", "median", 5.55, low=2.0, high=8.0),
        _r("B", "q1", 2.5, low=1.0, high=4.0),
        _r("B", "q3", 9.0, low=7.0, high=12.0),
        _r("B", "min_time", 0.5, censored=False),
        _r("B", "max_time", 20.0, censored=False),
        _r("B", "n_risk", 5.0, time=6.0),
        _r("B", "event_free_rate", 0.5, time=6.0, low=0.25, high=0.7),
        _r("B", "event_free_rate_difference", -0.31234, time=6.0, low=-0.6, high=-0.02),
        _r("B", "hazard_ratio", 2.346, low=1.1, high=5.0),
        _r("B", "logrank_p_value", 0.00001234),
    ]
    if stratified:
        rows += [
            _r("B", "hazard_ratio_stratified", 2.0, low=0.9, high=4.444),
            _r("B", "logrank_p_value_stratified", 0.04567),
        ]
    return pl.from_dicts(rows, schema=_SCHEMA)


def _cells(display: DisplayTable) -> dict[str, list[tuple[str, ...]]]:
    out: dict[str, list[tuple[str, ...]]] = {}
    for row in display.rows:
        out.setdefault(row.label, []).append(row.cells)
    return out


# --- formatting rules --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [
        (12.0, "count", "12"),
        (46.55, "percent", "46.5"),  # 46.55 is 46.5499... in binary
        (1528.0, "time", "1528.0"),
        (0.81234, "rate", "81.2"),
        (-0.00001, "rate", "0.0"),  # no "-0.0"
        (2.346, "hazard_ratio", "2.35"),
        (0.03456, "p_value", "0.0346"),
        (0.0001, "p_value", "0.0001"),
        (0.00009999, "p_value", "<0.0001"),
        (0.0, "p_value", "<0.0001"),
        (None, "time", "NE"),
        (None, "p_value", "NE"),
    ],
)
def test_format_number(value, kind, text):
    assert format_number(value, kind) == text


def test_layout_follows_ttet01():
    d = tte_display(_ard())
    assert d.columns == ("A (N=10)", "B (N=12)")
    assert [(r.label, r.indent) for r in d.rows] == [
        ("Patients with event (%)", 0),
        ("Patients censored (%)", 0),
        ("Time to event", 0),
        ("Median", 1),
        ("95% CI", 2),
        ("25% and 75% percentiles", 1),
        ("Range", 1),
        ("Unstratified analysis", 0),
        ("p-value (log-rank)", 1),
        ("Hazard ratio", 1),
        ("95% CI", 2),
        ("Time 6", 0),
        ("Patients remaining at risk", 1),
        ("Event-free rate (%)", 1),
        ("95% CI", 2),
        ("Difference in event-free rate (%)", 1),
        ("95% CI", 2),
    ]
    cells = _cells(d)
    assert cells["Patients with event (%)"] == [("4 (40.0%)", "12 (100.0%)")]
    assert cells["Patients censored (%)"] == [("6 (60.0%)", "0 (0.0%)")]
    assert cells["Median"] == [("12.3 [1]", "5.5")]  # 5.55 is 5.5499... in binary
    assert cells["95% CI"][0] == ("(5.0, NE)", "(2.0, 8.0)")
    assert cells["25% and 75% percentiles"] == [("3.0, NE [2]", "2.5, 9.0")]
    assert cells["Range"] == [("1.0 to 30.0+", "0.5 to 20.0")]
    assert cells["p-value (log-rank)"] == [("", "<0.0001")]
    assert cells["Hazard ratio"] == [("", "2.35")]
    assert cells["95% CI"][1] == ("", "(1.10, 5.00)")
    assert cells["Patients remaining at risk"] == [("7", "5")]
    assert cells["Event-free rate (%)"] == [("81.2", "50.0")]
    assert cells["95% CI"][2] == ("(50.0, 95.0)", "(25.0, 70.0)")
    assert cells["Difference in event-free rate (%)"] == [("", "-31.2")]
    assert cells["95% CI"][3] == ("", "(-60.0, -2.0)")


def test_ne_cells_have_their_note_as_a_footnote():
    d = tte_display(_ard())
    assert d.footnotes[0] == f"[1] A: {_MEDIAN_NOTE}"
    assert d.footnotes[1] == f"[2] A: {_Q3_NOTE}"
    assert not any(f.startswith("[3]") for f in d.footnotes)


def test_stratified_analysis_only_when_in_the_ard():
    assert "Stratified analysis" not in _cells(tte_display(_ard()))
    cells = _cells(tte_display(_ard(stratified=True)))
    assert cells["p-value (log-rank)"] == [("", "<0.0001"), ("", "0.0457")]
    assert cells["Hazard ratio"] == [("", "2.35"), ("", "2.00")]
    assert cells["95% CI"][2] == ("", "(0.90, 4.44)")


def test_title_population_and_method_footnotes():
    d = tte_display(
        _ard(), conf_type="plain", conf_level=0.9, population="ITT population (ITTFL = Y)",
        source="adtte.xpt",
    )  # fmt: skip
    assert d.title == "Time-to-event summary by arm"
    assert d.population == "ITT population (ITTFL = Y)"
    assert "90% CI" in _cells(d)
    methods = " ".join(d.footnotes[2:])
    assert "Kaplan-Meier" in methods
    assert "plain (linear) transform" in methods
    assert "90% CIs" in methods
    assert "Cox proportional hazards model (Efron ties)" in methods
    assert "log-rank" in methods
    assert "Reference arm: A." in methods
    assert d.footnotes[-1] == "Source: adtte.xpt"


@pytest.mark.parametrize(
    ("flag", "line"),
    [
        ("ITTFL", "ITT population (ITTFL = Y)"),
        ("SAFFL", "Safety population (SAFFL = Y)"),
        ("MYFL", "Population: MYFL = Y"),
        (None, None),
    ],
)
def test_population_line(flag, line):
    assert population_line(flag) == line


def test_run_display_reads_the_recorded_options():
    params = {"param": "PFS", "population": "ITTFL", "conf_type": "log", "conf_level": 0.9}
    d = run_display(_ard(), params, source="x.xpt")
    assert d.title == "PFS: time-to-event summary by arm"
    assert d.population == "ITT population (ITTFL = Y)"
    assert "90% CI" in _cells(d)


@pytest.mark.parametrize(
    ("unit", "time", "heading"),
    [
        ("months", 6.0, "6 months"),
        ("days", 182.625, "182.6 days"),
        ("years", 1.0, "1 year"),
        ("weeks", 26.0, "26 weeks"),
    ],
)
def test_time_unit_labels_the_timepoints_and_the_median(unit, time, heading):
    ard = _ard().with_columns(time=pl.when(pl.col("time").is_not_null()).then(time))
    d = tte_display(ard, time_unit=unit)
    labels = [r.label for r in d.rows]
    assert heading in labels
    assert f"Median ({unit})" in labels
    assert not any(label.startswith("Time ") for label in labels if label != "Time to event")
    # the labels only: the cells are the same numbers
    assert _cells(d)["Event-free rate (%)"] == [("81.2", "50.0")]


def test_without_time_unit_the_timepoints_read_time():
    d = tte_display(_ard().with_columns(time=pl.col("time") * 30.4375))
    labels = [r.label for r in d.rows]
    assert "Time 182.625" in labels
    assert "Median" in labels


def test_an_ard_without_n_risk_has_no_at_risk_row():
    d = tte_display(_ard().filter(pl.col("statistic") != "n_risk"))
    assert "Patients remaining at risk" not in _cells(d)


def test_run_display_reads_the_time_unit():
    d = run_display(_ard(), {"time_unit": "months"})
    assert "6 months" in [r.label for r in d.rows]
    assert "Median (months)" in [r.label for r in d.rows]


def test_a_table_that_is_not_the_ard_is_an_error():
    with pytest.raises(ColumnNotFoundError, match="column `statistic` not found in the ARD"):
        tte_display(pl.DataFrame({"arm": ["A"], "estimate": [1.0]}))
    with pytest.raises(InputFormatError, match="must have its arm column first"):
        tte_display(_ard().select("statistic", *[c for c in _ard().columns if c != "statistic"]))


def test_display_of_a_computed_table_shows_the_ard_values():
    t = tte_table(survstat.datasets.load("gbsg2"), time="time", event="cens", by="horTh",
                  reference="no", timepoints=[365.25])  # fmt: skip
    ard = t.ard
    cells = _cells(tte_display(ard))
    hr = ard.filter(statistic="hazard_ratio").row(0, named=True)
    assert cells["Hazard ratio"] == [("", f"{hr['estimate']:.2f}")]
    assert cells["95% CI"][1] == ("", f"({hr['conf_low']:.2f}, {hr['conf_high']:.2f})")
    rate = ard.filter(statistic="event_free_rate", horTh="yes").row(0, named=True)
    assert cells["Event-free rate (%)"][0][1] == f"{100 * rate['estimate']:.1f}"
    # patients at risk: the Kaplan-Meier fit's (R-checked) n_risk at the timepoint
    km = survstat.kaplan_meier(survstat.datasets.load("gbsg2"), time="time", event="cens",
                               by="horTh").at([365.25])  # fmt: skip
    n_risk = {r["horTh"]: f"{r['n_risk']:.0f}" for r in km.iter_rows(named=True)}
    assert cells["Patients remaining at risk"] == [(n_risk["no"], n_risk["yes"])]


# --- renderers: the file read back holds every cell -------------------------------------


def _all_cell_texts(d: DisplayTable) -> set[str]:
    texts = {c for r in d.rows for c in r.cells if c} | set(d.columns)
    return texts | {r.label for r in d.rows}


class _Text(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self._in_cell = False

    def handle_starttag(self, tag, attrs):
        if tag in ("td", "th"):
            self._in_cell = True
            self.cells.append("")

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._in_cell = False

    def handle_data(self, data):
        if self._in_cell:
            self.cells[-1] += data


def test_html_cells_read_back():
    d = tte_display(_ard(), population="ITT population (ITTFL = Y)")
    parser = _Text()
    parser.feed(render_html(d))
    cells = {c.strip() for c in parser.cells}
    assert _all_cell_texts(d) <= cells
    assert d.title in cells
    assert "ITT population (ITTFL = Y)" in cells
    assert all(f in cells for f in d.footnotes)


def test_latex_holds_the_numbers():
    text = render_latex(tte_display(_ard()))
    cells = ("4 (40.0\\%)", "12.3 [1]", "(5.0, NE)", "1.0 to 30.0+", "\\textless{}0.0001")
    for cell in (*cells, "2.35"):
        assert cell in text


def _rtf_text(rtf: str) -> str:
    """A minimal RTF reader: drop groups' control words and braces, keep the text."""
    text = re.sub(r"\\'([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), rtf)
    text = re.sub(r"\\[a-z]+-?\d* ?", " ", text)
    return re.sub(r"[{}]", "", text)


def test_rtf_holds_the_numbers():
    d = tte_display(_ard())
    rtf = render_rtf(d)
    assert rtf.startswith("{\\rtf1")
    text = " ".join(_rtf_text(rtf).split())
    for cell in ("4 (40.0%)", "12.3 [1]", "(5.0, NE)", "1.0 to 30.0+", "2.35", "(1.10, 5.00)"):
        assert cell in text
    assert "Reference arm: A." in text


def test_rtf_prints_plain_text_as_written():
    # arm labels, file names and symbols are plain text, not markup: no subscript from "_",
    # no superscript from "^", and RTF's own special characters escaped
    d = DisplayTable(
        title="AE_SUMMARY x^2",
        population="Safety {SAFFL = Y}",
        columns=("ARM_A (N=40)", "back\\slash"),
        rows=(DisplayRow("Grade \u2265 3_4", ("1 (2.5%)", "{0}"), 0),),
        footnotes=("Source: dataset ipatasertib_adae",),
    )
    rtf = render_rtf(d)
    assert "\\sub" not in rtf
    assert "\\super" not in rtf
    for plain in ("AE_SUMMARY x^2", "ARM_A (N=40)", "dataset ipatasertib_adae", "3_4"):
        assert plain in rtf
    assert "Safety \\{SAFFL = Y\\}" in rtf
    assert "\\{0\\}" in rtf
    assert "back\\\\slash" in rtf


def test_docx_cells_read_back(tmp_path):
    d = tte_display(_ard(), population="ITT population (ITTFL = Y)")
    path = write_display(d, tmp_path / "t.docx")
    doc = docx.Document(str(path))
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["", *d.columns]
    for i, row in enumerate(d.rows, 1):
        assert [c.text for c in table.rows[i].cells] == [row.label, *row.cells]
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[:2] == [d.title, "ITT population (ITTFL = Y)"]
    assert paragraphs[2:] == list(d.footnotes)


def _xlsx_strings(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/sharedStrings.xml").decode()
    return [html.unescape(s) for s in re.findall(r"<t[^>]*>([^<]*)</t>", xml)]


def test_xlsx_cells_read_back(tmp_path):
    d = tte_display(_ard())
    strings = _xlsx_strings(write_display(d, tmp_path / "t.xlsx"))
    assert {s.strip() for s in strings} >= _all_cell_texts(d) | {d.title, *d.footnotes}


@pytest.mark.parametrize("suffix", DISPLAY_OUTPUTS)
def test_rerun_gives_the_same_bytes(tmp_path, suffix):
    d = tte_display(_ard())
    first = write_display(d, tmp_path / f"a{suffix}").read_bytes()
    second = write_display(d, tmp_path / f"b{suffix}").read_bytes()
    assert first == second


def test_docx_times_are_pinned_to_source_date_epoch(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    path = tmp_path / "t.docx"
    path.write_bytes(render_docx(tte_display(_ard())))
    props = docx.Document(str(path)).core_properties
    assert props.created is not None
    assert props.created.year == 2023
    with zipfile.ZipFile(path) as z:
        assert {i.date_time[:3] for i in z.infolist()} == {(2023, 11, 14)}


def test_write_display_other_suffix_is_an_error(tmp_path):
    with pytest.raises(OutputPathError, match=r"must end in \.html, \.tex, \.rtf"):
        write_display(tte_display(_ard()), tmp_path / "t.pdf")


# --- command line ------------------------------------------------------------------------


def _args(tmp_path: Path, out: Path) -> list[str]:
    adtte, adsl = tmp_path / "adtte.parquet", tmp_path / "adsl.parquet"
    if not adtte.exists():
        survstat.datasets.load("breast_trial_adtte").write_parquet(adtte)
        survstat.datasets.load("breast_trial_adsl").write_parquet(adsl)
    args = ["table", "tte", str(adtte), "--param", "PFS", "--adsl", str(adsl)]
    args += ["--population", "ITTFL", "--by", "TRT01P"]
    args += ["--reference", "B: aromatase inhibitor + AKTi", "--timepoints", "182.625,365.25"]
    return [*args, "-o", str(out)]


@pytest.mark.parametrize("suffix", DISPLAY_OUTPUTS)
def test_cli_writes_the_display_with_provenance(tmp_path, suffix):
    out = tmp_path / f"pfs_table{suffix}"
    r = runner.invoke(app, _args(tmp_path, out))
    assert r.exit_code == 0, r.output
    first = out.read_bytes()
    record = json.loads(Path(f"{out}.json").read_text())
    assert record["file"] == out.name
    assert record["sha256"] == hashlib.sha256(first).hexdigest()
    assert record["survstat"]["analysis"] == "table tte"
    assert record["survstat"]["parameters"]["population"] == "ITTFL"
    r = runner.invoke(app, _args(tmp_path, out))
    assert r.exit_code == 0, r.output
    assert out.read_bytes() == first


def test_cli_docx_shows_the_ard_numbers(tmp_path):
    r = runner.invoke(app, _args(tmp_path, tmp_path / "pfs.parquet"))
    assert r.exit_code == 0, r.output
    ard = pl.read_parquet(tmp_path / "pfs.parquet")
    r = runner.invoke(app, _args(tmp_path, tmp_path / "pfs.docx"))
    assert r.exit_code == 0, r.output
    doc = docx.Document(str(tmp_path / "pfs.docx"))
    assert doc.paragraphs[0].text == "PFS: time-to-event summary by TRT01P"
    assert doc.paragraphs[1].text == "ITT population (ITTFL = Y)"
    rows = {
        row.cells[0].text.strip(): [c.text for c in row.cells[1:]] for row in doc.tables[0].rows
    }
    hr = ard.filter(statistic="hazard_ratio").get_column("estimate").to_list()
    assert rows["Hazard ratio"] == ["", *(f"{v:.2f}" for v in hr)]
    n = ard.filter(statistic="n").get_column("estimate").to_list()
    header = [c.text for c in doc.tables[0].rows[0].cells][1:]
    assert [int(re.search(r"N=(\d+)", h).group(1)) for h in header] == n  # type: ignore[union-attr]


def test_cli_time_unit_labels_the_display_and_is_recorded(tmp_path):
    out = tmp_path / "pfs.docx"
    r = runner.invoke(app, [*_args(tmp_path, out), "--time-unit", "days"])
    assert r.exit_code == 0, r.output
    record = json.loads(Path(f"{out}.json").read_text())
    assert record["survstat"]["parameters"]["time_unit"] == "days"
    labels = [row.cells[0].text.strip() for row in docx.Document(str(out)).tables[0].rows]
    assert "182.6 days" in labels
    assert "365.2 days" in labels  # 365.25 to one decimal, half to even
    assert "Median (days)" in labels
    r = runner.invoke(app, [*_args(tmp_path, tmp_path / "pfs.parquet"), "--time-unit", "days"])
    assert r.exit_code == 0, r.output
    ard = pl.read_parquet(tmp_path / "pfs.parquet")
    assert "time_unit" not in ard.columns
    rows = [row for row in docx.Document(str(out)).tables[0].rows]
    at_risk = [[c.text for c in row.cells[1:]] for row in rows
               if row.cells[0].text.strip() == "Patients remaining at risk"]  # fmt: skip
    n_risk = ard.filter(statistic="n_risk", time=182.625).get_column("estimate").to_list()
    assert at_risk[0] == [f"{v:.0f}" for v in n_risk]


def test_cli_time_unit_is_checked():
    r = runner.invoke(app, ["table", "tte", "x.parquet", "--by", "a", "--time-unit", "decades"])
    assert r.exit_code != 0
    assert "decades" in r.output


def test_cli_other_suffix_is_a_one_line_error(tmp_path):
    r = runner.invoke(app, _args(tmp_path, tmp_path / "pfs.pdf"))
    assert r.exit_code == 1
    assert (
        "must end in .parquet or .xpt or .csv or .html or .tex or .rtf or .docx or .xlsx"
        in r.output
    )
    assert len(r.output.strip().splitlines()) == 1
    assert not (tmp_path / "pfs.pdf").exists()


def test_cli_display_only_for_table_tte(tmp_path):
    survstat.datasets.load("gbsg2").write_parquet(tmp_path / "gbsg2.parquet")
    out = tmp_path / "km.docx"
    r = runner.invoke(app, ["km", str(tmp_path / "gbsg2.parquet"), "--time", "time",
                            "--event", "cens", "-o", str(out)])  # fmt: skip
    assert r.exit_code == 1
    assert not out.exists()
