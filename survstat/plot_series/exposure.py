"""Treatment and lab courses of a small series: cumulative relative dose intensity over time,
and lab results per patient in panels, each patient in one colour across the panels.

Hyperglycaemia grades, when drawn, are those of CTCAE v4.03 (fasting glucose: grade 1 above
the upper limit of normal to 160 mg/dL, grade 2 >160-250, grade 3 >250-500, grade 4 >500),
the version SOLAR-1 graded alpelisib's hyperglycaemia by; CTCAE v5.0 grades hyperglycaemia by
the intervention it needs, not by a glucose value, so it has no lines to draw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import polars as pl

from survstat.plot import DEFAULT_DPI
from survstat.plot_series._common import OKABE_ITO, frame_of, label_of, numbers, outside_legend

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Patients' colours: Okabe–Ito without yellow (faint on white) and black (reference lines).
_COLOURS = tuple(c for c in OKABE_ITO if c not in ("#F0E442", "#000000"))

#: CTCAE v4.03 fasting glucose grade boundaries (mg/dL): the lower limit of grades 2, 3, 4.
CTCAE_GLUCOSE: tuple[tuple[str, float], ...] = (
    ("CTCAE v4.03\ngrade 2 (>160)", 160.0),
    ("CTCAE v4.03\ngrade 3 (>250)", 250.0),
    ("CTCAE v4.03\ngrade 4 (>500)", 500.0),
)


def _colour_map(subjects: Sequence[object]) -> dict[object, str]:
    return {s: _COLOURS[k % len(_COLOURS)] for k, s in enumerate(subjects)}


def _tidy(ax: Axes) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def dose_intensity_figure(
    over_time: pl.DataFrame,
    *,
    subject: str = "subject_id",
    xlabel: str = "study day",
    title: str | None = None,
) -> Figure:
    """Cumulative relative dose intensity over time, one line per subject, with the planned
    dose intensity (100%) as a dashed line.

    Parameters
    ----------
    over_time
        The ``over_time`` table of :func:`survstat.endpoints.dose_intensity.dose_intensity`:
        the subject column, ``day``, ``cumulative_dose``, ``planned_cumulative_dose`` and
        ``relative_dose_intensity`` (a fraction).
    subject
        The subject id column.
    xlabel
        The label of the time axis.
    title
        The figure title; None for none.

    Returns
    -------
    matplotlib.figure.Figure
        The figure: one Axes, one line per subject labelled by its id.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import PercentFormatter

    frame = frame_of(
        over_time, {subject: "subject", "day": "day", "relative_dose_intensity": "RDI"}
    )
    rdi = numbers(frame, "relative_dose_intensity", "RDI", nulls=False) * 100
    frame = frame.with_columns(rdi.alias("__pct")).sort(subject, "day")
    subjects = frame.get_column(subject).unique(maintain_order=True).to_list()
    colours = _colour_map(subjects)
    fig, ax = plt.subplots(figsize=(7.5, 3.8), layout="constrained", dpi=DEFAULT_DPI)
    for s in subjects:
        days, pct = _daily(frame.filter(pl.col(subject) == s))
        ax.plot(days, pct, color=colours[s], lw=1.6, label=label_of(s))
    # beneath the lines: a patient on full dose throughout is drawn on it, not hidden by it
    ax.axhline(100.0, color="0.3", ls="--", lw=0.9, zorder=1.5, label="planned (100%)")
    low = min(float(rdi.to_numpy().min()), 100.0)
    ax.set_ylim(max(0.0, (low // 10) * 10 - 5), 105.0)
    ax.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    ax.set_ylabel("cumulative relative dose intensity")
    ax.set_xlabel(xlabel)
    _tidy(ax)
    outside_legend(fig, ax, title=subject, order=("planned (100%)",))
    if title:
        fig.suptitle(title, parse_math=False)
    return fig


def _daily(one: pl.DataFrame) -> tuple[list[float], list[float]]:
    """A subject's cumulative RDI (in %) on every day from the first dose to the last.

    The cumulative delivered and planned doses are linear in the day between the rows of
    the ``over_time`` table, so interpolating them is exact at whole days; their ratio is
    not linear (after an interruption it climbs back as 1 - c / t), hence the daily grid.
    """
    import numpy as np

    day = one.get_column("day").cast(pl.Float64).to_numpy()
    grid = np.arange(day[0], day[-1] + 1.0)
    cum = np.interp(grid, day, one.get_column("cumulative_dose").cast(pl.Float64).to_numpy())
    plan = np.interp(
        grid, day, one.get_column("planned_cumulative_dose").cast(pl.Float64).to_numpy()
    )
    return grid.tolist(), (100.0 * cum / plan).tolist()


def labs_figure(
    bds: pl.DataFrame,
    *,
    subject: str,
    param: str,
    day: str,
    y: str,
    params: Sequence[str],
    ylabels: Mapping[str, str],
    marks: Mapping[object, float] | None = None,
    mark_label: str = "marked day",
    lines: Mapping[str, Sequence[tuple[str, float]]] | None = None,
    zero_line: bool = False,
    xlabel: str = "study day",
    title: str | None = None,
) -> Figure:
    """Lab results over time: one panel per parameter, one line per subject in the same
    colour in every panel, a dashed vertical line at each subject's marked day.

    Parameters
    ----------
    bds
        One row per subject, parameter and day, with the column ``y`` to draw (null values
        are skipped).
    subject, param, day
        The subject, parameter and study day columns.
    y
        The column drawn (the value, CHG or PCHG).
    params
        The parameters drawn, one panel each, top to bottom.
    ylabels
        The y-axis label of each parameter.
    marks
        Subject -> the day to mark (e.g. the start of a concomitant drug); None for none.
    mark_label
        What the marked day is, for the legend.
    lines
        Parameter -> (label, value) horizontal reference lines (thresholds, upper limits of
        normal); only those within the panel's range of values are drawn.
    zero_line
        Draw a line at 0 (no change from baseline).
    xlabel
        The label of the time axis.
    title
        The figure title; None for none.

    Returns
    -------
    matplotlib.figure.Figure
        The figure: one Axes per parameter, each subject's line labelled by its id; the
        legend under the panels.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    frame = bds.filter(pl.col(y).is_not_null()).sort(subject, day)
    subjects = bds.get_column(subject).unique(maintain_order=True).sort().to_list()
    colours = _colour_map(subjects)
    fig, axes = plt.subplots(
        len(params),
        1,
        figsize=(7.5, 0.8 + 2.7 * len(params)),
        sharex=True,
        squeeze=False,
        layout="constrained",
        dpi=DEFAULT_DPI,
    )
    for ax, code in zip(axes[:, 0], params, strict=True):
        rows = frame.filter(pl.col(param) == code)
        for s in subjects:
            one = rows.filter(pl.col(subject) == s)
            ax.plot(
                one.get_column(day).to_list(),
                one.get_column(y).to_list(),
                color=colours[s],
                lw=1.4,
                marker="o",
                ms=3,
                label=label_of(s),
            )
        for s, at in (marks or {}).items():
            if s in colours:
                ax.axvline(at, color=colours[s], ls="--", lw=0.9, alpha=0.9)
        values = rows.get_column(y).cast(pl.Float64)
        _reference_lines(ax, (lines or {}).get(code, ()), values, zero_line)
        ax.set_ylabel(ylabels.get(code, code))
        _tidy(ax)
    axes[-1, 0].set_xlabel(xlabel)
    top = axes[0, 0]
    if marks:
        top.add_line(Line2D([], [], color="0.3", ls="--", lw=0.9, label=f"{mark_label} (dashed)"))
    handles, names = top.get_legend_handles_labels()
    legend = fig.legend(
        handles, names, loc="outside lower center", ncols=min(len(names), 6), frameon=False
    )
    for text in legend.get_texts():
        text.set_fontsize(8)
        text.set_parse_math(False)
    if title:
        fig.suptitle(title, parse_math=False)
    return fig


def _reference_lines(
    ax: Axes, lines: Sequence[tuple[str, float]], values: pl.Series, zero_line: bool
) -> None:
    """Dotted reference lines within the range of the values, labelled right of the axes."""
    if zero_line:
        ax.axhline(0.0, color="0.5", lw=0.7)
    if values.len() == 0:
        return
    array = values.to_numpy()
    low, high = float(array.min()), float(array.max())
    span = max(high - low, 1.0)
    for name, at in lines:
        if not (low - 0.25 * span <= at <= high + 0.25 * span):
            continue
        ax.axhline(at, color="0.25", ls=":", lw=0.9)
        ax.text(
            1.005,
            at,
            name,
            transform=ax.get_yaxis_transform(),
            va="center",
            ha="left",
            fontsize=7,
            parse_math=False,
        )
