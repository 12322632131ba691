"""Publication figures: rendered to files and checked through the figure objects."""

from __future__ import annotations

import matplotlib.pyplot as plt
import polars as pl
import pytest

import survstat
from survstat.plot import cif_figure, forest_figure, km_figure


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _png_ok(fig, path):
    fig.savefig(path, dpi=60)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 5_000  # not blank


def test_km_figure(tmp_path):
    g = survstat.datasets.load("gbsg2")
    km = survstat.kaplan_meier(g, time="time", event="cens", by="horTh")
    times = [0.0, 500.0, 1000.0, 1500.0]
    fig = km_figure(km, at_risk_times=times, annotation="log-rank p = 0.0034", xlabel="days")
    curves, table = fig.axes
    assert [line.get_label() for line in curves.get_lines()][:1] == ["horTh=no"]
    assert len(curves.get_legend().get_texts()) == 2
    # the risk table: one count per curve and time, equal to .at(times)
    shown = [t.get_text() for t in table.texts if t.get_text()[:1].isdigit()]
    expected = [f"{n:g}" for n in km.at(times).get_column("n_risk").to_list()]
    assert sorted(shown) == sorted(expected)
    assert any("log-rank p" in t.get_text() for t in curves.texts)
    _png_ok(fig, tmp_path / "km.png")
    fig.savefig(tmp_path / "km.svg")
    assert (tmp_path / "km.svg").read_text().startswith("<?xml")


def test_cif_figure(tmp_path):
    bmt = pl.read_csv("tests/reference/data/bmt.csv")
    cif = survstat.cumulative_incidence(bmt, time="ftime", cause="status", by="dis")
    fig = cif_figure(cif, cause=1, at_risk_times=[0.0, 12.0, 24.0], annotation="Gray p = 0.01")
    curves, table = fig.axes
    steps = [line for line in curves.get_lines() if line.get_label().startswith("dis=")]
    assert len(steps) == 2
    # each curve ends at the incidence of its last time
    last = cif.table.filter(pl.col("cause") == 1).group_by("dis").agg(pl.col("cif").last())
    ends = sorted(float(line.get_ydata()[-1]) for line in steps)
    assert ends == pytest.approx(sorted(last["cif"].to_list()))
    assert len([t for t in table.texts if t.get_text()[:1].isdigit()]) == 6
    _png_ok(fig, tmp_path / "cif.png")


def test_forest_figure(tmp_path):
    t = pl.DataFrame(
        {
            "subgroup": ["low", "high", "reference"],
            "hazard_ratio": [0.8, 1.7, None],
            "conf_low": [0.4, 0.8, None],
            "conf_high": [1.6, 3.7, None],
        }
    )
    fig = forest_figure(t, label="subgroup")
    (ax,) = fig.axes
    points = [line for line in ax.get_lines() if line.get_marker() == "s"]
    assert len(points) == 2
    assert [lab.get_text() for lab in ax.get_yticklabels()] == ["reference", "high", "low"]
    fig.savefig(tmp_path / "forest.pdf")
    assert (tmp_path / "forest.pdf").read_bytes()[:4] == b"%PDF"
