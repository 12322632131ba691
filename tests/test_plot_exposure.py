"""The small-series figures: cumulative relative dose intensity and lab trajectories."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import polars as pl
import pytest

from survstat.analyses.plots import PLOTS
from survstat.errors import ColumnNotFoundError, OptionError

EXPOSURE = pl.DataFrame(
    {
        "subject_id": ["A", "A", "B"],
        "start_day": [1, 15, 1],
        "end_day": [7, 28, 10],
        "dose": [300.0, 300.0, 300.0],
    }
)
LABS = pl.DataFrame(
    {
        "subject_id": ["A"] * 4 + ["B"] * 4,
        "PARAMCD": ["GLUC", "GLUC", "INSULIN", "INSULIN"] * 2,
        "ADY": [1, 8, 1, 8] * 2,
        "AVAL": [100.0, 300.0, 20.0, 40.0, 110.0, 120.0, 10.0, 5.0],
    }
)
PATIENTS = pl.DataFrame({"subject_id": ["A", "B"], "pio": [5, None]})


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


def test_labs_panels_lines_and_marks():
    fig = PLOTS["labs"].run(
        LABS,
        PATIENTS,
        mark="pio",
        mark_label="pioglitazone start",
        glucose="GLUC",
        uln=["INSULIN=25"],
    )
    glucose, insulin = fig.axes[:2]
    assert [line.get_label() for line in glucose.get_lines()][:2] == ["A", "B"]
    assert list(_lines(glucose)["A"].get_ydata()) == [100.0, 300.0]
    # one dashed mark (A's day 5; B has none), and the CTCAE v4.03 lines within range
    verticals = [line for line in glucose.get_lines() if list(line.get_xdata()) == [5, 5]]
    assert len(verticals) == 1
    texts = [t.get_text() for t in glucose.texts]
    assert texts == ["CTCAE v4.03\ngrade 2 (>160)", "CTCAE v4.03\ngrade 3 (>250)"]
    assert [t.get_text() for t in insulin.texts] == ["ULN (25)"]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["A", "B", "pioglitazone start (dashed)"]


def test_labs_percent_change_starts_at_zero_and_has_no_thresholds():
    fig = PLOTS["labs"].run(LABS, scale="percent-change", glucose="GLUC", params=["INSULIN"])
    (ax,) = fig.axes
    assert list(_lines(ax)["A"].get_ydata()) == [0.0, 100.0]
    assert list(_lines(ax)["B"].get_ydata()) == [0.0, -50.0]
    assert len(ax.texts) == 0
    assert ax.get_ylabel() == "INSULIN: % change"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"params": ["HBA1C"]},
            OptionError,
            r"`params` names 1 parameters not in `PARAMCD` "
            r"\(first: 'HBA1C'\); the parameters are GLUC, INSULIN",
        ),
        ({"uln": ["INSULIN"]}, OptionError, "`uln` must be PARAM=VALUE pairs"),
        ({"uln": ["INSULIN=high"]}, OptionError, "`uln` must be PARAM=VALUE with a number"),
        ({"mark": "start"}, ColumnNotFoundError, "column `start` \\(given as mark\\) not found"),
    ],
)
def test_labs_bad_options(kwargs, error, match):
    with pytest.raises(error, match=match):
        PLOTS["labs"].run(LABS, **kwargs)
