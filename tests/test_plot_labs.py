"""The lab trajectories figure (survstat plot labs): panels, lines, marks and thresholds."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import polars as pl
import pytest

from survstat.analyses.plots import PLOTS
from survstat.errors import ColumnNotFoundError, OptionError, SurvstatWarning

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


def _subjects(ax):
    return sorted(k for k in _lines(ax) if not k.startswith("_"))


def _undefined_labs():
    # C: no value on or before day 1 (no baseline); D: glucose baseline 0 (no percent change,
    # but a change); E: insulin baseline negative
    extra = pl.DataFrame(
        {
            "subject_id": ["C", "C", "D", "D", "D", "D", "E", "E", "E", "E"],
            "PARAMCD": ["GLUC", "INSULIN"] + ["GLUC", "GLUC", "INSULIN", "INSULIN"] * 2,
            "ADY": [8, 8, 1, 8, 1, 8, 1, 8, 1, 8],
            "AVAL": [150.0, 30.0, 0.0, 90.0, 12.0, 15.0, 95.0, 99.0, -2.0, 20.0],
        }
    )
    return pl.concat([LABS, extra])


def test_labs_percent_change_leaves_out_and_names_undefined_series():
    with pytest.warns(SurvstatWarning, match="percent change") as caught:
        fig = PLOTS["labs"].run(_undefined_labs(), scale="percent-change")
    (message,) = [str(w.message) for w in caught]
    assert message == (
        "percent change from baseline is undefined at every result of 4 subject-parameter "
        "series, not drawn (a subject drawn in no panel is left out of the legend): "
        "C GLUC (no baseline: no non-missing value on or before day 1); "
        "C INSULIN (no baseline: no non-missing value on or before day 1); "
        "D GLUC (baseline is 0: percent change undefined); "
        "E INSULIN (baseline is negative: percent change undefined)"
    )
    glucose, insulin = fig.axes
    assert _subjects(glucose) == ["A", "B", "E"]
    assert _subjects(insulin) == ["A", "B", "D"]
    # C has no line anywhere: not in the legend; D and E each have one panel
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["A", "B", "D", "E"]


def test_labs_change_draws_a_zero_or_negative_baseline():
    # CHG is defined from any baseline: only C (no baseline) is left out
    with pytest.warns(
        UserWarning,
        match=r"^change from baseline is undefined at every result "
        r"of 2 subject-parameter series.*: C GLUC \(no baseline",
    ):
        fig = PLOTS["labs"].run(_undefined_labs(), scale="change")
    glucose, insulin = fig.axes
    assert list(_lines(glucose)["D"].get_ydata()) == [0.0, 90.0]
    assert list(_lines(insulin)["E"].get_ydata()) == [0.0, 22.0]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["A", "B", "D", "E"]


def test_labs_marks_only_drawn_subjects():
    patients = pl.DataFrame({"subject_id": ["A", "B", "C"], "pio": [5, None, 3]})
    with pytest.warns(SurvstatWarning, match="C GLUC"):
        fig = PLOTS["labs"].run(
            _undefined_labs(), patients, scale="percent-change", mark="pio", params=["GLUC"]
        )
    (ax,) = fig.axes
    marks = [list(line.get_xdata()) for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert marks == [[5, 5]]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["A", "B", "E", "marked day (dashed)"]


def test_labs_values_draw_every_subject_without_a_warning(recwarn):
    fig = PLOTS["labs"].run(_undefined_labs())
    assert not [w for w in recwarn if "undefined" in str(w.message)]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["A", "B", "C", "D", "E"]


def test_the_labs_module_cites_ctcae_v403_and_says_why_not_v5():
    from survstat.plot_series import labs

    doc = " ".join((labs.__doc__ or "").split())
    assert "Common Terminology Criteria for Adverse Events (CTCAE), version 4.03" in doc
    assert 'June 14, 2010), term "Hyperglycemia"' in doc
    assert "Why v4.03 and not v5.0" in doc
    assert [at for _, at in labs.CTCAE_GLUCOSE] == [160.0, 250.0, 500.0]
