"""The cumulative relative dose intensity figure (survstat plot dose-intensity)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import polars as pl
import pytest

from survstat.analyses.plots import PLOTS

EXPOSURE = pl.DataFrame(
    {
        "subject_id": ["A", "A", "B"],
        "start_day": [1, 15, 1],
        "end_day": [7, 28, 10],
        "dose": [300.0, 300.0, 300.0],
    }
)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _lines(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_rdi_lines_are_daily_and_end_at_each_subjects_rdi():
    fig = PLOTS["dose-intensity"].run(EXPOSURE, planned_dose=300.0)
    lines = _lines(fig.axes[0])
    a = lines["A"]
    days, pct = list(a.get_xdata()), list(a.get_ydata())
    assert days == list(range(1, 29))
    # through day 14: 7 doses of 14 planned; day 28: 21 of 28
    assert pct[13] == pytest.approx(50.0, rel=1e-12)
    assert pct[-1] == pytest.approx(75.0, rel=1e-12)
    # after the interruption the ratio climbs as a curve, not a straight line
    assert pct[20] - pct[14] > pct[27] - pct[21]
    assert list(lines["B"].get_ydata()) == [100.0] * 10
    assert "planned (100%)" in lines
