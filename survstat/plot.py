"""Plots of survival curves (matplotlib), and the one function that writes a figure."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from survstat._choices import FORMATS
from survstat._clock import source_date_epoch
from survstat.errors import OptionError, OutputPathError
from survstat.io import write_atomically
from survstat.plot_forest import forest_figure as forest_figure  # moved; re-exported
from survstat.plot_forest import subgroups_forest_figure as subgroups_forest_figure

if TYPE_CHECKING:
    import polars as pl
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.legend import Legend
    from matplotlib.text import Text

    from survstat.estimators.cumulative_incidence import CumulativeIncidenceResult
    from survstat.estimators.kaplan_meier import KaplanMeierResult
    from survstat.risk import RiskTable

#: File formats a figure can be written in.
#: Salt of the ids matplotlib gives SVG elements: fixed, so that the ids are the same each run.
_SVG_HASHSALT = "survstat"


def save_figure(fig: Figure, path: str | os.PathLike[str], *, dpi: float | None = None) -> Path:
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
        Resolution of raster output (PNG) and of raster parts of vector files; None (default):
        the figure's own (150 for survstat's figures unless asked otherwise, enough for print
        at the size of a journal column), so that a PNG is the figure's size in inches times
        its dpi in pixels.

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
            target,
            lambda tmp: fig.savefig(
                tmp, format=fmt, dpi="figure" if dpi is None else dpi, metadata=metadata
            ),
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


#: Okabe & Ito's colour-blind-safe palette (Okabe M, Ito K. Color Universal Design, 2008),
#: in the order the curves take it; yellow, too pale for a line on white, is left out.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
)
#: Line styles taken with the colours, so that curves differ in print and to every reader.
LINESTYLES: tuple[Any, ...] = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)))

#: Rows the table under a figure can show, in order, with their headings.
_TABLE_ROWS = {
    "at_risk": "Number at risk",
    "events": "Cumulative events",
    "censored": "Cumulative censored",
}
_TABLE_FONT = 8.0  # points
_ROW_HEIGHT = 0.2  # inches per row of the table under the plot

#: Bounds of the figure's size (inches) and resolution (dots per inch).
SIZE_RANGE = (3.0, 30.0)
DPI_RANGE = (50, 1200)
#: The resolution figures are drawn and saved at unless one is given (pixels per inch).
DEFAULT_DPI = 150


@dataclass(frozen=True, slots=True)
class _Curve:
    """One curve to draw: its steps, optional band and censoring marks."""

    time: np.ndarray
    value: np.ndarray
    low: np.ndarray | None
    high: np.ndarray | None
    censored: np.ndarray  # bool, per step after the first


@dataclass(frozen=True, slots=True)
class _Counts:
    """Per curve, the table's numbers at each tick: at risk, and events and censorings
    strictly before the tick (so that, without delayed entry, they add up to the arm's size)."""

    at_risk: list[list[float]]
    events: list[list[float]]
    censored: list[list[float]]


def level_names(rt: RiskTable, labels: Mapping[str, str] | None = None) -> list[str]:
    """The name of each curve of a risk table: its group level(s), or a display label.

    Parameters
    ----------
    rt
        The risk table of the curves.
    labels
        Display labels by level name (e.g. ``{"A": "Arm A"}``); levels not named keep their
        own name.

    Returns
    -------
    list of str
        One name per curve, in curve order: the levels of the group columns joined by
        ``", "``, or ``"All"`` without groups.

    Raises
    ------
    OptionError
        When ``labels`` names a level that no curve has.
    """
    if not rt.groups:
        names = ["All"]
    else:
        names = [", ".join(str(v) for v in row) for row in rt.keys.iter_rows()]
    unknown = [k for k in labels or {} if k not in names]
    if unknown:
        raise OptionError(
            f"`labels` names {len(unknown)} level(s) that no curve has (first: {unknown[0]!r}); "
            f"the levels are {', '.join(repr(n) for n in names)}"
        )
    return [(labels or {}).get(n, n) for n in names]


def _check_size(width: float | None, height: float | None, dpi: float) -> None:
    """Figure size and resolution within :data:`SIZE_RANGE` and :data:`DPI_RANGE`."""
    for name, value in (("width", width), ("height", height)):
        if value is not None and not (SIZE_RANGE[0] <= value <= SIZE_RANGE[1]):
            raise OptionError(
                f"`{name}` must be between {SIZE_RANGE[0]:g} and {SIZE_RANGE[1]:g} inches; "
                f"got {value:g}"
            )
    if not (DPI_RANGE[0] <= dpi <= DPI_RANGE[1]):
        raise OptionError(f"`dpi` must be between {DPI_RANGE[0]} and {DPI_RANGE[1]}; got {dpi:g}")


def _ticks(t_max: float, given: Sequence[float] | None) -> tuple[list[float], float]:
    """The time ticks shared by the plot and its table, and the right end of the time axis.

    Given times are used as they are (sorted); else round ticks from 0 to the last time."""
    from matplotlib.ticker import MaxNLocator

    if given:
        bad = [t for t in given if not (math.isfinite(t) and t >= 0)]
        if bad:
            raise OptionError(
                f"`at_risk_times` must be finite and non-negative; found {len(bad)} other "
                f"value(s) (first: {bad[0]:g})"
            )
        ticks = sorted({float(t) for t in given})
    else:
        top = t_max if t_max > 0 else 1.0
        found = MaxNLocator(nbins=8, steps=[1, 2, 2.5, 5, 10]).tick_values(0.0, top)
        ticks = [float(t) for t in found if 0 <= t <= top * (1 + 1e-9)]
    return ticks, max(t_max, ticks[-1]) if t_max > 0 else max(1.0, ticks[-1])


def _counts(rt: RiskTable, ticks: Sequence[float], events: np.ndarray) -> _Counts:
    """Numbers at risk at each tick (the risk set at the first time >= the tick, 0 after the
    last), with the events given per row of ``rt`` and the censorings before the tick."""
    at_risk, done, cens = [], [], []
    req = np.asarray(ticks, dtype=float)
    for i in range(rt.n_curves):
        sl = slice(rt.offsets[i], rt.offsets[i + 1])
        nxt = np.searchsorted(rt.time[sl], req, side="left")
        at_risk.append(np.append(rt.n_risk[sl], 0.0)[nxt].tolist())
        done.append(np.concatenate([[0.0], np.cumsum(events[sl])])[nxt].tolist())
        cens.append(np.concatenate([[0.0], np.cumsum(rt.n_censor[sl])])[nxt].tolist())
    return _Counts(at_risk, done, cens)


def _count(value: float) -> str:
    """A count as the table shows it: whole numbers as such, weighted sums to one decimal."""
    return f"{int(value)}" if float(value).is_integer() else f"{value:.1f}"


def _style(i: int) -> dict[str, Any]:
    return {"color": PALETTE[i % len(PALETTE)], "ls": LINESTYLES[i % len(LINESTYLES)]}


@dataclass(frozen=True, slots=True)
class _Layout:
    """What a curve figure shows besides the curves (shared by the KM and CIF figures)."""

    names: list[str]
    legend_title: str | None
    ticks: list[float]
    right: float
    counts: _Counts
    rows: tuple[str, ...]
    ylabel: str
    xlabel: str
    annotation: str | None
    title: str | None
    width: float | None
    height: float | None
    dpi: float


def _table_rows(cumulative_events: bool, cumulative_censored: bool) -> tuple[str, ...]:
    flags = {"at_risk": True, "events": cumulative_events, "censored": cumulative_censored}
    return tuple(k for k, on in flags.items() if on)


def _curve_figure(curves: Sequence[_Curve], lay: _Layout) -> Figure:
    """Draw ``curves`` with the KMunicate layout (Morris et al. 2019): the curves, the legend
    above the plot, the annotation between legend and plot, and under the time axis the
    table of numbers at the plot's own ticks; constrained layout keeps every text inside."""
    import matplotlib.pyplot as plt

    n_rows = len(lay.rows) * (len(curves) + 1)
    table_h = _ROW_HEIGHT * n_rows
    width = lay.width if lay.width is not None else 7.5
    height = lay.height if lay.height is not None else 4.6 + table_h + 0.2 * len(curves)
    fig = plt.figure(figsize=(width, height), dpi=lay.dpi, layout="constrained")
    plot_h = max(height - table_h - 1.6, 1.0)
    grid = fig.add_gridspec(2, 1, height_ratios=[plot_h, table_h])
    ax = fig.add_subplot(grid[0])
    table = fig.add_subplot(grid[1], sharex=ax)
    alpha = 0.2 if len(curves) <= 2 else 0.12
    handles = []
    for i, c in enumerate(curves):
        (line,) = ax.step(c.time, c.value, where="post", lw=1.6, label=lay.names[i], **_style(i))
        handles.append(line)
        if c.low is not None and c.high is not None:
            ax.fill_between(
                c.time, c.low, c.high, step="post", alpha=alpha, color=line.get_color(), lw=0
            )
        marks = np.concatenate([[False], c.censored])
        if marks.any():
            ax.plot(c.time[marks], c.value[marks], "+", color=line.get_color(), ms=5, mew=1)
    ax.set_ylim(0, 1.02)
    ax.set_yticks([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_xlim(0, lay.right)
    ax.set_xticks(lay.ticks)
    ax.set_ylabel(lay.ylabel, parse_math=False)
    ax.set_xlabel(lay.xlabel, parse_math=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    _draw_table(fig, table, lay, [h.get_color() for h in handles])
    if lay.title:
        fig.suptitle(lay.title, parse_math=False)
    legend = _legend(fig, ax, handles, lay) if len(curves) > 1 or lay.legend_title else None
    if lay.annotation:
        # above the legend (or the plot), left-aligned with the plot
        ax.annotate(
            lay.annotation,
            (0, 1),
            xycoords="axes fraction" if legend is None else legend,
            xytext=(0, 4),
            textcoords="offset points",
            ha="left",
            va="bottom",
            fontsize=9,
            parse_math=False,
        )
    _fit_annotation(fig, ax)
    # keep the positions found: each later draw (each file format saved) would start the
    # constrained layout from the last one and move things by rounding errors
    fig.set_layout_engine("none")
    return fig


def _legend(fig: Figure, ax: Axes, handles: list[Any], lay: _Layout) -> Legend:
    """The legend just above the plot, left-aligned with it, in as many columns as fit
    between the plot's left edge and the figure's right one. A legend of the plot's Axes
    counts in the constrained layout, which keeps room for it (and the title above)."""
    _layout(fig)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    room = fig.bbox.x1 - ax.get_window_extent(renderer).x0

    def make(ncols: int) -> Legend:
        legend = ax.legend(
            handles,
            lay.names,
            loc="lower left",
            bbox_to_anchor=(0.0, 1.01),
            borderaxespad=0.0,
            ncols=ncols,
            title=lay.legend_title,
            alignment="left",
            frameon=False,
            fontsize=9,
            title_fontsize=9,
            handlelength=3.0,
        )
        _literal([*legend.get_texts(), legend.get_title()])
        return legend

    for ncols in range(len(handles), 1, -1):
        legend = make(ncols)
        if legend.get_window_extent(renderer).width <= room:
            return legend
        legend.remove()
    return make(1)


def _fit_annotation(fig: Figure, ax: Axes) -> None:
    """Wrap the annotation (the last text of the plot) to the width from the plot's left edge
    to the figure's right one: first at its ``"; "``, then between words. The layout is made
    without it first (a text wider than the figure would collapse it), then with it."""
    text = ax.texts[-1] if ax.texts else None
    if text is not None:
        text.set_in_layout(False)
    for _ in range(3):
        _layout(fig)
        if text is None:
            return
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        room = fig.bbox.x1 - ax.get_window_extent(renderer).x0 - 4 * fig.dpi / 72
        if text.get_window_extent(renderer).width <= room:
            if text.get_in_layout():
                return
            text.set_in_layout(True)
            continue
        text.set_text(_wrap(text, room, renderer))
        text.set_in_layout(True)
    _layout(fig)


def _layout(fig: Figure) -> None:
    """Run the constrained layout; a figure too small for its texts is an error (matplotlib
    would only warn, and leave texts overlapping)."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.draw_without_rendering()
    if any("collapsed" in str(w.message) for w in caught):
        w, h = fig.get_size_inches()
        raise OptionError(
            f"a figure of {w:g} x {h:g} inches is too small for its legend, annotation and "
            "table; give a larger `width` or `height`"
        )


def _wrap(text: Text, room: float, renderer: Any) -> str:
    """The text's lines broken at ``"; "``; a line still wider than ``room`` pixels after its
    last ``": "`` (what is estimated, then the estimate), then between words."""

    def width(value: str) -> float:
        text.set_text(value)
        return text.get_window_extent(renderer).width

    lines: list[str] = []
    for line in text.get_text().replace("; ", "\n").split("\n"):
        pieces = [line]
        if ": " in line and width(line) > room:
            head, tail = line.rsplit(": ", 1)
            pieces = [head + ":", tail]
        for piece in pieces:
            current = ""
            for word in piece.split(" "):
                trial = f"{current} {word}" if current else word
                if current and width(trial) > room:
                    lines.append(current)
                    current = word
                else:
                    current = trial
            lines.append(current)
    return "\n".join(lines)


def _draw_table(fig: Figure, table: Axes, lay: _Layout, colours: Sequence[str]) -> None:
    """The KMunicate table: for each statistic a heading and one row per curve, the
    numbers centred on the plot's ticks, the curve names right-aligned left of the first
    column of numbers (measured, so that a number at time 0 never runs into a name)."""
    from matplotlib.transforms import offset_copy

    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    per = len(lay.names) + 1
    table.set_ylim(len(lay.rows) * per - 0.5, -0.5)
    first: list[float] = []  # widths (points) of the numbers at the first tick
    for s, stat in enumerate(lay.rows):
        values: list[list[float]] = getattr(lay.counts, stat)
        for i in range(len(lay.names)):
            for j, (t, n) in enumerate(zip(lay.ticks, values[i], strict=True)):
                text = table.text(
                    t, s * per + 1 + i, _count(n), ha="center", va="center", fontsize=_TABLE_FONT
                )
                if j == 0:
                    first.append(text.get_window_extent(renderer).width * 72 / fig.dpi)
    left = table.transData.transform((lay.ticks[0], 0))[0] - table.transAxes.transform((0, 0))[0]
    gap = max(first) / 2 + 6 - left * 72 / fig.dpi
    labels_at = offset_copy(table.get_yaxis_transform(), fig=fig, x=-max(gap, 6), units="points")
    for s, stat in enumerate(lay.rows):
        table.text(
            0,
            s * per,
            _TABLE_ROWS[stat],
            transform=labels_at,
            ha="right",
            va="center",
            fontsize=_TABLE_FONT,
            fontweight="bold",
        )
        for i, name in enumerate(lay.names):
            table.text(
                0,
                s * per + 1 + i,
                name,
                transform=labels_at,
                ha="right",
                va="center",
                fontsize=_TABLE_FONT,
                color=colours[i],
                parse_math=False,
            )
    table.tick_params(axis="both", which="both", bottom=False, left=False)
    table.tick_params(labelbottom=False, labelleft=False)
    for side in table.spines.values():
        side.set_visible(False)
    table.set_facecolor("none")


def km_figure(
    result: KaplanMeierResult,
    *,
    at_risk_times: Sequence[float] | None = None,
    median_lines: bool = True,
    annotation: str | None = None,
    conf_int: bool = True,
    xlabel: str = "time",
    title: str | None = None,
    labels: Mapping[str, str] | None = None,
    cumulative_events: bool = False,
    cumulative_censored: bool = False,
    width: float | None = None,
    height: float | None = None,
    dpi: float = DEFAULT_DPI,
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
        Resolution of the figure (dots per inch), which :func:`save_figure` writes PNG files
        at; 150 by default.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; ``fig.axes[0]`` holds the curves, ``fig.axes[1]`` the table.

    Raises
    ------
    OptionError
        When ``labels`` names a level that no curve has, ``at_risk_times`` holds a negative
        time, or the size or resolution is out of :data:`SIZE_RANGE` or :data:`DPI_RANGE`.

    References
    ----------
    1. Morris TP, Jarvis CI, Cragg W, et al. Proposals on Kaplan-Meier plots in medical
       research and a survey of stakeholder views: KMunicate. BMJ Open 2019;9:e030215.
    """
    _check_size(width, height, dpi)
    rt = result.risk
    names = level_names(rt, labels)
    ticks, right = _ticks(float(rt.time.max()) if len(rt.time) else 0.0, at_risk_times)
    counts = _counts(rt, ticks, rt.n_event)
    at = result.at(ticks)
    counts = _Counts(
        [_curve_rows(at, rt, i).get_column("n_risk").to_list() for i in range(rt.n_curves)],
        counts.events,
        counts.censored,
    )
    curves = []
    for i in range(rt.n_curves):
        sl = slice(rt.offsets[i], rt.offsets[i + 1])
        curves.append(
            _Curve(
                time=np.concatenate([[0.0], rt.time[sl]]),
                value=np.concatenate([[1.0], result.surv[sl]]),
                low=np.concatenate([[1.0], result.conf_low[sl]]) if conf_int else None,
                high=np.concatenate([[1.0], result.conf_high[sl]]) if conf_int else None,
                censored=rt.n_censor[sl] > 0,
            )
        )
    lay = _Layout(
        names=names,
        legend_title=", ".join(rt.groups) or None,
        ticks=ticks,
        right=right,
        counts=counts,
        rows=_table_rows(cumulative_events, cumulative_censored),
        ylabel="survival probability",
        xlabel=xlabel,
        annotation=annotation,
        title=title,
        width=width,
        height=height,
        dpi=dpi,
    )
    fig = _curve_figure(curves, lay)
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
    title: str | None = None,
    labels: Mapping[str, str] | None = None,
    cumulative_events: bool = False,
    cumulative_censored: bool = False,
    width: float | None = None,
    height: float | None = None,
    dpi: float = DEFAULT_DPI,
) -> Figure:
    """Cumulative-incidence figure of one cause, one curve per group, in the layout of
    :func:`km_figure` (KMunicate, Morris et al. 2019).

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

    Returns
    -------
    matplotlib.figure.Figure
        The figure; ``fig.axes[0]`` holds the curves, ``fig.axes[1]`` the table.

    Raises
    ------
    OptionError
        As :func:`km_figure`.
    """
    import polars as pl

    _check_size(width, height, dpi)
    rt = result.risk
    cause = result.causes[0] if cause is None else cause
    k = list(result.causes).index(cause)
    ticks, right = _ticks(float(rt.time.max()) if len(rt.time) else 0.0, at_risk_times)
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
            _Curve(
                time=np.concatenate([[0.0], rt.time[sl]]),
                value=np.concatenate([[0.0], result.cif[sl, k]]),
                low=band["low"] if conf_int else None,
                high=band["high"] if conf_int else None,
                censored=np.zeros(sl.stop - sl.start, dtype=bool),
            )
        )
    lay = _Layout(
        names=level_names(rt, labels),
        legend_title=", ".join(rt.groups) or None,
        ticks=ticks,
        right=right,
        counts=_counts(rt, ticks, rt.n_event_by_cause[:, k]),
        rows=_table_rows(cumulative_events, cumulative_censored),
        ylabel=f"cumulative incidence ({cause})",
        xlabel=xlabel,
        annotation=annotation,
        title=title,
        width=width,
        height=height,
        dpi=dpi,
    )
    return _curve_figure(curves, lay)
