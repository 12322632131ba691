"""Reruns: skipped steps keep the record of the run that made their outputs, and a rerun
changes no byte."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from typer.testing import CliRunner

import survstat
from survstat.batch import load_job, run_job
from survstat.cli import app
from survstat.io import read_metadata, write_parquet

runner = CliRunner()

STEPS = """
[[step]]
name = "lr"
analysis = "logrank"
input = "gbsg2"
time = "time"
event = "cens"
by = "horTh"

[[step]]
name = "km_by_grade"
analysis = "km"
input = "gbsg2"
time = "time"
event = "cens"
by = "horTh"
at = [365]
by_partition = "tgrade"

[[step]]
name = "cox"
analysis = "cox"
input = "gbsg2"
time = "time"
event = "cens"
covariates = ["horTh", "age"]

[[step]]
name = "forest"
plot = "forest"
input = "cox"
label = "term"
formats = ["png", "svg", "pdf"]
"""


def _job(folder: Path, report: str = "") -> Path:
    survstat.datasets.load("gbsg2").write_parquet(folder / "gbsg2.parquet")
    path = folder / "job.toml"
    path.write_text(f'[job]\noutput = "out"\n{report}\n[inputs]\ngbsg2 = "gbsg2.parquet"\n{STEPS}')
    return path


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_rerun_that_skips_every_step_changes_no_byte(tmp_path):
    path = _job(tmp_path)
    out = tmp_path / "out"
    r = runner.invoke(app, ["run", str(path), "-q"])
    assert r.exit_code == 0, r.output
    first = _files(out)
    assert sorted(first) == [
        "cox.model.parquet",
        "cox.parquet",
        "cox.tests.parquet",
        "forest.pdf",
        "forest.png",
        "forest.svg",
        "km_by_grade.parquet",
        "lr.parquet",
        "lr.per_group.parquet",
        "manifest.parquet",
    ]
    r = runner.invoke(app, ["run", str(path), "-q"])
    assert r.exit_code == 0, r.output
    assert r.output.count(": skipped;") == 4
    # every output and the manifest: the same bytes (no timestamp, no status rewritten)
    assert _files(out) == first


def test_a_forced_rerun_with_source_date_epoch_writes_identical_tables(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    path = _job(tmp_path)
    out = tmp_path / "out"
    first_manifest = run_job(load_job(path))
    first = _files(out)
    again = run_job(load_job(path), force=True)
    assert again.get_column("status").to_list() == ["ok"] * 4
    tables = [n for n in first if n.endswith(".parquet") and n != "manifest.parquet"]
    assert len(tables) == 6
    for name in tables:
        assert _files(out)[name] == first[name], name
    assert read_metadata(out / "lr.parquet")["created_utc"] == "2026-01-01T00:00:00+00:00"
    # the manifest differs only by the durations measured (and the figures' hashes: the
    # bytes of a figure are up to its renderer; an SVG carries random ids)
    tables_only = pl.col("analysis").str.starts_with("plot").not_()
    assert (
        again.filter(tables_only)
        .drop("duration_s")
        .equals(first_manifest.filter(tables_only).drop("duration_s"))
    )
    assert again.drop("duration_s", "output_sha256").equals(
        first_manifest.drop("duration_s", "output_sha256")
    )


def _set_durations(out: Path, seconds: float, finished: str) -> pl.DataFrame:
    """Give the manifest known durations and finish times (keeping its provenance), as if
    the run that wrote the outputs had taken ``seconds`` per step."""
    meta = read_metadata(out / "manifest.parquet")
    manifest = pl.read_parquet(out / "manifest.parquet").with_columns(
        duration_s=pl.lit(seconds), finished_utc=pl.lit(finished)
    )
    write_parquet(manifest, out / "manifest.parquet", meta)
    return manifest


def test_skipped_steps_keep_the_duration_and_finish_time_of_the_run_that_made_them(tmp_path):
    path = _job(tmp_path)
    out = tmp_path / "out"
    run_job(load_job(path))
    _set_durations(out, 12.5, "2026-01-02T03:04:05+00:00")
    again = run_job(load_job(path))
    assert again.get_column("status").to_list() == ["skipped"] * 4
    assert again.get_column("duration_s").to_list() == [12.5] * 4
    assert again.get_column("finished_utc").to_list() == ["2026-01-02T03:04:05+00:00"] * 4
    # a step changes: the manifest is rewritten; the skipped steps keep what they had
    path.write_text(path.read_text().replace("at = [365]", "at = [730]"))
    third = run_job(load_job(path))
    on_disk = pl.read_parquet(out / "manifest.parquet")
    assert on_disk.equals(third)
    assert on_disk.get_column("status").to_list() == ["skipped", "ok", "skipped", "skipped"]
    skipped = on_disk.filter(pl.col("status") == "skipped")
    assert skipped.get_column("duration_s").to_list() == [12.5] * 3
    assert skipped.get_column("finished_utc").to_list() == ["2026-01-02T03:04:05+00:00"] * 3
    assert on_disk.get_column("duration_s")[1] != 12.5


def test_the_report_after_a_rerun_shows_the_run_that_made_the_outputs(tmp_path):
    path = _job(tmp_path, report='report = "report.html"')
    out = tmp_path / "out"
    assert runner.invoke(app, ["run", str(path), "-q"]).exit_code == 0
    _set_durations(out, 12.5, "2026-01-02T03:04:05+00:00")
    r = runner.invoke(app, ["report", str(path), "-q"])
    assert r.exit_code == 0, r.output
    # the log says where the outputs come from
    assert (
        "lr (logrank): skipped; 1 row; outputs from the run finished 2026-01-02T03:04:05+00:00 (12.50 s)"
        in (" ".join(r.output.split()))
    )
    html = (out / "report.html").read_text()
    said = (
        "unchanged, not run again: outputs from an earlier run "
        "(finished 2026-01-02T03:04:05+00:00, took 12.50 s)"
    )
    assert html.count(said) == 4
    assert "0.00 s" not in html
    assert html.count('<td class="num">12.5000</td>') == 4  # the step summary's duration_s
