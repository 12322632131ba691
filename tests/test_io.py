"""Parquet output: atomic writes and provenance metadata."""

from __future__ import annotations

import polars as pl
import pyarrow.parquet as pq
import pytest

import survstat
from survstat.errors import InputFormatError
from survstat.io import provenance, read_metadata, write_parquet


def test_round_trip_with_metadata(tmp_path):
    df = pl.DataFrame({"a": [1, 2], "b": [0.5, None]})
    meta = provenance("km", {"conf_level": 0.95}, input_path="in.parquet", n_rows=2)
    out = write_parquet(df, tmp_path / "out.parquet", meta)
    assert pl.read_parquet(out).equals(df)
    got = read_metadata(out)
    assert got["analysis"] == "km"
    assert got["parameters"] == {"conf_level": 0.95}
    assert got["input"] == "in.parquet"
    assert got["input_rows"] == 2
    assert got["survstat_version"] == survstat.__version__


def test_failed_write_leaves_no_file(tmp_path, monkeypatch):
    target = tmp_path / "out.parquet"

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", boom)
    with pytest.raises(OSError, match="disk full"):
        write_parquet(pl.DataFrame({"a": [1]}), target)
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "out.parquet"
    write_parquet(pl.DataFrame({"a": [1]}), target)
    monkeypatch.setattr(pq, "write_table", lambda *a, **k: (_ for _ in ()).throw(OSError("boom")))
    with pytest.raises(OSError, match="boom"):
        write_parquet(pl.DataFrame({"a": [2]}), target)
    assert pl.read_parquet(target)["a"].to_list() == [1]
    assert [p.name for p in tmp_path.iterdir()] == ["out.parquet"]


def test_output_must_be_parquet(tmp_path):
    with pytest.raises(InputFormatError, match=r"output path `.*out.csv` must end in .parquet"):
        write_parquet(pl.DataFrame({"a": [1]}), tmp_path / "out.csv")


def test_metadata_of_foreign_file_is_empty(tmp_path):
    pl.DataFrame({"a": [1]}).write_parquet(tmp_path / "x.parquet")
    assert read_metadata(tmp_path / "x.parquet") == {}
