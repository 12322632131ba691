"""The synthetic breast trial: deterministic, calibrated, and analysable end to end."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings

import polars as pl

import survstat
from survstat.datasets.synthetic import BREAST_ARMS, breast_trial
from survstat.endpoints.recist_tte import time_to_event_endpoints


def test_bundled_files_are_the_generator_output():
    a, s, p = breast_trial()
    assert survstat.datasets.load("breast_trial_assessments").equals(a)
    assert survstat.datasets.load("breast_trial_subjects").equals(s)
    assert survstat.datasets.load("breast_trial_pathology").equals(p)
    meta = survstat.io.read_metadata(survstat.datasets.path("breast_trial_subjects"))
    assert "not real patients" in meta["note"]
    assert s.group_by("arm").len()["len"].to_list() == [40, 40, 40]
    assert set(a["response"]) == {"CR", "PR", "SD", "PD", "NE"}


def test_calibration_within_sampling_error():
    a, s, _ = breast_trial(seed=5, n_per_arm=400)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", survstat.errors.SurvstatWarning)
        d = time_to_event_endpoints(a, s)
    # pAKT: hazard ratio 1.6 per 50 H-score points (one SD), before interval censoring at visits
    fit = survstat.cox(d, time="pfs_time", event="pfs_event", covariates=["pakt_hscore"])
    row = fit.table.row(0, named=True)
    assert abs(50 * row["coef"] - math.log(1.6)) < 4 * 50 * row["std_error"]
    # arms are ordered by their true median PFS
    med = dict(
        survstat.kaplan_meier(d, time="pfs_time", event="pfs_event", by="arm")
        .median()
        .select("arm", "time")
        .iter_rows()
    )
    order = sorted(BREAST_ARMS, key=lambda arm: BREAST_ARMS[arm][0])
    assert [med[arm] for arm in order] == sorted(med[arm] for arm in order)


def test_end_to_end_cli(tmp_path):
    run = [sys.executable, "-m", "survstat"]
    paths = {}
    for name in ("assessments", "subjects"):
        paths[name] = tmp_path / f"{name}.parquet"
        export = [*run, "datasets", "export", f"breast_trial_{name}", "-o", str(paths[name])]
        subprocess.run(export, check=True, capture_output=True)
    derived = tmp_path / "derived.parquet"
    args = ["recist", "derive", str(paths["assessments"]), "--subjects", str(paths["subjects"])]
    subprocess.run(
        [*run, *args, "-o", str(derived)],
        check=True,
        capture_output=True,
    )
    eff = tmp_path / "efficacy.parquet"
    proc = subprocess.run(
        [*run, "recist", "table", str(derived), "--by", "arm", "-o", str(eff)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    table = pl.read_parquet(eff)
    assert table["n"].to_list() == [40, 40, 40]
    assert table["hazard_ratio"].null_count() == 1
    # one command from raw visits gives the same table
    one = tmp_path / "one.parquet"
    args = ["recist", "table", str(paths["assessments"]), "--subjects", str(paths["subjects"])]
    subprocess.run([*run, *args, "--by", "arm", "-o", str(one)], check=True, capture_output=True)
    assert pl.read_parquet(one).equals(table)
