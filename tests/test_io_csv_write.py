"""CSV output (``-o OUT.csv``, ``write_table(frame, "OUT.csv")``): values read back exactly,
provenance and labels in ``OUT.csv.json``, refused column types, byte-identical reruns."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import survstat
from survstat.cli import app
from survstat.errors import ColumnTypeError
from survstat.io import read_metadata, write_table

runner = CliRunner()
SURVSTAT = (sys.executable, "-m", "survstat")


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "arm": ["A, control", 'B "new"', "", None],
            "estimate": [0.1, 1 / 3, 5e-324, None],
            "n": [10, None, 0, -3],
            "event": [True, False, None, True],
            "adt": [dt.date(2020, 2, 29), None, dt.date(1899, 12, 31), dt.date(2100, 1, 1)],
        }
    )


def test_values_read_back_exactly_by_hand(tmp_path):
    path = write_table(_frame(), tmp_path / "t.csv")
    assert path.read_text(encoding="utf-8") == (
        "arm,estimate,n,event,adt\n"
        '"A, control",0.1,10,true,2020-02-29\n'
        '"B ""new""",0.3333333333333333,,false,\n'
        '"",5e-324,0,,1899-12-31\n'
        ",,-3,true,2100-01-01\n"
    )
    back = pl.read_csv(path, schema=_frame().schema)
    assert back.equals(_frame())  # a null text and an empty text stay apart
    assert not (tmp_path / "t.csv.json").exists()  # no provenance asked for


def test_provenance_and_labels_beside_the_file(tmp_path):
    meta = {"analysis": "test", "parameters": {"by": "arm"}}
    labels = {"arm": "Planned arm", "adt": "Analysis date"}
    path = write_table(_frame(), tmp_path / "t.csv", metadata=meta, labels=labels)
    record = json.loads((tmp_path / "t.csv.json").read_text())
    assert record == {
        "file": "t.csv",
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "survstat": meta,
        "labels": labels,
    }
    assert read_metadata(path) == meta


@pytest.mark.parametrize(
    ("column", "shown"),
    [
        (pl.Series("ids", [[1, 2], [3]]), "`ids` (List(Int64))"),
        (pl.Series("pair", [{"a": 1}, {"a": 2}]), "`pair` (Struct("),
        (pl.Series("raw", [b"x", b"y"]), "`raw` (Binary)"),
    ],
)
def test_nested_and_binary_columns_are_refused_and_nothing_is_written(tmp_path, column, shown):
    frame = pl.DataFrame({"arm": ["A", "B"]}).with_columns(column)
    target = tmp_path / "t.csv"
    target.write_text("old\n")
    with pytest.raises(ColumnTypeError, match=r"CSV has no form for 1 column") as info:
        write_table(frame, target, metadata={"analysis": "x"})
    assert shown in str(info.value)
    assert "write Parquet (.parquet)" in str(info.value)
    assert target.read_text() == "old\n"
    assert not (tmp_path / "t.csv.json").exists()


_FLOATS = st.floats(allow_nan=False, allow_infinity=False) | st.none()
_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12) | st.none()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(_FLOATS, _TEXT, st.integers(-(2**62), 2**62) | st.none()),
        min_size=1,
        max_size=20,
    )
)
def test_round_trip_property(tmp_path, rows):
    frame = pl.DataFrame(
        rows, schema={"x": pl.Float64, "s": pl.String, "k": pl.Int64}, orient="row"
    )
    path = write_table(frame, tmp_path / "p.csv")
    back = pl.read_csv(path, schema=frame.schema)
    assert back["k"].to_list() == frame["k"].to_list()
    assert back["s"].to_list() == frame["s"].to_list()
    for got, want in zip(back["x"], frame["x"], strict=True):
        assert got == want or (got is not None and want is not None and math.isclose(got, want))
        if want is not None:
            assert got is not None
            assert got.hex() == want.hex()  # the same double, bit for bit


def _tte_args(tmp_path: Path, out: Path) -> list[str]:
    adtte, adsl = tmp_path / "adtte.parquet", tmp_path / "adsl.parquet"
    if not adtte.exists():
        survstat.datasets.load("breast_trial_adtte").write_parquet(adtte)
        survstat.datasets.load("breast_trial_adsl").write_parquet(adsl)
    args = ["table", "tte", str(adtte), "--param", "PFS", "--adsl", str(adsl)]
    args += ["--population", "ITTFL", "--by", "TRT01P"]
    args += ["--reference", "B: aromatase inhibitor + AKTi", "--timepoints", "182.625,365.25"]
    return [*args, "-o", str(out)]


def test_cli_ard_as_csv_equals_the_parquet_ard(tmp_path):
    parquet, csv = tmp_path / "pfs.parquet", tmp_path / "pfs.csv"
    assert runner.invoke(app, _tte_args(tmp_path, parquet)).exit_code == 0
    r = runner.invoke(app, _tte_args(tmp_path, csv))
    assert r.exit_code == 0, r.output
    ard = pl.read_parquet(parquet)
    assert pl.read_csv(csv, schema=ard.schema).equals(ard)
    assert read_metadata(csv) == read_metadata(parquet)
    first = csv.read_bytes(), (tmp_path / "pfs.csv.json").read_bytes()
    assert runner.invoke(app, _tte_args(tmp_path, csv)).exit_code == 0
    assert (csv.read_bytes(), (tmp_path / "pfs.csv.json").read_bytes()) == first


def test_cli_extra_tables_are_written_beside_as_csv(tmp_path):
    data = tmp_path / "g.parquet"
    survstat.datasets.load("gbsg2").write_parquet(data)
    out = tmp_path / "cox.csv"
    r = runner.invoke(
        app,
        [
            "cox",
            str(data),
            "--time",
            "time",
            "--event",
            "cens",
            "--covariates",
            "age",
            "-o",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    written = sorted(p.name for p in tmp_path.iterdir() if p.name != "g.parquet")
    assert {"cox.csv", "cox.csv.json"} <= set(written)
    extras = [n for n in written if n.startswith("cox.") and n.endswith(".csv") and n != "cox.csv"]
    assert extras, written  # the model table beside the coefficients
    assert all(f"{n}.json" in written for n in extras)


def test_cli_csv_in_a_real_process(tmp_path):
    proc = subprocess.run(
        [*SURVSTAT, "datasets", "export", "gbsg2", "-o", "gbsg2.csv"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    gbsg2 = survstat.datasets.load("gbsg2")
    assert pl.read_csv(tmp_path / "gbsg2.csv", schema=gbsg2.schema).equals(gbsg2)
    record = json.loads((tmp_path / "gbsg2.csv.json").read_text())
    assert record["survstat"]["analysis"] == "datasets export"
    assert record.get("labels", {}) == (survstat.datasets.labels("gbsg2") or {})
