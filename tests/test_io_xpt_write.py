"""Writing SAS transport v5 (``write_xpt``): the format's and the FDA's rules refused by name
before anything is written, an exact round trip through the project's reader, the same bytes
on every run.

Rules: SAS TS-140 (record layout of a SAS transport file, v5) and the FDA Study Data Technical
Conformance Guide (section 3.3): names of 8 characters at most, a letter then letters, digits
and underscores; labels of 40 characters at most; ASCII text; character values of 200 bytes
at most; numbers in IBM floating point.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import subprocess
import sys

import polars as pl
import pyreadstat
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import survstat
from survstat.cli import app
from survstat.errors import ColumnTypeError, OutputPathError, XptFormatError
from survstat.io import read_labels, read_metadata, read_table_file, write_table, write_xpt
from survstat.io.xpt import MAX_MAGNITUDE, MIN_MAGNITUDE


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "USUBJID": ["S-1", "S-2", None],
            "AVAL": [3.25, None, 1e-70],
            "CNSR": [0, 1, None],
            "FLAG": [True, None, False],
            "ADT": [dt.date(2020, 1, 2), None, dt.date(1900, 3, 1)],
            "ADTM": [dt.datetime(2021, 3, 4, 5, 6, 7, 123456), None, dt.datetime(1959, 1, 1)],
            "ATM": [dt.time(13, 14, 15), None, dt.time(0, 0)],
        }
    )


LABELS = {"USUBJID": "Unique Subject Identifier", "AVAL": "Analysis Value", "ADT": "Date"}


# --- refusals ---------------------------------------------------------------------------------


def _one(values, dtype=None, name="X") -> pl.DataFrame:
    return pl.DataFrame({name: pl.Series(name, values, dtype=dtype)})


@pytest.mark.parametrize(
    ("frame", "kwargs", "error", "match"),
    [
        pytest.param(
            _one([1.0]),
            {"name": "ADVERSEEV"},
            XptFormatError,
            r"dataset name `ADVERSEEV` \(of `t\.xpt`\) has 9 characters; SAS transport v5 names hold at most "
            r"8 \(TS-140\); write Parquet \(\.parquet\) or CSV \(\.csv\) instead",
            id="dataset-name-long",
        ),
        pytest.param(
            _one([1.0]),
            {"name": "1AD"},
            XptFormatError,
            r"dataset name `1AD` \(of `t\.xpt`\) must start with a letter and hold only letters, digits and "
            r"underscores \(FDA Study Data Technical Conformance Guide\)",
            id="dataset-name-digit",
        ),
        pytest.param(
            _one([1.0], name="conf_high"),
            {},
            XptFormatError,
            r"column `conf_high` of dataset `T`: the variable name `conf_high` has 9 "
            r"characters; SAS transport v5 names hold at most 8 \(TS-140\); write Parquet "
            r"\(\.parquet\) or CSV \(\.csv\) instead, which have no such limit, or rename it",
            id="variable-name-long",
        ),
        pytest.param(
            _one([1.0], name="_X"),
            {},
            XptFormatError,
            r"variable name `_X` must start with a letter",
            id="variable-name-underscore",
        ),
        pytest.param(
            _one([1.0], name="A-B"),
            {},
            XptFormatError,
            r"variable name `A-B` must start with a letter and hold only letters, digits",
            id="variable-name-dash",
        ),
        pytest.param(
            _one([1.0], name="ÄVAL"),
            {},
            XptFormatError,
            r"variable name `ÄVAL` holds non-ASCII characters; SAS transport v5 names are ASCII",
            id="variable-name-non-ascii",
        ),
        pytest.param(
            pl.DataFrame({"aval": [1.0], "AVAL": [2.0]}),
            {},
            XptFormatError,
            r"columns `aval` and `AVAL` of dataset `T` differ only in case; SAS variable names "
            r"ignore case",
            id="names-equal-but-for-case",
        ),
        pytest.param(
            _one([1.0]),
            {"labels": {"X": "A" * 41}},
            XptFormatError,
            r"the label of column `X` of dataset `T` 'A{41}' has 41 characters; SAS transport "
            r"v5 labels hold at most 40 \(TS-140\)",
            id="variable-label-long",
        ),
        pytest.param(
            _one([1.0]),
            {"labels": {"X": "Tumour size (µm)"}},
            XptFormatError,
            r"the label of column `X` of dataset `T` 'Tumour size \(µm\)' holds non-ASCII "
            r"characters \(first: 'µ'\)",
            id="variable-label-non-ascii",
        ),
        pytest.param(
            _one([1.0]),
            {"label": "B" * 41},
            XptFormatError,
            r"the label of dataset `T` 'B{41}' has 41 characters; SAS transport v5 labels hold "
            r"at most 40",
            id="dataset-label-long",
        ),
        pytest.param(
            _one(["ok", "Müller", "Zoë", None]),
            {},
            XptFormatError,
            r"column `X` of dataset `T` must be ASCII text \(FDA Study Data TCG\); found 2 "
            r"values of 4 rows \(first: 'Müller' at row 1\)",
            id="value-non-ascii",
        ),
        pytest.param(
            _one(["a", "x" * 201]),
            {},
            XptFormatError,
            r"column `X` of dataset `T` must hold at most 200 bytes \(TS-140\); found 1 value "
            r"of 2 rows \(first: 'x{56}\.\.\. at row 1\)",
            id="value-over-200-bytes",
        ),
        pytest.param(
            _one([1.0, 1e75, -2e75]),
            {},
            XptFormatError,
            r"column `X` of dataset `T` must be under 2\*\*249 \(~9\.05e74\) in magnitude.*"
            r"found 2 values of 3 rows \(first: 1e\+75 at row 1\)",
            id="number-too-large",
        ),
        pytest.param(
            _one([0.0, 1e-80]),
            {},
            XptFormatError,
            r"must be 0 or at least 16\*\*-65 \(~5\.4e-79\) in magnitude, the smallest number "
            r"IBM floating point holds \(TS-140\); found 1 value of 2 rows \(first: 1e-80 at "
            r"row 1\)",
            id="number-too-small",
        ),
        pytest.param(
            _one([1.0, float("inf")]),
            {},
            XptFormatError,
            r"must be under 2\*\*249.*\(first: inf at row 1\)",
            id="number-infinite",
        ),
        pytest.param(
            _one([float("nan")]),
            {},
            XptFormatError,
            r"column `X` of dataset `T` must not be NaN \(a missing value is null\)",
            id="number-nan",
        ),
        pytest.param(
            _one([1, 2**53 + 1]),
            {},
            XptFormatError,
            r"column `X` of dataset `T` must be within ±2\*\*53: SAS numbers are doubles, "
            r"larger integers are rounded \(TS-140\); found 1 value of 2 rows \(first: "
            r"9007199254740993 at row 1\)",
            id="integer-beyond-2-53",
        ),
        pytest.param(
            _one([[1, 2]]),
            {},
            ColumnTypeError,
            r"column `X` of dataset `T` holds a list \(List\(Int64\)\); SAS transport v5 holds "
            r"numbers and text only",
            id="list",
        ),
        pytest.param(
            _one([{"a": 1}]),
            {},
            ColumnTypeError,
            r"column `X` of dataset `T` holds a struct",
            id="struct",
        ),
        pytest.param(
            _one([b"\x00"]),
            {},
            ColumnTypeError,
            r"column `X` of dataset `T` holds binary \(Binary\)",
            id="binary",
        ),
        pytest.param(
            _one([dt.timedelta(days=1)]),
            {},
            ColumnTypeError,
            r"holds a duration \(convert it to a number of days or seconds first\)",
            id="duration",
        ),
        pytest.param(
            _one([decimal.Decimal("1.5")]),
            {},
            ColumnTypeError,
            r"holds decimal \(cast it to Float64 first\)",
            id="decimal",
        ),
        pytest.param(
            _one([dt.datetime(2020, 1, 1)], dtype=pl.Datetime("us", "Europe/Paris")),
            {},
            ColumnTypeError,
            r"holds a datetime in time zone Europe/Paris \(SAS datetimes have none",
            id="datetime-time-zone",
        ),
        pytest.param(
            pl.DataFrame({"X": [0, 1_500]}).select(pl.col("X").cast(pl.Datetime("ns"))),
            {},
            XptFormatError,
            r"must be whole microseconds.*found 1 value of 2 rows",
            id="datetime-nanoseconds",
        ),
        pytest.param(
            pl.DataFrame({"A": ["x", "", None], "B": ["y", " ", None]}),
            {},
            XptFormatError,
            r"the last 2 of the 3 rows of dataset `T` are blank in every column \(first: row "
            r"1\); SAS transport v5 pads its last record with blanks and readers drop trailing "
            r"blank rows, so they would be lost \(TS-140\)",
            id="trailing-blank-rows",
        ),
    ],
)
def test_refusals_name_the_rule_and_write_nothing(tmp_path, frame, kwargs, error, match):
    target = tmp_path / "t.xpt"
    with pytest.raises(error, match=match):
        write_xpt(frame, target, **kwargs)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_the_output_must_end_in_xpt(tmp_path):
    with pytest.raises(OutputPathError, match=r"output path `.*t\.parquet` must end in \.xpt"):
        write_xpt(_one([1.0]), tmp_path / "t.parquet")


def test_a_refused_table_leaves_the_old_file(tmp_path):
    target = write_xpt(_one([1.0]), tmp_path / "t.xpt")
    before = target.read_bytes()
    with pytest.raises(XptFormatError):
        write_xpt(_one([float("nan")]), target)
    assert target.read_bytes() == before


def test_the_dataset_name_comes_from_the_file_name(tmp_path):
    with pytest.raises(
        XptFormatError,
        match=r"dataset name `KM_TABLE1` \(from the file name `km_table1\.xpt`\) has 9 characters",
    ):
        write_xpt(_one([1.0]), tmp_path / "km_table1.xpt")
    write_xpt(_one([1.0]), tmp_path / "adtte.xpt", label="Time to Event")
    _, meta = pyreadstat.read_xport(str(tmp_path / "adtte.xpt"), metadataonly=True)
    assert (meta.table_name, meta.file_label) == ("ADTTE", "Time to Event")
    write_xpt(_one([1.0]), tmp_path / "other.xpt", name="adsl")
    _, meta = pyreadstat.read_xport(str(tmp_path / "other.xpt"), metadataonly=True)
    assert meta.table_name == "adsl"


# --- round trip -------------------------------------------------------------------------------


def test_round_trip_by_hand(tmp_path):
    frame = _frame()
    path = write_xpt(frame, tmp_path / "adtte.xpt", labels={**LABELS, "GONE": "ignored"})
    back, labels = read_table_file(path)
    assert back.columns == frame.columns
    assert labels == LABELS
    expected = frame.with_columns(
        # SAS has numbers and text only: integers and booleans come back as doubles, and
        # missing text is blank
        pl.col("CNSR", "FLAG").cast(pl.Float64),
        pl.col("USUBJID").fill_null(""),
    )
    assert back.schema == expected.schema
    assert back.equals(expected)
    _, meta = pyreadstat.read_xport(str(path), metadataonly=True)
    assert meta.original_variable_types == {
        "USUBJID": None,
        "AVAL": None,
        "CNSR": None,
        "FLAG": None,
        "ADT": "DATE9",
        "ADTM": "DATETIME20",
        "ATM": "TIME8",
    }


def test_categorical_and_all_null_columns(tmp_path):
    frame = pl.DataFrame(
        {
            "ARM": pl.Series(["A", "B", "A"], dtype=pl.Categorical),
            "ARMCD": pl.Series(["X", "Y", "X"], dtype=pl.Enum(["X", "Y"])),
            "NONE": [None, None, None],
        }
    )
    back, _ = read_table_file(write_xpt(frame, tmp_path / "t.xpt"))
    # an all-null column is written as numeric missing values, not as blank text, so a last
    # row that is null in every column is kept
    last = read_table_file(write_xpt(frame.select("NONE"), tmp_path / "n.xpt"))[0]
    assert last.to_dict(as_series=False) == {"NONE": [None, None, None]}
    assert back.to_dict(as_series=False) == {
        "ARM": ["A", "B", "A"],
        "ARMCD": ["X", "Y", "X"],
        "NONE": [None, None, None],
    }


def test_the_limits_of_ibm_floating_point_round_trip_exactly(tmp_path):
    below = float.fromhex("0x1.fffffffffffffp+248")  # the largest double under 2**249
    values = [MIN_MAGNITUDE, -MIN_MAGNITUDE, below, -below, 2.0**53, 1 / 3, 0.1, -0.0]
    back, _ = read_table_file(write_xpt(_one(values), tmp_path / "t.xpt"))
    assert back.get_column("X").to_list() == values  # -0.0 == 0.0: written as 0
    assert below < MAX_MAGNITUDE


def test_datetimes_far_from_1960_hold_about_a_microsecond(tmp_path):
    # a SAS datetime is a double of seconds from 1960: beyond 2**32 s (before 1824, after
    # 2096) its step exceeds half a microsecond, so a microsecond may come back one off
    frame = _one([dt.datetime(1800, 1, 1, 0, 0, 0, 100940), dt.datetime(2020, 1, 1, 0, 0, 0, 1)])
    back, _ = read_table_file(write_xpt(frame, tmp_path / "t.xpt"))
    far, near = back.get_column("X").to_list()
    assert far == dt.datetime(1800, 1, 1, 0, 0, 0, 100941)
    assert near == dt.datetime(2020, 1, 1, 0, 0, 0, 1)


_NAMES = st.from_regex(r"[A-Z][A-Z0-9_]{0,7}", fullmatch=True)
_ASCII = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30)
_FLOATS = st.floats(allow_nan=False, allow_infinity=False).filter(
    lambda x: x == 0 or MIN_MAGNITUDE <= abs(x) < MAX_MAGNITUDE
)
_COLUMNS = {
    "float": (st.one_of(st.none(), _FLOATS), pl.Float64),
    "int": (st.one_of(st.none(), st.integers(-(2**53), 2**53)), pl.Int64),
    "bool": (st.one_of(st.none(), st.booleans()), pl.Boolean),
    "text": (st.one_of(st.none(), _ASCII.map(str.rstrip)), pl.String),
    "date": (
        st.one_of(st.none(), st.dates(dt.date(1582, 10, 15), dt.date(9999, 12, 31))),
        pl.Date,
    ),
    "datetime": (
        st.one_of(st.none(), st.datetimes(dt.datetime(1825, 1, 1), dt.datetime(2095, 12, 31))),
        pl.Datetime("us"),
    ),
    "time": (st.one_of(st.none(), st.times()), pl.Time),
}


@st.composite
def _tables(draw):
    kinds = draw(st.lists(st.sampled_from(sorted(_COLUMNS)), min_size=1, max_size=5))
    names = draw(st.lists(_NAMES, min_size=len(kinds), max_size=len(kinds), unique_by=str.upper))
    n = draw(st.integers(1, 6))
    columns = {}
    for name, kind in zip(names, kinds, strict=True):
        values, dtype = _COLUMNS[kind]
        columns[name] = pl.Series(name, draw(st.lists(values, min_size=n, max_size=n)), dtype)
    labels = draw(st.dictionaries(st.sampled_from(names), _ASCII.filter(str.strip)))
    return pl.DataFrame(columns), {k: v[:40] for k, v in labels.items()}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(table=_tables())
def test_round_trip_property(tmp_path, table):
    frame, labels = table
    text_only = all(t == pl.String for t in frame.dtypes)
    assume(not (text_only and all(not v for v in frame.row(-1))))  # refused, tested above
    path = write_xpt(frame, tmp_path / "t.xpt", labels=labels)
    back, read_labels = read_table_file(path)
    assert back.columns == frame.columns
    assert read_labels == {k: v.rstrip() for k, v in labels.items() if v.rstrip()}
    for name, dtype in frame.schema.items():
        got = back.get_column(name).to_list()
        if dtype == pl.String:
            want = [v or "" for v in frame.get_column(name).to_list()]
        elif dtype in (pl.Int64, pl.Boolean):
            want = frame.get_column(name).cast(pl.Float64).to_list()
        else:
            want = frame.get_column(name).to_list()
        assert got == want, name


# --- same bytes -------------------------------------------------------------------------------


def test_reruns_write_the_same_bytes(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = write_xpt(_frame(), tmp_path / "a.xpt", labels=LABELS).read_bytes()
    second = write_xpt(_frame(), tmp_path / "a.xpt", labels=LABELS).read_bytes()
    assert first == second
    # pyreadstat stamps the clock into the headers' created and modified times: the SAS epoch
    # replaces them, or SOURCE_DATE_EPOCH when set
    assert first[144:176] == b"01JAN60:00:00:00" * 2
    assert first[464:496] == b"01JAN60:00:00:00" * 2
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    stamped = write_xpt(_frame(), tmp_path / "a.xpt", labels=LABELS).read_bytes()
    assert stamped[144:176] == b"01JAN26:00:00:00" * 2
    assert stamped[464:496] == b"01JAN26:00:00:00" * 2
    assert stamped.replace(b"01JAN26", b"01JAN60") == first


# --- command line and write_table ------------------------------------------------------------

runner = CliRunner()
SURVSTAT = (sys.executable, "-m", "survstat")


def test_write_table_chooses_the_writer_by_extension(tmp_path):
    meta = {"analysis": "test"}
    parquet = write_table(_frame(), tmp_path / "a.parquet", labels=LABELS, metadata=meta)
    xpt = write_table(_frame(), tmp_path / "adtte.xpt", labels=LABELS, metadata=meta)
    assert read_labels(parquet) == read_labels(xpt) == LABELS
    assert read_metadata(parquet) == read_metadata(xpt) == meta
    record = json.loads((tmp_path / "adtte.xpt.json").read_text())
    assert record == {
        "file": "adtte.xpt",
        "sha256": hashlib.sha256(xpt.read_bytes()).hexdigest(),
        "survstat": meta,
    }
    with pytest.raises(
        OutputPathError, match=r"`.*a\.txt` must end in \.parquet or \.xpt or \.csv"
    ):
        write_table(_frame(), tmp_path / "a.txt")
    write_table(_frame(), tmp_path / "plain.xpt")
    assert not (tmp_path / "plain.xpt.json").exists()
    assert read_metadata(tmp_path / "plain.xpt") == {}


def test_cli_writes_xpt_with_provenance_beside_it(tmp_path):
    out = tmp_path / "gbsg2.xpt"
    r = runner.invoke(app, ["datasets", "export", "gbsg2", "-o", str(out)])
    assert r.exit_code == 0, r.output
    back, _ = read_table_file(out)
    gbsg2 = survstat.datasets.load("gbsg2")
    assert back.columns == gbsg2.columns
    assert back.equals(gbsg2.with_columns(pl.col(pl.Int64).cast(pl.Float64)))
    meta = read_metadata(out)
    assert meta["analysis"] == "datasets export"
    assert meta["parameters"] == {"name": "gbsg2"}
    first = out.read_bytes(), (tmp_path / "gbsg2.xpt.json").read_bytes()
    assert runner.invoke(app, ["datasets", "export", "gbsg2", "-o", str(out)]).exit_code == 0
    assert (out.read_bytes(), (tmp_path / "gbsg2.xpt.json").read_bytes()) == first


def test_cli_long_column_names_are_an_error_suggesting_parquet(tmp_path):
    data = tmp_path / "g.parquet"
    survstat.datasets.load("gbsg2").write_parquet(data)
    out = tmp_path / "km.xpt"
    args = ["km", str(data), "--time", "time", "--event", "cens", "--by", "horTh"]
    r = runner.invoke(app, [*args, "-o", str(out)])
    assert r.exit_code == 1
    assert r.stderr.strip().splitlines() == [
        "error: column `std_error` of dataset `KM`: the variable name `std_error` has 9 "
        "characters; SAS transport v5 names hold at most 8 (TS-140); write Parquet (.parquet) "
        "or CSV (.csv) instead, which have no such limit, or rename it"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.parquet"]  # nothing written
    r = runner.invoke(app, [*args, "-o", str(tmp_path / "km.txt")])
    assert r.exit_code == 1
    assert "must end in .parquet or .xpt or .csv" in r.stderr
    r = runner.invoke(app, ["datasets", "export", "gbsg2", "-o", str(tmp_path / "gbsg2-v1.xpt")])
    assert r.exit_code == 1
    assert r.stderr.startswith(
        "error: dataset name `GBSG2-V1` (from the file name `gbsg2-v1.xpt`) must start with a "
        "letter and hold only letters, digits and underscores"
    )


def test_cli_xpt_in_a_real_process(tmp_path):
    proc = subprocess.run(
        [*SURVSTAT, "datasets", "export", "mgus2", "-o", "mgus2.xpt"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    back, _ = read_table_file(tmp_path / "mgus2.xpt")
    assert back.height == survstat.datasets.load("mgus2").height
    assert read_metadata(tmp_path / "mgus2.xpt")["analysis"] == "datasets export"
    summary = ["summary", "mgus2.xpt", "--time", "futime", "--event", "death"]
    proc = subprocess.run(
        [*SURVSTAT, *summary, "-o", "summary.xpt"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "error: column `conf_high` of dataset `SUMMARY`: the variable name `conf_high` has 9 "
        "characters; SAS transport v5 names hold at most 8 (TS-140); write Parquet (.parquet) "
        "or CSV (.csv) instead, which have no such limit, or rename it"
    ]


def test_every_table_is_checked_before_any_is_written(tmp_path):
    from survstat.analyses import AnalysisOutput, Extra
    from survstat.cli._common import write_output

    ok = pl.DataFrame({"AVAL": [1.0]})
    out = AnalysisOutput(ok, "main", 1, extras=(Extra("per_group", "extra", ok),))
    with pytest.raises(
        XptFormatError,
        match=r"dataset name `PER_GROUP` \(of `t\.per_group\.xpt`\) has 9 characters",
    ):
        write_output(out, tmp_path / "t.xpt", analysis="a", parameters={}, data="d")
    assert list(tmp_path.iterdir()) == []
    out = AnalysisOutput(ok, "main", 1, extras=(Extra("model", "extra", ok),))
    write_output(out, tmp_path / "t.xpt", analysis="a", parameters={}, data="d")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "t.model.xpt",
        "t.model.xpt.json",
        "t.xpt",
        "t.xpt.json",
    ]
    _, meta = pyreadstat.read_xport(str(tmp_path / "t.model.xpt"), metadataonly=True)
    assert meta.table_name == "MODEL"
