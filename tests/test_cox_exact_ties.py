"""Cox models with exact handling of tied times: ``ties="discrete"`` against R
``coxph(ties="exact")`` (tests/reference/make_reference_cox_exact.R) to 1e-8, and both
``"discrete"`` and ``"exact"`` (SAS TIES=EXACT, not in R) against brute-force oracles: the sum
over subsets of the risk set, and the sum of the ordinary partial likelihood over every order
of the tied deaths."""

from __future__ import annotations

import itertools
import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from reference_data import as_list, frame, num

import survstat
from survstat.errors import OptionError
from survstat.estimators import _exact_ties as exact_ties
from survstat.estimators._exact_ties import _marginal_group, exact_terms
from survstat.estimators._partial_likelihood import layout

REFERENCE = json.loads(
    (Path(__file__).parent / "reference" / "r_reference_cox_exact.json").read_text()
)
CASES = {c["name"]: c for c in REFERENCE["cases"]}
AFTER = [name for name, c in CASES.items() if "after" in c]


def _option(value):
    return None if value in ({}, None, []) else value


def _fit(c, ties="discrete"):
    return survstat.cox(
        frame(c),
        time=c["time"],
        event=c["event"],
        covariates=as_list(c["covariates"]),
        strata=_option(c.get("strata")),
        ties=ties,
    )


@pytest.mark.parametrize("name", list(CASES))
def test_discrete_matches_r_coxph_exact(name):
    c = CASES[name]
    f = _fit(c)
    k = len(num(c["coef"]))
    np.testing.assert_allclose(f.table["coef"].to_numpy(), num(c["coef"]), rtol=1e-8)
    np.testing.assert_allclose(f.table["std_error"].to_numpy(), num(c["se"]), rtol=1e-8)
    np.testing.assert_allclose(
        f.covariance, np.array(c["var"], float).reshape(k, k), rtol=1e-8, atol=1e-14
    )
    np.testing.assert_allclose(f.loglik, num(c["loglik"]), rtol=1e-8)
    tests = dict(zip(f.tests["test"], f.tests["statistic"], strict=True))
    assert tests["likelihood ratio"] == pytest.approx(num(c["logtest"])[0], rel=1e-8)
    assert tests["wald"] == pytest.approx(num(c["wald"])[0], rel=1e-8)
    assert tests["score"] == pytest.approx(num(c["score"])[0], rel=1e-8)
    assert f.iterations == c["iter"]
    assert f.converged
    assert (f.n, f.n_event) == (c["n"], c["nevent"])
    assert f.ties == "discrete"


@pytest.mark.parametrize("name", AFTER)
def test_what_builds_on_a_discrete_fit_matches_r(name):
    """R uses Breslow's increments after coxph(ties="exact"): survfit (ctype 1), basehaz,
    the martingale residuals (coxmart2) and cox.zph."""
    c = CASES[name]
    after = c["after"]
    f = _fit(c)
    assert f.basis is not None
    np.testing.assert_allclose(f.basis.means, num(after["means"]), rtol=1e-12)
    for table, want in (
        (f.survival().table, after["default_curve"]),
        (f.survival(after["profile"][0]).table, after["profile_curve"]),
    ):
        np.testing.assert_allclose(table["time"].to_numpy(), num(want["time"]), rtol=1e-15)
        for ours, theirs in (
            ("survival", "surv"),
            ("cumhaz", "cumhaz"),
            ("cumhaz_std_error", "std_err"),
        ):
            np.testing.assert_allclose(table[ours].to_numpy(), num(want[theirs]), rtol=1e-9)
    hazard = f.baseline_hazard(centered=False)
    np.testing.assert_allclose(hazard["cumhaz"].to_numpy(), num(after["basehaz"]["hazard"]), 1e-9)
    for kind in ("martingale", "deviance"):
        got = f.residuals(kind)["residual"].to_numpy()
        np.testing.assert_allclose(got, num(after[kind]), rtol=1e-8, atol=1e-11)
    zph = f.zph().table
    assert zph["term"].to_list()[:-1] == as_list(c["covariates"])
    np.testing.assert_allclose(zph["statistic"].to_numpy(), num(after["zph"]["statistic"]), 1e-8)
    np.testing.assert_allclose(zph["p_value"].to_numpy(), num(after["zph"]["p_value"]), 1e-7)


@pytest.mark.parametrize(("small", "block"), [(0, 1), (0, 5), (0, 1024), (1000, 1024)])
def test_discrete_in_blocks_or_side_by_side_matches_r(monkeypatch, small, block):
    """The pass down the rows gives the same fit in blocks of any size, and row by row with
    the strata side by side (every stratum "small")."""
    monkeypatch.setattr(exact_ties, "SMALL", small)
    monkeypatch.setattr(exact_ties, "BLOCK", block)
    for name in ("veteran_months", "veteran_months_strata", "ovarian_months"):
        c = CASES[name]
        f = _fit(c)
        np.testing.assert_allclose(f.table["coef"].to_numpy(), num(c["coef"]), rtol=1e-8)
        np.testing.assert_allclose(f.loglik, num(c["loglik"]), rtol=1e-8)


def test_discrete_with_hundreds_of_tied_deaths_per_time(monkeypatch):
    """R's coxph(ties="exact") overflows here (e_d at 0 is C(3000, 534) > 1e308: it returns NA
    and a log-likelihood of -Inf); carried with a scale per k, the fit converges, and the
    blocks that overflow are halved without changing it."""
    rng = np.random.default_rng(11)
    n = 3000
    x = rng.normal(size=n)
    data = pl.DataFrame(
        {
            "time": np.ceil(rng.exponential(1 / np.exp(0.5 * x)) * 4).clip(1, 12),
            "event": (rng.random(n) < 0.8).astype(int),
            "x": x,
        }
    )
    assert data.filter(pl.col("event") == 1).group_by("time").len()["len"].max() == 534
    block, halved = exact_ties._block, []

    def counted(*args, **kwargs):
        out = block(*args, **kwargs)
        halved.append(out is None)
        return out

    monkeypatch.setattr(exact_ties, "_block", counted)
    fit = survstat.cox(data, time="time", event="event", covariates=["x"], ties="discrete")
    assert any(halved)
    assert fit.converged
    assert np.isfinite(fit.loglik).all()
    assert fit.table["coef"][0] == pytest.approx(0.6010172155017, rel=1e-10)
    monkeypatch.setattr(exact_ties, "BLOCK", 200)
    small = survstat.cox(data, time="time", event="event", covariates=["x"], ties="discrete")
    assert small.table["coef"][0] == pytest.approx(fit.table["coef"][0], rel=1e-12)
    assert small.loglik == pytest.approx(fit.loglik, rel=1e-12)


# --- brute-force oracles ---------------------------------------------------------------------


def _random_data(seed: int, n: int = 14, strata: bool = True, weights: bool = False):
    rng = np.random.default_rng(seed)
    data = pl.DataFrame(
        {
            "time": rng.integers(1, 5, n).astype(float),
            "event": (rng.random(n) < 0.7).astype(int),
            "x1": rng.normal(size=n),
            "x2": rng.integers(0, 2, n).astype(float),
            "s": rng.integers(0, 2 if strata else 1, n),
            "w": rng.integers(1, 3 if weights else 2, n).astype(float),
        }
    )
    return data


def _risk_groups(data: pl.DataFrame):
    """Per (stratum, time with deaths): rows at risk and the rows that die, repeated by the
    integer weights."""
    rows = data.with_row_index("row").to_dicts()
    expanded = [r for r in rows for _ in range(int(r["w"]))]
    groups = []
    for key in sorted({(r["s"], r["time"]) for r in expanded if r["event"]}):
        s, t = key
        risk = [i for i, r in enumerate(expanded) if r["s"] == s and r["time"] >= t]
        dead = [i for i in risk if expanded[i]["time"] == t and expanded[i]["event"]]
        groups.append((risk, dead))
    x = np.array([[r["x1"], r["x2"]] for r in expanded])
    return x, groups


def _brute_discrete(beta, x, groups):
    eta = x @ beta
    total = 0.0
    for risk, dead in groups:
        subsets = itertools.combinations(risk, len(dead))
        total += eta[dead].sum() - math.log(sum(math.exp(eta[list(s)].sum()) for s in subsets))
    return total


def _brute_marginal(beta, x, groups):
    """Sum over every order of the tied deaths of the product of partial likelihood terms
    (Kalbfleisch & Prentice's marginal likelihood)."""
    r = np.exp(x @ beta)
    total = 0.0
    for risk, dead in groups:
        alive = float(sum(r[i] for i in risk if i not in dead))
        prob = 0.0
        for order in itertools.permutations(dead):
            left, p = alive + sum(r[j] for j in dead), 1.0
            for j in order:
                p *= r[j] / left
                left -= r[j]
            prob += p
        total += math.log(prob)
    return total


def _terms_on_input_scale(data: pl.DataFrame, beta: np.ndarray, ties):
    """exact_terms at beta given on the covariates' own scale, mapped back to that scale."""
    sd = survstat.SurvivalData.right_censored(
        data, time="time", event="event", strata="s", weight="w"
    )
    x = data.select("x1", "x2").to_numpy()
    lay, _, scaling = layout(data, sd, x)
    c = scaling.factor
    point = exact_terms(beta / c, lay, ties)
    return point.loglik, point.score / c, point.information / np.outer(c, c)


@pytest.mark.parametrize("ties", ["discrete", "exact"])
@pytest.mark.parametrize("seed", [1, 2, 5, 6])
def test_likelihood_score_and_information_equal_brute_force(ties, seed):
    data = _random_data(seed, weights=seed % 2 == 0)
    x, groups = _risk_groups(data)
    assert max(len(d) for _, d in groups) >= 3  # the cases do test ties
    brute = _brute_discrete if ties == "discrete" else _brute_marginal
    beta = np.array([0.4, -0.7])
    loglik, score, info = _terms_on_input_scale(data, beta, ties)
    # centring within strata shifts eta by one amount per stratum: no likelihood changes
    assert loglik == pytest.approx(brute(beta, x, groups), rel=1e-12)
    h = 1e-5
    grad = np.array(
        [
            (brute(beta + h * e, x, groups) - brute(beta - h * e, x, groups)) / (2 * h)
            for e in np.eye(2)
        ]
    )
    np.testing.assert_allclose(score, grad, rtol=1e-6, atol=1e-8)
    h = 1e-4
    hess = np.array(
        [
            [
                (
                    brute(beta + h * a + h * b, x, groups)
                    - brute(beta + h * a - h * b, x, groups)
                    - brute(beta - h * a + h * b, x, groups)
                    + brute(beta - h * a - h * b, x, groups)
                )
                / (4 * h * h)
                for b in np.eye(2)
            ]
            for a in np.eye(2)
        ]
    )
    np.testing.assert_allclose(info, -hess, rtol=1e-5, atol=1e-7)


def _log_marginal(r_dead: np.ndarray, r_alive: np.ndarray) -> float:
    """The module's log marginal probability of one tied time (no covariate)."""
    sums = [np.array(r_alive.sum()), np.zeros(1), np.zeros((1, 1))]
    d = len(r_dead)
    return _marginal_group(sums, np.zeros((d, 1)), r_dead, np.ones(d))[0]


def _exact_marginal(a: list[float]) -> Fraction:
    """The marginal probability as the alternating sum over subsets, in exact arithmetic."""
    one = Fraction(1)
    total = Fraction(0)
    for k in range(len(a) + 1):
        for subset in itertools.combinations(a, k):
            total += (-1) ** k / (one + sum((Fraction(v) for v in subset), Fraction(0)))
    return total


def _log_fraction(f: Fraction) -> float:
    """log f to double precision, also where f is near 1 or below the smallest double."""
    if abs(f - 1) < Fraction(1, 2):
        return math.log1p(float(f - 1))
    k = f.numerator.bit_length() - f.denominator.bit_length()
    return math.log(float(f / Fraction(2) ** k)) + k * math.log(2)


@pytest.mark.parametrize("scale", [1e-6, 1e-3, 0.1, 1.0, 10.0, 1e4, 1e8])
@pytest.mark.parametrize("d", [2, 3, 6, 9])
def test_marginal_integral_is_accurate_to_1e_10(scale, d):
    rng = np.random.default_rng(d)
    r = np.r_[np.exp(2 * rng.normal(size=d)) * scale, np.exp(rng.normal(size=3))]
    dead = np.r_[np.ones(d, bool), np.zeros(3, bool)]
    log_l = _log_marginal(r[dead], r[~dead])
    alive = Fraction(float(r[~dead].sum()))
    want = _log_fraction(_exact_marginal([Fraction(float(v)) / alive for v in r[dead]]))
    # the integral to 1e-10 relatively (in fact about 1e-13)
    assert log_l == pytest.approx(want, rel=1e-12, abs=1e-10)


@pytest.mark.parametrize("scale", [1e-6, 1e-2, 1.0, 1e3])
@pytest.mark.parametrize("d", [20, 60, 150])
def test_marginal_integral_with_many_equal_deaths(scale, d):
    """With equal risks the alternating sum has d + 1 terms: sum_k C(d, k) (-1)^k / (1 + k a)."""
    r = np.r_[np.full(d, scale), [1.0]]
    dead = np.r_[np.ones(d, bool), [False]]
    log_l = _log_marginal(r[dead], r[~dead])
    a = Fraction(scale)
    want = sum(
        (Fraction(math.comb(d, k) * (-1) ** k) / (1 + k * a) for k in range(d + 1)), Fraction(0)
    )
    assert log_l == pytest.approx(_log_fraction(want), rel=1e-12, abs=1e-10)


# --- invariants ------------------------------------------------------------------------------


def test_without_ties_all_four_agree():
    g = survstat.datasets.load("gbsg2").with_row_index("row")
    g = g.with_columns(time=pl.col("time") + pl.col("row") / 1000)  # distinct times
    assert g["time"].n_unique() == g.height
    fits = {
        ties: survstat.cox(g, time="time", event="cens", covariates=["horTh", "age"], ties=ties)
        for ties in ("efron", "breslow", "discrete", "exact")
    }
    for ties in ("breslow", "discrete", "exact"):
        np.testing.assert_allclose(
            fits[ties].table["coef"].to_numpy(), fits["efron"].table["coef"].to_numpy(), 1e-10
        )
        np.testing.assert_allclose(fits[ties].covariance, fits["efron"].covariance, 1e-10)
        assert fits[ties].loglik == pytest.approx(fits["efron"].loglik, rel=1e-12)


def test_exact_lies_between_breslow_and_discrete_on_veteran_months():
    """With ties the four differ: Efron approximates the marginal ("exact") likelihood, and
    the discrete model's log hazard ratio is larger (a log odds ratio per interval)."""
    c = CASES["veteran_months"]
    coef = {t: _fit(c, t).table["coef"][0] for t in ("breslow", "efron", "exact", "discrete")}
    assert abs(coef["breslow"]) < abs(coef["efron"]) < abs(coef["exact"]) < abs(coef["discrete"])
    exact = _fit(c, "exact")
    # at 0 both give 1 / C(n, d) per time: the probability of the set of deaths
    assert exact.loglik[0] == pytest.approx(num(c["loglik"])[0], rel=1e-12)
    assert exact.converged
    assert exact.iterations == 4


@pytest.mark.parametrize("ties", ["discrete", "exact"])
def test_integer_weights_equal_duplicated_rows(ties):
    data = _random_data(7, n=30, weights=True)
    weighted = survstat.cox(
        data,
        time="time",
        event="event",
        covariates=["x1", "x2"],
        strata="s",
        weight="w",
        ties=ties,
    )
    copies = data.select(pl.all().repeat_by(pl.col("w").cast(pl.Int64)).explode())
    plain = survstat.cox(
        copies, time="time", event="event", covariates=["x1", "x2"], strata="s", ties=ties
    )
    np.testing.assert_allclose(
        weighted.table["coef"].to_numpy(), plain.table["coef"].to_numpy(), rtol=1e-10
    )
    np.testing.assert_allclose(weighted.covariance, plain.covariance, rtol=1e-9)
    assert weighted.loglik == pytest.approx(plain.loglik, rel=1e-12)
    assert not weighted.robust


# --- what is refused -------------------------------------------------------------------------


@pytest.mark.parametrize("ties", ["discrete", "exact"])
def test_refusals_name_the_option(ties):
    data = _random_data(3, n=20)
    base = {"time": "time", "event": "event", "covariates": ["x1"], "ties": ties}
    fractional = data.with_columns(w=pl.Series([1.0] * 17 + [0.5, 2.5, 1.0]))
    with pytest.raises(
        OptionError,
        match=rf'^`w` \(weight\) must be whole numbers with ties="{ties}", where a case weight '
        r"counts rows; found 2 non-integer values of 20 rows \(first: 0.5 at row 17\)",
    ):
        survstat.cox(fractional, weight="w", **base)
    with pytest.raises(
        OptionError, match=rf'^ties="{ties}" has no robust variance \(cluster `s`\)'
    ):
        survstat.cox(data, cluster="s", **base)
    with pytest.raises(
        OptionError, match=rf'^ties="{ties}" has no robust variance \(robust=True\)'
    ):
        survstat.cox(data, robust=True, **base)
    entry = survstat.SurvivalData.right_censored(
        data.with_columns(start=pl.lit(0.5)), time="time", event="event", entry="start"
    )
    with pytest.raises(
        OptionError, match=rf'^ties="{ties}" is not available with delayed entry \(`start`\)'
    ):
        survstat.cox(entry, covariates=["x1"], ties=ties)
    fit = survstat.cox(data, **base)
    for kind in ("score", "schoenfeld", "scaledsch", "dfbeta", "dfbetas"):
        with pytest.raises(
            OptionError, match=rf'^{kind} residuals are not available after ties="{ties}"'
        ):
            fit.residuals(kind)
    assert fit.residuals("martingale").height == 20


def test_cli_accepts_the_new_ties(tmp_path):
    from typer.testing import CliRunner

    from survstat.cli import app

    path = tmp_path / "vet.parquet"
    frame(CASES["veteran_months"]).write_parquet(path)
    out = tmp_path / "cox.parquet"
    args = ["cox", str(path), "--time", "month", "--event", "status", "--covariates"]
    result = CliRunner().invoke(app, [*args, "karno,age,trt", "--ties", "discrete", "-o", str(out)])
    assert result.exit_code == 0, result.output
    coef = pl.read_parquet(out)["coef"].to_numpy()
    np.testing.assert_allclose(coef, num(CASES["veteran_months"]["coef"]), rtol=1e-8)
    bad = CliRunner().invoke(app, [*args, "karno", "--ties", "kp", "-o", str(out)])
    assert bad.exit_code == 2
