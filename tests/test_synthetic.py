"""The synthetic CML cohort: deterministic, and calibrated to its target rate."""

from __future__ import annotations

import polars as pl
import pytest

import survstat
from survstat.datasets.synthetic import actim_like
from survstat.endpoints.cml import molecular_response, response_endpoints


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
        window=1.0,
        null_rate=0.23,
        alternative="greater",
    )
    row = res.rate.row(0, named=True)
    assert (row["n"], row["n_responders"]) == (24, 13)
    assert row["p_value"] == pytest.approx(0.0009165, rel=1e-3)
    assert 0.3 < res.incidence["cif"].item() < 0.8


def test_actim_example_plain_interval_in_readme():
    res = molecular_response(
        survstat.datasets.load("actim_like_labs"),
        survstat.datasets.load("actim_like_patients"),
        level="MR4.5",
        landmark=12,
        window=1.0,
        conf_type="plain",
    )
    inc = res.incidence.row(0, named=True)
    assert [round(100 * inc[k], 1) for k in ("cif", "conf_low", "conf_high")] == [55.0, 32.2, 77.8]
    assert res.one_minus_km["estimate"].item() >= inc["cif"]
