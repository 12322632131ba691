"""Cross-checks with lifelines and scikit-survival where they compute the same quantity as R."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import survstat


@pytest.fixture(scope="module")
def gbsg():
    return survstat.datasets.load("gbsg2")


def test_kaplan_meier_matches_lifelines(gbsg):
    from lifelines import KaplanMeierFitter

    km = survstat.kaplan_meier(gbsg, time="time", event="cens")
    kmf = KaplanMeierFitter().fit(gbsg["time"].to_numpy(), gbsg["cens"].to_numpy())
    sf = kmf.survival_function_
    ours = km.table
    theirs = sf.loc[ours["time"].to_numpy(), "KM_estimate"].to_numpy()
    np.testing.assert_allclose(ours["survival"].to_numpy(), theirs, rtol=1e-12)
    # lifelines' interval is the log-log (exponential Greenwood) one; where S = 1 it reports
    # [1, 1] while R (and survstat) leave the log-log interval undefined
    ci = kmf.confidence_interval_.loc[ours["time"].to_numpy()].to_numpy()
    below = ours["survival"].to_numpy() < 1
    assert ours.filter(~pl.Series(below))["conf_low"].null_count() == (~below).sum()
    np.testing.assert_allclose(ours["conf_low"].to_numpy()[below], ci[below, 0], rtol=1e-10)
    np.testing.assert_allclose(ours["conf_high"].to_numpy()[below], ci[below, 1], rtol=1e-10)


def test_kaplan_meier_matches_scikit_survival(gbsg):
    from sksurv.nonparametric import kaplan_meier_estimator

    t, s, (lo, hi) = kaplan_meier_estimator(
        gbsg["cens"].cast(pl.Boolean).to_numpy(),
        gbsg["time"].cast(pl.Float64).to_numpy(),
        conf_type="log-log",
    )
    km = survstat.kaplan_meier(gbsg, time="time", event="cens")
    np.testing.assert_allclose(km.table["time"].to_numpy(), t)
    np.testing.assert_allclose(km.table["survival"].to_numpy(), s, rtol=1e-12)
    below = s < 1  # scikit-survival reports [1, 1] where R leaves the interval undefined
    np.testing.assert_allclose(km.table["conf_low"].to_numpy()[below], lo[below], rtol=1e-8)
    np.testing.assert_allclose(km.table["conf_high"].to_numpy()[below], hi[below], rtol=1e-8)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ({"weights": "logrank"}, {}),
        ({"weights": "gehan-breslow"}, {"weightings": "wilcoxon"}),
        ({"weights": "tarone-ware"}, {"weightings": "tarone-ware"}),
        (
            {"weights": "fleming-harrington", "rho": 1.0, "gamma": 1.0},
            {"weightings": "fleming-harrington", "p": 1, "q": 1},
        ),
    ],
)
def test_logrank_family_matches_lifelines(gbsg, ours, theirs):
    from lifelines.statistics import multivariate_logrank_test

    res = survstat.logrank(gbsg, time="time", event="cens", by="tgrade", **ours)
    ll = multivariate_logrank_test(
        gbsg["time"].to_numpy(), gbsg["tgrade"].to_numpy(), gbsg["cens"].to_numpy(), **theirs
    )
    assert res.statistic == pytest.approx(ll.test_statistic, rel=1e-8)
    assert res.p_value == pytest.approx(ll.p_value, rel=1e-6)


def test_nelson_aalen_matches_lifelines(gbsg):
    from lifelines import NelsonAalenFitter

    naf = NelsonAalenFitter(nelson_aalen_smoothing=False).fit(
        gbsg["time"].to_numpy(), gbsg["cens"].to_numpy()
    )
    na = survstat.nelson_aalen(gbsg, time="time", event="cens")
    theirs = naf.cumulative_hazard_.loc[na.table["time"].to_numpy()].to_numpy().ravel()
    np.testing.assert_allclose(na.table["cumhaz"].to_numpy(), theirs, rtol=1e-12)
