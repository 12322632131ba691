"""Per-subject figures: swimmer, waterfall, spider and BCR-ABL1 trajectories.

Each figure is checked through its artists: the bars, lanes, lines and points drawn equal the
input values, in the documented order, with the RECIST 1.1 or ELN reference lines at their
values; every text lies inside the figure and no two texts overlap (window extents under Agg).
Each runs on the bundled data and on a hand-built series of four patients, as a phase Ib
report or a case series (ACTIM-style) shows them.
"""

from __future__ import annotations

from itertools import combinations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import polars as pl
import pytest
from matplotlib.colors import to_hex

from survstat import datasets
from survstat.analyses.plots import PLOTS
from survstat.endpoints.cml_input import Thresholds
from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    EmptyDataError,
    InvalidValueError,
    MissingValueError,
    OptionError,
)
from survstat.plot_series import (
    ELN_LEVELS,
    OKABE_ITO,
    RESPONSE_COLOURS,
    best_change,
    cml_trajectories_figure,
    spider_figure,
    swimmer_figure,
    waterfall_figure,
)

BLUE, ORANGE = OKABE_ITO[0], OKABE_ITO[1]


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


# --- helpers -----------------------------------------------------------------------------


def _texts(fig):
    """Every text drawn: titles, axis labels, tick labels in view, legends, free texts."""
    fig.canvas.draw()
    found = [t for t in fig.texts]
    for name in ("_suptitle", "_supxlabel", "_supylabel"):
        if getattr(fig, name, None) is not None:
            found.append(getattr(fig, name))
    for legend in fig.legends:
        found += [*legend.get_texts(), legend.get_title()]
    for ax in fig.axes:
        found += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
        found += ax.texts
        lo, hi = sorted(ax.get_xlim())
        found += [t for t in ax.get_xticklabels() if lo <= t.get_position()[0] <= hi]
        lo, hi = sorted(ax.get_ylim())
        found += [t for t in ax.get_yticklabels() if lo <= t.get_position()[1] <= hi]
        if ax.get_legend() is not None:
            found += ax.get_legend().get_texts()
    unique = {id(t): t for t in found}.values()  # the figure's texts include its supxlabel
    return [t for t in unique if t.get_visible() and t.get_text().strip()]


def assert_texts_fit(fig):
    """No text is clipped by the figure's edge, and no two texts overlap."""
    renderer = fig.canvas.get_renderer()
    frame = fig.bbox
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in _texts(fig)]
    assert boxes
    for text, box in boxes:
        inside = (
            box.x0 >= frame.x0 - 0.5
            and box.x1 <= frame.x1 + 0.5
            and box.y0 >= frame.y0 - 0.5
            and box.y1 <= frame.y1 + 0.5
        )
        assert inside, f"{text!r} is clipped: {box} outside {frame}"
    for (a, box_a), (b, box_b) in combinations(boxes, 2):
        overlap_x = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
        overlap_y = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
        assert overlap_x <= 0.5 or overlap_y <= 0.5, f"{a!r} overlaps {b!r}"


def _legend_labels(fig):
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


def _points(ax, marker):
    """(x, y) of every point drawn with ``marker`` (lines without a connecting line)."""
    out = []
    for line in ax.get_lines():
        if line.get_marker() == marker and line.get_linestyle() == "None":
            out += list(zip(line.get_xdata(), line.get_ydata(), strict=True))
    return sorted((float(x), float(y)) for x, y in out)


def _hlines(ax):
    """The y of every horizontal line across the axes (axhline)."""
    return sorted(
        float(line.get_ydata()[0])
        for line in ax.get_lines()
        if len(line.get_xdata()) == 2
        and list(line.get_xdata()) == [0, 1]
        and line.get_ydata()[0] == line.get_ydata()[1]
    )


def _nonblank_png(path):
    image = plt.imread(path)
    assert image.shape[0] > 300
    assert image.shape[1] > 300
    assert image[..., :3].std() > 0.05


# --- a series of four patients -----------------------------------------------------------

#: A phase Ib series: per subject, what `recist derive` writes (the columns the swimmer reads).
SERIES = pl.DataFrame(
    {
        "subject_id": ["P1", "P2", "P3", "P4"],
        "arm": ["dose 1", "dose 1", "dose 2", "dose 2"],
        "os_time": [120.0, 400.0, 250.0, 60.0],
        "os_event": [True, False, False, True],
        "bor": ["PD", "CR", "PR", "NE"],
        "response_day": [None, 56.0, 112.0, None],
        "dor_time": [None, 300.0, 100.0, None],
        "first_pd_day": [55.0, None, 212.0, None],
    }
)

#: Their sums of target-lesion diameters, as `sdtm tr` writes them (P4 never re-assessed).
SUMS = pl.DataFrame(
    {
        "subject_id": ["P1", "P1", "P2", "P2", "P2", "P2", "P3", "P3", "P3", "P4"],
        "study_day": [-7, 55, -3, 56, 112, 168, -10, 56, 112, -5],
        "baseline": [True, False, True, False, False, False, True, False, False, True],
        "percent_change": [0.0, 32.0, 0.0, -45.0, -100.0, None, 0.0, -20.0, -35.5, 0.0],
    }
)


def _lanes(fig):
    """Subject -> (bar y, bar width, bar colour), read from the bars and tick labels."""
    ax = fig.axes[0]
    labels = {round(t.get_position()[1]): t.get_text() for t in ax.get_yticklabels()}
    out = {}
    for bar in ax.patches:
        y = round(bar.get_y() + bar.get_height() / 2)
        out[labels[y]] = (y, bar.get_width(), to_hex(bar.get_facecolor()).upper())
    return out


def test_swimmer_lanes_sorted_with_lengths_and_colours():
    fig = swimmer_figure(SERIES, by="arm")
    lanes = _lanes(fig)
    # longest on top: P2 (400), P3 (250), P1 (120), P4 (60)
    assert sorted(lanes, key=lambda s: -lanes[s][0]) == ["P2", "P3", "P1", "P4"]
    assert {s: w for s, (_, w, _) in lanes.items()} == {
        "P1": 120.0,
        "P2": 400.0,
        "P3": 250.0,
        "P4": 60.0,
    }
    assert lanes["P1"][2] == lanes["P2"][2] == BLUE.upper()
    assert lanes["P3"][2] == lanes["P4"][2] == ORANGE.upper()
    assert_texts_fit(fig)


def test_swimmer_markers_at_the_input_days():
    fig = swimmer_figure(SERIES, by="arm")
    ax, y = fig.axes[0], {s: v[0] for s, v in _lanes(fig).items()}
    assert _points(ax, "D") == [(56.0, y["P2"])]  # CR onset
    assert _points(ax, "^") == [(112.0, y["P3"])]  # PR onset
    assert _points(ax, "X") == sorted([(55.0, y["P1"]), (212.0, y["P3"])])  # progression
    assert _points(ax, "s") == sorted([(120.0, y["P1"]), (60.0, y["P4"])])  # death
    durations = sorted(
        (tuple(line.get_xdata()), line.get_ydata()[0])
        for line in ax.get_lines()
        if line.get_linestyle() == "-" and len(line.get_xdata()) == 2
    )
    assert durations == [((56.0, 356.0), y["P2"]), ((112.0, 212.0), y["P3"])]
    # an arrow past the lane's end for each subject still followed (P2, P3)
    arrows = sorted((a.xy, a.xyann) for a in ax.texts if a.arrow_patch is not None)
    assert [(start[0], start[1]) for _, start in arrows] == sorted(
        [(250.0, y["P3"]), (400.0, y["P2"])]
    )
    assert _legend_labels(fig) == [
        "dose 1",
        "dose 2",
        "CR onset",
        "PR onset",
        "response duration",
        "progression",
        "death",
        "alive, still followed",
    ]


def test_swimmer_on_the_bundled_trial():
    from survstat.analyses import ANALYSES

    out = ANALYSES["recist derive"].run(
        datasets.load("breast_trial_assessments"), datasets.load("breast_trial_subjects")
    )
    fig = PLOTS["swimmer"].run(out.table, by="arm")
    widths = [bar.get_width() for bar in sorted(fig.axes[0].patches, key=lambda b: -b.get_y())]
    assert widths == sorted(out.table.get_column("os_time").to_list(), reverse=True)
    assert len(widths) == 120
    assert _legend_labels(fig)[:3] == sorted(out.table.get_column("arm").unique().to_list())
    assert_texts_fit(fig)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"os_time": [-5.0, 400.0, 250.0, 60.0]}, InvalidValueError,
         r"`os_time` \(lane length\) must be non-negative; found 1 negative value "
         r"\(first: -5.0 for subject P1\)"),
        ({"os_time": [None, 400.0, 250.0, 60.0]}, MissingValueError,
         r"`os_time` \(lane length\) must not be missing; found 1 missing value \("),
        ({"first_pd_day": [155.0, None, 212.0, None]}, InvalidValueError,
         r"`first_pd_day` \(progression\) must lie within the lane \(0 to `os_time`\); "
         r"found 1 value outside \(first: 155.0 for subject P1, lane 120.0\)"),
        ({"subject_id": ["P1", "P1", "P3", "P4"]}, InvalidValueError,
         r"`subject_id` \(subject\) must name each subject once; found 2 rows .*first: P1"),
        ({"os_time": ["a", "b", "c", "d"]}, ColumnTypeError,
         r"`os_time` \(lane length\) must be numeric; found dtype String"),
        ({"os_event": [2, 0, 0, 1]}, InvalidValueError,
         r"`os_event` \(death\) must be boolean or 0/1; found 1 other value \(first: 2"),
    ],
)  # fmt: skip
def test_swimmer_bad_input_names_the_column(change, error, match):
    with pytest.raises(error, match=match):
        swimmer_figure(SERIES.with_columns(**{k: pl.Series(v) for k, v in change.items()}))


def test_swimmer_missing_column_suggests_the_nearest():
    with pytest.raises(ColumnNotFoundError, match=r"`os_tim` \(given as lane length\).*`os_time`"):
        swimmer_figure(SERIES, length="os_tim")


# --- waterfall ---------------------------------------------------------------------------


def test_best_change_leaves_out_baseline_and_unmeasured():
    best = best_change(SUMS)
    # P4 has no post-baseline sum; P2's missing sum (lesion not measured) is skipped
    assert best.rows() == [("P1", 32.0), ("P2", -100.0), ("P3", -35.5)]


def test_waterfall_bars_sorted_with_heights_colours_and_recist_lines():
    table = best_change(SUMS).join(SERIES.select("subject_id", "bor"), on="subject_id")
    fig = waterfall_figure(table, color="bor")
    ax = fig.axes[0]
    bars = sorted(ax.patches, key=lambda b: b.get_x())
    assert [b.get_height() for b in bars] == [32.0, -35.5, -100.0]
    assert [to_hex(b.get_facecolor()).upper() for b in bars] == [
        RESPONSE_COLOURS[r].upper() for r in ("PD", "PR", "CR")
    ]
    assert _hlines(ax) == [-30.0, 0.0, 20.0]
    assert _legend_labels(fig) == [
        "CR",
        "PR",
        "PD",
        "+20% (RECIST 1.1 PD)",
        "−30% (RECIST 1.1 PR)",
    ]
    assert_texts_fit(fig)


def test_waterfall_ties_by_subject_and_missing_colour():
    table = pl.DataFrame({"subject_id": ["B", "A", "C"], "best_change": [-10.0, -10.0, 5.0]})
    table = table.with_columns(bor=pl.Series(["SD", None, "PD"]))
    fig = waterfall_figure(table, color="bor")
    bars = sorted(fig.axes[0].patches, key=lambda b: b.get_x())
    assert [b.get_height() for b in bars] == [5.0, -10.0, -10.0]
    assert "missing" in _legend_labels(fig)


def test_waterfall_command_on_the_bundled_trial():
    from survstat.analyses import ANALYSES

    tr = ANALYSES["sdtm tr"].run(datasets.load("breast_trial_tr"), datasets.load("breast_trial_dm"))
    derived = (
        ANALYSES["recist derive"]
        .run(datasets.load("breast_trial_assessments"), datasets.load("breast_trial_subjects"))
        .table
    )
    fig = PLOTS["waterfall"].run(tr.table, derived)
    bars = sorted(fig.axes[0].patches, key=lambda b: b.get_x())
    expected = best_change(tr.table).get_column("best_change").sort(descending=True).to_list()
    assert [b.get_height() for b in bars] == expected
    assert len(bars) == 115
    assert _hlines(fig.axes[0]) == [-30.0, 0.0, 20.0]
    shown = derived.join(best_change(tr.table), on="subject_id").get_column("bor").unique()
    responses = [r for r in RESPONSE_COLOURS if r in shown.cast(pl.String).to_list()]
    assert _legend_labels(fig) == [*responses, "+20% (RECIST 1.1 PD)", "−30% (RECIST 1.1 PR)"]
    assert_texts_fit(fig)


def test_waterfall_bad_input():
    with pytest.raises(MissingValueError, match=r"`best_change` \(best % change\) must not be"):
        waterfall_figure(pl.DataFrame({"subject_id": ["A"], "best_change": [None]}))
    with pytest.raises(ColumnNotFoundError, match=r"`bor` \(given as color_by\) not found in the "):
        PLOTS["waterfall"].run(SUMS, SERIES.drop("bor"))
    with pytest.raises(InvalidValueError, match=r"`arm` \(color_by\) must take one value per"):
        PLOTS["waterfall"].run(
            SUMS.with_columns(arm=pl.Series(["a", "b", *["a"] * 8])), color_by="arm"
        )
    with pytest.raises(EmptyDataError, match=r"`percent_change` \(% change\) has no post-baseline"):
        PLOTS["waterfall"].run(SUMS.filter(pl.col("baseline")))


# --- spider ------------------------------------------------------------------------------


def test_spider_lines_start_at_baseline_and_follow_the_sums():
    data = SUMS.join(SERIES.select("subject_id", "arm"), on="subject_id")
    fig = spider_figure(data, color="arm")
    ax = fig.axes[0]
    lines = {
        line.get_label().removeprefix("_subject "): line
        for line in ax.get_lines()
        if line.get_label().startswith("_subject ")
    }
    assert sorted(lines) == ["P1", "P2", "P3", "P4"]
    xy = {s: list(zip(ln.get_xdata(), ln.get_ydata(), strict=True)) for s, ln in lines.items()}
    assert xy["P1"] == [(0.0, 0.0), (55.0, 32.0)]
    assert xy["P2"] == [(0.0, 0.0), (56.0, -45.0), (112.0, -100.0)]  # day 168 not measured
    assert xy["P3"] == [(0.0, 0.0), (56.0, -20.0), (112.0, -35.5)]
    assert xy["P4"] == [(0.0, 0.0)]
    assert to_hex(lines["P1"].get_color()).upper() == BLUE.upper()
    assert to_hex(lines["P3"].get_color()).upper() == ORANGE.upper()
    assert _hlines(ax) == [-30.0, 0.0, 20.0]
    assert _legend_labels(fig) == [
        "dose 1",
        "dose 2",
        "+20% (RECIST 1.1 PD)",
        "−30% (RECIST 1.1 PR)",
    ]
    assert_texts_fit(fig)


def test_spider_on_the_bundled_trial_by_best_response():
    from survstat.analyses import ANALYSES

    tr = ANALYSES["sdtm tr"].run(datasets.load("breast_trial_tr"), datasets.load("breast_trial_dm"))
    derived = (
        ANALYSES["recist derive"]
        .run(datasets.load("breast_trial_assessments"), datasets.load("breast_trial_subjects"))
        .table
    )
    fig = PLOTS["spider"].run(tr.table, derived)
    lines = [ln for ln in fig.axes[0].get_lines() if ln.get_label().startswith("_subject ")]
    assert len(lines) == tr.table.get_column("subject_id").n_unique()
    drawn = sum(len(ln.get_xdata()) for ln in lines)
    expected = tr.table.filter(pl.col("baseline") | pl.col("percent_change").is_not_null()).height
    assert drawn == expected
    colours = {to_hex(ln.get_color()).upper() for ln in lines}
    assert colours <= {c.upper() for c in RESPONSE_COLOURS.values()}
    assert_texts_fit(fig)


def test_spider_bad_input():
    with pytest.raises(ColumnTypeError, match=r"`study_day` \(time\) must be numeric"):
        spider_figure(SUMS.with_columns(pl.col("study_day").cast(pl.String)))
    with pytest.raises(EmptyDataError, match=r"`percent_change` \(% change\) has no value"):
        spider_figure(
            SUMS.with_columns(pl.lit(None, pl.Float64).alias("percent_change")), baseline=None
        )


# --- CML trajectories --------------------------------------------------------------------

#: Four patients' BCR-ABL1 results: P2 undetectable at 50,000 ABL1 copies (limit 0.002%),
#: P4 undetectable at 5,000 copies (not evaluable: not drawn).
LABS = pl.DataFrame(
    {
        "patient_id": ["P1", "P1", "P1", "P2", "P2", "P3", "P3", "P4", "P4"],
        "time": [0.0, 3.0, 6.0, 0.0, 6.0, 0.0, 12.0, 0.0, 3.0],
        "is_percent": [30.0, 0.5, 0.08, 1.2, None, 10.0, 0.004, 5.0, None],
        "detected": [True, True, True, True, False, True, True, True, False],
        "control_gene": ["ABL1"] * 9,
        "control_copies": [4e4, 4e4, 4e4, 4e4, 5e4, 4e4, 4e4, 4e4, 5e3],
        "arm": ["A", "A", "A", "A", "A", "B", "B", "B", "B"],
    }
)


def test_eln_levels_match_the_endpoints_thresholds():
    thr = Thresholds()
    assert dict(ELN_LEVELS) == {"MMR": thr.mmr, "MR4": thr.mr4, "MR4.5": thr.mr45, "MR5": thr.mr5}


def test_cml_points_levels_and_detection_limits():
    fig = PLOTS["cml-trajectories"].run(LABS)
    (ax,) = fig.axes
    assert ax.get_yscale() == "log"
    assert _points(ax, "o") == sorted(
        [(0.0, 30.0), (3.0, 0.5), (6.0, 0.08), (0.0, 1.2), (0.0, 10.0), (12.0, 0.004), (0.0, 5.0)]
    )
    assert _points(ax, "v") == [(6.0, pytest.approx(0.01 * 10_000 / 50_000))]
    assert _hlines(ax) == [0.001, 0.0032, 0.01, 0.1]
    assert sorted(t.get_text() for t in ax.texts) == sorted(
        ["MMR (0.1%)", "MR4 (0.01%)", "MR4.5 (0.0032%)", "MR5 (0.001%)"]
    )
    lines = [ln for ln in ax.get_lines() if ln.get_label().startswith("_patient ")]
    assert [ln.get_label() for ln in lines] == [f"_patient P{i}" for i in range(1, 5)]
    assert list(lines[1].get_ydata()) == [1.2, pytest.approx(0.002)]
    assert (
        "1 undetectable results with too few control-gene copies"
        in fig.legends[0].get_title().get_text()
    )
    assert _legend_labels(fig) == ["detectable: IS %", "undetectable: at the detection limit"]
    assert_texts_fit(fig)


def test_cml_median_line_per_window():
    fig = PLOTS["cml-trajectories"].run(LABS, median_every=3.0)
    (median,) = [ln for ln in fig.axes[0].get_lines() if ln.get_label() == "_median"]
    # windows 0, 3, 6, 12: each patient's last result in the window (P2 at its limit 0.002%)
    assert list(median.get_xdata()) == [0.0, 3.0, 6.0, 12.0]
    assert list(median.get_ydata()) == pytest.approx([7.5, 0.5, 0.041, 0.004])
    assert _legend_labels(fig)[-1] == "median"
    assert_texts_fit(fig)
    with pytest.raises(OptionError, match=r"`median_every` must be a positive number; got 0"):
        PLOTS["cml-trajectories"].run(LABS, median_every=0.0)


def test_cml_facets_per_arm():
    fig = PLOTS["cml-trajectories"].run(LABS, by="arm")
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["arm = A", "arm = B"]
    assert [
        len([ln for ln in ax.get_lines() if ln.get_label().startswith("_patient ")])
        for ax in fig.axes
    ] == [2, 2]
    assert_texts_fit(fig)


def test_cml_on_the_bundled_series_with_patient_table():
    labs = datasets.load("actim_like_labs")
    fig = PLOTS["cml-trajectories"].run(labs, datasets.load("actim_like_patients"), by="arm")
    lines = [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_label().startswith("_pat")]
    assert len(lines) == labs.get_column("patient_id").n_unique()
    detected = labs.filter(pl.col("detected"))
    drawn = sorted(y for ax in fig.axes for _, y in _points(ax, "o"))
    assert drawn == sorted(detected.get_column("is_percent").to_list())
    assert_texts_fit(fig)


def test_cml_bad_input():
    with pytest.raises(
        InvalidValueError, match=r"`v` \(IS % or detection limit\) must be positive"
    ):
        cml_trajectories_figure(LABS.with_columns(v=pl.lit(0.0)), value="v")
    with pytest.raises(
        ColumnNotFoundError, match=r"`arms` \(given as by\) not found in --patients"
    ):
        PLOTS["cml-trajectories"].run(LABS, LABS.select("patient_id", "arm"), by="arms")
    with pytest.raises(InvalidValueError, match=r"`arm` \(facet\) must take one value per subject"):
        cml_trajectories_figure(
            LABS.with_columns(arm=pl.Series(["A", "B", *["A"] * 7])),
            value="control_copies",
            by="arm",
        )


# --- command line ------------------------------------------------------------------------


def test_plot_commands_write_pngs(tmp_path):
    from typer.testing import CliRunner

    from survstat.cli import app

    runner = CliRunner()
    series, sums, labs = (tmp_path / f"{n}.parquet" for n in ("series", "sums", "labs"))
    SERIES.write_parquet(series)
    SUMS.write_parquet(sums)
    LABS.write_parquet(labs)
    runs = {
        "swimmer": [str(series), "--by", "arm"],
        "waterfall": [str(sums), "--derived", str(series)],
        "spider": [str(sums), "--derived", str(series), "--color-by", "arm"],
        "cml-trajectories": [str(labs), "--by", "arm"],
    }
    for name, args in runs.items():
        out = tmp_path / f"{name}.png"
        r = runner.invoke(app, ["plot", name, *args, "-o", str(out)])
        assert r.exit_code == 0, r.output
        _nonblank_png(out)
    bad = runner.invoke(
        app, ["plot", "swimmer", str(series), "--length", "os", "-o", str(tmp_path / "x.png")]
    )
    assert bad.exit_code == 1
    assert "`os`" in bad.output
    assert not (tmp_path / "x.png").exists()


def test_the_text_check_sees_overlap_and_clipping():
    fig, ax = plt.subplots(figsize=(3, 2), layout="constrained")
    ax.text(0.5, 0.5, "one label")
    ax.text(0.52, 0.5, "another label")
    with pytest.raises(AssertionError, match="overlaps"):
        assert_texts_fit(fig)
    fig, ax = plt.subplots(figsize=(3, 2), layout="constrained")
    fig.text(0.9, 0.5, "a label running past the right edge")
    with pytest.raises(AssertionError, match="clipped"):
        assert_texts_fit(fig)


def test_job_plot_steps_draw_the_series_figures(tmp_path):
    from typer.testing import CliRunner

    from survstat.cli import app

    job = tmp_path / "series.toml"
    job.write_text(
        """
[job]
title = "Phase Ib series"
output = "out"

[inputs]
assessments = { dataset = "breast_trial_assessments" }
subjects = { dataset = "breast_trial_subjects" }
tr = { dataset = "breast_trial_tr" }
dm = { dataset = "breast_trial_dm" }
labs = { dataset = "actim_like_labs" }

[[step]]
name = "derived"
analysis = "recist derive"
input = "assessments"
subjects = "subjects"

[[step]]
name = "sums"
analysis = "sdtm tr"
input = "tr"
dm = "dm"

[[step]]
name = "swimmer"
plot = "swimmer"
input = "derived"
by = "arm"

[[step]]
name = "waterfall"
plot = "waterfall"
input = "sums"
derived = "derived"

[[step]]
name = "trajectories"
plot = "cml-trajectories"
input = "labs"
"""
    )
    r = CliRunner().invoke(app, ["run", str(job), "--output", str(tmp_path / "out"), "-q"])
    assert r.exit_code == 0, r.output
    for name in ("swimmer", "waterfall", "trajectories"):
        figures = list((tmp_path / "out").glob(f"{name}.*"))
        assert [f.suffix for f in figures] == [".png"], figures
        _nonblank_png(figures[0])
