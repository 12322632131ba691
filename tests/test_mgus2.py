"""The bundled competing-risks dataset mgus2: identical to R's copy, and survstat's cumulative
incidence and Gray's test on it equal cmprsk's (tests/reference/make_reference_mgus2.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import survstat

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def r_ref():
    return json.loads((REF / "r_reference_mgus2.json").read_text())


@pytest.fixture(scope="module")
def mgus2():
    return survstat.datasets.load("mgus2")


def test_bundled_file_is_the_r_export(mgus2):
    csv = pl.read_csv(REF / "data" / "mgus2.csv", schema_overrides={"sex": pl.String})
    assert_frame_equal(mgus2, csv, check_dtypes=False)
    assert mgus2.height == 1384
    assert mgus2.get_column("event").value_counts().sort("event").rows() == [
        (0, 409),
        (1, 115),
        (2, 860),
    ]


def test_cumulative_incidence_equals_cmprsk_at_every_time(mgus2, r_ref):
    fit = survstat.cumulative_incidence(mgus2, time="etime", cause="event", by="sex")
    for curve in r_ref["curves"]:
        ours = fit.table.filter(
            (pl.col("sex") == curve["sex"]) & (pl.col("cause") == curve["cause"])
        )
        np.testing.assert_array_equal(ours.get_column("time").to_numpy(), curve["time"])
        np.testing.assert_allclose(ours.get_column("cif").to_numpy(), curve["est"], rtol=1e-8)
        np.testing.assert_allclose(
            ours.get_column("std_error").to_numpy() ** 2, curve["var"], rtol=1e-8, atol=1e-15
        )
        at = fit.at(curve["at_time"]).filter(
            (pl.col("sex") == curve["sex"]) & (pl.col("cause") == curve["cause"])
        )
        np.testing.assert_allclose(at.get_column("cif").to_numpy(), curve["at_est"], rtol=1e-8)


def test_gray_test_equals_cmprsk(mgus2, r_ref):
    table = survstat.gray_test(mgus2, time="etime", cause="event", by="sex").table.sort("cause")
    gray = r_ref["gray"]
    assert table.get_column("cause").to_list() == gray["cause"]
    np.testing.assert_allclose(table.get_column("statistic").to_numpy(), gray["statistic"], 1e-8)
    np.testing.assert_allclose(table.get_column("p_value").to_numpy(), gray["p_value"], 1e-8)


def test_fine_gray_equals_crr(mgus2, r_ref):
    fit = survstat.fine_gray(
        mgus2, time="etime", cause="event", covariates=["sex", "age"], failcode=1
    )
    crr = r_ref["crr"]
    assert fit.table.get_column("term").to_list() == ["sex[M]", "age"]
    np.testing.assert_allclose(fit.table.get_column("coef").to_numpy(), crr["coef"], rtol=1e-8)
    np.testing.assert_allclose(fit.covariance.ravel(order="F"), crr["var"], rtol=1e-7)
    np.testing.assert_allclose(fit.loglik, crr["loglik"], rtol=1e-10)
