"""The output folder of a job: killed runs, failed steps, and folders that cannot be used."""

from __future__ import annotations

import fcntl
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import survstat
from survstat.batch import MANIFEST_SCHEMA, OutputFolderError, load_job, run_job
from survstat.cli import app
from survstat.io import provenance, write_parquet

runner = CliRunner()

KM = """
[[step]]
name = "km"
analysis = "km"
input = "gbsg2"
time = "time"
event = "cens"
by = "horTh"
at = [365, 730]
"""
LR = """
[[step]]
name = "lr"
analysis = "logrank"
input = "gbsg2"
time = "time"
event = "cens"
by = "horTh"
"""
FIG = """
[[step]]
name = "fig"
plot = "km"
input = "gbsg2"
time = "time"
event = "cens"
formats = ["png", "svg"]
"""


def _job(folder: Path, steps: str) -> Path:
    if not (folder / "gbsg2.parquet").exists():
        survstat.datasets.load("gbsg2").write_parquet(folder / "gbsg2.parquet")
    path = folder / "job.toml"
    path.write_text(f'[job]\noutput = "out"\n[inputs]\ngbsg2 = "gbsg2.parquet"\n{steps}')
    return path


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- temporary files of a killed run -----------------------------------------------------------

#: Runs the CLI with Parquet writes that stop, once a temporary file whose name holds STALL is
#: complete, before it is renamed into place, and say so on stdout.
STALLING = """
import sys, time
import pyarrow.parquet as pq

real = pq.write_table
stall = sys.argv[1]


def stalled(table, where, *args, **kwargs):
    real(table, where, *args, **kwargs)
    if stall in str(where):
        print("stalled", where, flush=True)
        time.sleep(600)


pq.write_table = stalled
from survstat.cli import main

sys.argv = ["survstat", *sys.argv[2:]]
main()
"""


def _survstat(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "survstat", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_temporary_files_of_a_killed_run_are_removed_by_the_next_run(tmp_path):
    _job(tmp_path, KM + LR)
    (tmp_path / "stalling.py").write_text(STALLING)
    out = tmp_path / "out"
    # km runs, then lr writes lr.parquet and stalls writing its extra table lr.per_group
    proc = subprocess.Popen(
        [sys.executable, "stalling.py", ".lr.per_group.parquet.", "run", "job.toml", "-q"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 120)
        assert ready, "the run did not reach the stalled write"
        assert proc.stdout.readline().startswith("stalled")
        tmp = next(out.glob(".lr.per_group.parquet.*.tmp"))
        # while it runs, a second run of the same job is refused and removes nothing
        second = _survstat("run", "job.toml", "-q", cwd=tmp_path)
        assert second.returncode == 1
        assert second.stderr.startswith("error: another survstat run is writing to `out`")
        assert tmp.exists()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert tmp.exists()  # what the killed run left: a complete but unrenamed temporary file
    rerun = _survstat("run", "job.toml", "-q", cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert f"removed 1 temporary file left in `out` by an interrupted run (first: {tmp.name})" in (
        " ".join(rerun.stderr.split())
    )
    assert _names(out) == [
        "km.parquet",
        "lr.parquet",
        "lr.per_group.parquet",
        "manifest.parquet",
    ]
    manifest = pl.read_parquet(out / "manifest.parquet")
    # km finished before the kill (manifest written after it); lr had not
    assert manifest.get_column("status").to_list() == ["skipped", "ok"]
    gbsg = survstat.datasets.load("gbsg2")
    lr = survstat.logrank(gbsg, time="time", event="cens", by="horTh")
    assert pl.read_parquet(out / "lr.parquet").equals(lr.table)
    assert pl.read_parquet(out / "lr.per_group.parquet").equals(lr.per_group)


def test_only_survstat_temporary_files_are_removed(tmp_path):
    path = _job(tmp_path, KM)
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    ours = [".km.parquet.ab_3xyz9.tmp", ".report.html.0123abcd.tmp", ".fig.svg.zzzzzzzz.tmp"]
    others = [
        ".notes.tmp",  # no target, no random part
        ".km.parquet.tmp",  # no random part
        "km.parquet.ab_3xyz9.tmp",  # no leading dot
        ".data.csv.ab_3xyz9.tmp",  # not a file survstat writes
        ".km.parquet.AB_3XYZ9.tmp",  # mkstemp's random part is lower case
        ".km.parquet.ab_3xyz9.tmp.bak",
        "notes.txt",
    ]
    for name in ours + others:
        (out / name).write_text("x")
    (out / "sub" / ".km.parquet.ab_3xyz9.tmp").write_text("x")  # sub-folders are not touched
    (out / ".lr.parquet.ab_3xyz9.tmp").mkdir()  # nor folders of that name
    with pytest.warns(survstat.errors.SurvstatWarning, match="removed 3 temporary files"):
        run_job(load_job(path))
    assert _names(out) == sorted(
        [*others, ".lr.parquet.ab_3xyz9.tmp", "km.parquet", "manifest.parquet", "sub"]
    )
    assert (out / "sub" / ".km.parquet.ab_3xyz9.tmp").exists()


def test_a_run_holds_the_output_folder(tmp_path):
    path = _job(tmp_path, KM)
    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".survstat.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(OutputFolderError, match="another survstat run is writing to"):
            run_job(load_job(path))
    assert _names(out) == [".survstat.lock"]
    run_job(load_job(path))  # released: the run goes ahead, and removes the lock file after
    assert _names(out) == ["km.parquet", "manifest.parquet"]


# --- a step that fails or does not run leaves no file ------------------------------------------


def test_a_failed_step_removes_its_files_in_every_format(tmp_path):
    path = _job(tmp_path, LR + FIG + KM)
    out = tmp_path / "out"
    assert run_job(load_job(path)).get_column("status").to_list() == ["ok", "ok", "ok"]
    assert _names(out) == [
        "fig.png",
        "fig.svg",
        "km.parquet",
        "lr.parquet",
        "lr.per_group.parquet",
        "manifest.parquet",
    ]
    (out / "fig.pdf").write_bytes(b"%PDF a figure format the job never asked for")
    (out / "notes.txt").write_text("not the job's")
    (out / "lr_old.parquet").write_text("not the job's")
    # lr now fails at run time (tgrade is I/II/III, not 0/1): it loses its main and extra
    # table; fig and km do not run and lose theirs (every figure format, pdf included)
    path.write_text(path.read_text().replace('event = "cens"\nby', 'event = "tgrade"\nby', 1))
    manifest = run_job(load_job(path))
    assert manifest.get_column("status").to_list() == ["failed", "not run", "not run"]
    assert "`tgrade`" in manifest.get_column("error")[0]
    assert manifest.get_column("outputs").to_list() == [[], [], []]
    assert manifest.get_column("output_sha256").to_list() == [[], [], []]
    assert _names(out) == ["lr_old.parquet", "manifest.parquet", "notes.txt"]
    assert pl.read_parquet(out / "manifest.parquet").equals(manifest)


def test_a_failed_plot_removes_the_formats_it_no_longer_asks_for(tmp_path):
    path = _job(tmp_path, FIG)
    out = tmp_path / "out"
    run_job(load_job(path))
    # the step now asks for pdf only, and fails: png and svg (listed by the previous
    # manifest) go as well as pdf
    text = path.read_text().replace('["png", "svg"]', '["pdf"]').replace('"cens"', '"tgrade"')
    path.write_text(text)
    manifest = run_job(load_job(path), continue_on_error=True)
    assert manifest.get_column("status").to_list() == ["failed"]
    assert _names(out) == ["manifest.parquet"]


def test_continue_on_error_keeps_the_files_of_steps_that_ran(tmp_path):
    path = _job(tmp_path, LR + FIG + KM)
    out = tmp_path / "out"
    run_job(load_job(path))
    path.write_text(path.read_text().replace('event = "cens"\nby', 'event = "tgrade"\nby', 1))
    manifest = run_job(load_job(path), continue_on_error=True)
    # fig and km do not read lr: they are unchanged, so skipped, and keep their files
    assert manifest.get_column("status").to_list() == ["failed", "skipped", "skipped"]
    assert _names(out) == ["fig.png", "fig.svg", "km.parquet", "manifest.parquet"]


def test_a_step_that_runs_removes_the_files_it_no_longer_writes(tmp_path):
    path = _job(tmp_path, FIG)
    out = tmp_path / "out"
    run_job(load_job(path))
    path.write_text(path.read_text().replace('["png", "svg"]', '["png"]'))
    manifest = run_job(load_job(path))
    assert manifest.get_column("status").to_list() == ["ok"]
    assert manifest.get_column("outputs").to_list() == [["fig.png"]]
    assert _names(out) == ["fig.png", "manifest.parquet"]


def test_a_damaged_manifest_cannot_point_outside_the_step(tmp_path):
    path = _job(tmp_path, KM)
    out = tmp_path / "out"
    run_job(load_job(path))
    (tmp_path / "precious.parquet").write_text("x")
    (out / "other.parquet").write_text("x")
    manifest = pl.read_parquet(out / "manifest.parquet").with_columns(
        outputs=pl.lit(["../precious.parquet", "other.parquet", "km.parquet"]),
        key=pl.lit("edited"),
    )
    meta = provenance("job", {}, input_path=str(path))
    write_parquet(manifest, out / "manifest.parquet", meta)
    path.write_text(path.read_text().replace('"cens"', '"tgrade"'))
    assert run_job(load_job(path)).get_column("status").to_list() == ["failed"]
    # only files named after the step, in the folder, are the step's
    assert (tmp_path / "precious.parquet").exists()
    assert _names(out) == ["manifest.parquet", "other.parquet"]


# --- output folders that cannot be used: one line, never a traceback ---------------------------


def _a_file(tmp_path: Path) -> Path:
    (tmp_path / "out").write_text("a file")
    return tmp_path / "out"


def _under_a_file(tmp_path: Path) -> Path:
    (tmp_path / "f").write_text("a file")
    return tmp_path / "f" / "out"


def _junk(tmp_path: Path) -> Path:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "manifest.parquet").write_text("not a manifest")
    return tmp_path / "out"


def _foreign(tmp_path: Path) -> Path:
    (tmp_path / "out").mkdir()
    survstat.datasets.load("gbsg2").write_parquet(tmp_path / "out" / "manifest.parquet")
    return tmp_path / "out"


def _folder(tmp_path: Path) -> Path:
    (tmp_path / "out" / "manifest.parquet").mkdir(parents=True)
    return tmp_path / "out"


def _damaged(tmp_path: Path) -> Path:
    path = tmp_path / "out" / "manifest.parquet"
    write_parquet(pl.DataFrame(schema=MANIFEST_SCHEMA), path, provenance("job", {}))
    data = path.read_bytes()
    path.write_bytes(data[:4] + b"\0" * (len(data) - 8) + data[-4:])
    return tmp_path / "out"


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (_a_file, "error: output folder `{out}` is a file; choose a folder (--output)"),
        (_under_a_file, "error: cannot create the output folder `{out}`: Not a directory"),
        (
            _junk,
            "error: `{out}/manifest.parquet` is not a job manifest survstat can read (not a Parquet file); if it is a damaged manifest, delete it (every step then runs again), otherwise choose another output folder",
        ),
        (
            _foreign,
            "manifest.parquet` is not a job manifest survstat can read (not written by survstat run)",
        ),
        (_folder, "manifest.parquet` is not a job manifest survstat can read (not a file)"),
        (_damaged, "manifest.parquet` is not a job manifest survstat can read (unreadable: "),
    ],
)
def test_output_folders_that_cannot_be_used(tmp_path, setup, message):
    path = _job(tmp_path, KM)
    out = setup(tmp_path)
    files = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    before = [p.read_bytes() for p in files]
    for command in ("run", "report"):
        r = runner.invoke(app, [command, str(path), "--output", str(out), "-q"])
        assert r.exit_code == 1
        assert message.format(out=out) in " ".join(r.output.split())
        assert r.output.count("\n") == 1, r.output  # one line
        assert "Traceback" not in r.output
    # nothing was run, nothing overwritten
    assert sorted(p for p in tmp_path.rglob("*") if p.is_file()) == files
    assert [p.read_bytes() for p in files] == before


def test_a_read_only_output_folder_is_one_line(tmp_path, monkeypatch):
    path = _job(tmp_path, KM)
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    if os.geteuid() == 0:  # root writes anywhere: make the folder refuse files as it would
        import tempfile

        def refuse(*args, **kwargs):
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(tempfile, "mkstemp", refuse)
    try:
        r = runner.invoke(app, ["run", str(path), "-q"])
    finally:
        out.chmod(0o755)
    assert r.exit_code == 1
    assert " ".join(r.output.split()) == (
        f"error: cannot write in the output folder `{out}`: Permission denied"
    )
    assert not (out / "km.parquet").exists()


def test_a_manifest_of_an_older_schema_runs_every_step_again(tmp_path):
    path = _job(tmp_path, KM + FIG)
    out = tmp_path / "out"
    run_job(load_job(path))
    old = pl.read_parquet(out / "manifest.parquet").drop("engine")
    write_parquet(old, out / "manifest.parquet", provenance("job", {}, input_path=str(path)))
    # fig now asks for png only: its svg, listed by the old manifest, goes
    path.write_text(path.read_text().replace('["png", "svg"]', '["png"]'))
    r = runner.invoke(app, ["run", str(path), "-q"])
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert f"warning: `{out}/manifest.parquet` was written by survstat" in text
    assert "with another manifest schema; every step runs again" in text
    manifest = pl.read_parquet(out / "manifest.parquet")
    assert manifest.schema == pl.Schema(MANIFEST_SCHEMA)
    assert manifest.get_column("status").to_list() == ["ok", "ok"]
    assert _names(out) == ["fig.png", "km.parquet", "manifest.parquet"]


def test_a_run_never_waits_long_for_a_lock(tmp_path):
    # a stale lock file left by a killed run (no process holds it) does not block
    path = _job(tmp_path, KM)
    out = tmp_path / "out"
    out.mkdir()
    (out / ".survstat.lock").write_text("")
    start = time.perf_counter()
    assert run_job(load_job(path)).get_column("status").to_list() == ["ok"]
    assert time.perf_counter() - start < 60
    assert _names(out) == ["km.parquet", "manifest.parquet"]
