"""The synthetic CML cohort: deterministic, and calibrated to its target rate."""

from __future__ import annotations

import polars as pl
import pytest

import survstat
from survstat.analyses.cml_response import molecular_response
from survstat.datasets.synthetic import actim_like
from survstat.endpoints.cml import response_endpoints


def test_bundled_files_are_the_generator_output():
    labs, patients = actim_like()
    assert survstat.datasets.load("actim_like_labs").equals(labs)
    assert survstat.datasets.load("actim_like_patients").equals(patients)


def test_target_rate_within_sampling_error():
    labs, patients = actim_like(seed=7, n=3000)
    rate = response_endpoints(labs, patients, level="MR4.5", landmark=12, window=1.0)[
        "responded_by_landmark"
    ].mean()
    se = (0.56 * 0.44 / 3000) ** 0.5
    assert abs(rate - 0.56) < 4 * se


def test_cohort_design():
    labs, patients = actim_like()
    assert patients.height == 24
    first = labs.sort("time").group_by("patient_id", maintain_order=True).first()
    baseline = (
        survstat.endpoints.cml.classify_samples(first) if hasattr(survstat, "endpoints") else None
    )
    del baseline
    # everyone starts between MR4.5 and MMR on the true scale; measured entry values are near it
    assert labs.filter(pl.col("time") == 0)["is_percent"].drop_nulls().max() < 0.2


def test_actim_example_end_to_end():
    res = molecular_response(
        survstat.datasets.load("actim_like_labs"),
        survstat.datasets.load("actim_like_patients"),
        level="MR4.5",
        landmark=12,
        null_rate=0.23,
        alternative="greater",
    )
    row = res.rate.row(0, named=True)
    assert (row["n"], row["n_responders"]) == (24, 12)
    assert row["p_value"] == pytest.approx(0.003490, rel=1e-3)
    assert 0.3 < res.incidence["cif"].item() < 0.8


def test_actim_example_plain_interval_in_readme():
    res = molecular_response(
        survstat.datasets.load("actim_like_labs"),
        survstat.datasets.load("actim_like_patients"),
        level="MR4.5",
        landmark=12,
        conf_type="plain",
    )
    inc = res.incidence.row(0, named=True)
    assert [round(100 * inc[k], 1) for k in ("cif", "conf_low", "conf_high")] == [55.0, 32.2, 77.8]
    assert res.one_minus_km["estimate"].item() >= inc["cif"]


def test_two_arm_bundled_files_are_the_generator_output():
    from survstat.datasets.synthetic import cml_two_arm

    labs, patients = cml_two_arm()
    assert survstat.datasets.load("cml_two_arm_labs").equals(labs)
    assert survstat.datasets.load("cml_two_arm_patients").equals(patients)
    meta = survstat.io.read_metadata(survstat.datasets.path("cml_two_arm_labs"))
    assert "not real patients" in meta["note"]
    assert patients.height == 300
    assert patients.group_by("arm").len().sort("arm").rows() == [
        ("experimental", 150),
        ("standard", 150),
    ]
    # every kind of event the endpoints need occurs
    for col in ("discontinuation", "progression", "death", "tki_stop", "tki_restart"):
        assert patients[col].is_not_null().sum() > 0, col


def test_two_arm_calibration_within_sampling_error():
    import warnings

    from survstat.datasets.synthetic import cml_two_arm
    from survstat.endpoints.cml_tfr import tfr_endpoints

    labs, patients = cml_two_arm(seed=11, n_per_arm=800)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", survstat.errors.SurvstatWarning)
        ends = response_endpoints(labs, patients, level="MMR", landmark=12, window=1.0)
        tfr = tfr_endpoints(labs, patients)
    rates = dict(ends.group_by("arm").agg(pl.col("responded_by_landmark").mean()).iter_rows())
    # MMR by 12 months: about 22% against 44% (ENESTnd's imatinib and nilotinib arms)
    for arm, target in (("standard", 0.22), ("experimental", 0.44)):
        assert abs(rates[arm] - target) < 4 * (target * (1 - target) / 800) ** 0.5, arm
    # about half of the patients who stop keep their remission for 2 years (EURO-SKI)
    km = survstat.kaplan_meier(tfr, time="time", event="tfr_failure").at([24.0])
    assert abs(km["survival"].item() - 0.5) < 4 * km["std_error"].item()


def test_two_arm_end_to_end_cli(tmp_path):
    import subprocess
    import sys

    labs, pts = tmp_path / "labs.parquet", tmp_path / "patients.parquet"
    run = [sys.executable, "-m", "survstat"]
    for name, path in (("cml_two_arm_labs", labs), ("cml_two_arm_patients", pts)):
        subprocess.run([*run, "datasets", "export", name, "-o", str(path)], check=True)
    out = tmp_path / "response.parquet"
    args = ["cml", "response", str(labs), "--patients", str(pts), "--level", "MMR"]
    args += ["--landmark", "12", "--window", "1", "--by", "arm", "--reference", "standard"]
    proc = subprocess.run(
        [*run, *args, "-o", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Gray's test" in proc.stdout
    written = pl.read_parquet(out)
    assert written["arm"].to_list() == ["experimental", "standard"]
    assert written.filter(pl.col("arm") == "experimental")["rate"].item() == pytest.approx(0.44)
    out = tmp_path / "tfr.parquet"
    proc = subprocess.run(
        [*run, "cml", "tfr", str(labs), "--patients", str(pts), "-o", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    tfr = pl.read_parquet(out)
    assert tfr.height == 142
    assert set(tfr["cause_label"]) <= {"censored", "molecular relapse", "death"}
