"""Millions of rows with heavy ties, and a p-value near 1e-84, against R (see make_reference.R)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from reference_data import as_list, num, reference

import survstat


@pytest.fixture(scope="module")
def big() -> pl.DataFrame:
    # the same deterministic formula as tests/reference/make_reference.R
    n = reference()["large"]["n"]
    i = np.arange(n, dtype=np.int64)
    g = i % 2
    time = (i // 2) % 997 + 1 + np.where((g == 1) & ((i // 2) % 87 == 0), 400, 0)
    return pl.DataFrame({"g": g, "time": time, "event": ((i % 5) != 0).astype(np.int8)})


@pytest.mark.parametrize("rho", [0, 1])
def test_logrank_at_scale(big, rho):
    ref = reference()["large"][f"survdiff_rho{rho}"]
    res = survstat.logrank(big, time="time", event="event", by="g", rho=rho)
    assert res.statistic == pytest.approx(ref["chisq"], rel=1e-8)
    # upper-tail computation: a p-value this small must not round to 0
    assert res.p_value == pytest.approx(ref["p"], rel=1e-6)
    assert res.p_value > 0
    np.testing.assert_allclose(res.per_group["expected"].to_numpy(), num(ref["exp"]), rtol=1e-8)
    np.testing.assert_allclose(res.covariance, np.array(ref["var"]).reshape(2, 2), rtol=1e-8)


def test_kaplan_meier_at_scale(big):
    ref = reference()["large"]
    km = survstat.kaplan_meier(big, time="time", event="event", by="g")
    at = km.at(num(ref["at"]["time"])[:4])
    np.testing.assert_allclose(at["survival"].to_numpy(), num(ref["at"]["surv"]), rtol=1e-8)
    np.testing.assert_allclose(at["std_error"].to_numpy(), num(ref["at"]["std_err"]), rtol=1e-8)
    np.testing.assert_allclose(at["conf_low"].to_numpy(), num(ref["at"]["lower"]), rtol=1e-8)
    np.testing.assert_allclose(at["n_risk"].to_numpy(), num(ref["at"]["n_risk"]), rtol=0)
    q = km.quantile([0.25, 0.5, 0.75]).sort("prob", "g")
    np.testing.assert_allclose(q["time"].to_numpy(), num(ref["quantile"]["quantile"]), rtol=1e-12)
    np.testing.assert_allclose(q["conf_low"].to_numpy(), num(ref["quantile"]["lower"]))
    r = km.rmst(1000)
    np.testing.assert_allclose(r["rmst"].to_numpy(), num(ref["rmean"]["rmean"]), rtol=1e-8)
    np.testing.assert_allclose(r["std_error"].to_numpy(), num(ref["rmean"]["se"]), rtol=1e-8)
    assert as_list(ref["rmean"]["curve"]) == ["g=0", "g=1"]
