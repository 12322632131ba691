"""survstat against R survival 3.5 on real datasets and edge cases.

Reference values come from tests/reference/make_reference.R (its JSON output is committed).
Estimates must agree to 1e-8 relative, p-values to 1e-6 relative, and R's undefined values
(NA/NaN) must be null here.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from reference_data import as_list, case, cases, curve_label, frame, num, roles, to_array

import survstat

RTOL = 1e-8
PTOL = 1e-6
CASES = [c["name"] for c in cases()]
CONF_KEYS = [
    f"{ct}@{lv}" for ct in ("log", "log-log", "plain", "logit", "arcsin") for lv in (0.95, 0.9)
]
TESTED = [c["name"] for c in cases() if "survdiff" in c]


def assert_close(ours, theirs, rtol=RTOL, what=""):
    a = to_array(ours) if isinstance(ours, pl.Series) else np.asarray(ours, float)
    b = num(theirs)
    assert a.shape == b.shape, f"{what}: {a.shape} rows vs R {b.shape}"
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=f"{what}: undefined values")
    ok = ~np.isnan(b)
    np.testing.assert_allclose(a[ok], b[ok], rtol=rtol, atol=1e-14, err_msg=what)


def fit(c, key="log-log@0.95"):
    conf_type, level = key.split("@")
    conf_type = {"arcsin": "arcsine"}.get(conf_type, conf_type)
    return survstat.kaplan_meier(frame(c), conf_type=conf_type, conf_level=float(level), **roles(c))


@pytest.mark.parametrize("key", CONF_KEYS)
@pytest.mark.parametrize("name", CASES)
def test_kaplan_meier_curve(name, key):
    c = case(name)
    ref = c["km"][key]
    table = fit(c, key).table
    labels = [
        curve_label(r, tuple(roles(c).get("by", "") and [roles(c)["by"]]))
        for r in table.iter_rows(named=True)
    ]
    assert labels == as_list(ref["curve"])
    for ours, theirs in [
        ("time", "time"),
        ("n_risk", "n_risk"),
        ("n_event", "n_event"),
        ("n_censor", "n_censor"),
        ("survival", "surv"),
        ("std_error", "std_err_surv"),
        ("conf_low", "lower"),
        ("conf_high", "upper"),
    ]:
        assert_close(table[ours], ref[theirs], what=f"{name} {key} {ours}")


@pytest.mark.parametrize("key", CONF_KEYS)
@pytest.mark.parametrize("name", CASES)
def test_quantiles_with_ci(name, key):
    c = case(name)
    ref = c["quantile"][key]
    km = fit(c, key)
    q = km.quantile(c["probs"])
    position = {
        (lab, p): i
        for i, (lab, p) in enumerate(zip(as_list(ref["curve"]), num(ref["prob"]), strict=True))
    }
    order = [position[(curve_label(r, km.groups), r["prob"])] for r in q.iter_rows(named=True)]
    for ours, theirs in [("time", "quantile"), ("conf_low", "lower"), ("conf_high", "upper")]:
        expected = [as_list(ref[theirs])[i] for i in order]
        assert_close(q[ours], expected, what=f"{name} {key} quantile {ours}")


@pytest.mark.parametrize("key", CONF_KEYS)
@pytest.mark.parametrize("name", CASES)
def test_survival_at_times(name, key):
    c = case(name)
    ref = c["at"][key]
    at = fit(c, key).at(c["times"])
    for ours, theirs in [
        ("time", "time"),
        ("n_risk", "n_risk"),
        ("survival", "surv"),
        ("std_error", "std_err"),
        ("conf_low", "lower"),
        ("conf_high", "upper"),
    ]:
        assert_close(at[ours], ref[theirs], what=f"{name} {key} at {ours}")


@pytest.mark.parametrize("name", CASES)
def test_rmst(name):
    c = case(name)
    r = fit(c).rmst(c["tau"])
    assert_close(r["rmst"], c["rmean"]["rmean"], what="rmst")
    assert_close(r["std_error"], c["rmean"]["se"], what="rmst se")


@pytest.mark.parametrize("name", CASES)
def test_summary_counts(name):
    c = case(name)
    s = fit(c).summary(tau=c["tau"])
    assert_close(s["n"], c["rmean"]["n"], what="n")
    assert_close(s["n_event"], c["rmean"]["events"], what="events")
    assert_close(s["rmst"], c["rmean"]["rmean"], what="rmst")


@pytest.mark.parametrize("name", CASES)
def test_nelson_aalen(name):
    c = case(name)
    ref = c["km"]["log@0.95"]
    na = survstat.nelson_aalen(frame(c), **roles(c))
    assert_close(na.table["cumhaz"], ref["cumhaz"], what="cumhaz")
    assert_close(na.table["std_error"], ref["std_chaz"], what="std.chaz")
    # log interval from R's cumhaz and std.chaz
    h, se = num(ref["cumhaz"]), num(ref["std_chaz"])
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.exp(1.959963984540054 * np.where(h > 0, se / h, 0.0))
    assert_close(na.table["conf_low"], h / spread, what="cumhaz low")
    assert_close(na.table["conf_high"], h * spread, what="cumhaz high")


@pytest.mark.parametrize("rho", ["0", "1", "0.5"])
@pytest.mark.parametrize("name", TESTED)
def test_logrank_matches_survdiff(name, rho):
    c = case(name)
    ref = c["survdiff"][rho]
    res = survstat.logrank(frame(c), rho=float(rho), **roles(c, keep_strata=True))
    assert res.table["df"].item() == ref["df"]
    assert_close([res.statistic], ref["chisq"], what="chisq")
    assert_close([res.p_value], ref["p"], rtol=PTOL, what="p")
    assert_close(res.per_group["observed"], ref["obs"], what="observed")
    assert_close(res.per_group["expected"], ref["exp"], what="expected")
    k = res.per_group.height
    np.testing.assert_allclose(
        res.covariance, np.array(ref["var"], float).reshape(k, k), rtol=RTOL, atol=1e-12
    )
    trend = res.trend(np.arange(1.0, k + 1.0))
    assert_close(trend["statistic"], ref["trend_chisq"], what="trend")
    assert_close(trend["p_value"], ref["trend_p"], rtol=PTOL, what="trend p")


@pytest.mark.parametrize(
    "test", ["fh(0,1)", "fh(1,1)", "fh(0.5,2)", "gehan-breslow", "tarone-ware"]
)
@pytest.mark.parametrize("name", TESTED)
def test_weighted_logrank(name, test):
    c = case(name)
    ref = c["weighted_logrank"][test]
    if test.startswith("fh"):
        rho, gamma = map(float, test[3:-1].split(","))
        kw = {"weights": "fleming-harrington", "rho": rho, "gamma": gamma}
    else:
        kw = {"weights": test}
    res = survstat.logrank(frame(c), **kw, **roles(c, keep_strata=True))
    assert_close([res.statistic], ref["chisq"], what="chisq")
    assert_close([res.p_value], ref["p"], rtol=PTOL, what="p")
    assert_close(res.per_group["o_minus_e"], ref["o_minus_e"], what="O - E")


def test_rmst_difference_gbsg2():
    c = case("gbsg2_horth")
    per = {
        r: (m, s)
        for r, m, s in zip(
            as_list(c["rmean"]["curve"]),
            num(c["rmean"]["rmean"]),
            num(c["rmean"]["se"]),
            strict=True,
        )
    }
    diff = fit(c).rmst_difference(c["tau"], reference="no")
    m1, s1 = per["horTh=yes"]
    m0, s0 = per["horTh=no"]
    se = np.hypot(s1, s0)
    assert diff["difference"].item() == pytest.approx(m1 - m0, rel=RTOL)
    assert diff["std_error"].item() == pytest.approx(se, rel=RTOL)
    from scipy import stats

    assert diff["p_value"].item() == pytest.approx(2 * stats.norm.sf(abs((m1 - m0) / se)), rel=PTOL)
