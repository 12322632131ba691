"""Swimmer plot: one lane per subject with responses and events marked."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from survstat.errors import InvalidValueError, counted
from survstat.io import FrameLike
from survstat.plot import DEFAULT_DPI
from survstat.plot_series._common import (
    OKABE_ITO,
    colours_of,
    flags,
    frame_of,
    label_of,
    numbers,
    ordered_levels,
    outside_legend,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _swimmer_lanes(
    frame: pl.DataFrame, subject: str, length: str, columns: dict[str, str | None]
) -> pl.DataFrame:
    """The lanes of a swimmer plot, longest first, with their markers' positions checked."""
    lanes = numbers(frame, length, "lane length", nulls=False)
    negative = lanes < 0
    if negative.any():
        i = negative.arg_true()[0]
        raise InvalidValueError(
            f"`{length}` (lane length) must be non-negative; found "
            f"{counted(negative.sum(), 'negative value')} (first: {lanes[i]} for subject "
            f"{frame.get_column(subject)[i]})"
        )
    duplicated = frame.get_column(subject).is_duplicated()
    if duplicated.any():
        raise InvalidValueError(
            f"`{subject}` (subject) must name each subject once; found {duplicated.sum()} rows "
            f"of repeated subjects (first: {frame.get_column(subject).filter(duplicated)[0]})"
        )
    out = frame.select(pl.col(subject).alias("subject"), lanes.alias("length"))
    for role, column in columns.items():
        if column is None:
            continue
        if role in ("response_day", "response_length", "progression"):
            values = numbers(frame, column, role.replace("_", " "))
            late = values.is_not_null() & (values < 0)
            if role != "response_length":  # a duration may run past nothing but zero
                late = late | (values.is_not_null() & (values > lanes + 1e-9))
            if late.any():
                i = late.arg_true()[0]
                raise InvalidValueError(
                    f"`{column}` ({role.replace('_', ' ')}) must lie within the lane "
                    f"(0 to `{length}`); found {counted(late.sum(), 'value')} outside (first: "
                    f"{values[i]} "
                    f"for subject {frame.get_column(subject)[i]}, lane {lanes[i]})"
                )
        elif role == "death":
            values = flags(frame, column, "death")
        else:
            values = frame.get_column(column)
        out = out.with_columns(values.alias(role))
    return out.sort(["length", "subject"], descending=[True, False], nulls_last=True)


_SWIMMER_MARKERS = {
    "CR": {"marker": "D", "color": "black", "ms": 5, "label": "CR onset"},
    "PR": {"marker": "^", "color": "black", "ms": 6, "label": "PR onset"},
    "progression": {"marker": "X", "color": "#D55E00", "ms": 7, "label": "progression"},
    "death": {"marker": "s", "color": "black", "ms": 5, "label": "death"},
}


#: The swimmer plot's marker entries, in the legend's order (after the bar colours).
_SWIMMER_LEGEND = (
    "CR onset",
    "PR onset",
    "response duration",
    "progression",
    "death",
    "alive, still followed",
)


def swimmer_figure(
    data: FrameLike,
    *,
    subject: str = "subject_id",
    length: str = "os_time",
    by: str | None = None,
    response: str | None = "bor",
    response_day: str | None = "response_day",
    response_length: str | None = "dor_time",
    progression: str | None = "first_pd_day",
    death: str | None = "os_event",
    xlabel: str = "days since start of treatment",
    title: str | None = None,
) -> Figure:
    """Swimmer plot: one lane per subject, longest on top, with responses and events marked.

    Each lane is a bar from 0 to ``length`` (time on treatment or follow-up), coloured by
    ``by``. On it: the onset of a complete or partial response (``response`` CR or PR) at
    ``response_day`` and its duration (``response_length``, e.g. the duration of response) as
    a black line from there; progression at ``progression``; death at the lane's end when
    ``death`` is true, and an arrow past the end (still followed) when it is false. Lanes are
    sorted by length, longest first, ties by subject id. With the defaults the input is the
    output of ``survstat recist derive`` (``subject_id``, ``os_time``, ``bor``,
    ``response_day``, ``dor_time``, ``first_pd_day``, ``os_event``).

    Parameters
    ----------
    data
        One row per subject.
    subject
        The subject id column (the lane labels).
    length
        The lane length column (non-negative, no missing value).
    by
        The column that colours the bars (e.g. ``arm``); None for one colour.
    response
        The best-response column; rows whose value is CR or PR get a response marker. None
        for no response markers.
    response_day
        The column of the day of the response onset (null: none). None for none.
    response_length
        The column of the response's duration from its onset (null: none). None for none.
    progression
        The column of the day of progression (null: none). None for no progression markers.
    death
        The boolean (or 0/1) death column: true draws death at the lane's end, false an arrow
        (alive, still followed). None for neither.
    xlabel
        The label of the time axis.
    title
        The figure title; None for none.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; ``fig.axes[0]`` holds one bar per lane (``ax.patches`` from the top lane
        down) and a legend right of the plot.

    Raises
    ------
    SurvstatError
        A one-line error naming the column: missing, not numeric, negative lane, marker
        outside its lane, a subject named twice.
    """
    import matplotlib.pyplot as plt

    roles = {
        "by": by,
        "response": response,
        "response_day": response_day,
        "response_length": response_length,
        "progression": progression,
        "death": death,
    }
    needed = {subject: "subject", length: "lane length"}
    needed |= {c: r.replace("_", " ") for r, c in roles.items() if c is not None}
    frame = frame_of(data, needed)
    lanes = _swimmer_lanes(frame, subject, length, roles)
    n = lanes.height
    fontsize = 8 if n <= 40 else 6
    fig, ax = plt.subplots(
        figsize=(8.0, 1.4 + (0.22 if n <= 40 else 0.13) * n), layout="constrained", dpi=DEFAULT_DPI
    )
    levels = ordered_levels(lanes.get_column("by")) if by else [None]
    colours = colours_of(levels) if by else {None: OKABE_ITO[0]}
    ys = list(range(n - 1, -1, -1))  # the first lane on top
    for level in levels:
        keep = (lanes.get_column("by") == level) if by and level is not None else None
        if by and level is None:
            keep = lanes.get_column("by").is_null()
        rows = lanes if keep is None else lanes.filter(keep)
        idx = [i for i in range(n) if keep is None or keep[i]]
        ax.barh(
            [ys[i] for i in idx],
            rows.get_column("length").to_list(),
            height=0.6,
            color=colours[level],
            label=label_of(level) if by else None,
        )
    longest = max(lanes.get_column("length").to_list(), default=0.0)
    _swimmer_markers(ax, lanes, ys, longest)
    ax.set_yticks(ys)
    ax.set_yticklabels([str(s) for s in lanes.get_column("subject").to_list()], fontsize=fontsize)
    for label in ax.get_yticklabels():
        label.set_parse_math(False)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlim(0, longest * 1.06 if longest > 0 else 1.0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("subject")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title)
    outside_legend(fig, ax, title=by, order=_SWIMMER_LEGEND)
    return fig


def _swimmer_markers(ax: Axes, lanes: pl.DataFrame, ys: list[int], longest: float) -> None:
    """Response onsets and durations, progression, death, and arrows for the subjects alive and
    still followed, on the lanes."""
    cols = set(lanes.columns)
    rows = lanes.rows(named=True)
    drawn: set[str] = set()

    def mark(kind: str, x: float, y: float) -> None:
        style = dict(_SWIMMER_MARKERS[kind])
        label = style.pop("label")
        label = label if kind not in drawn else None
        drawn.add(kind)
        ax.plot([x], [y], ls="none", label=label, zorder=4, **style)

    for y, row in zip(ys, rows, strict=True):
        kind = str(row["response"]) if "response" in cols else None
        onset = row.get("response_day")
        if kind in ("CR", "PR") and onset is not None:
            duration = row.get("response_length")
            if duration is not None:
                label = "response duration" if "duration" not in drawn else None
                drawn.add("duration")
                ax.plot([onset, onset + duration], [y, y], color="black", lw=1.6, label=label)
            mark(kind, onset, y)
        if row.get("progression") is not None:
            mark("progression", row["progression"], y)
        if "death" in cols and row["death"] is True:
            mark("death", row["length"], y)
        elif "death" in cols and row["death"] is False:
            # the arrow says the subject is alive and followed past the lane's end (after a
            # progression too), not that the treatment or the response goes on
            label = "alive, still followed" if "ongoing" not in drawn else None
            drawn.add("ongoing")
            ax.annotate(
                "",
                xy=(row["length"] + 0.045 * longest, y),
                xytext=(row["length"], y),
                arrowprops={"arrowstyle": "->", "color": "black", "lw": 1.0},
            )
            if label:
                # the arrow itself has no legend entry: a proxy line stands for it
                ax.plot(
                    [], [], marker=r"$\rightarrow$", ls="none", color="black", ms=9, label=label
                )
