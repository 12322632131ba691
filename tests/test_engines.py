"""The engines answer the queries of the :class:`~survstat.engines.Engine` protocol alike.

The polars engine in memory, the polars engine streaming from Parquet and (with Java) the Spark
engine get the same questions on the same rows and must give the same answers: counts exactly,
weighted sums to rounding (in-memory sums are float sums in row order; out of core they are
exact). The per-time Cox sums are checked against the partial likelihood the Cox model
computes, through an independent, loop-by-loop assembly of the log-likelihood, score and
information (Efron 1977, JASA 72:557-565; Breslow's approximation).
"""

from __future__ import annotations

import shutil
from dataclasses import fields

import numpy as np
import polars as pl
import pytest
from layouts import cohort
from polars.testing import assert_frame_equal

from survstat.data import SurvivalData
from survstat.engines import Check, Counts, CoxSums, Engine, PolarsEngine, bind, open_input
from survstat.errors import InvalidValueError, MissingValueError, OptionError
from survstat.estimators._partial_likelihood import cox_terms, layout

ROLES = {"time": "time", "event": "event", "by": "arm", "strata": "study"}
CHECKS = [
    Check("time", "negative", InvalidValueError, "must be non-negative", "negative values"),
    Check("entry", "not_below", InvalidValueError, "must be below", "rows", other="time"),
    Check("event", "not01", InvalidValueError, "must be 0/1", "other values"),
    Check("w", "missing", MissingValueError, "must not be missing", "missing values", False),
]


def _bound(tmp_path, frame: pl.DataFrame) -> dict[str, SurvivalData]:
    path = tmp_path / "rows.parquet"
    frame.write_parquet(path)
    roles = {**ROLES, "entry": "entry", "weight": "w"}
    return {
        "memory": SurvivalData.right_censored(frame, **roles),
        "stream": SurvivalData.right_censored(path, **roles),
    }


def _answers(engine: Engine, sd: SurvivalData) -> dict[str, object]:
    """Every query of the protocol, in a form that does not depend on row order."""
    keys = engine.record_keys(sd, None)
    by_key = keys.group_by(pl.exclude("__w2")).agg(pl.col("__w2").sum())
    return {
        "schema": engine.schema(),
        "count": engine.count(CHECKS),
        "level_counts": engine.level_counts("arm"),
        "distinct": sorted(engine.distinct("site")),
        "weight_totals": engine.weight_totals("w", ["arm"]).sort("arm"),
        "risk_counts": engine.risk_counts(sd),
        "record_keys": by_key.sort(pl.exclude("__w2")),
    }


def _same_counts(a: Counts, b: Counts) -> None:
    assert_frame_equal(a.levels, b.levels)
    for f in fields(Counts):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-15, err_msg=f.name)


def _same_answers(a: dict[str, object], b: dict[str, object]) -> None:
    assert a["schema"] == b["schema"]
    assert a["count"] == b["count"]
    assert a["distinct"] == b["distinct"]
    assert_frame_equal(a["level_counts"], b["level_counts"], check_dtypes=False)
    assert_frame_equal(a["weight_totals"], b["weight_totals"], check_exact=False, rel_tol=1e-12)
    _same_counts(a["risk_counts"], b["risk_counts"])  # type: ignore[arg-type]
    assert_frame_equal(a["record_keys"], b["record_keys"], check_exact=False, rel_tol=1e-12)


def test_polars_in_memory_and_streaming_answer_alike(tmp_path):
    bound = _bound(tmp_path, cohort(3000))
    memory, stream = bound["memory"], bound["stream"]
    assert isinstance(memory.rows, PolarsEngine)
    assert isinstance(stream.rows, PolarsEngine)
    assert (memory.lazy, stream.lazy) == (False, True)
    assert memory.engine == stream.engine == "polars"
    _same_answers(_answers(memory.rows, memory), _answers(stream.rows, stream))


def test_unweighted_counts_are_exact_on_both_polars_paths(tmp_path):
    frame = cohort(3000)
    path = tmp_path / "rows.parquet"
    frame.write_parquet(path)
    a = SurvivalData.right_censored(frame, **ROLES)
    b = SurvivalData.right_censored(path, **ROLES)
    ca, cb = a.rows.risk_counts(a), b.rows.risk_counts(b)
    for name in ("time", "n_event", "n_exit", "n_exit_records", "curve"):
        np.testing.assert_array_equal(getattr(ca, name), getattr(cb, name))


def test_the_engine_is_bound_once(tmp_path):
    frame = cohort(50)
    engine, source = bind(frame)
    assert isinstance(engine, PolarsEngine)
    assert source is None
    assert not engine.lazy
    path = tmp_path / "rows.parquet"
    frame.write_parquet(path)
    engine, source = bind(path)
    assert engine.lazy
    assert source == str(path)
    assert bind(frame.lazy())[0].lazy
    # the polars engine opens a path by keeping it: it is scanned when bound
    assert open_input(path) == path
    with pytest.raises(OptionError, match="`engine` must be one of polars, spark; got 'dask'"):
        open_input(path, "dask")


@pytest.mark.skipif(shutil.which("java") is None, reason="the Spark engine needs Java")
def test_spark_answers_as_polars_streaming_does(tmp_path):
    from pyspark.sql import SparkSession

    # the settings of tests/test_spark.py, so that a running session is reused
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("survstat-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    frame = cohort(3000)
    stream = _bound(tmp_path, frame)["stream"]
    path = tmp_path / "rows.parquet"
    on_spark = SurvivalData.right_censored(
        open_input(path, "spark"), **{**ROLES, "entry": "entry", "weight": "w"}
    )
    assert (on_spark.engine, on_spark.lazy, on_spark.rows.row_level) == ("spark", True, False)
    got, want = _answers(on_spark.rows, on_spark), _answers(stream.rows, stream)
    _same_answers(got, want)
    # both sum weights exactly: the same bits
    for name in ("n_event", "n_exit", "n_entry"):
        np.testing.assert_array_equal(
            getattr(got["risk_counts"], name), getattr(want["risk_counts"], name)
        )
    # the per-time Cox sums: ordinary double sums, equal to rounding
    beta = np.array([0.02, -0.3])
    got_sums = on_spark.rows.cox_sums(on_spark, ["study"], ["entry", "w"], beta)
    want_sums = stream.rows.cox_sums(stream, ["study"], ["entry", "w"], beta)
    assert_frame_equal(got_sums.levels, want_sums.levels)
    for f in fields(CoxSums):
        x, y = getattr(got_sums, f.name), getattr(want_sums, f.name)
        if isinstance(x, np.ndarray):
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-12, err_msg=f.name)


def _cox_frame(seed: int, n: int = 240) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "s": rng.integers(0, 3, n),
            # few distinct times: many ties, so that Efron and Breslow differ
            "t": rng.integers(1, 25, n).astype(float),
            "d": rng.integers(0, 2, n),
            "w": rng.uniform(0.2, 3.0, n),
            "age": rng.normal(60, 10, n),
            "dose": rng.uniform(0, 1, n),
            "trt": rng.integers(0, 2, n).astype(float),
        }
    )


def _point_from_sums(sums: CoxSums, ties: str) -> tuple[float, np.ndarray, np.ndarray]:
    """Log partial likelihood, score and information from the per-time sums, one tied death
    at a time (the textbook form of Efron's and Breslow's likelihoods)."""
    p = sums.s1.shape[1]
    loglik, score, info = float(sums.w_eta_event.sum()), sums.wx_event.sum(0), np.zeros((p, p))
    s0, s1, s2 = 0.0, np.zeros(p), np.zeros((p, p))
    for i in range(len(sums.time)):
        if i == 0 or sums.stratum[i] != sums.stratum[i - 1]:
            s0, s1, s2 = 0.0, np.zeros(p), np.zeros((p, p))
        # rows are in decreasing time: the risk set of time i is every row so far
        s0, s1, s2 = s0 + sums.s0[i], s1 + sums.s1[i], s2 + sums.s2[i]
        m = int(sums.n_event[i])
        if m == 0:
            continue
        steps = range(m) if ties == "efron" else [0]
        weight = sums.w_event[i] / m if ties == "efron" else sums.w_event[i]
        for j in steps:
            frac = j / m
            den = s0 - frac * sums.d0[i]
            a = (s1 - frac * sums.d1[i]) / den
            c = (s2 - frac * sums.d2[i]) / den
            loglik -= weight * np.log(den)
            score = score - weight * a
            info = info + weight * (c - np.outer(a, a))
    return loglik, score, info


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("streaming", [False, True], ids=["memory", "streaming"])
@pytest.mark.parametrize("strata", [None, "s"])
def test_cox_sums_give_the_partial_likelihood_of_the_cox_model(tmp_path, ties, streaming, strata):
    df = _cox_frame(7)
    sd = SurvivalData.right_censored(df, time="t", event="d", weight="w", strata=strata)
    covariates = ["age", "dose", "trt"]
    lay, order, _ = layout(df, sd, df.select(covariates).to_numpy())
    beta = np.array([0.3, -0.8, 0.5])
    want = cox_terms(beta, lay, ties)
    # the rows the Cox model sees (centred, scaled covariates), given to the engine
    rows = pl.DataFrame(
        {
            "s": df.get_column("s").to_numpy()[order],
            "t": lay.time,
            "d": lay.event,
            "w": lay.w,
            **{f"x{j}": lay.x[:, j] for j in range(len(covariates))},
        }
    )
    if streaming:
        rows.write_parquet(tmp_path / "rows.parquet")
    bound = SurvivalData.right_censored(
        tmp_path / "rows.parquet" if streaming else rows,
        time="t",
        event="d",
        weight="w",
        strata=strata,
    )
    assert bound.lazy == streaming
    names = [f"x{j}" for j in range(len(covariates))]
    sums = bound.rows.cox_sums(bound, [strata] if strata else [], names, beta)
    assert np.all(np.diff(sums.time)[np.diff(sums.stratum) == 0] < 0)
    assert sums.levels.height == (3 if strata else 0)
    loglik, score, info = _point_from_sums(sums, ties)
    np.testing.assert_allclose(loglik, want.loglik, rtol=1e-12)
    np.testing.assert_allclose(score, want.score, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(info, want.information, rtol=1e-10)
