"""Treatment-free remission: eligibility and relapse after stopping, on hand-worked patients."""

from __future__ import annotations

import polars as pl
import pytest
from cml_data import labs as _labs
from typer.testing import CliRunner

import survstat
from survstat.cli import app
from survstat.endpoints.cml_tfr import tfr_eligibility, tfr_endpoints
from survstat.errors import ColumnNotFoundError, InvalidValueError

LABS = _labs(
    [
        # MR4 from 30 to the stop at 66 (36 months), relapse 0.3% at 70
        ("a", 30.0, 0.005),
        ("a", 48.0, None, 2e4),
        ("a", 66.0, 0.002),
        ("a", 70.0, 0.3),
        # MR4 from 40 to the stop at 62 (22 months: too short); restart at 70 without relapse
        ("b", 30.0, 0.05),
        ("b", 40.0, 0.008),
        ("b", 62.0, 0.009),
        ("b", 70.0, 0.05),
        # stopped at 58 (treatment too short) after MR4 from 20; 0.1% at 64 is still MMR;
        # relapse and restart both at 75: the relapse counts
        ("c", 20.0, 0.004),
        ("c", 58.0, 0.003),
        ("c", 64.0, 0.1),
        ("c", 75.0, 2.0),
        # never stopped: eligibility judged at the last follow-up, 0.05% last: not in MR4
        ("d", 20.0, 0.005),
        ("d", 80.0, 0.05),
        # stopped at 61, died at 65 with no relapse found
        ("e", 30.0, 0.001),
        ("e", 61.0, 0.001),
        ("e", 63.0, 0.002),
        # stopped at 70, MR4 from 40, censored at 100; a result above 0.1% after the last
        # follow-up does not count
        ("f", 40.0, 0.005),
        ("f", 70.0, 0.005),
        ("f", 90.0, 0.02),
        ("f", 101.0, 0.5),
    ]
)
PATIENTS = pl.DataFrame(
    {
        "patient_id": ["a", "b", "c", "d", "e", "f"],
        "tki_stop": [66.0, 62.0, 58.0, None, 61.0, 70.0],
        "tki_restart": [72.0, 70.0, 75.0, None, None, None],
        "death": [None, None, None, None, 65.0, None],
        "last_follow_up": [90.0, 90.0, 90.0, 80.0, 65.0, 100.0],
    },
    schema_overrides={"death": pl.Float64},
)


def test_hand_worked_eligibility():
    e = tfr_eligibility(LABS, PATIENTS).sort("patient_id")
    got = e.select("patient_id", "evaluation_time", "deep_start", "deep_duration", "eligible")
    assert got.rows() == [
        ("a", 66.0, 30.0, 36.0, True),
        ("b", 62.0, 40.0, 22.0, False),
        ("c", 58.0, 20.0, 38.0, False),
        ("d", 80.0, None, None, False),
        ("e", 61.0, 30.0, 31.0, True),
        ("f", 70.0, 40.0, 30.0, True),
    ]
    reasons = dict(e.select("patient_id", "reason").iter_rows())
    assert reasons["b"] == "MR4 not sustained longer than 24"
    assert reasons["c"] == "treatment not longer than 60"
    assert reasons["d"] == "not in MR4 at the last result"
    # the criteria are strict (> 5 years, > 2 years) and configurable
    loose = tfr_eligibility(LABS, PATIENTS, min_treatment=58, min_deep_duration=21)
    assert dict(loose.select("patient_id", "eligible").iter_rows())["b"] is True
    assert dict(loose.select("patient_id", "eligible").iter_rows())["c"] is False


def test_hand_worked_tfr_endpoints():
    t = tfr_endpoints(LABS, PATIENTS).sort("patient_id")
    assert t.select("patient_id", "time", "cause_label", "tfr_failure").rows() == [
        ("a", 4.0, "molecular relapse", True),
        ("b", 8.0, "restart without relapse", True),
        ("c", 17.0, "molecular relapse", True),
        ("e", 4.0, "death", True),
        ("f", 30.0, "censored", False),
    ]
    km = survstat.kaplan_meier(t, time="time", event="tfr_failure").at([5.0, 10.0])
    # failures at 4 (two), 8, 17; censored at 30: S(5) = 3/5, S(10) = 3/5 * 2/3
    assert km["survival"].to_list() == pytest.approx([3 / 5, 2 / 5], rel=1e-12)


def test_tfr_bad_inputs():
    with pytest.raises(InvalidValueError, match=r"`tki_restart` before `tki_stop` for 1 of 5"):
        tfr_endpoints(
            LABS, PATIENTS.with_columns(tki_restart=pl.lit(60.0)).head(1).vstack(PATIENTS.slice(1))
        )
    with pytest.raises(ColumnNotFoundError, match="`tki_stop`"):
        tfr_endpoints(LABS, PATIENTS.drop("tki_stop"))
    with pytest.raises(InvalidValueError, match="`patient_id` repeats"):
        tfr_eligibility(LABS, pl.concat([PATIENTS, PATIENTS]))


def test_cli_tfr(tmp_path):
    labs, pts = tmp_path / "labs.parquet", tmp_path / "patients.parquet"
    LABS.write_parquet(labs)
    PATIENTS.write_parquet(pts)
    out = tmp_path / "tfr.parquet"
    runner = CliRunner()
    r = runner.invoke(app, ["cml", "tfr", str(labs), "--patients", str(pts), "-o", str(out)])
    assert r.exit_code == 0, r.output
    written = pl.read_parquet(out).sort("patient_id")
    assert written["patient_id"].to_list() == ["a", "b", "c", "e", "f"]
    assert written["eligible"].to_list() == [True, False, False, True, True]
    assert {"time", "cause", "tfr_failure"} <= set(written.columns)
    assert "Example:" in runner.invoke(app, ["cml", "tfr", "--help"]).output
