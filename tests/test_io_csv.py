"""CSV inputs: read by extension, checked by content, column types inferred from all rows."""

from __future__ import annotations

import polars as pl
import pytest
from typer.testing import CliRunner

import survstat
from survstat.batch import load_job, run_job
from survstat.cli import app
from survstat.errors import EmptyDataError, InputFormatError
from survstat.io import read_labels, scan

runner = CliRunner()

FRAME = pl.DataFrame(
    {
        "time": [3.0, 5.5, 7.0, 2.0, 9.5, 4.0, 6.0, 8.0],
        "cens": [1, 0, 1, 1, 0, 1, 1, 0],
        "arm": list("ABABABAB"),
    }
)


def test_csv_reads_like_parquet(tmp_path):
    FRAME.write_csv(tmp_path / "d.csv")
    FRAME.write_parquet(tmp_path / "d.parquet")
    assert scan(tmp_path / "d.csv")[0].collect().equals(FRAME)
    a = survstat.kaplan_meier(str(tmp_path / "d.csv"), time="time", event="cens", by="arm")
    b = survstat.kaplan_meier(str(tmp_path / "d.parquet"), time="time", event="cens", by="arm")
    assert a.table.equals(b.table)
    assert read_labels(tmp_path / "d.csv") == {}


def test_types_are_inferred_from_all_rows(tmp_path):
    # integers for 200 rows, then a decimal: the column is Float64, not cut at row 100
    path = tmp_path / "d.csv"
    path.write_text("time,cens\n" + "1,1\n" * 200 + "2.5,0\n")
    frame = scan(path)[0].collect()
    assert frame.schema["time"] == pl.Float64
    assert frame["time"][-1] == 2.5


def test_cli_km_on_csv(tmp_path):
    FRAME.write_csv(tmp_path / "d.csv")
    FRAME.write_parquet(tmp_path / "d.parquet")
    outs = []
    for name in ("d.csv", "d.parquet"):
        out = tmp_path / f"{name}.km.parquet"
        args = ["km", str(tmp_path / name), "--time", "time", "--event", "cens", "-o", str(out)]
        r = runner.invoke(app, args)
        assert r.exit_code == 0, r.output
        outs.append(pl.read_parquet(out))
    assert outs[0].equals(outs[1])


def test_job_reads_csv(tmp_path):
    FRAME.write_csv(tmp_path / "d.csv")
    job = tmp_path / "j.toml"
    job.write_text(
        '[job]\noutput = "out"\n[inputs]\nd = "d.csv"\n'
        '[[step]]\nanalysis = "summary"\ninput = "d"\ntime = "time"\nevent = "cens"\n'
    )
    assert run_job(load_job(job))["status"].to_list() == ["ok"]


def test_csv_holding_parquet_bytes(tmp_path):
    path = tmp_path / "d.csv"
    FRAME.write_parquet(path)
    with pytest.raises(
        InputFormatError, match=r"^`.*d.csv` is not CSV text: it is a Parquet file; name it"
    ):
        scan(path)


def test_csv_holding_an_xpt(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(b"HEADER RECORD*******LIBRARY HEADER RECORD" + b"\x00" * 40)
    with pytest.raises(
        InputFormatError, match=r"^`.*d.csv` is not CSV text: it is a SAS transport file"
    ):
        scan(path)


def test_empty_csv(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("")
    with pytest.raises(InputFormatError, match=r"^`.*d.csv` is empty \(0 bytes\), not CSV text$"):
        scan(path)


def test_csv_with_header_only(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("time,cens\n")
    with pytest.raises(EmptyDataError, match=r"^`.*d.csv` holds no rows$"):
        scan(path)


def test_csv_with_a_ragged_row(tmp_path):
    # row 3 has three fields under a two-column header
    path = tmp_path / "d.csv"
    path.write_text("time,cens\n1,1\n2,0\n3,1,9\n")
    with pytest.raises(
        InputFormatError,
        match=r"^`.*d.csv` is not valid CSV: 1 row does not have the header's 2 fields "
        r"\(first: row 3 has 3: '3,1,9'\)$",
    ):
        scan(path)


def test_csv_with_duplicate_names(tmp_path):
    # polars would rename the second `a` to `a_duplicated_0`
    path = tmp_path / "d.csv"
    path.write_text("a,a,b\n1,2,3\n")
    with pytest.raises(
        InputFormatError, match=r"^`.*d.csv` has duplicate column names: `a` appears 2 times$"
    ):
        scan(path)


def test_cli_ragged_csv_is_one_line(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("time,cens\n1,1\n2,0\n3,1,9\n")
    r = runner.invoke(app, ["km", str(path), "--time", "time", "--event", "cens"])
    assert r.exit_code != 0
    assert "d.csv` is not valid CSV" in r.output
    assert "Traceback" not in r.output


def test_missing_csv(tmp_path):
    with pytest.raises(InputFormatError, match=r"^input file `.*nope.csv` does not exist$"):
        scan(tmp_path / "nope.csv")
