"""The smooth of scaled Schoenfeld residuals against time, against the computation of R
plot.cox.zph (tests/reference/make_reference_zph_smooth.R), and its figure."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import survstat
from survstat.errors import OptionError
from survstat.estimators.cox_zph import zph_smooth

REF = json.loads((Path(__file__).parent / "reference" / "r_reference_zph_smooth.json").read_text())
FIT = survstat.cox(
    survstat.datasets.load("gbsg2"),
    time="time",
    event="cens",
    covariates=["horTh", "age", "tgrade"],
)


@pytest.mark.parametrize("case", REF, ids=lambda c: c["transform"])
def test_matches_plot_cox_zph(case):
    residuals, smooth = zph_smooth(FIT, transform=case["transform"])
    terms = list(FIT.table["term"])
    for term, y, curve in zip(terms, case["y"], case["curves"], strict=True):
        r = residuals.filter(term=term)
        np.testing.assert_allclose(r["x"].to_numpy(), case["x"], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(r["time"].to_numpy(), case["time"], rtol=1e-15)
        np.testing.assert_allclose(r["residual"].to_numpy(), y, rtol=1e-8, atol=1e-10)
        s = smooth.filter(term=term)
        np.testing.assert_allclose(s["x"].to_numpy(), curve["x"], rtol=1e-12, atol=1e-14)
        for ours, theirs in (
            ("estimate", "estimate"),
            ("conf_high", "upper"),
            ("conf_low", "lower"),
        ):
            np.testing.assert_allclose(s[ours].to_numpy(), curve[theirs], rtol=1e-8, atol=1e-10)


def test_bad_options():
    with pytest.raises(OptionError, match=r"`df` must be a whole number of at least 2; got 1"):
        zph_smooth(FIT, df=1)
    with pytest.raises(OptionError, match=r"`transform` must be one of"):
        zph_smooth(FIT, transform="sqrt")  # type: ignore[arg-type]


def test_figure_draws_the_smooth_and_keeps_its_texts_inside():
    from survstat.plot_series.zph import zph_figure

    fig = zph_figure(FIT)
    try:
        assert len(fig.axes) == 4  # one panel per model column
        _, smooth = zph_smooth(FIT)
        line = fig.axes[1].get_lines()[0]
        np.testing.assert_allclose(
            line.get_ydata(), smooth.filter(term="age")["estimate"].to_numpy()
        )
        fig.canvas.draw()
        box = fig.bbox
        renderer = fig.canvas.get_renderer()
        for ax in fig.axes:
            for text in [ax.title, ax.xaxis.label, ax.yaxis.label]:
                if text.get_text():
                    e = text.get_window_extent(renderer)
                    assert box.x0 - 0.5 <= e.x0
                    assert e.x1 <= box.x1 + 0.5
                    assert box.y0 - 0.5 <= e.y0
                    assert e.y1 <= box.y1 + 0.5
            ticks = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
            for a, b in itertools.pairwise(ticks):
                assert a.x1 <= b.x0, "time labels overlap"
    finally:
        plt.close(fig)
