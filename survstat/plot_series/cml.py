"""BCR-ABL1 trajectories in chronic myeloid leukaemia: IS % over time per patient, log scale.

The horizontal lines are the molecular response levels of the European LeukemiaNet
(Hochhaus et al. 2020, Leukemia 34:966-984): MMR 0.1%, MR4 0.01%, MR4.5 0.0032%, MR5 0.001%
on the International Scale. An undetectable result has no IS value: it is drawn at its
detection limit (the sample's sensitivity) with a hollow downward triangle, so that a reader
sees it as "at most this".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

from survstat.errors import InvalidValueError, OptionError
from survstat.io import FrameLike
from survstat.plot import DEFAULT_DPI
from survstat.plot_series._common import (
    OKABE_ITO,
    flags,
    frame_of,
    label_of,
    numbers,
    ordered_levels,
    per_subject,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: The ELN 2020 molecular response levels (IS %), deepest last.
ELN_LEVELS: tuple[tuple[str, float], ...] = (
    ("MMR", 0.1),
    ("MR4", 0.01),
    ("MR4.5", 0.0032),
    ("MR5", 0.001),
)

#: The patients' colours: Okabe–Ito without yellow (faint on white) and black (the levels).
_LINE_COLOURS = tuple(c for c in OKABE_ITO if c not in ("#F0E442", "#000000"))


def _checked(
    data: FrameLike, patient: str, time: str, value: str, detected: str, by: str | None
) -> pl.DataFrame:
    """The points to draw, checked: positive finite values, boolean detection flags."""
    needed = {patient: "patient", time: "time", value: "IS % or detection limit"}
    needed |= {detected: "detected"} | ({by: "facet"} if by else {})
    frame = frame_of(data, needed)
    t = numbers(frame, time, "time", nulls=False)
    v = numbers(frame, value, "IS % or detection limit", nulls=False)
    bad = v <= 0
    if bad.any():
        i = bad.arg_true()[0]
        raise InvalidValueError(
            f"`{value}` (IS % or detection limit) must be positive to sit on a log axis; found "
            f"{bad.sum()} values <= 0 (first: {v[i]} for patient "
            f"{frame.get_column(patient)[i]} at time {t[i]})"
        )
    det = flags(frame, detected, "detected")
    if det.is_null().any():
        i = det.is_null().arg_true()[0]
        raise InvalidValueError(
            f"`{detected}` (detected) must be true or false; found {det.is_null().sum()} "
            f"missing values (first for patient {frame.get_column(patient)[i]} at time {t[i]})"
        )
    if by:
        per_subject(frame, patient, by, "facet")
    return frame.select(
        pl.col(patient).alias("patient"),
        t.alias("t"),
        v.alias("v"),
        det.alias("det"),
        (pl.col(by) if by else pl.lit(None)).alias("facet"),
    ).sort(["patient", "t"])


def cml_trajectories_figure(
    data: FrameLike,
    *,
    patient: str = "patient_id",
    time: str = "time",
    value: str = "is_percent",
    detected: str = "detected",
    by: str | None = None,
    levels: Sequence[tuple[str, float]] = ELN_LEVELS,
    median_every: float | None = None,
    note: str | None = None,
    xlabel: str = "months since start of treatment",
    title: str | None = None,
) -> Figure:
    """BCR-ABL1 IS % over time, one line per patient, on a log axis with the response levels.

    Detectable results are filled circles at their IS %; undetectable ones hollow downward
    triangles at their detection limit (``value`` holds the limit for them); an optional thick
    black line follows the median (``median_every``). With ``by``, one
    panel per level of the column (e.g. the arm), sharing both axes; each panel's lines take
    the Okabe–Ito colours in turn. Dotted horizontal lines mark ``levels``, labelled right of
    the plot.

    Parameters
    ----------
    data
        One row per sample.
    patient
        The patient id column.
    time
        The sample time column.
    value
        The IS % of a detectable result, the detection limit of an undetectable one (positive,
        no missing value).
    detected
        The boolean (or 0/1) column: true for a detectable result.
    by
        The column to draw one panel per level of (one value per patient); None for one panel.
    levels
        The horizontal lines: (label, IS %) pairs, by default the ELN 2020 levels.
    median_every
        Also draw, per panel, the median over patients of their last result in each window of
        this width centred on 0, ``median_every``, 2 x ``median_every``, ... (e.g. 3 for the
        3-monthly visits of ELN monitoring), as a thick black line; undetectable results
        enter at their detection limit, so where they count the line is an upper bound of
        the median. None (default) draws none.
    note
        A line of text under the plot, above the marker legend (e.g. what was left out);
        None for none.
    xlabel
        The label of the time axis.
    title
        The figure title; None for none.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; one Axes per panel, each with one line per patient labelled
        ``_patient <id>``, its detectable and undetectable points as separate line artists;
        the legend under the panels, titled by ``note``.

    Raises
    ------
    SurvstatError
        A one-line error naming the column: missing, not numeric, a value that is not positive,
        a missing detection flag, a facet that changes within a patient.
    """
    import matplotlib.pyplot as plt

    if median_every is not None and not (0 < median_every < math.inf):
        raise OptionError(f"`median_every` must be a positive number; got {median_every}")
    points = _checked(data, patient, time, value, detected, by)
    facets = ordered_levels(points.get_column("facet")) if by else [None]
    fig, axes = plt.subplots(
        len(facets),
        1,
        figsize=(8.0, 1.2 + 3.4 * len(facets)),
        sharex=True,
        sharey=True,
        squeeze=False,
        layout="constrained",
        dpi=DEFAULT_DPI,
    )
    values = points.get_column("v").to_list()
    low, high = min(*values, *(v for _, v in levels)), max(*values, 1.0)
    for ax, facet in zip(axes[:, 0], facets, strict=True):
        rows = points.filter(pl.col("facet") == facet) if by and facet is not None else points
        if by and facet is None:
            rows = points.filter(pl.col("facet").is_null())
        _draw_patients(ax, rows)
        if median_every is not None:
            _median_line(ax, rows, median_every)
        ax.set_yscale("log")
        ax.set_ylim(10 ** math.floor(math.log10(low) - 0.3), 10 ** math.ceil(math.log10(high)))
        _level_lines(ax, levels)
        ax.set_ylabel("BCR-ABL1 IS (%)")
        if by:
            ax.set_title(f"{by} = {label_of(facet)}", fontsize=9, loc="left", parse_math=False)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    axes[-1, 0].set_xlabel(xlabel)
    _legend(fig, note, median_every is not None)
    if title:
        fig.suptitle(title)
    return fig


def _draw_patients(ax: Axes, rows: pl.DataFrame) -> None:
    """Each patient's line, detectable points filled, undetectable ones hollow triangles."""
    from matplotlib.ticker import FuncFormatter

    for k, ((pid,), one) in enumerate(rows.group_by(["patient"], maintain_order=True)):
        colour = _LINE_COLOURS[k % len(_LINE_COLOURS)]
        t, v, det = (one.get_column(c).to_list() for c in ("t", "v", "det"))
        ax.plot(t, v, color=colour, lw=0.9, alpha=0.8, label=f"_patient {pid}")
        shown = [(x, y) for x, y, d in zip(t, v, det, strict=True) if d]
        hidden = [(x, y) for x, y, d in zip(t, v, det, strict=True) if not d]
        for pts, marker, face in ((shown, "o", colour), (hidden, "v", "white")):
            if pts:
                ax.plot(
                    [p[0] for p in pts],
                    [p[1] for p in pts],
                    ls="none",
                    marker=marker,
                    ms=4 if marker == "o" else 5,
                    mfc=face,
                    mec=colour,
                    label=f"_{'detectable' if marker == 'o' else 'undetectable'} {pid}",
                )
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}"))


def _median_line(ax: Axes, rows: pl.DataFrame, every: float) -> None:
    """The median over patients of each one's last result per window of width ``every``."""
    window = (pl.col("t") / every).round(0) * every
    last = (
        rows.with_columns(window.alias("window"))
        .group_by(["patient", "window"])
        .agg(pl.col("v").sort_by("t").last())
    )
    median = last.group_by("window").agg(pl.col("v").median()).sort("window")
    ax.plot(
        median.get_column("window").to_list(),
        median.get_column("v").to_list(),
        color="black",
        lw=2.4,
        zorder=5,
        label="_median",
    )


def _level_lines(ax: Axes, levels: Sequence[tuple[str, float]]) -> None:
    """Dotted lines at the response levels, labelled just right of the axes."""
    for name, at in levels:
        ax.axhline(at, color="0.25", ls=":", lw=0.8, label=f"_level {name}")
        ax.text(
            1.005,
            at,
            f"{name} ({at:g}%)",
            transform=ax.get_yaxis_transform(),
            va="center",
            ha="left",
            fontsize=7,
            parse_math=False,
        )


def _legend(fig: Figure, note: str | None, median: bool) -> None:
    """The marker legend (detectable, undetectable at the detection limit, the median line)
    under the plot, with the note as its title."""
    from matplotlib.lines import Line2D

    handles: list[Any] = [
        Line2D([], [], ls="none", marker="o", ms=4, color="0.3", label="detectable: IS %"),
        Line2D(
            [],
            [],
            ls="none",
            marker="v",
            ms=5,
            mfc="white",
            mec="0.3",
            label="undetectable: at the detection limit",
        ),
    ]
    if median:
        handles.append(Line2D([], [], color="black", lw=2.4, label="median"))
    legend = fig.legend(
        handles=handles, loc="outside lower center", ncols=len(handles), frameon=False, title=note
    )
    for text in legend.get_texts():
        text.set_fontsize(8)
    legend.get_title().set_fontsize(7)
    legend.get_title().set_parse_math(False)
