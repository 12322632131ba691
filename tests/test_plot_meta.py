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
    with pytest.raises(OptionError, match="'Mantel-Haenszel' is not a random-effects row"):
        meta_forest_figure(ma, random="Mantel-Haenszel")


@pytest.mark.parametrize(
    ("random", "header"),
    [
        ("REML", "Weight\n(REML)"),
        ("REML + Hartung-Knapp", "Weight\n(REML)"),
        ("DerSimonian-Laird", "Weight\n(DL)"),
        ("DerSimonian-Laird + Hartung-Knapp", "Weight\n(DL)"),
    ],
)
def test_weight_header_names_the_random_effects_model(bcg, random, header):
    # the Mantel-Haenszel diamond is drawn too: the header says whose weights these are, and
    # the weights and squares are that model's, 100 / (v_i + tau2) normalised
    ma = survstat.meta_analysis(bcg, measure="RR", **ROLES)
    fig = meta_forest_figure(ma, random=random)
    texts = _texts(fig)
    assert header in texts
    assert not any(t.startswith("Weight") and t != header for t in texts)
    tau2 = ma.pooled.filter(ma.pooled["method"] == random)["tau2"].item()
    w = 1 / (ma.studies["vi"].to_numpy() + tau2)
    assert [f"{x:.1f}%" for x in 100 * w / w.sum()] == [
        t for t in texts if t.endswith("%") and t[0].isdigit()
    ]
    squares = [c for c in fig.axes[0].collections if isinstance(c, PathCollection)]
    sizes = [float(c.get_sizes()[0]) for c in squares]
    assert sizes.index(max(sizes)) == int(w.argmax())
    plt.close(fig)


def test_metformin_labels_fit_without_overlap():
    # the case study's longest labels ("A: METTEN (published counts)") and two-line headers
    trials = survstat.datasets.load("metformin_trials")
    roles = {
        "study": "trial",
        "events_treatment": "pcr_metformin",
        "n_treatment": "n_metformin",
        "events_control": "pcr_control",
        "n_control": "n_control",
    }
    ma = survstat.meta_analysis(trials, measure="RR", **roles)
    fig = meta_forest_figure(ma, treatment="Metformin", title="pCR (trials B–H SYNTHETIC)")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    texts = [t for t in fig.texts if t.get_text()]
    assert "A: METTEN (published counts)" in [t.get_text() for t in texts]
    extents = [t.get_window_extent(renderer) for t in texts]
    for t, e in zip(texts, extents, strict=True):
        assert fig.bbox.x0 - 1 <= e.x0, t.get_text()
        assert e.x1 <= fig.bbox.x1 + 1, t.get_text()
    for i, a in enumerate(extents):
        for b in extents[i + 1 :]:
            assert not a.overlaps(b)
    plt.close(fig)


# --- survstat plot meta: the command and the job step ---------------------------------------

_FLAGS = [
    "--study",
    "study",
    "--events-treatment",
    "tb_vaccinated",
    "--n-treatment",
    "n_vaccinated",
    "--events-control",
    "tb_control",
    "--n-control",
    "n_control",
]


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.texts]


def test_plot_meta_command_writes_the_figure(tmp_path):
    from typer.testing import CliRunner

    from survstat.cli import app

    data = tmp_path / "bcg.parquet"
    survstat.datasets.load("bcg_trials").write_parquet(data)
    out = tmp_path / "forest.png"
    args = ["plot", "meta", str(data), *_FLAGS, "--measure", "RR", "--treatment", "BCG"]
    r = CliRunner().invoke(app, [*args, "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = CliRunner().invoke(app, [*args, "--random", "tau", "-o", str(out)])
    assert r.exit_code == 2
    assert "tau" in r.output


def test_plot_meta_draws_the_numbers_of_meta(bcg):
    from survstat.analyses.plots import PLOTS

    roles = {k: v for k, v in ROLES.items()}
    ma = survstat.meta_analysis(bcg, measure="OR", **roles)
    fig = PLOTS["meta"].run(bcg, measure="OR", random="reml-hk", fixed="iv", **roles)
    texts = _texts(fig)
    for method in ("REML + Hartung-Knapp", "inverse variance"):
        row = ma.pooled.filter(ma.pooled["method"] == method).row(0, named=True)
        drawn = f"{row['estimate']:.2f} [{row['conf_low']:.2f}, {row['conf_high']:.2f}]"
        assert drawn in texts, method
    assert "Fixed effect, inverse variance" in texts
    assert "Random effects, REML + Hartung-Knapp" in texts
    # the squares and weights are REML's: the first trial's
    assert f"{ma.studies['weight_random'][0]:.1f}%" in texts
    plt.close(fig)


def test_plot_meta_weights_follow_the_random_effects_model(bcg):
    # with DerSimonian-Laird the trials' weights are 1 / (v_i + tau2_DL), in percent
    from survstat.analyses.plots import PLOTS

    ma = survstat.meta_analysis(bcg, measure="RR", **ROLES)
    tau2 = ma.pooled.filter(ma.pooled["method"] == "DerSimonian-Laird")["tau2"].item()
    w = 1 / (ma.studies["vi"].to_numpy() + tau2)
    expected = [f"{x:.1f}%" for x in 100 * w / w.sum()]
    fig = PLOTS["meta"].run(bcg, measure="RR", random="dl", fixed="none", **ROLES)
    texts = _texts(fig)
    assert all(e in texts for e in expected)
    assert not any(t.startswith("Fixed effect") for t in texts)
    plt.close(fig)


def test_plot_meta_confidence_level_is_shown(bcg):
    from survstat.analyses.plots import PLOTS

    fig = PLOTS["meta"].run(bcg, measure="RR", conf_level=0.9, **ROLES)
    assert "RR [90% CI]" in _texts(fig)
    assert fig.axes[0].get_xlabel() == "risk ratio (90% CI)"
    plt.close(fig)


def test_plot_meta_bad_choice_from_python_is_an_option_error(bcg):
    from survstat.analyses.plots import PLOTS

    with pytest.raises(OptionError, match="random"):
        PLOTS["meta"].run(bcg, random="tau", **ROLES)


def test_plot_meta_job_step(tmp_path):
    from survstat.batch import load_job, run_job

    job = tmp_path / "job.toml"
    job.write_text(
        """
[job]
output = "out"

[inputs]
bcg = { dataset = "bcg_trials" }

[[step]]
name = "forest"
plot = "meta"
input = "bcg"
study = "study"
events_treatment = "tb_vaccinated"
n_treatment = "n_vaccinated"
events_control = "tb_control"
n_control = "n_control"
measure = "RR"
formats = ["png", "svg"]
""",
        encoding="utf-8",
    )
    manifest = run_job(load_job(job))
    assert manifest["status"].to_list() == ["ok"]
    assert (tmp_path / "out" / "forest.png").is_file()
    assert (tmp_path / "out" / "forest.svg").is_file()


@pytest.mark.parametrize("measure", ["RR", "RD"])
def test_favours_labels_sit_under_the_axis_without_overlap(bcg, measure):
    # "← favours LEFT" at the axis' left end, "favours RIGHT →" at its right end, under the
    # tick labels and the axis label, inside the figure
    from survstat.analyses.plots import PLOTS

    fig = PLOTS["meta"].run(
        bcg, measure=measure, favours_left="BCG", favours_right="Control", **ROLES
    )
    ax = fig.axes[0]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    texts = {t.get_text(): t for t in fig.texts}
    left, right = texts["← favours BCG"], texts["favours Control →"]
    boxes = [t.get_window_extent(renderer) for t in (left, right)]
    label = ax.xaxis.label.get_window_extent(renderer)
    ticks = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
    axis = ax.get_window_extent(renderer)
    assert boxes[0].x0 == pytest.approx(axis.x0, abs=1)
    assert boxes[1].x1 == pytest.approx(axis.x1, abs=1)
    assert not boxes[0].overlaps(boxes[1])
    for box in boxes:
        assert box.y1 <= label.y0
        assert all(box.y1 <= t.y0 for t in ticks)
        assert fig.bbox.x0 <= box.x0
        assert box.x1 <= fig.bbox.x1
        assert fig.bbox.y0 <= box.y0
    plt.close(fig)


def test_favours_without_labels_adds_nothing(bcg):
    from survstat.analyses.plots import PLOTS

    fig = PLOTS["meta"].run(bcg, measure="RR", **ROLES)
    assert not any("favours" in t for t in _texts(fig))
    plt.close(fig)


def test_favours_needs_both_sides(bcg):
    from survstat.analyses.plots import PLOTS

    with pytest.raises(OptionError, match="`favours_left` and `favours_right` go together"):
        PLOTS["meta"].run(bcg, favours_left="BCG", **ROLES)


def test_favours_from_the_command_line(tmp_path):
    from typer.testing import CliRunner

    from survstat.cli import app

    data = tmp_path / "bcg.parquet"
    survstat.datasets.load("bcg_trials").write_parquet(data)
    out = tmp_path / "forest.png"
    args = ["plot", "meta", str(data), *_FLAGS, "--favours-left", "BCG"]
    r = CliRunner().invoke(app, [*args, "--favours-right", "Control", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.is_file()
    r = CliRunner().invoke(app, [*args, "-o", str(out)])
    assert r.exit_code == 1
    assert "go together" in r.output
