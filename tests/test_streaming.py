"""Parquet inputs are aggregated on polars' streaming engine: same tables as in memory."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import survstat
from survstat.risk import risk_table


def _cohort(n: int = 5_000, seed: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    time = np.round(rng.exponential(30.0, n), 1) + 0.1
    return pl.DataFrame(
        {
            "time": time,
            "event": rng.integers(0, 2, n),
            "cause": rng.integers(0, 3, n),
            "arm": rng.choice(["A", "B", "C"], n),
            "site": rng.integers(0, 4, n),
            "study": rng.choice(["s1", "s2"], n),
            "entry": np.floor(time * rng.random(n) * 0.5),
            "w": rng.uniform(0.2, 3.0, n),
        }
    )


def _layouts(tmp_path, frame: pl.DataFrame) -> dict[str, str]:
    """The same rows as one file, several files (glob), and a Hive-partitioned folder."""
    one = tmp_path / "one.parquet"
    frame.write_parquet(one, row_group_size=700)
    parts = tmp_path / "parts"
    parts.mkdir()
    for i, chunk in enumerate(frame.iter_slices(1_300)):
        chunk.write_parquet(parts / f"part-{i}.parquet")
    hive = tmp_path / "hive"
    for (study,), chunk in frame.group_by("study", maintain_order=True):
        folder = hive / f"study={study}"
        folder.mkdir(parents=True)
        chunk.drop("study").write_parquet(folder / "0.parquet")
    return {"file": str(one), "glob": str(parts / "*.parquet"), "hive": str(hive)}


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
    frame = _cohort()
    path = _layouts(tmp_path, frame)[layout]
    want = risk_table(frame, time="time", event="event", **roles)
    got = risk_table(path, time="time", event="event", **roles)
    exact = "weight" not in roles  # counts are integers: exact; weighted sums to the last bits
    assert_frame_equal(got.table, want.table, check_exact=exact, rel_tol=1e-13)


@pytest.mark.parametrize("layout", ["glob", "hive"])
def test_estimators_from_parquet_equal_in_memory(tmp_path, layout):
    frame = _cohort()
    path = _layouts(tmp_path, frame)[layout]
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
    frame = _cohort(20_000, seed=9)
    path = _layouts(tmp_path, frame)["glob"]
    runs = [risk_table(path, time="time", event="event", by="arm", weight="w") for _ in range(3)]
    for other in runs[1:]:
        assert other.table.equals(runs[0].table)
    # the exact sum rounded once, as math.fsum gives it (weights carry 18 decimals)
    total = math.fsum(frame.filter(pl.col("arm") == "B").get_column("w").to_list())
    first = runs[0].table.filter(pl.col("arm") == "B").get_column("n_risk")[0]
    assert abs(first - total) <= 4e-15 * total


def test_bad_values_in_a_later_file_are_found(tmp_path):
    frame = _cohort()
    paths = _layouts(tmp_path, frame)
    frame.head(5).with_columns(time=pl.lit(-1.0)).write_parquet(
        tmp_path / "parts" / "part-9.parquet"
    )
    with pytest.raises(survstat.SurvstatError, match="`time` must be non-negative; found 5"):
        survstat.kaplan_meier(paths["glob"], time="time", event="event")


def test_lazy_queries_over_parquet_stream_too(tmp_path):
    frame = _cohort()
    path = _layouts(tmp_path, frame)["hive"]
    query = pl.scan_parquet(path, hive_partitioning=True).filter(pl.col("study") == "s2")
    sd = survstat.SurvivalData.right_censored(query, time="time", event="event", by="arm")
    assert sd.lazy
    assert not survstat.SurvivalData.right_censored(frame, time="time", event="event").lazy
    want = risk_table(frame.filter(pl.col("study") == "s2"), time="time", event="event", by="arm")
    assert_frame_equal(risk_table(sd).table, want.table)
