"""Generalised gamma and Gompertz models (survstat's own maximum likelihood, not yet checked
against R flexsurv itself): the log-likelihood against scipy's generalised gamma, nesting (Q = 1 is R
survreg's Weibull, Q near 0 the log-normal, Gompertz shape 0 the exponential) and recovery of
simulated parameters."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from scipy import stats

import survstat
from survstat.estimators.flexible import flexible_survreg, gengamma_loglik, gompertz_loglik

GBSG = survstat.datasets.load("gbsg2")
COVARIATES = ["horTh", "age", "tgrade"]


@pytest.mark.parametrize("q", [-1.5, -0.4, 0.3, 1.0, 2.0])
def test_gengamma_density_and_survival_are_scipys(q):
    """flexsurv's gengamma(mu, sigma, Q) is scipy's gengamma(a = Q^-2, c = Q / sigma) with
    scale exp(mu) (Q^2)^(sigma / Q)."""
    mu, sigma = 1.2, 0.7
    t = np.array([0.3, 1.0, 2.5, 4.0, 9.0])
    event = np.array([True, False, True, False, True])
    scipy_dist = stats.gengamma(q**-2, q / sigma, scale=math.exp(mu) * (q * q) ** (sigma / q))
    expected = np.where(event, scipy_dist.logpdf(t), scipy_dist.logsf(t)).sum()
    ours = gengamma_loglik(np.full(5, mu), sigma, q, t, event, np.ones(5))
    assert ours == pytest.approx(expected, rel=1e-10)


def _survreg(distribution):
    return survstat.survreg(
        GBSG, time="time", event="cens", covariates=COVARIATES, distribution=distribution
    )


def test_gengamma_nests_the_weibull_and_the_lognormal():
    weibull, lognormal = _survreg("weibull"), _survreg("lognormal")
    t, event, w = weibull.basis.time, weibull.basis.event, weibull.basis.weight
    x = weibull.basis.x
    lp = x @ weibull.basis.beta
    sigma = math.exp(weibull.basis.log_scale[0])
    assert gengamma_loglik(lp, sigma, 1.0, t, event, w) == pytest.approx(
        weibull.loglik[1], rel=1e-12
    )
    lp = x @ lognormal.basis.beta
    sigma = math.exp(lognormal.basis.log_scale[0])
    for q in (1e-3, -1e-3):
        assert gengamma_loglik(lp, sigma, q, t, event, w) == pytest.approx(
            lognormal.loglik[1], rel=1e-5
        )
    assert gengamma_loglik(lp, sigma, 0.0, t, event, w) == pytest.approx(
        lognormal.loglik[1], rel=1e-12
    )
    fit = flexible_survreg(GBSG, time="time", event="cens", covariates=COVARIATES)
    assert fit.converged
    assert fit.loglik >= max(weibull.loglik[1], lognormal.loglik[1])
    assert fit.table["term"].to_list() == [
        "mu",
        "horTh[yes]",
        "age",
        "tgrade[II]",
        "tgrade[III]",
        "log(sigma)",
        "Q",
    ]
    assert fit.df == 7
    assert fit.aic == pytest.approx(-2 * fit.loglik + 14)


def test_gompertz_nests_the_exponential():
    exponential = _survreg("exponential")
    b = exponential.basis
    log_rate = -(b.x @ b.beta)
    assert gompertz_loglik(log_rate, 0.0, b.time, b.event, b.weight) == pytest.approx(
        exponential.loglik[1], rel=1e-12
    )
    fit = flexible_survreg(
        GBSG, time="time", event="cens", covariates=COVARIATES, distribution="gompertz"
    )
    assert fit.converged
    assert fit.loglik >= exponential.loglik[1]
    assert fit.table["term"].to_list()[-1] == "shape"


def _recover(fit, truth):
    table = fit.table
    z = (table["coef"].to_numpy() - np.array(truth)) / table["std_error"].to_numpy()
    assert np.all(np.abs(z) < 4), table


def test_gengamma_recovers_simulated_parameters():
    rng = np.random.default_rng(7)
    n = 4000
    arm = rng.integers(0, 2, n)
    mu, beta, sigma, q = 2.0, 0.5, 0.8, -0.6
    gamma = rng.gamma(q**-2, 1.0, n)
    t = np.exp(mu + beta * arm + sigma * np.log(q * q * gamma) / q)
    censor = rng.exponential(40.0, n)
    df = pl.DataFrame({"t": np.minimum(t, censor), "e": (t <= censor).astype(int), "arm": arm})
    fit = flexible_survreg(df, time="t", event="e", covariates=["arm"])
    assert fit.converged
    _recover(fit, [mu, beta, math.log(sigma), q])


def test_gompertz_recovers_simulated_parameters():
    rng = np.random.default_rng(11)
    n = 4000
    arm = rng.integers(0, 2, n)
    log_rate, beta, shape = math.log(0.002), -0.4, 0.01
    rate = np.exp(log_rate + beta * arm)
    t = np.log1p(-shape / rate * np.log(rng.random(n))) / shape
    censor = rng.uniform(0, 600, n)
    df = pl.DataFrame({"t": np.minimum(t, censor), "e": (t <= censor).astype(int), "arm": arm})
    fit = flexible_survreg(df, time="t", event="e", covariates=["arm"], distribution="gompertz")
    assert fit.converged
    _recover(fit, [log_rate, beta, shape])


def test_weights_and_errors():
    df = GBSG.with_columns(w=pl.int_range(pl.len()) % 2 + 1)
    weighted = flexible_survreg(df, time="time", event="cens", covariates=["horTh"], weight="w")
    repeated = df.select(pl.all().repeat_by(pl.col("w")).explode())
    plain = flexible_survreg(repeated, time="time", event="cens", covariates=["horTh"])
    np.testing.assert_allclose(
        weighted.table["coef"].to_numpy(), plain.table["coef"].to_numpy(), rtol=1e-5, atol=1e-7
    )
    with pytest.raises(survstat.SurvstatError, match="distribution"):
        flexible_survreg(GBSG, time="time", event="cens", distribution="weibull")  # type: ignore[arg-type]
    with pytest.raises(survstat.SurvstatError, match="must be positive on a log scale"):
        flexible_survreg(GBSG.with_columns(time=pl.lit(0)), time="time", event="cens")


def test_compare_takes_the_flexible_distributions():
    table = survstat.survreg_compare(
        GBSG,
        time="time",
        event="cens",
        covariates=["horTh"],
        distributions=["weibull", "gengamma", "gompertz"],
    )
    assert table["distribution"].to_list() == ["weibull", "gengamma", "gompertz"]
    for name in ("gengamma", "gompertz"):
        fit = flexible_survreg(
            GBSG, time="time", event="cens", covariates=["horTh"], distribution=name
        )
        row = table.filter(pl.col("distribution") == name).row(0, named=True)
        assert row["loglik"] == fit.loglik
        assert row["aic"] == fit.aic
        assert row["df"] == fit.df
    assert table["loglik"][1] >= table["loglik"][0]
