"""What the per-subject figures share: the Okabe–Ito palette, the RECIST 1.1 reference lines,
the legend right of the plot, and the checks that make bad input a one-line error naming the
column (:class:`~survstat.errors.SurvstatError` subclasses).
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
    counted,
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
#: Subjects' colours in the per-subject line figures (dose intensity, labs): Okabe–Ito
#: without yellow (faint on white) and black (kept for reference lines).
SUBJECT_COLOURS: tuple[str, ...] = tuple(c for c in OKABE_ITO if c not in ("#F0E442", "#000000"))
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
            f"`{column}` ({role}) must not be missing; found "
            f"{counted(missing.sum(), 'missing value')} "
            f"(first at row {missing.arg_true()[0]})"
        )
    bad = values.is_infinite()
    if bad.any():
        i = bad.arg_true()[0]
        raise InvalidValueError(
            f"`{column}` ({role}) must be finite; found {counted(bad.sum(), 'infinite value')} "
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
            f"`{column}` ({role}) must be boolean or 0/1; found "
            f"{counted(bad.sum(), 'other value')} "
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


def subject_colours(subjects: Sequence[Any]) -> dict[Any, str]:
    """Colour of each subject, in order, cycling through :data:`SUBJECT_COLOURS`.

    Parameters
    ----------
    subjects
        The subject ids, in the order they take the colours.

    Returns
    -------
    dict
        Subject -> colour.
    """
    return {s: SUBJECT_COLOURS[k % len(SUBJECT_COLOURS)] for k, s in enumerate(subjects)}


def open_axes(ax: Axes) -> None:
    """Hide the top and right spines.

    Parameters
    ----------
    ax
        The axes.
    """
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


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
