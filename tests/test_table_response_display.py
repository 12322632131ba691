"""The display of the response-rate table (RSPT01): layout from a hand-built ARD, each
renderer's file read back, and ``table response -o OUT.docx`` on the bundled trial."""

from __future__ import annotations

import hashlib
import html
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
from survstat.errors import ColumnNotFoundError, InputFormatError
from survstat.tables import response_table
from survstat.tables.display import DisplayTable
from survstat.tables.render import (
    DISPLAY_OUTPUTS,
    render_html,
    render_latex,
    render_rtf,
    write_display,
)
from survstat.tables.response_display import response_display, run_response_display

runner = CliRunner()
REF = "B: aromatase inhibitor + AKTi"
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
    "category": pl.String,
}
_OR_NOTE = "no responders in arm 'A': odds ratio not estimable"


def _r(arm, statistic, estimate, *, low=None, high=None, note=None, category=None):
    return {
        "arm": arm,
        "statistic": statistic,
        "time": None,
        "estimate": estimate,
        "std_error": None,
        "conf_low": low,
        "conf_high": high,
        "censored": None,
        "note": note,
        "category": category,
    }


def _ard(*, stratified: bool = False) -> pl.DataFrame:
    """A hand-built ARD of two arms: A (reference, 20 patients), B (25 patients)."""
    rows = [
        _r("A", "n", 20.0),
        _r("A", "n_responders", 5.0),
        _r("A", "rate", 0.25, low=0.0866, high=0.491),
        _r("A", "category_n", 1.0, category="CR"),
        _r("A", "category_rate", 0.05, low=0.00127, high=0.2487, category="CR"),
        _r("A", "category_n", 4.0, category="PR"),
        _r("A", "category_rate", 0.2, low=0.0573, high=0.4366, category="PR"),
        _r("A", "category_n", 15.0, category="PD"),
        _r("A", "category_rate", 0.75, low=0.509, high=0.9134, category="PD"),
        _r("A", "category_n", 0.0, category=None),
        _r("A", "category_rate", 0.0, low=0.0, high=0.1684, category=None),
        _r("B", "n", 25.0),
        _r("B", "n_responders", 15.0),
        _r("B", "rate", 0.6, low=0.3867, high=0.7887),
        _r("B", "rate_difference", 0.35, low=0.0621, high=0.5713),
        _r("B", "odds_ratio", 4.35678, low=1.0123, high=21.5, note=None),
        _r("B", "p_value", 0.03123),
    ]
    if stratified:
        rows += [
            _r("B", "rate_difference_stratified", 0.3333, low=0.05, high=0.61666),
            _r("B", "odds_ratio_stratified", None, note=_OR_NOTE),
            _r("B", "p_value_stratified", 0.00004),
        ]
    rows += [
        _r("B", "category_n", 3.0, category="CR"),
        _r("B", "category_rate", 0.12, low=0.0255, high=0.3122, category="CR"),
        _r("B", "category_n", 12.0, category="PR"),
        _r("B", "category_rate", 0.48, low=0.2780, high=0.6869, category="PR"),
        _r("B", "category_n", 9.0, category="PD"),
        _r("B", "category_rate", 0.36, low=0.1797, high=0.5748, category="PD"),
        _r("B", "category_n", 1.0, category=None),
        _r("B", "category_rate", 0.04, low=0.001, high=0.2035, category=None),
    ]
    return pl.from_dicts(rows, schema=_SCHEMA)


def _cells(display: DisplayTable) -> dict[str, list[tuple[str, ...]]]:
    out: dict[str, list[tuple[str, ...]]] = {}
    for row in display.rows:
        out.setdefault(row.label, []).append(row.cells)
    return out


def test_layout_follows_rspt01():
    d = response_display(_ard())
    assert d.title == "Response rate summary by arm"
    assert d.columns == ("A (N=20)", "B (N=25)")
    assert [(r.label, r.indent) for r in d.rows] == [
        ("Responders", 0),
        ("95% CI", 1),
        ("Unstratified analysis", 0),
        ("Difference in response rate (%)", 1),
        ("95% CI", 2),
        ("p-value (Fisher's exact test)", 1),
        ("Odds ratio", 1),
        ("95% CI", 2),
        ("Best overall response", 0),
        ("Complete response (CR)", 1),
        ("95% CI", 2),
        ("Partial response (PR)", 1),
        ("95% CI", 2),
        ("Progressive disease (PD)", 1),
        ("95% CI", 2),
        ("Missing", 1),
        ("95% CI", 2),
    ]
    cells = _cells(d)
    assert cells["Responders"] == [("5 (25.0%)", "15 (60.0%)")]
    assert cells["95% CI"][0] == ("(8.7, 49.1)", "(38.7, 78.9)")
    assert cells["Difference in response rate (%)"] == [("", "35.0")]
    assert cells["95% CI"][1] == ("", "(6.2, 57.1)")
    assert cells["p-value (Fisher's exact test)"] == [("", "0.0312")]
    assert cells["Odds ratio"] == [("", "4.36")]
    assert cells["95% CI"][2] == ("", "(1.01, 21.50)")
    assert cells["Complete response (CR)"] == [("1 (5.0%)", "3 (12.0%)")]
    assert cells["95% CI"][3] == ("(0.1, 24.9)", "(2.5, 31.2)")
    assert cells["Missing"] == [("0 (0.0%)", "1 (4.0%)")]


def test_methods_are_named_in_the_footnotes():
    d = response_display(_ard(), methods={"method": "wilson", "difference_method": "newcombe"})
    notes = " ".join(d.footnotes)
    assert "95% CIs by the Wilson method" in notes
    assert "Newcombe method" in notes
    assert "odds ratio: conditional maximum likelihood" in notes
    assert "Reference arm: A." in notes
    assert "Stratified analysis" not in notes
    d = response_display(_ard(), methods={"test": "chi-square"}, conf_level=0.9)
    assert "p-value (chi-square test with continuity correction)" in _cells(d)
    assert "90% CI" in _cells(d)


def test_stratified_rows_and_ne_footnote():
    d = response_display(_ard(stratified=True), source="adrs.xpt")
    cells = _cells(d)
    assert "Stratified analysis" in cells
    assert cells["Difference in response rate (%)"] == [("", "35.0"), ("", "33.3")]
    assert cells["Odds ratio"] == [("", "4.36"), ("", "NE [1]")]
    assert cells["p-value (Cochran-Mantel-Haenszel test with continuity correction)"] == [
        ("", "<0.0001")
    ]
    assert d.footnotes[0] == f"[1] B: {_OR_NOTE}"
    assert any(
        f.startswith("Stratified analysis: difference by Mantel-Haenszel") for f in d.footnotes
    )
    assert d.footnotes[-1] == "Source: adrs.xpt"


def test_run_response_display_reads_the_recorded_options():
    params = {"param": "CBOR", "population": "ITTFL", "method": "jeffreys", "conf_level": 0.9}
    d = run_response_display(_ard(), params, source="x.xpt")
    assert d.title == "CBOR: response rate summary by arm"
    assert d.population == "ITT population (ITTFL = Y)"
    assert "90% CIs by the Jeffreys method" in d.footnotes[0]


def test_a_table_that_is_not_the_response_ard_is_an_error():
    with pytest.raises(ColumnNotFoundError, match="column `category` not found in the ARD"):
        response_display(_ard().drop("category"))
    with pytest.raises(InputFormatError, match="must have its arm column first"):
        response_display(_ard().select("statistic", pl.exclude("statistic")))


def test_display_of_a_computed_table_shows_the_ard_values():
    df = pl.DataFrame({"bor": ["PR"] * 13 + ["SD"] * 11 + ["CR"] * 5 + ["PD"] * 17,
                       "arm": ["new"] * 24 + ["ctl"] * 22})  # fmt: skip
    ard = response_table(df, by="arm", response="bor", responder_values=["CR", "PR"],
                         reference="ctl").ard  # fmt: skip
    cells = _cells(response_display(ard))
    odds = ard.filter(statistic="odds_ratio").row(0, named=True)
    assert cells["Odds ratio"] == [("", f"{odds['estimate']:.2f}")]
    p = ard.filter(statistic="p_value").get_column("estimate").item()
    assert cells["p-value (Fisher's exact test)"] == [("", f"{p:.4f}")]
    assert cells["Stable disease (SD)"] == [("0 (0.0%)", "11 (45.8%)")]
    assert cells["Not evaluable (NE)"] == [("0 (0.0%)", "0 (0.0%)")]


# --- renderers: the file read back holds the ARD's numbers --------------------------------

_NUMBERS = ("5 (25.0%)", "15 (60.0%)", "(6.2, 57.1)", "4.36", "(1.01, 21.50)", "0.0312")


def test_html_latex_rtf_hold_the_numbers():
    d = response_display(_ard())
    page = html.unescape(render_html(d))
    latex = render_latex(d)
    rtf = render_rtf(d)
    rtf_text = " ".join(
        re.sub(r"[{}]", "", re.sub(r"\\[a-z]+-?\d* ?", " ", rtf.replace("\\'27", "'"))).split()
    )
    for cell in _NUMBERS:
        assert cell in page
        assert cell.replace("%", "\\%") in latex
        assert cell in rtf_text
    assert "Best overall response" in page


def test_docx_and_xlsx_cells_read_back(tmp_path):
    d = response_display(_ard(), population="ITT population (ITTFL = Y)")
    doc = docx.Document(str(write_display(d, tmp_path / "t.docx")))
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["", *d.columns]
    for i, row in enumerate(d.rows, 1):
        assert [c.text for c in table.rows[i].cells] == [row.label, *row.cells]
    with zipfile.ZipFile(write_display(d, tmp_path / "t.xlsx")) as z:
        xml = z.read("xl/sharedStrings.xml").decode()
    strings = {html.unescape(s).strip() for s in re.findall(r"<t[^>]*>([^<]*)</t>", xml)}
    assert set(_NUMBERS) <= strings


# --- command line ------------------------------------------------------------------------


def _args(tmp_path: Path, out: Path) -> list[str]:
    adrs, adsl = tmp_path / "adrs.parquet", tmp_path / "adsl.parquet"
    if not adrs.exists():
        survstat.datasets.load("breast_trial_adrs").write_parquet(adrs)
        survstat.datasets.load("breast_trial_adsl").write_parquet(adsl)
    args = ["table", "response", str(adrs), "--param", "CBOR", "--adsl", str(adsl)]
    args += ["--population", "ITTFL", "--responder-values", "CR,PR", "--by", "TRT01P"]
    return [*args, "--reference", REF, "-o", str(out)]


@pytest.mark.parametrize("suffix", DISPLAY_OUTPUTS)
def test_cli_writes_the_display_with_provenance(tmp_path, suffix):
    out = tmp_path / f"orr{suffix}"
    r = runner.invoke(app, _args(tmp_path, out))
    assert r.exit_code == 0, r.output
    record = json.loads(Path(f"{out}.json").read_text())
    assert record["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert record["survstat"]["analysis"] == "table response"


def test_cli_docx_shows_the_ard_numbers(tmp_path):
    r = runner.invoke(app, _args(tmp_path, tmp_path / "orr.parquet"))
    assert r.exit_code == 0, r.output
    ard = pl.read_parquet(tmp_path / "orr.parquet")
    r = runner.invoke(app, _args(tmp_path, tmp_path / "orr.docx"))
    assert r.exit_code == 0, r.output
    doc = docx.Document(str(tmp_path / "orr.docx"))
    assert doc.paragraphs[0].text == "CBOR: response rate summary by TRT01P"
    assert doc.paragraphs[1].text == "ITT population (ITTFL = Y)"
    rows = {r.cells[0].text.strip(): [c.text for c in r.cells[1:]] for r in doc.tables[0].rows}
    odds = ard.filter(statistic="odds_ratio").get_column("estimate").to_list()
    assert rows["Odds ratio"] == ["", *(f"{v:.2f}" for v in odds)]
    n = ard.filter(statistic="n").get_column("estimate").to_list()
    responders = ard.filter(statistic="n_responders").get_column("estimate").to_list()
    rates = ard.filter(statistic="rate").get_column("estimate").to_list()
    assert rows["Responders"] == [
        f"{k:.0f} ({100 * p:.1f}%)" for k, p in zip(responders, rates, strict=True)
    ]
    header = [c.text for c in doc.tables[0].rows[0].cells][1:]
    assert [int(re.search(r"N=(\d+)", h).group(1)) for h in header] == n  # type: ignore[union-attr]
