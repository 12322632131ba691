"""Treatment-by-biomarker interaction tests and p-value adjustment: R references
(tests/reference/make_reference_interaction.R), properties and the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

import survstat
from survstat.cli import app
from survstat.errors import ColumnNotFoundError, InvalidValueError, OptionError
from survstat.estimators._multiplicity import benjamini_hochberg, holm

REF = json.loads((Path(__file__).parent / "reference" / "r_reference_interaction.json").read_text())
ROLES = {"gbsg2": ("time", "cens"), "mgus2": ("futime", "death")}


@pytest.mark.parametrize("case", REF["cases"], ids=lambda c: c["name"])
def test_matches_r_anova_and_p_adjust(case):
    time, event = ROLES[case["name"]]
    res = survstat.interaction_tests(
        survstat.datasets.load(case["name"]),
        time=time,
        event=event,
        treatment=case["treatment"],
        markers=case["markers"],
        reference=case["reference"],
    )
    t = res.table
    assert t["marker"].to_list() == case["markers"]
    for got, want in zip(t.iter_rows(named=True), case["rows"], strict=True):
        assert (got["n"], got["n_event"], got["df"]) == (want["n"], want["n_event"], want["df"])
        # a difference of two log-likelihoods near -1700, each converged to 1e-9 relatively
        assert got["statistic"] == pytest.approx(want["statistic"], rel=1e-6, abs=1e-6)
        assert got["p_value"] == pytest.approx(want["p_value"], rel=1e-6)
        if want["interaction_hr"] is None:
            assert got["interaction_hr"] is None
        else:
            for key in ("interaction_hr", "conf_low", "conf_high"):
                assert got[key] == pytest.approx(want[key], rel=1e-8), key
        assert got["status"] == "ok"
    np.testing.assert_allclose(t["p_holm"].to_numpy(), case["p_holm"], rtol=1e-6)
    np.testing.assert_allclose(t["p_bh"].to_numpy(), case["p_bh"], rtol=1e-6)


def test_p_adjust_matches_r():
    ref = REF["p_adjust"]
    np.testing.assert_allclose(holm(ref["p"]), ref["holm"], rtol=1e-14)
    np.testing.assert_allclose(benjamini_hochberg(ref["p"]), ref["bh"], rtol=1e-14)
    assert holm([None, 0.02, 0.04]) == [None, 0.04, 0.04]
    assert benjamini_hochberg([]) == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_adjusted_p_values_are_ordered_bounded_and_above_the_raw(p):
    h, b = holm(p), benjamini_hochberg(p)
    order = np.argsort(p, kind="stable")
    for adjusted in (h, b):
        a = np.array(adjusted, dtype=float)
        assert np.all(a >= np.array(p) - 1e-15)
        assert np.all(a <= 1.0)
        assert np.all(np.diff(a[order]) >= -1e-15)  # monotone in the raw p-values
    assert np.all(np.array(b, dtype=float) <= np.array(h, dtype=float) + 1e-15)


def test_a_marker_without_variation_or_events_is_null_with_a_reason():
    frame = pl.DataFrame(
        {
            "t": [1.0, 2, 3, 4, 5, 6, 7, 8],
            "d": [1, 0, 1, 1, 0, 1, 1, 0],
            "arm": ["a", "b"] * 4,
            "flat": ["x"] * 8,
            "x": [0.1, 0.5, 0.2, 0.9, 0.3, 0.4, 0.8, 0.7],
        }
    )
    t = survstat.interaction_tests(
        frame, time="t", event="d", treatment="arm", markers=["flat", "x"]
    ).table
    row = t.row(0, named=True)
    assert row["status"] == "marker has one level"
    assert row["p_value"] is None
    assert row["p_holm"] is None
    # the family is the one marker with a test
    assert t["p_holm"][1] == pytest.approx(t["p_value"][1])


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"treatment": "horTh", "markers": []}, OptionError, "at least one"),
        ({"treatment": "horTh", "markers": ["horTh"]}, OptionError, "cannot also be a marker"),
        ({"treatment": "horTh", "markers": ["agee"]}, ColumnNotFoundError, "agee"),
        ({"treatment": "horTh", "markers": ["age"], "reference": "x"}, OptionError, "not a level"),
        ({"treatment": "one", "markers": ["age"]}, InvalidValueError, "one arm"),
    ],
)
def test_errors(kwargs, error, message):
    g = survstat.datasets.load("gbsg2").with_columns(pl.lit("A").alias("one"))
    with pytest.raises(error, match=message):
        survstat.interaction_tests(g, time="time", event="cens", **kwargs)


def test_cli_writes_the_library_table(tmp_path):
    data = tmp_path / "gbsg2.parquet"
    survstat.datasets.load("gbsg2").write_parquet(data)
    out = tmp_path / "int.parquet"
    r = CliRunner().invoke(
        app,
        [
            "interaction",
            str(data),
            "--time",
            "time",
            "--event",
            "cens",
            "--treatment",
            "horTh",
            "--markers",
            "age,pnodes,tgrade",
            "--reference",
            "yes",
            "-o",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    want = survstat.interaction_tests(
        survstat.datasets.load("gbsg2"),
        time="time",
        event="cens",
        treatment="horTh",
        markers=["age", "pnodes", "tgrade"],
        reference="yes",
    )
    assert_frame_equal(pl.read_parquet(out), want.table)


def test_a_marker_that_cannot_be_modelled_leaves_the_others_standing():
    g = survstat.datasets.load("gbsg2").with_columns(
        pl.when(pl.col("horTh") == "yes").then(5.0).otherwise(None).alias("one_arm"),
        pl.lit(None, dtype=pl.Float64).alias("empty"),
    )
    t = survstat.interaction_tests(
        g, time="time", event="cens", treatment="horTh", markers=["age", "one_arm", "empty"]
    ).table
    rows = {r["marker"]: r for r in t.iter_rows(named=True)}
    assert rows["age"]["status"] == "ok"
    assert rows["one_arm"]["p_value"] is None
    assert rows["one_arm"]["status"].startswith("no term can be estimated")
    assert rows["empty"]["status"] == "no patient has a value"
    assert rows["age"]["p_holm"] == pytest.approx(rows["age"]["p_value"])  # a family of one
