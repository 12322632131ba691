"""The results' quick plots, ``km.plot()`` and ``cif.plot()``: the names, colours and line
styles of the KMunicate figures, and a legend above the plot, off the curves."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import polars as pl
import pytest

import survstat
from survstat.errors import OptionError
from survstat.plot import LINESTYLES, PALETTE, km_figure


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _steps(ax):
    return [line for line in ax.get_lines() if line.get_drawstyle() == "steps-post"]


def _legend_off_the_curves(ax) -> None:
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    plot = ax.get_window_extent(renderer)
    assert legend.y0 >= plot.y1 - 0.5  # above the plot area
    box = fig.bbox
    for text in [*ax.get_legend().get_texts(), ax.get_legend().get_title()]:
        e = text.get_window_extent(renderer)
        assert box.x0 - 0.5 <= e.x0
        assert e.x1 <= box.x1 + 0.5
        assert box.y0 - 0.5 <= e.y0
        assert e.y1 <= box.y1 + 0.5


def _bmt() -> pl.DataFrame:
    bmt = pl.read_csv("tests/reference/data/bmt.csv")
    return bmt.with_columns(
        pl.Series("arm", ["A", "B", "C"] * (bmt.height // 3) + ["A"] * (bmt.height % 3))
    )


def test_km_plot_takes_the_names_palette_and_styles_of_km_figure():
    g = survstat.datasets.load("gbsg2")
    km = survstat.kaplan_meier(g, time="time", event="cens", by="horTh")
    ax = km.plot()
    steps = _steps(ax)
    assert [line.get_color() for line in steps] == list(PALETTE[:2])
    assert [line.get_linestyle() for line in steps] == list(LINESTYLES[:2])
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "horTh"
    assert [t.get_text() for t in legend.get_texts()] == ["no", "yes"]
    # the same as the publication figure's
    fig = km_figure(km)
    names = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert names == ["no", "yes"]
    figure_steps = _steps(fig.axes[0])
    assert [line.get_color() for line in figure_steps] == [line.get_color() for line in steps]
    _legend_off_the_curves(ax)
    # censoring marks in the curve's colour, without a line
    marks = [line for line in ax.get_lines() if line.get_marker() == "+"]
    assert [m.get_color() for m in marks] == list(PALETTE[:2])
    assert {m.get_linestyle() for m in marks} == {"None"}


def test_km_plot_on_a_given_axes_and_without_groups():
    g = survstat.datasets.load("gbsg2")
    _fig, ax = plt.subplots()
    km = survstat.kaplan_meier(g, time="time", event="cens")
    assert km.plot(ax, conf_int=False, censor_marks=False) is ax
    assert [line.get_color() for line in _steps(ax)] == [PALETTE[0]]
    assert ax.get_legend() is None
    assert not ax.collections


def test_cif_plot_draws_one_cause_per_group():
    cif = survstat.cumulative_incidence(_bmt(), time="ftime", cause="status", by="arm")
    ax = cif.plot()
    steps = _steps(ax)
    assert [line.get_color() for line in steps] == list(PALETTE[:3])
    assert [line.get_linestyle() for line in steps] == list(LINESTYLES[:3])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["A", "B", "C"]
    assert ax.get_ylabel() == "cumulative incidence (1)"
    assert steps[0].get_ydata()[0] == 0.0
    _legend_off_the_curves(ax)
    ax2 = cif.plot(cause=2)
    assert ax2.get_ylabel() == "cumulative incidence (2)"
    last = cif.table.filter((pl.col("cause") == 2) & (pl.col("arm") == "A"))["cif"][-1]
    assert _steps(ax2)[0].get_ydata()[-1] == pytest.approx(last, rel=1e-12)


def test_cif_plot_of_an_unknown_cause_is_one_clear_error():
    cif = survstat.cumulative_incidence(_bmt(), time="ftime", cause="status", by="arm")
    with pytest.raises(
        OptionError, match=r"`cause` must be one of the result's causes \(1, 2\); got 3"
    ):
        cif.plot(cause=3)


def test_km_plot_legend_reads_row_by_row_in_curve_order():
    """Six curves: four to a row, read left to right, row by row, in curve order."""
    g = survstat.datasets.load("gbsg2").with_row_index("i")
    g = g.with_columns(group=(pl.col("i") % 6).cast(pl.String).str.replace(r"^", "group "))
    ax = survstat.kaplan_meier(g, time="time", event="cens", by="group").plot()
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    texts = [(t.get_window_extent(renderer), t.get_text()) for t in ax.get_legend().get_texts()]
    read = [name for e, name in sorted(texts, key=lambda x: (-round(x[0].y0), x[0].x0))]
    assert read == [f"group {i}" for i in range(6)]
    assert [h.get_color() for h in ax.get_legend().legend_handles] == [
        PALETTE[int(t.get_text()[-1])] for t in ax.get_legend().get_texts()
    ]
    assert [line.get_color() for line in _steps(ax)] == list(PALETTE[:6])
    _legend_off_the_curves(ax)


def test_figures_name_the_probability_axis_as_asked(tmp_path):
    from typer.testing import CliRunner

    from survstat.cli import app
    from survstat.plot import cif_figure

    g = survstat.datasets.load("gbsg2")
    km = survstat.kaplan_meier(g, time="time", event="cens", by="horTh")
    assert km_figure(km).axes[0].get_ylabel() == "survival probability"
    shown = km_figure(km, ylabel="recurrence-free survival").axes[0].get_ylabel()
    assert shown == "recurrence-free survival"
    cif = survstat.cumulative_incidence(_bmt(), time="ftime", cause="status", by="arm")
    assert cif_figure(cif).axes[0].get_ylabel() == "cumulative incidence (1)"
    assert cif_figure(cif, ylabel="relapse").axes[0].get_ylabel() == "relapse"
    # and from the command line
    g.write_parquet(tmp_path / "g.parquet")
    r = CliRunner().invoke(
        app,
        [
            "plot", "km", str(tmp_path / "g.parquet"), "--time", "time", "--event", "cens",
            "--ylabel", "recurrence-free survival", "-o", str(tmp_path / "km.png"),
        ],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert (tmp_path / "km.png").stat().st_size > 0
