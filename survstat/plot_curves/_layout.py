"""The KMunicate layout shared by the Kaplan-Meier and cumulative incidence figures: the
curves, the legend and annotation above the plot, the table under it, every text inside the
figure and apart from the others."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from survstat.errors import OptionError
from survstat.plot_curves._table import (
    ROW_HEIGHT,
    TABLE_FONT,
    TABLE_ROWS,
    Counts,
    draw_table,
    table_height,
)
from survstat.plot_curves.style import OVERLAY_STYLE, curve_style, literal, reading_order

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.legend import Legend
    from matplotlib.text import Text

#: The widest a curve's name may be in the table's label column, as a share of the figure's
#: width: a longer name is wrapped between words rather than narrowing the plot.
LABEL_SHARE = 0.27
#: Default width of a curve figure (inches).
DEFAULT_WIDTH = 7.5


@dataclass(frozen=True, slots=True)
class Curve:
    """One curve to draw: its steps, optional band and censoring marks."""

    time: np.ndarray
    value: np.ndarray
    low: np.ndarray | None
    high: np.ndarray | None
    censored: np.ndarray  # bool, per step after the first


@dataclass(frozen=True, slots=True)
class Layout:
    """What a curve figure shows besides the curves (shared by the KM and CIF figures)."""

    names: list[str]
    legend_title: str | None
    ticks: list[float]
    right: float
    counts: Counts
    rows: tuple[str, ...]
    ylabel: str
    yticks: list[float]
    xlabel: str
    annotation: str | None
    title: str | None
    width: float | None
    height: float | None
    dpi: float
    #: Curves drawn over the others in their colours (thin dashes), their legend entry and
    #: a footnote under the figure saying what they are.
    overlay: Sequence[Curve] = ()
    overlay_label: str | None = None
    footnote: str | None = None


def curve_figure(curves: Sequence[Curve], lay: Layout) -> Figure:
    """Draw ``curves`` with the KMunicate layout (Morris et al. 2019): the curves, the legend
    above the plot, the annotation above the legend, and under the time axis the table of
    numbers at the plot's own ticks; constrained layout keeps every text inside."""
    import matplotlib.pyplot as plt

    width = lay.width if lay.width is not None else DEFAULT_WIDTH
    fig = plt.figure(figsize=(width, lay.height or 6.0), dpi=lay.dpi, layout="constrained")
    row_names = _table_names(fig, lay.names)
    table_h = ROW_HEIGHT * table_height(row_names, lay.rows)
    height = lay.height if lay.height is not None else 4.6 + table_h + 0.2 * len(curves)
    fig.set_size_inches(width, height)
    plot_h = max(height - table_h - 1.6, 1.0)
    grid = fig.add_gridspec(2, 1, height_ratios=[plot_h, table_h])
    ax = fig.add_subplot(grid[0])
    table = fig.add_subplot(grid[1], sharex=ax)
    alpha = 0.2 if len(curves) <= 2 else 0.12
    handles = []
    for i, c in enumerate(curves):
        style = curve_style(i)
        (line,) = ax.step(c.time, c.value, where="post", lw=1.6, label=lay.names[i], **style)
        handles.append(line)
        if c.low is not None and c.high is not None:
            ax.fill_between(
                c.time, c.low, c.high, step="post", alpha=alpha, color=line.get_color(), lw=0
            )
        marks = np.concatenate([[False], c.censored])
        if marks.any():
            ax.plot(c.time[marks], c.value[marks], "+", color=line.get_color(), ms=5, mew=1)
    for c, line in zip(lay.overlay, handles, strict=False):
        ax.step(c.time, c.value, where="post", color=line.get_color(), **OVERLAY_STYLE)
    ax.set_ylim(0, lay.yticks[-1] * 1.02)
    ax.set_yticks(lay.yticks)
    ax.set_xlim(0, lay.right)
    ax.set_xticks(lay.ticks)
    ax.set_ylabel(lay.ylabel, parse_math=False)
    ax.set_xlabel(lay.xlabel, parse_math=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    colours = [str(h.get_color()) for h in handles]
    draw_table(fig, table, row_names, lay.rows, lay.ticks, lay.counts, colours)
    if lay.title:
        fig.suptitle(lay.title, parse_math=False)
    names = list(lay.names)
    if lay.overlay:
        handles = [*handles, _overlay_handle()]
        names.append(lay.overlay_label or "model")
    shown = len(curves) > 1 or lay.legend_title or lay.overlay
    legend = _legend(fig, ax, handles, names, lay.legend_title) if shown else None
    if lay.footnote:
        _footnote(fig, lay.footnote)
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


def probability_ticks(top: float = 1.0) -> list[float]:
    """Ticks of a probability axis that reaches just above ``top``: 0 to 1 by 0.2 when
    ``top`` is above 0.6 (or not finite), else steps of 0.1 (of 0.05 up to 0.25) to the
    first tick at or above ``top``, so that a small cumulative incidence fills the plot
    (Pocock et al. 2002)."""
    if not math.isfinite(top) or top > 0.6:
        return [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    step = 0.05 if top <= 0.25 else 0.1
    n = max(1, math.ceil(top / step - 1e-9))
    return [round(k * step, 10) for k in range(n + 1)]


def _table_names(fig: Figure, names: Sequence[str]) -> list[str]:
    """The curves' names as the table shows them: wrapped between words to at most
    :data:`LABEL_SHARE` of the figure's width (or the widest heading, if wider)."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    probe = fig.text(0, 0, "", fontsize=TABLE_FONT, fontweight="bold")
    probe.set_parse_math(False)
    room = fig.bbox.width * LABEL_SHARE
    for heading in TABLE_ROWS.values():
        probe.set_text(heading)
        room = max(room, probe.get_window_extent(renderer).width)
    probe.set_fontweight("normal")
    wrapped = [wrap_words(probe, name, room, renderer) for name in names]
    probe.remove()
    return wrapped


def _overlay_handle() -> Any:
    """The legend's sample of the overlaid curves: their dashes, in grey."""
    from matplotlib.lines import Line2D

    return Line2D([], [], color="0.35", **OVERLAY_STYLE)


def _footnote(fig: Figure, text: str) -> None:
    """``text`` under everything, left-aligned, each of its lines wrapped between words to
    the figure's width; the constrained layout keeps room for it."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    probe = fig.text(0, 0, "", fontsize=8, parse_math=False)
    room = fig.bbox.width * 0.96
    wrapped = "\n".join(wrap_words(probe, line, room, renderer) for line in text.split("\n"))
    probe.remove()
    fig.supxlabel(wrapped, x=0.02, ha="left", fontsize=8, parse_math=False)


def _legend(
    fig: Figure, ax: Axes, handles: list[Any], names: Sequence[str], title: str | None
) -> Legend:
    """The legend just above the plot, left-aligned with it, in as many columns as fit
    between the plot's left edge and the figure's right one; in one column, a name wider
    than that room is wrapped between words. A legend of the plot's Axes counts in the
    constrained layout, which keeps room for it (and the title above)."""
    layout(fig)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    room = fig.bbox.x1 - ax.get_window_extent(renderer).x0

    def make(ncols: int, names: Sequence[str]) -> Legend:
        order = reading_order(len(handles), ncols)
        legend = ax.legend(
            [handles[i] for i in order],
            [names[i] for i in order],
            loc="lower left",
            bbox_to_anchor=(0.0, 1.01),
            borderaxespad=0.0,
            ncols=ncols,
            title=title,
            alignment="left",
            frameon=False,
            fontsize=9,
            title_fontsize=9,
            handlelength=3.0,
        )
        literal([*legend.get_texts(), legend.get_title()])
        return legend

    for ncols in range(len(handles), 1, -1):
        legend = make(ncols, names)
        if legend.get_window_extent(renderer).width <= room:
            return legend
        legend.remove()
    legend = make(1, names)
    texts = legend.get_texts()
    widest = max(t.get_window_extent(renderer).width for t in texts)
    over = legend.get_window_extent(renderer).width - room
    if over <= 0:
        return legend
    legend.remove()
    probe = fig.text(0, 0, "", fontsize=9, parse_math=False)
    wrapped = [wrap_words(probe, name, widest - over, renderer) for name in names]
    probe.remove()
    return make(1, wrapped)


def _fit_annotation(fig: Figure, ax: Axes) -> None:
    """Wrap the annotation (the last text of the plot) to the width from the plot's left edge
    to the figure's right one: first at its ``"; "``, then between words. The layout is made
    without it first (a text wider than the figure would collapse it), then with it."""
    text = ax.texts[-1] if ax.texts else None
    if text is not None:
        text.set_in_layout(False)
    for _ in range(3):
        layout(fig)
        if text is None:
            return
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        room = fig.bbox.x1 - ax.get_window_extent(renderer).x0 - 4 * fig.dpi / 72
        if text.get_window_extent(renderer).width <= room:
            if text.get_in_layout():
                return
            text.set_in_layout(True)
            continue
        text.set_text(wrap(text, room, renderer))
        text.set_in_layout(True)
    layout(fig)


def layout(fig: Figure) -> None:
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


def wrap_words(probe: Text, value: str, room: float, renderer: Any) -> str:
    """``value`` broken between words into lines at most ``room`` pixels wide, as measured
    with the font of ``probe`` (whose text is left as the last line tried); a single word
    wider than ``room`` keeps a line of its own."""

    def width(line: str) -> float:
        probe.set_text(line)
        return probe.get_window_extent(renderer).width

    lines: list[str] = []
    current = ""
    for word in value.split(" "):
        trial = f"{current} {word}" if current else word
        if current and width(trial) > room:
            lines.append(current)
            current = word
        else:
            current = trial
    lines.append(current)
    return "\n".join(lines)


def wrap(text: Text, room: float, renderer: Any) -> str:
    """The text's lines broken at ``"; "``; a line still wider than ``room`` pixels after its
    last ``": "`` (what is estimated, then the estimate), then between words."""
    lines: list[str] = []
    for line in text.get_text().replace("; ", "\n").split("\n"):
        pieces = [line]
        text.set_text(line)
        if ": " in line and text.get_window_extent(renderer).width > room:
            head, tail = line.rsplit(": ", 1)
            pieces = [head + ":", tail]
        lines += [wrap_words(text, piece, room, renderer) for piece in pieces]
    return "\n".join(lines)
