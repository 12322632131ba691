"""Waterfall and spider plots of the change in the sum of target-lesion diameters.

References
----------
1. Eisenhauer EA et al. New response evaluation criteria in solid tumours: revised RECIST
   guideline (version 1.1). Eur J Cancer 2009;45:228-247 (partial response: at least a 30%
   decrease in the sum of target-lesion diameters; progression: at least a 20% increase over
   the smallest sum).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from survstat.errors import EmptyDataError, InvalidValueError
from survstat.io import FrameLike
from survstat.plot import DEFAULT_DPI
from survstat.plot_series._common import (
    OKABE_ITO,
    RECIST_LABELS,
    RECIST_PD,
    RECIST_PR,
    colours_of,
    flags,
    frame_of,
    label_of,
    numbers,
    ordered_levels,
    outside_legend,
    per_subject,
    recist_lines,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def best_change(
    data: FrameLike,
    *,
    subject: str = "subject_id",
    change: str = "percent_change",
    baseline: str | None = "baseline",
) -> pl.DataFrame:
    """The best (smallest) % change from baseline of each subject, over post-baseline rows.

    Rows where ``baseline`` is true and rows without a change (a lesion not measured) are left
    out; a subject with no row left has no best change and is not in the result. RECIST 1.1
    (Eisenhauer et al. 2009) measures response by the decrease of the sum of target-lesion
    diameters, so the best change is the minimum.

    Parameters
    ----------
    data
        One row per subject and assessment (e.g. the output of ``survstat sdtm tr``).
    subject
        The subject id column.
    change
        The % change column.
    baseline
        The boolean column marking baseline rows; None when every row is post-baseline.

    Returns
    -------
    polars.DataFrame
        ``subject`` and ``best_change``, one row per subject, sorted by subject.
    """
    needed = {subject: "subject", change: "% change"} | (
        {baseline: "baseline flag"} if baseline else {}
    )
    frame = frame_of(data, needed)
    values = numbers(frame, change, "% change")
    rows = frame.select(pl.col(subject), values.alias("__change"))
    if baseline:
        rows = rows.filter(~flags(frame, baseline, "baseline flag").fill_null(False))
    return (
        rows.drop_nulls("__change")
        .group_by(subject)
        .agg(pl.col("__change").min().alias("best_change"))
        .sort(subject)
    )


def waterfall_figure(
    data: FrameLike,
    *,
    subject: str = "subject_id",
    change: str = "best_change",
    color: str | None = None,
    ylabel: str = "best change in sum of target-lesion diameters (%)",
    title: str | None = None,
) -> Figure:
    """Waterfall plot: one bar per subject, its best % change, sorted from highest to lowest.

    Dashed lines at +20% and −30% mark the RECIST 1.1 thresholds of progression and partial
    response (Eisenhauer et al. 2009). Ties are ordered by subject id. Take the best changes
    from the per-assessment sums with :func:`best_change`.

    Parameters
    ----------
    data
        One row per subject.
    subject
        The subject id column.
    change
        The best % change column (no missing value).
    color
        The column that colours the bars (e.g. ``bor``: responses in fixed colours, CR blue
        to PD vermillion); None for one colour.
    ylabel
        The label of the y-axis.
    title
        The figure title; None for none.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; ``fig.axes[0].patches`` are the bars from left to right.

    Raises
    ------
    SurvstatError
        A one-line error naming the column: missing, not numeric, missing values, a subject
        named twice.
    """
    import matplotlib.pyplot as plt

    needed = {subject: "subject", change: "best % change"} | ({color: "colour"} if color else {})
    frame = frame_of(data, needed)
    values = numbers(frame, change, "best % change", nulls=False)
    duplicated = frame.get_column(subject).is_duplicated()
    if duplicated.any():
        raise InvalidValueError(
            f"`{subject}` (subject) must name each subject once; found {duplicated.sum()} rows "
            f"of repeated subjects (first: {frame.get_column(subject).filter(duplicated)[0]})"
        )
    bars = frame.select(
        pl.col(subject).alias("subject"),
        values.alias("change"),
        (pl.col(color) if color else pl.lit(None)).alias("colour"),
    ).sort(["change", "subject"], descending=[True, False])
    n = bars.height
    fig, ax = plt.subplots(
        figsize=(min(4.5 + 0.12 * n, 14.0), 4.5), layout="constrained", dpi=DEFAULT_DPI
    )
    levels = ordered_levels(bars.get_column("colour")) if color else [None]
    colours = colours_of(levels) if color else {None: OKABE_ITO[0]}
    shown = bars.get_column("colour").to_list()
    for level in levels:
        idx = [i for i in range(n) if not color or shown[i] == level]
        ax.bar(
            idx,
            [bars.get_column("change")[i] for i in idx],
            width=0.8,
            color=colours[level],
            label=label_of(level) if color else None,
        )
    recist_lines(ax)
    ax.set_xlim(-0.8, n - 0.2)  # the bars sit at 0 .. n-1
    heights = bars.get_column("change").to_list()
    low, high = min(*heights, RECIST_PR), max(*heights, RECIST_PD)
    pad = 0.06 * (high - low)
    ax.set_ylim(low - pad, high + pad)
    ax.set_xticks([])
    ax.set_xlabel(f"subjects (n = {n}), sorted by best change")
    ax.set_ylabel(ylabel)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title)
    outside_legend(fig, ax, title=color, order=RECIST_LABELS)
    return fig


def spider_figure(
    data: FrameLike,
    *,
    subject: str = "subject_id",
    time: str = "study_day",
    change: str = "percent_change",
    baseline: str | None = "baseline",
    color: str | None = None,
    xlabel: str = "study day",
    title: str | None = None,
) -> Figure:
    """Spider plot: the % change from baseline over time, one line per subject.

    Each subject's line starts at its baseline (drawn at time 0 and 0% when ``baseline`` marks
    a row, whatever its study day) and joins its later assessments in time order; rows without
    a change (a lesion not measured) are skipped. Dashed lines at +20% and −30% mark the RECIST
    1.1 thresholds (Eisenhauer et al. 2009). With the defaults the input is the output of
    ``survstat sdtm tr``.

    Parameters
    ----------
    data
        One row per subject and assessment.
    subject
        The subject id column.
    time
        The assessment time column (e.g. study day).
    change
        The % change from baseline column.
    baseline
        The boolean column marking baseline rows; None when there is none.
    color
        The column that colours the lines (e.g. ``arm`` or ``bor``), one value per subject;
        None for one colour.
    xlabel
        The label of the time axis.
    title
        The figure title; None for none.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; ``fig.axes[0]`` holds one line per subject labelled ``_subject <id>``
        (hidden from the legend), then the reference lines.

    Raises
    ------
    SurvstatError
        A one-line error naming the column: missing, not numeric, a colour that changes within
        a subject.
    """
    import matplotlib.pyplot as plt

    needed = {subject: "subject", time: "time", change: "% change"}
    needed |= ({baseline: "baseline flag"} if baseline else {}) | (
        {color: "colour"} if color else {}
    )
    frame = frame_of(data, needed)
    t = numbers(frame, time, "time")
    y = numbers(frame, change, "% change")
    is_base = (
        flags(frame, baseline, "baseline flag").fill_null(False)
        if baseline
        else pl.Series([False] * frame.height)
    )
    if color:
        per_subject(frame, subject, color, "colour")
    points = (
        frame.select(
            pl.col(subject).alias("subject"),
            pl.when(is_base).then(0.0).otherwise(t).alias("t"),
            pl.when(is_base).then(0.0).otherwise(y).alias("y"),
            (pl.col(color) if color else pl.lit(None)).alias("colour"),
        )
        .drop_nulls(["t", "y"])
        .sort(["subject", "t"])
    )
    if points.height == 0:
        raise EmptyDataError(f"`{change}` (% change) has no value to draw: every row is missing")
    fig, ax = plt.subplots(figsize=(8.0, 4.8), layout="constrained", dpi=DEFAULT_DPI)
    levels = ordered_levels(points.get_column("colour")) if color else [None]
    colours = colours_of(levels) if color else {None: OKABE_ITO[0]}
    for (sid,), rows in points.group_by(["subject"], maintain_order=True):
        ax.plot(
            rows.get_column("t").to_list(),
            rows.get_column("y").to_list(),
            marker="o",
            ms=3,
            lw=1.0,
            color=colours[rows.get_column("colour")[0]],
            label=f"_subject {sid}",
        )
    for level in levels if color else []:
        ax.plot([], [], color=colours[level], lw=1.5, label=label_of(level))
    recist_lines(ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("change in sum of target-lesion diameters (%)")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title)
    outside_legend(fig, ax, title=color, order=RECIST_LABELS)
    return fig
