"""Cox model curves over the Kaplan-Meier curves (`survstat plot km --cox-covariates`,
``km_figure(..., overlay=cox_overlay(km, fit))``): one dashed line per arm in the arm's
colour, equal to the model's survival curve of the arm's profile, named in the legend and
explained in a footnote, every text inside the figure and apart from the others."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import polars as pl
import pytest
from matplotlib.colors import to_hex
from typer.testing import CliRunner

import survstat
from survstat.analyses.plots import PLOTS
from survstat.cli import app
from survstat.errors import OptionError
from survstat.plot_curves import OVERLAY_STYLE, PALETTE, cox_overlay, km_figure

runner = CliRunner()
ARMS = ("A: fulvestrant + AKTi", "B: aromatase inhibitor + AKTi", "C: fulvestrant + AKTi")


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _gbsg(n_arms: int) -> pl.DataFrame:
    g = survstat.datasets.load("gbsg2")
    return g.with_columns(pl.Series("arm", [ARMS[i % n_arms] for i in range(g.height)]))


def _figure(n_arms: int, **options):
    return PLOTS["km"].run(
        _gbsg(n_arms),
        time="time",
        event="cens",
        by=["arm"],
        cox_covariates=["age", "tgrade"],
        **options,
    )


def _dashed(ax):
    """The overlaid lines: drawn with the overlay's dashes."""
    width = OVERLAY_STYLE["lw"]
    return [line for line in ax.get_lines() if line.get_linewidth() == width]


def _extent(text):
    return text.get_window_extent(text.figure.canvas.get_renderer())


@pytest.mark.parametrize("n_arms", [2, 3])
def test_one_dashed_line_per_arm_in_its_colour_equal_to_the_model(n_arms):
    fig = _figure(n_arms)
    ax = fig.axes[0]
    dashed = _dashed(ax)
    assert len(dashed) == n_arms
    assert [to_hex(line.get_color()) for line in dashed] == [to_hex(c) for c in PALETTE[:n_arms]]
    fit = survstat.cox(
        _gbsg(n_arms), time="time", event="cens", covariates=["arm", "age", "tgrade"]
    )
    age = float(survstat.datasets.load("gbsg2")["age"].mean())  # type: ignore[arg-type]
    for i, line in enumerate(dashed):
        curve = fit.survival({"arm": ARMS[i], "age": age, "tgrade": "I"}).table
        x, y = line.get_data()
        assert np.allclose(np.asarray(x)[1:], curve["time"].to_numpy(), rtol=0, atol=0)
        assert np.allclose(np.asarray(y)[1:], curve["survival"].to_numpy(), rtol=1e-12)
        assert line.get_drawstyle() == "steps-post"


@pytest.mark.parametrize("n_arms", [2, 3])
def test_legend_and_footnote_say_what_the_dashed_lines_are(n_arms):
    fig = _figure(n_arms)
    legend = fig.axes[0].get_legend()
    assert "Cox model" in [t.get_text() for t in legend.get_texts()]
    footnote = " ".join(fig._supxlabel.get_text().split())  # type: ignore[attr-defined]
    assert footnote.startswith("Dashed lines: Cox model (arm + age + tgrade) survival of each")
    assert "age at its mean 53.05" in footnote
    assert footnote.endswith("tgrade at I (reference).")


@pytest.mark.parametrize("n_arms", [2, 3])
@pytest.mark.parametrize("width", [5.0, 7.5])
def test_nothing_clipped_nothing_overlapping(n_arms, width):
    """Every text inside the figure, no two texts overlapping, the footnote under the table."""
    fig = _figure(n_arms, width=width, cumulative_events=True)
    fig.canvas.draw()
    curves, table = fig.axes
    legend = curves.get_legend()
    footnote = fig._supxlabel  # type: ignore[attr-defined]
    texts = [legend.get_title(), *legend.get_texts(), *curves.texts, *table.texts, footnote]
    texts += [curves.xaxis.label, curves.yaxis.label, *curves.get_xticklabels()]
    texts = [t for t in texts if t.get_visible() and t.get_text()]
    box = fig.bbox
    for t in texts:
        e = _extent(t)
        assert box.x0 - 0.5 <= e.x0, f"{t.get_text()!r} clipped left"
        assert e.x1 <= box.x1 + 0.5, f"{t.get_text()!r} clipped right"
        assert box.y0 - 0.5 <= e.y0, f"{t.get_text()!r} clipped at the bottom"
        assert e.y1 <= box.y1 + 0.5, f"{t.get_text()!r} clipped at the top"
    boxes = [(t.get_text(), _extent(t)) for t in texts]
    for i, (a, ea) in enumerate(boxes):
        for b, eb in boxes[i + 1 :]:
            w = min(ea.x1, eb.x1) - max(ea.x0, eb.x0)
            h = min(ea.y1, eb.y1) - max(ea.y0, eb.y0)
            assert not (w > 0.5 and h > 0.5), f"{a!r} overlaps {b!r}"
    lowest = min(_extent(t).y0 for t in table.texts if t.get_text())
    assert _extent(footnote).y1 <= lowest


def test_without_covariates_no_overlay_and_no_footnote():
    fig = PLOTS["km"].run(_gbsg(2), time="time", event="cens", by=["arm"])
    assert not _dashed(fig.axes[0])
    assert fig._supxlabel is None  # type: ignore[attr-defined]


def test_numeric_arm_codes_are_categories():
    """An arm coded 1/2/3 gets one coefficient per arm, not a slope."""
    g = survstat.datasets.load("gbsg2").with_columns(
        code=pl.col("tgrade").replace_strict({"I": 1, "II": 2, "III": 3})
    )
    fig = PLOTS["km"].run(g, time="time", event="cens", by=["code"], cox_covariates=["age"])
    dashed = _dashed(fig.axes[0])
    fit = survstat.cox(g, time="time", event="cens", covariates=["tgrade", "age"])
    age = float(g["age"].mean())  # type: ignore[arg-type]
    for level, line in zip(("I", "II", "III"), dashed, strict=True):
        expected = fit.survival({"tgrade": level, "age": age}).table["survival"].to_numpy()
        assert np.allclose(line.get_data()[1][1:], expected, rtol=1e-10)


def test_python_api_and_its_errors():
    g = _gbsg(2)
    km = survstat.kaplan_meier(g, time="time", event="cens", by="arm")
    fit = survstat.cox(g, time="time", event="cens", covariates=["arm", "age"])
    overlay = cox_overlay(km, fit, label="PH model")
    assert len(overlay.time) == 2
    fig = km_figure(km, overlay=overlay)
    assert "PH model" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    no_arm = survstat.cox(g, time="time", event="cens", covariates=["age"])
    with pytest.raises(OptionError, match="must include the group column"):
        cox_overlay(km, no_arm)
    stratified = survstat.cox(g, time="time", event="cens", covariates=["arm"], strata="horTh")
    with pytest.raises(OptionError, match="without strata"):
        cox_overlay(km, stratified)
    three = survstat.kaplan_meier(_gbsg(3), time="time", event="cens", by="arm")
    with pytest.raises(OptionError, match="`overlay` has 2 curves for 3"):
        km_figure(three, overlay=overlay)


def test_command_line(tmp_path):
    path = tmp_path / "g.parquet"
    survstat.datasets.load("gbsg2").write_parquet(path)
    out = tmp_path / "km.png"
    args = ["plot", "km", str(path), "--time", "time", "--event", "cens"]
    r = runner.invoke(app, [*args, "--by", "horTh", "--cox-covariates", "age", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.stat().st_size > 10_000
    r = runner.invoke(app, [*args, "--cox-covariates", "age", "-o", str(out)])
    assert r.exit_code == 1
    assert r.stderr == (
        "error: `cox_covariates` draws a Cox model curve per group: give --by too\n"
    )
    r = runner.invoke(app, [*args, "--by", "horTh", "--cox-covariates", "agee", "-o", str(out)])
    assert r.exit_code == 1
    assert "`agee`" in r.stderr
    assert len(r.stderr.splitlines()) == 1
