"""Harrell's concordance of any score with its standard error, against R
survival::concordance (tests/reference/make_reference_concordance.R), by hand, and as a
command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import survstat
from survstat.cli import app
from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidValueError,
    MissingValueError,
)
from survstat.estimators.concordance import concordance, concordance_counts

runner = CliRunner()
REF = json.loads(
    (Path(__file__).parent / "reference" / "r_reference_concordance.json").read_text(
        encoding="utf-8"
    )
)
NAMES = ("concordant", "discordant", "tied.x", "tied.y", "tied.xy")


def _data() -> dict[str, pl.DataFrame]:
    gbsg = survstat.datasets.load("gbsg2")
    gbsg = gbsg.with_row_index("row", offset=1).with_columns(
        w=(1 + pl.col("row") % 3).cast(pl.Float64), cl=(pl.col("row") - 1) // 2
    )
    mgus = survstat.datasets.load("mgus2").with_row_index("row", offset=1)
    mgus = mgus.with_columns(w=(1 + pl.col("row") % 3).cast(pl.Float64))
    return {"gbsg2": gbsg, "mgus2": mgus}


CASES = {
    "gbsg2 pnodes risk": ("gbsg2", "time", "cens", "pnodes", {"reverse": True}),
    "gbsg2 age": ("gbsg2", "time", "cens", "age", {}),
    "gbsg2 tsize risk strata horTh": (
        "gbsg2",
        "time",
        "cens",
        "tsize",
        {"reverse": True, "strata": "horTh"},
    ),
    "gbsg2 progrec weights": ("gbsg2", "time", "cens", "progrec", {"weight": "w"}),
    "gbsg2 pnodes risk cluster": (
        "gbsg2",
        "time",
        "cens",
        "pnodes",
        {"reverse": True, "cluster": "cl"},
    ),
    "mgus2 age risk": ("mgus2", "futime", "death", "age", {"reverse": True}),
    "mgus2 age risk strata sex weights": (
        "mgus2",
        "futime",
        "death",
        "age",
        {"reverse": True, "strata": "sex", "weight": "w"},
    ),
}


@pytest.mark.parametrize("compiled", [False, True], ids=["vectorised", "compiled"])
@pytest.mark.parametrize("ref", REF, ids=lambda r: r["name"])
def test_matches_r_concordance(ref, compiled, monkeypatch):
    """Both ways of counting pairs (small data: vectorised merge sort; large: compiled)."""
    if compiled:
        monkeypatch.setattr("survstat.estimators.concordance.COMPILED_FROM", 0)
    name, time, event, score, options = CASES[ref["name"]]
    result = concordance(_data()[name], time=time, event=event, score=score, **options)
    row = result.table.row(0, named=True)
    assert row["concordance"] == pytest.approx(ref["concordance"], rel=1e-12)
    assert row["std_error"] == pytest.approx(ref["std_error"], rel=1e-9)
    count = ref["count"]
    if isinstance(count, list):  # per stratum, column-major: sum each column
        k = len(count) // 5
        count = {n: sum(count[i * k : (i + 1) * k]) for i, n in enumerate(NAMES)}
    got = [row["concordant"], row["discordant"], row["tied_x"], row["tied_y"], row["tied_xy"]]
    assert got == pytest.approx([count[n] for n in NAMES], rel=1e-12)


def test_small_case_by_hand():
    # times 1..4, all events; scores predicting longer survival 1, 3, 2, 4: pairs (i < j):
    # (1,2) conc, (1,3) conc, (1,4) conc, (2,3) disc, (2,4) conc, (3,4) conc: C = 5/6
    frame = pl.DataFrame({"t": [1.0, 2, 3, 4], "e": [1, 1, 1, 1], "s": [1.0, 3, 2, 4]})
    row = concordance(frame, time="t", event="e", score="s").table.row(0, named=True)
    assert (row["concordant"], row["discordant"], row["tied_x"]) == (5.0, 1.0, 0.0)
    assert row["concordance"] == pytest.approx(5 / 6)
    # influence by hand: subject 1 in 3 conc pairs, 2: 2 conc 1 disc, 3: 2 conc 1 disc, 4: 3
    somers = (5 - 1) / 6
    d = np.array([3 - 3 * somers, 1 - 3 * somers, 1 - 3 * somers, 3 - 3 * somers]) / 12
    assert row["std_error"] == pytest.approx(float(np.sqrt(np.sum(d**2))), rel=1e-12)
    assert row["n"] == 4


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(1, 8), st.booleans(), st.integers(0, 4), st.integers(1, 3)),
        min_size=2,
        max_size=25,
    )
)
def test_counts_and_variance_equal_brute_force(rows):
    """Each pair by hand, for the vectorised and the compiled counts."""
    from survstat.estimators import concordance as module

    for start, by_score in ((module.COMPILED_FROM, 8), (0, 0), (0, 10**9)):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(module, "COMPILED_FROM", start)
            # the compiled passes in score order (trees over the times) and in time order
            patch.setattr(module, "BY_SCORE_FROM", by_score)
            _check_against_pairs(rows)


def _check_against_pairs(rows):
    t = np.array([r[0] for r in rows], float)
    e = np.array([r[1] for r in rows])
    s = np.array([r[2] for r in rows], float)
    w = np.array([r[3] for r in rows], float)
    n = len(rows)
    counts = np.zeros(3)
    infl = np.zeros((n, 3))
    for i in range(n):
        for j in range(n):
            # i fails first: event before j's time, or at j's time with j censored
            if not e[i] or not (t[i] < t[j] or (t[i] == t[j] and not e[j])):
                continue
            kind = 0 if s[i] > s[j] else (1 if s[i] < s[j] else 2)
            counts[kind] += w[i] * w[j]
            infl[i, kind] += w[j]
            infl[j, kind] += w[i]
    got = concordance_counts(t, e, s, w, variance=True)
    assert [got.concordant, got.discordant, got.tied_x] == pytest.approx(list(counts))
    pairs = counts.sum()
    if pairs == 0:
        assert got.variance is None
        return
    somers = (counts[0] - counts[1]) / pairs
    dfbeta = ((infl[:, 0] - infl[:, 1]) - infl.sum(axis=1) * somers) * w / (2 * pairs)
    assert got.variance == pytest.approx(float(np.sum(dfbeta**2)), rel=1e-9, abs=1e-15)


@pytest.mark.parametrize(
    ("frame", "error", "message"),
    [
        (
            pl.DataFrame({"t": [1.0, 2], "e": [1, 0], "s": ["a", "b"]}),
            ColumnTypeError,
            r"`s` \(score\) must be numeric",
        ),
        (
            pl.DataFrame({"t": [1.0, 2], "e": [1, 0], "s": [1.0, None]}),
            MissingValueError,
            r"`s` \(score\) has 1 missing value \(first at row 1\)",
        ),
        (
            pl.DataFrame({"t": [1.0, 2], "e": [1, 0], "s": [1.0, float("inf")]}),
            InvalidValueError,
            r"`s` \(score\) must be finite",
        ),
        (pl.DataFrame({"t": [1.0, 2], "e": [1, 0], "x": [1.0, 2.0]}), ColumnNotFoundError, r"s"),
    ],
)
def test_bad_scores_are_one_line_errors(frame, error, message):
    with pytest.raises(error, match=message):
        concordance(frame, time="t", event="e", score="s")


def test_a_boolean_score_counts_false_below_true_and_a_missing_cluster_is_an_error():
    frame = pl.DataFrame(
        {
            "t": [1.0, 2, 3, 4],
            "e": [1, 1, 1, 0],
            "s": [False, True, False, True],
            "c": [1, 1, None, 2],
        }
    )
    as_bool = concordance(frame, time="t", event="e", score="s").table
    as_int = concordance(
        frame.with_columns(pl.col("s").cast(pl.Int64)), time="t", event="e", score="s"
    ).table
    assert as_bool.equals(as_int)
    with pytest.raises(
        MissingValueError, match=r"`c` \(cluster\) has 1 missing value \(first at row 2\)"
    ):
        concordance(frame, time="t", event="e", score="s", cluster="c")


def test_no_comparable_pair_is_null_not_nan():
    frame = pl.DataFrame({"t": [1.0, 2.0], "e": [0, 0], "s": [1.0, 2.0]})
    row = concordance(frame, time="t", event="e", score="s").table.row(0, named=True)
    assert row["concordance"] is None
    assert row["std_error"] is None
    assert row["conf_low"] is None


def test_cli_writes_the_library_table(tmp_path):
    data = tmp_path / "g.parquet"
    survstat.datasets.load("gbsg2").write_parquet(data)
    out = tmp_path / "c.parquet"
    args = ["concordance", str(data), "--time", "time", "--event", "cens", "--score", "pnodes"]
    r = runner.invoke(app, [*args, "--reverse", "-o", str(out)])
    assert r.exit_code == 0, r.output
    expected = concordance(
        survstat.datasets.load("gbsg2"), time="time", event="cens", score="pnodes", reverse=True
    )
    assert pl.read_parquet(out).equals(expected.table)
    r = runner.invoke(app, [*args[:-1], "nodes"])
    assert r.exit_code == 1
    assert "nodes" in r.stderr


@pytest.mark.parametrize("by_score", [0, 10**9], ids=["by score", "by time"])
@pytest.mark.parametrize("seed", range(6))
def test_the_compiled_pair_counts_equal_the_vectorised_ones(seed, by_score, monkeypatch):
    """Large data takes the compiled Fenwick-tree passes (records in score order or in time
    order), small data the vectorised merge sort: the same counts and variance on ties in time
    and score, weights, strata and clusters."""
    from survstat.estimators import concordance as module

    monkeypatch.setattr(module, "BY_SCORE_FROM", by_score)

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    time = rng.integers(1, 12, n).astype(float)
    event = rng.random(n) < 0.6
    score = rng.integers(0, 6, n).astype(float)
    weight = rng.uniform(0.3, 2.5, n) if seed % 2 else None
    strata = rng.integers(0, 3, n) if seed % 3 else None
    cluster = rng.integers(0, 20, n) if seed > 2 else None
    args = (time, event, score, weight, strata)
    want = module.concordance_counts(*args, variance=True, cluster=cluster)
    monkeypatch.setattr(module, "COMPILED_FROM", 0)
    got = module.concordance_counts(*args, variance=True, cluster=cluster)
    monkeypatch.setattr(module, "COMPILED_FROM", 10**9)
    monkeypatch.setattr(module, "COMPILED_FROM_STRATA", 1)  # many strata take it too
    by_strata = module.concordance_counts(*args, variance=True, cluster=cluster)
    fields = ("concordant", "discordant", "tied_x", "tied_y", "tied_xy", "variance")
    for name in fields:
        assert getattr(got, name) == pytest.approx(getattr(want, name), rel=1e-12, abs=1e-12)
        assert getattr(by_strata, name) == pytest.approx(
            getattr(got if strata is not None else want, name), rel=1e-12, abs=1e-12
        )


def test_a_cox_layout_gives_the_same_counts_as_the_records(monkeypatch):
    """A Cox fit hands its layout's tied-time groups to the compiled counts (no sort of the
    records): the same counts and variance, to the bit with whole weights, as the records
    themselves, and the vectorised counts' to rounding."""
    from survstat.estimators import concordance as module
    from survstat.estimators.cox import _concordance

    rng = np.random.default_rng(11)
    n = 30_000
    frame = pl.DataFrame(
        {
            "t": rng.integers(1, 400, n).astype(float),
            "e": (rng.random(n) < 0.6).astype(np.int8),
            "x": rng.integers(0, 50, n).astype(float),  # many ties on the score
            "z": rng.normal(size=n),
            "site": rng.integers(0, 4, n),
            "w": rng.integers(1, 4, n).astype(float),
        }
    )
    fit = survstat.cox(frame, time="t", event="e", covariates=["x", "z"], strata="site", weight="w")
    assert fit.basis is not None
    assert fit.basis.layout is not None
    lay = fit.basis.layout
    eta = np.round(lay.x[:, 0], 6)  # the score ties of x
    got = _concordance(lay, eta, None)
    args = (lay.time, lay.event, eta, lay.w, lay.stratum_start)
    records = module.concordance_counts(*args, variance=True)
    assert got == records
    # with few records per time (399 times for 30,000 records: 75 each) the records go in time
    # order: the same counts to the bit, the variance to rounding (summed in another order)
    monkeypatch.setattr(module, "BY_SCORE_FROM", 10**9)
    by_time = _concordance(lay, eta, None)
    assert (by_time.concordant, by_time.discordant, by_time.tied_x) == (
        got.concordant,
        got.discordant,
        got.tied_x,
    )
    assert (by_time.tied_y, by_time.tied_xy) == (got.tied_y, got.tied_xy)
    assert by_time.variance == pytest.approx(got.variance, rel=1e-12)
    assert got.tied_x > 0
    assert got.tied_xy > 0
    monkeypatch.setattr(module, "COMPILED_FROM", 10**9)
    monkeypatch.setattr(module, "COMPILED_FROM_STRATA", 10**9)
    vectorised = module.concordance_counts(*args, variance=True)
    for name in ("concordant", "discordant", "tied_x", "tied_y", "tied_xy", "variance"):
        assert getattr(got, name) == pytest.approx(getattr(vectorised, name), rel=1e-12)


def test_score_ties_across_strata_are_no_tied_pairs_with_fractional_weights(monkeypatch):
    """Equal scores in different strata are never a pair: tied.x is exactly 0, not the
    rounding residue of a difference of weighted sums."""
    from survstat.estimators import concordance as module

    monkeypatch.setattr(module, "COMPILED_FROM", 0)
    time = np.array([5.0, 3.0, 4.0, 2.0, 6.0, 1.0])
    event = np.array([1, 1, 0, 1, 1, 0], dtype=bool)
    score = np.array([0.3, 0.3, 0.7, 0.7, 0.1, 0.1])
    weight = np.array([0.1, 0.7, 0.3, 1.9, 0.23, 2.1])
    strata = np.array([0, 1, 0, 1, 0, 1])
    got = module.concordance_counts(time, event, score, weight, strata, variance=True)
    assert got.tied_x == 0.0
    assert got.tied_xy == 0.0
    # stratum 0: (t=4 censored, 0.7), (5, 0.3), (6, 0.1): the event at 5 fails before the
    # record at 6 (score 0.3 > 0.1: concordant); stratum 1: (1 censored, 0.1), (2, 0.7),
    # (3, 0.3): the event at 2 before the event at 3 (0.7 > 0.3: concordant)
    assert got.concordant == pytest.approx(0.1 * 0.23 + 1.9 * 0.7, rel=1e-15)
    assert got.discordant == 0.0


@pytest.mark.parametrize("run", [5, 1_000, 70_000])
def test_the_score_order_sorts_doubles_by_value(run):
    """The compiled radix sort: -0.0 is 0.0, negatives before positives, and runs of scores
    that share their upper 32 bits (sorted by insertion, merge sort or radix passes by length)
    in order of their lower bits."""
    from survstat.estimators._sort_kernel import score_order

    rng = np.random.default_rng(run)
    close = 1.0 + rng.permutation(run) * 1e-15  # one run of equal upper halves
    score = np.concatenate([close, [-0.0, 0.0, -1.5, 2.0, -1.5, 1e-300, -1e300], close[:3]])
    score = score[rng.permutation(len(score))]
    order, key = score_order(score)
    assert np.array_equal(np.sort(order), np.arange(len(score)))
    assert np.all(np.diff(score[order]) >= 0)
    assert np.array_equal(key[1:] == key[:-1], score[order][1:] == score[order][:-1])
