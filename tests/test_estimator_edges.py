"""Boundary cases of the curve estimators, tests and rate comparisons: undefined is null, every
probability lies in [0, 1], and an option a method would ignore is an error. Each frame is
built by hand; the comment above it gives the answer and why."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import survstat
from survstat.cli import app
from survstat.errors import OptionError, SurvstatWarning
from survstat.estimators._confint import CONF_TYPES, survival_interval
from survstat.estimators.compare_rates import miettinen_nurminen_interval


@pytest.fixture(autouse=True)
def _numpy_warnings_are_errors():
    """numpy's divide/invalid warnings must never reach the user: undefined is handled."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


# --- competing risks ---------------------------------------------------------------------


@pytest.mark.parametrize("variance", ["cuminc", "delta", "robust"])
def test_no_events_at_all_give_zero_incidence(variance):
    # four censored records, causes 1 and 2 declared: F_1 = F_2 = 0 at every time, with
    # variance 0; the log(-log) limits are undefined at F = 0 (null), as for S = 1
    df = pl.DataFrame({"t": [1.0, 2, 3, 4], "c": [0, 0, 0, 0], "g": ["a", "a", "b", "b"]})
    with pytest.warns(SurvstatWarning, match="never occur"):
        res = survstat.cumulative_incidence(
            df, time="t", cause="c", causes=[1, 2], by="g", variance=variance
        )
    t = res.table
    assert t.height == 8
    assert (t["cif"] == 0).all()
    assert (t["std_error"] == 0).all()
    assert t["conf_low"].is_null().all()
    assert t["conf_high"].is_null().all()
    at = res.at([0.5, 2.0])
    assert (at["cif"] == 0).all()


def test_no_events_and_no_declared_cause_give_an_empty_table():
    # no cause ever occurs and none is declared: there is no curve to report (and a warning)
    df = pl.DataFrame({"t": [1.0, 2, 3], "c": [0, 0, 0]})
    with pytest.warns(SurvstatWarning, match="records no event of any cause"):
        res = survstat.cumulative_incidence(df, time="t", cause="c")
    assert res.table.height == 0
    assert res.table.columns == [
        "cause",
        "time",
        "n_risk",
        "n_event",
        "cif",
        "std_error",
        "conf_low",
        "conf_high",
    ]
    assert res.table.schema["cause"] == pl.Int64


def test_incidence_is_clipped_to_one():
    # every record fails of cause 1 (weights 0.1, 0.1, 0.8, 0.7, 0.8): F_1 reaches 1 at the
    # last time; the sum of the jumps S(t-) d / n is 1.0000000000000002 in floating point
    df = pl.DataFrame({"t": [1.0, 2, 3, 4, 5], "c": [1] * 5, "w": [0.1, 0.1, 0.8, 0.7, 0.8]})
    with pytest.warns(SurvstatWarning, match="no record is censored"):
        res = survstat.cumulative_incidence(df, time="t", cause="c", weight="w")
    cif = res.table["cif"].to_numpy()
    assert cif.max() == 1.0
    assert (np.diff(cif) >= 0).all()


def test_gray_test_without_events_is_null():
    # no event of either declared cause: the scores are 0 and their variance 0, so the test
    # is undefined for both causes
    df = pl.DataFrame({"t": [1.0, 2, 3, 4], "c": [0, 0, 0, 0], "g": ["a", "a", "b", "b"]})
    with pytest.warns(SurvstatWarning):
        t = survstat.gray_test(df, time="t", cause="c", causes=[1, 2], by="g").table
    assert t["statistic"].is_null().all()
    assert t["p_value"].is_null().all()
    assert t["df"].to_list() == [1, 1]


# --- survival curves ---------------------------------------------------------------------


@pytest.mark.parametrize("conf_type", list(CONF_TYPES))
def test_intervals_at_the_boundaries_are_finite_or_null(conf_type):
    # S = 1 (no event yet), S = 0 (everyone failed), se = 0, an infinite se (a Greenwood term
    # where n = d) and a tiny S: every limit is in [0, 1] or undefined (NaN, null in tables)
    surv = np.array([1.0, 0.0, 0.5, 0.5, 1e-300, 1.0 - 1e-16])
    se_log = np.array([0.0, np.inf, 0.0, np.inf, 50.0, 1e-8])
    lo, hi = survival_interval(surv, se_log, conf_type, 0.95)
    for limit in (lo, hi):
        ok = ~np.isnan(limit)
        assert np.isfinite(limit[ok]).all()
        assert ((limit[ok] >= 0) & (limit[ok] <= 1)).all()
    assert (lo[~np.isnan(lo) & ~np.isnan(hi)] <= hi[~np.isnan(lo) & ~np.isnan(hi)]).all()


def test_zero_weight_record_at_the_end_keeps_the_robust_variance():
    # the last record (time 4) has weight 0: nobody of positive weight is at risk there, so
    # nothing changes at time 4 and every estimate equals its value at time 3 (it used to be
    # NaN: the record's own 1 / (n - d) term is 1 / 0)
    df = pl.DataFrame({"t": [1.0, 2, 3, 4], "d": [1, 0, 1, 1], "w": [1.0, 1.5, 0.5, 0.0]})
    km = survstat.kaplan_meier(df, time="t", event="d", weight="w").table
    assert km["std_error"][3] == km["std_error"][2] is not None
    na = survstat.nelson_aalen(df, time="t", event="d", weight="w").table
    assert na["std_error"][3] == pytest.approx(na["std_error"][2])
    cr = df.with_columns(c=pl.col("d"))
    ci = survstat.cumulative_incidence(cr, time="t", cause="c", weight="w").table
    assert ci["std_error"][3] == pytest.approx(ci["std_error"][2])
    assert not ci["cif"].is_null().any()


def test_rmst_difference_with_zero_variance_has_no_test():
    # arm A: all three fail at time 1 (S = 0 after 1, RMST to tau = 2 is 1, variance 0 since
    # n = d there); arm B: censored at 2, 3, 4 (S = 1, RMST = 2, variance 0). The difference
    # B - A is 1 with standard error 0: the z statistic is 1/0, undefined, not inf with p = 0
    df = pl.DataFrame(
        {"t": [1.0, 1, 1, 2, 3, 4], "d": [1, 1, 1, 0, 0, 0], "arm": ["A"] * 3 + ["B"] * 3}
    )
    km = survstat.kaplan_meier(df, time="t", event="d", by="arm")
    diff = km.rmst_difference(2.0, reference="A").row(0, named=True)
    assert diff["difference"] == 1.0
    assert diff["std_error"] == 0.0
    assert diff["statistic"] is None
    assert diff["p_value"] is None


def test_rmst_beyond_follow_up_warns():
    # arm B is followed to 4 only and its curve is still 1 there: RMST to 5 carries that value
    # on (R's rmean), which is an assumption, so it warns naming the arm. Arm A's curve reached
    # 0 at 1, so tau beyond 1 is exact for it and A is not named.
    df = pl.DataFrame(
        {"t": [1.0, 1, 1, 2, 3, 4], "d": [1, 1, 1, 0, 0, 0], "arm": ["A"] * 3 + ["B"] * 3}
    )
    km = survstat.kaplan_meier(df, time="t", event="d", by="arm")
    with pytest.warns(SurvstatWarning, match=r"`tau` = 5 is beyond the follow-up of arm=B \(") as w:
        assert km.rmst(5.0)["rmst"].to_list() == [1.0, 5.0]
    assert "arm=A" not in str(w[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SurvstatWarning)
        assert km.rmst(4.0)["rmst"].to_list() == [1.0, 4.0]


def test_logrank_without_events_is_null():
    # no event at all: no group has an expected event, so the test is undefined (df 0)
    df = pl.DataFrame({"t": [1.0, 2, 3, 4], "d": [0] * 4, "g": [1, 1, 2, 2]})
    res = survstat.logrank(df, time="t", event="d", by="g")
    row = res.table.row(0, named=True)
    assert (row["statistic"], row["df"], row["p_value"]) == (None, 0, None)
    assert res.statistic is None
    assert res.p_value is None


# --- options a method would ignore ---------------------------------------------------------


@pytest.mark.parametrize(
    ("weights", "kw"),
    [("tarone-ware", {"rho": 1.0}), ("gehan-breslow", {"gamma": 0.5})],
)
def test_logrank_exponents_with_weights_that_have_none(weights, kw):
    df = pl.DataFrame({"t": [1.0, 2, 3, 4], "d": [1, 1, 0, 1], "g": [1, 1, 2, 2]})
    with pytest.raises(OptionError, match=rf"the {weights} weights have none"):
        survstat.logrank(df, time="t", event="d", by="g", weights=weights, **kw)
    # rho with the default log-rank weights selects Fleming-Harrington, as survdiff(rho=1)
    fh = survstat.logrank(df, time="t", event="d", by="g", rho=1.0)
    assert fh.table["test"].item() == "fleming-harrington"


def test_cli_logrank_tarone_ware_with_rho(tmp_path):
    data = tmp_path / "d.parquet"
    pl.DataFrame({"t": [1.0, 2, 3, 4], "d": [1, 1, 0, 1], "g": [1, 1, 2, 2]}).write_parquet(data)
    args = ["logrank", str(data), "--time", "t", "--event", "d", "--by", "g"]
    r = CliRunner().invoke(app, [*args, "--weights", "tarone-ware", "--rho", "1"])
    assert r.exit_code == 1
    assert "the tarone-ware weights have none" in r.output
    assert "Traceback" not in r.output


def test_response_alternative_without_null_rate():
    df = pl.DataFrame({"r": [1, 0, 1, 1]})
    with pytest.raises(OptionError, match=r"alternative='greater' is the direction of the test"):
        survstat.proportion(df, response="r", alternative="greater")


def test_compare_rates_odds_ratio_method_with_strata():
    df = pl.DataFrame({"r": [1, 0, 1, 0], "a": ["x", "x", "y", "y"], "s": [1, 2, 1, 2]})
    with pytest.raises(OptionError, match="Mantel-Haenszel common odds ratio; odds_ratio_method"):
        survstat.compare_proportions(
            df, response="r", by="a", strata="s", odds_ratio_method="woolf"
        )


def test_nelson_aalen_robust_must_be_a_flag():
    df = pl.DataFrame({"t": [1.0, 2], "d": [1, 0]})
    with pytest.raises(OptionError, match="`robust` must be True, False or None"):
        survstat.nelson_aalen(df, time="t", event="d", robust="yes")


# --- rate comparisons ----------------------------------------------------------------------


def test_exact_odds_ratio_with_a_zero_margin_is_null():
    # 2/2 vs 2/2 responders: no non-responder at all, so x1 is fixed by the margins and the
    # conditional likelihood is flat in the odds ratio (R's fisher.test reports 0 and
    # [0, Inf]); Fisher's p-value is 1 and the difference 0 with a proper interval
    df = pl.DataFrame({"r": [1, 1, 1, 1], "a": ["x", "x", "y", "y"]})
    row = survstat.compare_proportions(df, response="r", by="a").table.row(0, named=True)
    assert row["odds_ratio"] is None
    assert row["odds_ratio_conf_high"] is None
    assert row["p_value"] == 1.0
    assert row["difference"] == 0.0
    assert row["difference_conf_low"] == pytest.approx(-0.6576197724933469)


def test_exact_odds_ratio_at_the_edge_has_no_infinite_limit():
    # 3/3 vs 1/3: x1 is at the top of its support, so the conditional MLE and the upper limit
    # are +inf (fisher.test): both null; the lower limit is finite
    df = pl.DataFrame({"r": [1, 1, 1, 1, 0, 0], "a": ["x"] * 3 + ["y"] * 3})
    row = survstat.compare_proportions(df, response="r", by="a", reference="y").table.row(
        0, named=True
    )
    assert row["odds_ratio"] is None
    assert row["odds_ratio_conf_high"] is None
    assert 0 < row["odds_ratio_conf_low"] < 1e6


def test_stratified_comparison_without_variation_is_null():
    # every patient responds in both strata: the Mantel-Haenszel odds ratio is 0/0 and the
    # CMH statistic 0/0 (no stratum varies): null, without numpy warnings
    df = pl.DataFrame({"r": [1, 1, 1, 1], "a": ["x", "x", "y", "y"], "s": [1, 2, 1, 2]})
    row = survstat.compare_proportions(df, response="r", by="a", strata="s").table.row(
        0, named=True
    )
    assert row["odds_ratio"] is None
    assert row["p_value"] is None
    assert row["difference"] == 0.0


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # Newcombe (1998), Stat Med 17:873-890, table II, method 6 (Miettinen-Nurminen),
        # examples (e)-(h): the boundary tables where the restricted MLE sits at 0 or 1
        ((0, 10, 0, 20), (-0.1658, 0.2844)),
        ((0, 10, 0, 10), (-0.2879, 0.2879)),
        ((10, 10, 0, 20), (0.7156, 1.0)),
        ((10, 10, 0, 10), (0.6636, 1.0)),
    ],
)
def test_miettinen_nurminen_at_the_boundaries(counts, expected):
    lo, hi = miettinen_nurminen_interval(*counts, 0.95)
    assert (round(lo, 4), round(hi, 4)) == expected
