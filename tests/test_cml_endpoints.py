"""Per-patient CML endpoints and the MR4.5-by-month-12 analysis, on hand-worked patients."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import survstat
from survstat.analyses.cml_response import molecular_response
from survstat.cli import app
from survstat.endpoints.cml import response_endpoints
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
    # by landmark + window = 13; everyone has had an event by 12 (the last time), so the
    # curve is complete and the incidence at 13 is its value at 12
    cif = fit.at([12])
    expected = cif.filter(pl.col("cause") == 1)
    assert res.incidence["evaluated_at"].item() == 13.0
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


def _patients(rows, **events):
    """Patient table from (patient, last_follow_up) and event columns given as lists."""
    frame = pl.DataFrame(
        {"patient_id": [r[0] for r in rows], "last_follow_up": [float(r[1]) for r in rows]}
    )
    return frame.with_columns(
        pl.Series(name, values, dtype=pl.Float64) for name, values in events.items()
    )


# Rule: negative times are pre-study (baseline) samples that never count.
def test_pre_study_samples_never_count():
    from cml_data import labs as _labs

    from survstat.endpoints.cml_monitoring import eln_milestones, loss_of_mmr, sustained_response

    labs = _labs(
        [
            # MR4.5 before the start, MMR at the start, MR4.5 at 6: the response is at 6
            ("a", -1.0, 0.002),
            ("a", 0.0, 0.05),
            ("a", 6.0, 0.002),
            # MR5 before the start only, then 0.5%: no response; the pre-study result is the
            # nearest to landmark 1 (1.5 away) but the landmark result is the one at 3
            ("b", -0.5, 0.0008),
            ("b", 3.0, 0.5),
        ]
    )
    e = response_endpoints(labs, _patients([("a", 12), ("b", 12)]), landmark=1, window=2)
    got = e.select("patient_id", "time", "cause_label", "response_at_landmark", "best_level")
    assert got.with_columns(pl.col("best_level").cast(pl.String)).rows() == [
        ("a", 6.0, "response", False, "MR4.5"),  # nearest counted result to 1 is 0.05% at 0
        ("b", 12.0, "censored", False, "none"),
    ]
    # MMR is never started by a pre-study result: b's 0.0008% at -0.5 is not MMR, 0.5% at 3 is
    # not a loss; a reaches MMR at 0
    assert loss_of_mmr(labs).select("patient_id", "mmr_time", "loss_of_mmr").rows() == [
        ("a", 0.0, False)
    ]
    runs = sustained_response(labs, level="MR4.5").select("patient_id", "longest_start").rows()
    assert runs == [("a", 6.0), ("b", None)]
    at0 = eln_milestones(
        labs, milestones=(survstat.endpoints.cml_monitoring.Milestone(0.0, 10.0, 10.0),), window=1
    )
    assert at0.select("patient_id", "sample_time").rows() == [("a", 0.0), ("b", None)]


# Rule: samples after a competing event never count.
def test_samples_after_a_competing_event_never_count():
    from cml_data import labs as _labs

    labs = _labs(
        [
            # discontinued at 8; MR4.5 at 10 comes after: no response, no landmark result
            ("c", 6.0, 0.5),
            ("c", 10.0, 0.002),
            # progression at 6 and MR4.5 the same day: the response counts
            ("d", 6.0, 0.003),
            # died at 5; a result dated after the death does not count
            ("e", 3.0, 0.2),
            ("e", 5.5, 0.0005),
            # censored at 9; a result after the last follow-up does not count (a warning
            # names it, see test_results_after_the_last_follow_up_warn_and_do_not_count)
            ("g", 3.0, 0.2),
            ("g", 11.0, 0.001),
        ]
    )
    patients = _patients(
        [("c", 12), ("d", 12), ("e", 5), ("g", 9)],
        discontinuation=[8.0, None, None, None],
        progression=[None, 6.0, None, None],
        death=[None, None, 5.0, None],
    )
    with pytest.warns(survstat.errors.SurvstatWarning, match="found 2 of 7 results"):
        e = response_endpoints(labs, patients, level="MR4.5", landmark=10, window=2)
    cols = ["patient_id", "time", "cause_label", "first_response_time"]
    cols += ["responded_by_landmark", "response_at_landmark", "best_level"]
    got = e.select(cols).with_columns(pl.col("best_level").cast(pl.String)).rows()
    assert got == [
        ("c", 8.0, "discontinuation", None, False, None, "none"),
        ("d", 6.0, "response", 6.0, True, None, "MR4.5"),
        ("e", 5.0, "death", None, False, None, "none"),
        ("g", 9.0, "censored", None, False, None, "none"),
    ]


# Rule: the last follow-up ends a patient's record: an event after it is a data error naming
# the patient, the column and both times (a death at 30 with the last follow-up at 12 is not
# "censored at 12"), an event on its day is fine.
@pytest.mark.parametrize("event", ["discontinuation", "progression", "death"])
def test_events_after_the_last_follow_up_are_an_error(event):
    from cml_data import labs as _labs

    labs = _labs([("a", 3.0, 0.5), ("b", 3.0, 0.5)])
    late = _patients([("a", 12), ("b", 12)], **{event: [None, 30.0]})
    with pytest.raises(
        InvalidValueError,
        match=rf"^`{event}` must not be after `last_follow_up` \(the end of follow-up\); found "
        rf"1 of 2 patients \(first: patient 'b', {event} 30.0 after last_follow_up 12.0\)$",
    ):
        response_endpoints(labs, late)
    # on the day of the last follow-up the event ends the follow-up: b's event at 12
    on_day = _patients([("a", 12), ("b", 12)], **{event: [None, 12.0]})
    got = response_endpoints(labs, on_day).select("time", "cause_label").rows()
    assert got == [(12.0, "censored"), (12.0, event)]


# Rule: a lab result after the last follow-up does not count, and a warning names the first
# patient, the sample time and the last follow-up (a sample taken after the last clinic visit
# is common; moving the last follow-up is the data manager's decision).
def test_results_after_the_last_follow_up_warn_and_do_not_count():
    from cml_data import labs as _labs

    # a: MR4.5 at 20, after the last follow-up at 12: censored at 12, no response, and the
    # result is named; b: 0.5% at 6 and nothing after the follow-up: no warning about b
    labs = _labs([("a", 6.0, 0.5), ("a", 20.0, 0.002), ("b", 6.0, 0.5)])
    patients = _patients([("a", 12), ("b", 12)])
    with pytest.warns(
        survstat.errors.SurvstatWarning,
        match=r"^`time`: lab results after the patient's `last_follow_up` do not count \(correct "
        r"`last_follow_up` if the patient was followed until then\); found 1 of 3 results "
        r"\(first: patient 'a', time 20.0 after last_follow_up 12.0\)$",
    ):
        e = response_endpoints(labs, patients, landmark=24)
    got = e.select("patient_id", "time", "cause_label", "first_response_time").rows()
    assert got == [("a", 12.0, "censored", None), ("b", 12.0, "censored", None)]
    # with the last follow-up moved to 20 the result counts: a responds at 20
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        moved = response_endpoints(labs, _patients([("a", 20), ("b", 12)]), landmark=24)
    assert moved.select("time", "cause_label").row(0) == (20.0, "response")


# Rule: one evaluability rule everywhere (undetectable with < 10,000 ABL1 copies).
def test_one_evaluability_rule_everywhere():
    from cml_data import labs as _labs

    from survstat.endpoints.cml import classify_samples
    from survstat.endpoints.cml_monitoring import eln_milestones, loss_of_mmr, sustained_response
    from survstat.endpoints.cml_tfr import tfr_eligibility, tfr_endpoints

    # an undetectable result with 9,000 ABL1 copies bounds BCR-ABL1 at 0.011%: below 0.1%, yet
    # too insensitive to be evaluable (EUTOS)
    labs = _labs(
        [
            ("a", 3.0, 0.5),
            ("a", 6.0, None, 9_000.0),
            ("a", 9.0, 0.3),
            ("t", 30.0, 0.005),
            ("t", 60.0, 0.004),
            ("t", 65.0, None, 9_000.0),
            ("t", 70.0, None, 9_000.0),
        ]
    )
    assert (
        classify_samples(labs)["evaluable"].to_list()
        == [True, False, True] + [True] * 2 + [False] * 2
    )
    # not a response of any level: a is censored with no MMR
    pts = _patients([("a", 12), ("t", 80)])
    ends = response_endpoints(labs, pts, level="MMR")
    assert ends.select("patient_id", "cause_label", "best_level").with_columns(
        pl.col("best_level").cast(pl.String)
    ).rows() == [("a", "censored", "none"), ("t", "response", "MR4")]
    # does not show MMR: a never reached MMR, so has no loss of it (before: MMR at 6, lost at 9)
    assert loss_of_mmr(labs)["patient_id"].to_list() == ["t"]
    # neither extends nor breaks a run: t's MR4 run is 30-60, its last usable result at 60
    run = sustained_response(labs).filter(pl.col("patient_id") == "t").row(0, named=True)
    assert (run["current_start"], run["current_duration"], run["last_result_time"]) == (
        30.0,
        30.0,
        60.0,
    )
    # TFR: judged at the stop (66) on the run 30-60 (30 > 24 months); no relapse after it
    tfr_pts = pl.DataFrame(
        {"patient_id": ["a", "t"], "tki_stop": [None, 66.0], "last_follow_up": [12.0, 80.0]}
    )
    elig = tfr_eligibility(labs, tfr_pts).filter(pl.col("patient_id") == "t").row(0, named=True)
    assert (elig["deep_duration"], elig["eligible"]) == (30.0, True)
    assert tfr_endpoints(labs, tfr_pts).select("time", "cause_label").row(0) == (14.0, "censored")
    # not a milestone result at 6 months
    m6 = eln_milestones(labs).filter((pl.col("patient_id") == "a") & (pl.col("milestone") == 6))
    assert m6["category"].item() is None


# Rule: the landmark window: incidence, 1 - KM and rate all by landmark + window.
def test_landmark_window_one_question_per_row():
    from cml_data import labs as _labs

    labs = _labs(
        [
            ("A", 6.0, 0.002),  # responds at 6
            ("B", 3.0, 0.5),
            ("B", 12.5, 0.002),  # responds at its month-12 visit, half a month late
            ("C", 12.5, 0.5),  # no response, censored at 14
        ]
    )
    pts = _patients([("A", 14), ("B", 14), ("C", 14), ("D", 4)], discontinuation=[None] * 3 + [4])
    res = molecular_response(labs, pts, level="MR4.5", landmark=12, window=1)
    # rate: A and B responded by 12 + 1, of 4 patients (ITT) = 1/2
    assert res.rate.select("n", "n_responders").row(0) == (4, 2)
    # Aalen-Johansen at 13: D's discontinuation at 4 leaves S = 3/4; A at 6 adds 3/4 x 1/3;
    # B at 12.5 adds 1/2 x 1/2: CIF(13) = 1/4 + 1/4 = 1/2, the rate (no one censored by 13).
    # At 12 (the landmark alone) it would be 1/4, half the rate.
    inc = res.incidence.row(0, named=True)
    assert (inc["landmark"], inc["window"], inc["evaluated_at"]) == (12.0, 1.0, 13.0)
    assert inc["cif"] == pytest.approx(0.5, rel=1e-12)
    assert inc["reason"] is None
    # 1 - KM censors D at 4: S(6) = 2/3, S(12.5) = 1/3, 1 - KM = 2/3
    km = res.one_minus_km.row(0, named=True)
    assert (km["evaluated_at"], km["estimate"]) == (13.0, pytest.approx(2 / 3, rel=1e-12))
    # without a window the three answer "by 12": CIF 1/4, rate 1/4
    at12 = molecular_response(labs, pts, level="MR4.5", landmark=12)
    assert at12.incidence["cif"].item() == pytest.approx(0.25, rel=1e-12)
    assert at12.rate["n_responders"].item() == 1


def test_landmark_beyond_follow_up_is_null_with_a_reason():
    from cml_data import labs as _labs

    labs = _labs([("A", 6.0, 0.002), ("B", 6.0, 0.5)])
    # B is censored at 12.5, before 12 + 1: the incidence at 13 is unknown
    censored = molecular_response(labs, _patients([("A", 12.5), ("B", 12.5)]), window=1)
    for table, value in ((censored.incidence, "cif"), (censored.one_minus_km, "estimate")):
        row = table.row(0, named=True)
        assert row[value] is None
        assert row["reason"] == (
            "not estimable: follow-up ends at 12.5 (censored), before landmark + window = 13.0"
        )
    assert censored.rate["n_responders"].item() == 1  # the rate is still defined
    # when the follow-up ends with events only the curve is complete: CIF(13) = CIF(12.5) = 1/2
    complete = molecular_response(
        labs, _patients([("A", 12.5), ("B", 12.5)], death=[None, 12.5]), window=1
    )
    assert complete.incidence["cif"].item() == pytest.approx(0.5, rel=1e-12)
    assert complete.incidence["reason"].item() is None


# Rule: 1 - Kaplan-Meier censors the competing events, so it is unknown after a group's last
# time whenever that time is not a response, whatever ended the follow-up.
def test_one_minus_km_is_not_carried_past_the_end_of_follow_up():
    from cml_data import labs as _labs

    from survstat.analyses.cml import response

    labs = _labs([("a", 3.0, 0.002), ("b", 3.0, 0.5), ("c", 3.0, 0.5)])
    patients = _patients([("a", 20), ("b", 20), ("c", 20)], discontinuation=[None, 8.0, 10.0])
    # a responds at 3; b and c discontinue at 8 and 10. For the incidence nobody is left after
    # 10 (all-cause survival is 0), so CIF(12) = CIF(10) = 1/3. For the Kaplan-Meier the
    # discontinuations are censorings: 1 - KM = 1/3 up to 10 and unknown beyond it.
    res = molecular_response(labs, patients, level="MR4.5", landmark=12)
    assert res.incidence["cif"].item() == pytest.approx(1 / 3, rel=1e-12)
    assert res.incidence["reason"].item() is None
    km = res.one_minus_km.row(0, named=True)
    assert (km["estimate"], km["conf_low"], km["conf_high"]) == (None, None, None)
    reason = "not estimable: follow-up ends at 10.0 (censored), before landmark + window = 12.0"
    assert km["reason"] == reason
    # at the landmark 10 itself the Kaplan-Meier is known: 1 - 2/3
    at10 = molecular_response(labs, patients, level="MR4.5", landmark=10)
    assert at10.one_minus_km["estimate"].item() == pytest.approx(1 / 3, rel=1e-12)
    # the analysis table keeps the incidence and says why 1 - KM is null
    row = response(labs, patients, level="MR4.5", landmark=12).table.row(0, named=True)
    assert row["cif"] == pytest.approx(1 / 3, rel=1e-12)
    assert row["one_minus_km_estimate"] is None
    assert row["reason"] == "1 − Kaplan–Meier " + reason
    # follow-up ending in responses only: the Kaplan-Meier reaches 0 at 6 (both respond), and
    # 1 - KM = 1 is the value at 12
    both = _labs([("a", 3.0, 0.002), ("b", 6.0, 0.002)])
    done = molecular_response(both, _patients([("a", 20), ("b", 20)]), landmark=12)
    assert done.one_minus_km.select("estimate", "reason").row(0) == (1.0, None)
    # by arm: only the arm whose follow-up ends in a discontinuation is null
    arms = patients.with_columns(pl.Series("arm", ["x", "y", "y"]))
    labs_x = pl.concat([labs, _labs([("d", 3.0, 0.5), ("d", 11.0, 0.002)])])
    arms = pl.concat(
        [arms, pl.DataFrame({"patient_id": ["d"], "last_follow_up": [20.0], "arm": ["x"]})],
        how="diagonal_relaxed",
    )
    by_arm = molecular_response(labs_x, arms, landmark=12, by="arm").one_minus_km
    # arm x: a responds at 3, d at 11: 1 - KM(12) = 1; arm y: b, c discontinue at 8 and 10
    assert by_arm.select("arm", "estimate").rows() == [("x", 1.0), ("y", None)]
    assert by_arm["reason"].to_list() == [None, reason]


# Rule: optional event columns may be absent (the event never happened).
def test_absent_event_columns_are_events_that_never_happened():
    full = response_endpoints(LABS, PATIENTS.with_columns(pl.lit(None, pl.Float64).alias("x")))
    only = PATIENTS.select("patient_id", "arm", "last_follow_up")
    none_happened = PATIENTS.with_columns(
        pl.lit(None, dtype=pl.Float64).alias(c) for c in ("discontinuation", "progression", "death")
    )
    got = response_endpoints(LABS, only)
    want = response_endpoints(LABS, none_happened)
    assert got.columns == ["patient_id", "arm", "last_follow_up", *want.columns[6:]]
    assert got.equals(want.drop("discontinuation", "progression", "death"))
    assert full.height == got.height
    # death alone
    deaths = response_endpoints(LABS, PATIENTS.select("patient_id", "last_follow_up", "death"))
    assert deaths.filter(pl.col("patient_id") == "e")["cause_label"].item() == "death"


@pytest.mark.parametrize(
    ("patients", "error", "message"),
    [
        (PATIENTS.drop("last_follow_up"), "ColumnNotFoundError", r"`last_follow_up` \(given as"),
        (PATIENTS.head(0), "EmptyDataError", "the patient table has no rows"),
        (
            PATIENTS.with_columns(pl.col("death").cast(pl.String)),
            "ColumnTypeError",
            r"`death` \(death\) must be numeric",
        ),
        (
            PATIENTS.with_columns(last_follow_up=pl.lit(None, pl.Float64)),
            "MissingValueError",
            r"`last_follow_up` must not be missing; found 6 of 6 patients \(first: patient 'a'\)",
        ),
        (
            PATIENTS.with_columns(death=pl.lit(float("nan"))),
            "MissingValueError",
            r"`death` must be a time or null \(NaN is neither\)",
        ),
        (
            PATIENTS.with_columns(progression=pl.lit(-1.0)),
            "InvalidValueError",
            r"`progression` must be finite and non-negative; found 6 of 6 patients "
            r"\(first: -1.0 for patient 'a'\)",
        ),
        (
            PATIENTS.with_columns(pl.lit(None, pl.String).alias("patient_id")),
            "MissingValueError",
            r"`patient_id` must not be missing in the patient table; found 6 of 6 patients",
        ),
        (
            PATIENTS.with_columns(pl.int_range(6).alias("patient_id")),
            "ColumnTypeError",
            r"`patient_id` is String in the lab results but Int64 in the patient table; give "
            r"both the same type",
        ),
        (
            PATIENTS.with_columns(time=pl.lit(1.0)),
            "InvalidValueError",
            r"the patient table has columns named as output columns \(time\)",
        ),
    ],
)
def test_malformed_patient_tables(patients, error, message):
    with pytest.raises(getattr(survstat.errors, error), match=message):
        response_endpoints(LABS, patients)


def test_bad_options():
    with pytest.raises(OptionError, match=r"`landmark` must be finite and > 0; got 0"):
        response_endpoints(LABS, PATIENTS, landmark=0)
    with pytest.raises(OptionError, match=r"`window` must be a number; got 'x'"):
        response_endpoints(LABS, PATIENTS, window="x")


# Rule: ids of compatible types join (integers of any width; String, Categorical, Enum), as in
# the RECIST derivations; text in one table and integers in the other is an error naming both
# columns and both types.
_IDS = {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6}
_ENUM = pl.Enum(list(_IDS))


@pytest.mark.parametrize(
    ("lab_type", "patient_type"),
    [
        (pl.Int32, pl.Int64),
        (pl.Int64, pl.Int32),
        (pl.UInt16, pl.Int64),
        (pl.String, pl.Categorical),
        (pl.Categorical, pl.String),
        (pl.Enum(["f", "e", "d", "c", "b", "a"]), pl.String),
        (pl.String, _ENUM),
    ],
)
def test_patient_ids_of_compatible_types_join(lab_type, patient_type):
    def typed(frame, dtype):
        ids = pl.col("patient_id")
        if dtype.is_integer():
            ids = ids.replace_strict(_IDS, return_dtype=pl.Int64)
        return frame.with_columns(ids.cast(dtype))

    want = response_endpoints(LABS, PATIENTS)
    got = response_endpoints(typed(LABS, lab_type), typed(PATIENTS, patient_type))
    # the same patients with the same ids: the hand-worked endpoints of the String ids, with
    # the patient table's id type kept in the output
    assert got.schema["patient_id"] == typed(PATIENTS, patient_type).schema["patient_id"]
    assert got.drop("patient_id").equals(want.drop("patient_id"))
    from survstat.endpoints.cml_tfr import tfr_endpoints

    tfr_pts = typed(
        PATIENTS.select("patient_id", "last_follow_up").with_columns(
            pl.Series("tki_stop", [None, None, None, 6.0, None, None], dtype=pl.Float64)
        ),
        patient_type,
    )
    # d stopped at 6 and lost MMR (0.2%) at 15
    ends = tfr_endpoints(typed(LABS, lab_type), tfr_pts)
    assert ends.select("time", "cause_label").rows() == [(9.0, "molecular relapse")]


def test_patient_ids_of_different_kinds_are_an_error():
    from survstat.endpoints.cml import Columns

    labs = LABS.rename({"patient_id": "subject"})
    patients = PATIENTS.with_columns(pl.int_range(6).alias("patient_id"))
    with pytest.raises(
        survstat.errors.ColumnTypeError,
        match=r"^`subject` is String in the lab results but `patient_id` is Int64 in the "
        r"patient table; give both the same type$",
    ):
        response_endpoints(labs, patients, columns=Columns(patient="subject"))
    # an Int64 id beyond Int32: no row of the patient table can hold it
    wide = LABS.with_columns(
        pl.col("patient_id").replace_strict({**_IDS, "f": 2**40}, return_dtype=pl.Int64)
    )
    narrow = PATIENTS.with_columns(pl.col("patient_id").replace_strict(_IDS, return_dtype=pl.Int32))
    with pytest.raises(
        InvalidValueError,
        match=r"1 patients have lab results but no row in the patient table \(first: 1099511627776\)",
    ):
        response_endpoints(wide, narrow)


# The CML code lives in modules of one job each; survstat.endpoints.cml gathers the public
# names, so that imports written against it keep working, and any module imports first. The
# estimates made from the endpoints (molecular_response) are an analysis, in
# survstat.analyses.cml_response.
def test_public_names_import_from_cml_and_modules_import_in_any_order():
    import subprocess
    import sys

    import survstat.endpoints.cml as cml
    from survstat.analyses import cml_response
    from survstat.endpoints import cml_endpoints, cml_input, cml_levels

    before = [
        "CAUSES",
        "DETECTED_CODES",
        "LEVELS",
        "SIGNIFICANT_DIGITS",
        "Columns",
        "PatientColumns",
        "Thresholds",
        "classify_samples",
        "compare",
        "level_rank",
        "response_endpoints",
    ]
    assert set(before) <= set(cml.__all__)
    assert {"MolecularResponseResult", "molecular_response"} <= set(cml_response.__all__)
    homes = (cml_endpoints, cml_input, cml_levels)
    for name in cml.__all__:
        home = next(m for m in homes if name in vars(m))
        assert getattr(cml, name) is getattr(home, name), name
    for first in (
        "analyses.cml_response",
        "endpoints.cml_endpoints",
        "endpoints.cml_patients",
        "endpoints.cml_tfr",
        "endpoints.cml_monitoring",
    ):
        code = f"import survstat.{first}; import survstat.endpoints.cml"
        subprocess.run([sys.executable, "-c", code], check=True)
