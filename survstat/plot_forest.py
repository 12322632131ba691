"""Forest plots (matplotlib): estimates with intervals on a log axis.

- :func:`forest_figure`: one line per row of a wide table (a Cox model's terms, subgroup
  hazard ratios in columns).
- :func:`subgroups_forest_figure`: the forest plot of tern's ``g_forest`` drawn from the
  analysis results data of ``table subgroups`` (:func:`survstat.tables.subgroups_table`): a
  table of the subgroups with N and events per arm on the left, the hazard ratios with their
  intervals in the middle, their text and the interaction p-values on the right.

Both are re-exported by :mod:`survstat.plot`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from survstat.errors import ColumnNotFoundError, InputFormatError, OptionError

if TYPE_CHECKING:
    import polars as pl
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: The ARD columns :func:`subgroups_forest_figure` reads, besides the arm column.
SUBGROUPS_COLUMNS = ("subgroup", "level", "statistic", "estimate", "conf_low", "conf_high")
#: Candidate ticks of the hazard-ratio axis.
_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
_FONT = 8.0  # points
_LINE = 0.2  # inches per line of the table
_PAD = 0.12  # inches between columns and around the figure
_INDENT = 0.15  # inches of a level's indent under its variable
_ARM_WRAP = 1.3  # inches: arm names in the header wrap at this width
_MAX_ARMS = 4


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

    See Also
    --------
    subgroups_forest_figure : the forest plot of the ``table subgroups`` ARD.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FormatStrFormatter, NullFormatter

    rows = table.select(label, estimate, low, high).rows()
    fig, ax = plt.subplots(figsize=(7, 0.9 + 0.4 * len(rows)), dpi=150)
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


@dataclass(frozen=True, slots=True)
class _Ratio:
    """One arm's hazard ratio in one row: drawn when ``estimate`` is not None."""

    estimate: float | None
    low: float | None
    high: float | None

    def text(self) -> str:
        if self.estimate is None:
            return "NE"
        if self.low is None or self.high is None:
            return f"{self.estimate:.2f} (NE)"
        return f"{self.estimate:.2f} ({self.low:.2f}, {self.high:.2f})"


@dataclass(frozen=True, slots=True)
class _Row:
    """One row of the figure: all patients, a variable's heading or one of its levels."""

    label: str
    heading: bool
    indent: bool
    counts: tuple[str, ...]  # per arm: N, events
    total: float
    ratios: tuple[_Ratio, ...]  # per non-reference arm
    p_value: str


def _count(value: Any) -> str:
    return "" if value is None else f"{float(value):.0f}"


def _p_text(row: Mapping[str, Any] | None) -> str:
    if row is None:
        return ""
    p = row["estimate"]
    if p is None:
        return "NE"
    return "<0.0001" if p < 0.0001 else f"{p:.4f}"


def _read_ard(
    ard: pl.DataFrame, by: str | None, labels: Mapping[str, str] | None
) -> tuple[list[Any], list[_Row]]:
    """The arms (reference first) and the rows of the figure, from the subgroups ARD."""
    missing = [c for c in SUBGROUPS_COLUMNS if c not in ard.columns]
    if missing:
        raise ColumnNotFoundError(missing[0], ard.columns, where="the ARD of `table subgroups`")
    if by is None:
        by = ard.columns[ard.columns.index("level") + 1] if ard.columns[-1] != "level" else None
    if by is None or by not in ard.columns or by in SUBGROUPS_COLUMNS:
        raise InputFormatError(
            "the ARD of `table subgroups` must have its arm column after `level`; found "
            f"columns {', '.join(ard.columns)}"
        )
    arms = ard.get_column(by).drop_nulls().unique(maintain_order=True).to_list()
    if not 2 <= len(arms) <= _MAX_ARMS:
        raise InputFormatError(
            f"the forest plot draws 2 to {_MAX_ARMS} arms; the ARD's `{by}` has {len(arms)}"
            + (f" ({', '.join(repr(a) for a in arms[:6])})" if arms else "")
        )
    rows_of = {
        (r["subgroup"], r["level"], r[by], r["statistic"]): r for r in ard.iter_rows(named=True)
    }
    blocks: dict[Any, list[Any]] = {}
    for subgroup, level in ard.select("subgroup", "level").unique(maintain_order=True).rows():
        blocks.setdefault(subgroup, [])
        if level is not None:
            blocks[subgroup].append(level)
    out: list[_Row] = []
    empty = (_Ratio(None, None, None),) * (len(arms) - 1)
    for subgroup, levels in blocks.items():
        if subgroup is not None:
            p = _p_text(rows_of.get((subgroup, None, None, "interaction_p_value")))
            name = (labels or {}).get(subgroup) or str(subgroup)
            out.append(_Row(name, True, False, ("",) * (2 * len(arms)), 0.0, empty, p))
        for level in levels:

            def get(arm: Any, statistic: str, key: Any = (subgroup, level)) -> Any:
                return rows_of.get((*key, arm, statistic))

            counts: list[str] = []
            total = 0.0
            for arm in arms:
                n = (get(arm, "n") or {}).get("estimate")
                total += n or 0.0
                counts += [_count(n), _count((get(arm, "n_event") or {}).get("estimate"))]
            ratios = []
            for arm in arms[1:]:
                hr = get(arm, "hazard_ratio") or {}
                est = _positive(hr.get("estimate"))
                low, high = _positive(hr.get("conf_low")), _positive(hr.get("conf_high"))
                ratios.append(
                    _Ratio(est, low, high) if est is not None else _Ratio(None, None, None)
                )
            out.append(
                _Row(
                    str(level),
                    subgroup is None,
                    subgroup is not None,
                    tuple(counts),
                    total,
                    tuple(ratios),
                    "",
                )
            )
    return arms, out


class _Measure:
    """Text widths in inches, measured with a renderer at the figure's font."""

    def __init__(self, fig: Figure) -> None:
        self._fig = fig
        self._renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]

    def width(self, text: str, weight: str = "normal") -> float:
        if not text:
            return 0.0
        t = self._fig.text(0, 0, text, fontsize=_FONT, weight=weight, parse_math=False)
        width = t.get_window_extent(self._renderer).width / self._fig.dpi
        t.remove()
        return width

    def wrap(self, text: str, room: float) -> str:
        """``text`` broken at spaces so that each line fits in ``room`` inches if it can."""
        words = text.split(" ")
        lines = [words[0]]
        for word in words[1:]:
            joined = f"{lines[-1]} {word}"
            if self.width(joined) <= room:
                lines[-1] = joined
            else:
                lines.append(word)
        return "\n".join(lines)


def _x_range(rows: Sequence[_Row], reference_line: float) -> tuple[float, float, list[float]]:
    """The hazard-ratio axis' limits and ticks: every drawn value and the reference line,
    within 0.001 to 1000."""
    values = [reference_line]
    for row in rows:
        for r in row.ratios:
            values += [v for v in (r.estimate, r.low, r.high) if v is not None]
    low, high = max(min(values), 1e-3), min(max(values), 1e3)
    # widen to the nearest ticks outside, so that both ends of the axis are labelled
    low = max([t for t in _TICKS if t <= low * 1.0001], default=low / 1.15)
    high = min([t for t in _TICKS if t >= high / 1.0001], default=high * 1.15)
    ticks = [t for t in _TICKS if low <= t <= high]
    if len(ticks) > 7:
        ticks = [t for t in ticks if math.log10(t).is_integer() or t == reference_line]
    if len(ticks) < 2:
        ticks = sorted({*ticks, reference_line})
    return low, high, sorted({*ticks, reference_line})


def subgroups_forest_figure(
    ard: pl.DataFrame,
    *,
    by: str | None = None,
    labels: Mapping[str, str] | None = None,
    favours: bool = True,
    reference_line: float = 1.0,
    conf_level: float = 0.95,
    xlabel: str | None = None,
    title: str | None = None,
    width: float | None = None,
    dpi: float = 150,
) -> Figure:
    """Forest plot of the hazard ratios by subgroup, drawn from the ``table subgroups`` ARD.

    The layout of tern's ``g_forest``: on the left a table of the rows (all patients, then per
    subgroup variable a heading row and its levels indented under it) with N and events per
    arm; in the middle each non-reference arm's hazard ratio against the reference as a
    square (its area growing with the row's N) and its interval as a line, on a log axis with
    a dashed line at ``reference_line``; on the right the hazard ratio and interval as text,
    and on each variable's heading row the interaction p-value. A row whose hazard ratio is
    null reads ``NE`` and draws nothing. With 3 or 4 arms each row has one line per
    non-reference arm, coloured and offset, with a legend.

    Parameters
    ----------
    ard
        The ARD of :func:`survstat.tables.subgroups_table` (``SubgroupsTable.ard`` or the
        Parquet file ``table subgroups -o`` writes): ``subgroup, level``, the arm column,
        ``statistic, ..., estimate, ..., conf_low, conf_high, ...``; 2 to 4 arms, the
        reference's rows first.
    by
        The arm column; None (default): the column after ``level``.
    labels
        Labels of the subgroup variables by column name (``{"tgrade": "Tumour grade"}``);
        a variable without one shows its name.
    favours
        Write ``← Favours <arm>`` and ``Favours <reference> →`` under the axis (True by
        default): a hazard ratio below 1 favours the compared arm.
    reference_line
        Where the dashed line of no effect is drawn (1 by default); must be positive.
    conf_level
        The level of the ARD's intervals, for the headers (0.95: ``HR (95% CI)``).
    xlabel
        Label of the axis; default ``Hazard ratio (95% CI)``.
    title
        Title over the figure; None for none.
    width
        Figure width in inches; None (default): the table's width plus a 2.4-inch plot. A
        given width widens or narrows the plot (at least 1.5 inches).
    dpi
        Resolution the figure is drawn at.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; its first axes hold the plot.

    Raises
    ------
    ColumnNotFoundError
        When ``ard`` lacks a column of the subgroups ARD.
    InputFormatError
        When it has fewer than 2 or more than 4 arms, or no arm column after ``level``.
    OptionError
        When ``reference_line`` is not positive.

    See Also
    --------
    forest_figure : the forest plot of a wide table.
    survstat.tables.subgroups_table : the ARD.

    References
    ----------
    1. tern (Roche): ``g_forest``, ``tabulate_survival_subgroups``.
    2. Okabe M, Ito K. Color Universal Design (CUD): how to make figures and presentations
       that are friendly to colorblind people. 2008 (the colours of the arms).

    Examples
    --------
    >>> import survstat
    >>> from survstat.plot import subgroups_forest_figure
    >>> from survstat.tables import subgroups_table
    >>> t = subgroups_table(survstat.datasets.load("gbsg2"), time="time", event="cens",
    ...                     by="horTh", reference="no", subgroups=["menostat", "tgrade"])
    >>> fig = subgroups_forest_figure(t.ard, labels={"tgrade": "Tumour grade"})
    >>> "0.69 (0.54, 0.89)" in [t.get_text() for t in fig.texts]  # all patients
    True
    """
    import matplotlib.pyplot as plt

    from survstat.plot_curves.style import PALETTE

    if not (0 < reference_line < math.inf):
        raise OptionError(f"`reference_line` must be positive (a log axis); got {reference_line}")
    arms, rows = _read_ard(ard, by, labels)
    fig = plt.figure(dpi=dpi)
    measure = _Measure(fig)
    level = f"{100 * conf_level:g}% CI"
    k = len(arms) - 1  # hazard-ratio lines per row
    colours = ["0.15"] if k == 1 else list(PALETTE[:k])
    headers = [measure.wrap(str(a), _ARM_WRAP) for a in arms]
    cols = _columns(measure, headers, rows, level, width)

    # heights, top to bottom, in inches
    sub = [1 if r.heading and not r.counts[0] else k for r in rows]
    title_h = 0.35 if title else 0.0
    header_h = (max(h.count("\n") + 1 for h in headers) + 1) * 0.15 + 0.1
    compared = str(arms[1]) if k == 1 else "the compared arm"
    favour_texts = [f"← Favours {compared}", f"Favours {arms[0]} →"] if favours else []
    favour_lines = [measure.wrap(t, cols.plot_w / 2 - 0.05) for t in favour_texts]
    favour_h = max((t.count("\n") + 1 for t in favour_lines), default=0) * 0.15
    axis_h = 0.45 + (favour_h + 0.05 if favours else 0.0)
    legend_h = (k + 1) * 0.19 + 0.1 if k > 1 else 0.0
    body_h = sum(sub) * _LINE
    height = _PAD + title_h + header_h + body_h + 0.1 + axis_h + legend_h + _PAD
    canvas = _Canvas(fig, cols.fig_w, height)
    fig.set_size_inches(cols.fig_w, height)

    if title:
        canvas.put(cols.fig_w / 2, _PAD, title, ha="center", va="top", fontsize=10, weight="bold")
    top = _PAD + title_h
    _draw_header(canvas, cols, headers, top + header_h - 0.05, level)
    body_top = top + header_h + 0.05
    ax = fig.add_axes(
        (canvas.x(cols.plot_x), canvas.y(body_top + body_h), canvas.x(cols.plot_w), body_h / height)
    )
    ax.set_ylim(sum(sub), 0)
    ax.set_facecolor("none")
    low, high, ticks = _x_range(rows, reference_line)
    _draw_body(canvas, ax, cols, rows, sub, body_top, colours, (low, high))
    _style_axis(ax, low, high, ticks, reference_line, xlabel or f"Hazard ratio ({level})")
    if favours:
        below = body_top + body_h + 0.45
        canvas.put(cols.plot_x, below, favour_lines[0], ha="left", va="top")
        right = cols.plot_x + cols.plot_w
        canvas.put(right, below, favour_lines[1], ha="right", va="top", multialignment="right")
    if k > 1:
        _legend(canvas, arms, colours)
    return fig


@dataclass(frozen=True, slots=True)
class _Canvas:
    """The figure with positions in inches from its left and top edges."""

    fig: Figure
    width: float
    height: float

    def x(self, inches: float) -> float:
        return inches / self.width

    def y(self, from_top: float) -> float:
        return 1.0 - from_top / self.height

    def put(self, x: float, y: float, text: str, **kw: Any) -> None:
        options = {"fontsize": _FONT, **kw}
        self.fig.text(self.x(x), self.y(y), text, parse_math=False, **options)


@dataclass(frozen=True, slots=True)
class _Columns:
    """Where the columns are, in inches from the left: the table, the plot, the text."""

    label_w: float
    arms: tuple[tuple[float, float, float], ...]  # per arm: centre, N's and events' right edges
    plot_x: float
    plot_w: float
    text_x: float
    p_right: float
    fig_w: float


def _columns(
    measure: _Measure, headers: list[str], rows: list[_Row], level: str, width: float | None
) -> _Columns:
    """The columns' widths from the widest text of each, and the plot's from ``width``."""
    label_w = max(
        measure.width("Subgroup", "bold"),
        *(
            measure.width(r.label, "bold" if r.heading else "normal")
            + (_INDENT if r.indent else 0.0)
            for r in rows
        ),
    )
    x = _PAD + label_w + _PAD
    arms = []
    for i, header in enumerate(headers):
        n_w = max(measure.width("N"), *(measure.width(r.counts[2 * i]) for r in rows))
        e_w = max(measure.width("Events"), *(measure.width(r.counts[2 * i + 1]) for r in rows))
        lines = [measure.width(line, "bold") for line in header.split("\n")]
        span = max(n_w + _PAD + e_w, *lines)
        centre = x + _PAD + span / 2
        n_right = centre - (n_w + _PAD + e_w) / 2 + n_w
        arms.append((centre, n_right, n_right + _PAD + e_w))
        x += span + 2 * _PAD
    text_w = max(
        measure.width(f"HR ({level})", "bold"),
        *(measure.width(r.text()) for row in rows for r in row.ratios),
    )
    p_w = max(measure.width("Interaction", "bold"), *(measure.width(r.p_value) for r in rows))
    left_w = x + _PAD
    right_w = _PAD + text_w + 2 * _PAD + p_w + _PAD
    plot_w = 2.4 if width is None else max(1.5, width - left_w - right_w)
    text_x = left_w + plot_w + _PAD
    return _Columns(
        label_w=label_w,
        arms=tuple(arms),
        plot_x=left_w,
        plot_w=plot_w,
        text_x=text_x,
        p_right=text_x + text_w + 2 * _PAD + p_w,
        fig_w=left_w + plot_w + right_w,
    )


def _draw_header(
    canvas: _Canvas, cols: _Columns, headers: list[str], base: float, level: str
) -> None:
    """The column headers, their last line's bottom at ``base`` inches from the top."""
    canvas.put(_PAD, base, "Subgroup", va="bottom", weight="bold")
    for (centre, n_right, e_right), header in zip(cols.arms, headers, strict=True):
        canvas.put(centre, base - 0.17, header, ha="center", va="bottom", weight="bold")
        canvas.put(n_right, base, "N", ha="right", va="bottom")
        canvas.put(e_right, base, "Events", ha="right", va="bottom")
    canvas.put(cols.text_x, base, f"HR ({level})", va="bottom", weight="bold")
    canvas.put(cols.p_right, base, "p", ha="right", va="bottom", weight="bold")
    canvas.put(cols.p_right, base - 0.15, "Interaction", ha="right", va="bottom", weight="bold")


def _draw_body(
    canvas: _Canvas,
    ax: Axes,
    cols: _Columns,
    rows: list[_Row],
    sub: list[int],
    body_top: float,
    colours: list[str],
    limits: tuple[float, float],
) -> None:
    """The rows: labels, counts, p-values, every other row on a band, and per arm the hazard
    ratio's text and its square and line (``sub`` lines a row, each arm on its own)."""
    from matplotlib.patches import Rectangle

    n_max = max((r.total for r in rows), default=1.0) or 1.0
    y, shaded = 0.0, False
    for row, lines in zip(rows, sub, strict=True):
        cy = body_top + (y + lines / 2) * _LINE
        weight = "bold" if row.heading else "normal"
        indent = _INDENT if row.indent else 0.0
        canvas.put(_PAD + indent, cy, row.label, va="center", weight=weight)
        for i, (_centre, n_right, e_right) in enumerate(cols.arms):
            canvas.put(n_right, cy, row.counts[2 * i], ha="right", va="center")
            canvas.put(e_right, cy, row.counts[2 * i + 1], ha="right", va="center")
        if row.p_value:
            canvas.put(cols.p_right, cy, row.p_value, ha="right", va="center")
        if not row.counts[0]:
            y += lines
            continue
        shaded = not shaded
        if shaded:  # every other row on a band across the figure, to read it across
            canvas.fig.add_artist(
                Rectangle(
                    (canvas.x(_PAD / 2), canvas.y(body_top + (y + lines) * _LINE)),
                    canvas.x(cols.p_right),
                    lines * _LINE / canvas.height,
                    transform=canvas.fig.transFigure,
                    facecolor="0.94",
                    lw=0,
                    zorder=-1,
                )
            )
        size = 3.0 + 5.0 * math.sqrt(row.total / n_max)
        for j, ratio in enumerate(row.ratios):
            line_y = y + j + 0.5 if len(row.ratios) > 1 else y + lines / 2
            text_y = body_top + line_y * _LINE
            canvas.put(cols.text_x, text_y, ratio.text(), va="center", color=colours[j])
            _draw_ratio(ax, ratio, line_y, size, colours[j], limits)
        y += lines


def _legend(canvas: _Canvas, arms: list[Any], colours: list[str]) -> None:
    """The legend of the arms' colours, under everything else."""
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], marker="s", color=c, ms=5, lw=1.2, label=str(a))
        for c, a in zip(colours, arms[1:], strict=True)
    ]
    legend = canvas.fig.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, canvas.y(canvas.height - _PAD)),
        ncol=1,
        fontsize=_FONT,
        title=f"Hazard ratio against {arms[0]}",
        title_fontsize=_FONT,
        frameon=False,
    )
    for text in [legend.get_title(), *legend.get_texts()]:
        text.set_parse_math(False)


def _draw_ratio(
    ax: Axes, ratio: _Ratio, y: float, size: float, colour: str, limits: tuple[float, float]
) -> None:
    """One hazard ratio: its interval as a line (clipped at the axis) and a square."""
    if ratio.estimate is None:
        return
    if ratio.low is not None and ratio.high is not None:
        lo, hi = max(ratio.low, limits[0]), min(ratio.high, limits[1])
        ax.plot([lo, hi], [y, y], color=colour, lw=1.2, solid_capstyle="butt")
    ax.plot([ratio.estimate], [y], "s", color=colour, ms=size)


def _style_axis(
    ax: Axes, low: float, high: float, ticks: list[float], reference_line: float, xlabel: str
) -> None:
    """The log hazard-ratio axis: limits, ticks, the dashed reference line, no y axis."""
    from matplotlib.ticker import FixedLocator, FormatStrFormatter, NullFormatter, NullLocator

    ax.set_xscale("log")
    ax.set_xlim(low, high)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_major_locator(NullLocator())
    ax.axvline(reference_line, color="0.5", ls="--", lw=0.8, zorder=0)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="x", labelsize=_FONT)
    ax.set_xlabel(xlabel, fontsize=_FONT)


__all__ = ["SUBGROUPS_COLUMNS", "forest_figure", "subgroups_forest_figure"]
