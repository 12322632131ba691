"""The KMunicate table under a curve figure: numbers at risk, and cumulative events and
censorings, at exactly the plot's time ticks, one row per curve."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from survstat.errors import OptionError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from survstat.risk import RiskTable

#: Rows the table under a figure can show, in order, with their headings.
TABLE_ROWS = {
    "at_risk": "Number at risk",
    "events": "Cumulative events",
    "censored": "Cumulative censored",
}
TABLE_FONT = 8.0  # points
ROW_HEIGHT = 0.2  # inches per row of the table under the plot
#: Height of one more line of a wrapped row label, in rows (a line of 8-point text).
_LINE = 0.68


@dataclass(frozen=True, slots=True)
class Counts:
    """Per curve, the table's numbers at each tick: at risk, and events and censorings
    strictly before the tick (so that, without delayed entry, they add up to the arm's size)."""

    at_risk: list[list[float]]
    events: list[list[float]]
    censored: list[list[float]]


def table_rows(cumulative_events: bool, cumulative_censored: bool) -> tuple[str, ...]:
    """The statistics the table shows, in order: the number at risk, then those asked for."""
    flags = {"at_risk": True, "events": cumulative_events, "censored": cumulative_censored}
    return tuple(k for k, on in flags.items() if on)


def ticks(t_max: float, given: Sequence[float] | None) -> tuple[list[float], float]:
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
        found = sorted({float(t) for t in given})
    else:
        top = t_max if t_max > 0 else 1.0
        located = MaxNLocator(nbins=8, steps=[1, 2, 2.5, 5, 10]).tick_values(0.0, top)
        found = [float(t) for t in located if 0 <= t <= top * (1 + 1e-9)]
    return found, max(t_max, found[-1]) if t_max > 0 else max(1.0, found[-1])


def counts(rt: RiskTable, at: Sequence[float], events: np.ndarray) -> Counts:
    """Numbers at risk at each tick (the risk set at the first time >= the tick, 0 after the
    last), with the events given per row of ``rt`` and the censorings before the tick."""
    at_risk, done, cens = [], [], []
    req = np.asarray(at, dtype=float)
    for i in range(rt.n_curves):
        sl = slice(rt.offsets[i], rt.offsets[i + 1])
        nxt = np.searchsorted(rt.time[sl], req, side="left")
        at_risk.append(np.append(rt.n_risk[sl], 0.0)[nxt].tolist())
        done.append(np.concatenate([[0.0], np.cumsum(events[sl])])[nxt].tolist())
        cens.append(np.concatenate([[0.0], np.cumsum(rt.n_censor[sl])])[nxt].tolist())
    return Counts(at_risk, done, cens)


def _count(value: float) -> str:
    """A count as the table shows it: whole numbers as such, weighted sums to one decimal."""
    return f"{int(value)}" if float(value).is_integer() else f"{value:.1f}"


def row_spans(names: Sequence[str]) -> list[float]:
    """The height of each curve's row, in rows: one, and a little more per extra line of a
    wrapped name."""
    return [1.0 + _LINE * name.count("\n") for name in names]


def table_height(names: Sequence[str], rows: Sequence[str]) -> float:
    """The table's height in rows: per statistic, its heading and the curves' rows."""
    return len(rows) * (1.0 + sum(row_spans(names)))


def draw_table(
    fig: Figure,
    table: Axes,
    names: Sequence[str],
    rows: Sequence[str],
    at: Sequence[float],
    numbers: Counts,
    colours: Sequence[str],
) -> None:
    """Draw the table: for each statistic a heading and one row per curve, the numbers
    centred on the ticks ``at``, the curve ``names`` (wrapped already) right-aligned left of
    the first column of numbers (measured, so that a number at time 0 never runs into a
    name)."""
    from matplotlib.transforms import offset_copy

    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    spans = row_spans(names)
    block = 1.0 + sum(spans)
    table.set_ylim(len(rows) * block - 0.5, -0.5)
    # the centre of each curve's row within a block, after the heading
    centres = [1.0 + sum(spans[:i]) + (spans[i] - 1.0) / 2 for i in range(len(names))]
    first: list[float] = []  # widths (points) of the numbers at the first tick
    for s, stat in enumerate(rows):
        values: list[list[float]] = getattr(numbers, stat)
        for i in range(len(names)):
            for j, (t, n) in enumerate(zip(at, values[i], strict=True)):
                text = table.text(
                    t, s * block + centres[i], _count(n), ha="center", va="center",
                    fontsize=TABLE_FONT,
                )  # fmt: skip
                if j == 0:
                    first.append(text.get_window_extent(renderer).width * 72 / fig.dpi)
    left = table.transData.transform((at[0], 0))[0] - table.transAxes.transform((0, 0))[0]
    gap = max(first) / 2 + 6 - left * 72 / fig.dpi
    labels_at = offset_copy(table.get_yaxis_transform(), fig=fig, x=-max(gap, 6), units="points")
    for s, stat in enumerate(rows):
        table.text(
            0,
            s * block,
            TABLE_ROWS[stat],
            transform=labels_at,
            ha="right",
            va="center",
            fontsize=TABLE_FONT,
            fontweight="bold",
        )
        for i, name in enumerate(names):
            table.text(
                0,
                s * block + centres[i],
                name,
                transform=labels_at,
                ha="right",
                va="center",
                ma="right",
                linespacing=1.1,
                fontsize=TABLE_FONT,
                color=colours[i],
                parse_math=False,
            )
    table.tick_params(axis="both", which="both", bottom=False, left=False)
    table.tick_params(labelbottom=False, labelleft=False)
    for side in table.spines.values():
        side.set_visible(False)
    table.set_facecolor("none")
