"""Publication figures: rendered to files and checked through the figure objects."""

from __future__ import annotations

import matplotlib.pyplot as plt
import polars as pl
import pytest

import survstat
from survstat.errors import OutputPathError
from survstat.plot import cif_figure, forest_figure, km_figure, save_figure


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _png_ok(fig, path):
    fig.savefig(path, dpi=60)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 5_000  # not blank


def test_km_figure(tmp_path):
    g = survstat.datasets.load("gbsg2")
    km = survstat.kaplan_meier(g, time="time", event="cens", by="horTh")
    times = [0.0, 500.0, 1000.0, 1500.0]
    fig = km_figure(km, at_risk_times=times, annotation="log-rank p = 0.0034", xlabel="days")
    curves, table = fig.axes
    # the legend names the levels, under the column's name
    assert [t.get_text() for t in curves.get_legend().get_texts()] == ["no", "yes"]
    assert curves.get_legend().get_title().get_text() == "horTh"
    # the risk table: one count per curve and time, equal to .at(times)
    shown = [t.get_text() for t in table.texts if t.get_text()[:1].isdigit()]
    expected = [f"{n:g}" for n in km.at(times).get_column("n_risk").to_list()]
    assert sorted(shown) == sorted(expected)
    assert any("log-rank p" in t.get_text() for t in curves.texts)
    _png_ok(fig, tmp_path / "km.png")
    fig.savefig(tmp_path / "km.svg")
    assert (tmp_path / "km.svg").read_text().startswith("<?xml")


def test_cif_figure(tmp_path):
    bmt = pl.read_csv("tests/reference/data/bmt.csv")
    cif = survstat.cumulative_incidence(bmt, time="ftime", cause="status", by="dis")
    fig = cif_figure(cif, cause=1, at_risk_times=[0.0, 12.0, 24.0], annotation="Gray p = 0.01")
    curves, table = fig.axes
    steps = [line for line in curves.get_lines() if line.get_label() in ("0", "1")]
    assert len(steps) == 2
    # each curve ends at the incidence of its last time
    last = cif.table.filter(pl.col("cause") == 1).group_by("dis").agg(pl.col("cif").last())
    ends = sorted(float(line.get_ydata()[-1]) for line in steps)
    assert ends == pytest.approx(sorted(last["cif"].to_list()))
    # the numbers (in data coordinates; the rows' names, here the levels 0 and 1, are not)
    assert len([t for t in table.texts if t.get_transform() is table.transData]) == 6
    _png_ok(fig, tmp_path / "cif.png")


def test_forest_figure(tmp_path):
    t = pl.DataFrame(
        {
            "subgroup": ["low", "high", "reference"],
            "hazard_ratio": [0.8, 1.7, None],
            "conf_low": [0.4, 0.8, None],
            "conf_high": [1.6, 3.7, None],
        }
    )
    fig = forest_figure(t, label="subgroup")
    (ax,) = fig.axes
    points = [line for line in ax.get_lines() if line.get_marker() == "s"]
    assert len(points) == 2
    assert [lab.get_text() for lab in ax.get_yticklabels()] == ["reference", "high", "low"]
    fig.savefig(tmp_path / "forest.pdf")
    assert (tmp_path / "forest.pdf").read_bytes()[:4] == b"%PDF"


def _nonblank_png(path):
    image = plt.imread(path)
    assert image.shape[0] > 300
    assert image.shape[1] > 300
    assert image[..., :3].std() > 0.05  # drawn on, not a flat background


def test_plot_commands_write_each_format(tmp_path):
    from typer.testing import CliRunner

    from survstat.cli import app

    runner = CliRunner()
    data = tmp_path / "gbsg2.parquet"
    survstat.datasets.load("gbsg2").write_parquet(data)
    km = ["plot", "km", str(data), "--time", "time", "--event", "cens", "--by", "horTh"]
    for suffix, magic in ((".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")):
        out = tmp_path / f"km{suffix}"
        r = runner.invoke(app, [*km, "--at-risk-times", "0,1000,2000", "-o", str(out)])
        assert r.exit_code == 0, r.output
        assert out.read_bytes()[:5].startswith(magic)
    _nonblank_png(tmp_path / "km.png")
    assert b"%PDF" in (tmp_path / "km.pdf").read_bytes()[:8]
    bad = runner.invoke(app, [*km, "-o", str(tmp_path / "km.gif")])
    assert bad.exit_code == 2
    assert not (tmp_path / "km.gif").exists()
    cox = tmp_path / "cox.parquet"
    args = ["cox", str(data), "--time", "time", "--event", "cens", "--covariates", "horTh,tgrade"]
    r = runner.invoke(app, [*args, "-o", str(cox)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app, ["plot", "forest", str(cox), "--label", "term", "-o", str(tmp_path / "f.png")]
    )
    assert r.exit_code == 0, r.output
    _nonblank_png(tmp_path / "f.png")
    missing = runner.invoke(
        app, ["plot", "forest", str(cox), "--label", "trm", "-o", str(tmp_path / "g.png")]
    )
    assert missing.exit_code == 1
    assert "trm" in missing.output


def test_plot_cif_command_annotates_grays_test(tmp_path):
    from typer.testing import CliRunner

    from survstat.analyses.plots import PLOTS
    from survstat.cli import app

    bmt = pl.read_csv("tests/reference/data/bmt.csv")
    fig = PLOTS["cif"].run(bmt, time="ftime", cause="status", by=["dis"], of_interest=1)
    assert len(fig.axes[0].get_lines()) == 2  # the curves; no censoring marks on incidence
    gray = survstat.gray_test(bmt, time="ftime", cause="status", by="dis").table
    p = gray.filter(pl.col("cause") == 1).get_column("p_value").item()
    assert fig.axes[0].texts[-1].get_text() == f"Gray's test p = {p:.4f}"
    data = tmp_path / "bmt.parquet"
    bmt.write_parquet(data)
    out = tmp_path / "cif.png"
    args = ["plot", "cif", str(data), "--time", "ftime", "--cause", "status", "--by", "dis"]
    r = CliRunner().invoke(app, [*args, "--of-interest", "2", "-o", str(out)])
    assert r.exit_code == 0, r.output
    _nonblank_png(out)


def test_km_plot_annotation_matches_logrank_and_cox():
    from survstat.analyses.plots import PLOTS

    g = survstat.datasets.load("gbsg2")
    fig = PLOTS["km"].run(g, time="time", event="cens", by=["horTh"])
    text = fig.axes[0].texts[-1].get_text()
    hr = survstat.cox(g, time="time", event="cens", covariates=["horTh"]).table.row(0, named=True)
    assert text == (
        f"HR (Cox, unadjusted), yes vs no: {hr['hazard_ratio']:.2f} "
        f"(95% CI {hr['conf_low']:.2f}–{hr['conf_high']:.2f}); log-rank p = 0.0034"
    )
    assert len(fig.axes[0].get_lines()) >= 2


def test_levels_from_the_data_are_not_mathtext(tmp_path):
    """A level such as `$5-$10` or `x$_{c$` (not valid mathtext: drawing it as math raises)
    is drawn as written: legend, number-at-risk labels and forest labels do not parse math."""
    df = pl.DataFrame(
        {
            "time": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "event": [1, 0, 1, 1, 0, 1],
            "arm": ["$5-$10", "x$_{c$"] * 3,
        }
    )
    km = survstat.kaplan_meier(df, time="time", event="event", by="arm")
    fig = km_figure(km, at_risk_times=[0.0, 3.0])
    curves, table = fig.axes
    legend = curves.get_legend().get_texts()
    assert [t.get_text() for t in legend] == ["$5-$10", "x$_{c$"]
    assert not any(t.get_parse_math() for t in legend)
    labels = [t for t in table.texts if t.get_text() in ("$5-$10", "x$_{c$")]
    assert len(labels) == 2
    assert not any(t.get_parse_math() for t in labels)
    save_figure(fig, tmp_path / "km.svg")  # as mathtext, x$_{c$ would raise here
    forest = forest_figure(
        pl.DataFrame(
            {"term": ["x$_{c$"], "hazard_ratio": [1.2], "conf_low": [0.8], "conf_high": [1.9]}
        ),
        label="term",
    )
    (tick,) = forest.axes[0].get_yticklabels()
    assert (tick.get_text(), tick.get_parse_math()) == ("x$_{c$", False)
    save_figure(forest, tmp_path / "forest.png")


def test_save_figure_is_reproducible_and_checks_the_name(tmp_path):
    fig = forest_figure(
        pl.DataFrame({"term": ["x"], "hazard_ratio": [1.2], "conf_low": [0.8], "conf_high": [1.9]}),
        label="term",
    )
    # without a fixed hash salt matplotlib gives SVG elements random ids on each save
    first = save_figure(fig, tmp_path / "a.svg").read_bytes()
    assert save_figure(fig, tmp_path / "b.svg").read_bytes() == first
    with pytest.raises(
        OutputPathError, match=r"figure file `.*f.gif` must end in .png, .svg, .pdf"
    ):
        save_figure(fig, tmp_path / "f.gif")


def test_forest_rows_that_cannot_sit_on_a_log_axis_say_so():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from survstat.plot import forest_figure

    table = pl.DataFrame(
        {
            "term": ["a", "b", "c", "reference"],
            "hazard_ratio": [0.6, float("inf"), 1.4, None],
            "conf_low": [0.3, None, None, None],
            "conf_high": [1.2, None, 0.0, None],
        }
    )
    fig = forest_figure(table, label="term")
    texts = [t.get_text() for t in fig.axes[0].texts]
    plt.close(fig)
    assert texts == ["0.60 (0.30-1.20)", "not estimable", "1.40 (interval not estimable)"]


def test_forest_needs_numeric_estimates(tmp_path):
    from survstat.analyses.plots import PLOTS
    from survstat.errors import ColumnTypeError

    bad = pl.DataFrame(
        {"term": ["a"], "hazard_ratio": ["0.5"], "conf_low": [0.2], "conf_high": [1.0]}
    )
    with pytest.raises(ColumnTypeError, match=r"`hazard_ratio` \(estimate\) must be numeric"):
        PLOTS["forest"].run(bad, label=["term"])


def test_figures_of_data_without_events():
    """No event at all: the Kaplan–Meier curves are flat at 1 and are drawn (the hazard ratio
    is not estimable, and the annotation says so); a cumulative incidence has no cause to draw,
    which is one clear error, not a crash."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from survstat.analyses.plots import PLOTS
    from survstat.errors import EmptyDataError, SurvstatWarning

    df = pl.DataFrame({"t": [1.0, 2.0, 3.0, 4.0], "e": [0, 0, 0, 0], "g": ["a", "b", "a", "b"]})
    fig = PLOTS["km"].run(df, time="t", event="e", by=["g"])
    texts = [t.get_text() for t in fig.axes[0].texts]
    plt.close(fig)
    assert texts == ["HR (Cox, unadjusted) not estimable; log-rank test undefined"]
    with (
        pytest.warns(SurvstatWarning, match="no event of any cause"),
        pytest.raises(EmptyDataError, match="`e` records no event of any cause"),
    ):
        PLOTS["cif"].run(df, time="t", cause="e", by=["g"])
