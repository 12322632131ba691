"""Layout of the Kaplan-Meier and cumulative incidence figures (KMunicate, Morris et al.,
BMJ Open 2019;9:e030215), measured on the rendered figure.

Each figure is drawn with the Agg backend and every text's window extent is taken from the
renderer: every text lies inside the figure, and no two texts of the legend, the annotation,
the axes' labels and the table under the plot intersect; legend and annotation stay off the
plot area (so off the curves' start) and the table stays under it. The table's columns sit
at exactly the plot's time ticks, its rows are named by the group levels, and its numbers
are those of the estimators.
"""

from __future__ import annotations

import struct

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import polars as pl
import pytest
from typer.testing import CliRunner

import survstat
from survstat.analyses.plots import PLOTS
from survstat.cli import app
from survstat.errors import OptionError
from survstat.plot import LINESTYLES, PALETTE, cif_figure, km_figure, save_figure

#: Long arm names, as a trial's TRT01P has them.
ARMS = (
    "A: fulvestrant + AKTi",
    "B: aromatase inhibitor + AKTi",
    "C: fulvestrant + AKTi + palbociclib",
    "D: letrozole + palbociclib + everolimus (exploratory)",
)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _gbsg(n_arms: int) -> pl.DataFrame:
    """gbsg2 with an arm column of ``n_arms`` long names (rows dealt in turn)."""
    g = survstat.datasets.load("gbsg2")
    arm = pl.Series("arm", [ARMS[i % n_arms] for i in range(g.height)])
    return g.with_columns(arm)


def _bmt(n_arms: int) -> pl.DataFrame:
    bmt = pl.read_csv("tests/reference/data/bmt.csv")
    return bmt.with_columns(pl.Series("arm", [ARMS[i % n_arms] for i in range(bmt.height)]))


def _km(n_arms: int, **options):
    g = _gbsg(n_arms)
    by = ["arm"] if n_arms > 1 else None
    return PLOTS["km"].run(g, time="time", event="cens", by=by, **options)


def _cif(n_arms: int, **options):
    by = ["arm"] if n_arms > 1 else None
    return PLOTS["cif"].run(_bmt(n_arms), time="ftime", cause="status", by=by, **options)


def _texts(fig):
    """The figure's visible texts by part, drawn: legend, annotation, axes, table, title,
    footnote."""
    fig.canvas.draw()
    curves, table = fig.axes
    leg = curves.get_legend()
    legend = [] if leg is None else [leg.get_title(), *leg.get_texts()]
    footnote = fig._supxlabel  # type: ignore[attr-defined]
    axes = [curves.xaxis.label, curves.yaxis.label]
    axes += [t for t in curves.get_xticklabels() + curves.get_yticklabels()]
    parts = {
        "legend": legend,
        "annotation": list(curves.texts),
        "axes": axes,
        "table": list(table.texts),
        "title": [t for t in fig.texts if t is not footnote],
        "footnote": [t for t in fig.texts if t is footnote],
    }
    return {k: [t for t in v if t.get_visible() and t.get_text()] for k, v in parts.items()}


def _extent(text):
    return text.get_window_extent(text.figure.canvas.get_renderer())


def _overlap(a, b) -> bool:
    """Whether two boxes share more than a hairline (half a pixel)."""
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w > 0.5 and h > 0.5


def _check_layout(fig) -> None:
    parts = _texts(fig)
    box = fig.bbox
    every = [t for texts in parts.values() for t in texts]
    for t in every:
        e = _extent(t)
        assert box.x0 - 0.5 <= e.x0, f"{t.get_text()!r} clipped left"
        assert e.x1 <= box.x1 + 0.5, f"{t.get_text()!r} clipped right"
        assert box.y0 - 0.5 <= e.y0, f"{t.get_text()!r} clipped at the bottom"
        assert e.y1 <= box.y1 + 0.5, f"{t.get_text()!r} clipped at the top"
    boxes = [(t.get_text(), _extent(t)) for t in every]
    for i, (a, ea) in enumerate(boxes):
        for b, eb in boxes[i + 1 :]:
            assert not _overlap(ea, eb), f"{a!r} overlaps {b!r}"
    # legend and annotation sit off the plot area, the table under it
    plot = fig.axes[0].get_window_extent()
    for t in parts["legend"] + parts["annotation"] + parts["title"]:
        assert _extent(t).y0 >= plot.y1 - 0.5, f"{t.get_text()!r} over the curves"
    for t in parts["table"]:
        assert _extent(t).y1 <= plot.y0, f"{t.get_text()!r} over the curves"
    lowest = min((_extent(t).y0 for t in parts["table"]), default=plot.y0)
    for t in parts["footnote"]:
        assert _extent(t).y1 <= lowest, f"{t.get_text()!r} not under the table"
    if fig.axes[0].get_legend() is not None:
        assert fig.axes[0].get_legend().get_window_extent().y0 >= plot.y1 - 0.5


@pytest.mark.parametrize("n_arms", [1, 2, 3, 4])
@pytest.mark.parametrize("rows", [{}, {"cumulative_events": True, "cumulative_censored": True}])
def test_km_texts_inside_and_apart(n_arms, rows):
    _check_layout(_km(n_arms, **rows))


@pytest.mark.parametrize("n_arms", [1, 2, 3, 4])
def test_cif_texts_inside_and_apart(n_arms):
    _check_layout(_cif(n_arms, of_interest=1, cumulative_events=True, title="Relapse"))


#: A footnote as long as a case study's: how the groups' cut-point was chosen.
FOOTNOTE = (
    "Low: marker <= 150, a cut-point chosen by maximally selected log-rank statistics in these "
    "patients; the log-rank p above does not allow for that search (adjusted p, Lau92: 0.023). "
    "Synthetic data."
)


def _footnote(fig) -> str:
    return " ".join(fig._supxlabel.get_text().split())  # type: ignore[attr-defined]


@pytest.mark.parametrize("n_arms", [1, 2, 4])
@pytest.mark.parametrize("width", [5.0, 7.5])
def test_km_footnote_under_the_table_inside_and_apart(n_arms, width):
    fig = _km(n_arms, width=width, cumulative_events=True, title="PFS", footnote=FOOTNOTE)
    _check_layout(fig)
    assert _footnote(fig) == FOOTNOTE  # drawn as written, wrapped between words


@pytest.mark.parametrize("n_arms", [1, 3])
def test_cif_footnote_under_the_table_inside_and_apart(n_arms):
    fig = _cif(n_arms, of_interest=1, title="Relapse", footnote=FOOTNOTE)
    _check_layout(fig)
    assert _footnote(fig) == FOOTNOTE


def test_a_footnote_follows_the_model_overlays_and_a_blank_one_is_none():
    g = _gbsg(2)
    fig = _km(2, cox_covariates=["age"], footnote=FOOTNOTE)
    _check_layout(fig)
    paragraphs = fig._supxlabel.get_text()  # type: ignore[attr-defined]
    assert _footnote(fig).startswith("Dashed lines: Cox model")
    assert _footnote(fig).endswith(FOOTNOTE)
    assert "\n" + FOOTNOTE.split(" ")[0] in paragraphs  # a paragraph of its own
    blank = PLOTS["km"].run(g, time="time", event="cens", by=["arm"], footnote="  ")
    assert blank._supxlabel is None  # type: ignore[attr-defined]


def test_footnote_on_the_command_line_and_in_jobs(tmp_path):
    g = tmp_path / "gbsg2.parquet"
    survstat.datasets.load("gbsg2").write_parquet(g)
    args = ["plot", "km", str(g), "--time", "time", "--event", "cens", "--by", "horTh"]
    r = CliRunner().invoke(app, [*args, "--footnote", FOOTNOTE, "-o", str(tmp_path / "km.png")])
    assert r.exit_code == 0, r.output
    job = tmp_path / "job.toml"
    job.write_text(
        '[job]\ntitle = "t"\noutput = "out"\n\n[inputs]\ngbsg2 = "gbsg2.parquet"\n\n'
        '[[step]]\nname = "fig"\nplot = "cif"\ninput = "gbsg2"\ntime = "time"\n'
        f'cause = "cens"\nby = "horTh"\nfootnote = "{FOOTNOTE}"\nformats = ["png"]\n'
    )
    r = CliRunner().invoke(app, ["run", str(job)])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "out" / "fig.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(("width", "height"), [(5.0, 4.0), (7.5, 6.0), (12.0, 8.0)])
def test_layout_holds_at_other_sizes(width, height):
    _check_layout(_km(3, width=width, height=height, title="Overall survival"))


def test_breast_trial_three_arms_from_adam():
    """The README's figure: ADTTE with ADSL, three arms with long names."""
    adtte = survstat.datasets.load("breast_trial_adtte")
    adsl = survstat.datasets.load("breast_trial_adsl")
    fig = PLOTS["km"].run(adtte, adsl, param="PFS", by=["TRT01P"], cumulative_events=True)
    _check_layout(fig)
    legend = fig.axes[0].get_legend()
    assert legend.get_title().get_text() == "TRT01P"
    assert _reading(legend) == list(ARMS[:3])


def _reading(legend) -> list[str]:
    """The legend's entries as read: row by row from the top, left to right."""
    texts = [(_extent(t), t.get_text()) for t in legend.get_texts()]
    return [name for e, name in sorted(texts, key=lambda x: (-round(x[0].y0), x[0].x0))]


@pytest.mark.parametrize("n", range(2, 8))
def test_legend_entries_read_row_by_row_in_curve_order(n):
    """matplotlib fills a legend's columns top to bottom; the entries are handed to it so that
    they read left to right, row by row, in the order of the curves and the table's rows."""
    from survstat.plot_curves.style import reading_order

    fig, ax = plt.subplots()
    lines = [ax.plot([0, 1], [0, i])[0] for i in range(n)]
    for ncols in range(1, n + 1):
        order = reading_order(n, ncols)
        assert sorted(order) == list(range(n))
        legend = ax.legend([lines[i] for i in order], [f"curve {i}" for i in order], ncols=ncols)
        fig.canvas.draw()
        assert _reading(legend) == [f"curve {i}" for i in range(n)]


def test_long_annotation_breaks_at_its_semicolon():
    """Two arms with long names: the hazard ratio line is wider than the figure, so the
    annotation goes on two lines, both inside the figure."""
    g = _gbsg(2)
    fig = PLOTS["km"].run(g, time="time", event="cens", by=["arm"], width=5.0)
    text = fig.axes[0].texts[-1].get_text()
    assert " ".join(text.split()).startswith(f"HR (Cox, unadjusted), {ARMS[1]} vs {ARMS[0]}: ")
    assert "\nlog-rank p = " in text
    _check_layout(fig)


@pytest.mark.parametrize("figure", ["km", "cif"])
def test_table_columns_are_the_plot_ticks(figure):
    """The table's numbers sit at exactly the plot's x ticks (one set, shared), which lie
    within the time axis and start at 0."""
    fig = _km(3) if figure == "km" else _cif(3, of_interest=1)
    fig.canvas.draw()
    curves, table = fig.axes
    ticks = [float(t) for t in curves.get_xticks()]
    lo, hi = curves.get_xlim()
    assert ticks[0] == 0
    assert all(lo <= t <= hi for t in ticks)
    numbers = [t for t in table.texts if t.get_text()[:1].isdigit()]
    assert len(numbers) == 3 * len(ticks)
    assert sorted({t.get_position()[0] for t in numbers}) == ticks
    # and on screen: each number centred on its tick
    to_screen = curves.transData.transform
    for t in numbers:
        e = _extent(t)
        assert (e.x0 + e.x1) / 2 == pytest.approx(to_screen((t.get_position()[0], 0))[0], abs=1)


def test_given_at_risk_times_are_the_ticks():
    fig = _km(2, at_risk_times=[0.0, 365.0, 730.0, 1095.0])
    assert list(fig.axes[0].get_xticks()) == [0.0, 365.0, 730.0, 1095.0]
    # without 0 and past the last time: the axis runs to the last given time, nothing clipped
    fig = _km(3, at_risk_times=[365.0, 730.0, 1095.0, 3000.0])
    assert list(fig.axes[0].get_xticks()) == [365.0, 730.0, 1095.0, 3000.0]
    assert fig.axes[0].get_xlim() == (0.0, 3000.0)
    _check_layout(fig)
    with pytest.raises(OptionError, match=r"`at_risk_times` must be finite and non-negative; "):
        _km(2, at_risk_times=[-1.0, 5.0])


def _table(fig) -> dict[str, dict[str, list[str]]]:
    """The table as {heading: {row label: [numbers]}}, read back from the texts."""
    table = fig.axes[1]
    rows: dict[float, list] = {}
    for t in table.texts:
        rows.setdefault(t.get_position()[1], []).append(t)
    out: dict[str, dict[str, list[str]]] = {}
    heading = ""
    for y in sorted(rows):
        texts = rows[y]
        if len(texts) == 1:
            heading = texts[0].get_text()
            out[heading] = {}
            continue
        numbers = sorted(
            (t for t in texts if t.get_text()[:1].isdigit()), key=lambda t: t.get_position()[0]
        )
        (label,) = [t for t in texts if not t.get_text()[:1].isdigit()]
        out[heading][label.get_text()] = [t.get_text() for t in numbers]
    return out


def test_km_table_numbers_equal_the_estimator():
    g = _gbsg(3)
    km = survstat.kaplan_meier(g, time="time", event="cens", by="arm")
    fig = km_figure(km, cumulative_events=True, cumulative_censored=True)
    ticks = [float(t) for t in fig.axes[0].get_xticks()]
    table = _table(fig)
    assert list(table) == ["Number at risk", "Cumulative events", "Cumulative censored"]
    at = km.at(ticks)
    for arm in ARMS[:3]:
        n_risk = at.filter(pl.col("arm") == arm).get_column("n_risk").to_list()
        assert table["Number at risk"][arm] == [f"{n:.0f}" for n in n_risk]
        rows = g.filter(pl.col("arm") == arm)
        # events and censorings strictly before each tick: with the number at risk, the arm
        for j, t in enumerate(ticks):
            before = rows.filter(pl.col("time") < t)
            events = int(before.get_column("cens").sum())
            assert table["Cumulative events"][arm][j] == str(events)
            assert table["Cumulative censored"][arm][j] == str(before.height - events)
            assert n_risk[j] + before.height == rows.height


def test_cif_table_numbers_count_the_drawn_cause():
    bmt = _bmt(2)
    cif = survstat.cumulative_incidence(bmt, time="ftime", cause="status", by="arm")
    fig = cif_figure(cif, cause=2, cumulative_events=True, cumulative_censored=True)
    ticks = [float(t) for t in fig.axes[0].get_xticks()]
    table = _table(fig)
    for arm in ARMS[:2]:
        rows = bmt.filter(pl.col("arm") == arm)
        for j, t in enumerate(ticks):
            assert table["Number at risk"][arm][j] == str(rows.filter(pl.col("ftime") >= t).height)
            before = rows.filter(pl.col("ftime") < t)
            assert table["Cumulative events"][arm][j] == str((before["status"] == 2).sum())
            assert table["Cumulative censored"][arm][j] == str((before["status"] == 0).sum())


def test_labels_are_the_level_names_or_display_labels():
    g = survstat.datasets.load("gbsg2")
    km = survstat.kaplan_meier(g, time="time", event="cens", by="horTh")
    fig = km_figure(km, labels={"yes": "Hormone therapy"})
    legend = fig.axes[0].get_legend()
    assert legend.get_title().get_text() == "horTh"
    assert [t.get_text() for t in legend.get_texts()] == ["no", "Hormone therapy"]
    assert list(_table(fig)["Number at risk"]) == ["no", "Hormone therapy"]
    with pytest.raises(
        OptionError,
        match=r"`labels` names 1 level\(s\) that no curve has \(first: 'Yes'\); "
        r"the levels are 'no', 'yes'",
    ):
        km_figure(km, labels={"Yes": "Hormone therapy"})


def test_one_curve_has_no_legend_and_a_table_row():
    fig = _km(1)
    assert fig.axes[0].get_legend() is None
    assert list(_table(fig)["Number at risk"]) == ["All"]


def test_okabe_ito_colours_and_line_styles():
    fig = _km(4, median_lines=False)
    steps = [x for x in fig.axes[0].get_lines() if not x.get_label().startswith("_")]
    assert [line.get_color() for line in steps] == list(PALETTE[:4])
    styles = {line.get_linestyle() for line in steps}
    assert len(styles) == 4
    assert [line.get_linestyle() for line in steps] == ["-", "--", "-.", ":"]
    assert LINESTYLES[:4] == ("-", "--", "-.", ":")


def test_conf_int_bands_can_be_left_out():
    with_bands, without = _km(3), _km(3, conf_int=False)
    assert len(with_bands.axes[0].collections) == 3
    assert len(without.axes[0].collections) == 0


def _png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_dpi_and_size_are_those_of_the_saved_png(tmp_path):
    fig = _km(2, width=6.0, height=5.0, dpi=200)
    assert _png_size(save_figure(fig, tmp_path / "km.png")) == (1200, 1000)
    fig = _cif(2, width=5.0, height=4.5, dpi=100)
    assert _png_size(save_figure(fig, tmp_path / "cif.png")) == (500, 450)


def test_dpi_and_size_on_the_command_line_and_in_jobs(tmp_path):
    g = tmp_path / "gbsg2.parquet"
    survstat.datasets.load("gbsg2").write_parquet(g)
    args = ["plot", "km", str(g), "--time", "time", "--event", "cens", "--by", "horTh"]
    size = ["--width", "5", "--height", "4", "--dpi", "120"]
    r = CliRunner().invoke(app, [*args, *size, "-o", str(tmp_path / "km.png")])
    assert r.exit_code == 0, r.output
    assert _png_size(tmp_path / "km.png") == (600, 480)
    r = CliRunner().invoke(app, [*args, "--dpi", "20", "-o", str(tmp_path / "x.png")])
    assert r.exit_code == 2
    assert "Invalid value for '--dpi': Input should be greater than or equal to 50" in " ".join(
        r.output.split()
    )
    job = tmp_path / "job.toml"
    job.write_text(
        '[job]\ntitle = "t"\noutput = "out"\n\n[inputs]\ngbsg2 = "gbsg2.parquet"\n\n'
        '[[step]]\nname = "fig"\nplot = "km"\ninput = "gbsg2"\ntime = "time"\nevent = "cens"\n'
        'by = "horTh"\nwidth = 5.0\nheight = 4.0\ndpi = 120\nformats = ["png"]\n'
    )
    r = CliRunner().invoke(app, ["run", str(job)])
    assert r.exit_code == 0, r.output
    assert _png_size(tmp_path / "out" / "fig.png") == (600, 480)


def test_size_and_dpi_out_of_range_are_one_clear_error():
    km = survstat.kaplan_meier(survstat.datasets.load("gbsg2"), time="time", event="cens")
    with pytest.raises(OptionError, match=r"`width` must be between 3 and 30 inches; got 1"):
        km_figure(km, width=1.0)
    with pytest.raises(OptionError, match=r"`dpi` must be between 50 and 1200; got 2000"):
        km_figure(km, dpi=2000)


def test_a_figure_too_small_for_its_texts_is_one_clear_error():
    """matplotlib only warns when the constrained layout collapses (and leaves the texts
    overlapping); the figure says how to fix it instead."""
    with pytest.raises(
        OptionError,
        match=r"a figure of 3 x 3 inches is too small for its legend, annotation and table; "
        r"give a larger `width` or `height`",
    ):
        _km(4, width=3.0, height=3.0, cumulative_events=True, cumulative_censored=True)


def test_display_labels_on_the_command_line_and_in_the_annotation(tmp_path):
    g = survstat.datasets.load("gbsg2")
    fig = PLOTS["km"].run(
        g, time="time", event="cens", by=["horTh"], labels=["yes=Hormone therapy", "no=None"]
    )
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["None", "Hormone therapy"]
    assert (
        fig.axes[0]
        .texts[-1]
        .get_text()
        .startswith("HR (Cox, unadjusted), Hormone therapy vs None: 0.69 (95% CI 0.54–0.89)")
    )
    with pytest.raises(
        OptionError,
        match=r"`labels` must be LEVEL=LABEL pairs; found 1 without `=` \(first: 'Arm A'\)",
    ):
        PLOTS["km"].run(g, time="time", event="cens", by=["horTh"], labels=["Arm A"])
    with pytest.raises(OptionError, match=r"`labels` names 1 level\(s\) that no curve has"):
        _cif(2, labels=["E=Arm E"])
    data = tmp_path / "gbsg2.parquet"
    g.write_parquet(data)
    args = ["plot", "km", str(data), "--time", "time", "--event", "cens", "--by", "horTh"]
    r = CliRunner().invoke(app, [*args, "--labels", "no=Arm A", "-o", str(tmp_path / "km.svg")])
    assert r.exit_code == 0, r.output
    assert "Arm A" in (tmp_path / "km.svg").read_text()
    r = CliRunner().invoke(app, [*args, "--labels", "x=Arm X", "-o", str(tmp_path / "x.svg")])
    assert r.exit_code == 1
    assert "`labels` names 1 level(s) that no curve has (first: 'x')" in " ".join(r.output.split())


#: Arm names of 40 characters and more, as a protocol's full treatment descriptions read.
LONG_ARMS = (
    "Arm A: fulvestrant 500 mg + capivasertib 400 mg bid",
    "Arm B: anastrozole 1 mg + capivasertib 400 mg twice daily",
    "Arm C: fulvestrant 500 mg + placebo (matched to capivasertib)",
    "Arm D: letrozole 2.5 mg + palbociclib 125 mg + everolimus (exploratory)",
)


def _long(frame: pl.DataFrame, n_arms: int) -> pl.DataFrame:
    return frame.with_columns(
        pl.Series("arm", [LONG_ARMS[i % n_arms] for i in range(frame.height)])
    )


@pytest.mark.parametrize("figure", ["km", "cif"])
@pytest.mark.parametrize("n_arms", [2, 3, 4])
def test_long_arm_names_wrap_and_the_plot_keeps_its_width(figure, n_arms):
    """Names of 40+ characters are wrapped between words in the table's label column (at
    most LABEL_SHARE of the figure's width) instead of narrowing the plot: nothing is clipped
    or overlaps, and the plot keeps at least 60% of the figure's width."""
    from survstat.plot_curves._layout import LABEL_SHARE

    assert all(len(name) >= 40 for name in LONG_ARMS)
    if figure == "km":
        g = _long(survstat.datasets.load("gbsg2"), n_arms)
        fig = PLOTS["km"].run(g, time="time", event="cens", by=["arm"], cumulative_events=True)
    else:
        bmt = _long(pl.read_csv("tests/reference/data/bmt.csv"), n_arms)
        fig = PLOTS["cif"].run(bmt, time="ftime", cause="status", by=["arm"], of_interest=1)
    _check_layout(fig)
    plot = fig.axes[0].get_window_extent()
    assert plot.width >= 0.6 * fig.bbox.width
    labels = [t for t in fig.axes[1].texts if t.get_color() != "black" and t.get_text()]
    assert {t.get_text().replace("\n", " ") for t in labels} == set(LONG_ARMS[:n_arms])
    assert all("\n" in t.get_text() for t in labels)
    # each line of a name within its column (a line is measured as its own text)
    probe = fig.axes[1].text(0, 0, "", fontsize=labels[0].get_fontsize())
    for t in labels:
        for line in t.get_text().split("\n"):
            probe.set_text(line)
            assert _extent(probe).width <= LABEL_SHARE * fig.bbox.width + 0.5
    probe.remove()
    # the legend keeps the names whole when they fit above the plot, one to a line
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == list(LONG_ARMS[:n_arms])


def test_a_legend_name_wider_than_the_figure_is_wrapped():
    name = "Arm A: " + " ".join(["fulvestrant 500 mg + capivasertib 400 mg"] * 3)
    g = survstat.datasets.load("gbsg2")
    arm = pl.Series("arm", [name if i % 2 else "Arm B: anastrozole" for i in range(g.height)])
    fig = PLOTS["km"].run(g.with_columns(arm), time="time", event="cens", by=["arm"], width=6.0)
    _check_layout(fig)
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "\n" in texts[0]
    assert texts[0].replace("\n", " ") == name
    assert texts[1] == "Arm B: anastrozole"
    assert fig.axes[0].get_window_extent().width >= 0.6 * fig.bbox.width


@pytest.mark.parametrize(
    ("top", "ticks"),
    [
        (0.0, [0.0, 0.05]),
        (0.12, [0.0, 0.05, 0.1, 0.15]),
        (0.25, [0.0, 0.05, 0.1, 0.15, 0.2, 0.25]),
        (0.305, [0.0, 0.1, 0.2, 0.3, 0.4]),
        (0.6, [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]),
        (0.61, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (float("nan"), [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]),
    ],
)
def test_probability_axis_ticks(top, ticks):
    from survstat.plot_curves._layout import probability_ticks

    assert probability_ticks(top) == ticks


def test_a_small_incidence_fills_the_plot_and_survival_keeps_0_to_1():
    """The cumulative incidence axis ends at the first round value above the highest band
    (Pocock et al. 2002); the Kaplan-Meier axis is always 0 to 1."""
    mgus = survstat.datasets.load("mgus2")
    fig = PLOTS["cif"].run(mgus, time="etime", cause="event", of_interest=1, by=["sex"])
    cif = survstat.cumulative_incidence(mgus, time="etime", cause="event", by="sex")
    highest = cif.table.filter(pl.col("cause") == 1).get_column("conf_high").max()
    assert 0.3 < highest < 0.4
    assert list(fig.axes[0].get_yticks()) == [0.0, 0.1, 0.2, 0.3, 0.4]
    assert fig.axes[0].get_ylim()[1] == pytest.approx(0.408)
    _check_layout(fig)
    without_bands = PLOTS["cif"].run(
        mgus, time="etime", cause="event", of_interest=1, by=["sex"], conf_int=False
    )
    assert list(without_bands.axes[0].get_yticks()) == [0.0, 0.05, 0.1, 0.15, 0.2]
    assert list(_km(2).axes[0].get_yticks()) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
