"""The meta-analysis forest plot: one square per trial sized by its weight, a diamond per
pooled estimate, the prediction interval, and nothing clipped or overlapping."""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from matplotlib.collections import PathCollection
from matplotlib.patches import Polygon

import survstat
from survstat.errors import OptionError
from survstat.plot_series.meta import meta_forest_figure

ROLES: dict[str, Any] = {
    "study": "study",
    "events_treatment": "tb_vaccinated",
    "n_treatment": "n_vaccinated",
    "events_control": "tb_control",
    "n_control": "n_control",
}


@pytest.fixture(scope="module")
def bcg():
    return survstat.datasets.load("bcg_trials")


@pytest.mark.parametrize("measure", ["RR", "OR", "RD"])
def test_squares_diamonds_and_texts(bcg, measure):
    ma = survstat.meta_analysis(bcg, measure=measure, **ROLES)
    fig = meta_forest_figure(ma, title="BCG")
    ax = fig.axes[0]
    squares = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(squares) == ma.studies.height
    sizes = [float(c.get_sizes()[0]) for c in squares]
    weights = ma.studies["weight_random"].to_list()
    heaviest = weights.index(max(weights))
    assert sizes[heaviest] == max(sizes)  # the square's area follows the weight
    diamonds = [p for p in ax.patches if isinstance(p, Polygon)]
    assert len(diamonds) == 2  # fixed and random
    assert ax.get_xscale() == ("linear" if measure == "RD" else "log")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    box = fig.bbox
    texts = [t for t in fig.texts if t.get_text()]
    assert any("Heterogeneity" in t.get_text() for t in texts)
    extents = [t.get_window_extent(renderer) for t in texts]
    for t, e in zip(texts, extents, strict=True):
        assert box.x0 - 1 <= e.x0, t.get_text()
        assert e.x1 <= box.x1 + 1, t.get_text()
        assert box.y0 - 1 <= e.y0, t.get_text()
        assert e.y1 <= box.y1 + 1, t.get_text()
    for i, a in enumerate(extents):
        for b in extents[i + 1 :]:
            assert not a.overlaps(b)
    label = ax.xaxis.label.get_window_extent(renderer)
    assert label.y0 >= box.y0 - 1
    plt.close(fig)


def test_unknown_method_is_an_error(bcg):
    ma = survstat.meta_analysis(bcg, **ROLES)
    with pytest.raises(OptionError, match="no pooled row"):
        meta_forest_figure(ma, random="Paule-Mandel")
