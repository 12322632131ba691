"""The display of the subgroup table (tern's TTE forest): layout and formatting from a
hand-built ARD, each renderer's file read back with the ARD's numbers, the command line's
display outputs (CliRunner and a real process) and byte-identical reruns."""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import polars as pl
import pytest
from typer.testing import CliRunner

import survstat
from survstat.cli import app
from survstat.errors import ColumnNotFoundError, InputFormatError
from survstat.io import write_parquet
from survstat.tables import subgroups_table
from survstat.tables.registry import DISPLAY_ANALYSES, build_display
from survstat.tables.render import (
    DISPLAY_OUTPUTS,
    render_html,
    render_latex,
    render_rtf,
    write_display,
)
from survstat.tables.subgroups_display import run_subgroups_display, subgroups_display

runner = CliRunner()
_SCHEMA = {
    "subgroup": pl.String,
    "level": pl.String,
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
_NO_EVENTS = "no events in arm 'C' in SEX = F: the hazard ratio is not estimable"
_MEDIAN_NOTE = "median not reached: the survival curve stays above 0.5"


def _r(subgroup, level, arm, statistic, estimate, *, low=None, high=None, note=None):
    return {
        "subgroup": subgroup,
        "level": level,
        "arm": arm,
        "statistic": statistic,
        "time": None,
        "estimate": estimate,
        "std_error": None,
        "conf_low": low,
        "conf_high": high,
        "censored": None,
        "note": note,
    }


def _arm_rows(subgroup, level, arm, n, events, median, hr=None):
    rows = [
        _r(subgroup, level, arm, "n", n),
        _r(subgroup, level, arm, "n_event", events),
        _r(subgroup, level, arm, "median", median, note=None if median else _MEDIAN_NOTE),
    ]
    if hr is not None:
        est, low, high, note = hr
        rows.append(_r(subgroup, level, arm, "hazard_ratio", est, low=low, high=high, note=note))
    return rows


def _ard() -> pl.DataFrame:
    """Three arms (A the reference), one subgroup variable SEX with two levels; in SEX = F arm
    C has no events (HR null with its note) and arm B no median."""
    rows = []
    rows += _arm_rows(None, "All patients", "A", 30, 20, 10.25)
    rows += _arm_rows(None, "All patients", "B", 31, 15, 14.5, (0.6543, 0.4012, 1.0671, None))
    rows += _arm_rows(None, "All patients", "C", 29, 12, 16.0, (0.5, 0.25, 0.99, None))
    rows += _arm_rows("SEX", "F", "A", 14, 9, 11.0)
    rows += _arm_rows("SEX", "F", "B", 16, 4, None, (0.42, 0.13, 1.37, None))
    rows += _arm_rows("SEX", "F", "C", 12, 0, 20.0, (None, None, None, _NO_EVENTS))
    rows += _arm_rows("SEX", "M", "A", 16, 11, 9.5)
    rows += _arm_rows("SEX", "M", "B", 15, 11, 12.0, (0.81, 0.35, 1.9, None))
    rows += _arm_rows("SEX", "M", "C", 17, 12, 15.0, (0.55, 0.24, 1.26, None))
    rows.append(_r("SEX", None, None, "interaction_p_value", 0.00004))
    return pl.from_dicts(rows, schema=_SCHEMA)


def test_layout_follows_tern_tte_forest():
    d = subgroups_display(_ard())
    assert d.columns == (
        "Total n",
        "A: n",
        "A: Events",
        "A: Median",
        "B: n",
        "B: Events",
        "B: Median",
        "C: n",
        "C: Events",
        "C: Median",
        "B vs A: HR (95% CI)",
        "C vs A: HR (95% CI)",
        "Interaction p-value",
    )
    assert [(r.label, r.indent) for r in d.rows] == [
        ("All patients", 0),
        ("SEX", 0),
        ("F", 1),
        ("M", 1),
    ]
    everyone, heading, female, male = (r.cells for r in d.rows)
    assert everyone == (
        "90", "30", "20", "10.2", "31", "15", "14.5", "29", "12", "16.0",
        "0.65 (0.40, 1.07)", "0.50 (0.25, 0.99)", "",
    )  # fmt: skip
    # the variable's heading row holds only the interaction p-value (below 0.0001)
    assert heading == ("",) * 12 + ("<0.0001",)
    assert female[0] == "42"
    assert female[6] == "NE [1]"  # B's median not reached
    assert female[11] == "NE [2]"  # C vs A: no events
    assert male[10:12] == ("0.81 (0.35, 1.90)", "0.55 (0.24, 1.26)")


def test_ne_cells_have_their_note_as_a_numbered_footnote():
    d = subgroups_display(_ard())
    assert d.footnotes[0] == f"[1] B: {_MEDIAN_NOTE}"
    assert d.footnotes[1] == f"[2] C vs A: {_NO_EVENTS}"


def test_method_footnotes_population_title_and_source():
    d = subgroups_display(
        _ard(),
        conf_level=0.9,
        strata=["REGION"],
        population="ITT population (ITTFL = Y)",
        source="adtte.xpt",
    )
    assert d.title == "Time-to-event by subgroup and arm"
    assert d.population == "ITT population (ITTFL = Y)"
    methods = d.footnotes[2:]
    assert methods[0].startswith("Median: Kaplan-Meier estimate; its 90% CI (Brookmeyer-Crowley")
    assert "Efron ties, stratified by REGION) with a Wald 90% CI" in methods[1]
    assert "likelihood-ratio test of the arm-by-subgroup interaction" in methods[2]
    assert methods[3] == "Reference arm: A. NE: not estimable."
    assert methods[4] == "Source: adtte.xpt"
    assert d.columns[10] == "B vs A: HR (90% CI)"


def test_a_variable_label_heads_its_rows():
    d = subgroups_display(_ard(), labels={"SEX": "Sex", "AGE": "Age"})
    assert [r.label for r in d.rows] == ["All patients", "Sex", "F", "M"]


def test_null_interaction_p_value_shows_ne_with_its_reason():
    ard = _ard().with_columns(
        estimate=pl.when(statistic="interaction_p_value").then(None).otherwise("estimate"),
        note=pl.when(statistic="interaction_p_value")
        .then(pl.lit("interaction terms not estimable: arm[C]:SEX[M]"))
        .otherwise("note"),
    )
    d = subgroups_display(ard)
    assert d.rows[1].cells[-1] == "NE [1]"
    assert d.footnotes[0] == "[1] SEX: interaction terms not estimable: arm[C]:SEX[M]"


def test_run_display_reads_the_recorded_options(tmp_path):
    adsl = tmp_path / "adsl.parquet"
    write_parquet(pl.DataFrame({"SEX": ["F"]}), adsl, labels={"SEX": "Sex"})
    parameters = {"conf_level": 0.95, "param": "PFS", "population": "ITTFL", "adsl": str(adsl)}
    d = run_subgroups_display(_ard(), parameters, source="adtte.csv")
    assert d.title == "PFS: time-to-event by subgroup and arm"
    assert d.population == "ITT population (ITTFL = Y)"
    assert d.rows[1].label == "Sex"  # label of the ADSL column
    assert d.footnotes[-1] == "Source: adtte.csv"
    assert "table subgroups" in DISPLAY_ANALYSES
    assert build_display("table subgroups", _ard(), parameters, source=None) == (
        run_subgroups_display(_ard(), parameters)
    )


def test_a_table_that_is_not_the_subgroups_ard_is_an_error():
    with pytest.raises(ColumnNotFoundError, match=r"`level`.*the ARD of `table subgroups`"):
        subgroups_display(_ard().drop("level"))
    with pytest.raises(InputFormatError, match="must have the columns subgroup, level, the arm"):
        subgroups_display(_ard().with_columns(extra=pl.lit(1)))
    with pytest.raises(InputFormatError, match="must have the columns subgroup, level, the arm"):
        subgroups_display(_ard().select("level", "subgroup", *_ard().columns[2:]))


def test_display_of_a_computed_table_shows_the_ard_values():
    t = subgroups_table(
        survstat.datasets.load("gbsg2"),
        time="time",
        event="cens",
        by="horTh",
        reference="no",
        subgroups=["menostat", "tgrade"],
    )
    d = subgroups_display(t.ard)
    rows = {r.label: r.cells for r in d.rows}
    ard = t.ard
    for level in ("All patients", "Post", "Pre", "I", "II", "III"):
        block = ard.filter(level=level)
        hr = block.filter(statistic="hazard_ratio").row(0, named=True)
        text = f"{hr['estimate']:.2f} ({hr['conf_low']:.2f}, {hr['conf_high']:.2f})"
        assert rows[level][7] == text
        n = block.filter(statistic="n").get_column("estimate").to_list()
        assert rows[level][0] == f"{sum(n):.0f}"
        assert (rows[level][1], rows[level][4]) == tuple(f"{v:.0f}" for v in n)
    p = ard.filter(statistic="interaction_p_value").get_column("estimate").to_list()
    assert (rows["menostat"][-1], rows["tgrade"][-1]) == tuple(f"{v:.4f}" for v in p)


# --- renderers ---------------------------------------------------------------------------


def _cell_texts(d) -> set[str]:
    return {c for r in d.rows for c in r.cells if c} | {r.label for r in d.rows}


def test_html_latex_and_rtf_hold_the_cells():
    d = subgroups_display(_ard())
    page = html.unescape(render_html(d))
    assert all(c in page for c in _cell_texts(d))
    assert all(f in page for f in d.footnotes)
    latex = render_latex(d)
    for cell in ("0.65 (0.40, 1.07)", "NE [2]", "\\textless{}0.0001", "B vs A: HR (95\\% CI)"):
        assert cell in latex
    rtf = render_rtf(d)
    assert rtf.startswith("{\\rtf1")
    assert "0.65 (0.40, 1.07)" in rtf
    assert "C vs A: HR (95% CI)" in rtf


def test_docx_cells_read_back(tmp_path):
    d = subgroups_display(_ard(), population="ITT population (ITTFL = Y)")
    document = docx.Document(str(write_display(d, tmp_path / "t.docx")))
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["", *d.columns]
    for i, row in enumerate(d.rows, 1):
        assert [c.text for c in table.rows[i].cells] == [row.label, *row.cells]
    assert [p.text for p in document.paragraphs] == [
        d.title,
        "ITT population (ITTFL = Y)",
        *d.footnotes,
    ]


def test_xlsx_cells_read_back(tmp_path):
    d = subgroups_display(_ard())
    with zipfile.ZipFile(write_display(d, tmp_path / "t.xlsx")) as z:
        xml = z.read("xl/sharedStrings.xml").decode()
    strings = {html.unescape(s).strip() for s in re.findall(r"<t[^>]*>([^<]*)</t>", xml)}
    assert strings >= _cell_texts(d) | {d.title, *d.footnotes, *d.columns}


@pytest.mark.parametrize("suffix", DISPLAY_OUTPUTS)
def test_rerun_gives_the_same_bytes(tmp_path, suffix):
    d = subgroups_display(_ard())
    first = write_display(d, tmp_path / f"a{suffix}").read_bytes()
    second = write_display(d, tmp_path / f"b{suffix}").read_bytes()
    assert first == second


# --- command line ------------------------------------------------------------------------


def _gbsg(tmp_path: Path) -> Path:
    path = tmp_path / "gbsg2.parquet"
    if not path.exists():
        labels = {"menostat": "Menopausal status", "tgrade": "Tumour grade"}
        write_parquet(survstat.datasets.load("gbsg2"), path, labels=labels)
    return path


def _args(tmp_path: Path, out: Path) -> list[str]:
    args = ["table", "subgroups", str(_gbsg(tmp_path)), "--time", "time", "--event", "cens"]
    args += ["--by", "horTh", "--reference", "no", "--subgroups", "menostat,tgrade"]
    return [*args, "-o", str(out)]


def test_cli_docx_shows_the_ard_numbers_and_labels(tmp_path):
    r = runner.invoke(app, _args(tmp_path, tmp_path / "sub.parquet"))
    assert r.exit_code == 0, r.output
    ard = pl.read_parquet(tmp_path / "sub.parquet")
    out = tmp_path / "sub.docx"
    r = runner.invoke(app, _args(tmp_path, out))
    assert r.exit_code == 0, r.output
    document = docx.Document(str(out))
    assert document.paragraphs[0].text == "Time-to-event by subgroup and horTh"
    table = document.tables[0]
    rows = {row.cells[0].text: [c.text for c in row.cells[1:]] for row in table.rows}
    assert list(rows)[1:] == ["All patients", "Menopausal status", "Post", "Pre",
                              "Tumour grade", "I", "II", "III"]  # fmt: skip
    hr = ard.filter(statistic="hazard_ratio").rows(named=True)
    for row in hr:
        text = f"{row['estimate']:.2f} ({row['conf_low']:.2f}, {row['conf_high']:.2f})"
        assert rows[row["level"]][7] == text
    p = ard.filter(statistic="interaction_p_value").get_column("estimate").to_list()
    assert rows["Menopausal status"][-1] == f"{p[0]:.4f}"
    assert rows["Tumour grade"][-1] == f"{p[1]:.4f}"
    record = json.loads(Path(f"{out}.json").read_text())
    assert record["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert record["survstat"]["analysis"] == "table subgroups"
    first = out.read_bytes()
    r = runner.invoke(app, _args(tmp_path, out))
    assert r.exit_code == 0, r.output
    assert out.read_bytes() == first


def test_cli_in_a_real_process_writes_the_rtf(tmp_path):
    out = tmp_path / "sub.rtf"
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    proc = subprocess.run(
        [sys.executable, "-m", "survstat", *_args(tmp_path, out)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert text.startswith("{\\rtf1")
    assert "Menopausal status" in text
    assert "0.69 (0.54, 0.89)" in text  # all patients, as the ARD's docstring example
