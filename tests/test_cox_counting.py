"""Cox models on counting-process data, each row at risk on (entry, time]: against R
survival::coxph(Surv(start, stop, event) ~ ...) (tests/reference/make_reference_cox_counting.R)
to 1e-8, against a brute-force partial likelihood over explicit risk sets, and by invariance
(a follow-up cut in two rows is the same fit)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_data import as_list, frame, num
from typer.testing import CliRunner

import survstat
from survstat.cli import app
from survstat.errors import InvalidValueError, MissingValueError

REFERENCE = json.loads(
    (Path(__file__).parent / "reference" / "r_reference_cox_counting.json").read_text()
)
CASES = {c["name"]: c for c in REFERENCE["cases"]}
RESIDUALS = [(name, r) for name, c in CASES.items() for r in c.get("residuals") or []]


def option(value):
    """R's NULL arrives as {} in the JSON."""
    return None if value in ({}, None, []) else value


def fit(c):
    return survstat.cox(
        frame(c),
        entry=c["entry"],
        time=c["time"],
        event=c["event"],
        covariates=as_list(c["covariates"]),
        strata=option(c.get("strata")),
        weight=option(c.get("weight")),
        cluster=option(c.get("cluster")),
        robust=bool(c["robust"]),
        ties=c["ties"],
    )


FITS = {name: fit(c) for name, c in CASES.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_r_coxph(name):
    c, f = CASES[name], FITS[name]
    k = len(num(c["coef"]))
    np.testing.assert_allclose(f.table["coef"].to_numpy(), num(c["coef"]), rtol=1e-8)
    np.testing.assert_allclose(f.table["std_error"].to_numpy(), num(c["se"]), rtol=1e-8)
    var = np.array(c["var"], float).reshape(k, k)
    np.testing.assert_allclose(f.covariance, var, rtol=1e-8, atol=1e-14)
    if option(c.get("naive_var")) is not None:
        naive = np.array(c["naive_var"], float).reshape(k, k)
        np.testing.assert_allclose(f.naive_covariance, naive, rtol=1e-8, atol=1e-14)
    np.testing.assert_allclose(f.loglik, num(c["loglik"]), rtol=1e-8)
    tests = dict(zip(f.tests["test"], f.tests["statistic"], strict=True))
    assert tests["likelihood ratio"] == pytest.approx(num(c["logtest"])[0], rel=1e-8)
    assert tests["wald"] == pytest.approx(num(c["wald"])[0], rel=1e-8)
    assert tests["score"] == pytest.approx(num(c["score"])[0], rel=1e-8)
    assert f.iterations == c["iter"]
    assert f.converged
    assert f.robust == bool(c["robust"])
    assert (f.n, f.n_event) == (c["n"], c["nevent"])


@pytest.mark.parametrize("name", list(CASES))
def test_concordance_counts_pairs_within_risk_sets_as_r(name):
    got = FITS[name].concordance
    ref = num(CASES[name]["concordance"])
    np.testing.assert_allclose(
        [got.concordant, got.discordant, got.tied_x, got.tied_y, got.tied_xy],
        ref[:5],
        rtol=1e-10,
        atol=1e-10,
    )
    assert got.value == pytest.approx(ref[5], rel=1e-10)


@pytest.mark.parametrize(
    ("name", "ref"), RESIDUALS, ids=lambda v: v if isinstance(v, str) else v["type"]
)
def test_residuals_match_r(name, ref):
    f = FITS[name]
    table = f.residuals(ref["type"])
    per_row = ref["type"] in ("martingale", "deviance")
    columns = ["residual"] if per_row else list(f.table["term"])
    assert len(columns) == len(ref["values"])
    for column, want in zip(columns, ref["values"], strict=True):
        np.testing.assert_allclose(
            table[column].to_numpy(), np.array(want, float), rtol=1e-8, atol=1e-11, err_msg=column
        )
    if ref["type"] in ("schoenfeld", "scaledsch"):
        assert table["time"].to_list() == pytest.approx(num(ref["time"]).tolist(), rel=1e-15)


def _partial_loglik(beta, entry, time, event, x, w, strata, ties):
    """The log partial likelihood over explicit risk sets {entry < t <= time} in each stratum:
    Breslow's, or Efron's with the tied deaths' mean weight (R coxph)."""
    eta = x @ beta
    total = 0.0
    for s in np.unique(strata):
        for t in np.unique(time[(strata == s) & (event == 1)]):
            risk = (strata == s) & (entry < t) & (time >= t)
            dead = risk & (time == t) & (event == 1)
            r = w * np.exp(eta)
            m = int(dead.sum())
            total += np.sum((w * eta)[dead])
            if ties == "breslow":
                total -= w[dead].sum() * np.log(r[risk].sum())
            else:
                mean_w = w[dead].mean()
                for j in range(m):
                    total -= mean_w * np.log(r[risk].sum() - j / m * r[dead].sum())
    return total


def _random_counting(seed, n=60):
    rng = np.random.default_rng(seed)
    time = rng.integers(2, 15, n).astype(float)
    entry = np.floor(time * rng.uniform(0, 0.9, n))
    entry[rng.random(n) < 0.4] = 0.0
    return pl.DataFrame(
        {
            "entry": entry,
            "time": time,
            "event": (rng.random(n) < 0.6).astype(np.int64),
            "x1": rng.normal(size=n),
            "x2": rng.integers(0, 3, n).astype(float),
            "w": rng.integers(1, 4, n) / 2,
            "s": rng.integers(0, 2, n),
        }
    )


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_equals_a_brute_force_partial_likelihood(seed, ties):
    d = _random_counting(seed)
    f = survstat.cox(
        d,
        entry="entry",
        time="time",
        event="event",
        covariates=["x1", "x2"],
        strata="s",
        weight="w",
        ties=ties,
    )
    args = [d[c].to_numpy() for c in ("entry", "time", "event")]
    x = d.select("x1", "x2").to_numpy()
    rest = (x, d["w"].to_numpy(), d["s"].to_numpy(), ties)
    beta = f.table["coef"].to_numpy()
    assert f.loglik[0] == pytest.approx(_partial_loglik(np.zeros(2), *args, *rest), rel=1e-12)
    assert f.loglik[1] == pytest.approx(_partial_loglik(beta, *args, *rest), rel=1e-12)
    # the estimate maximises the brute-force likelihood: its gradient there is 0
    h = 1e-6
    for j in range(2):
        step = np.eye(2)[j] * h
        grad = (
            _partial_loglik(beta + step, *args, *rest) - _partial_loglik(beta - step, *args, *rest)
        ) / (2 * h)
        assert abs(grad) < 1e-5


def test_delayed_entry_risk_sets_by_hand():
    # rows at risk on (entry, time]; deaths at 3 (row 0) and 6 (row 2), no ties.
    # at t = 3: rows 0, 1, 3 (row 2 enters at 4, row 4 at 3: not yet at risk), x = 1, 0, 1
    # at t = 6: rows 2, 4 (rows 1 and 3 have left at 5; row 0 died), x = 0, 1
    d = pl.DataFrame(
        {
            "entry": [0.0, 1.0, 4.0, 0.0, 3.0],
            "time": [3.0, 5.0, 6.0, 5.0, 8.0],
            "event": [1, 0, 1, 0, 0],
            "x": [1.0, 0.0, 0.0, 1.0, 1.0],
        }
    )
    f = survstat.cox(d, entry="entry", time="time", event="event", covariates=["x"])
    assert f.loglik[0] == pytest.approx(-np.log(3) - np.log(2), rel=1e-14)
    # the score at 0: the deaths' x less the risk sets' mean x, (1 - 2/3) + (0 - 1/2); the
    # information (2/3)(1/3) + (1/2)(1/2); the score test is U^2 / I
    u, i = 1 / 3 - 1 / 2, 2 / 9 + 1 / 4
    assert f.tests.filter(test="score")["statistic"].item() == pytest.approx(u**2 / i, rel=1e-12)
    # the estimate maximises e^b / (2 e^b + 1) * 1 / (1 + e^b): e^b = 1 / sqrt(2)
    assert f.table["coef"].item() == pytest.approx(-0.5 * np.log(2), rel=1e-8)
    assert f.converged
    # without the entry times rows 2 and 4 would count at t = 3: 5 at risk
    plain = survstat.cox(d, time="time", event="event", covariates=["x"])
    assert plain.loglik[0] == pytest.approx(-np.log(5) - np.log(2), rel=1e-14)


def _split(d: pl.DataFrame, cut: np.ndarray) -> pl.DataFrame:
    """Each row's follow-up (entry, time] as (entry, cut] censored and (cut, time] with its
    event, where entry < cut < time; rows whose cut is not inside stay whole."""
    inside = (cut > d["entry"].to_numpy()) & (cut < d["time"].to_numpy())
    whole = d.filter(~pl.Series(inside))
    c = pl.Series("cut", cut[inside])
    cut_rows = d.filter(pl.Series(inside))
    first = cut_rows.with_columns(time=c, event=pl.lit(0, pl.Int64))
    second = cut_rows.with_columns(entry=c)
    return pl.concat([whole, first, second])


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    fraction=st.floats(0.05, 0.95),
    ties=st.sampled_from(["efron", "breslow"]),
)
def test_cutting_follow_up_in_two_rows_gives_the_same_fit(seed, fraction, ties):
    # strata, case weights, both tie methods, robust variance summed per subject
    d = _random_counting(seed, n=40).with_row_index("id")
    cut = d["entry"].to_numpy() + fraction * (d["time"] - d["entry"]).to_numpy()
    kwargs = {
        "entry": "entry",
        "time": "time",
        "event": "event",
        "covariates": ["x1", "x2"],
        "strata": "s",
        "weight": "w",
        "ties": ties,
        "cluster": "id",
    }
    whole = survstat.cox(d, **kwargs)
    split = survstat.cox(_split(d, cut), **kwargs)
    for column in ("coef", "std_error"):
        np.testing.assert_allclose(split.table[column], whole.table[column], rtol=1e-9)
    np.testing.assert_allclose(split.loglik, whole.loglik, rtol=1e-11)
    np.testing.assert_allclose(split.naive_covariance, whole.naive_covariance, rtol=1e-9)
    assert split.concordance.value == pytest.approx(whole.concordance.value, rel=1e-12)


def test_one_row_per_subject_entering_at_zero_is_the_right_censored_fit():
    g = survstat.datasets.load("gbsg2").with_columns(zero=pl.lit(0.0))
    kwargs = {"time": "time", "event": "cens", "covariates": ["horTh", "age"]}
    with_entry = survstat.cox(g, entry="zero", strata="menostat", **kwargs)
    plain = survstat.cox(g, strata="menostat", **kwargs)
    np.testing.assert_allclose(with_entry.table["coef"], plain.table["coef"], rtol=1e-12)
    np.testing.assert_allclose(with_entry.loglik, plain.loglik, rtol=1e-13)
    assert with_entry.concordance.value == pytest.approx(plain.concordance.value, rel=1e-13)


def _brute_concordance(entry, time, event, score):
    counts = np.zeros(5)
    n = len(time)
    for i in range(n):
        if not event[i]:
            continue
        for j in range(n):
            if j == i or not entry[j] < time[i] <= time[j]:
                continue
            if time[j] == time[i] and event[j]:
                if j > i:
                    counts[4 if score[i] == score[j] else 3] += 1
                continue
            counts[0 if score[i] > score[j] else 1 if score[i] < score[j] else 2] += 1
    return counts


@pytest.mark.parametrize("seed", [4, 5])
def test_concordance_equals_brute_force_pairs_within_risk_sets(seed):
    d = _random_counting(seed, n=80)
    f = survstat.cox(d, entry="entry", time="time", event="event", covariates=["x2"])
    score = np.sign(f.table["coef"].item()) * d["x2"].to_numpy()
    want = _brute_concordance(*(d[c].to_numpy() for c in ("entry", "time", "event")), score)
    c = f.concordance
    np.testing.assert_allclose(
        [c.concordant, c.discordant, c.tied_x, c.tied_y, c.tied_xy], want, atol=1e-9
    )


def test_bad_entry_values():
    d = frame(CASES["heart_efron"])
    with pytest.raises(
        InvalidValueError,
        match=r"`start` must be less than `stop`; found 1 row with `start` >= `stop` of 172 rows "
        r"\(values: 50.0; first: 50.0 at row 0\)",
    ):
        survstat.cox(
            d.with_columns(
                start=pl.when(pl.int_range(pl.len()) == 0).then(50.0).otherwise("start")
            ),
            entry="start",
            time="stop",
            event="event",
            covariates=["age"],
        )
    with pytest.raises(MissingValueError, match=r"`start` must not be missing; found 1 missing"):
        survstat.cox(
            d.with_columns(
                start=pl.when(pl.int_range(pl.len()) == 2).then(None).otherwise("start")
            ),
            entry="start",
            time="stop",
            event="event",
            covariates=["age"],
        )


CURVES = [name for name, c in CASES.items() if option(c.get("curves"))]


def _r_values(values) -> np.ndarray:
    return np.array([np.nan if v in (None, "NA") else v for v in as_list(values)], float)


@pytest.mark.parametrize("name", CURVES)
def test_survival_curves_and_baseline_hazard_match_r(name):
    c, f = CASES[name], FITS[name]
    want = c["curves"]
    profiles = pl.DataFrame(want["newdata"]).to_dicts()
    table = f.survival(profiles).table
    strata = [s for s in as_list(option(c.get("strata")) or [])]
    for i, curve in enumerate(want["profiles"]):
        got = table.filter(profile=i)
        if strata:
            assert got[strata[0]].to_list() == as_list(curve["strata"])
        assert got["time"].to_list() == pytest.approx(num(curve["time"]).tolist(), rel=1e-15)
        for ours, theirs in (
            ("n_risk", "n_risk"),
            ("n_event", "n_event"),
            ("n_censor", "n_censor"),
            ("survival", "surv"),
            ("cumhaz", "cumhaz"),
            ("cumhaz_std_error", "std_err"),
            ("conf_low", "lower"),
            ("conf_high", "upper"),
        ):
            np.testing.assert_allclose(
                np.array(got[ours].to_list(), float),
                _r_values(curve[theirs]),
                rtol=1e-9,
                atol=1e-14,
                err_msg=ours,
            )
    base = f.baseline_hazard(centered=False)
    np.testing.assert_allclose(base["time"], num(want["basehaz_uncentered"]["time"]), rtol=1e-15)
    np.testing.assert_allclose(
        base["cumhaz"], num(want["basehaz_uncentered"]["hazard"]), rtol=1e-9, atol=1e-14
    )


ZPH = [(name, z) for name, c in CASES.items() for z in c.get("zph") or []]


@pytest.mark.parametrize(
    ("name", "ref"), ZPH, ids=lambda v: v if isinstance(v, str) else v["transform"]
)
def test_ph_test_matches_r_cox_zph(name, ref):
    from survstat.estimators.cox_zph import zph_smooth

    f = FITS[name]
    table = f.zph(transform=ref["transform"]).table
    assert table["term"].to_list() == ref["term"]
    assert table["df"].to_list() == as_list(ref["df"])
    np.testing.assert_allclose(table["statistic"].to_numpy(), num(ref["statistic"]), rtol=1e-8)
    # the transformed event times, as R's cox.zph(...)$x (with the Kaplan-Meier of km
    # counting each row at risk on (entry, time])
    residuals, _ = zph_smooth(f, transform=ref["transform"])
    x = residuals.filter(term=f.table["term"][0])["x"].to_numpy()
    np.testing.assert_allclose(x, num(ref["x"]), rtol=1e-10)


def test_cli_and_job_step_with_entry(tmp_path):
    c = CASES["heart_cluster"]
    data = tmp_path / "heart.parquet"
    frame(c).write_parquet(data)
    out = tmp_path / "cox.parquet"
    args = ["cox", str(data), "--entry", "start", "--time", "stop", "--event", "event"]
    runner = CliRunner()
    r = runner.invoke(
        app,
        [*args, "--covariates", "age,year,surgery,transplant", "--cluster", "id", "-o", str(out)],
    )
    assert r.exit_code == 0, r.output
    table = pl.read_parquet(out)
    np.testing.assert_allclose(table["coef"].to_numpy(), num(c["coef"]), rtol=1e-8)
    np.testing.assert_allclose(table["std_error"].to_numpy(), num(c["se"]), rtol=1e-8)
    with_ph = runner.invoke(app, [*args, "--covariates", "age", "--ph-test", "-o", str(out)])
    assert with_ph.exit_code == 0, with_ph.output
    assert pl.read_parquet(tmp_path / "cox.zph.parquet")["term"].to_list() == ["age", "GLOBAL"]
    job = tmp_path / "job.toml"
    job.write_text(
        '[job]\ntitle = "heart"\noutput = "out"\n\n[inputs]\nheart = "heart.parquet"\n\n'
        '[[step]]\nname = "cox"\nanalysis = "cox"\ninput = "heart"\nentry = "start"\n'
        'time = "stop"\nevent = "event"\ncovariates = ["age", "year", "surgery", "transplant"]\n'
        'cluster = "id"\n'
    )
    r = runner.invoke(app, ["run", str(job), "--output", str(tmp_path / "out"), "-q"])
    assert r.exit_code == 0, r.output
    step = pl.read_parquet(tmp_path / "out" / "cox.parquet")
    np.testing.assert_allclose(step["std_error"].to_numpy(), num(c["se"]), rtol=1e-8)
