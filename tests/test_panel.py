"""Biomarker panel models: the out-of-sample metrics checked against their definitions on
small data, reproducibility, errors and the command line."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

import survstat
from survstat.cli import app
from survstat.errors import ColumnNotFoundError, EstimationError, InvalidValueError, OptionError
from survstat.estimators.concordance import concordance_counts
from survstat.estimators.panel import _metrics

PANEL = ["age", "tsize", "pnodes", "progrec", "estrec"]


def _small(seed: int, n: int = 60):
    """Untied times and scores, so that every definition is unambiguous."""
    rng = np.random.default_rng(seed)
    t = rng.permutation(np.arange(1, 2 * n + 1))[:n].astype(float) + rng.random(n) * 0.5
    d = rng.random(n) < 0.6
    risk = rng.normal(size=n) - 0.01 * t
    return t, d, risk


def _censoring_survival(t_train, d_train, at):
    """G(s): the Kaplan-Meier estimate of the censoring distribution of the training data,
    right-continuous (survstat's reverse Kaplan-Meier)."""
    frame = pl.DataFrame({"t": t_train, "c": (~d_train).astype(int)})
    km = survstat.kaplan_meier(frame, time="t", event="c")
    return km.at(list(np.atleast_1d(at)))["survival"].to_numpy()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_metrics_equal_their_definitions(seed):
    t, d, risk = _small(seed)
    tr, te = np.arange(len(t)) % 3 != 0, np.arange(len(t)) % 3 == 0
    times = np.quantile(t[te & d], [0.3, 0.6])
    tau = float(times.max())
    rng = np.random.default_rng(seed + 10)
    surv = np.sort(rng.random((te.sum(), len(times))), axis=1)[:, ::-1]
    (harrell, uno, mean_auc, ibs), auc = _metrics(
        t[tr], d[tr], t[te], d[te], risk[te], surv, times, tau
    )
    tt, dd, rr = t[te], d[te], risk[te]
    # the mean AUC weighs the times by the drop of the survival curve: within their range
    assert auc.min() - 1e-12 <= mean_auc <= auc.max() + 1e-12
    # Harrell's C: survstat's concordance of the risk score (R-checked)
    assert harrell == pytest.approx(concordance_counts(tt, dd, rr).value, rel=1e-12)
    # Uno's C: comparable pairs t_i < t_j, t_i < tau, weighted by G(t_i)^-2 (Uno et al. 2011)
    g_i = _censoring_survival(t[tr], d[tr], tt)
    num = den = 0.0
    for i in range(len(tt)):
        if not dd[i] or tt[i] >= tau:
            continue
        w = g_i[i] ** -2
        for j in range(len(tt)):
            if tt[i] < tt[j]:
                den += w
                num += w * (rr[i] > rr[j])
    assert uno == pytest.approx(num / den, rel=1e-10)
    # cumulative/dynamic AUC(s): cases t_i <= s with events, weighted 1 / G(t_i); controls
    # t_j > s (Uno et al. 2007)
    for k, s in enumerate(times):
        cases = np.flatnonzero(dd & (tt <= s))
        controls = np.flatnonzero(tt > s)
        w = 1.0 / g_i[cases]
        hits = sum(w[a] * np.sum(rr[c] > rr[controls]) for a, c in enumerate(cases))
        assert auc[k] == pytest.approx(hits / (w.sum() * len(controls)), rel=1e-10)
    # Brier score(s) with IPCW (Graf et al. 1999), integrated by the trapezoid rule
    g_s = _censoring_survival(t[tr], d[tr], times)
    brier = []
    for k, s in enumerate(times):
        case = dd & (tt <= s)
        control = tt > s
        brier.append(
            np.mean(surv[:, k] ** 2 * case / g_i + (1 - surv[:, k]) ** 2 * control / g_s[k])
        )
    want = np.trapezoid(brier, times) / (times[-1] - times[0])
    assert ibs == pytest.approx(want, rel=1e-10)


@pytest.mark.parametrize("model", ["coxnet", "rsf"])
def test_a_rerun_gives_the_same_numbers_and_the_metrics_are_sane(model):
    g = survstat.datasets.load("gbsg2")
    kwargs = {"time": "time", "event": "cens", "markers": PANEL, "model": model, "folds": 3}
    if model == "rsf":
        kwargs["n_trees"] = 30
    a = survstat.panel_model(g, **kwargs)
    b = survstat.panel_model(g, **kwargs)
    assert_frame_equal(a.folds, b.folds)
    assert a.folds["n_test"].sum() == g.height
    s = {r["metric"]: r["mean"] for r in a.summary.iter_rows(named=True)}
    assert 0.6 < s["harrell_c"] < 0.8  # nodes and receptors carry real information here
    assert 0.0 < s["integrated_brier"] < 0.25
    if model == "coxnet":
        coef = dict(a.coefficients.iter_rows())
        assert coef["pnodes"] > 0  # more nodes, more risk
        assert a.alpha is not None
        assert a.alpha > 0


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"markers": []}, OptionError, "at least one"),
        ({"markers": ["agee"]}, ColumnNotFoundError, "agee"),
        ({"markers": ["age"], "folds": 1}, OptionError, "between 2 and 20"),
        ({"markers": ["age"], "l1_ratio": 0}, OptionError, "l1_ratio"),
        ({"markers": ["age"], "times": [1e6]}, OptionError, "within every fold"),
        ({"markers": ["age"], "model": "svm"}, OptionError, "model"),
        ({"markers": ["gap"]}, InvalidValueError, "missing values"),
    ],
)
def test_errors(kwargs, error, message):
    g = survstat.datasets.load("gbsg2").with_columns(
        pl.when(pl.col("age") > 60).then(None).otherwise(pl.col("age")).alias("gap")
    )
    with pytest.raises(error, match=message):
        survstat.panel_model(g, time="time", event="cens", **kwargs)


def test_too_few_events_is_an_error():
    frame = pl.DataFrame({"t": [1.0, 2, 3, 4, 5, 6], "d": [1, 0, 0, 1, 0, 0], "x": [1.0] * 6})
    with pytest.raises(EstimationError, match="too few"):
        survstat.panel_model(frame, time="t", event="d", markers=["x"])


def test_cli_writes_every_table(tmp_path):
    data = tmp_path / "gbsg2.parquet"
    survstat.datasets.load("gbsg2").write_parquet(data)
    out = tmp_path / "panel.parquet"
    r = CliRunner().invoke(
        app,
        [
            "panel",
            str(data),
            "--time",
            "time",
            "--event",
            "cens",
            "--markers",
            ",".join(PANEL),
            "--folds",
            "3",
            "-o",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    want = survstat.panel_model(
        survstat.datasets.load("gbsg2"), time="time", event="cens", markers=PANEL, folds=3
    )
    assert_frame_equal(pl.read_parquet(out), want.summary)
    assert_frame_equal(pl.read_parquet(tmp_path / "panel.folds.parquet"), want.folds)
    assert_frame_equal(pl.read_parquet(tmp_path / "panel.coefficients.parquet"), want.coefficients)
    assert (tmp_path / "panel.auc.parquet").exists()
