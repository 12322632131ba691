"""Per-patient CML endpoints and the MR4.5-by-month-12 analysis, on hand-worked patients."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import survstat
from survstat.cli import app
from survstat.endpoints.cml import molecular_response, response_endpoints
from survstat.errors import InvalidValueError, OptionError

LABS = pl.DataFrame(
    {
        "patient_id": ["a", "a", "a", "b", "b", "c", "c", "d", "d", "d", "f", "f"],
        "time": [3.0, 6.0, 12.0, 3.0, 6.0, 3.0, 9.0, 3.0, 12.0, 15.0, 3.0, 8.0],
        "is_percent": [0.05, 0.002, None, 0.05, None, 0.05, 0.001, 0.004, 0.003, 0.2, 0.002, 0.5],
        "detected": [True, True, False, True, False, True, True, True, True, True, True, True],
        "control_gene": ["ABL1"] * 12,
        "control_copies": [5e4, 5e4, 40_000, 5e4, 9_000, 5e4, 5e4, 5e4, 5e4, 5e4, 5e4, 5e4],
    }
)
PATIENTS = pl.DataFrame(
    {
        "patient_id": ["a", "b", "c", "d", "e", "f"],
        "arm": ["x", "x", "y", "y", "x", "y"],
        "last_follow_up": [12.0, 12.0, 12.0, 15.0, 10.0, 10.0],
        "discontinuation": [None, 8.0, None, None, None, 3.0],
        "progression": [None, None, None, None, None, None],
        "death": [None, None, None, None, 4.0, None],
    },
    schema_overrides={
        "discontinuation": pl.Float64,
        "progression": pl.Float64,
        "death": pl.Float64,
    },
)


def test_hand_worked_endpoints():
    e = response_endpoints(LABS, PATIENTS, level="MR4.5", landmark=12, window=1).sort("patient_id")
    got = e.select(
        "patient_id", "time", "cause_label", "responded_by_landmark", "response_at_landmark"
    ).rows()
    assert got == [
        (
            "a",
            6.0,
            "response",
            True,
            True,
        ),  # 0.002% at month 6; undetectable with 40,000 ABL1 at 12
        (
            "b",
            8.0,
            "discontinuation",
            False,
            None,
        ),  # stopped before any MR4.5; 9,000 copies not evaluable
        ("c", 9.0, "response", True, None),  # MR5 at 9; no sample within 12 +- 1
        ("d", 12.0, "response", True, True),  # 0.003% at the landmark visit, lost afterwards
        ("e", 4.0, "death", False, None),  # death before any sample
        ("f", 3.0, "response", True, None),  # response on the day of discontinuation counts
    ]
    assert e.filter(pl.col("patient_id") == "d")["best_level"].cast(pl.String).item() == "MR4.5"
    assert e["cause"].to_list() == [1, 2, 1, 1, 4, 1]
    assert e["arm"].to_list() == ["x", "x", "y", "y", "x", "y"]


def test_mmr_level_and_exact_boundary():
    e = response_endpoints(LABS, PATIENTS, level="MMR", landmark=6).sort("patient_id")
    assert e.filter(pl.col("patient_id") == "b")["time"].item() == 3.0
    assert e.filter(pl.col("patient_id") == "b")["responded_by_landmark"].item()


def test_molecular_response_reuses_the_estimators():
    res = molecular_response(
        LABS, PATIENTS, level="MR4.5", landmark=12, window=1, null_rate=0.23, alternative="greater"
    )
    ends = res.endpoints
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", survstat.errors.SurvstatWarning)  # no censoring, no cause 3
        fit = survstat.cumulative_incidence(ends, time="time", cause="cause", causes=[1, 2, 3, 4])
    cif = fit.at([12])
    expected = cif.filter(pl.col("cause") == 1)
    assert res.incidence["cif"].item() == pytest.approx(expected["cif"].item())
    assert res.incidence["std_error"].item() == pytest.approx(expected["std_error"].item())
    rate = res.rate.row(0, named=True)
    assert (rate["n"], rate["n_responders"]) == (6, 4)
    assert rate["p_value"] == pytest.approx(
        survstat.proportion(
            ends, response="responded_by_landmark", null_rate=0.23, alternative="greater"
        )
        .table["p_value"]
        .item()
    )
    by_arm = molecular_response(LABS, PATIENTS, level="MR4.5", landmark=12, window=1, by="arm")
    assert by_arm.incidence["arm"].to_list() == ["x", "y"]
    assert by_arm.gray is not None
    assert by_arm.gray["df"].item() == 1
    assert np.isfinite(by_arm.gray["statistic"].item())


def test_interval_transform_sensitivity_and_arm_comparison():
    res = molecular_response(
        LABS,
        PATIENTS,
        level="MR4.5",
        landmark=12,
        window=1,
        conf_type="plain",
        rate_method="wilson",
    )
    inc = res.incidence.row(0, named=True)
    half = 1.959963984540054 * inc["std_error"]
    assert inc["conf_low"] == pytest.approx(max(inc["cif"] - half, 0.0), rel=1e-12)
    assert inc["conf_high"] == pytest.approx(min(inc["cif"] + half, 1.0), rel=1e-12)
    assert res.rate["method"].item() == "wilson"
    # responses f 3 (same day as its discontinuation: the response counts), a 6, c 9, d 12;
    # death e 4 and discontinuation b 8 censored: S(12) = 5/6 * 3/4 * 1/2 * 0 = 0
    km = survstat.kaplan_meier(
        res.endpoints.with_columns(resp=pl.col("cause") == 1),
        time="time",
        event="resp",
        conf_type="plain",
    ).at([12])
    alt = res.one_minus_km.row(0, named=True)
    assert alt["estimate"] == 1.0
    assert km["survival"].item() == 0.0
    assert alt["conf_low"] is None  # undefined at S = 0, as R's plain interval
    assert km["conf_high"].item() is None
    at9 = molecular_response(LABS, PATIENTS, level="MR4.5", landmark=9, conf_type="plain")
    alt9 = at9.one_minus_km.row(0, named=True)
    km9 = survstat.kaplan_meier(
        at9.endpoints.with_columns(resp=pl.col("cause") == 1),
        time="time",
        event="resp",
        conf_type="plain",
    ).at([9])
    assert alt9["estimate"] == pytest.approx(1 - 5 / 6 * 3 / 4 * 1 / 2, rel=1e-12)
    assert alt9["conf_low"] == pytest.approx(1 - km9["conf_high"].item(), rel=1e-12)
    assert alt9["conf_high"] == pytest.approx(1 - km9["conf_low"].item(), rel=1e-12)
    cif9 = at9.incidence["cif"].item()
    assert alt9["estimate"] > cif9  # competing events make 1 - KM overstate the incidence
    assert res.comparison is None
    by_arm = molecular_response(
        LABS, PATIENTS, level="MR4.5", landmark=12, window=1, by="arm", reference="x"
    )
    cmp = by_arm.comparison.row(0, named=True)
    rates = dict(by_arm.rate.select("arm", "rate").iter_rows())
    assert (cmp["arm"], cmp["reference"]) == ("y", "x")
    assert cmp["difference"] == pytest.approx(rates["y"] - rates["x"], rel=1e-12)
    assert by_arm.one_minus_km["arm"].to_list() == ["x", "y"]


def test_bad_inputs():
    with pytest.raises(OptionError, match=r"level must be one of MMR, MR4, MR4\.5, MR5"):
        response_endpoints(LABS, PATIENTS, level="MR6")
    with pytest.raises(
        InvalidValueError,
        match=r"1 patients have lab results but no row in the patient table \(first: 'a'\)",
    ):
        response_endpoints(LABS, PATIENTS.filter(pl.col("patient_id") != "a"))
    with pytest.raises(InvalidValueError, match="`patient_id` repeats in the patient table"):
        response_endpoints(LABS, pl.concat([PATIENTS, PATIENTS.head(1)]))


def test_cli_endpoints_and_response(tmp_path):
    labs, pts = tmp_path / "labs.parquet", tmp_path / "patients.parquet"
    LABS.write_parquet(labs)
    PATIENTS.write_parquet(pts)
    runner = CliRunner()
    out = tmp_path / "e.parquet"
    r = runner.invoke(
        app,
        [
            "cml",
            "endpoints",
            str(labs),
            "--patients",
            str(pts),
            "--level",
            "MR4.5",
            "--landmark",
            "12",
            "--window",
            "1",
            "-o",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    assert {"time", "cause", "responded_by_landmark"} <= set(pl.read_parquet(out).columns)
    out2 = tmp_path / "r.parquet"
    r = runner.invoke(
        app,
        [
            "cml",
            "response",
            str(labs),
            "--patients",
            str(pts),
            "--level",
            "MR4.5",
            "--landmark",
            "12",
            "--window",
            "1",
            "--null-rate",
            "0.23",
            "-o",
            str(out2),
        ],
    )
    assert r.exit_code == 0, r.output
    written = pl.read_parquet(out2)
    assert {"cif", "rate", "p_value", "one_minus_km_estimate"} <= set(written.columns)
    args = ["cml", "response", str(labs), "--patients", str(pts), "--window", "1"]
    args += ["--by", "arm", "--reference", "x", "--conf-type", "plain", "-o", str(out2)]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "difference between arms" in r.output
    by_arm = pl.read_parquet(out2)
    api = molecular_response(LABS, PATIENTS, window=1, by="arm", conf_type="plain")
    assert by_arm.get_column("conf_low").to_list() == api.incidence.get_column("conf_low").to_list()
    for command in ("endpoints", "response"):
        assert "Example:" in runner.invoke(app, ["cml", command, "--help"]).output
