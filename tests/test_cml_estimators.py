"""``cml estimators``: response by a landmark four ways, and the rule of who is followed.

Hand-built cohorts whose every number is worked out by hand: 1 - Kaplan-Meier with a patient
censored early, the incidence, the rate of all patients and of those followed to the landmark
(:func:`~survstat.endpoints.cml_endpoints.followed_to`), with exact tests checked against
scipy's binomial test.
"""

from __future__ import annotations

import polars as pl
import pytest
from cml_data import labs
from scipy.stats import binomtest

from survstat.analyses import ANALYSES
from survstat.analyses.cml_estimators import COLUMNS, response_estimators
from survstat.endpoints.cml_endpoints import followed_to

# a responds at 3, b at 9, c never (followed to 12), d stops at 2 (censored), e never and
# leaves at 10: by month 12, 1 - KM = 1 - (3/4)(2/3) = 1/2; the rate of all 2/5; of the
# three followed to 12 (a, b, c; not d and e) 2/3
LABS = labs(
    [
        ("a", 0.0, 0.05),
        ("a", 3.0, 0.002),
        ("b", 0.0, 0.05),
        ("b", 3.0, 0.02),
        ("b", 9.0, None, 40_000.0),
        ("c", 0.0, 0.05),
        ("c", 6.0, 0.01),
        ("c", 12.0, 0.01),
        ("d", 0.0, 0.05),
        ("e", 0.0, 0.05),
        ("e", 9.0, 0.01),
    ]
)
PATIENTS = pl.DataFrame(
    {
        "patient_id": ["a", "b", "c", "d", "e"],
        "arm": ["x", "x", "x", "y", "y"],
        "last_follow_up": [12.0, 12.0, 12.0, 2.0, 10.0],
    }
)


def _row(table: pl.DataFrame, estimator: str, population: str = "all") -> dict:
    return table.filter(
        (pl.col("estimator") == estimator) & (pl.col("population") == population)
    ).row(0, named=True)


def test_the_four_estimators_by_hand():
    t = response_estimators(LABS, PATIENTS, landmark=12, null_rate=0.2, alternative="greater")
    assert t.columns == list(COLUMNS)
    assert t.select("estimator", "population").rows() == [
        ("one_minus_km", "all"),
        ("cumulative_incidence", "all"),
        ("rate", "all"),
        ("rate", "followed"),
    ]
    # risk sets: a, b, c, e at 3 (d censored at 2), one response; b, c, e at 9 (e is censored
    # at 10), one response: 1 - KM = 1 - (3/4)(2/3) = 1/2, and the incidence equals it
    km = _row(t, "one_minus_km")
    assert km["estimate"] == pytest.approx(0.5, abs=1e-12)
    assert (km["n"], km["n_responders"], km["interval"]) == (5, 2, "log-log")
    assert km["p_value"] is None
    assert km["null_rate"] is None
    assert _row(t, "cumulative_incidence")["estimate"] == pytest.approx(0.5, abs=1e-12)
    every = _row(t, "rate")
    assert (every["n"], every["n_responders"]) == (5, 2)
    assert every["estimate"] == pytest.approx(0.4)
    assert every["interval"] == "clopper-pearson"
    test = binomtest(2, 5, 0.2, alternative="greater")
    assert every["p_value"] == pytest.approx(test.pvalue, rel=1e-12)
    ci = binomtest(2, 5).proportion_ci(0.95, method="exact")
    assert (every["conf_low"], every["conf_high"]) == pytest.approx((ci.low, ci.high), rel=1e-10)
    followed = _row(t, "rate", "followed")
    assert (followed["n"], followed["n_responders"]) == (3, 2)
    assert followed["p_value"] == pytest.approx(
        binomtest(2, 3, 0.2, alternative="greater").pvalue, rel=1e-12
    )
    assert t.get_column("reason").null_count() == 4


def test_without_censoring_before_the_landmark_all_estimates_agree():
    pts = PATIENTS.with_columns(pl.lit(12.0).alias("last_follow_up"))
    t = response_estimators(LABS, pts, landmark=12)
    assert t.get_column("estimate").to_list() == pytest.approx([0.4] * 4, abs=1e-12)
    assert t.get_column("p_value").null_count() == 4


def test_by_arm_and_an_arm_with_nobody_followed():
    t = response_estimators(LABS, PATIENTS, landmark=12, by="arm")
    assert t.select("arm", "estimator", "population").rows()[:4] == [
        ("x", "one_minus_km", "all"),
        ("x", "cumulative_incidence", "all"),
        ("x", "rate", "all"),
        ("x", "rate", "followed"),
    ]
    y = t.filter((pl.col("arm") == "y") & (pl.col("population") == "followed")).row(0, named=True)
    assert (y["n"], y["n_responders"], y["estimate"]) == (0, 0, None)
    assert y["reason"] == "not estimable: no patient followed to landmark + window = 12"
    # arm y's follow-up ends censored before 12: its curves are null with the reason
    y_km = t.filter((pl.col("arm") == "y") & (pl.col("estimator") == "one_minus_km"))
    assert y_km["estimate"][0] is None
    assert y_km["reason"][0].startswith("not estimable: follow-up ends at 10")


@pytest.mark.parametrize(
    ("patients", "at", "expected"),
    [
        # last follow-up at or after the time; 6 significant digits, as every CML threshold
        ({"last_follow_up": [48.0, 47.9, 48.0000001, 47.9999999]}, 48.0, [True, False, True, True]),
        # a competing event before the time ends the follow-up; one at the time does not
        (
            {"last_follow_up": [50.0, 50.0, 50.0], "discontinuation": [47.0, 48.0, None]},
            48.0,
            [False, True, True],
        ),
        ({"last_follow_up": [50.0, 50.0], "death": [None, 12.0]}, 12.0, [True, True]),
        ({"last_follow_up": [50.0, 50.0], "progression": [11.5, None]}, 12.0, [False, True]),
    ],
)
def test_followed_to(patients, at, expected):
    assert followed_to(pl.DataFrame(patients), at).to_list() == expected


def test_the_declared_analysis_writes_the_table_with_a_title():
    out = ANALYSES["cml estimators"].run(
        LABS, PATIENTS, landmark=12, null_rate=0.2, alternative="greater"
    )
    assert out.table.height == 4
    assert out.n_rows == 5
    assert out.title == "MR4.5 by 12: four estimators"


def test_by_a_column_of_one_group_estimates_without_comparing():
    t = response_estimators(LABS, PATIENTS.with_columns(pl.lit("x").alias("arm")), by="arm")
    assert t.height == 4
    assert t.get_column("arm").to_list() == ["x"] * 4
    assert t.get_column("estimate").to_list()[2] == pytest.approx(0.4)


@pytest.mark.parametrize(
    ("is_percent", "conf_type", "why"),
    [
        # one patient, in MR4.5 at 6: 1 - KM = 1, Greenwood's variance infinite (R: NA)
        (0.002, "log-log", "the estimate is 1 (no patient left at risk without a response)"),
        (0.002, "log", "the estimate is 1 (no patient left at risk without a response)"),
        # one patient, never in MR4.5: 0, where log(-log) is undefined (R: NA)
        (0.05, "log-log", "the estimate is 0 (no response by then)"),
    ],
)
def test_null_confidence_limits_of_the_curves_have_a_reason(is_percent, conf_type, why):
    one = labs([("a", 6.0, is_percent)])
    pts = pl.DataFrame({"patient_id": ["a"], "last_follow_up": [12.0]})
    t = response_estimators(one, pts, landmark=12, conf_type=conf_type)
    km = _row(t, "one_minus_km")
    assert (km["conf_low"], km["conf_high"]) == (None, None)
    assert km["reason"] == (
        f"confidence interval not defined: {why}, where the {conf_type} interval has no limits"
    )
    incidence = _row(t, "cumulative_incidence")
    if conf_type == "log-log":
        assert incidence["reason"] == km["reason"]
    # the rates have exact limits at 0 and 1 (Clopper-Pearson): no reason
    assert _row(t, "rate")["conf_low"] is not None
    assert _row(t, "rate")["reason"] is None


def test_curves_with_limits_have_no_reason():
    t = response_estimators(LABS, PATIENTS, landmark=12)
    assert t.filter(pl.col("estimator") != "rate").get_column("reason").to_list() == [None] * 2


def test_the_rate_of_all_by_a_landmark_nobody_reached_is_null_with_the_reason():
    # follow-up ends at 12 at the latest: by month 48 the 2 of 5 are a count by month 12
    t = response_estimators(LABS, PATIENTS, landmark=48, null_rate=0.2, alternative="greater")
    every = _row(t, "rate")
    assert (every["n"], every["n_responders"]) == (5, 2)
    assert (every["estimate"], every["conf_low"], every["conf_high"], every["p_value"]) == (
        None,
        None,
        None,
        None,
    )
    assert every["reason"] == (
        "not estimable: follow-up ends at 12, before landmark + window = 48; 3 of 5 "
        "patients, censored before it, would count as not responding"
    )
    # the curves and the followed rate are null too: every row says why
    assert t.get_column("estimate").null_count() == 4
    assert t.get_column("reason").null_count() == 0


def test_the_rate_of_all_stays_defined_when_every_outcome_by_the_landmark_is_known():
    # nobody followed to 12, but a responded at 3 and d discontinued at 2: 1 of 2, known
    two = labs([("a", 0.0, 0.05), ("a", 3.0, 0.002), ("d", 0.0, 0.05)])
    pts = pl.DataFrame(
        {
            "patient_id": ["a", "d"],
            "last_follow_up": [5.0, 2.0],
            "discontinuation": [None, 2.0],
        }
    )
    every = _row(response_estimators(two, pts, landmark=12), "rate")
    assert (every["n"], every["n_responders"], every["estimate"]) == (2, 1, 0.5)
    assert every["reason"] is None
