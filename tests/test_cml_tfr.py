"""Treatment-free remission: eligibility and relapse after stopping, on hand-worked patients."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from cml_data import labs as _labs
from typer.testing import CliRunner

import survstat
from survstat.cli import app
from survstat.endpoints.cml import Columns
from survstat.endpoints.cml_tfr import TfrColumns, tfr_eligibility, tfr_endpoints
from survstat.endpoints.dates import times_from_dates
from survstat.errors import ColumnNotFoundError, InvalidValueError, OptionError

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
    with pytest.raises(
        InvalidValueError,
        match=r"`tki_restart` must not be before `tki_stop`; found 1 of 6 patients "
        r"\(first: patient 'a', tki_stop 66.0 after tki_restart 60.0\)",
    ):
        tfr_endpoints(
            LABS, PATIENTS.with_columns(tki_restart=pl.lit(60.0)).head(1).vstack(PATIENTS.slice(1))
        )
    with pytest.raises(ColumnNotFoundError, match="`tki_stop`"):
        tfr_endpoints(LABS, PATIENTS.drop("tki_stop"))
    with pytest.raises(InvalidValueError, match="`patient_id` repeats"):
        tfr_eligibility(LABS, pl.concat([PATIENTS, PATIENTS]))


# Rule: the last follow-up ends a patient's record: a restart or a death after it is a data
# error naming the patient, the column and both times; a lab result after it does not count
# and a warning names the first one.
@pytest.mark.parametrize("event", ["tki_restart", "death"])
def test_tfr_events_after_the_last_follow_up_are_an_error(event):
    # e stopped at 61 with its last follow-up at 65: an event at 70 contradicts it
    late = PATIENTS.with_columns(
        pl.when(pl.col("patient_id") == "e").then(70.0).otherwise(pl.col(event)).alias(event)
    )
    with pytest.raises(
        InvalidValueError,
        match=rf"^`{event}` must not be after `last_follow_up` \(the end of follow-up\); found "
        rf"1 of 6 patients \(first: patient 'e', {event} 70.0 after last_follow_up 65.0\)$",
    ):
        tfr_endpoints(LABS, late)


def test_tfr_results_after_the_last_follow_up_warn_and_do_not_count():
    # f's 0.5% at 101 is after its last follow-up at 100: it is not a relapse, f is censored
    # at 100 - 70 = 30 months after the stop, and the warning names it
    message = (
        r"^`time`: lab results after the patient's `last_follow_up` do not count \(correct "
        r"`last_follow_up` if the patient was followed until then\); found 1 of 21 results "
        r"\(first: patient 'f', time 101.0 after last_follow_up 100.0\)$"
    )
    with pytest.warns(survstat.errors.SurvstatWarning, match=message):
        t = tfr_endpoints(LABS, PATIENTS)
    assert t.filter(pl.col("patient_id") == "f").select("time", "cause_label").row(0) == (
        30.0,
        "censored",
    )
    with pytest.warns(survstat.errors.SurvstatWarning, match=message):
        tfr_eligibility(LABS, PATIENTS)
    # with dates the warning shows the dates: a sample on 2 January 2021, the day after the
    # last follow-up of 1 January 2021
    labs = _dated_labs([("x", D(2016, 1, 1), 0.005), ("x", D(2021, 1, 2), 0.005)])
    pts = pl.DataFrame(
        {
            "patient_id": ["x"],
            "start_date": [D(2015, 1, 1)],
            "tki_stop": [None],
            "last_follow_up": [D(2021, 1, 1)],
        },
        schema_overrides={"tki_stop": pl.Date},
    )
    with pytest.warns(
        survstat.errors.SurvstatWarning,
        match=r"found 1 of 2 results \(first: patient 'x', sample_date 2021-01-02 after "
        r"last_follow_up 2021-01-01\)$",
    ):
        e = tfr_eligibility(labs, pts, columns=Columns(time="sample_date"))
    # judged at the last follow-up on the one result before it: no run longer than 24 months
    assert e.select("deep_duration", "eligible").row(0) == (0.0, False)


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


def test_cli_tfr_prints_each_warning_once(tmp_path):
    # cml tfr reads the same results for eligibility and for the endpoints: a result above
    # 100% and one after the last follow-up are each reported once, not once per derivation
    labs, pts = tmp_path / "labs.parquet", tmp_path / "patients.parquet"
    _labs([("a", 3.0, 150.0), ("a", 70.0, 0.5), ("a", 90.0, 0.5)]).write_parquet(labs)
    pl.DataFrame({"patient_id": ["a"], "tki_stop": [66.0], "last_follow_up": [80.0]}).write_parquet(
        pts
    )
    r = CliRunner().invoke(app, ["cml", "tfr", str(labs), "--patients", str(pts)])
    assert r.exit_code == 0, r.output
    assert r.output.count("`is_percent` above 100% in 1 samples") == 1
    assert r.output.count("lab results after the patient's `last_follow_up`") == 1


# Rule: "more than 5 years" / "more than 2 years" in calendar terms with dates.
D = dt.date


def _dated_labs(rows):
    """Lab results from (patient, sample date, IS %)."""
    return pl.DataFrame(
        {
            "patient_id": [r[0] for r in rows],
            "sample_date": [r[1] for r in rows],
            "is_percent": [r[2] for r in rows],
            "detected": [True] * len(rows),
            "control_gene": ["ABL1"] * len(rows),
            "control_copies": [5e4] * len(rows),
        }
    )


DATED_PATIENTS = pl.DataFrame(
    {
        "patient_id": ["anniversary", "day_after", "leap", "leap_after", "deep24", "deep24_1"],
        "start_date": [D(2015, 3, 1)] * 2 + [D(2016, 2, 29)] * 2 + [D(2014, 1, 1)] * 2,
        "tki_stop_date": [
            D(2020, 3, 1),  # the 5th anniversary: not more than 5 years
            D(2020, 3, 2),  # the day after: more than 5 years
            D(2021, 2, 28),  # 29 Feb 2016 + 60 months = 28 Feb 2021: not more
            D(2021, 3, 1),
            D(2020, 1, 1),
            D(2020, 1, 1),
        ],
        "last_follow_up_date": [D(2022, 1, 1)] * 6,
    }
)
DATED_LABS = _dated_labs(
    [
        # MR4 from 1 Jan 2017 to the stop: sustained for more than 2 years
        *[(p, D(2017, 1, 1), 0.005) for p in ("anniversary", "day_after", "leap", "leap_after")],
        *[(p, D(2019, 12, 1), 0.004) for p in ("anniversary", "day_after", "leap", "leap_after")],
        # MR4 from 1 Mar 2017 to exactly 1 Mar 2019 (24 months: not more than 2 years), or
        # to 2 Mar 2019 (more); both stop after more than 5 years
        ("deep24", D(2017, 3, 1), 0.008),
        ("deep24", D(2019, 3, 1), 0.008),
        ("deep24_1", D(2017, 3, 1), 0.008),
        ("deep24_1", D(2019, 3, 2), 0.008),
    ]
)


def test_eligibility_on_the_calendar():
    e = tfr_eligibility(
        DATED_LABS,
        DATED_PATIENTS,
        columns=Columns(time="sample_date"),
        patient_columns=TfrColumns(tki_stop="tki_stop_date", last_follow_up="last_follow_up_date"),
    )
    assert dict(e.select("patient_id", "eligible").iter_rows()) == {
        "anniversary": False,
        "day_after": True,
        "leap": False,
        "leap_after": True,
        "deep24": False,
        "deep24_1": True,
    }
    reasons = dict(e.select("patient_id", "reason").iter_rows())
    assert reasons["anniversary"] == "treatment not longer than 60 months"
    assert reasons["deep24"] == "MR4 not sustained longer than 24 months"
    row = e.filter(pl.col("patient_id") == "anniversary").row(0, named=True)
    # dates out as dates, durations in months of 365.25 / 12 days (1,827 days)
    assert (row["evaluation_time"], row["deep_start"]) == (D(2020, 3, 1), D(2017, 1, 1))
    assert row["treatment_duration"] == pytest.approx(1827 / (365.25 / 12), rel=1e-12)
    # the same stop as a time in months (1,827 days = 60.02 months) is more than 60: only
    # dates can tell the anniversary
    labs_t, pts_t = times_from_dates(
        DATED_LABS,
        DATED_PATIENTS,
        dates={"tki_stop": "tki_stop_date", "last_follow_up": "last_follow_up_date"},
    )
    as_times = tfr_eligibility(labs_t, pts_t)
    assert dict(as_times.select("patient_id", "eligible").iter_rows())["anniversary"] is True
    with pytest.raises(OptionError, match="`min_treatment` must be a whole number of months"):
        tfr_eligibility(
            DATED_LABS,
            DATED_PATIENTS,
            min_treatment=60.5,
            columns=Columns(time="sample_date"),
            patient_columns=TfrColumns(
                tki_stop="tki_stop_date", last_follow_up="last_follow_up_date"
            ),
        )


# Rule: with times, durations are compared at 6 significant digits.
def test_eligibility_on_times_at_the_stated_precision():
    labs = _labs(
        [
            # MR4 from 8.2 to 32.2: 32.2 - 8.2 = 24.000000000000004 in binary, 24 months: not
            # more than 24
            ("p", 8.2, 0.005),
            ("p", 32.2, 0.005),
            # a stop computed as 64.4 - 4.4 = 60.00000000000001: 60 months, not more than 60
            ("q", 10.0, 0.005),
            ("q", 40.0, 0.005),
        ]
    )
    pts = pl.DataFrame(
        {"patient_id": ["p", "q"], "tki_stop": [70.0, 64.4 - 4.4], "last_follow_up": [80.0] * 2}
    )
    e = tfr_eligibility(labs, pts).select("patient_id", "eligible", "reason").rows()
    assert e == [
        ("p", False, "MR4 not sustained longer than 24"),
        ("q", False, "treatment not longer than 60"),
    ]


def test_tfr_optional_columns_and_unknown_patients():
    # tki_restart and death may be absent: they never happened
    slim = PATIENTS.select("patient_id", "tki_stop", "last_follow_up")
    t = tfr_endpoints(LABS, slim).sort("patient_id")
    assert t.select("patient_id", "cause_label").rows() == [
        ("a", "molecular relapse"),
        ("b", "censored"),  # the restart at 70 is not in this table
        ("c", "molecular relapse"),
        ("e", "censored"),  # nor the death at 65
        ("f", "censored"),
    ]
    with pytest.raises(
        InvalidValueError, match=r"1 patients have lab results but no row in the patient table"
    ):
        tfr_endpoints(LABS, PATIENTS.filter(pl.col("patient_id") != "d"))
    with pytest.raises(InvalidValueError, match=r"1 patients have lab results but no row"):
        tfr_eligibility(LABS, PATIENTS.filter(pl.col("patient_id") != "d"))


def test_cli_tfr_from_dates(tmp_path):
    labs, pts = tmp_path / "labs.parquet", tmp_path / "patients.parquet"
    DATED_LABS.write_parquet(labs)
    DATED_PATIENTS.write_parquet(pts)
    out = tmp_path / "tfr.parquet"
    args = ["cml", "tfr", str(labs), "--patients", str(pts), "--from-dates", "-o", str(out)]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    written = dict(pl.read_parquet(out).select("patient_id", "eligible").iter_rows())
    assert written["anniversary"] is False
    assert written["day_after"] is True
    assert "whole calendar months" in CliRunner().invoke(app, ["cml", "tfr", "--help"]).output
