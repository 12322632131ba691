"""The Cox model fitted from an engine's per-time sums (survstat.estimators.cox_engine) equals
the in-memory fit to 1e-10 and R survival::coxph to 1e-8 (tests/reference/make_reference_cox.R).

Spark runs this path (tests/test_spark.py checks it there); the polars engine answers the same
queries, so the driver is checked here on Parquet inputs without Java: the in-memory fit, by
its own layout of sorted rows, is the independent oracle.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from reference_data import as_list, frame, num
from test_cox import CASES, option

import survstat
from survstat.data import SurvivalData
from survstat.errors import (
    EngineError,
    EstimationError,
    InvalidValueError,
    MissingValueError,
    OptionError,
    SurvstatWarning,
)
from survstat.estimators.cox import CoxResult
from survstat.estimators.cox_engine import CONCORDANCE_NOTE, cox_on_engine
from survstat.estimators.cox_survival import cox_survival

RTOL = 1e-10


def engine_fit(path, c: dict, **options) -> CoxResult:
    """The fit of an R reference case from the Parquet file ``path``, by the engine driver."""
    sd = SurvivalData.right_censored(
        path,
        time=c["time"],
        event=c["event"],
        strata=option(c.get("strata")),
        weight=option(c.get("weight")),
    )
    kwargs = {
        "cluster": option(c.get("cluster")),
        "ties": c["ties"],
        "robust": bool(c["robust"]),
        "reference": None,
        "conf_level": 0.95,
    } | options
    return cox_on_engine(sd, as_list(c["covariates"]), **kwargs)


def memory_fit(df: pl.DataFrame, c: dict, **options) -> CoxResult:
    kwargs = {
        "cluster": option(c.get("cluster")),
        "ties": c["ties"],
        "robust": bool(c["robust"]),
    } | options
    return survstat.cox(
        df,
        time=c["time"],
        event=c["event"],
        covariates=as_list(c["covariates"]),
        strata=option(c.get("strata")),
        weight=option(c.get("weight")),
        **kwargs,
    )


def same_fit(got: CoxResult, want: CoxResult, rtol: float = RTOL) -> None:
    """Everything but the concordance and what needs the rows, to ``rtol``."""
    assert got.table.select("term", "status").equals(want.table.select("term", "status"))
    for col in ("coef", "std_error", "hazard_ratio", "conf_low", "conf_high", "z", "p_value"):
        np.testing.assert_allclose(
            got.table[col].to_numpy(), want.table[col].to_numpy(), rtol=rtol, err_msg=col
        )
    np.testing.assert_allclose(got.covariance, want.covariance, rtol=rtol, atol=1e-15)
    np.testing.assert_allclose(got.naive_covariance, want.naive_covariance, rtol=rtol, atol=1e-15)
    np.testing.assert_allclose(got.loglik, want.loglik, rtol=rtol)
    assert got.tests.select("test", "df", "status").equals(
        want.tests.select("test", "df", "status")
    )
    np.testing.assert_allclose(
        got.tests["statistic"].to_numpy(), want.tests["statistic"].to_numpy(), rtol=rtol
    )
    assert (got.n, got.n_event, got.iterations, got.converged, got.robust) == (
        want.n,
        want.n_event,
        want.iterations,
        want.converged,
        want.robust,
    )
    assert (got.aliased, got.infinite) == (want.aliased, want.infinite)


@pytest.mark.parametrize("name", list(CASES))
def test_every_r_reference_case_from_the_sums(tmp_path, name):
    c = CASES[name]
    df = frame(c)
    path = tmp_path / "rows.parquet"
    df.write_parquet(path)
    got = engine_fit(path, c)
    same_fit(got, memory_fit(df, c))
    np.testing.assert_allclose(got.table["coef"].to_numpy(), num(c["coef"]), rtol=1e-8)
    np.testing.assert_allclose(got.table["std_error"].to_numpy(), num(c["se"]), rtol=1e-8)
    np.testing.assert_allclose(got.loglik, num(c["loglik"]), rtol=1e-8)
    assert got.concordance is None
    assert got.notes == (CONCORDANCE_NOTE,)
    assert got.model["concordance"].to_list() == [None]


def _ties_frame(seed: int, n: int = 300) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "s": rng.integers(0, 3, n),
            # few distinct times: many ties, so that Efron and Breslow differ
            "t": rng.integers(1, 25, n).astype(float),
            "d": rng.integers(0, 2, n),
            "w": rng.uniform(0.2, 3.0, n),
            "age": rng.normal(60, 10, n),
            "arm": rng.choice(["A", "B", "C"], n),
            "flag": rng.integers(0, 2, n).astype(bool),
            "pid": rng.integers(0, 60, n),
        }
    )


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize(
    "roles",
    [{}, {"strata": "s"}, {"weight": "w"}, {"strata": "s", "weight": "w"}],
    ids=lambda r: "-".join(r) or "plain",
)
@pytest.mark.parametrize("cluster", [None, "pid"])
def test_ties_strata_weights_and_clusters(tmp_path, ties, roles, cluster):
    df = _ties_frame(11)
    path = tmp_path / "rows.parquet"
    df.write_parquet(path)
    c = {"time": "t", "event": "d", "covariates": ["age", "arm", "flag"], "ties": ties}
    c |= {"robust": False, "cluster": cluster, **roles}
    robust = None  # as R: robust with clusters or fractional weights
    same_fit(engine_fit(path, c, robust=robust), memory_fit(df, c, robust=robust))


def test_reference_level_aliasing_and_a_covariate_nested_in_the_strata(tmp_path):
    df = _ties_frame(5).with_columns(
        region=pl.col("s") * 10,  # constant within each stratum: aliased
        twice=pl.col("age") * 2,  # a linear combination of age: aliased
    )
    path = tmp_path / "rows.parquet"
    df.write_parquet(path)
    c = {"time": "t", "event": "d", "ties": "efron", "robust": False, "strata": "s"}
    c["covariates"] = ["arm", "age", "region", "twice"]
    with pytest.warns(SurvstatWarning, match="aliased"):
        want = memory_fit(df, c, reference={"arm": "B"})
    with pytest.warns(SurvstatWarning, match="aliased"):
        got = engine_fit(path, c, reference={"arm": "B"})
    same_fit(got, want)
    assert got.aliased == ("region", "twice")
    assert got.table["term"].to_list()[:2] == ["arm[A]", "arm[C]"]


def test_monotone_likelihood_is_flagged_infinite(tmp_path):
    # no events in arm B: its coefficient diverges
    df = _ties_frame(2).with_columns(d=pl.when(pl.col("arm") == "B").then(0).otherwise("d"))
    path = tmp_path / "rows.parquet"
    df.write_parquet(path)
    c = {"time": "t", "event": "d", "ties": "efron", "robust": False}
    c["covariates"] = ["arm", "age"]
    with pytest.warns(SurvstatWarning, match="infinite"):
        want = memory_fit(df, c)
    with pytest.warns(SurvstatWarning, match="infinite"):
        got = engine_fit(path, c)
    assert got.table.select("term", "status").equals(want.table.select("term", "status"))
    assert got.infinite == want.infinite == ("arm[B]",)
    assert (got.iterations, got.converged) == (want.iterations, want.converged)
    # where a diverging coefficient stops depends on rounding; the finite ones agree
    coef, expected = got.table["coef"].to_numpy(), want.table["coef"].to_numpy()
    np.testing.assert_allclose(coef[0], expected[0], rtol=1e-6)
    np.testing.assert_allclose(coef[1:], expected[1:], rtol=1e-8)


def test_what_needs_the_rows_is_refused(tmp_path):
    c = CASES["gbsg2_strata_cluster"]
    path = tmp_path / "rows.parquet"
    frame(c).write_parquet(path)
    fit = engine_fit(path, c)
    assert fit.basis is None
    assert fit.engine == "polars"
    message = "needs the rows in memory, which the polars engine keeps; run the Cox model on"
    for call in (
        fit.survival,
        fit.baseline_hazard,
        fit.residuals,
        fit.zph,
        lambda: cox_survival(fit),
    ):
        with pytest.raises(EngineError, match=message):
            call()
    with_entry = SurvivalData.right_censored(
        frame(c).with_columns(start=pl.lit(0.0)), time="time", event="cens", entry="start"
    )
    with pytest.raises(EngineError, match=r"delayed entry \(`start`\) need the rows in memory"):
        cox_on_engine(
            with_entry,
            ["age"],
            cluster=None,
            ties="efron",
            robust=None,
            reference=None,
            conf_level=0.95,
        )


@pytest.mark.parametrize(
    ("change", "covariates", "options", "error", "pattern"),
    [
        (
            {"age": pl.when(pl.int_range(pl.len()) == 3).then(None).otherwise(pl.col("age"))},
            ["age"],
            {},
            MissingValueError,
            r"`age` must not be missing; found 1 missing value of 686 rows",
        ),
        (
            {"age": pl.when(pl.int_range(pl.len()) < 2).then(np.inf).otherwise(pl.col("age"))},
            ["age"],
            {},
            InvalidValueError,
            r"`age` must be finite; found 2 infinite values of 686 rows \(values: inf",
        ),
        ({"cens": pl.lit(0)}, ["age"], {}, EstimationError, "all 686 rows are censored"),
        ({}, ["horTh"], {"reference": {"horTh": "maybe"}}, OptionError, "'maybe' not found"),
        ({}, ["age"], {"reference": {"horTh": "no"}}, OptionError, "names columns that are not"),
        ({}, ["age"], {"reference": {"age": 50}}, OptionError, "is for categorical covariates"),
        ({}, ["agee"], {}, survstat.SurvstatError, "did you mean `age`"),
    ],
)
def test_bad_input_is_refused_as_in_memory(tmp_path, change, covariates, options, error, pattern):
    df = frame(CASES["gbsg2_efron"]).with_columns(**change)
    path = tmp_path / "rows.parquet"
    df.write_parquet(path)
    sd = SurvivalData.right_censored(path, time="time", event="cens")
    kwargs = {"cluster": None, "ties": "efron", "robust": None, "reference": None}
    with pytest.raises(error, match=pattern):
        cox_on_engine(sd, covariates, **(kwargs | options), conf_level=0.95)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_tied_deaths_summed_in_blocks_give_the_same_fit(tmp_path, monkeypatch, ties):
    # memory follows the distinct times: tied deaths are expanded a block at a time
    df = _ties_frame(8)
    path = tmp_path / "rows.parquet"
    df.write_parquet(path)
    c = {"time": "t", "event": "d", "covariates": ["age", "arm"], "ties": ties, "robust": False}
    c |= {"cluster": "pid", "strata": "s", "weight": "w"}
    whole = engine_fit(path, c, robust=None)
    monkeypatch.setattr("survstat.estimators.cox_engine.BLOCK", 7)
    same_fit(engine_fit(path, c, robust=None), whole, rtol=1e-12)
