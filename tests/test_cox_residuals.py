"""Residuals of a Cox fit against R residuals.coxph
(tests/reference/make_reference_cox_residuals.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import survstat
from survstat.errors import OptionError
from survstat.estimators.cox_residuals import cox_residuals

REF = json.loads(
    (Path(__file__).parent / "reference" / "r_reference_cox_residuals.json").read_text()
)


def _fits():
    g = survstat.datasets.load("gbsg2").with_row_index("row", offset=1)
    g = g.with_columns(w=(1 + pl.col("row") % 3).cast(pl.Float64), id=(pl.col("row") - 1) // 2)
    m = survstat.datasets.load("mgus2").drop_nulls(["hgb"])
    return {
        "gbsg2 efron": survstat.cox(
            g, time="time", event="cens", covariates=["horTh", "age", "tgrade"]
        ),
        "gbsg2 breslow strata weights": survstat.cox(
            g,
            time="time",
            event="cens",
            covariates=["horTh", "pnodes"],
            strata="menostat",
            weight="w",
            ties="breslow",
        ),
        "gbsg2 robust": survstat.cox(
            g, time="time", event="cens", covariates=["age", "tsize"], cluster="id"
        ),
        "mgus2 efron": survstat.cox(
            m, time="futime", event="death", covariates=["age", "sex", "hgb"]
        ),
    }


FITS = _fits()


@pytest.mark.parametrize("ref", REF, ids=lambda r: f"{r['name']}-{r['type']}")
def test_matches_r_residuals(ref):
    fit = FITS[ref["name"]]
    table = cox_residuals(fit, ref["type"])
    per_row = ref["type"] in ("martingale", "deviance")
    columns = ["residual"] if per_row else list(fit.table["term"])
    assert len(columns) == len(ref["values"])
    for column, want in zip(columns, ref["values"], strict=True):
        np.testing.assert_allclose(
            table[column].to_numpy(),
            np.array(want, dtype=float),
            rtol=1e-8,
            atol=1e-11,
            err_msg=column,
        )
    if ref["type"] in ("schoenfeld", "scaledsch"):
        assert table["time"].to_list() == pytest.approx(ref["time"], rel=1e-15)


def test_identities_and_errors():
    fit = FITS["gbsg2 efron"]
    assert abs(cox_residuals(fit)["residual"].sum()) < 1e-9  # martingale residuals sum to 0
    score = cox_residuals(fit, "score").drop("row").to_numpy()
    np.testing.assert_allclose(score.sum(axis=0), 0.0, atol=1e-6)  # the score is 0 at the MLE
    with pytest.raises(OptionError, match=r"`type` must be one of martingale, deviance"):
        cox_residuals(fit, "pearson")  # type: ignore[arg-type]
