"""Invariants and an independent slow oracle on random data."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import survstat


def slow_kaplan_meier(time, event, entry=None, weight=None):
    """Obviously-correct Kaplan-Meier: loop over distinct times, count the risk set directly."""
    time = np.asarray(time, float)
    event = np.asarray(event, float)
    entry = np.full_like(time, -np.inf) if entry is None else np.asarray(entry, float)
    weight = np.ones_like(time) if weight is None else np.asarray(weight, float)
    out = []
    s, greenwood = 1.0, 0.0
    for t in np.unique(time):
        at_risk = (entry < t) & (time >= t)
        n = weight[at_risk].sum()
        d = (weight * event)[time == t].sum()
        if d > 0:
            s *= 1 - d / n
            greenwood += d / (n * (n - d)) if n > d else np.inf
        out.append((t, n, d, s, s * np.sqrt(greenwood) if s > 0 else np.nan))
    return np.array(out)


@st.composite
def survival_frames(draw, with_entry=False):
    n = draw(st.integers(1, 40))
    times = draw(st.lists(st.integers(1, 12), min_size=n, max_size=n))
    events = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    cols = {"t": [float(t) for t in times], "d": events}
    if with_entry:
        fracs = draw(st.lists(st.integers(0, 9), min_size=n, max_size=n))
        cols["e"] = [t * f / 10 for t, f in zip(times, fracs, strict=True)]
    return pl.DataFrame(cols)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(survival_frames())
def test_matches_slow_oracle(df):
    km = survstat.kaplan_meier(df, time="t", event="d")
    ref = slow_kaplan_meier(df["t"], df["d"].cast(pl.Float64))
    tab = km.table
    np.testing.assert_array_equal(tab["time"].to_numpy(), ref[:, 0])
    np.testing.assert_allclose(tab["n_risk"].to_numpy(), ref[:, 1])
    np.testing.assert_allclose(tab["survival"].to_numpy(), ref[:, 3], rtol=1e-12, atol=1e-15)
    se = tab["std_error"].fill_null(np.nan).to_numpy()
    np.testing.assert_allclose(se, ref[:, 4], rtol=1e-10, atol=1e-15)


@settings(max_examples=100, deadline=None)
@given(survival_frames(with_entry=True))
def test_delayed_entry_matches_slow_oracle(df):
    km = survstat.kaplan_meier(df, time="t", event="d", entry="e")
    ref = slow_kaplan_meier(df["t"], df["d"].cast(pl.Float64), entry=df["e"])
    tab = km.table
    np.testing.assert_allclose(tab["n_risk"].to_numpy(), ref[:, 1])
    np.testing.assert_allclose(tab["survival"].to_numpy(), ref[:, 3], rtol=1e-12, atol=1e-15)


@settings(max_examples=100, deadline=None)
@given(survival_frames(), st.lists(st.integers(1, 4), min_size=40, max_size=40))
def test_integer_weights_equal_duplicated_rows(df, reps):
    w = np.array(reps[: df.height])
    weighted = survstat.kaplan_meier(
        df.with_columns(w=pl.Series(w)), time="t", event="d", weight="w"
    )
    duplicated = survstat.kaplan_meier(
        df.select(pl.all().repeat_by(pl.Series(w)).explode()), time="t", event="d"
    )
    for col in ("time", "n_risk", "n_event", "survival", "std_error", "conf_low", "conf_high"):
        a = weighted.table[col].fill_null(np.nan).to_numpy()
        b = duplicated.table[col].fill_null(np.nan).to_numpy()
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_no_censoring_is_one_minus_ecdf():
    rng = np.random.default_rng(7)
    t = rng.integers(1, 50, 500).astype(float)
    km = survstat.kaplan_meier(pl.DataFrame({"t": t, "d": np.ones(500, int)}), time="t", event="d")
    tab = km.table
    ecdf = np.array([(t <= x).mean() for x in tab["time"]])
    np.testing.assert_allclose(tab["survival"].to_numpy(), 1 - ecdf, atol=1e-14)


def test_groups_equal_separate_fits():
    rng = np.random.default_rng(3)
    df = pl.DataFrame(
        {
            "t": rng.integers(1, 30, 300).astype(float),
            "d": rng.integers(0, 2, 300),
            "g": rng.choice(["x", "y", "z"], 300),
        }
    )
    joint = survstat.kaplan_meier(df, time="t", event="d", by="g").table
    for level in ("x", "y", "z"):
        alone = survstat.kaplan_meier(df.filter(pl.col("g") == level), time="t", event="d").table
        part = joint.filter(pl.col("g") == level).drop("g")
        assert part.equals(alone)


def test_logrank_weights_reduce_to_each_other():
    df = survstat.datasets.load("gbsg2")
    kw = {"time": "time", "event": "cens", "by": "horTh"}
    plain = survstat.logrank(df, **kw)
    fh00 = survstat.logrank(df, weights="fleming-harrington", **kw)
    assert fh00.statistic == pytest.approx(plain.statistic, rel=1e-12)
    assert fh00.table["rho"].item() == 0.0


def test_logrank_with_entry_at_zero_equals_no_entry():
    # with entry at 0 for everyone, the entry-aware risk sets equal the plain ones
    df = survstat.datasets.load("gbsg2").with_columns(start=pl.lit(0.0))
    kw = {"time": "time", "event": "cens", "by": "horTh"}
    a = survstat.logrank(df, entry="start", **kw)
    b = survstat.logrank(df, **kw)
    assert a.statistic == pytest.approx(b.statistic, rel=1e-12)


def test_stratified_logrank_sums_strata():
    df = survstat.datasets.load("gbsg2")
    kw = {"time": "time", "event": "cens", "by": "horTh"}
    strat = survstat.logrank(df, strata="tgrade", **kw)
    parts = [survstat.logrank(df.filter(pl.col("tgrade") == g), **kw) for g in ("I", "II", "III")]
    u = sum(p.per_group["o_minus_e"].to_numpy() for p in parts)
    v = sum(p.covariance for p in parts)
    np.testing.assert_allclose(strat.per_group["o_minus_e"].to_numpy(), u, rtol=1e-12)
    np.testing.assert_allclose(strat.covariance, v, rtol=1e-12)


def test_fractional_weights_refused_by_logrank():
    df = survstat.datasets.load("gbsg2").with_columns(w=pl.lit(0.5))
    with pytest.raises(survstat.SurvstatError, match="`w`: log-rank tests take frequency weights"):
        survstat.logrank(df, time="time", event="cens", by="horTh", weight="w")


def test_single_group_refused_by_logrank():
    df = survstat.datasets.load("gbsg2").with_columns(one=pl.lit("a"))
    with pytest.raises(survstat.SurvstatError, match="`one` has a single group"):
        survstat.logrank(df, time="time", event="cens", by="one")


def test_deterministic_output():
    df = survstat.datasets.load("gbsg2")
    a = survstat.kaplan_meier(df, time="time", event="cens", by="horTh").table
    b = survstat.kaplan_meier(
        df.sample(fraction=1.0, shuffle=True, seed=1), time="time", event="cens", by="horTh"
    ).table
    assert a.equals(b)


def test_risk_table_counts():
    df = pl.DataFrame({"t": [1, 2, 2, 2, 5], "d": [1, 1, 0, 1, 0], "e": [0, 0, 1, 0, 3]})
    rt = survstat.risk_table(df, time="t", event="d", entry="e").table
    assert rt.to_dict(as_series=False) == {
        "time": [0.0, 1.0, 2.0, 3.0, 5.0],
        "n_risk": [0.0, 3.0, 3.0, 0.0, 1.0],
        "n_event": [0.0, 1.0, 2.0, 0.0, 0.0],
        "n_censor": [0.0, 0.0, 1.0, 0.0, 1.0],
        "n_entry": [3.0, 1.0, 0.0, 1.0, 0.0],
    }


@pytest.mark.parametrize(
    "roles", [{}, {"weight": "w"}, {"entry": "e"}, {"entry": "e", "weight": "w"}]
)
def test_hashed_and_sorted_aggregations_agree(roles):
    from survstat.data import SurvivalData
    from survstat.engines._sorted import aggregate_sorted
    from survstat.engines.polars import aggregate_hashed
    from survstat.risk import _finish

    rng = np.random.default_rng(11)
    n = 2000
    t = rng.integers(1, 60, n).astype(float)
    df = pl.DataFrame(
        {
            "t": t,
            "d": rng.integers(0, 2, n),
            "g": rng.choice(["b", "a", "c"], n),
            "s": rng.integers(0, 2, n),
            "w": rng.random(n) * 3,
            "e": np.floor(t * rng.random(n)),
        }
    )
    sd = SurvivalData.right_censored(df, time="t", event="d", by="g", strata="s", **roles)
    frame = df.select("s", "g", "t", "d", "e", "w")
    a = _finish(aggregate_hashed(frame.lazy(), sd), sd)
    b = _finish(aggregate_sorted(frame, sd), sd)
    c = _finish(aggregate_hashed(frame.lazy(), sd, streaming=True), sd)
    # weighted sums may differ in summation order only
    assert_frame_equal(a.table, b.table, check_exact="weight" not in roles, rel_tol=1e-12)
    assert_frame_equal(c.table, b.table, check_exact="weight" not in roles, rel_tol=1e-12)
    np.testing.assert_array_equal(a.n_exit_records, b.n_exit_records)
    np.testing.assert_array_equal(a.offsets, b.offsets)


@pytest.mark.parametrize(
    ("dtype", "times"),
    [
        (pl.Int32, "days"),
        (pl.String, "days"),
        (pl.Int64, "days"),
        (pl.Int32, "two decimals"),
        (pl.Int32, "continuous"),
        (pl.String, "huge"),
    ],
)
def test_many_groups_equal_separate_fits(dtype, times):
    """From 64 groups on the risk table is built by sorting; results must not change."""
    rng = np.random.default_rng(5)
    n = 3000
    g = rng.integers(0, 80, n) * (10**12 if dtype == pl.Int64 else 1)
    t = {
        "days": rng.integers(1, 40, n).astype(float),
        "two decimals": np.round(rng.exponential(5, n), 2),
        "continuous": rng.exponential(5, n),
        "huge": rng.integers(1, 40, n) * 1e15,
    }[times]
    df = pl.DataFrame({"t": t, "d": rng.integers(0, 2, n), "g": g}).with_columns(
        pl.col("g").cast(dtype)
    )
    joint = survstat.kaplan_meier(df, time="t", event="d", by="g").table
    assert joint.schema["g"] == dtype
    levels = sorted(set(df["g"].to_list()))
    assert joint["g"].unique(maintain_order=True).to_list() == levels
    for level in levels[:10]:
        alone = survstat.kaplan_meier(df.filter(pl.col("g") == level), time="t", event="d").table
        assert joint.filter(pl.col("g") == level).drop("g").equals(alone)


def test_plot_draws_one_curve_per_group(tmp_path):
    import matplotlib.pyplot as plt

    km = survstat.kaplan_meier(
        survstat.datasets.load("gbsg2"), time="time", event="cens", by="horTh"
    )
    ax = km.plot()
    steps = [line for line in ax.get_lines() if line.get_drawstyle() == "steps-post"]
    assert len(steps) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["no", "yes"]
    out = tmp_path / "km.png"
    ax.figure.savefig(out, dpi=60)
    image = plt.imread(out)
    assert image.shape[0] > 100
    assert image.shape[1] > 100
    assert image[..., :3].std() > 0.05  # not blank
    plt.close(ax.figure)


def test_weighted_results_are_bit_for_bit_repeatable():
    rng = np.random.default_rng(9)
    n = 50_000
    df = pl.DataFrame(
        {
            "t": np.round(rng.exponential(10, n), 2),
            "d": rng.integers(0, 2, n),
            "w": rng.random(n),
            "g": rng.integers(0, 3, n),
        }
    )
    runs = [
        survstat.kaplan_meier(df, time="t", event="d", weight="w", by="g").table for _ in range(3)
    ]
    assert runs[0].equals(runs[1])
    assert runs[0].equals(runs[2])
