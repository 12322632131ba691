"""Reproducible bytes: the same input and options give byte-identical Parquet, PNG, PDF and SVG
files, from separate processes (different hash seeds), from the CLI and from jobs alike.

Every command's help example is also run twice in one process and compared, file by file, in
``test_cli_examples.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from survstat import datasets
from survstat.io import read_metadata

EXE = [sys.executable, "-m", "survstat"]
DATE = "1700000000"  # 2023-11-14T22:13:20 UTC


def survstat(*args, cwd: Path, seed: str, epoch: str | None = None) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env["PYTHONHASHSEED"] = seed
    if epoch is not None:
        env["SOURCE_DATE_EPOCH"] = epoch
    proc = subprocess.run(
        [*EXE, *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr


@pytest.fixture(scope="module")
def gbsg2(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "gbsg2.parquet"
    datasets.load("gbsg2").write_parquet(path)
    return path


def outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_figures_and_tables_twice(tmp_path, gbsg2):
    """Each plot format and two analyses, run by two processes: the same bytes, and no date
    written (SOURCE_DATE_EPOCH is not set)."""
    runs = []
    km = ["--time", "time", "--event", "cens", "--by", "horTh"]
    cox = ["--time", "time", "--event", "cens", "--covariates", "horTh,age,tgrade"]
    for seed in ("1", "2"):
        folder = tmp_path / f"run{seed}"
        folder.mkdir()
        for fmt in ("png", "svg", "pdf"):
            survstat("plot", "km", gbsg2, *km, "-o", f"km.{fmt}", cwd=folder, seed=seed)
        survstat("km", gbsg2, *km, "-o", "km.parquet", cwd=folder, seed=seed)
        survstat("cox", gbsg2, *cox, "-o", "cox.parquet", cwd=folder, seed=seed)
        runs.append(outputs(folder))
    assert {"km.png", "km.svg", "km.pdf", "km.parquet", "cox.parquet"} <= runs[0].keys()
    assert runs[0].keys() == runs[1].keys()
    for name in runs[0]:
        assert runs[0][name] == runs[1][name], name
    assert b"/CreationDate" not in runs[0]["km.pdf"]
    assert b"<dc:date>" not in runs[0]["km.svg"]
    assert read_metadata(tmp_path / "run1" / "km.parquet")["created_utc"] is None


def test_source_date_epoch_is_the_date_written(tmp_path, gbsg2):
    runs = []
    for seed in ("1", "2"):
        folder = tmp_path / f"run{seed}"
        folder.mkdir()
        for fmt in ("svg", "pdf"):
            args = ["plot", "km", gbsg2, "--time", "time", "--event", "cens", "-o", f"km.{fmt}"]
            survstat(*args, cwd=folder, seed=seed, epoch=DATE)
        runs.append(outputs(folder))
    assert runs[0] == runs[1]
    assert b"/CreationDate (D:20231114221320Z)" in runs[0]["km.pdf"]
    assert b"<dc:date>2023-11-14T22:13:20+00:00</dc:date>" in runs[0]["km.svg"]


JOB = """
[job]
title = "GBSG2"
output = "results"

[inputs]
gbsg2 = { dataset = "gbsg2" }

[[step]]
name = "km"
analysis = "km"
input = "gbsg2"
time = "time"
event = "cens"
by = "horTh"

[[step]]
name = "cox"
analysis = "cox"
input = "gbsg2"
time = "time"
event = "cens"
covariates = ["horTh", "age"]

[[step]]
name = "km_figure"
plot = "km"
input = "gbsg2"
time = "time"
event = "cens"
by = "horTh"
formats = ["png", "svg", "pdf"]

[[step]]
name = "forest"
plot = "forest"
input = "cox"
label = "term"
formats = ["svg"]
"""


def test_job_twice_with_force(tmp_path):
    """A job rerun with --force rewrites every output with the same bytes (the manifest, which
    records durations and finishing times, aside); job figures are saved as `survstat plot`
    saves them."""
    (tmp_path / "job.toml").write_text(JOB)
    survstat("run", "job.toml", "--quiet", cwd=tmp_path, seed="1")
    first = outputs(tmp_path / "results")
    survstat("run", "job.toml", "--quiet", "--force", cwd=tmp_path, seed="2")
    second = outputs(tmp_path / "results")
    manifest = pl.read_parquet(tmp_path / "results" / "manifest.parquet")
    assert manifest.get_column("status").to_list() == ["ok"] * 4  # rerun, not skipped
    names = set(first) - {"manifest.parquet"}
    assert {"km.parquet", "cox.parquet", "km_figure.png", "km_figure.svg", "km_figure.pdf"} <= names
    for name in sorted(names):
        assert first[name] == second[name], name
    # the job's figure is the figure `survstat plot km` writes
    cli = tmp_path / "cli.svg"
    data = tmp_path / "gbsg2.parquet"
    datasets.load("gbsg2").write_parquet(data)
    survstat(
        "plot", "km", data, "--time", "time", "--event", "cens", "--by", "horTh", "-o", cli,
        cwd=tmp_path, seed="3",
    )  # fmt: skip
    assert cli.read_bytes() == first["km_figure.svg"]
