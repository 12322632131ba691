"""The operating-characteristics figure (`survstat plot oc`): draws the table it reads, keeps
every text inside the figure and apart, and refuses bad tables in one line."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import polars as pl
import pytest
from matplotlib.text import Text
from typer.testing import CliRunner

from survstat.cli import app
from survstat.design.binomial import operating_characteristics
from survstat.errors import ColumnNotFoundError, InvalidValueError, OptionError
from survstat.plot_series.design import oc_figure

runner = CliRunner()


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _texts(fig) -> list[Text]:
    """The figure's drawn texts: titles, axis labels, tick labels within view, annotations,
    legends."""
    fig.canvas.draw()
    found: list[Text] = [*fig.texts]
    for legend in fig.legends:
        found += legend.get_texts()
    for ax in fig.axes:
        found += [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks():
                if low - 1e-9 <= tick.get_loc() <= high + 1e-9:
                    found += [tick.label1, tick.label2]
    return [t for t in found if t.get_visible() and t.get_text().strip()]


def _check_layout(fig) -> None:
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in _texts(fig)]
    for text, e in boxes:
        assert box.x0 - 0.5 <= e.x0, f"{text!r} clipped left"
        assert e.x1 <= box.x1 + 0.5, f"{text!r} clipped right"
        assert box.y0 - 0.5 <= e.y0, f"{text!r} clipped at the bottom"
        assert e.y1 <= box.y1 + 0.5, f"{text!r} clipped at the top"
    for i, (a, ea) in enumerate(boxes):
        for b, eb in boxes[i + 1 :]:
            w = min(ea.x1, eb.x1) - max(ea.x0, eb.x0)
            h = min(ea.y1, eb.y1) - max(ea.y0, eb.y0)
            assert not (w > 0.5 and h > 0.5), f"{a!r} overlaps {b!r}"


def test_two_stage_figure_draws_the_table():
    oc = operating_characteristics(n=43, r=12, n1=13, r1=3).table
    fig = oc_figure(oc, p0=0.2, p1=0.4, title="Simon optimal 3/13, 12/43")
    left, right = fig.axes
    success, stop = (line for line in left.get_lines() if line.get_label().startswith("P("))
    assert np.allclose(success.get_xdata(), oc["true_rate"].to_numpy())
    assert np.allclose(success.get_ydata(), oc["p_success"].to_numpy())
    assert np.allclose(stop.get_ydata(), oc["pet"].to_numpy())
    (expected,) = right.get_lines()
    assert np.allclose(expected.get_ydata(), oc["expected_n"].to_numpy())
    labels = [t.get_text() for t in _texts(fig)]
    assert "p0 = 0.2" in labels
    assert "p1 = 0.4" in labels
    _check_layout(fig)


def test_single_stage_figure_has_no_early_stopping_line():
    oc = operating_characteristics(n=24, r=9).table
    fig = oc_figure(oc, p0=0.23, p1=0.5)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert "P(stop after stage 1)" not in labels
    _check_layout(fig)


@pytest.mark.parametrize(
    ("frame", "options", "error", "message"),
    [
        (pl.DataFrame({"true_rate": [0.1]}), {}, ColumnNotFoundError, "p_success"),
        (
            pl.DataFrame(
                {"true_rate": [1.5], "p_success": [0.1], "pet": [0.0], "expected_n": [3.0]}
            ),
            {},
            InvalidValueError,
            r"`true_rate` \(true response rate\) must be in \[0, 1\]",
        ),
        (
            pl.DataFrame(
                {"true_rate": [0.5], "p_success": [0.1], "pet": [0.0], "expected_n": [3.0]}
            ),
            {"p0": 2.0},
            OptionError,
            r"`--p0` must be in \[0, 1\]; got 2.0",
        ),
    ],
)
def test_bad_tables_are_one_line_errors(frame, options, error, message):
    with pytest.raises(error, match=message):
        oc_figure(frame, **options)


def test_p1_must_be_above_p0():
    oc = operating_characteristics(n=24, r=9).table
    with pytest.raises(
        OptionError, match=r"`--p1` \(the rate worth pursuing\) must be above `--p0`"
    ):
        oc_figure(oc, p0=0.4, p1=0.2)


def test_cli_design_then_figure(tmp_path):
    table = tmp_path / "oc.parquet"
    r = runner.invoke(
        app, ["design", "oc", "--n", "43", "--r", "12", "--n1", "13", "--r1", "3", "-o", str(table)]
    )
    assert r.exit_code == 0, r.output
    figure = tmp_path / "oc.png"
    r = runner.invoke(
        app, ["plot", "oc", str(table), "--p0", "0.2", "--p1", "0.4", "-o", str(figure)]
    )
    assert r.exit_code == 0, r.output
    assert figure.read_bytes().startswith(b"\x89PNG")
