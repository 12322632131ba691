"""Lab results of a small series over time: one panel per parameter, one line per subject in
the same colour in every panel, optionally with the CTCAE hyperglycaemia grade boundaries.

**Hyperglycaemia grades** are those of the National Cancer Institute's Common Terminology
Criteria for Adverse Events (CTCAE), version 4.03 (NCI, U.S. Department of Health and Human
Services, June 14, 2010), term "Hyperglycemia", graded by fasting glucose: grade 1 above the
upper limit of normal to 160 mg/dL, grade 2 >160-250, grade 3 >250-500, grade 4 >500 mg/dL.

Why v4.03 and not v5.0: v4.03 is the version the alpelisib registration trial (SOLAR-1,
André et al., N Engl J Med 2019;380:1929-1940) graded hyperglycaemia by, so its rates and
the label's dose rules are in those grades; CTCAE v5.0 (2017) grades "Hyperglycemia" by the
intervention it needs (a change in diet, starting or intensifying glucose-lowering drugs,
hospitalisation), not by a glucose value, so it has no boundaries to draw on a glucose axis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import polars as pl

from survstat.plot import DEFAULT_DPI
from survstat.plot_series._common import label_of, open_axes, subject_colours

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: CTCAE v4.03 "Hyperglycemia" fasting glucose grade boundaries (mg/dL): the lower limit of
#: grades 2, 3, 4 (see the module's docstring).
CTCAE_GLUCOSE: tuple[tuple[str, float], ...] = (
    ("CTCAE v4.03\ngrade 2 (>160)", 160.0),
    ("CTCAE v4.03\ngrade 3 (>250)", 250.0),
    ("CTCAE v4.03\ngrade 4 (>500)", 500.0),
)


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
        legend under the panels, naming only the subjects drawn in at least one panel (a
        subject with no value of ``y`` in a panel has no line there, and no mark).
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    frame = bds.filter(pl.col(y).is_not_null()).sort(subject, day)
    # colours over every subject (stable across scales); lines and legend only where drawn
    subjects = bds.get_column(subject).unique(maintain_order=True).sort().to_list()
    colours = subject_colours(subjects)
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
        drawn = set(rows.get_column(subject).to_list())
        for s in subjects:
            one = rows.filter(pl.col(subject) == s)
            if s not in drawn:
                continue
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
            if s in drawn:
                ax.axvline(at, color=colours[s], ls="--", lw=0.9, alpha=0.9)
        values = rows.get_column(y).cast(pl.Float64)
        _reference_lines(ax, (lines or {}).get(code, ()), values, zero_line)
        ax.set_ylabel(ylabels.get(code, code))
        open_axes(ax)
    axes[-1, 0].set_xlabel(xlabel)
    # one entry per subject drawn in any panel, in subject order, then the mark
    entries: dict[str, Artist] = {}
    for ax in axes[:, 0]:
        for handle, name in zip(*ax.get_legend_handles_labels(), strict=True):
            entries.setdefault(name, handle)
    names = [n for n in (label_of(s) for s in subjects) if n in entries]
    handles = [entries[n] for n in names]
    if marks:
        names.append(f"{mark_label} (dashed)")
        handles.append(Line2D([], [], color="0.3", ls="--", lw=0.9))
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


def undrawn_series(
    bds: pl.DataFrame, *, subject: str, param: str, y: str, params: Sequence[str]
) -> pl.DataFrame:
    """The subject-parameter series of ``params`` with no value of ``y`` to draw, and why.

    Parameters
    ----------
    bds
        The output of :func:`survstat.endpoints.change_from_baseline.change_from_baseline`
        (with its ``note`` column), ``y`` being ``CHG`` or ``PCHG``.
    subject, param
        The subject and parameter columns.
    y
        The column drawn.
    params
        The parameters drawn.

    Returns
    -------
    polars.DataFrame
        One row per such series, sorted: the subject and parameter columns and ``reason``
        (the series' first note: no baseline, baseline 0 or negative, missing values; else
        "no post-baseline result").
    """
    return (
        bds.filter(pl.col(param).is_in(list(params)))
        .group_by(subject, param)
        .agg(
            pl.col(y).is_not_null().any().alias("__any"),
            pl.col("note").drop_nulls().first().alias("reason"),
        )
        .filter(~pl.col("__any"))
        .with_columns(pl.col("reason").fill_null("no post-baseline result"))
        .select(subject, param, "reason")
        .sort(subject, param)
    )


def warn_undrawn(undrawn: pl.DataFrame, *, subject: str, param: str, what: str) -> None:
    """Warn, in one line, of the series left out of a change figure, naming each and why.

    Parameters
    ----------
    undrawn
        The output of :func:`undrawn_series`.
    subject, param
        Its subject and parameter columns.
    what
        What is undefined (``"change from baseline"``).
    """
    import warnings

    from survstat.errors import SurvstatWarning

    if undrawn.height == 0:
        return
    named = "; ".join(
        f"{r[subject]} {r[param]} ({r['reason']})" for r in undrawn.iter_rows(named=True)
    )
    warnings.warn(
        f"{what} is undefined at every result of {undrawn.height} subject-parameter "
        f"series, not drawn (a subject drawn in no panel is left out of the legend): {named}",
        SurvstatWarning,
        stacklevel=3,
    )
