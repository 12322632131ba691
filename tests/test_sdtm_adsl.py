"""ADSL from SDTM DM (``survstat sdtm adsl``): the population flags and dates by hand."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from typer.testing import CliRunner

from survstat.cli import app
from survstat.endpoints.sdtm import Imputation
from survstat.endpoints.sdtm_adsl import ADSL_LABELS, dm_adsl
from survstat.errors import InvalidValueError
from survstat.io import read_labels, read_table_file


def _dm(**overrides: list) -> pl.DataFrame:
    columns = {
        "STUDYID": ["S"] * 5,
        "USUBJID": ["1", "2", "3", "4", "5"],
        "SUBJID": ["1", "2", "3", "4", "5"],
        "RFSTDTC": ["2020-01-06", "2020-01-07", "2020-01-08", "2020-01-09", "2020-01-10"],
        "RFXSTDTC": ["2020-01-06", "2020-01-07", "", None, "2020-01-10"],
        "RFPENDTC": ["2021-01-01", "2020-06-30", "2020-02-01", "2020-03-01", "2020-12-01"],
        "DTHDTC": ["", "2020-06-30", "", None, ""],
        "ARMCD": ["A", "B", "A", "SCRNFAIL", "NOTASSGN"],
        "ARM": ["Drug", "Placebo", "Drug", "Screen Failure", "Not Assigned"],
        "ACTARM": ["Drug", "Placebo", "Not Treated", "Screen Failure", "Drug"],
    }
    return pl.DataFrame(columns | overrides)


def test_flags_dates_and_labels():
    t = dm_adsl(_dm())
    assert t.table.columns == [
        "STUDYID",
        "USUBJID",
        "SUBJID",
        "TRT01P",
        "TRT01A",
        "TRTSDT",
        "DTHDT",
        "DTHFL",
        "ITTFL",
        "SAFFL",
    ]
    rows = t.table.select("USUBJID", "ITTFL", "SAFFL", "DTHFL").rows()
    # 3: randomised, never treated; 4: screen failure; 5: not assigned yet treated
    assert rows == [
        ("1", "Y", "Y", "N"),
        ("2", "Y", "Y", "Y"),
        ("3", "Y", "N", "N"),
        ("4", "N", "N", "N"),
        ("5", "N", "Y", "N"),
    ]
    d = dt.date
    assert t.table["TRTSDT"].to_list() == [d(2020, 1, 6), d(2020, 1, 7), None, None, d(2020, 1, 10)]
    assert t.table["DTHDT"].to_list() == [None, dt.date(2020, 6, 30), None, None, None]
    assert t.table["TRT01A"].to_list()[2] == "Not Treated"
    assert dict(t.labels) == {c: ADSL_LABELS[c] for c in t.table.columns}
    assert all(len(v) <= 40 for v in ADSL_LABELS.values())


def test_without_armcd_the_arm_text_decides():
    t = dm_adsl(_dm().drop("ARMCD"))
    assert t.table["ITTFL"].to_list() == ["Y", "Y", "Y", "N", "N"]


def test_only_what_dm_holds():
    dm = _dm().select("USUBJID", "RFSTDTC")
    assert dm_adsl(dm).table.columns == ["USUBJID"]


def test_partial_treatment_start_is_an_error_unless_imputed():
    dm = _dm(RFXSTDTC=["2020-01", "2020-01-07", "", None, "2020-01-10"])
    with pytest.raises(InvalidValueError, match=r"DM `RFXSTDTC` holds 1 partial dates.*'2020-01'"):
        dm_adsl(dm)
    t = dm_adsl(dm, Imputation("D", "first"))
    assert t.table["TRTSDT"][0] == dt.date(2020, 1, 1)


def test_cli_writes_labelled_xpt(tmp_path):
    _dm().write_parquet(tmp_path / "dm.parquet")
    r = CliRunner().invoke(
        app, ["sdtm", "adsl", str(tmp_path / "dm.parquet"), "-o", str(tmp_path / "adsl.xpt")]
    )
    assert r.exit_code == 0, r.output
    frame, labels = read_table_file(tmp_path / "adsl.xpt")
    assert frame["ITTFL"].to_list() == ["Y", "Y", "Y", "N", "N"]
    assert labels == read_labels(tmp_path / "adsl.xpt")
    assert labels["ITTFL"] == "Intent-To-Treat Population Flag"
