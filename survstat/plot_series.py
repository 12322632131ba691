"""Per-subject figures of small series and phase I studies: swimmer, waterfall and spider plots.

Each figure is a function of a table (one row per subject, or per subject and assessment) that
returns a matplotlib Figure; colours are the Okabe–Ito palette, which readers with the common
colour-vision deficiencies tell apart (Okabe & Ito 2008, https://jfly.uni-koeln.de/color/).
The input is checked first: a missing column, a column of the wrong type or a value out of
range is a one-line :class:`~survstat.errors.SurvstatError` naming the column.

References
----------
1. Eisenhauer EA et al. New response evaluation criteria in solid tumours: revised RECIST
   guideline (version 1.1). Eur J Cancer 2009;45:228-247 (partial response: at least a 30%
   decrease in the sum of target-lesion diameters; progression: at least a 20% increase over
   the smallest sum).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    EmptyDataError,
    InvalidValueError,
    MissingValueError,
)
from survstat.io import FrameLike, scan

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: The Okabe–Ito palette, in the order categories take it (black last).
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#56B4E9",  # sky blue
    "#CC79A7",  # reddish purple
    "#F0E442",  # yellow
    "#000000",  # black
)
#: Grey for "not evaluable" and for a single series with no colour column.
GREY = "#999999"

#: Colours of the RECIST 1.1 best overall responses (Okabe–Ito), the same in every figure.
RESPONSE_COLOURS: dict[str, str] = {
    "CR": "#0072B2",
    "PR": "#56B4E9",
    "SD": "#E69F00",
    "NON-CR/NON-PD": "#F0E442",
    "NED": "#009E73",
    "PD": "#D55E00",
    "NE": GREY,
}

#: The legend entries of the RECIST reference lines, listed after the categories.
RECIST_LABELS = ("+20% (RECIST 1.1 PD)", "−30% (RECIST 1.1 PR)")

#: RECIST 1.1 thresholds of the change in the sum of target-lesion diameters, in %
#: (Eisenhauer et al. 2009): partial response at -30 %, progression at +20 %.
RECIST_PR = -30.0
RECIST_PD = 20.0


def frame_of(data: FrameLike, columns: dict[str, str]) -> pl.DataFrame:
    """Read ``data`` and check that it holds ``columns`` (column -> role) and rows.

    Parameters
    ----------
    data
        A polars DataFrame or LazyFrame, a pyarrow Table, a pandas DataFrame or a path.
    columns
        The columns the figure reads, each with the role it plays (named in errors).

    Returns
    -------
    polars.DataFrame
        The table, collected.

    Raises
    ------
    ColumnNotFoundError
        When a column is missing (the error suggests the nearest names).
    EmptyDataError
        When the table has no rows.
    """
    frame = scan(data)[0].collect()
    for column, role in columns.items():
        if column not in frame.columns:
            raise ColumnNotFoundError(column, frame.columns, role=role)
    if frame.height == 0:
        raise EmptyDataError("the table has no rows: there is nothing to draw")
    return frame


def numbers(frame: pl.DataFrame, column: str, role: str, *, nulls: bool = True) -> pl.Series:
    """The values of a numeric column as Float64, checked to be finite.

    Parameters
    ----------
    frame
        The table.
    column
        The column.
    role
        What the column holds, for the error message (e.g. ``"lane length"``).
    nulls
        Whether null values are allowed (they stay null).

    Returns
    -------
    polars.Series
        The values as Float64.

    Raises
    ------
    ColumnTypeError
        When the column is not numeric.
    MissingValueError
        When ``nulls`` is False and the column holds null or NaN values.
    InvalidValueError
        When the column holds infinite values.
    """
    dtype = frame.schema[column]
    if not (dtype.is_numeric() or dtype == pl.Null):
        raise ColumnTypeError(f"`{column}` ({role}) must be numeric; found dtype {dtype}")
    values = frame.get_column(column).cast(pl.Float64)
    missing = values.is_null() | values.is_nan()
    if not nulls and missing.any():
        raise MissingValueError(
            f"`{column}` ({role}) must not be missing; found {missing.sum()} missing values "
            f"(first at row {missing.arg_true()[0]})"
        )
    bad = values.is_infinite()
    if bad.any():
        i = bad.arg_true()[0]
        raise InvalidValueError(
            f"`{column}` ({role}) must be finite; found {bad.sum()} infinite values "
            f"(first: {values[i]} at row {i})"
        )
    return values.fill_nan(None)


def flags(frame: pl.DataFrame, column: str, role: str) -> pl.Series:
    """The values of a boolean (or 0/1) column as Boolean; null stays null.

    Parameters
    ----------
    frame
        The table.
    column
        The column.
    role
        What the column holds, for the error message.

    Returns
    -------
    polars.Series
        The values as Boolean.

    Raises
    ------
    ColumnTypeError
        When the column is neither boolean nor numeric.
    InvalidValueError
        When a numeric column holds values other than 0 and 1.
    """
    series = frame.get_column(column)
    if series.dtype == pl.Boolean:
        return series
    if not (series.dtype.is_numeric() or series.dtype == pl.Null):
        raise ColumnTypeError(
            f"`{column}` ({role}) must be boolean or 0/1; found dtype {series.dtype}"
        )
    bad = series.is_not_null() & ~series.is_in([0, 1])
    if bad.any():
        i = bad.arg_true()[0]
        raise InvalidValueError(
            f"`{column}` ({role}) must be boolean or 0/1; found {bad.sum()} other values "
            f"(first: {series[i]} at row {i})"
        )
    return series.cast(pl.Boolean)


def per_subject(frame: pl.DataFrame, subject: str, column: str, role: str) -> None:
    """Check that ``column`` takes one value per subject (a colour, an arm).

    Parameters
    ----------
    frame
        The table, possibly with several rows per subject.
    subject
        The subject id column.
    column
        The column that must be constant within a subject.
    role
        What the column holds, for the error message.

    Raises
    ------
    InvalidValueError
        When a subject has two or more values.
    """
    counts = frame.group_by(subject).agg(pl.col(column).n_unique().alias("n")).sort(subject)
    bad = counts.filter(pl.col("n") > 1)
    if bad.height:
        first = bad.get_column(subject)[0]
        raise InvalidValueError(
            f"`{column}` ({role}) must take one value per subject; {bad.height} subjects have "
            f"several (first: {first})"
        )


def colours_of(levels: Sequence[Any]) -> dict[Any, str]:
    """Colour of each category: the response colours for RECIST responses, else Okabe–Ito.

    Parameters
    ----------
    levels
        The categories in the order of the legend (null shows as "missing", in grey).

    Returns
    -------
    dict
        Category -> colour.
    """
    out: dict[Any, str] = {}
    cycle = iter(c for c in OKABE_ITO)
    for level in levels:
        if level is None:
            out[level] = GREY
        elif str(level) in RESPONSE_COLOURS and all(
            lv is None or str(lv) in RESPONSE_COLOURS for lv in levels
        ):
            out[level] = RESPONSE_COLOURS[str(level)]
        else:
            out[level] = next(cycle, GREY)
    return out


def ordered_levels(values: pl.Series) -> list[Any]:
    """The categories of a colour column in a stable order: RECIST responses from best to
    worst, an Enum's order, else sorted; null last.

    Parameters
    ----------
    values
        The column.

    Returns
    -------
    list
        The distinct values.
    """
    present = set(values.unique().to_list())
    dtype = values.dtype
    if isinstance(dtype, pl.Enum):
        order = [v for v in dtype.categories.to_list() if v in present]
    elif present - {None} <= set(RESPONSE_COLOURS):
        order = [v for v in RESPONSE_COLOURS if v in present]
    else:
        order = sorted(present - {None}, key=str)
    return order + ([None] if None in present else [])


def label_of(level: Any) -> str:
    """The legend text of a category (null: "missing").

    Parameters
    ----------
    level
        A category.

    Returns
    -------
    str
        Its label.
    """
    return "missing" if level is None else str(level)


def recist_lines(ax: Axes) -> None:
    """Dashed lines at the RECIST 1.1 thresholds, labelled in the legend.

    Parameters
    ----------
    ax
        The axes, with % change on the y-axis.
    """
    ax.axhline(RECIST_PD, color="0.3", ls="--", lw=0.8, label=RECIST_LABELS[0])
    ax.axhline(RECIST_PR, color="0.3", ls=":", lw=0.9, label=RECIST_LABELS[1])
    ax.axhline(0.0, color="0.6", lw=0.6)


def outside_legend(
    fig: Figure, ax: Axes, title: str | None = None, order: Sequence[str] = ()
) -> None:
    """One legend of the axes' labelled artists, right of the plot, inside the figure.

    Parameters
    ----------
    fig
        The figure (with the constrained layout, which makes room for the legend).
    ax
        The axes whose labelled artists are listed.
    title
        Legend title; None for none.
    order
        Labels listed last, in this order; the others (the categories) come first, in the
        order they were drawn.
    """
    handles, labels = ax.get_legend_handles_labels()
    rank = {label: i for i, label in enumerate(order)}
    pairs = sorted(zip(handles, labels, strict=True), key=lambda p: rank.get(p[1], -1))
    handles, labels = [p[0] for p in pairs], [p[1] for p in pairs]
    legend = fig.legend(
        handles, labels, loc="outside right upper", frameon=False, fontsize=8, title=title
    )
    for text in legend.get_texts():
        text.set_parse_math(False)
    if title:
        legend.get_title().set_fontsize(8)
        legend.get_title().set_parse_math(False)


def _swimmer_lanes(
    frame: pl.DataFrame, subject: str, length: str, columns: dict[str, str | None]
) -> pl.DataFrame:
    """The lanes of a swimmer plot, longest first, with their markers' positions checked."""
    lanes = numbers(frame, length, "lane length", nulls=False)
    negative = lanes < 0
    if negative.any():
        i = negative.arg_true()[0]
        raise InvalidValueError(
            f"`{length}` (lane length) must be non-negative; found {negative.sum()} negative "
            f"values (first: {lanes[i]} for subject {frame.get_column(subject)[i]})"
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
                    f"(0 to `{length}`); found {late.sum()} values outside (first: {values[i]} "
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
    "ongoing",
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
        (ongoing). None for neither.
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
        figsize=(8.0, 1.4 + (0.22 if n <= 40 else 0.13) * n), layout="constrained"
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
    """Response onsets and durations, progression, death and ongoing arrows on the lanes."""
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
            label = "ongoing" if "ongoing" not in drawn else None
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


def best_change(
    data: FrameLike,
    *,
    subject: str = "subject_id",
    change: str = "percent_change",
    baseline: str | None = "baseline",
) -> pl.DataFrame:
    """The best (smallest) % change from baseline of each subject, over post-baseline rows.

    Rows where ``baseline`` is true and rows without a change (a lesion not measured) are left
    out; a subject with no row left has no best change and is not in the result. RECIST 1.1
    (Eisenhauer et al. 2009) measures response by the decrease of the sum of target-lesion
    diameters, so the best change is the minimum.

    Parameters
    ----------
    data
        One row per subject and assessment (e.g. the output of ``survstat sdtm tr``).
    subject
        The subject id column.
    change
        The % change column.
    baseline
        The boolean column marking baseline rows; None when every row is post-baseline.

    Returns
    -------
    polars.DataFrame
        ``subject`` and ``best_change``, one row per subject, sorted by subject.
    """
    needed = {subject: "subject", change: "% change"} | (
        {baseline: "baseline flag"} if baseline else {}
    )
    frame = frame_of(data, needed)
    values = numbers(frame, change, "% change")
    rows = frame.select(pl.col(subject), values.alias("__change"))
    if baseline:
        rows = rows.filter(~flags(frame, baseline, "baseline flag").fill_null(False))
    return (
        rows.drop_nulls("__change")
        .group_by(subject)
        .agg(pl.col("__change").min().alias("best_change"))
        .sort(subject)
    )


def waterfall_figure(
    data: FrameLike,
    *,
    subject: str = "subject_id",
    change: str = "best_change",
    color: str | None = None,
    ylabel: str = "best change in sum of target-lesion diameters (%)",
    title: str | None = None,
) -> Figure:
    """Waterfall plot: one bar per subject, its best % change, sorted from highest to lowest.

    Dashed lines at +20% and −30% mark the RECIST 1.1 thresholds of progression and partial
    response (Eisenhauer et al. 2009). Ties are ordered by subject id. Take the best changes
    from the per-assessment sums with :func:`best_change`.

    Parameters
    ----------
    data
        One row per subject.
    subject
        The subject id column.
    change
        The best % change column (no missing value).
    color
        The column that colours the bars (e.g. ``bor``: responses in fixed colours, CR blue
        to PD vermillion); None for one colour.
    ylabel
        The label of the y-axis.
    title
        The figure title; None for none.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; ``fig.axes[0].patches`` are the bars from left to right.

    Raises
    ------
    SurvstatError
        A one-line error naming the column: missing, not numeric, missing values, a subject
        named twice.
    """
    import matplotlib.pyplot as plt

    needed = {subject: "subject", change: "best % change"} | ({color: "colour"} if color else {})
    frame = frame_of(data, needed)
    values = numbers(frame, change, "best % change", nulls=False)
    duplicated = frame.get_column(subject).is_duplicated()
    if duplicated.any():
        raise InvalidValueError(
            f"`{subject}` (subject) must name each subject once; found {duplicated.sum()} rows "
            f"of repeated subjects (first: {frame.get_column(subject).filter(duplicated)[0]})"
        )
    bars = frame.select(
        pl.col(subject).alias("subject"),
        values.alias("change"),
        (pl.col(color) if color else pl.lit(None)).alias("colour"),
    ).sort(["change", "subject"], descending=[True, False])
    n = bars.height
    fig, ax = plt.subplots(figsize=(min(4.5 + 0.12 * n, 14.0), 4.5), layout="constrained")
    levels = ordered_levels(bars.get_column("colour")) if color else [None]
    colours = colours_of(levels) if color else {None: OKABE_ITO[0]}
    shown = bars.get_column("colour").to_list()
    for level in levels:
        idx = [i for i in range(n) if not color or shown[i] == level]
        ax.bar(
            idx,
            [bars.get_column("change")[i] for i in idx],
            width=0.8,
            color=colours[level],
            label=label_of(level) if color else None,
        )
    recist_lines(ax)
    ax.set_xlim(-0.8, n - 0.2)  # the bars sit at 0 .. n-1
    heights = bars.get_column("change").to_list()
    low, high = min(*heights, RECIST_PR), max(*heights, RECIST_PD)
    pad = 0.06 * (high - low)
    ax.set_ylim(low - pad, high + pad)
    ax.set_xticks([])
    ax.set_xlabel(f"subjects (n = {n}), sorted by best change")
    ax.set_ylabel(ylabel)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title)
    outside_legend(fig, ax, title=color, order=RECIST_LABELS)
    return fig


def spider_figure(
    data: FrameLike,
    *,
    subject: str = "subject_id",
    time: str = "study_day",
    change: str = "percent_change",
    baseline: str | None = "baseline",
    color: str | None = None,
    xlabel: str = "study day",
    title: str | None = None,
) -> Figure:
    """Spider plot: the % change from baseline over time, one line per subject.

    Each subject's line starts at its baseline (drawn at time 0 and 0% when ``baseline`` marks
    a row, whatever its study day) and joins its later assessments in time order; rows without
    a change (a lesion not measured) are skipped. Dashed lines at +20% and −30% mark the RECIST
    1.1 thresholds (Eisenhauer et al. 2009). With the defaults the input is the output of
    ``survstat sdtm tr``.

    Parameters
    ----------
    data
        One row per subject and assessment.
    subject
        The subject id column.
    time
        The assessment time column (e.g. study day).
    change
        The % change from baseline column.
    baseline
        The boolean column marking baseline rows; None when there is none.
    color
        The column that colours the lines (e.g. ``arm`` or ``bor``), one value per subject;
        None for one colour.
    xlabel
        The label of the time axis.
    title
        The figure title; None for none.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; ``fig.axes[0]`` holds one line per subject labelled ``_subject <id>``
        (hidden from the legend), then the reference lines.

    Raises
    ------
    SurvstatError
        A one-line error naming the column: missing, not numeric, a colour that changes within
        a subject.
    """
    import matplotlib.pyplot as plt

    needed = {subject: "subject", time: "time", change: "% change"}
    needed |= ({baseline: "baseline flag"} if baseline else {}) | (
        {color: "colour"} if color else {}
    )
    frame = frame_of(data, needed)
    t = numbers(frame, time, "time")
    y = numbers(frame, change, "% change")
    is_base = (
        flags(frame, baseline, "baseline flag").fill_null(False)
        if baseline
        else pl.Series([False] * frame.height)
    )
    if color:
        per_subject(frame, subject, color, "colour")
    points = (
        frame.select(
            pl.col(subject).alias("subject"),
            pl.when(is_base).then(0.0).otherwise(t).alias("t"),
            pl.when(is_base).then(0.0).otherwise(y).alias("y"),
            (pl.col(color) if color else pl.lit(None)).alias("colour"),
        )
        .drop_nulls(["t", "y"])
        .sort(["subject", "t"])
    )
    if points.height == 0:
        raise EmptyDataError(f"`{change}` (% change) has no value to draw: every row is missing")
    fig, ax = plt.subplots(figsize=(8.0, 4.8), layout="constrained")
    levels = ordered_levels(points.get_column("colour")) if color else [None]
    colours = colours_of(levels) if color else {None: OKABE_ITO[0]}
    for (sid,), rows in points.group_by(["subject"], maintain_order=True):
        ax.plot(
            rows.get_column("t").to_list(),
            rows.get_column("y").to_list(),
            marker="o",
            ms=3,
            lw=1.0,
            color=colours[rows.get_column("colour")[0]],
            label=f"_subject {sid}",
        )
    for level in levels if color else []:
        ax.plot([], [], color=colours[level], lw=1.5, label=label_of(level))
    recist_lines(ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("change in sum of target-lesion diameters (%)")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title)
    outside_legend(fig, ax, title=color, order=RECIST_LABELS)
    return fig
