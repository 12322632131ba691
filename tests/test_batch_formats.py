"""Job analysis steps write their table in other ``formats`` (CSV, SAS transport) and, for
the table analyses with a display, the display files: listed and hashed in the manifest,
the same bytes on rerun, removed when dropped, refused where they cannot apply."""

from __future__ import annotations

from pathlib import Path

import docx
import polars as pl
import pytest
from typer.testing import CliRunner

import survstat
from survstat.batch import load_job, run_job
from survstat.batch.job import JobError
from survstat.cli import app
from survstat.io import read_labels, read_table_file

runner = CliRunner()

REFERENCE = "B: aromatase inhibitor + AKTi"


def _job(folder: Path, steps: str) -> Path:
    if not (folder / "adtte.parquet").exists():
        survstat.datasets.load("breast_trial_adtte").write_parquet(folder / "adtte.parquet")
        survstat.datasets.load("breast_trial_adsl").write_parquet(folder / "adsl.parquet")
        survstat.datasets.load("gbsg2").write_parquet(folder / "gbsg2.parquet")
    path = folder / "job.toml"
    path.write_text(
        '[job]\noutput = "out"\n[inputs]\nadtte = "adtte.parquet"\nadsl = "adsl.parquet"\n'
        f'gbsg2 = "gbsg2.parquet"\n{steps}'
    )
    return path


def _pfs_step(formats: str) -> str:
    return f"""
[[step]]
name = "pfs"
analysis = "table tte"
input = "adtte"
adsl = "adsl"
param = "PFS"
population = "ITTFL"
by = "TRT01P"
reference = "{REFERENCE}"
timepoints = [182.625, 365.25]
{formats}
"""


def _manifest(out: Path) -> dict[str, list[str]]:
    rows = pl.read_parquet(out / "manifest.parquet").select("step", "outputs").rows()
    return {step: list(outputs or []) for step, outputs in rows}


def test_a_table_step_writes_its_display_files_and_csv(tmp_path):
    path = _job(tmp_path, _pfs_step('formats = ["docx", "rtf", "html", "csv"]'))
    r = runner.invoke(app, ["run", str(path), "-q"])
    assert r.exit_code == 0, r.output
    out = tmp_path / "out"
    assert _manifest(out)["pfs"] == ["pfs.parquet", "pfs.csv", "pfs.docx", "pfs.rtf", "pfs.html"]
    ard = pl.read_parquet(out / "pfs.parquet")
    assert pl.read_csv(out / "pfs.csv", schema=ard.schema).equals(ard)
    # the display shows the ARD's numbers: the hazard ratio with two decimals
    hr = ard.filter(pl.col("statistic") == "hazard_ratio")["estimate"].drop_nulls()[0]
    text = "\n".join(
        cell.text for table in docx.Document(str(out / "pfs.docx")).tables for cell in table._cells
    )
    assert f"{hr:.2f}" in text
    assert REFERENCE in text
    assert f"{hr:.2f}" in (out / "pfs.html").read_text(encoding="utf-8")
    assert (out / "pfs.rtf").read_bytes().startswith(b"{\\rtf1")
    # the manifest vouches for the files: no provenance file beside them
    assert not list(out.glob("*.json"))


def test_display_files_are_the_same_bytes_as_the_command_line_writes(tmp_path):
    path = _job(tmp_path, _pfs_step('formats = ["docx"]'))
    assert runner.invoke(app, ["run", str(path), "-q"]).exit_code == 0
    args = ["table", "tte", str(tmp_path / "adtte.parquet"), "--param", "PFS"]
    args += ["--adsl", str(tmp_path / "adsl.parquet"), "--population", "ITTFL", "--by", "TRT01P"]
    args += ["--reference", REFERENCE, "--timepoints", "182.625,365.25"]
    r = runner.invoke(app, [*args, "-o", str(tmp_path / "cli.docx")])
    assert r.exit_code == 0, r.output

    def cells(p: Path) -> list[str]:
        return [c.text for t in docx.Document(str(p)).tables for c in t._cells]

    job_cells, cli_cells = cells(tmp_path / "out" / "pfs.docx"), cells(tmp_path / "cli.docx")
    # the same table; only the source footnote names the input by its own path
    assert job_cells == cli_cells


def test_rerun_changes_no_byte_and_a_dropped_format_is_removed(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    path = _job(tmp_path, _pfs_step('formats = ["docx", "xlsx", "csv"]'))
    out = tmp_path / "out"
    assert runner.invoke(app, ["run", str(path), "-q"]).exit_code == 0
    first = {p.name: p.read_bytes() for p in out.iterdir() if p.name != "manifest.parquet"}
    assert runner.invoke(app, ["run", str(path), "-q", "--force"]).exit_code == 0
    again = {p.name: p.read_bytes() for p in out.iterdir() if p.name != "manifest.parquet"}
    assert again == first
    path = _job(tmp_path, _pfs_step('formats = ["docx"]'))
    assert runner.invoke(app, ["run", str(path), "-q"]).exit_code == 0
    assert not (out / "pfs.xlsx").exists()
    assert not (out / "pfs.csv").exists()
    assert _manifest(out)["pfs"] == ["pfs.parquet", "pfs.docx"]


def test_xpt_and_csv_of_any_analysis_with_its_extra_tables(tmp_path):
    steps = """
[[step]]
name = "cox"
analysis = "cox"
input = "gbsg2"
time = "time"
event = "cens"
covariates = ["age"]
formats = ["csv"]

[[step]]
name = "lr"
analysis = "logrank"
input = "gbsg2"
time = "time"
event = "cens"
by = "horTh"
formats = ["parquet", "csv"]
"""
    path = _job(tmp_path, steps)
    r = runner.invoke(app, ["run", str(path), "-q"])
    assert r.exit_code == 0, r.output
    out = tmp_path / "out"
    outputs = _manifest(out)
    parquets = [n for n in outputs["cox"] if n.endswith(".parquet")]
    csvs = [n for n in outputs["cox"] if n.endswith(".csv")]
    assert [p.removesuffix(".parquet") for p in parquets] == [c.removesuffix(".csv") for c in csvs]
    for p in parquets:  # every table, the extra ones too, in both forms
        frame = pl.read_parquet(out / p)
        assert pl.read_csv(out / p.replace(".parquet", ".csv"), schema=frame.schema).equals(frame)
    assert outputs["lr"] == ["lr.parquet", "lr.per_group.parquet", "lr.csv", "lr.per_group.csv"]


def test_an_xpt_step_whose_names_sas_cannot_hold_fails_and_leaves_no_file(tmp_path):
    steps = """
[[step]]
name = "km"
analysis = "km"
input = "gbsg2"
time = "time"
event = "cens"
formats = ["xpt"]
"""
    path = _job(tmp_path, steps)
    r = runner.invoke(app, ["run", str(path), "-q"])
    assert r.exit_code == 1
    assert "`std_error`" in r.output
    assert "8" in r.output
    assert not list((tmp_path / "out").glob("km.*"))


def test_xpt_of_a_table_sas_can_hold_keeps_its_labels(tmp_path):
    survstat.datasets.load("breast_trial_dm").write_parquet(tmp_path / "dm.parquet")
    path = tmp_path / "job.toml"
    path.write_text(
        '[job]\noutput = "out"\n[inputs]\ndm = "dm.parquet"\n'
        '[[step]]\nname = "adsl"\nanalysis = "sdtm adsl"\ninput = "dm"\nformats = ["xpt"]\n'
    )
    r = runner.invoke(app, ["run", str(path), "-q"])
    assert r.exit_code == 0, r.output
    out = tmp_path / "out"
    assert _manifest(out)["adsl"] == ["adsl.parquet", "adsl.xpt"]
    back, _ = read_table_file(out / "adsl.xpt")
    parquet = pl.read_parquet(out / "adsl.parquet")
    assert back.columns == parquet.columns
    assert back.height == parquet.height
    assert read_labels(out / "adsl.xpt") == read_labels(out / "adsl.parquet")
    assert read_labels(out / "adsl.xpt")["USUBJID"] == "Unique Subject Identifier"


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (
            _pfs_step('formats = ["pdf"]'),
            "`formats` of analysis `table tte` must list some of parquet, csv, xpt, html, tex, "
            "rtf, docx, xlsx; got 'pdf'",
        ),
        (
            """
[[step]]
name = "km"
analysis = "km"
input = "gbsg2"
time = "time"
event = "cens"
formats = ["docx"]
""",
            "`formats` of analysis `km` must list some of parquet, csv, xpt; got 'docx'; only "
            "table tte, table response, table subgroups, table ae have a display",
        ),
        (_pfs_step("formats = 3"), "`formats` must list some of parquet, csv, xpt, html"),
        (
            _pfs_step('formats = ["docx"]\nby_partition = "SEX"'),
            "a display (docx) shows one table, not one per partition",
        ),
    ],
)
def test_bad_formats_are_job_errors_before_anything_runs(tmp_path, step, message):
    path = _job(tmp_path, step)
    with pytest.raises(JobError) as info:
        load_job(path)
    assert message in str(info.value)
    assert not (tmp_path / "out").exists()


def test_the_library_runs_a_job_with_formats(tmp_path):
    job = load_job(_job(tmp_path, _pfs_step('formats = ["html"]')))
    manifest = run_job(job)
    assert manifest.filter(pl.col("step") == "pfs")["status"].item() == "ok"
    assert (tmp_path / "out" / "pfs.html").is_file()


def test_the_report_names_the_other_files(tmp_path):
    path = _job(tmp_path, _pfs_step('formats = ["docx", "csv"]'))
    r = runner.invoke(app, ["report", str(path), "-q"])
    assert r.exit_code == 0, r.output
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "pfs.docx" in html
    assert "pfs.csv" in html
