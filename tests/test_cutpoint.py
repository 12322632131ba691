"""Maximally selected log-rank statistics: R maxstat references
(tests/reference/make_reference_cutpoint.R), scores by hand, properties, errors and the
command line."""

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
from survstat.errors import ColumnTypeError, InvalidValueError, OptionError
from survstat.estimators.cutpoint import VALIDATION_NOTE, logrank_scores, p_lausen92

REF = json.loads((Path(__file__).parent / "reference" / "r_reference_cutpoint.json").read_text())
DATA = {"gbsg2": survstat.datasets.load("gbsg2"), "mgus2": survstat.datasets.load("mgus2")}


@pytest.mark.parametrize("ref", REF, ids=lambda r: r["name"])
def test_matches_r_maxstat(ref):
    data = DATA[ref["data"]].filter(pl.col(ref["marker"]).is_not_null())
    cp = survstat.cutpoint(
        data,
        time=ref["time"],
        event=ref["event"],
        marker=ref["marker"],
        minprop=ref["minprop"],
        maxprop=ref["maxprop"],
        p_method=ref["pmethod"],
    )
    row = cp.table.row(0, named=True)
    assert row["cutpoint"] == ref["estimate"]
    assert row["statistic"] == pytest.approx(ref["statistic"], rel=1e-12)
    # R's Lau94 bound can fall a rounding error below 0; survstat's is clipped to [0, 1]
    assert row["p_value"] == pytest.approx(max(ref["p_value"], 0.0), rel=1e-10, abs=1e-15)
    assert row["n_low"] == ref["n_low"]
    assert row["n_low"] + row["n_high"] == data.height
    assert row["hazard_ratio"] == pytest.approx(ref["hazard_ratio"], rel=1e-8)
    assert row["conf_low"] == pytest.approx(ref["conf_low"], rel=1e-8)
    assert row["conf_high"] == pytest.approx(ref["conf_high"], rel=1e-8)
    assert row["note"] == VALIDATION_NOTE
    np.testing.assert_array_equal(cp.statistics["cutpoint"].to_numpy(), ref["cuts"])
    np.testing.assert_allclose(cp.statistics["statistic"].to_numpy(), ref["stats"], rtol=1e-12)


def test_logrank_scores_by_hand():
    # times 1, 2, 2, 3 (events 1, 1, 0, 1): ranks (records <= t) 1, 3, 3, 4;
    # d / (N - r + 1): 1/4, 1/2, 0, 1; cumulated in time order at each rank: 1/4, 3/4, 3/4, 7/4
    t = np.array([1.0, 2.0, 2.0, 3.0])
    d = np.array([1.0, 1.0, 0.0, 1.0])
    np.testing.assert_allclose(logrank_scores(t, d), [1 - 0.25, 1 - 0.75, -0.75, 1 - 1.75])


def test_lausen92_formula_by_hand():
    b = 3.0
    phi = np.exp(-b * b / 2) / np.sqrt(2 * np.pi)
    want = 4 * phi / b + phi * (b - 1 / b) * np.log(0.9 * 0.9 / (0.1 * 0.1))
    assert p_lausen92(b, 0.1, 0.9) == pytest.approx(want, rel=1e-14)
    assert p_lausen92(0.5, 0.1, 0.9) == 1.0


@pytest.mark.filterwarnings("ignore::survstat.errors.SurvstatWarning")
@settings(max_examples=30, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(1, 30), st.booleans(), st.integers(0, 15)), min_size=12, max_size=60
    )
)
def test_a_monotone_transform_of_the_marker_moves_only_the_cutpoint(rows):
    frame = pl.DataFrame(
        {
            "t": [float(r[0]) for r in rows],
            "d": [int(r[1]) for r in rows],
            "x": [float(r[2]) for r in rows],
        }
    ).with_columns((pl.col("x").exp() * 2 + 1).alias("y"))
    if frame["d"].sum() == 0 or frame["x"].n_unique() < 4:
        return
    try:
        a = survstat.cutpoint(frame, time="t", event="d", marker="x")
    except InvalidValueError:
        return
    b = survstat.cutpoint(frame, time="t", event="d", marker="y")
    assert b.table["statistic"].item() == pytest.approx(a.table["statistic"].item(), rel=1e-12)
    assert b.table["n_low"].item() == a.table["n_low"].item()
    assert b.table["cutpoint"].item() == pytest.approx(np.exp(a.table["cutpoint"].item()) * 2 + 1)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"marker": "sex"}, ColumnTypeError, "must be numeric"),
        ({"marker": "hgb"}, InvalidValueError, "missing or non-finite"),
        ({"marker": "age", "minprop": 0.6, "maxprop": 0.5}, OptionError, "minprop < maxprop"),
        ({"marker": "age", "minprop": 0.0, "maxprop": 1.0}, OptionError, "Lau92 p-value needs"),
        ({"marker": "age", "p_method": "exact"}, OptionError, "p_method"),
    ],
)
def test_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        survstat.cutpoint(DATA["mgus2"], time="futime", event="death", **kwargs)


def test_cli_writes_every_table_and_warns(tmp_path):
    data = tmp_path / "gbsg2.parquet"
    DATA["gbsg2"].write_parquet(data)
    out = tmp_path / "cp.parquet"
    args = ["cutpoint", str(data), "--time", "time", "--event", "cens", "--marker", "pnodes"]
    r = CliRunner().invoke(app, [*args, "--p-method", "Lau94", "-o", str(out)])
    assert r.exit_code == 0, r.output
    want = survstat.cutpoint(
        DATA["gbsg2"], time="time", event="cens", marker="pnodes", p_method="Lau94"
    )
    assert_frame_equal(pl.read_parquet(out), want.table)
    assert_frame_equal(pl.read_parquet(tmp_path / "cp.groups.parquet"), want.groups)
    assert_frame_equal(pl.read_parquet(tmp_path / "cp.statistics.parquet"), want.statistics)
    assert "validate it in independent data" in " ".join(r.output.split())
    bad = CliRunner().invoke(app, [*args[:-1], "horTh"])
    assert bad.exit_code == 1
    assert "must be numeric" in bad.output


def test_a_split_whose_hazard_ratio_is_undefined_keeps_the_cutpoint_with_a_null_ratio():
    # the only event (t = 2) has in its risk set the two rows of the high group alone: the
    # log-rank statistic is defined, the Cox hazard ratio of the split is not
    frame = pl.DataFrame(
        {
            "t": [1.0] * 10 + [2.0, 2.0],
            "d": [0] * 11 + [1],
            "x": [0.0] * 9 + [1.0, 2.0, 3.0],
        }
    )
    res = survstat.cutpoint(frame, time="t", event="d", marker="x")
    row = res.table.row(0, named=True)
    assert row["cutpoint"] is not None
    assert row["hazard_ratio"] is None
    assert row["conf_low"] is None
    assert row["note"].startswith("hazard ratio not estimable: no term can be estimated")
    assert row["note"].endswith(VALIDATION_NOTE)
