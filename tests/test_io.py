"""Parquet output: atomic writes and provenance metadata."""

from __future__ import annotations

import os
import tempfile

import polars as pl
import pyarrow.parquet as pq
import pytest

import survstat
from survstat.errors import OutputPathError
from survstat.io import check_output_path, provenance, read_metadata, write_parquet


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
    with pytest.raises(OutputPathError, match=r"cannot write `.*out.parquet`: disk full"):
        write_parquet(pl.DataFrame({"a": [1]}), target)
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "out.parquet"
    write_parquet(pl.DataFrame({"a": [1]}), target)
    monkeypatch.setattr(pq, "write_table", lambda *a, **k: (_ for _ in ()).throw(OSError("boom")))
    with pytest.raises(OutputPathError, match="boom"):
        write_parquet(pl.DataFrame({"a": [2]}), target)
    assert pl.read_parquet(target)["a"].to_list() == [1]
    assert [p.name for p in tmp_path.iterdir()] == ["out.parquet"]


def test_output_must_be_parquet(tmp_path):
    with pytest.raises(OutputPathError, match=r"output path `.*out.csv` must end in .parquet"):
        write_parquet(pl.DataFrame({"a": [1]}), tmp_path / "out.csv")


def test_metadata_of_foreign_file_is_empty(tmp_path):
    pl.DataFrame({"a": [1]}).write_parquet(tmp_path / "x.parquet")
    assert read_metadata(tmp_path / "x.parquet") == {}


def test_provenance_records_a_time_only_from_source_date_epoch(tmp_path, monkeypatch):
    """Without SOURCE_DATE_EPOCH an output records no time, so a rerun gives the same bytes;
    with it, that time (1700000000 s = 2023-11-14T22:13:20 UTC)."""
    df = pl.DataFrame({"a": [1, 2]})
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert provenance("km", {})["created_utc"] is None
    first = write_parquet(df, tmp_path / "1.parquet", provenance("km", {})).read_bytes()
    second = write_parquet(df, tmp_path / "2.parquet", provenance("km", {})).read_bytes()
    assert first == second
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    out = write_parquet(df, tmp_path / "3.parquet", provenance("km", {}))
    assert read_metadata(out)["created_utc"] == "2023-11-14T22:13:20+00:00"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("folder", r"output `.*folder` is a folder; give a file name in it, e.g. `.*out.parquet`"),
        (
            "missing/out.parquet",
            r"output folder `.*missing` does not exist \(for `.*out.parquet`\)",
        ),
        ("file.parquet/out.parquet", r"output folder `.*file.parquet` is not a folder"),
        ("out.csv", r"output path `.*out.csv` must end in .parquet"),
    ],
)
def test_check_output_path(tmp_path, target, message):
    (tmp_path / "folder").mkdir()
    pl.DataFrame({"a": [1]}).write_parquet(tmp_path / "file.parquet")
    with pytest.raises(OutputPathError, match=message):
        check_output_path(tmp_path / target, (".parquet",))
    assert not (tmp_path / "missing").exists()  # a typo in a folder name is not created


def test_write_into_a_folder_or_a_refused_place(tmp_path, monkeypatch):
    (tmp_path / "out.parquet").mkdir()
    with pytest.raises(OutputPathError, match=r"cannot write `.*out.parquet`: it is a folder"):
        write_parquet(pl.DataFrame({"a": [1]}), tmp_path / "out.parquet")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(OutputPathError, match=r"cannot write `.*x.parquet`: Permission denied"):
        write_parquet(pl.DataFrame({"a": [1]}), tmp_path / "x.parquet")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    with pytest.raises(OutputPathError, match=r"folder `.*ro` is not writable"):
        check_output_path(ro / "out.parquet", (".parquet",))


@pytest.mark.parametrize(
    ("inputs", "output", "message"),
    [
        (["g.parquet"], "g.parquet", r"the input `g.parquet` is the output `g.parquet`"),
        (["d"], "d/km.parquet", r"output `d/km.parquet` is inside the input folder `d`"),
        (["d/*.parquet"], "d/km.parquet", r"matches the input glob `d/\*.parquet`"),
        (
            ["lr.per_group.parquet"],
            "lr.parquet",
            r"the input `lr.per_group.parquet` could be overwritten by a table written beside",
        ),
    ],
)
def test_an_output_never_replaces_or_joins_an_input(tmp_path, monkeypatch, inputs, output, message):
    from survstat.errors import OutputPathError
    from survstat.io import check_output_path

    monkeypatch.chdir(tmp_path)
    frame = pl.DataFrame({"x": [1]})
    (tmp_path / "d").mkdir()
    for name in ("g.parquet", "d/a.parquet", "lr.per_group.parquet", "x.parquet.bak"):
        frame.write_parquet(tmp_path / name)
    with pytest.raises(OutputPathError, match=message):
        check_output_path(output, (".parquet",), inputs)
    # names that merely start alike, other folders, frames and URLs are fine
    for ok_inputs, ok_output in [
        (["x.parquet.bak"], "x.parquet"),
        (["d"], "km.parquet"),
        (["g.parquet"], "g_km.parquet"),
        ([frame, "s3a://bucket/data"], "g2.parquet"),
    ]:
        check_output_path(ok_output, (".parquet",), ok_inputs)
