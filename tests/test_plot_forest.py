"""The forest plot drawn from the ARD of ``table subgroups``: layout measured on the rendered
figure (every text inside, none overlapping, with the bounding-box checks of
tests/test_plot_layout.py) for 2, 3 and 4 arms, long names and many rows; the numbers shown
are the ARD's; a null hazard ratio reads NE and draws nothing; the command line recognises
the ARD, and a job chains a ``table subgroups`` step into a ``plot forest`` step."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import polars as pl
import pytest
from test_plot_layout import ARMS, _extent, _overlap
from typer.testing import CliRunner

import survstat
from survstat.analyses.plots import PLOTS
from survstat.cli import app
from survstat.errors import ColumnNotFoundError, InputFormatError, OptionError
from survstat.io import write_parquet
from survstat.plot import PALETTE, save_figure, subgroups_forest_figure
from survstat.tables import subgroups_table

runner = CliRunner()


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _ard(n_arms: int = 2, subgroups=("menostat", "tgrade"), frame=None) -> pl.DataFrame:
    g = survstat.datasets.load("gbsg2") if frame is None else frame
    if n_arms == 2 and frame is None:
        return subgroups_table(
            g, time="time", event="cens", by="horTh", reference="no", subgroups=list(subgroups)
        ).ard
    arm = pl.Series("arm", [ARMS[i % n_arms] for i in range(g.height)])
    return subgroups_table(
        g.with_columns(arm), time="time", event="cens", by="arm", subgroups=list(subgroups)
    ).ard


def _texts(fig) -> list:
    """Every visible text of the figure, drawn: the table and its headers, the axis, the
    favours labels and the legend."""
    fig.canvas.draw()
    ax = fig.axes[0]
    texts = [*list(fig.texts), ax.xaxis.label, *ax.get_xticklabels()]
    for legend in fig.legends:
        texts += [legend.get_title(), *legend.get_texts()]
    return [t for t in texts if t.get_visible() and t.get_text()]


def _check_layout(fig) -> None:
    box = fig.bbox
    texts = _texts(fig)
    for t in texts:
        e = _extent(t)
        assert box.x0 - 0.5 <= e.x0, f"{t.get_text()!r} clipped left"
        assert e.x1 <= box.x1 + 0.5, f"{t.get_text()!r} clipped right"
        assert box.y0 - 0.5 <= e.y0, f"{t.get_text()!r} clipped at the bottom"
        assert e.y1 <= box.y1 + 0.5, f"{t.get_text()!r} clipped at the top"
    boxes = [(t.get_text(), _extent(t)) for t in texts]
    for i, (a, ea) in enumerate(boxes):
        for b, eb in boxes[i + 1 :]:
            assert not _overlap(ea, eb), f"{a!r} overlaps {b!r}"
    # no text of the table or the legend sits over the plot area
    plot = fig.axes[0].get_window_extent()
    for t in texts:
        if t in fig.axes[0].get_xticklabels() or t is fig.axes[0].xaxis.label:
            continue
        assert not _overlap(_extent(t), plot), f"{t.get_text()!r} over the plot"


@pytest.mark.parametrize("n_arms", [2, 3, 4])
def test_texts_inside_and_apart(n_arms):
    _check_layout(subgroups_forest_figure(_ard(n_arms), title="Progression-free survival"))


def test_long_level_names_and_many_rows():
    g = survstat.datasets.load("gbsg2")
    sizes = ["size " + "very " * (i % 4) + f"long level {i}" for i in range(12)]
    g = g.with_columns(
        pl.Series("size_group", [sizes[(i // 4) % 12] for i in range(g.height)]),
        pl.Series("site", [f"site {(i // 5) % 9}" for i in range(g.height)]),
    )
    for n_arms in (2, 3):
        ard = _ard(n_arms, ("size_group", "site", "tgrade"), frame=g)
        fig = subgroups_forest_figure(
            ard,
            by="arm" if n_arms > 2 else None,
            labels={"size_group": "Tumour size group (protocol-defined, centrally read)"},
        )
        assert len(_texts(fig)) > 100
        _check_layout(fig)


@pytest.mark.parametrize("width", [6.0, 14.0])
def test_layout_holds_at_a_given_width(width):
    fig = subgroups_forest_figure(_ard(3), width=width)
    _check_layout(fig)


def test_the_figure_shows_the_ard_numbers():
    ard = _ard(2)
    fig = subgroups_forest_figure(ard, labels={"tgrade": "Tumour grade"})
    shown = [t.get_text() for t in fig.texts]
    for row in ard.filter(statistic="hazard_ratio").iter_rows(named=True):
        assert f"{row['estimate']:.2f} ({row['conf_low']:.2f}, {row['conf_high']:.2f})" in shown
    for row in ard.filter(statistic="n").iter_rows(named=True):
        assert f"{row['estimate']:.0f}" in shown
    for p in ard.filter(statistic="interaction_p_value").get_column("estimate"):
        assert f"{p:.4f}" in shown
    assert "Tumour grade" in shown
    assert "menostat" in shown
    assert "tgrade" not in shown
    assert [s for s in shown if s in ("All patients", "Post", "Pre", "I", "II", "III")] == [
        "All patients",
        "Post",
        "Pre",
        "I",
        "II",
        "III",
    ]
    assert "← Favours yes" in shown
    assert "Favours no →" in shown
    assert "HR (95% CI)" in shown
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert fig.legends == []  # two arms: one line per row, no legend
    # one square and one interval per row with a hazard ratio (6 rows)
    squares = [line for line in ax.lines if line.get_marker() == "s"]
    assert len(squares) == 6


def test_null_hazard_ratio_reads_ne_and_draws_nothing():
    ard = _ard(2).with_columns(
        estimate=pl.when(pl.col("statistic") == "hazard_ratio", pl.col("level") == "I")
        .then(None)
        .otherwise("estimate"),
        conf_low=pl.when(pl.col("statistic") == "hazard_ratio", pl.col("level") == "I")
        .then(None)
        .otherwise("conf_low"),
    )
    fig = subgroups_forest_figure(ard, favours=False)
    shown = [t.get_text() for t in fig.texts]
    assert "NE" in shown
    assert not any("Favours" in s for s in shown)
    squares = [line for line in fig.axes[0].lines if line.get_marker() == "s"]
    assert len(squares) == 5
    _check_layout(fig)


def test_three_arms_one_coloured_line_per_arm_with_a_legend():
    ard = _ard(3)
    fig = subgroups_forest_figure(ard)
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == list(ARMS[1:3])
    assert legend.get_title().get_text() == f"Hazard ratio against {ARMS[0]}"
    squares = [line for line in fig.axes[0].lines if line.get_marker() == "s"]
    assert len(squares) == 2 * 6
    assert {line.get_color() for line in squares} == set(PALETTE[:2])
    shown = [t.get_text() for t in fig.texts]
    assert "← Favours the compared arm" in " ".join(s.replace("\n", " ") for s in shown)


def test_bad_input_is_a_one_line_error():
    ard = _ard(2)
    with pytest.raises(ColumnNotFoundError, match="`statistic`"):
        subgroups_forest_figure(ard.drop("statistic"))
    with pytest.raises(OptionError, match="`reference_line` must be positive"):
        subgroups_forest_figure(ard, reference_line=0)
    g = survstat.datasets.load("gbsg2")
    five = g.with_columns(pl.Series("arm", [f"arm {i % 5}" for i in range(g.height)]))
    ard5 = subgroups_table(five, time="time", event="cens", by="arm", subgroups="menostat").ard
    with pytest.raises(InputFormatError, match=r"draws 2 to 4 arms; the ARD's `arm` has 5"):
        subgroups_forest_figure(ard5)


def test_forest_figure_is_still_importable_from_survstat_plot():
    from survstat import plot, plot_forest

    assert plot.forest_figure is plot_forest.forest_figure
    assert plot.subgroups_forest_figure is plot_forest.subgroups_forest_figure


# --- command line and jobs ---------------------------------------------------------------


def _table(tmp_path, *extra: str) -> tuple[str, str]:
    data = tmp_path / "gbsg2.parquet"
    write_parquet(survstat.datasets.load("gbsg2"), data, labels={"tgrade": "Tumour grade"})
    out = tmp_path / "sub.parquet"
    args = ["table", "subgroups", str(data), "--time", "time", "--event", "cens", "--by"]
    args += ["horTh", "--reference", "no", "--subgroups", "menostat,tgrade", *extra]
    r = runner.invoke(app, [*args, "-o", str(out)])
    assert r.exit_code == 0, r.output
    return str(data), str(out)


def test_cli_draws_the_subgroups_forest_from_the_ard_file(tmp_path):
    _, ard = _table(tmp_path, "--conf-level", "0.9")
    png = tmp_path / "forest.png"
    r = runner.invoke(app, ["plot", "forest", ard, "-o", str(png)])
    assert r.exit_code == 0, r.output
    assert png.read_bytes()[:4] == b"\x89PNG"
    fig = PLOTS["forest"].run(ard, subgroup_labels=["menostat=Menopausal status"])
    shown = [t.get_text() for t in fig.texts]
    # the level and the labels come from the table's provenance and its input file
    assert "HR (90% CI)" in shown
    assert "Tumour grade" in shown
    assert "Menopausal status" in shown
    first = png.read_bytes()
    r = runner.invoke(app, ["plot", "forest", ard, "-o", str(png)])
    assert png.read_bytes() == first


def test_cli_errors(tmp_path):
    data, ard = _table(tmp_path)
    r = runner.invoke(app, ["plot", "forest", data, "-o", str(tmp_path / "f.png")])
    assert r.exit_code == 1
    assert "`label` is needed" in r.output
    r = runner.invoke(
        app,
        ["plot", "forest", ard, "--subgroup-labels", "tgrade", "-o", str(tmp_path / "f.png")],
    )
    assert r.exit_code == 1
    assert "`subgroup_labels` must be VAR=LABEL pairs; found 1 without `=`" in r.output
    assert not (tmp_path / "f.png").exists()


JOB = """
[job]
title = "subgroups"
output = "out"

[inputs]
gbsg2 = "gbsg2.parquet"

[[step]]
name = "subgroups"
analysis = "table subgroups"
input = "gbsg2"
time = "time"
event = "cens"
by = "horTh"
reference = "no"
subgroups = ["menostat", "tgrade"]

[[step]]
name = "subgroups_forest"
plot = "forest"
input = "subgroups"
subgroup_labels = ["menostat=Menopausal status"]
formats = ["png", "svg"]
"""


def test_a_job_chains_table_subgroups_into_plot_forest(tmp_path):
    write_parquet(
        survstat.datasets.load("gbsg2"), tmp_path / "gbsg2.parquet", labels={"tgrade": "Grade"}
    )
    job = tmp_path / "job.toml"
    job.write_text(JOB)
    r = runner.invoke(app, ["run", str(job), "-q"])
    assert r.exit_code == 0, r.output
    out = tmp_path / "out"
    manifest = pl.read_parquet(out / "manifest.parquet")
    assert manifest.get_column("status").to_list() == ["ok", "ok"]
    svg = (out / "subgroups_forest.svg").read_text()
    assert "Menopausal status" in svg
    assert "Grade" in svg
    ard = pl.read_parquet(out / "subgroups.parquet")
    hr = ard.filter(statistic="hazard_ratio", level="All patients").row(0, named=True)
    assert f"{hr['estimate']:.2f} ({hr['conf_low']:.2f}, {hr['conf_high']:.2f})" in svg
    assert json.loads(json.dumps(manifest.get_column("step").to_list())) == [
        "subgroups",
        "subgroups_forest",
    ]


def test_png_and_svg_reruns_are_byte_identical(tmp_path):
    ard = _ard(3)
    for suffix in ("png", "svg"):
        a = save_figure(subgroups_forest_figure(ard), tmp_path / f"a.{suffix}").read_bytes()
        b = save_figure(subgroups_forest_figure(ard), tmp_path / f"b.{suffix}").read_bytes()
        assert a == b
