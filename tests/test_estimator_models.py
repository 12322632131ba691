"""Edges of the Cox and Fine-Gray fits: aliased covariates, monotone likelihoods, huge scales,
no information. R references from tests/reference/make_reference_edges.R (coxph, crr)."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference_data import as_list, frame, num
from typer.testing import CliRunner

import survstat
from survstat.analyses import ANALYSES
from survstat.cli import app
from survstat.errors import OptionError, SurvstatError, SurvstatWarning

REF = Path(__file__).parent / "reference"
EDGES = json.loads((REF / "r_reference_edges.json").read_text())
COX = {c["name"]: c for c in EDGES["cox"]}
CRR = {c["name"]: c for c in EDGES["crr"]}
STRATA = {c["name"]: c for c in json.loads((REF / "r_reference_strata.json").read_text())["cases"]}


def option(value):
    return None if value in ({}, None, []) else value


def cox_fit(c):
    df = frame(c)
    if option(c.get("levels")):
        df = df.with_columns(pl.col("f").cast(pl.Enum(c["levels"])))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = survstat.cox(
            df,
            time="time",
            event="event",
            covariates=as_list(c["covariates"]),
            ties=c["ties"],
            weight=option(c["weight"]),
            cluster=option(c["cluster"]),
        )
    return fit, [str(w.message) for w in caught]


def r_infinite(c) -> set[int]:
    """The variables R names in "Loglik converged before variable 1,2 ; ..." (1-based)."""
    out: set[int] = set()
    for w in as_list(c["warnings"]):
        m = re.search(r"before variable\s+([\d,]+)", w)
        if m:
            out |= {int(v) for v in m.group(1).split(",")}
    return out


@pytest.mark.parametrize("name", list(COX))
def test_cox_edges_match_coxph(name):
    c = COX[name]
    fit, caught = cox_fit(c)
    t = fit.table
    ref_coef, ref_se = num(c["coef"]), num(c["se"])
    status = t["status"].to_list()
    # aliased exactly where R reports NA, infinite exactly where R warns
    assert [s == "aliased" for s in status] == list(np.isnan(ref_coef))
    assert {i + 1 for i, s in enumerate(status) if s == "infinite"} == r_infinite(c)
    ok = np.array([s == "ok" for s in status])
    np.testing.assert_allclose(t["coef"].to_numpy()[ok], ref_coef[ok], rtol=1e-8)
    np.testing.assert_allclose(t["std_error"].to_numpy()[ok], ref_se[ok], rtol=1e-8)
    # an infinite coefficient is where R's iterations stopped (not an estimate)
    inf = np.array([s == "infinite" for s in status])
    np.testing.assert_allclose(t["coef"].to_numpy()[inf], ref_coef[inf], rtol=1e-6)
    np.testing.assert_allclose(fit.loglik, num(c["loglik"]), rtol=1e-10)
    assert fit.iterations == c["iter"]
    assert fit.converged
    tests = dict(zip(fit.tests["test"], fit.tests["statistic"], strict=True))
    assert tests["likelihood ratio"] == pytest.approx(num(c["logtest"])[0], rel=1e-8)
    assert tests["score"] == pytest.approx(c["score"], rel=1e-8)
    assert fit.tests["df"].to_list() == [c["df"]] * 3
    if inf.any():
        # R reports a Wald test; at an infinite coefficient it means nothing
        assert tests["wald"] is None
        assert fit.tests.filter(pl.col("test") == "wald")["status"].item() == "infinite"
    elif name != "scale_1e100":
        assert tests["wald"] == pytest.approx(c["wald"], rel=1e-8)
    # every non-ok row is null from the standard error on, aliased rows entirely
    for col in ("std_error", "hazard_ratio", "conf_low", "conf_high", "z", "p_value"):
        assert t[col].is_null().to_list() == list(~ok)
    assert t["coef"].is_null().to_list() == list(np.isnan(ref_coef))
    # each kind of problem is warned about once, naming its terms
    if np.isnan(ref_coef).any():
        assert any("not defined because of singularities" in w for w in caught)
    if inf.any():
        assert any("may be infinite" in w and "`x`" in w for w in caught)
    assert fit.model["aliased"].item() == ", ".join(fit.aliased)
    assert fit.model["infinite"].item() == ", ".join(fit.infinite)


def test_cox_scale_1e100_is_the_fit_on_the_unit_scale():
    # `big` is `a` times 1e100: the same model, coefficient and standard error times 1e-100.
    # R's own Wald test drops `big` there (its variance, 3e-202, falls under the Cholesky
    # tolerance relative to `b`'s); ours is computed on the scaled covariates and is the same
    # as on the unit scale.
    c = COX["scale_1e100"]
    big, _ = cox_fit(c)
    unit = survstat.cox(frame(c), time="time", event="event", covariates=["a", "b"])
    np.testing.assert_allclose(big.table["coef"][0] * 1e100, unit.table["coef"][0], rtol=1e-12)
    np.testing.assert_allclose(
        big.table["std_error"][0] * 1e100, unit.table["std_error"][0], rtol=1e-12
    )
    for col in ("z", "p_value", "hazard_ratio"):
        np.testing.assert_allclose(big.table[col][1], unit.table[col][1], rtol=1e-12)
    np.testing.assert_allclose(big.tests["statistic"], unit.tests["statistic"], rtol=1e-10)


@pytest.mark.parametrize("scale", [1e300, 1e-300])
def test_cox_covariate_outside_double_precision_is_an_error(scale):
    df = frame(COX["duplicated"]).with_columns(huge=pl.col("a") * scale)
    with pytest.raises(SurvstatError, match=r"`huge` \(covariate\) is on a scale .* rescale it"):
        survstat.cox(df, time="time", event="event", covariates=["huge", "b"])


def test_cox_separation_by_hand():
    # arm B has no events: the log partial likelihood rises towards a limit as the log hazard
    # ratio of B goes to -inf, so the estimate is -inf, not the value where Newton stopped
    df = pl.DataFrame(
        {
            "t": [1.0, 2, 3, 4, 5, 6, 7, 8],
            "d": [1, 1, 1, 1, 0, 0, 0, 0],
            "arm": ["A", "A", "A", "A", "B", "B", "B", "B"],
        }
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = survstat.cox(df, time="t", event="d", covariates=["arm"])
    # as R: step halving at the flat limit runs out of its 20 iterations ("Ran out of
    # iterations and did not converge", coef -22.11038); the coefficient is flagged infinite
    # because the likelihood has stopped rising while the step is still a full one
    messages = " | ".join(str(w.message) for w in caught)
    assert "converged before `arm[B]`" in messages
    assert "ran out of iterations" in messages
    assert fit.converged is False
    row = fit.table.row(0, named=True)
    assert row["coef"] == pytest.approx(-22.11038, abs=1e-5)
    assert row["status"] == "infinite"
    assert row["coef"] < -10  # diverging downwards
    assert all(row[c] is None for c in ("std_error", "hazard_ratio", "conf_low", "conf_high"))
    assert row["p_value"] is None
    assert fit.infinite == ("arm[B]",)
    assert fit.model["infinite"].item() == "arm[B]"
    # the likelihood-ratio and score tests stay valid, the Wald test does not
    tests = {r["test"]: r for r in fit.tests.iter_rows(named=True)}
    assert tests["wald"]["statistic"] is None
    assert tests["likelihood ratio"]["statistic"] > 0
    assert tests["score"]["p_value"] < 0.05


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_cox_information_that_collapses_is_infinite_not_aliased(ties):
    # The only subject with x = 1 (weight 0.5; the others weigh 3) fails first, alone: the
    # partial likelihood rises monotonically in the coefficient of x, which is infinite. The
    # first Newton step from 0 overshoots to where exp(beta) swamps every risk set and the
    # information underflows to exactly 0. coxph then reports x as NA (aliased), though x has
    # information at 0 and the log-likelihood rose from -50.85 to -48.85; this used to be the
    # error "no term can be estimated". Aliasing is decided at 0; x is infinite.
    df = pl.DataFrame(
        {
            "t": [1.0, 6, 10, 8, 8, 9, 8, 8, 8, 10],
            "d": [1, 1, 1, 0, 1, 1, 1, 0, 1, 0],
            "x": [1.0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        }
    ).with_columns(w=pl.when(pl.col("x") == 1).then(0.5).otherwise(3.0))
    with pytest.warns(SurvstatWarning, match="converged before `x`"):
        fit = survstat.cox(df, time="t", event="d", covariates=["x"], weight="w", ties=ties)
    assert fit.table["status"].to_list() == ["infinite"]
    assert fit.table["coef"][0] > 20  # diverging upwards
    assert fit.infinite == ("x",)
    assert fit.aliased == ()
    tests = {r["test"]: r for r in fit.tests.iter_rows(named=True)}
    assert tests["likelihood ratio"]["statistic"] > 0
    assert tests["wald"]["statistic"] is None


def test_cox_no_events_and_nothing_estimable_are_errors():
    df = pl.DataFrame({"t": [1.0, 2, 3, 4], "d": [0, 0, 0, 0], "x": [1.0, 0, 1, 0]})
    with pytest.raises(
        SurvstatError, match="`d` records no event: all 4 rows are censored; a Cox model has"
    ):
        survstat.cox(df, time="t", event="d", covariates=["x"])
    # the only event has weight 0, and rows of weight 0 are left out of the fit
    weighted = df.with_columns(d=pl.Series([0, 1, 0, 0]), w=pl.Series([1.0, 0, 1, 1]))
    with pytest.raises(
        SurvstatError,
        match=r"`d` records no event among the rows with a positive `w`: its 1 event\(s\) all",
    ):
        survstat.cox(weighted, time="t", event="d", covariates=["x"], weight="w")
    # one event, alone in its risk set: the information is 0 for every term
    df = df.with_columns(d=pl.Series([0, 0, 0, 1]))
    with pytest.raises(SurvstatError, match=r"no term can be estimated: .*\(x\)"):
        survstat.cox(df, time="t", event="d", covariates=["x"])


def strata_fit(c):
    df = pl.read_csv(REF / "data" / c["file"])
    return survstat.cox(
        df,
        time=c["time"],
        event=c["event"],
        covariates=as_list(c["covariates"]),
        strata=c["strata"],
        ties=c["ties"],
    )


@pytest.mark.parametrize("name", list(STRATA))
def test_cox_covariates_aliased_by_the_strata_match_coxph(name):
    """A covariate constant within every stratum (region nested in site, arm with strata=arm)
    carries no information: the partial likelihood compares subjects only within a stratum.
    coxph reports NA for it; with no other covariate, no term can be estimated (it used to
    give one level an arbitrary coefficient flagged infinite, and tests with df 1)."""
    c = STRATA[name]
    ref_coef = num(c["coef"])
    if np.isnan(ref_coef).all():
        with pytest.raises(SurvstatError, match=r"no term can be estimated: .*never varies"):
            strata_fit(c)
        return
    with pytest.warns(SurvstatWarning, match="not defined because of singularities"):
        fit = strata_fit(c)
    t = fit.table
    assert t["status"].to_list() == ["aliased" if np.isnan(v) else "ok" for v in ref_coef]
    ok = ~np.isnan(ref_coef)
    assert t["coef"].is_null().to_list() == list(~ok)
    np.testing.assert_allclose(t["coef"].to_numpy()[ok], ref_coef[ok], rtol=1e-8)
    np.testing.assert_allclose(t["std_error"].to_numpy()[ok], num(c["se"])[ok], rtol=1e-8)
    np.testing.assert_allclose(fit.loglik, num(c["loglik"]), rtol=1e-10)
    assert fit.iterations == c["iter"]
    tests = dict(zip(fit.tests["test"], fit.tests["statistic"], strict=True))
    assert tests["likelihood ratio"] == pytest.approx(num(c["logtest"])[0], rel=1e-8)
    assert tests["wald"] == pytest.approx(c["wald"], rel=1e-8)
    assert tests["score"] == pytest.approx(c["score"], rel=1e-8)
    assert fit.tests["df"].to_list() == [c["df"]] * 3
    assert fit.tests["status"].to_list() == ["ok"] * 3


def test_cli_cox_aliased_by_the_strata_is_a_one_line_error(tmp_path):
    data = tmp_path / "arm_strata.parquet"
    pl.read_csv(REF / "data" / "arm_strata.csv").write_parquet(data)
    args = ["cox", str(data), "--time", "pfs_time", "--event", "pfs_event"]
    r = CliRunner().invoke(app, [*args, "--covariates", "arm", "--strata", "arm"])
    assert r.exit_code == 1
    assert "no term can be estimated" in r.stderr
    assert "Traceback" not in r.output + r.stderr


def test_cox_covariate_varying_only_before_the_first_event_is_aliased():
    # x differs only between the two subjects censored (at 0.5 and 0.6) before the first event
    # (at 1): every risk set at an event time holds x = 0.1 only, so the information about x is
    # exactly 0 and x cannot be estimated. Computed, it is rounding noise (3e-16 here); R's
    # relative tolerance lets a lone noisy column through (coxph gives x a coefficient with a
    # variance of 3e17), the floor toler.chol * events does not.
    df = pl.DataFrame(
        {
            "t": [0.5, 0.6, *np.arange(1.0, 11.0)],
            "d": [0, 0, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1],
            "x": [0.3, 0.7, *[0.1] * 10],
            "z": [1.0, 0, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1],
        }
    )
    with pytest.raises(SurvstatError, match=r"no term can be estimated: .*\(x\)"):
        survstat.cox(df, time="t", event="d", covariates=["x"])
    # beside an informative covariate, x is aliased and z is its fit alone
    with pytest.warns(SurvstatWarning, match="aliased: `x`"):
        both = survstat.cox(df, time="t", event="d", covariates=["x", "z"])
    alone = survstat.cox(df, time="t", event="d", covariates=["z"])
    assert both.table["status"].to_list() == ["aliased", "ok"]
    assert both.table["coef"][1] == pytest.approx(alone.table["coef"][0], rel=1e-12)
    assert both.tests["df"].to_list() == [1, 1, 1]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(8, 60),
    n_strata=st.integers(1, 5),
    seed=st.integers(0, 2**32 - 1),
    ties=st.sampled_from(["efron", "breslow"]),
    weighted=st.booleans(),
)
def test_cox_covariate_constant_within_strata_is_always_aliased(n, n_strata, seed, ties, weighted):
    """Invariant: a covariate that is a function of the stratum (any values, a rare level
    included) is aliased, and the other term, where estimable, is its fit without it."""
    rng = np.random.default_rng(seed)
    stratum = rng.integers(0, n_strata, n)
    level_value = rng.normal(size=n_strata) * 10.0 ** rng.integers(-3, 4)
    df = pl.DataFrame(
        {
            "t": np.round(rng.exponential(5.0, n), 1),
            "d": (rng.random(n) < 0.7).astype(int),
            "s": stratum,
            "nested": level_value[stratum],
            "x": rng.normal(size=n),
            "w": rng.uniform(0.2, 3.0, n) if weighted else np.ones(n),
        }
    )
    kw = {"time": "t", "event": "d", "strata": "s", "ties": ties, "weight": "w"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SurvstatWarning)
        try:
            alone = survstat.cox(df, covariates=["x"], **kw)
        except SurvstatError:
            return  # no event, or x without information: nothing to compare
        both = survstat.cox(df, covariates=["nested", "x"], **kw)
    assert both.table["status"][0] == "aliased"
    # (a diverging x, in such small data, is infinite or not converged by a rounding margin)
    if alone.table["status"][0] == "ok":
        assert both.table["status"][1] == "ok"
        # the two fits stop at the convergence tolerance of the log-likelihood (as R's
        # coxph, eps 1e-9), not at the same iterate: on a nearly flat likelihood (small data,
        # a coefficient of -5 with standard error 6) the standard errors differ by ~3e-9
        np.testing.assert_allclose(both.table["coef"][1], alone.table["coef"][0], rtol=1e-7)
        np.testing.assert_allclose(
            both.table["std_error"][1], alone.table["std_error"][0], rtol=1e-7
        )
    with pytest.raises(SurvstatError, match="no term can be estimated"):
        survstat.cox(df, covariates=["nested"], **kw)


def test_cox_zero_weight_rows_are_left_out():
    # SAS PHREG's rule: a row with weight 0 is not used (R refuses such weights)
    df = frame(COX["duplicated"]).with_columns(w=(pl.int_range(pl.len()) % 7 != 0).cast(float))
    weighted = survstat.cox(df, time="time", event="event", covariates=["a", "b"], weight="w")
    kept = survstat.cox(
        df.filter(pl.col("w") > 0), time="time", event="event", covariates=["a", "b"]
    )
    np.testing.assert_allclose(weighted.table["coef"], kept.table["coef"], rtol=1e-12)
    assert weighted.n == kept.n == df.filter(pl.col("w") > 0).height


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"covariates": ["a"], "cluster": "id", "robust": False}, "would be ignored"),
        ({"covariates": ["a"], "reference": {"a": 0}}, r"`reference` is for categorical"),
        ({"covariates": ["a", "a"]}, r"listed more than once: \['a'\]"),
        ({"covariates": ["g"]}, r"`g` \(covariate\) has a single level 'u'"),
        ({"covariates": ["f"], "reference": {"f": "C"}}, r"reference level 'C' of `f` has no"),
    ],
)
def test_cox_options_that_would_be_ignored_or_mean_nothing(kwargs, pattern):
    df = frame(COX["duplicated"]).with_columns(
        g=pl.lit("u"), f=pl.Series(["A", "B"] * 30).cast(pl.Enum(["A", "B", "C"]))
    )
    with pytest.raises(OptionError, match=pattern):
        survstat.cox(df, time="time", event="event", **kwargs)


def test_cox_concordance_without_comparable_pairs_is_null():
    from survstat.estimators.concordance import concordance_counts as concordance

    # the only event is the last time: no pair is comparable
    c = concordance(np.array([1.0, 2.0]), np.array([0, 1]), np.array([0.3, 0.1]))
    assert c.value is None


@pytest.mark.parametrize(
    "counts",
    [
        (np.inf, 1.0, 0.0, 0.0, 0.0),
        (1.0, np.inf, 0.0, 0.0, 0.0),
        (np.inf, np.inf, np.inf, 0.0, 0.0),
        (np.nan, 1.0, 0.0, 0.0, 0.0),
        (0.0, 0.0, 0.0, 3.0, 1.0),
    ],
)
def test_concordance_that_is_undefined_or_not_finite_is_null(counts):
    # pair counts beyond double precision (products of huge case weights) or no comparable
    # pair: the value is None, written as null, never NaN
    from survstat.estimators.concordance import Concordance

    assert Concordance(*counts).value is None


def test_cli_cox_with_weights_beyond_double_precision_is_a_one_line_error(tmp_path):
    # weights near 1e300 used to write concordance = NaN to the model table and print numpy's
    # overflow warnings; now the weights are refused before anything is fitted or written
    c = STRATA["arm_in_arm_prior"]
    df = pl.read_csv(REF / "data" / c["file"]).with_columns(
        w=pl.lit(1e300) * (pl.int_range(pl.len()) % 3 + 1)
    )
    data = tmp_path / "input.parquet"
    df.write_parquet(data)
    out = tmp_path / "hw.parquet"
    args = ["cox", str(data), "--time", "pfs_time", "--event", "pfs_event"]
    args += ["--covariates", "prior_cdk46", "--weight", "w", "--strata", "arm", "-o", str(out)]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 1
    assert r.stderr.count("\n") == 1, r.stderr
    assert re.match(r"error: `w` \(weight\) must be on a scale that double precision", r.stderr)
    assert "largest value: 3e+300" in r.stderr
    assert "RuntimeWarning" not in r.output + r.stderr
    assert list(tmp_path.glob("hw*")) == []


def crr_fit(c):
    df = frame(c)
    if c["name"] == "empty_level":
        df = df.with_columns(pl.col("f").cast(pl.Enum(["A", "B", "C", "D"])))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = survstat.fine_gray(
            df, time="time", cause="cause", covariates=as_list(c["covariates"]), failcode=1
        )
    return fit, [str(w.message) for w in caught]


@pytest.mark.parametrize("name", list(CRR))
def test_fine_gray_edges_match_crr(name):
    """crr stops on aliased columns ("computationally singular"); the other terms must equal
    its fit without them, as coxph's rule gives. For separation crr does not converge: the
    diverging term is flagged infinite, the other one matches crr's value."""
    c = CRR[name]
    fit, caught = crr_fit(c)
    t = fit.table
    fitted = as_list(c["fitted_terms"])
    status = dict(zip(t["term"], t["status"], strict=True))
    ref = dict(zip(fitted, num(c["coef"]), strict=True))
    k = len(fitted)
    ref_var = np.array(c["var"], float).reshape(k, k)
    scale = {"big": 1e-100}
    terms = [
        term
        for term in t["term"]
        if status[term] == "ok" and (term in ref or term.replace("[", "").rstrip("]") in ref)
    ]
    for term in t["term"]:
        key = term if term in ref else term.replace("[", "").rstrip("]")
        if name == "scale_1e100" and term == "big":
            key = "a"
        if key not in ref:
            assert status[term] == "aliased", term
            assert t.filter(pl.col("term") == term)["coef"].item() is None
            continue
        got = t.filter(pl.col("term") == term).row(0, named=True)
        factor = scale.get(term, 1.0) if name == "scale_1e100" else 1.0
        if status[term] == "infinite":
            assert got["hazard_ratio"] is None
            assert got["p_value"] is None
            continue
        assert got["coef"] == pytest.approx(ref[key] * factor, rel=1e-8), term
        j = fitted.index(key)
        assert got["std_error"] == pytest.approx(np.sqrt(ref_var[j, j]) * factor, rel=1e-7)
    assert terms
    if name == "separation":
        assert status["x"] == "infinite"
        assert fit.converged is False
        assert c["converged"] is False
        assert any("may be infinite" in w for w in caught)
    else:
        assert fit.converged is True
        assert fit.loglik == pytest.approx(c["loglik"], rel=1e-10)
        assert fit.loglik_null == pytest.approx(c["loglik_null"], rel=1e-12)
    if "aliased" in status.values():
        assert any("not defined because of singularities" in w for w in caught)


@pytest.mark.parametrize("declared", [None, [1, 2]])
@pytest.mark.parametrize("failcode", [None, 1])
def test_fine_gray_without_any_event_is_an_error(failcode, declared):
    # every row censored: it used to say "failcode 1 is not a cause; causes: []"
    from survstat.data import SurvivalData

    df = pl.DataFrame({"t": [1.0, 2, 3, 4], "c": [0, 0, 0, 0], "x": [1.0, 0, 1, 0]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SurvstatWarning)  # the data check warns already
        sd = SurvivalData.competing_risks(df, time="t", cause="c", causes=declared)
        with pytest.raises(
            SurvstatError,
            match=r"`c` records no event of any cause: all 4 rows are censored \(`c` = 0\); "
            "a Fine-Gray model has nothing to fit",
        ):
            survstat.fine_gray(sd, covariates=["x"], failcode=failcode)


def test_cli_finegray_without_any_event_is_a_one_line_error(tmp_path):
    data = tmp_path / "none.parquet"
    pl.DataFrame({"t": [1.0, 2, 3, 4], "c": [0, 0, 0, 0], "x": [1.0, 0, 1, 0]}).write_parquet(data)
    args = ["finegray", str(data), "--time", "t", "--cause", "c", "--failcode", "1"]
    r = CliRunner().invoke(app, [*args, "--covariates", "x"])
    assert r.exit_code == 1
    assert re.search(r"^error: `c` records no event of any cause", r.stderr, re.M), r.stderr
    assert "not a cause" not in r.stderr
    assert "Traceback" not in r.output + r.stderr


def test_fine_gray_all_failures_at_time_zero_is_an_error():
    df = pl.DataFrame(
        {"t": [0.0, 0, 0, 4, 5, 6], "c": [1, 1, 2, 0, 0, 2], "x": [1.0, 0, 1, 0, 0, 1]}
    )
    with pytest.raises(
        SurvstatError, match=r"every failure of cause 1 \(2 of them\) is at time 0: there is no"
    ):
        survstat.fine_gray(df, time="t", cause="c", covariates=["x"])


def test_fine_gray_without_information_is_an_error():
    # everyone fails of cause 1 at once: the sandwich variance is 0 (it used to give SE 0 and
    # a NaN p-value)
    df = pl.DataFrame({"t": [3.0, 3, 3, 3], "c": [1, 1, 1, 1], "x": [1.0, 0, 1, 0]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SurvstatWarning)  # no censoring value in `c`
        with pytest.raises(SurvstatError, match=r"no information about `x`: its sandwich"):
            survstat.fine_gray(df, time="t", cause="c", covariates=["x"])
    # the only failure is alone in its risk set: the information is 0 for every term
    df = pl.DataFrame({"t": [1.0, 2, 3, 4], "c": [0, 0, 0, 1], "x": [1.0, 0, 1, 0]})
    with pytest.raises(SurvstatError, match="no information about the covariates"):
        survstat.fine_gray(df, time="t", cause="c", covariates=["x"])


def test_fine_gray_huge_scale_is_an_error():
    df = frame(CRR["duplicated"]).with_columns(huge=pl.col("a") * 1e300)
    with pytest.raises(SurvstatError, match=r"`huge` \(covariate\) is on a scale"):
        survstat.fine_gray(df, time="time", cause="cause", covariates=["huge"], failcode=1)


def test_fine_gray_predict_with_aliased_and_infinite_terms():
    fit, _ = crr_fit(CRR["duplicated"])
    reduced = survstat.fine_gray(
        frame(CRR["duplicated"]), time="time", cause="cause", covariates=["a", "b"]
    )
    # an aliased term's coefficient is taken as 0, as R's predict does with NA
    got = fit.predict({"a": 0.5, "dup": 0.5, "b": -1.0})
    want = reduced.predict({"a": 0.5, "b": -1.0})
    np.testing.assert_allclose(got["cif"], want["cif"], rtol=1e-10)
    assert got["cif"].is_between(0, 1).all()
    sep, _ = crr_fit(CRR["separation"])
    with pytest.raises(SurvstatError, match=r"cannot predict .*infinite coefficient\(s\) \['x'\]"):
        sep.predict([1.0, 0.0])


def test_model_tables_in_analyses_and_cli(tmp_path):
    c = CRR["separation"]
    data = tmp_path / "cr.parquet"
    frame(c).write_parquet(data)
    with pytest.warns(SurvstatWarning, match="may be infinite|did not converge"):
        out = ANALYSES["finegray"].run(
            str(data), time="time", cause="cause", failcode=1, covariates=["x", "a"]
        )
    model = {e.name: e.table for e in out.extras}["model"]
    assert model.columns == [
        "n",
        "n_event",
        "n_competing",
        "loglik_null",
        "loglik",
        "iterations",
        "converged",
        "aliased",
        "infinite",
    ]
    assert model.row(0, named=True)["infinite"] == "x"
    assert model.row(0, named=True)["converged"] is False
    target = tmp_path / "fg.parquet"
    args = ["finegray", str(data), "--time", "time", "--cause", "cause", "--failcode", "1"]
    r = CliRunner().invoke(app, [*args, "--covariates", "x,a", "-o", str(target)])
    assert r.exit_code == 0, r.output
    # the CLI prints each warning as one line on stderr
    assert re.search(r"^warning: .*(may be infinite|did not converge)", r.stderr, re.M), r.stderr
    assert "converged" in r.output
    written = pl.read_parquet(tmp_path / "fg.model.parquet")
    assert written.row(0, named=True)["infinite"] == "x"
    assert pl.read_parquet(target)["status"].to_list() == ["infinite", "ok"]


def test_model_tables_in_jobs_and_report(tmp_path):
    """A job writes each regression's model table as <step>.model.parquet and the report
    shows it, so convergence and aliased or infinite terms travel with the estimates."""
    from survstat.batch import load_job, run_job
    from survstat.batch.report import write_report

    frame(COX["separation"]).write_parquet(tmp_path / "sep.parquet")
    frame(CRR["duplicated"]).write_parquet(tmp_path / "cr.parquet")
    (tmp_path / "job.toml").write_text(
        '[job]\ntitle = "edges"\noutput = "out"\n\n'
        '[inputs]\nsep = "sep.parquet"\ncr = "cr.parquet"\n\n'
        '[[step]]\nname = "cox_sep"\nanalysis = "cox"\ninput = "sep"\ntime = "time"\n'
        'event = "event"\ncovariates = ["x", "a"]\n\n'
        '[[step]]\nname = "fg_dup"\nanalysis = "finegray"\ninput = "cr"\ntime = "time"\n'
        'cause = "cause"\nfailcode = 1\ncovariates = ["a", "dup", "b"]\n'
    )
    job = load_job(tmp_path / "job.toml")
    with pytest.warns(SurvstatWarning):
        manifest = run_job(job)
    assert manifest["status"].to_list() == ["ok", "ok"]
    out = tmp_path / "out"
    cox_model = pl.read_parquet(out / "cox_sep.model.parquet").row(0, named=True)
    assert (cox_model["converged"], cox_model["infinite"]) == (True, "x")
    fg_model = pl.read_parquet(out / "fg_dup.model.parquet").row(0, named=True)
    assert (fg_model["converged"], fg_model["aliased"]) == (True, "dup")
    assert pl.read_parquet(out / "fg_dup.parquet")["status"].to_list() == ["ok", "aliased", "ok"]
    write_report(job, manifest)
    html = (out / "report.html").read_text()
    assert html.count("<th>converged</th>") == 2
    assert "<th>infinite</th>" in html


def test_km_plot_annotation_says_an_infinite_hazard_ratio_is_not_estimable():
    from survstat.analyses.plots import _logrank_annotation
    from survstat.data import SurvivalData

    # arm b has no events: the log-rank p is defined, the hazard ratio is infinite
    df = pl.DataFrame(
        {"t": [1.0, 2, 3, 4, 5, 6], "d": [1, 1, 1, 0, 0, 0], "g": ["a"] * 3 + ["b"] * 3}
    )
    sd = SurvivalData.right_censored(df, time="t", event="d", by="g")
    with pytest.warns(SurvstatWarning, match="may be infinite|did not converge"):
        text = _logrank_annotation(sd, ["a", "b"], 0.95)
    assert text.startswith("HR (Cox, unadjusted) not estimable; log-rank p = ")


def test_cox_not_converged_is_flagged(monkeypatch):
    # one Newton step from 0 cannot reach coxph's 1e-9 criterion on gbsg2: the estimates are
    # the last iteration's, flagged in every row and in the model table, with a warning
    import survstat.estimators.cox as cox_module

    monkeypatch.setattr(cox_module, "MAX_ITER", 1)
    gbsg = survstat.datasets.load("gbsg2")
    with pytest.warns(SurvstatWarning, match="ran out of iterations and did not converge"):
        fit = survstat.cox(gbsg, time="time", event="cens", covariates=["horTh", "age"])
    assert fit.converged is False
    assert fit.table["status"].to_list() == ["not converged", "not converged"]
    assert fit.table["coef"].is_not_null().all()
    assert fit.table["p_value"].is_null().all()
    assert fit.model["converged"].item() is False
    tests = {r["test"]: r for r in fit.tests.iter_rows(named=True)}
    assert tests["likelihood ratio"]["statistic"] is None
    assert tests["wald"]["status"] == "not converged"
    assert tests["score"]["statistic"] > 0  # at 0: always defined


def test_fine_gray_not_converged_is_flagged(monkeypatch):
    import survstat.estimators.fine_gray as fg_module

    monkeypatch.setattr(fg_module, "MAX_ITER", 1)
    c = CRR["duplicated"]
    with pytest.warns(SurvstatWarning, match="did not converge"):
        fit = survstat.fine_gray(
            frame(c), time="time", cause="cause", covariates=["a", "b"], failcode=1
        )
    assert fit.converged is False
    assert fit.table["status"].to_list() == ["not converged", "not converged"]
    assert fit.model["converged"].item() is False
    with pytest.raises(SurvstatError, match="no convergence"):
        fit.predict([0.0, 0.0])
