"""Parquet inputs are aggregated on polars' streaming engine: same tables as in memory."""

from __future__ import annotations

import math

import polars as pl
import pytest
from layouts import cohort, write_layouts
from polars.testing import assert_frame_equal

import survstat
from survstat.risk import risk_table

ROLES = [
    {"by": "arm"},
    {"by": ["arm", "site"]},
    {"by": "arm", "strata": "study"},
    {"by": "arm", "entry": "entry"},
    {"by": "arm", "weight": "w"},
    {"by": "arm", "entry": "entry", "weight": "w"},
]


@pytest.mark.parametrize("layout", ["file", "glob", "hive"])
@pytest.mark.parametrize("roles", ROLES, ids=lambda r: "-".join(r))
def test_risk_table_from_parquet_equals_in_memory(tmp_path, layout, roles):
    frame = cohort()
    path = write_layouts(tmp_path, frame)[layout]
    want = risk_table(frame, time="time", event="event", **roles)
    got = risk_table(path, time="time", event="event", **roles)
    exact = "weight" not in roles  # counts are integers: exact; weighted sums to the last bits
    assert_frame_equal(got.table, want.table, check_exact=exact, rel_tol=1e-13)


@pytest.mark.parametrize("layout", ["glob", "hive"])
def test_estimators_from_parquet_equal_in_memory(tmp_path, layout):
    frame = cohort()
    path = write_layouts(tmp_path, frame)[layout]
    same = {"time": "time", "event": "event", "by": "arm"}
    competing = {"time": "time", "cause": "cause", "by": "arm"}
    pairs = [
        (survstat.kaplan_meier(frame, **same).table, survstat.kaplan_meier(path, **same).table),
        (survstat.nelson_aalen(frame, **same).table, survstat.nelson_aalen(path, **same).table),
        (
            survstat.logrank(frame, **same, strata="study").table,
            survstat.logrank(path, **same, strata="study").table,
        ),
        (
            survstat.cumulative_incidence(frame, **competing).table,
            survstat.cumulative_incidence(path, **competing).table,
        ),
        (
            survstat.gray_test(frame, **competing).table,
            survstat.gray_test(path, **competing).table,
        ),
    ]
    for want, got in pairs:
        assert_frame_equal(got, want)


def test_weighted_streaming_sums_are_deterministic_and_exact(tmp_path):
    frame = cohort(20_000, seed=9)
    path = write_layouts(tmp_path, frame)["glob"]
    runs = [risk_table(path, time="time", event="event", by="arm", weight="w") for _ in range(3)]
    for other in runs[1:]:
        assert other.table.equals(runs[0].table)
    # the exact sum (integer limbs), within an ulp or two of the correctly rounded math.fsum
    total = math.fsum(frame.filter(pl.col("arm") == "B").get_column("w").to_list())
    first = runs[0].table.filter(pl.col("arm") == "B").get_column("n_risk")[0]
    assert abs(first - total) <= 4e-15 * total


def test_bad_values_in_a_later_file_are_found(tmp_path):
    frame = cohort()
    paths = write_layouts(tmp_path, frame)
    frame.head(5).with_columns(time=pl.lit(-1.0)).write_parquet(
        tmp_path / "parts" / "part-9.parquet"
    )
    with pytest.raises(survstat.SurvstatError, match="`time` must be non-negative; found 5"):
        survstat.kaplan_meier(paths["glob"], time="time", event="event")


def test_lazy_queries_over_parquet_stream_too(tmp_path):
    frame = cohort()
    path = write_layouts(tmp_path, frame)["hive"]
    query = pl.scan_parquet(f"{path}/**/*.parquet", hive_partitioning=True).filter(
        pl.col("study") == "s2"
    )
    sd = survstat.SurvivalData.right_censored(query, time="time", event="event", by="arm")
    assert sd.lazy
    assert not survstat.SurvivalData.right_censored(frame, time="time", event="event").lazy
    want = risk_table(frame.filter(pl.col("study") == "s2"), time="time", event="event", by="arm")
    assert_frame_equal(risk_table(sd).table, want.table)


@pytest.mark.parametrize("layout", ["file", "hive"])
def test_robust_variance_from_parquet_groups_records(tmp_path, layout):
    # fractional weights switch KM to the infinitesimal-jackknife variance, whose record sums
    # are grouped by key out of core; they must match the per-record sums in memory (to 1e-11:
    # the variance is a difference of sums of squares, which cancels a few digits)
    frame = cohort()
    path = write_layouts(tmp_path, frame)[layout]
    km = {"time": "time", "event": "event", "by": "arm", "weight": "w", "entry": "entry"}
    want = survstat.kaplan_meier(frame, **km)
    got = survstat.kaplan_meier(path, **km)
    assert want.variance == got.variance == "robust"
    # grouped in whatever order the engine's threads finish, then put in a fixed order
    assert survstat.kaplan_meier(path, **km).table.equals(got.table)
    assert_frame_equal(got.table, want.table, check_exact=False, rel_tol=1e-11, abs_tol=1e-15)
    cr = {"time": "time", "cause": "cause", "by": "arm", "weight": "w", "entry": "entry"}
    want = survstat.cumulative_incidence(frame, **cr)
    got = survstat.cumulative_incidence(path, **cr)
    assert want.variance == got.variance == "robust"
    assert_frame_equal(got.table, want.table, check_exact=False, rel_tol=1e-11, abs_tol=1e-15)


def test_tiny_normalised_weights_keep_their_precision(tmp_path):
    # weights normalised to sum to 1 over many rows are ~1e-8: a fixed-point sum with few
    # decimals would lose digits; weights are scaled by a power of two before the exact sum
    frame = cohort(20_000, seed=5)
    frame = frame.with_columns(w=pl.col("w") / pl.col("w").sum())
    path = write_layouts(tmp_path, frame)["file"]
    roles = {"time": "time", "event": "event", "by": "arm", "weight": "w"}
    want = risk_table(frame, **roles).table
    got = risk_table(path, **roles).table
    assert_frame_equal(got, want, check_exact=False, rel_tol=1e-14, abs_tol=0.0)


@pytest.mark.parametrize("source", ["memory", "file"])
def test_a_risk_set_that_all_fails_leaves_exactly_nothing(tmp_path, source):
    # weights entered minus weights exited is not exactly what is still at risk
    # in floats; the risk set is summed from the end of the curve so that n_risk - n_event is
    # exactly 0 when the last records all fail (a 1/(n_risk - n_event) term, as in the
    # Aalen-Johansen variance, would otherwise be 1e16)
    frame = pl.DataFrame(
        {
            "entry": [0.0, 0.0, 0.5, 1.5, 0.0, 2.5],
            "time": [1.0, 2.0, 3.0, 4.0, 5.0, 5.0],
            "event": [1, 0, 1, 0, 1, 1],
            "w": [0.1, 0.2, 0.7, 0.3, 0.35, 0.45],
        }
    )
    data = frame
    if source == "file":
        data = tmp_path / "d.parquet"
        frame.write_parquet(data)
    rt = risk_table(data, time="time", event="event", entry="entry", weight="w").exits_only()
    assert rt.n_risk[-1] - rt.n_event[-1] == 0.0
    assert rt.n_risk.tolist() == pytest.approx([1.35, 1.55, 1.8, 1.1, 0.8], rel=1e-15)
