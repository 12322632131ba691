"""Every bad input or output gives exit code 1 and one line `error: ...` on stderr naming the
file, never a traceback: through typer's test runner and through a real process alike.

Each case builds its bad input by hand; its comment says what is wrong, and the pattern pins
the message.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from survstat.cli import app

runner = CliRunner()
KM = ["--time", "time", "--event", "cens"]
GOOD = pl.DataFrame(
    {"time": [5.0, 8.0, 12.0, 20.0, 30.0, 31.0], "cens": [1, 0, 1, 1, 0, 1], "arm": list("ABABAB")}
)


def good(tmp: Path) -> Path:
    path = tmp / "good.parquet"
    if not path.exists():
        GOOD.write_parquet(path)
    return path


def broken_page(path: Path) -> Path:
    """Valid footer, garbage where the first data page header should be."""
    table = pa.table({"time": [float(i + 1) for i in range(300)], "cens": [1] * 300})
    pq.write_table(table, path, compression="none")
    start = pq.read_metadata(path).row_group(0).column(0).data_page_offset
    data = bytearray(path.read_bytes())
    data[start : start + 24] = b"\xab" * 24
    path.write_bytes(bytes(data))
    return path


# --- the cases: (name, build(tmp) -> (arguments, pattern of the one error line)) ------------


def duplicate_columns(tmp):
    # two columns named `time` in one Parquet file
    path = tmp / "dup.parquet"
    pq.write_table(pa.table([[1.0, 2.0], [3.0, 4.0], [0, 1]], names=["time", "time", "cens"]), path)
    return ["km", path, *KM], r"`.*dup.parquet` has duplicate column names: `time` appears 2 times"


def folder_schemas_disagree(tmp):
    # part-1 stores `time` as text
    folder = tmp / "parts"
    folder.mkdir()
    GOOD.head(3).write_parquet(folder / "part-0.parquet")
    GOOD.tail(3).with_columns(pl.col("time").cast(pl.String)).write_parquet(
        folder / "part-1.parquet"
    )
    return ["km", folder, *KM], (
        r"the 2 files of `.*parts` disagree on schema: 1 differs from the first, "
        r"`.*part-0.parquet` \(first: `.*part-1.parquet` has `time` as String"
    )


def glob_schemas_disagree(tmp):
    # b.parquet lacks `cens`
    GOOD.write_parquet(tmp / "a.parquet")
    GOOD.drop("cens").write_parquet(tmp / "b.parquet")
    return ["km", str(tmp / "*.parquet"), *KM], r"\(first: `.*b.parquet` lacks column `cens`\)"


def folder_with_csv(tmp):
    folder = tmp / "data"
    folder.mkdir()
    GOOD.write_parquet(folder / "a.parquet")
    GOOD.write_csv(folder / "b.csv")
    return ["km", folder, *KM], r"directory `.*data` holds 1 file that is not .parquet"


def glob_with_csv_named_parquet(tmp):
    # every file a glob matches is checked, not only the first
    GOOD.write_parquet(tmp / "a.parquet")
    GOOD.write_csv(tmp / "b.parquet")
    return ["km", str(tmp / "*.parquet"), *KM], (
        r"1 of the 2 files of `.*\*.parquet` cannot be read as Parquet \(first: `.*b.parquet` is "
        r"not a Parquet file"
    )


def truncated(tmp):
    path = good(tmp)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 10])
    return ["km", path, *KM], r"`.*good.parquet` is not a complete Parquet file"


def garbage_footer(tmp):
    # magic bytes at both ends, zeros where the footer should be
    path = tmp / "g.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 200 + (100).to_bytes(4, "little") + b"PAR1")
    return ["km", path, *KM], r"`.*g.parquet` is a corrupt Parquet file: its footer cannot be read"


def broken_page_file(tmp):
    # found only when the estimator collects the data
    path = broken_page(tmp / "broken.parquet")
    return ["km", path, *KM], (
        r"`.*broken.parquet` is a corrupt Parquet file: row group 1 of 1 cannot be decoded"
    )


def fifo(tmp):
    path = tmp / "pipe.parquet"
    os.mkfifo(path)
    return ["km", path, *KM], r"`.*pipe.parquet` is a FIFO \(named pipe\), not a Parquet file"


def folder_as_job_file(tmp):
    # a directory where a file is expected
    return ["run", tmp], r"cannot read the job file: Is a directory"


def csv_file(tmp):
    # CSV text named .xpt: the content must match the extension
    path = tmp / "trial.xpt"
    GOOD.write_csv(path)
    return ["km", path, *KM], r"`.*trial.xpt` is not a SAS transport file \(v5 or v8\): it is text"


def xlsx_file(tmp):
    path = tmp / "trial.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    return ["km", path, *KM], r"`.*trial.xlsx` is not a Parquet file: it is a ZIP archive"


def empty_file(tmp):
    path = tmp / "empty.parquet"
    path.write_bytes(b"")
    return ["km", path, *KM], r"`.*empty.parquet` is empty \(0 bytes\), not a Parquet file"


def zero_rows(tmp):
    path = tmp / "zero.parquet"
    GOOD.clear().write_parquet(path)
    return ["km", path, *KM], r"`.*zero.parquet` holds no rows"


def glob_matching_folders(tmp):
    GOOD.write_parquet(tmp / "a.parquet")
    (tmp / "2024").mkdir()
    return ["km", str(tmp / "*"), *KM], r"glob `.*\*` matches 1 folder \(first: `.*2024`\)"


def missing_file(tmp):
    return ["km", tmp / "nope.parquet", *KM], r"input file `.*nope.parquet` does not exist"


def unreadable_file(tmp):
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their permissions (FIFO and folder cases cover it)")
    path = good(tmp)
    path.chmod(0)
    return ["km", path, *KM], r"cannot read `.*good.parquet`: Permission denied"


def output_is_a_folder(tmp):
    (tmp / "results").mkdir()
    return ["km", good(tmp), *KM, "-o", tmp / "results"], (
        r"output `.*results` is a folder; give a file name in it"
    )


def output_in_missing_folder(tmp):
    # a typo in the folder name is an error, not a new folder
    return ["km", good(tmp), *KM, "-o", tmp / "reslts" / "km.parquet"], (
        r"output folder `.*reslts` does not exist \(for `.*km.parquet`\); create it first"
    )


def output_read_only(tmp):
    if os.geteuid() != 0:
        ro = tmp / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        return ["km", good(tmp), *KM, "-o", ro / "km.parquet"], r"folder `.*ro` is not writable"
    if not Path("/sys/kernel").is_dir():
        pytest.skip("running as root, and no sysfs: no place root cannot write")
    # sysfs refuses new files even to root
    target = "/sys/survstat-km.parquet"
    return ["km", good(tmp), *KM, "-o", target], rf"cannot write `{target}`: "


def figure_in_missing_folder(tmp):
    return ["plot", "km", good(tmp), *KM, "-o", tmp / "figs" / "km.png"], (
        r"output folder `.*figs` does not exist"
    )


def report_in_missing_folder(tmp):
    # checked before the job runs
    job = Path(__file__).resolve().parents[1] / "examples" / "gbsg2.toml"
    args = ["report", job, "--output", tmp / "results", "-o", tmp / "reprts" / "gbsg2.html"]
    return args, r"output folder `.*reprts` does not exist"


CASES = {
    f.__name__: f
    for f in (
        duplicate_columns,
        folder_schemas_disagree,
        glob_schemas_disagree,
        folder_with_csv,
        glob_with_csv_named_parquet,
        truncated,
        garbage_footer,
        broken_page_file,
        fifo,
        folder_as_job_file,
        csv_file,
        xlsx_file,
        empty_file,
        zero_rows,
        glob_matching_folders,
        missing_file,
        unreadable_file,
        output_is_a_folder,
        output_in_missing_folder,
        output_read_only,
        figure_in_missing_folder,
        report_in_missing_folder,
    )
}


def assert_one_error_line(code: int, stdout: str, stderr: str, pattern: str) -> None:
    assert code == 1, stderr
    assert "Traceback" not in stdout + stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), lines[0]
    assert re.search(pattern, lines[0]), lines[0]
    assert stdout == ""


@pytest.mark.parametrize("case", CASES)
def test_in_process(tmp_path, case):
    args, pattern = CASES[case](tmp_path)
    r = runner.invoke(app, [str(a) for a in args])
    assert_one_error_line(r.exit_code, r.stdout, r.stderr, pattern)
    assert not list(tmp_path.rglob(".*.tmp")), "a temporary file was left behind"


@pytest.mark.parametrize("case", CASES)
def test_real_process(tmp_path, case):
    args, pattern = CASES[case](tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "survstat", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert_one_error_line(proc.returncode, proc.stdout, proc.stderr, pattern)


# --- unexpected errors: the last line of defence ----------------------------------------------


def _explode(*args, **kwargs):
    raise RuntimeError("boom\nsecond line")


def test_unexpected_error_is_one_line_unless_debugging(tmp_path, monkeypatch):
    from survstat.analyses import ANALYSES

    monkeypatch.setitem(ANALYSES, "km", dataclasses.replace(ANALYSES["km"], run=_explode))
    r = runner.invoke(app, ["km", str(good(tmp_path)), *KM])
    assert r.exit_code == 1
    assert r.stderr == (
        "error: RuntimeError: boom second line (unexpected; set SURVSTAT_DEBUG=1 to see the "
        "traceback)\n"
    )
    monkeypatch.setenv("SURVSTAT_DEBUG", "1")
    r = runner.invoke(app, ["km", str(good(tmp_path)), *KM])
    assert isinstance(r.exception, RuntimeError)


def test_unexpected_error_in_a_real_process(tmp_path):
    code = (
        "import dataclasses, sys; from survstat.analyses import ANALYSES\n"
        "from survstat.cli import main\n"
        "def explode(*a, **k): raise KeyError('deep inside')\n"
        "ANALYSES['km'] = dataclasses.replace(ANALYSES['km'], run=explode)\n"
        "sys.argv = ['survstat', *sys.argv[1:]]; main()\n"
    )
    args = [sys.executable, "-c", code, "km", str(good(tmp_path)), *KM]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert_one_error_line(
        proc.returncode, proc.stdout, proc.stderr, r"KeyError: 'deep inside' \(unexpected"
    )
    debug = subprocess.run(
        args, capture_output=True, text=True, timeout=120, env={**os.environ, "SURVSTAT_DEBUG": "1"}
    )
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr
    assert "KeyError: 'deep inside'" in debug.stderr


def test_usage_errors_keep_exit_code_2(tmp_path):
    r = runner.invoke(app, ["km", str(good(tmp_path)), *KM, "--conf-type", "loglog"])
    assert r.exit_code == 2
    assert "Traceback" not in r.output


def test_root_help_says_how_to_see_a_traceback():
    r = runner.invoke(app, ["--help"])
    assert r.exit_code == 0
    assert "SURVSTAT_DEBUG=1" in " ".join(r.output.split())
