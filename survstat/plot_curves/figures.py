"""The Kaplan-Meier and cumulative incidence figures in the KMunicate layout."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from survstat.errors import OptionError
from survstat.plot_curves._layout import Curve, Layout, curve_figure, probability_ticks
from survstat.plot_curves._table import Counts, table_rows
from survstat.plot_curves._table import counts as counts_at
from survstat.plot_curves._table import ticks as axis_ticks
from survstat.plot_curves.style import DEFAULT_DPI, check_size, level_names

if TYPE_CHECKING:
    import polars as pl
    from matplotlib.figure import Figure

    from survstat.estimators.cumulative_incidence import CumulativeIncidenceResult
    from survstat.estimators.kaplan_meier import KaplanMeierResult
    from survstat.plot_curves.overlay import ModelCurves
    from survstat.risk import RiskTable


def _curve_rows(table: pl.DataFrame, rt: RiskTable, i: int) -> pl.DataFrame:
    """The rows of a per-group table that belong to curve ``i`` of the risk table."""
    import polars as pl

    if not rt.groups:
        return table
    key = rt.keys.row(i, named=True)
    return table.filter(*(pl.col(g) == v for g, v in key.items()))


def km_figure(
    result: KaplanMeierResult,
    *,
    at_risk_times: Sequence[float] | None = None,
    median_lines: bool = True,
    annotation: str | None = None,
    conf_int: bool = True,
    xlabel: str = "time",
    ylabel: str | None = None,
    title: str | None = None,
    labels: Mapping[str, str] | None = None,
    cumulative_events: bool = False,
    cumulative_censored: bool = False,
    width: float | None = None,
    height: float | None = None,
    dpi: float = DEFAULT_DPI,
    overlay: ModelCurves | None = None,
    footnote: str | None = None,
) -> Figure:
    """Publication Kaplan-Meier figure in the KMunicate layout (Morris et al. 2019).

    The curves, with pointwise bands and censoring marks (``+``) and dotted median lines,
    in the Okabe-Ito palette with a line style per curve; the legend (the level names, titled
    with the group column) above the plot; the annotation (e.g. hazard ratio and log-rank p)
    between legend and plot; under the time axis, per curve, the number at risk and optionally
    the cumulative numbers of events and censorings, at exactly the plot's time ticks.
    Constrained layout keeps every text inside the figure and apart from the others.

    Parameters
    ----------
    result
        The fitted curves, one per group.
    at_risk_times
        Times of the time axis' ticks and of the table under it; None (default): round times
        from 0 to the last time.
    median_lines
        Draw dotted lines to each reached median.
    annotation
        Text above the plot (drawn as written, no mathtext); a line wider than the figure is
        broken at its ``"; "``.
    conf_int
        Shade the pointwise confidence bands.
    xlabel
        Label of the time axis.
    ylabel
        Label of the probability axis; None: "survival probability".
    title
        Title of the figure; None for none.
    labels
        Display labels by level name (e.g. ``{"A": "Arm A"}``) for the legend and table;
        levels not named show their own name.
    cumulative_events, cumulative_censored
        Add the cumulative numbers of events, of censorings, before each tick to the table.
    width, height
        Size of the figure in inches; None: 7.5 wide, and tall enough for the table.
    dpi
        Resolution of the figure (dots per inch), which :func:`survstat.plot.save_figure`
        writes PNG files at; 150 by default.
    overlay
        Model curves drawn over the Kaplan-Meier curves as thin dashed lines in their
        colours, one per curve (e.g. :func:`~survstat.plot_curves.overlay.cox_overlay`);
        the legend names them and their footnote is written under the figure.
    footnote
        Text under the figure, below the table (drawn as written, wrapped to the figure's
        width), e.g. how a cut-point defining the groups was chosen; after the overlay's
        footnote, if any. None (default) for none.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; ``fig.axes[0]`` holds the curves, ``fig.axes[1]`` the table.

    Raises
    ------
    OptionError
        When ``labels`` names a level that no curve has, ``at_risk_times`` holds a negative
        time, ``overlay`` has not one curve per Kaplan-Meier curve, or the size or
        resolution is out of
        :data:`~survstat.plot_curves.style.SIZE_RANGE` or
        :data:`~survstat.plot_curves.style.DPI_RANGE`.

    References
    ----------
    1. Morris TP, Jarvis CI, Cragg W, et al. Proposals on Kaplan-Meier plots in medical
       research and a survey of stakeholder views: KMunicate. BMJ Open 2019;9:e030215.
    """
    check_size(width, height, dpi)
    rt = result.risk
    names = level_names(rt, labels)
    ticks, right = axis_ticks(float(rt.time.max()) if len(rt.time) else 0.0, at_risk_times)
    counts = counts_at(rt, ticks, rt.n_event)
    at = result.at(ticks)
    counts = Counts(
        [_curve_rows(at, rt, i).get_column("n_risk").to_list() for i in range(rt.n_curves)],
        counts.events,
        counts.censored,
    )
    curves = []
    for i in range(rt.n_curves):
        sl = slice(rt.offsets[i], rt.offsets[i + 1])
        curves.append(
            Curve(
                time=np.concatenate([[0.0], rt.time[sl]]),
                value=np.concatenate([[1.0], result.surv[sl]]),
                low=np.concatenate([[1.0], result.conf_low[sl]]) if conf_int else None,
                high=np.concatenate([[1.0], result.conf_high[sl]]) if conf_int else None,
                censored=rt.n_censor[sl] > 0,
            )
        )
    if overlay is not None and len(overlay.time) != rt.n_curves:
        raise OptionError(
            f"`overlay` has {len(overlay.time)} curves for {rt.n_curves} Kaplan-Meier curves"
        )
    drawn = () if overlay is None else zip(overlay.time, overlay.survival, strict=True)
    model = [Curve(t, s, None, None, np.zeros(len(t) - 1, dtype=bool)) for t, s in drawn]
    lay = Layout(
        names=names,
        legend_title=", ".join(rt.groups) or None,
        ticks=ticks,
        right=right,
        counts=counts,
        rows=table_rows(cumulative_events, cumulative_censored),
        ylabel="survival probability" if ylabel is None else ylabel,
        yticks=probability_ticks(),
        xlabel=xlabel,
        annotation=annotation,
        title=title,
        width=width,
        height=height,
        dpi=dpi,
        overlay=model,
        overlay_label=None if overlay is None else overlay.label,
        footnote=_footnotes(None if overlay is None else overlay.footnote, footnote),
    )
    fig = curve_figure(curves, lay)
    if median_lines:
        ax = fig.axes[0]
        for m in result.median().get_column("time").to_list():
            if m is not None:
                ax.plot([0, m, m], [0.5, 0.5, 0.0], ls=":", lw=0.8, color="0.4", zorder=1)
    return fig


def cif_figure(
    result: CumulativeIncidenceResult,
    *,
    cause: object = None,
    at_risk_times: Sequence[float] | None = None,
    annotation: str | None = None,
    conf_int: bool = True,
    xlabel: str = "time",
    ylabel: str | None = None,
    title: str | None = None,
    labels: Mapping[str, str] | None = None,
    cumulative_events: bool = False,
    cumulative_censored: bool = False,
    width: float | None = None,
    height: float | None = None,
    dpi: float = DEFAULT_DPI,
    footnote: str | None = None,
) -> Figure:
    """Cumulative-incidence figure of one cause, one curve per group, in the layout of
    :func:`km_figure` (KMunicate, Morris et al. 2019).

    The curves rise from 0; the probability axis ends at the first round value above the
    highest curve or band drawn (0 to 1 once that is above 0.6), so that a small incidence
    is not squeezed at the bottom of the plot, as Pocock et al. (2002) advise.

    Parameters
    ----------
    result
        The fitted cumulative incidence curves.
    cause
        The cause to draw, one of ``result.causes``; None (default) draws the first.
    at_risk_times
        Times of the time axis' ticks and of the table under it; None (default): round times
        from 0 to the last time.
    annotation
        Text above the plot (e.g. Gray's test p; drawn as written, no mathtext).
    conf_int
        Shade the pointwise confidence bands.
    xlabel
        Label of the time axis.
    ylabel
        Label of the probability axis; None: "cumulative incidence (CAUSE)".
    title
        Title of the figure; None for none.
    labels
        Display labels by level name (e.g. ``{"A": "Arm A"}``).
    cumulative_events, cumulative_censored
        Add the cumulative numbers of events of the drawn cause, of censorings, before each
        tick to the table.
    width, height
        Size of the figure in inches; None: 7.5 wide, and tall enough for the table.
    dpi
        Resolution of the figure (dots per inch); 150 by default.
    footnote
        Text under the figure, below the table (drawn as written, wrapped to the figure's
        width); None (default) for none.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; ``fig.axes[0]`` holds the curves, ``fig.axes[1]`` the table.

    Raises
    ------
    OptionError
        As :func:`km_figure`.

    References
    ----------
    1. Morris TP, Jarvis CI, Cragg W, et al. Proposals on Kaplan-Meier plots in medical
       research and a survey of stakeholder views: KMunicate. BMJ Open 2019;9:e030215.
    2. Pocock SJ, Clayton TC, Altman DG. Survival plots of time-to-event outcomes in clinical
       trials: good practice and pitfalls. Lancet 2002;359:1686-1689.
    """
    import polars as pl

    check_size(width, height, dpi)
    rt = result.risk
    cause = result.causes[0] if cause is None else cause
    k = list(result.causes).index(cause)
    ticks, right = axis_ticks(float(rt.time.max()) if len(rt.time) else 0.0, at_risk_times)
    curves = []
    rows = result.table.filter(pl.col("cause") == cause)
    for i in range(rt.n_curves):
        sl = slice(rt.offsets[i], rt.offsets[i + 1])
        part = _curve_rows(rows, rt, i)
        band = {
            side: np.concatenate(
                [[0.0], part.get_column(f"conf_{side}").fill_null(np.nan).to_numpy()]
            )
            for side in ("low", "high")
        }
        curves.append(
            Curve(
                time=np.concatenate([[0.0], rt.time[sl]]),
                value=np.concatenate([[0.0], result.cif[sl, k]]),
                low=band["low"] if conf_int else None,
                high=band["high"] if conf_int else None,
                censored=np.zeros(sl.stop - sl.start, dtype=bool),
            )
        )
    lay = Layout(
        names=level_names(rt, labels),
        legend_title=", ".join(rt.groups) or None,
        ticks=ticks,
        right=right,
        counts=counts_at(rt, ticks, rt.n_event_by_cause[:, k]),
        rows=table_rows(cumulative_events, cumulative_censored),
        ylabel=f"cumulative incidence ({cause})" if ylabel is None else ylabel,
        yticks=probability_ticks(_highest(curves)),
        xlabel=xlabel,
        annotation=annotation,
        title=title,
        width=width,
        height=height,
        dpi=dpi,
        footnote=_footnotes(footnote),
    )
    return curve_figure(curves, lay)


def _footnotes(*texts: str | None) -> str | None:
    """The footnotes given (blank ones left out), one paragraph each; None for none."""
    given = [t.strip() for t in texts if t is not None and t.strip()]
    return "\n".join(given) or None


def _highest(curves: list[Curve]) -> float:
    """The highest point drawn: of the curves, and of their bands when drawn."""
    drawn = [c.value for c in curves] + [c.high for c in curves if c.high is not None]
    values = np.concatenate(drawn) if drawn else np.zeros(1)
    finite = values[np.isfinite(values)]
    return float(finite.max()) if finite.size else 1.0
