"""Every estimator on small random and degenerate data: either a result whose tables hold no NaN
or infinity and whose probabilities lie in [0, 1], or a SurvstatError. Never a traceback of
another kind, never a numpy warning.

The data are drawn in one of several modes: random, all censored, a single row, every event at
one time, all-zero weights in one group, ties everywhere, a constant covariate, and a covariate
that separates events from non-events (monotone likelihood). Each test runs a bounded number of
examples (seconds, not minutes).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import survstat
from survstat.errors import SurvstatError, SurvstatWarning

MODES = (
    "random",
    "all_censored",
    "one_row",
    "one_time",
    "zero_weight_group",
    "ties",
    "constant",
    "separation",
)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def frames(draw) -> pl.DataFrame:
    """Columns t (time), d (0/1 event), c (0 censored, 1 or 2 cause), g (arm a/b), s (stratum),
    w (case weight), fw (whole-number weight), x and z (covariates), r (0/1 response)."""
    mode = draw(st.sampled_from(MODES))
    n = 1 if mode == "one_row" else draw(st.integers(2, 14))
    ints = st.integers(0, 6) if mode == "ties" else st.integers(0, 30)
    t = [float(v) for v in draw(st.lists(ints, min_size=n, max_size=n))]
    if mode == "one_time":
        t = [float(draw(st.integers(0, 5)))] * n
    c = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    if mode == "all_censored":
        c = [0] * n
    g = draw(st.lists(st.sampled_from(["a", "b"]), min_size=n, max_size=n))
    s = draw(st.lists(st.integers(1, 2), min_size=n, max_size=n))
    fw = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    w = [v * draw(st.sampled_from([1.0, 0.5, 0.1, 1 / 3])) for v in fw]
    x = [float(v) for v in draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n))]
    z = draw(st.lists(st.floats(-2, 2, allow_nan=False, width=32), min_size=n, max_size=n))
    if mode == "zero_weight_group":
        w = [0.0 if gi == "b" else wi for gi, wi in zip(g, w, strict=True)]
        fw = [0 if gi == "b" else wi for gi, wi in zip(g, fw, strict=True)]
    if mode == "constant":
        x = [2.0] * n
    if mode == "separation":
        # arm a: every record fails of cause 1; arm b: none does
        c = [1 if gi == "a" else 0 for gi in g]
        x = [1.0 if gi == "a" else 0.0 for gi in g]
    return pl.DataFrame(
        {
            "t": t,
            "d": [int(v > 0) for v in c],
            "c": c,
            "g": g,
            "s": s,
            "w": [float(v) for v in w],
            "fw": [float(v) for v in fw],
            "x": x,
            "z": [float(v) for v in z],
            "r": [int(v > 0) for v in c],
        }
    )


#: Columns holding probabilities in the tables checked below.
PROBABILITIES = {"survival", "cif", "p_value", "rate", "concordance", "trend_p_value"}
#: Tables whose conf_low / conf_high are limits of a probability (survival or incidence
#: curves; not times, RMST or ratios).
PROBABILITY_LIMITS = {("km", "table"), ("km", "at"), ("km", "plain"), ("cif", "table")}
PROBABILITY_LIMITS |= {("cif", "at")}


def check(tables: dict[str, pl.DataFrame], kind: str) -> None:
    """No NaN or infinity anywhere; probabilities (and their limits) in [0, 1]."""
    for name, table in tables.items():
        for col, dtype in table.schema.items():
            if not dtype.is_float():
                continue
            values = table.get_column(col).drop_nulls().to_numpy()
            assert np.isfinite(values).all(), f"{name}.{col}: {values}"
            limits = (kind, name) in PROBABILITY_LIMITS and col in ("conf_low", "conf_high")
            if col in PROBABILITIES or limits:
                assert ((values >= 0) & (values <= 1)).all(), f"{name}.{col}: {values}"


def run(fn: Callable[[], dict[str, pl.DataFrame]], kind: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", SurvstatWarning)
        try:
            tables = fn()
        except SurvstatError as exc:
            event(f"refused: {type(exc).__name__}")
            return
    event("result")
    check(tables, kind)


def _km(df: pl.DataFrame, weight: str | None) -> dict[str, pl.DataFrame]:
    km = survstat.kaplan_meier(df, time="t", event="d", by="g", weight=weight)
    out = {"table": km.table, "at": km.at([0, 3, 10, 40]), "quantile": km.quantile()}
    out["summary"] = km.summary()
    # RMST to the shortest follow-up (it may be refused when a curve is unknown beyond)
    tau = float(df.group_by("g").agg(pl.col("t").max())["t"].min())
    if tau > 0:
        out["rmst"] = km.rmst(tau)
        if km.risk.n_curves == 2:
            out["rmst_difference"] = km.rmst_difference(tau)
    return out


@SETTINGS
@given(frames(), st.sampled_from([None, "w"]), st.sampled_from(["log-log", "log", "plain"]))
def test_kaplan_meier(df, weight, conf_type):
    def fit():
        tables = _km(df, weight)
        km = survstat.kaplan_meier(df, time="t", event="d", weight=weight, conf_type=conf_type)
        tables["plain"] = km.table
        return tables

    run(fit, "km")


@SETTINGS
@given(frames(), st.sampled_from([None, "w"]), st.sampled_from(["log", "plain"]))
def test_nelson_aalen(df, weight, conf_type):
    run(
        lambda: {
            "table": survstat.nelson_aalen(
                df, time="t", event="d", by="g", weight=weight, conf_type=conf_type
            ).table
        },
        "na",
    )


@SETTINGS
@given(frames(), st.sampled_from(list(survstat.estimators.logrank.WEIGHTS)), st.booleans())
def test_logrank(df, weights, strata):
    def fit():
        res = survstat.logrank(
            df,
            time="t",
            event="d",
            by="g",
            strata="s" if strata else None,
            weight="fw",
            weights=weights,
        )
        return {"table": res.table, "per_group": res.per_group}

    run(fit, "logrank")


@SETTINGS
@given(
    frames(),
    st.sampled_from(["auto", "cuminc", "delta", "robust"]),
    st.booleans(),
    st.sampled_from([None, [1, 2]]),
)
def test_cumulative_incidence(df, variance, weighted, causes):
    def fit():
        res = survstat.cumulative_incidence(
            df,
            time="t",
            cause="c",
            causes=causes,
            by="g",
            weight="w" if weighted else None,
            variance=variance,
        )
        return {"table": res.table, "at": res.at([0, 5, 50])}

    run(fit, "cif")


@SETTINGS
@given(frames(), st.sampled_from([0.0, 1.0]), st.booleans(), st.sampled_from([None, [1, 2]]))
def test_gray_test(df, rho, strata, causes):
    run(
        lambda: {
            "table": survstat.gray_test(
                df,
                time="t",
                cause="c",
                causes=causes,
                by="g",
                strata="s" if strata else None,
                rho=rho,
            ).table
        },
        "gray",
    )


@SETTINGS
@given(frames(), st.sampled_from([["g"], ["x"], ["x", "z"], ["g", "x"]]), st.booleans())
def test_cox(df, covariates, robust):
    def fit():
        res = survstat.cox(df, time="t", event="d", covariates=covariates, robust=robust)
        assert set(res.table["status"]) <= {"ok", "aliased", "infinite", "not converged"}
        return {"table": res.table, "tests": res.tests, "model": res.model}

    run(fit, "cox")


@SETTINGS
@given(frames(), st.sampled_from([["g"], ["x"], ["x", "z"]]))
def test_fine_gray(df, covariates):
    def fit():
        res = survstat.fine_gray(df, time="t", cause="c", covariates=covariates, failcode=1)
        tables = {"table": res.table, "model": res.model, "baseline": res.baseline}
        if res.converged and not res.infinite:
            profile = [0.0] * len(res.terms)
            pred = res.predict(profile)
            assert pred["cif"].is_between(0, 1).all()
            tables["predict"] = pred
        return tables

    run(fit, "fg")


@SETTINGS
@given(
    frames(),
    st.sampled_from(list(survstat.estimators.proportions.METHODS)),
    st.sampled_from([None, 0.0, 0.3, 1.0]),
)
def test_proportion(df, method, null_rate):
    run(
        lambda: {
            "table": survstat.proportion(
                df, response="r", by="g", method=method, null_rate=null_rate
            ).table
        },
        "prop",
    )


@SETTINGS
@given(
    frames(),
    st.sampled_from(["newcombe", "miettinen-nurminen"]),
    st.sampled_from(["fisher", "chi-square", "chi-square-uncorrected"]),
    st.booleans(),
)
def test_compare_proportions(df, difference_method, test, strata):
    def fit():
        if strata:
            res = survstat.compare_proportions(df, response="r", by="g", strata="s")
        else:
            res = survstat.compare_proportions(
                df, response="r", by="g", difference_method=difference_method, test=test
            )
        return {"table": res.table, "rates": res.rates}

    run(fit, "compare")


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_is_drawn(mode):
    """The strategy reaches each mode (a guard against a silently narrowed strategy)."""
    assert mode in MODES
