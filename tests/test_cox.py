"""Cox models against R survival::coxph (tests/reference/make_reference_cox.R), to 1e-8: the
fit follows coxph.fit's iterations and stopping rule."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from reference_data import as_list, frame, num
from typer.testing import CliRunner

import survstat
from survstat.cli import app
from survstat.errors import ColumnTypeError, MissingValueError, OptionError, SurvstatError

REFERENCE = json.loads((Path(__file__).parent / "reference" / "r_reference_cox.json").read_text())
CASES = {c["name"]: c for c in REFERENCE["cases"]}


def option(value):
    """R's NULL arrives as {} in the JSON."""
    return None if value in ({}, None, []) else value


def fit(c):
    return survstat.cox(
        frame(c),
        time=c["time"],
        event=c["event"],
        covariates=as_list(c["covariates"]),
        strata=option(c.get("strata")),
        weight=option(c.get("weight")),
        cluster=option(c.get("cluster")),
        robust=bool(c["robust"]),  # as the R script passes it
        ties=c["ties"],
    )


@pytest.mark.parametrize("name", list(CASES))
def test_coefficients_and_standard_errors(name):
    c = CASES[name]
    f = fit(c)
    assert f.table.columns == [
        "term",
        "coef",
        "std_error",
        "hazard_ratio",
        "conf_low",
        "conf_high",
        "z",
        "p_value",
        "status",
    ]
    np.testing.assert_allclose(f.table["coef"].to_numpy(), num(c["coef"]), rtol=1e-8)
    np.testing.assert_allclose(f.table["std_error"].to_numpy(), num(c["se"]), rtol=1e-8)
    k = len(num(c["coef"]))
    np.testing.assert_allclose(
        f.covariance, np.array(c["var"], float).reshape(k, k), rtol=1e-8, atol=1e-14
    )
    if option(c.get("naive_var")) is not None:
        naive = np.array(c["naive_var"], float).reshape(k, k)
        np.testing.assert_allclose(f.naive_covariance, naive, rtol=1e-8, atol=1e-14)
    assert f.converged


@pytest.mark.parametrize("name", list(CASES))
def test_likelihood_and_tests(name):
    c = CASES[name]
    f = fit(c)
    np.testing.assert_allclose(f.loglik, num(c["loglik"]), rtol=1e-8)
    tests = dict(zip(f.tests["test"], f.tests["statistic"], strict=True))
    assert tests["likelihood ratio"] == pytest.approx(num(c["logtest"])[0], rel=1e-8)
    assert tests["wald"] == pytest.approx(num(c["wald"])[0], rel=1e-8)
    assert tests["score"] == pytest.approx(num(c["score"])[0], rel=1e-8)
    assert f.n == c["n"]
    assert f.n_event == pytest.approx(c["nevent"])


def test_hazard_ratio_interval_and_p_value():
    f = fit(CASES["gbsg2_efron"])
    t = f.table
    z = 1.959963984540054
    np.testing.assert_allclose(t["hazard_ratio"], np.exp(t["coef"]), rtol=1e-14)
    np.testing.assert_allclose(t["conf_low"], np.exp(t["coef"] - z * t["std_error"]), rtol=1e-12)
    from scipy import stats

    np.testing.assert_allclose(
        t["p_value"], 2 * stats.norm.sf(np.abs(t["coef"] / t["std_error"])), rtol=1e-12
    )


def test_term_names_and_reference_level():
    df = frame(CASES["gbsg2_efron"])
    f = survstat.cox(
        df, time="time", event="cens", covariates=["tgrade", "horTh"], reference={"tgrade": "II"}
    )
    assert f.table["term"].to_list() == ["tgrade[I]", "tgrade[III]", "horTh[yes]"]
    base = survstat.cox(df, time="time", event="cens", covariates=["tgrade", "horTh"])
    # re-parametrised, the same model: equal likelihood
    assert f.loglik[1] == pytest.approx(base.loglik[1], rel=1e-12)


def test_cause_specific_hazard_is_cox_with_other_causes_censored():
    # pbc: death with transplant censored, from the three-state coding and from 0/1 events
    data = frame(CASES["pbc_strata"])
    coded = data.with_columns(status=pl.when(pl.col("event") == 1).then(2).otherwise(0))
    from_cause = survstat.cox(
        coded.with_columns(event=(pl.col("status") == 2).cast(pl.Int8)),
        time="time",
        event="event",
        covariates=["trt", "age", "edema", "logbili"],
        strata="stage",
    )
    np.testing.assert_allclose(
        from_cause.table["coef"].to_numpy(), num(CASES["pbc_strata"]["coef"]), rtol=1e-8
    )


def test_agrees_with_lifelines():
    from lifelines import CoxPHFitter

    df = frame(CASES["lung_breslow"])
    ours = survstat.cox(
        df, time="time", event="event", covariates=["age", "sex", "ph.ecog"], ties="breslow"
    )
    cph = CoxPHFitter().fit(df.to_pandas(), duration_col="time", event_col="event")
    # lifelines handles ties with Efron's method
    efron = survstat.cox(df, time="time", event="event", covariates=["age", "sex", "ph.ecog"])
    np.testing.assert_allclose(efron.table["coef"].to_numpy(), cph.params_.to_numpy(), rtol=1e-5)
    assert ours.ties == "breslow"


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        (
            {"covariates": ["nope"]},
            SurvstatError,
            r"column `nope` \(given as covariate\) not found",
        ),
        (
            {"covariates": ["age"], "ties": "kalbfleisch"},
            OptionError,
            "`ties` must be one of 'efron', 'breslow', 'discrete', 'exact'",
        ),
        (
            {"covariates": ["age"], "reference": {"horTh": "no"}},
            OptionError,
            "`reference` names columns that are not covariates",
        ),
        (
            {"covariates": ["horTh"], "reference": {"horTh": "maybe"}},
            OptionError,
            "reference level 'maybe' not found in `horTh`",
        ),
        ({"covariates": []}, OptionError, "give at least one covariate"),
    ],
)
def test_bad_options(kwargs, error, pattern):
    df = frame(CASES["gbsg2_efron"])
    with pytest.raises(error, match=pattern):
        survstat.cox(df, time="time", event="cens", **kwargs)


def test_bad_covariate_values():
    df = frame(CASES["gbsg2_efron"])
    with pytest.raises(
        MissingValueError,
        match=r"`age` must not be missing; found 1 missing value of 686 rows \(first at row 3\)",
    ):
        survstat.cox(
            df.with_columns(
                age=pl.when(pl.int_range(pl.len()) == 3).then(None).otherwise(pl.col("age"))
            ),
            time="time",
            event="cens",
            covariates=["age"],
        )
    with pytest.raises(
        ColumnTypeError, match=r"`d` \(covariate\) must be numeric, boolean or categorical"
    ):
        survstat.cox(
            df.with_columns(d=pl.lit([1]).cast(pl.List(pl.Int64))),
            time="time",
            event="cens",
            covariates=["d"],
        )
    with pytest.raises(SurvstatError, match=r"no term can be estimated: .*\(one\)"):
        survstat.cox(
            df.with_columns(one=pl.lit(1.0)), time="time", event="cens", covariates=["one"]
        )


def test_cli_cox(tmp_path):
    data = tmp_path / "g.parquet"
    frame(CASES["gbsg2_strata_cluster"]).write_parquet(data)
    out = tmp_path / "cox.parquet"
    runner = CliRunner()
    r = runner.invoke(
        app,
        [
            "cox",
            str(data),
            "--time",
            "time",
            "--event",
            "cens",
            "--covariates",
            "horTh,age",
            "--strata",
            "menostat",
            "--cluster",
            "tgrade",
            "-o",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    df = pl.read_parquet(out)
    assert df.columns == [
        "term",
        "coef",
        "std_error",
        "hazard_ratio",
        "conf_low",
        "conf_high",
        "z",
        "p_value",
        "status",
    ]
    np.testing.assert_allclose(
        df["coef"].to_numpy(), num(CASES["gbsg2_strata_cluster"]["coef"]), rtol=1e-8
    )
    np.testing.assert_allclose(
        df["std_error"].to_numpy(), num(CASES["gbsg2_strata_cluster"]["se"]), rtol=1e-8
    )
    assert "Example:" in runner.invoke(app, ["cox", "--help"]).output
    bad = runner.invoke(
        app, ["cox", str(data), "--time", "time", "--event", "cens", "--covariates", "agee"]
    )
    assert bad.exit_code == 1
    assert "did you mean `age`" in bad.output


@pytest.mark.parametrize("name", list(CASES))
def test_concordance_matches_coxph(name):
    c = CASES[name]
    got = fit(c).concordance
    ref = num(c["concordance"])
    np.testing.assert_allclose(
        [got.concordant, got.discordant, got.tied_x, got.tied_y, got.tied_xy, got.value],
        ref[:6],
        rtol=1e-10,
    )
    # R's std: the infinitesimal-jackknife standard error, summed within clusters
    assert got.std_error == pytest.approx(ref[6], rel=1e-9)
    model = fit(c).model
    assert model["concordance_std_error"].item() == pytest.approx(ref[6], rel=1e-9)


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_concordance_equals_brute_force(seed):
    from survstat.estimators.concordance import concordance_counts as concordance

    rng = np.random.default_rng(seed)
    t = rng.integers(1, 30, 400).astype(float)
    d = rng.integers(0, 2, 400)
    s = rng.integers(0, 5, 400).astype(float)
    w = rng.random(400)
    a = concordance(t, d, s, w)
    # brute force over all pairs
    i, j = np.meshgrid(np.arange(400), np.arange(400), indexing="ij")
    comp = (d[i] == 1) & ((t[j] > t[i]) | ((t[j] == t[i]) & (d[j] == 0)))
    pw = w[i] * w[j]
    assert a.concordant == pytest.approx(np.sum(pw * (comp & (s[i] > s[j]))), rel=1e-12)
    assert a.discordant == pytest.approx(np.sum(pw * (comp & (s[i] < s[j]))), rel=1e-12)
    assert a.tied_x == pytest.approx(np.sum(pw * (comp & (s[i] == s[j]))), rel=1e-12)
    both = (d[i] == 1) & (d[j] == 1) & (t[i] == t[j]) & (i < j)
    assert a.tied_y == pytest.approx(np.sum(pw * (both & (s[i] != s[j]))), rel=1e-12)
    assert a.tied_xy == pytest.approx(np.sum(pw * (both & (s[i] == s[j]))), rel=1e-12)


def test_fractional_weights_give_the_robust_variance_by_default_as_r():
    # R: coxph(Surv(time, cens) ~ horTh + age, data = gbsg2, weights = w) with w = 0.5 and
    # w = 1 + (row %% 3) / 4: robust by default (weights not all whole numbers)
    g = survstat.datasets.load("gbsg2").with_row_index("row", offset=1)
    g = g.with_columns(half=pl.lit(0.5), w2=1 + (pl.col("row") % 3) / 4)
    for weight, expected in (
        ("half", [0.127010719053810672, 0.006376335054650367]),
        ("w2", [0.12800926115832570, 0.00643302394386551]),
    ):
        f = survstat.cox(g, time="time", event="cens", covariates=["horTh", "age"], weight=weight)
        assert f.robust
        assert f.table["std_error"].to_list() == pytest.approx(expected, rel=1e-8)
    whole = survstat.cox(
        g.with_columns(two=pl.lit(2.0)),
        time="time",
        event="cens",
        covariates=["age"],
        weight="two",
    )
    assert not whole.robust


@pytest.mark.parametrize("strata", [False, True])
def test_the_compiled_layout_sort_is_polars_stable_sort(strata, monkeypatch):
    """From RADIX_FROM rows the layout sorts by a compiled radix sort: the same stable order
    (stratum, decreasing time, events first, ties in input order) as polars' sort."""
    from survstat.estimators import _partial_likelihood as module

    rng = np.random.default_rng(5)
    n = 5_000
    s = rng.integers(0, 4, n) if strata else np.zeros(n, dtype=np.int64)
    time = rng.integers(0, 40, n) * 0.5
    time[:7] = -0.0  # as 0.0
    event = (rng.random(n) < 0.5).astype(np.int8)
    want = module.sort_order(s, time, event, strata)
    monkeypatch.setattr(module, "RADIX_FROM", 0)
    got = module.sort_order(s, time, event, strata)
    assert np.array_equal(got, want)
