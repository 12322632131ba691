"""Inputs: every file a path names is checked, and a file that cannot be read is named.

Each case is a small input built by hand; the comment says what is wrong with it and the
test pins the message (which file, which rule, how many files break it).
"""

from __future__ import annotations

import itertools
import os
import zipfile

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survstat.errors import EmptyDataError, InputFormatError
from survstat.io import parquet_files, reading, scan

FRAME = pl.DataFrame({"time": [1.0, 2.0, 3.0, 4.0], "event": [1, 0, 1, 1], "arm": list("ABAB")})


def broken_page_file(path):
    """A Parquet file whose footer is valid but whose first data page header is garbage:
    only reading the data finds it."""
    table = pa.table({"time": [float(i) for i in range(200)], "event": [i % 2 for i in range(200)]})
    pq.write_table(table, path, compression="none")
    column = pq.read_metadata(path).row_group(0).column(0)
    data = bytearray(path.read_bytes())
    start = column.data_page_offset
    data[start : start + 24] = b"\xab" * 24
    path.write_bytes(bytes(data))
    return path


def rows(source) -> list[tuple]:
    return sorted(scan(source)[0].collect().select("time", "event", "arm").rows())


# --- one file -------------------------------------------------------------------------------


def test_csv_named_parquet(tmp_path):
    # text with a header line: a CSV given where Parquet is expected, whatever its name;
    # 47 bytes = "time,event,arm\n" (15) + 4 rows such as "1.0,1,A\n" (8 each)
    path = tmp_path / "trial.parquet"
    FRAME.write_csv(path)
    with pytest.raises(
        InputFormatError,
        match=r"`.*trial.parquet` is not a Parquet file: it holds text \(first line: "
        r"'time,event,arm'; 47 bytes\), e.g. CSV; name it .csv if it is CSV, or polars.read_csv",
    ):
        scan(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, r"it is an Arrow IPC \(Feather\) file; convert it first, e.g. polars.read_ipc"),
        (b"\x1f\x8b\x08\x00" + b"\x00" * 20, r"it is a gzip-compressed file; decompress it"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, r"it is a PNG image; not a table survstat can read"),
        (bytes(range(256)), r"\(no PAR1 magic bytes; 256 bytes of binary data\); convert it to"),
    ],
    ids=["arrow", "gzip", "png", "binary"],
)
def test_files_named_parquet_that_are_something_else(tmp_path, content, message):
    path = tmp_path / "cut.parquet"
    if content is None:
        pl.DataFrame({"a": [1]}).write_ipc(path)
    else:
        path.write_bytes(content)
    with pytest.raises(
        InputFormatError, match=r"`.*cut.parquet` is not a Parquet file.*" + message
    ):
        scan(str(path))


def test_xlsx(tmp_path):
    # an .xlsx workbook is a ZIP archive: it starts with PK\x03\x04
    path = tmp_path / "trial.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(
        InputFormatError,
        match=r"`.*trial.xlsx` is not a Parquet file: it is a ZIP archive such as an Excel "
        r"workbook \(.xlsx\); convert it first, e.g. polars.read_excel",
    ):
        scan(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.parquet"
    path.write_bytes(b"")
    with pytest.raises(InputFormatError, match=r"`.*empty.parquet` is empty \(0 bytes\)"):
        scan(path)


def test_truncated_file(tmp_path):
    # the first half of a valid file: it starts with PAR1 but the footer (and its PAR1) is gone
    path = tmp_path / "t.parquet"
    FRAME.write_parquet(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(
        InputFormatError,
        match=r"`.*t.parquet` is not a complete Parquet file: it starts with Parquet's magic "
        rf"bytes but does not end with them \({len(data) // 2} bytes; truncated\?\)",
    ):
        scan(path)


def test_garbage_between_magic_bytes(tmp_path):
    # PAR1 at both ends, zeros in between: the footer length points at nothing readable
    path = tmp_path / "g.parquet"
    FRAME.write_parquet(path)
    size = path.stat().st_size
    path.write_bytes(b"PAR1" + b"\x00" * (size - 12) + (100).to_bytes(4, "little") + b"PAR1")
    with pytest.raises(
        InputFormatError,
        match=r"`.*g.parquet` is a corrupt Parquet file: its footer cannot be read",
    ):
        scan(path)


def test_broken_page_is_named_when_read(tmp_path):
    # the footer reads, so the file opens; decoding the page fails when the data is collected
    path = broken_page_file(tmp_path / "broken.parquet")
    frame, _ = scan(path)
    with (
        pytest.raises(
            InputFormatError,
            match=r"`.*broken.parquet` is a corrupt Parquet file: row group 1 of 1 cannot be "
            r"decoded \(",
        ),
        reading(path),
    ):
        frame.collect()


def test_reading_passes_other_errors_unchanged(tmp_path):
    path = tmp_path / "ok.parquet"
    FRAME.write_parquet(path)
    with pytest.raises(ZeroDivisionError), reading(path):
        _ = 1 / 0
    # a reader's error on a frame built in memory: no file to name, the error passes
    with pytest.raises(pl.exceptions.InvalidOperationError), reading(FRAME):
        FRAME.select(pl.col("arm").cast(pl.Int64)).to_series()
    with pytest.raises(EmptyDataError, match="mine"), reading(path):
        raise EmptyDataError("mine")


def test_duplicate_column_names_in_a_file(tmp_path):
    # Parquet allows two columns named `time`; a frame cannot hold them
    path = tmp_path / "dup.parquet"
    pq.write_table(pa.table([[1, 2], [3, 4], [0, 1]], names=["time", "time", "event"]), path)
    with pytest.raises(
        InputFormatError,
        match=r"`.*dup.parquet` has duplicate column names: `time` appears 2 times",
    ):
        scan(path)


def test_duplicate_column_names_in_frames():
    table = pa.table([[1, 2], [3, 4], [0, 1], [0, 1]], names=["time", "time", "event", "event"])
    with pytest.raises(
        InputFormatError,
        match=r"the pyarrow table has duplicate column names: `time` appears 2 times "
        r"\(2 names repeat\)",
    ):
        scan(table)
    frame = pd.DataFrame([[1.0, 2.0, 1]], columns=["time", "time", "event"])
    with pytest.raises(
        InputFormatError,
        match=r"the pandas DataFrame has duplicate column names: `time` appears 2 times$",
    ):
        scan(frame)


def test_zero_rows(tmp_path):
    # a valid Parquet file with the columns and no rows: nothing to analyse
    path = tmp_path / "zero.parquet"
    FRAME.clear().write_parquet(path)
    with pytest.raises(EmptyDataError, match=r"`.*zero.parquet` holds no rows"):
        scan(path)


def test_fifo_is_not_opened(tmp_path):
    # opening a FIFO would wait for a writer forever: it is refused by its kind
    path = tmp_path / "pipe.parquet"
    os.mkfifo(path)
    with pytest.raises(InputFormatError, match=r"`.*pipe.parquet` is a FIFO \(named pipe\)"):
        scan(path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.parquet"
    FRAME.write_parquet(path)
    path.chmod(0)
    with pytest.raises(
        InputFormatError, match=r"cannot read `.*secret.parquet`: Permission denied"
    ):
        scan(path)


# --- folders and globs ----------------------------------------------------------------------


def test_folder_files_must_agree_on_types(tmp_path):
    # three parts; the third stores `time` as text: 1 of the 2 others differs from the first
    for i, part in enumerate(FRAME.iter_slices(2)):
        part.write_parquet(tmp_path / f"part-{i}.parquet")
    FRAME.with_columns(pl.col("time").cast(pl.String)).write_parquet(tmp_path / "part-2.parquet")
    with pytest.raises(
        InputFormatError,
        match=r"the 3 files of `.*` disagree on schema: 1 differs from the first, "
        r"`.*part-0.parquet` \(first: `.*part-2.parquet` has `time` as String where the first "
        r"has Float64\)",
    ):
        scan(tmp_path)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda f: f.drop("arm"), "lacks column `arm`"),
        (lambda f: f.with_columns(site=pl.lit(1)), "has column `site` that the first lacks"),
    ],
)
def test_glob_files_must_agree_on_columns(tmp_path, change, why):
    FRAME.write_parquet(tmp_path / "a.parquet")
    change(FRAME).write_parquet(tmp_path / "b.parquet")
    with pytest.raises(InputFormatError, match=rf"\(first: `.*b.parquet` {why}\)"):
        scan(str(tmp_path / "*.parquet"))


def test_column_order_may_differ(tmp_path):
    # the same columns in another order are the same schema: all 8 rows are read
    FRAME.write_parquet(tmp_path / "a.parquet")
    FRAME.select("arm", "event", "time").write_parquet(tmp_path / "b.parquet")
    assert rows(tmp_path) == sorted(FRAME.rows() * 2)


def test_every_file_of_a_folder_is_checked(tmp_path):
    # the first file is fine; the second and third are a CSV and an empty file named .parquet
    FRAME.write_parquet(tmp_path / "a.parquet")
    FRAME.write_csv(tmp_path / "b.parquet")
    (tmp_path / "c.parquet").write_bytes(b"")
    with pytest.raises(
        InputFormatError,
        match=r"2 of the 3 files of `.*` cannot be read as Parquet \(first: `.*b.parquet` is not "
        r"a Parquet file",
    ):
        scan(tmp_path)


def test_folder_with_a_file_that_is_not_parquet(tmp_path):
    FRAME.write_parquet(tmp_path / "a.parquet")
    FRAME.write_csv(tmp_path / "extra.csv")
    with pytest.raises(
        InputFormatError,
        match=r"directory `.*` holds 1 file that is not \.parquet \(first: `.*extra.csv`\); "
        r"move it out",
    ):
        scan(tmp_path)


def test_hidden_and_marker_files_are_skipped(tmp_path):
    # writer markers, checksums and hidden files: none is data, none is read
    FRAME.write_parquet(tmp_path / "part-0.parquet")
    FRAME.head(1).write_parquet(tmp_path / ".part-1.parquet")
    FRAME.head(1).write_parquet(tmp_path / "_tmp.parquet")
    (tmp_path / "_SUCCESS").write_text("")
    (tmp_path / ".part-0.parquet.crc").write_bytes(b"\x00\x01")
    kind, files = parquet_files(str(tmp_path))
    assert kind == "dir"
    assert [f.name for f in files] == ["part-0.parquet"]
    assert rows(tmp_path) == sorted(FRAME.rows())


def test_glob_matching_folders(tmp_path):
    FRAME.write_parquet(tmp_path / "a.parquet")
    (tmp_path / "sub").mkdir()
    with pytest.raises(
        InputFormatError,
        match=r"glob `.*/\*` matches 1 folder \(first: `.*sub`\); a glob must match Parquet files "
        r"only",
    ):
        scan(str(tmp_path / "*"))


def test_folder_of_empty_parts_holds_no_rows(tmp_path):
    FRAME.clear().write_parquet(tmp_path / "a.parquet")
    FRAME.clear().write_parquet(tmp_path / "b.parquet")
    with pytest.raises(EmptyDataError, match=r"the 2 files of `.*` hold no rows"):
        scan(tmp_path)
    # an empty part beside others is fine
    FRAME.write_parquet(tmp_path / "c.parquet")
    assert rows(tmp_path) == sorted(FRAME.rows())


def test_broken_page_in_the_second_file_of_a_folder(tmp_path):
    # the error names the file that fails, not the folder
    pl.DataFrame({"time": [5.0], "event": [1]}).write_parquet(tmp_path / "a.parquet")
    broken_page_file(tmp_path / "b.parquet")
    frame, _ = scan(tmp_path)
    with (
        pytest.raises(
            InputFormatError, match=r"`.*b.parquet` is a corrupt Parquet file: row group"
        ),
        reading(str(tmp_path)),
    ):
        frame.collect()


# --- properties -----------------------------------------------------------------------------


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cuts=st.lists(st.integers(0, FRAME.height), max_size=3))
def test_any_split_into_files_reads_back_the_rows(tmp_path_factory, cuts):
    """However the rows are split into the files of a folder (empty parts included), the
    folder reads back exactly the rows of the frame."""
    folder = tmp_path_factory.mktemp("split")
    bounds = [0, *sorted(cuts), FRAME.height]
    for i, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        FRAME.slice(lo, hi - lo).write_parquet(folder / f"part-{i}.parquet")
    assert rows(folder) == sorted(FRAME.rows())


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(keep=st.floats(0.0, 0.999))
def test_any_truncation_is_refused_by_name(tmp_path_factory, keep):
    """A valid file cut anywhere is refused with an InputFormatError naming it, never read."""
    path = tmp_path_factory.mktemp("cut") / "cut.parquet"
    FRAME.write_parquet(path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(InputFormatError, match=r"`.*cut.parquet` is "):
        scan(path)


def test_estimators_refuse_frames_with_duplicate_names():
    # the API reaches the same check: a pandas frame with `time` twice
    import survstat

    frame = pd.DataFrame([[1.0, 2.0, 1], [3.0, 4.0, 0]], columns=["time", "time", "event"])
    with pytest.raises(InputFormatError, match="the pandas DataFrame has duplicate column names"):
        survstat.kaplan_meier(frame, time="time", event="event")
