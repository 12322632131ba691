"""Cumulative relative dose intensity over time, one line per subject, from the exposure
records' dose intensity (:mod:`survstat.endpoints.dose_intensity`; Hryniuk & Bush 1984).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from survstat.plot import DEFAULT_DPI
from survstat.plot_series._common import (
    frame_of,
    label_of,
    numbers,
    open_axes,
    outside_legend,
    subject_colours,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


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
    colours = subject_colours(subjects)
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
    open_axes(ax)
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
