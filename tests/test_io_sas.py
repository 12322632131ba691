"""SAS inputs: transport files (.xpt, v5 and v8) and SAS data sets, read by extension and
checked by content, with labels, dates and SAS missing values.

Each file is written by hand with pyreadstat; the same data as Parquet gives the same numbers.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import polars as pl
import pyreadstat
import pytest
from typer.testing import CliRunner

import survstat
from survstat.batch import load_job, run_job
from survstat.cli import app
from survstat.errors import EmptyDataError, InputFormatError
from survstat.io import read_labels, read_table_file, scan, write_parquet

runner = CliRunner()

AVAL = [3.0, 5.5, 7.0, 2.0, 9.5, 4.0, 6.0, 8.0]
EVNT = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0]
TRT = ["A", "B", "A", "B", "A", "B", "A", "B"]
LABELS = {"AVAL": "Analysis Value", "EVNT": "Event (1) or Censored (0)", "TRT01P": "Arm"}


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "USUBJID": [f"S-{i}" for i in range(8)],
            "AVAL": AVAL,
            "EVNT": EVNT,
            "TRT01P": TRT,
            "ADT": [dt.date(2020, 1, i + 1) for i in range(7)] + [None],
            "ADTM": [dt.datetime(2021, 3, 4, 5, 6, i) for i in range(8)],
            "ASTDT": [dt.date(2019, 12, 31)] * 8,
            "NUM": [1.0, np.nan, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        }
    )


def _xpt(path, version: int = 5):
    pyreadstat.write_xport(
        _frame(),
        str(path),
        file_format_version=version,
        table_name="ADTTE",
        column_labels=LABELS,
        variable_format={"ADT": "DATE9.", "ADTM": "DATETIME20.", "ASTDT": "YYMMDD10."},
    )
    return path


@pytest.mark.parametrize("version", [5, 8])
def test_xpt_reads_with_dates_labels_and_missing_values(tmp_path, version):
    path = _xpt(tmp_path / "adtte.xpt", version)
    frame = scan(path)[0].collect()
    assert frame.schema["AVAL"] == pl.Float64
    assert frame.schema["USUBJID"] == pl.String
    # numeric variables with a SAS date or datetime format arrive as dates and datetimes
    assert frame.schema["ADT"] == pl.Date
    assert frame.schema["ASTDT"] == pl.Date
    assert isinstance(frame.schema["ADTM"], pl.Datetime)
    assert frame["ADT"].to_list()[:2] == [dt.date(2020, 1, 1), dt.date(2020, 1, 2)]
    assert frame["ADTM"][1] == dt.datetime(2021, 3, 4, 5, 6, 1)
    # SAS missing values (`.`) become nulls, never NaN
    assert frame["ADT"].null_count() == 1
    assert frame["NUM"].null_count() == 1
    assert frame["NUM"].is_nan().sum() == 0
    assert read_labels(path) == LABELS


@pytest.mark.parametrize("code", [b".", b"A", b"Z", b"_"])
def test_special_missing_values_are_nulls(tmp_path, code):
    # SAS transport v5 stores a missing number as its code byte (`.`, `A`-`Z`, `_`) followed
    # by seven zero bytes (TS-140); pyreadstat writes `.`, so the special codes are set by hand
    path = tmp_path / "m.xpt"
    df = pd.DataFrame({"AVAL": [1.0, np.nan, 3.0]})
    pyreadstat.write_xport(df, str(path), file_format_version=5)
    data = path.read_bytes()
    obs = data.index(b"OBS     HEADER RECORD") + 80 - len(b"HEADER RECORD*******")
    missing = b"." + b"\x00" * 7
    at = data.index(missing, obs)
    path.write_bytes(data[:at] + code + b"\x00" * 7 + data[at + 8 :])
    frame = read_table_file(path)[0]
    assert frame["AVAL"].to_list() == [1.0, None, 3.0]


def _km_table(source) -> pl.DataFrame:
    return survstat.kaplan_meier(source, time="AVAL", event="EVNT", by="TRT01P").table


@pytest.mark.parametrize("version", [5, 8])
def test_km_on_xpt_equals_km_on_parquet(tmp_path, version):
    path = _xpt(tmp_path / "adtte.xpt", version)
    parquet = tmp_path / "adtte.parquet"
    pl.DataFrame({"AVAL": AVAL, "EVNT": EVNT, "TRT01P": TRT}).write_parquet(parquet)
    assert _km_table(str(path)).equals(_km_table(str(parquet)))


def test_cli_km_on_xpt(tmp_path):
    path = _xpt(tmp_path / "adtte.xpt")
    parquet = tmp_path / "adtte.parquet"
    pl.DataFrame({"AVAL": AVAL, "EVNT": EVNT, "TRT01P": TRT}).write_parquet(parquet)
    outs = []
    for src in (path, parquet):
        out = tmp_path / f"{src.suffix[1:]}.km.parquet"
        r = runner.invoke(
            app, ["km", str(src), "--time", "AVAL", "--event", "EVNT", "-o", str(out)]
        )
        assert r.exit_code == 0, r.output
        outs.append(pl.read_parquet(out))
    assert outs[0].equals(outs[1])


def test_job_reads_xpt(tmp_path):
    _xpt(tmp_path / "adtte.xpt")
    job = tmp_path / "j.toml"
    job.write_text(
        '[job]\noutput = "out"\n[inputs]\nd = "adtte.xpt"\n'
        '[[step]]\nanalysis = "km"\ninput = "d"\ntime = "AVAL"\nevent = "EVNT"\n'
    )
    manifest = run_job(load_job(job))
    assert manifest["status"].to_list() == ["ok"]
    assert pl.read_parquet(tmp_path / "out" / "km.parquet").height > 0


def test_sas7bdat_is_read_by_content(tmp_path):
    # pyreadstat cannot write .sas7bdat: a file named so must start with its magic number
    path = tmp_path / "adsl.sas7bdat"
    path.write_text("USUBJID,AGE\nS-1,50\n")
    with pytest.raises(
        InputFormatError, match=r"^`.*adsl.sas7bdat` is not a SAS data set: it is text"
    ):
        scan(path)


def test_xpt_holding_csv_text(tmp_path):
    path = tmp_path / "adtte.xpt"
    pl.DataFrame({"AVAL": AVAL}).write_csv(path)
    with pytest.raises(
        InputFormatError,
        match=r"^`.*adtte.xpt` is not a SAS transport file \(v5 or v8\): it is text "
        r"\(first line: 'AVAL'; \d+ bytes\), e.g. CSV$",
    ):
        scan(path)


def test_xpt_holding_parquet(tmp_path):
    path = tmp_path / "adtte.xpt"
    pl.DataFrame({"AVAL": AVAL}).write_parquet(path)
    with pytest.raises(InputFormatError, match=r"it is a Parquet file; name it .parquet$"):
        scan(path)


def test_truncated_xpt(tmp_path):
    # the SAS transport header, cut short inside the member header records
    path = _xpt(tmp_path / "adtte.xpt")
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(
        InputFormatError, match=r"^`.*adtte.xpt` is a corrupt SAS transport file \(v5 or v8\): "
    ):
        scan(path)


def test_corrupt_xpt(tmp_path):
    path = tmp_path / "adtte.xpt"
    path.write_bytes(b"HEADER RECORD" + b"\xff" * 500)
    with pytest.raises(InputFormatError, match=r"^`.*adtte.xpt` is a corrupt SAS transport"):
        scan(path)


def test_empty_xpt(tmp_path):
    path = tmp_path / "adtte.xpt"
    path.write_bytes(b"")
    with pytest.raises(
        InputFormatError, match=r"^`.*adtte.xpt` is empty \(0 bytes\), not a SAS transport"
    ):
        scan(path)


def test_xpt_without_rows(tmp_path):
    path = tmp_path / "adtte.xpt"
    pyreadstat.write_xport(pd.DataFrame({"AVAL": pd.Series([], dtype=float)}), str(path))
    with pytest.raises(EmptyDataError, match=r"^`.*adtte.xpt` holds no rows$"):
        scan(path)


def test_glob_of_xpt_files_stays_parquet_only(tmp_path):
    _xpt(tmp_path / "a.xpt")
    with pytest.raises(InputFormatError, match=r"a.xpt` is not a Parquet file"):
        scan(str(tmp_path / "*.xpt"))


def test_xpt_named_parquet(tmp_path):
    path = _xpt(tmp_path / "adtte.parquet")
    with pytest.raises(
        InputFormatError,
        match=r"^`.*adtte.parquet` is not a Parquet file: it is a SAS transport file \(.xpt\); "
        r"name it .xpt or .sas7bdat, which survstat reads$",
    ):
        scan(path)


def test_labels_round_trip_through_parquet(tmp_path):
    # labels travel beside the frame and land in each Parquet field's metadata (`label`)
    frame, labels = read_table_file(_xpt(tmp_path / "adtte.xpt", 8))
    out = write_parquet(frame, tmp_path / "adtte.parquet", labels=labels)
    assert read_labels(out) == LABELS
    back = pl.read_parquet(out)
    assert back.equals(frame)
    assert back.schema["ADT"] == pl.Date


def test_truncated_sas7bdat(tmp_path):
    # the sas7bdat magic number, then nothing a SAS data set's header needs
    path = tmp_path / "adsl.sas7bdat"
    path.write_bytes(b"\x00" * 12 + b"\xc2\xea\x81\x60" + b"\x00" * 100)
    with pytest.raises(InputFormatError, match=r"^`.*adsl.sas7bdat` is a corrupt SAS data set: "):
        scan(path)


def test_column_of_missing_values_keeps_its_sas_type(tmp_path):
    # every value `.`: a Float64 column of nulls, not a column without a type
    path = tmp_path / "m.xpt"
    pyreadstat.write_xport(pd.DataFrame({"AVAL": [1.0, 2.0], "BASE": [np.nan, np.nan]}), str(path))
    frame = read_table_file(path)[0]
    assert frame.schema["BASE"] == pl.Float64
    assert frame["BASE"].null_count() == 2
