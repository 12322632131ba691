"""Parametric survival models against R survival::survreg (tests/reference/make_reference_survreg.R),
to 1e-8: coefficients, standard errors and covariance, scales (per stratum), log-likelihoods of
the model and of the intercept-only model, df, AIC, BIC, predicted quantiles with their standard
errors, S(t) and the restricted mean (psurvreg and integrate), and the Weibull's hazard ratios
(SurvRegCensCov::ConvertWeibull, computed by hand in the script).

R's fits are taken with rel.tolerance = 1e-13, i.e. at the maximum itself; R's default stopping
rule ends up to one Newton step earlier (``iter_default`` in the JSON), so iteration counts are
not compared."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from reference_data import as_list, frame, num

import survstat
from survstat.errors import EstimationError, InvalidValueError, OptionError, SurvstatWarning
from survstat.estimators import _survreg_fit

REFERENCE = json.loads(
    (Path(__file__).parent / "reference" / "r_reference_survreg.json").read_text()
)
CASES = {c["name"]: c for c in REFERENCE}


def option(value):
    return None if value in ({}, None, []) else value


def covariates(c):
    return [] if option(c["covariates"]) is None else as_list(c["covariates"])


def fit(c, **kwargs):
    return survstat.survreg(
        frame(c),
        time=c["time"],
        event=c["event"],
        covariates=covariates(c),
        distribution=c["dist"],
        strata=option(c.get("strata")),
        weight=option(c.get("weight")),
        **kwargs,
    )


def r_name(term):
    """survstat's ``horTh[yes]`` is R's ``horThyes``."""
    return term.replace("[", "").replace("]", "")


@pytest.mark.parametrize("name", list(CASES))
def test_coefficients_scales_and_likelihood(name):
    c = CASES[name]
    f = fit(c)
    assert f.converged
    coefs = f.table.filter(~pl.col("term").str.starts_with("Log(scale)"))
    assert [r_name(t) for t in coefs["term"]] == as_list(c["coef_names"])
    np.testing.assert_allclose(coefs["coef"].to_numpy(), num(c["coef"]), rtol=1e-8)
    np.testing.assert_allclose(f.table["std_error"].to_numpy(), num(c["se"]), rtol=1e-8)
    k = len(num(c["se"]))
    np.testing.assert_allclose(
        f.covariance, np.array(c["var"]).reshape(k, k), rtol=1e-7, atol=1e-14
    )
    np.testing.assert_allclose(f.scales["scale"].to_numpy(), num(c["scale"]), rtol=1e-8)
    np.testing.assert_allclose(f.loglik, num(c["loglik"]), rtol=1e-10)
    assert f.df == c["df"]
    assert f.n == c["n"]
    np.testing.assert_allclose([f.aic, f.bic], [c["aic"], c["bic"]], rtol=1e-10)
    if option(c.get("strata")):
        # R labels a numeric stratum column "sex=1" and a text one by its value alone;
        # survstat labels both "column=value"
        strata = c["strata"]
        labels = [s if "=" in s else f"{strata}={s}" for s in as_list(c["scale_names"])]
        assert f.scales["stratum"].to_list() == labels
        assert f.table["term"].to_list()[len(num(c["coef"])) :] == [
            f"Log(scale):{s}" for s in labels
        ]
    model = f.model
    assert model.columns == [
        "distribution",
        "n",
        "n_event",
        "loglik_null",
        "loglik",
        "df",
        "aic",
        "bic",
        "scale",
        "iterations",
        "converged",
    ]


@pytest.mark.parametrize("name", list(CASES))
def test_quantiles_survival_and_restricted_mean(name):
    c = CASES[name]
    f = fit(c)
    profiles = frame(c).head(3)
    pred = f.predict(profiles, p=c["quantile_p"])
    n_p = len(c["quantile_p"])
    np.testing.assert_allclose(
        pred["quantile"].to_numpy().reshape(3, n_p), np.array(c["quantile"]), rtol=1e-8
    )
    np.testing.assert_allclose(
        pred["std_error"].to_numpy().reshape(3, n_p), np.array(c["quantile_se"]), rtol=1e-8
    )
    np.testing.assert_allclose(pred["lp"].to_numpy()[::n_p], num(c["lp"]), rtol=1e-8)
    surv = f.survival(profiles.head(1), c["surv_times"], tau=c["rmst_tau"])
    np.testing.assert_allclose(surv["survival"].to_numpy(), num(c["surv"]), rtol=1e-8)
    np.testing.assert_allclose(surv["rmst"][0], c["rmst"], rtol=1e-8)
    assert (surv["conf_low"] <= surv["survival"]).all()
    assert (surv["survival"] <= surv["conf_high"]).all()


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if "log_hr" in c])
def test_weibull_hazard_ratios(name):
    c = CASES[name]
    hr = fit(c).hazard_ratios()
    if not covariates(c):
        assert hr.height == 0
        return
    np.testing.assert_allclose(hr["coef"].to_numpy(), num(c["log_hr"]), rtol=1e-8)
    np.testing.assert_allclose(hr["std_error"].to_numpy(), num(c["log_hr_se"]), rtol=1e-8)
    np.testing.assert_allclose(hr["shape"].to_numpy(), c["shape"], rtol=1e-8)
    np.testing.assert_allclose(hr["hazard_ratio"].to_numpy(), np.exp(num(c["log_hr"])), rtol=1e-8)


def test_exponential_hazard_ratio_is_minus_the_coefficient():
    f = fit(CASES["lung_exponential"])
    hr = f.hazard_ratios()
    table = f.table.filter(pl.col("term") != "(Intercept)")
    np.testing.assert_allclose(hr["coef"].to_numpy(), -table["coef"].to_numpy(), rtol=1e-14)
    np.testing.assert_allclose(hr["std_error"].to_numpy(), table["std_error"].to_numpy())


def test_hazard_ratios_need_one_weibull_shape():
    with pytest.raises(OptionError, match="this one is lognormal"):
        fit(CASES["lung_lognormal"]).hazard_ratios()
    with pytest.raises(OptionError, match="with strata each stratum has its own"):
        fit(CASES["lung_strata_weibull"]).hazard_ratios()


def test_survival_at_a_quantile_and_the_mean():
    """S(q_p) = 1 - p; the restricted mean tends to the closed-form mean."""
    c = CASES["gbsg2_weibull"]
    f = fit(c)
    profile = frame(c).head(1)
    q = f.predict(profile, p=[0.2, 0.5, 0.8])
    s = f.survival(profile, q["quantile"].to_list())
    np.testing.assert_allclose(s["survival"].to_numpy(), [0.8, 0.5, 0.2], rtol=1e-12)
    for name in ("exponential", "weibull", "lognormal", "loglogistic"):
        g = fit(CASES[f"gbsg2_{name}"])
        far = g.survival(profile, [1.0], tau=1e12)
        # the log-logistic's tail beyond tau is of relative size 1e-6 here
        np.testing.assert_allclose(far["rmst"][0], far["mean"][0], rtol=1e-5)


def test_loglogistic_mean_infinite_with_scale_above_one():
    df = pl.DataFrame({"t": [1.0, 2, 5, 50, 400, 3, 9000, 7], "e": [1, 1, 1, 1, 1, 0, 1, 1]})
    f = survstat.survreg(df, time="t", event="e", distribution="loglogistic")
    assert f.scales["scale"][0] > 1
    assert f.survival({}, [1.0])["mean"].to_list() == [None]


def test_integer_weights_equal_duplicated_rows():
    c = CASES["lung_weibull"]
    df = frame(c).with_columns(w=(pl.int_range(pl.len()) % 3 + 1))
    weighted = survstat.survreg(
        df, time="time", event="event", covariates=["age", "sex"], weight="w"
    )
    repeated = df.select(pl.all().repeat_by(pl.col("w")).explode())
    plain = survstat.survreg(repeated, time="time", event="event", covariates=["age", "sex"])
    np.testing.assert_allclose(weighted.table["coef"].to_numpy(), plain.table["coef"].to_numpy())
    np.testing.assert_allclose(
        weighted.table["std_error"].to_numpy(), plain.table["std_error"].to_numpy()
    )
    assert weighted.loglik[1] == pytest.approx(plain.loglik[1], rel=1e-12)


def test_rows_of_weight_zero_are_left_out():
    c = CASES["lung_weibull"]
    df = frame(c).with_columns(w=pl.when(pl.col("time") > 1000).then(0).otherwise(1))
    weighted = survstat.survreg(df, time="time", event="event", covariates=["age"], weight="w")
    kept = survstat.survreg(
        df.filter(pl.col("w") == 1), time="time", event="event", covariates=["age"]
    )
    np.testing.assert_allclose(weighted.table["coef"].to_numpy(), kept.table["coef"].to_numpy())
    assert weighted.n == kept.n


@pytest.mark.parametrize("backend", ["lazy", "arrow", "pandas"])
def test_every_input_backend(backend):
    c = CASES["veteran_weibull"]
    df = frame(c)
    data = {"lazy": df.lazy, "arrow": df.to_arrow, "pandas": df.to_pandas}[backend]()
    a = fit(c)
    b = survstat.survreg(
        data, time="time", event="status", covariates=covariates(c), distribution="weibull"
    )
    assert a.table.equals(b.table)


def test_aliased_covariate_is_reported_as_r_na():
    c = CASES["lung_weibull"]
    df = frame(c).with_columns(age2=pl.col("age") * 2.0)
    with pytest.warns(SurvstatWarning, match=r"1 coefficient\(s\) not defined .*`age2`"):
        f = survstat.survreg(df, time="time", event="event", covariates=["age", "sex", "age2"])
    row = f.table.filter(pl.col("term") == "age2")
    assert row["status"].to_list() == ["aliased"]
    assert row.select(pl.exclude("term", "status")).null_count().row(0) == (1,) * 7
    base = survstat.survreg(df, time="time", event="event", covariates=["age", "sex"])
    kept = f.table.filter(pl.col("status") == "ok")
    np.testing.assert_allclose(kept["coef"].to_numpy(), base.table["coef"].to_numpy(), rtol=1e-10)
    assert f.df == base.df
    np.testing.assert_allclose(
        f.predict({"age": 60, "sex": 1, "age2": 120})["quantile"].to_numpy(),
        base.predict({"age": 60, "sex": 1})["quantile"].to_numpy(),
        rtol=1e-10,
    )


def test_not_converged_is_flagged(monkeypatch):
    monkeypatch.setattr(_survreg_fit, "MAX_ITER", 1)
    with pytest.warns(SurvstatWarning, match="did not converge"):
        f = fit(CASES["gbsg2_weibull"])
    assert not f.converged
    assert f.model["converged"].to_list() == [False]
    assert set(f.table["status"]) == {"not converged"}
    assert f.table["std_error"].null_count() == f.table.height
    assert f.scales["std_error"].to_list() == [None]
    with pytest.raises(EstimationError, match="did not converge: it gives no predictions"):
        f.predict(frame(CASES["gbsg2_weibull"]).head(1))


def test_gaussian_takes_a_time_of_zero():
    df = pl.DataFrame({"t": [0.0, 2, 5, 7, 4, 3, 9, 1], "e": [1, 1, 0, 1, 1, 0, 1, 1]})
    f = survstat.survreg(df, time="t", event="e", distribution="gaussian")
    assert f.converged
    assert f.table["time_ratio"].null_count() == 2


BAD = [
    (
        {"distribution": "weibull"},
        lambda df: df.with_columns(
            time=pl.when(pl.int_range(pl.len()).is_in([4, 9])).then(0).otherwise(pl.col("time"))
        ),
        InvalidValueError,
        r"`time` must be positive on a log scale; found 2 such values \(first: 0.0 at row 4\)",
    ),
    (
        {"covariates": ["age", "one"]},
        lambda df: df.with_columns(one=pl.lit(3)),
        InvalidValueError,
        r"`one` \(covariate\) is constant: all 686 rows used are 3 \(first at row 0\)",
    ),
    (
        {},
        lambda df: df.with_columns(cens=pl.lit(0)),
        EstimationError,
        r"`cens` records no event among the 686 rows used",
    ),
    (
        {"distribution": "exponential", "strata": "menostat"},
        lambda df: df,
        OptionError,
        "the exponential distribution has its scale fixed at 1: it takes no `strata`",
    ),
    ({"distribution": "gompertz"}, lambda df: df, OptionError, "distribution"),
    ({"covariates": ["agee"]}, lambda df: df, survstat.SurvstatError, "did you mean `age`"),
]


@pytest.mark.parametrize(("kwargs", "edit", "error", "pattern"), BAD)
def test_bad_input(kwargs, edit, error, pattern):
    df = edit(frame(CASES["gbsg2_weibull"]))
    args = {"covariates": ["age"], **kwargs}
    with pytest.raises(error, match=pattern):
        survstat.survreg(df, time="time", event="cens", **args)


def test_bad_profiles():
    f = fit(CASES["gbsg2_weibull"])
    with pytest.raises(survstat.SurvstatError, match="`pnodes`"):
        f.predict({"horTh": "no", "age": 50, "tgrade": "II"})
    with pytest.raises(InvalidValueError, match=r"`tgrade` \(profile\) must be a level"):
        f.predict({"horTh": "no", "age": 50, "tgrade": "IV", "pnodes": 3})
    with pytest.raises(InvalidValueError, match=r"`p` must lie in \(0, 1\)"):
        f.predict({"horTh": "no", "age": 50, "tgrade": "II", "pnodes": 3}, p=1.0)
    with pytest.raises(InvalidValueError, match="`times` must be finite and non-negative"):
        f.survival({"horTh": "no", "age": 50, "tgrade": "II", "pnodes": 3}, [-1.0])


def test_compare_distributions():
    c = CASES["gbsg2_weibull"]
    df = frame(c)
    table = survstat.survreg_compare(
        df,
        time="time",
        event="cens",
        covariates=covariates(c),
        distributions=["weibull", "lognormal"],
    )
    assert table.columns == [
        "distribution",
        "n",
        "n_event",
        "loglik",
        "df",
        "aic",
        "bic",
        "converged",
    ]
    for row in table.iter_rows(named=True):
        r = CASES[f"gbsg2_{row['distribution']}"]
        assert row["loglik"] == pytest.approx(r["loglik"][1], rel=1e-10)
        assert row["aic"] == pytest.approx(r["aic"], rel=1e-10)
        assert row["bic"] == pytest.approx(r["bic"], rel=1e-10)
        assert row["df"] == r["df"]
    with pytest.raises(OptionError, match=r"listed more than once: \['weibull'\]"):
        survstat.survreg_compare(df, time="time", event="cens", distributions=["weibull"] * 2)
    with pytest.raises(OptionError, match="at least one distribution"):
        survstat.survreg_compare(df, time="time", event="cens", distributions=[])


def test_intercept_only_weibull_is_the_closed_form_exponential_rate():
    """Exponential without covariates: exp(intercept) = total time / events (the MLE)."""
    c = CASES["gbsg2_null_weibull"]
    df = frame(c)
    f = survstat.survreg(df, time="time", event="cens", distribution="exponential")
    total = float(df["time"].sum())
    events = int(df["cens"].sum())
    assert math.exp(f.table["coef"][0]) == pytest.approx(total / events, rel=1e-12)
    assert f.table["std_error"][0] == pytest.approx(1 / math.sqrt(events), rel=1e-10)
