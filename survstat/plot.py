"""Plots of survival curves (matplotlib), and the one function that writes a figure."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from survstat._choices import FORMATS
from survstat._clock import source_date_epoch
from survstat.errors import OutputPathError
from survstat.io import write_atomically

if TYPE_CHECKING:
    import polars as pl
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    from survstat.estimators.cumulative_incidence import CumulativeIncidenceResult
    from survstat.estimators.kaplan_meier import KaplanMeierResult
    from survstat.risk import RiskTable

#: File formats a figure can be written in.
#: Salt of the ids matplotlib gives SVG elements: fixed, so that the ids are the same each run.
_SVG_HASHSALT = "survstat"


def save_figure(fig: Figure, path: str | os.PathLike[str], *, dpi: int = 150) -> Path:
    """Write ``fig`` to ``path`` atomically, with the same bytes for the same figure.

    Used by ``survstat plot ...`` and by job plot steps alike. The format comes from the
    file name (.png, .svg or .pdf). Reproducible bytes (https://reproducible-builds.org):
    SVG element ids are hashed with a fixed salt (matplotlib's ``svg.hashsalt``, random by
    default) and the date written into SVG (``Date``) and PDF (``CreationDate``) files is
    ``SOURCE_DATE_EPOCH`` when set, else none at all; PNG files carry no date.

    Parameters
    ----------
    fig
        A matplotlib Figure.
    path
        The file to write; missing parent folders are created.
    dpi
        Resolution of raster output (PNG) and of raster parts of vector files; 150 by
        default, enough for print at the size of a journal column.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    OutputPathError
        When the file name does not end in .png, .svg or .pdf, or the file cannot be written.
    """
    import matplotlib

    target = Path(path)
    fmt = target.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        allowed = ", ".join("." + f for f in FORMATS)
        raise OutputPathError(f"figure file `{target}` must end in {allowed}")
    when = source_date_epoch()
    metadata: dict[str, Any] = {
        "png": {},
        "svg": {"Date": None if when is None else when.isoformat()},
        "pdf": {"CreationDate": when},
    }[fmt]
    with matplotlib.rc_context({"svg.hashsalt": _SVG_HASHSALT}):
        return write_atomically(
            target, lambda tmp: fig.savefig(tmp, format=fmt, dpi=dpi, metadata=metadata)
        )


def _literal(texts: Iterable[Text]) -> None:
    """Show text from the data (group levels, model terms) as written: a level such as
    ``$5-$10`` is not matplotlib mathtext."""
    for text in texts:
        text.set_parse_math(False)


def plot_step_curves(
    result: KaplanMeierResult,
    ax: Axes | None = None,
    *,
    conf_int: bool = True,
    censor_marks: bool = True,
) -> Axes:
    """Draw each curve of a Kaplan-Meier result as a right-continuous step function.

    Curves start at (0, 1); pointwise intervals are shaded; ``+`` marks censoring times.

    Parameters
    ----------
    result
        The fitted curves.
    ax
        The matplotlib Axes to draw on; None (default) opens a new 7 x 4.5 inch figure.
    conf_int
        Shade the pointwise confidence bands.
    censor_marks
        Mark censoring times with ``+``.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    rt = result.risk
    labels = rt.curve_labels()
    for i in range(rt.n_curves):
        sl = slice(rt.offsets[i], rt.offsets[i + 1])
        t = np.concatenate([[0.0], rt.time[sl]])
        s = np.concatenate([[1.0], result.surv[sl]])
        (line,) = ax.step(t, s, where="post", label=labels[i])
        if conf_int:
            lo = np.concatenate([[1.0], result.conf_low[sl]])
            hi = np.concatenate([[1.0], result.conf_high[sl]])
            ax.fill_between(t, lo, hi, step="post", alpha=0.2, color=line.get_color(), lw=0)
        if censor_marks:
            cens = rt.n_censor[sl] > 0
            ax.plot(rt.time[sl][cens], result.surv[sl][cens], "+", color=line.get_color(), ms=6)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("time")
    ax.set_ylabel("survival probability")
    if rt.groups:
        _literal(ax.legend(frameon=False).get_texts())
    return ax


def _curve_rows(table: pl.DataFrame, rt: RiskTable, i: int) -> pl.DataFrame:
    """The rows of a per-group table that belong to curve ``i`` of the risk table."""
    import polars as pl

    if not rt.groups:
        return table
    key = rt.keys.row(i, named=True)
    return table.filter(*(pl.col(g) == v for g, v in key.items()))


def _risk_table_times(ax: Axes, given: Sequence[float] | None) -> list[float]:
    """The requested at-risk times, else the x-axis ticks within the plotted range."""
    return (
        list(given) if given else [float(t) for t in ax.get_xticks() if 0 <= t <= ax.get_xlim()[1]]
    )


def _figure_with_risk_table(n_rows: int) -> tuple[Figure, Axes, Axes]:
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(7.5, 5.0 + 0.25 * n_rows))
    fig.subplots_adjust(left=0.22)
    grid = fig.add_gridspec(2, 1, height_ratios=[4.0, 0.45 + 0.3 * n_rows], hspace=0.35)
    return fig, fig.add_subplot(grid[0]), fig.add_subplot(grid[1])


def _risk_table(
    ax: Axes,
    main: Axes,
    labels: Sequence[str],
    times: Sequence[float],
    counts: Sequence[Sequence[float]],
) -> None:
    """Numbers at risk under the x-axis: one row per curve, one column per time."""
    ax.set_xlim(main.get_xlim())
    ax.set_ylim(-0.5, len(labels) - 0.5)
    for row, (label, values) in enumerate(zip(labels, counts, strict=True)):
        y = len(labels) - 1 - row
        for t, n in zip(times, values, strict=True):
            ax.text(t, y, f"{n:g}", ha="center", va="center", fontsize=8)
        ax.text(
            -0.05,
            y,
            label,
            ha="right",
            va="center",
            fontsize=8,
            transform=ax.get_yaxis_transform(),
            parse_math=False,
        )
    ax.set_yticks([])
    ax.set_xticks(times)
    ax.tick_params(axis="x", labelsize=8)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_title("Number at risk", fontsize=8, loc="left")


def km_figure(
    result: KaplanMeierResult,
    *,
    at_risk_times: Sequence[float] | None = None,
    median_lines: bool = True,
    annotation: str | None = None,
    conf_int: bool = True,
    xlabel: str = "time",
    title: str | None = None,
) -> Figure:
    """Publication Kaplan-Meier figure: curves with bands and censoring marks, median lines,
    a number-at-risk table under the x-axis and an optional annotation (e.g. log-rank p, HR).

    Parameters
    ----------
    result
        The fitted curves, one per group.
    at_risk_times
        Times of the number-at-risk table; None (default) uses the x-axis ticks.
    median_lines
        Draw dotted lines to each reached median.
    annotation
        Text in the upper right corner (drawn as written, no mathtext).
    conf_int
        Shade the pointwise confidence bands.
    xlabel
        Label of the time axis (under the number-at-risk table).
    title
        Title of the plot; None for none.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; ``fig.axes[0]`` holds the curves, ``fig.axes[1]`` the table.
    """
    rt = result.risk
    labels = rt.curve_labels()
    fig, ax, table_ax = _figure_with_risk_table(rt.n_curves)
    plot_step_curves(result, ax=ax, conf_int=conf_int)
    if median_lines:
        med = result.median().get_column("time").to_list()
        for m in med:
            if m is not None:
                ax.plot([0, m, m], [0.5, 0.5, 0.0], ls=":", lw=0.8, color="0.4")
    if annotation:
        ax.text(
            0.98,
            0.95,
            annotation,
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=9,
            parse_math=False,
        )
    if title:
        ax.set_title(title)
    ax.set_xlim(left=0)
    times = _risk_table_times(ax, at_risk_times)
    at = result.at(times)
    counts = []
    for i in range(rt.n_curves):
        counts.append(_curve_rows(at, rt, i).get_column("n_risk").to_list())
    _risk_table(table_ax, ax, labels, times, counts)
    table_ax.set_xlabel(xlabel)
    ax.set_xlabel("")
    return fig


def cif_figure(
    result: CumulativeIncidenceResult,
    *,
    cause: object = None,
    at_risk_times: Sequence[float] | None = None,
    annotation: str | None = None,
    conf_int: bool = True,
    xlabel: str = "time",
    title: str | None = None,
) -> Figure:
    """Cumulative-incidence figure for one cause (default: the first), one curve per group,
    with pointwise bands, a number-at-risk table and an optional annotation (e.g. Gray's p).

    Parameters
    ----------
    result
        The fitted cumulative incidence curves.
    cause
        The cause to draw, one of ``result.causes``; None (default) draws the first.
    at_risk_times
        Times of the number-at-risk table; None (default) uses the x-axis ticks.
    annotation
        Text in the lower right corner (drawn as written, no mathtext).
    conf_int
        Shade the pointwise confidence bands.
    xlabel
        Label of the time axis (under the number-at-risk table).
    title
        Title of the plot; None for none.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; ``fig.axes[0]`` holds the curves, ``fig.axes[1]`` the table.
    """
    import polars as pl

    rt = result.risk
    cause = result.causes[0] if cause is None else cause
    labels = rt.curve_labels()
    fig, ax, table_ax = _figure_with_risk_table(rt.n_curves)
    k = list(result.causes).index(cause)
    for i in range(rt.n_curves):
        sl = slice(rt.offsets[i], rt.offsets[i + 1])
        t = np.concatenate([[0.0], rt.time[sl]])
        f = np.concatenate([[0.0], result.cif[sl, k]])
        (line,) = ax.step(t, f, where="post", label=labels[i])
        if conf_int:
            part = _curve_rows(result.table.filter(pl.col("cause") == cause), rt, i)
            lo = np.concatenate([[0.0], part.get_column("conf_low").fill_null(np.nan).to_numpy()])
            hi = np.concatenate([[0.0], part.get_column("conf_high").fill_null(np.nan).to_numpy()])
            ax.fill_between(t, lo, hi, step="post", alpha=0.2, color=line.get_color(), lw=0)
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.set_ylabel(f"cumulative incidence ({cause})", parse_math=False)
    if rt.groups:
        _literal(ax.legend(frameon=False, loc="upper left").get_texts())
    if annotation:
        ax.text(
            0.98,
            0.05,
            annotation,
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=9,
            parse_math=False,
        )
    if title:
        ax.set_title(title)
    times = _risk_table_times(ax, at_risk_times)
    counts = []
    for i in range(rt.n_curves):
        sl = slice(rt.offsets[i], rt.offsets[i + 1])
        # at risk at t: subjects whose time is >= t (the risk set just before t)
        tt, nr = rt.time[sl], rt.n_risk[sl]
        pos = np.searchsorted(tt, times, side="left")
        counts.append([float(nr[p]) if p < len(tt) else 0.0 for p in pos])
    _risk_table(table_ax, ax, labels, times, counts)
    table_ax.set_xlabel(xlabel)
    return fig


def _positive(value: float | None) -> float | None:
    """``value`` as a float when it can sit on a log axis (finite and > 0), else None."""
    if value is None:
        return None
    v = float(value)
    return v if math.isfinite(v) and v > 0 else None


def forest_figure(
    table: pl.DataFrame,
    *,
    label: str,
    estimate: str = "hazard_ratio",
    low: str = "conf_low",
    high: str = "conf_high",
    reference_line: float = 1.0,
    xlabel: str = "hazard ratio (95% CI)",
    title: str | None = None,
) -> Figure:
    """Forest plot of estimates with intervals (e.g. subgroup hazard ratios) on a log axis.

    ``table`` is a polars DataFrame with one row per line. A row whose estimate is null (a
    reference arm, a hazard ratio that is not estimable) or cannot sit on a log axis (zero,
    negative, infinite) is listed with "not estimable" and no point; an estimate whose interval
    is null or not positive is drawn without its interval.

    Parameters
    ----------
    table
        One row per line of the plot, top to bottom.
    label
        The column of the lines' labels.
    estimate, low, high
        The columns of the estimate and its interval's limits (by default ``hazard_ratio``,
        ``conf_low`` and ``conf_high``, as the Cox and subgroup tables name them).
    reference_line
        Where to draw the dashed line of no effect (1 by default).
    xlabel
        Label of the estimate axis.
    title
        Title of the plot; None for none.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FormatStrFormatter, NullFormatter

    rows = table.select(label, estimate, low, high).rows()
    fig, ax = plt.subplots(figsize=(7, 0.9 + 0.4 * len(rows)))
    shown: list[float] = []
    for i, (_name, raw_est, raw_lo, raw_hi) in enumerate(rows):
        y = len(rows) - 1 - i
        est, lo, hi = _positive(raw_est), _positive(raw_lo), _positive(raw_hi)
        if est is None:
            text = "" if raw_est is None and raw_lo is None else "not estimable"
        elif lo is None or hi is None:
            ax.plot([est], [y], "s", color="0.2", ms=6)
            text, shown = f"{est:.2f} (interval not estimable)", [*shown, est]
        else:
            ax.plot([lo, hi], [y, y], color="0.2", lw=1.2)
            ax.plot([est], [y], "s", color="0.2", ms=6)
            text, shown = f"{est:.2f} ({lo:.2f}-{hi:.2f})", [*shown, est, lo, hi]
        if text:
            ax.text(
                1.02,
                y,
                text,
                transform=ax.get_yaxis_transform(),
                va="center",
                fontsize=8,
                parse_math=False,
            )
    ax.axvline(reference_line, color="0.5", ls="--", lw=0.8)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    if shown:
        lo_all, hi_all = min(shown), max(shown)
        ticks = [v for v in (0.1, 0.2, 0.5, 1, 2, 5, 10) if lo_all / 1.5 <= v <= hi_all * 1.5]
        ax.set_xticks(sorted({*ticks, reference_line}))
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([str(r[0]) for r in reversed(rows)], parse_math=False)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
