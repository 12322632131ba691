"""Exception hierarchy.

Every error survstat raises for bad user input derives from :class:`SurvstatError`, itself a
``ValueError`` so that generic ``except ValueError`` handlers keep working. Messages follow one
wording: the column, the rule, how many values break it and the first example, e.g.
"`time` must be non-negative; found 3 negative values (first: -1.0 at row 17)".
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any, SupportsInt


class SurvstatError(ValueError):
    """Base class of every input error raised by survstat."""


class ColumnNotFoundError(SurvstatError):
    """A column named in a role does not exist in the data."""

    def __init__(
        self,
        column: str,
        available: Iterable[str],
        role: str | None = None,
        *,
        where: str = "the data",
    ) -> None:
        available = list(available)
        role_txt = f" (given as {role})" if role else ""
        msg = f"column `{column}`{role_txt} not found in {where}"
        close = difflib.get_close_matches(column, available, n=3, cutoff=0.5)
        if not close:
            lowered = {a.lower(): a for a in available}
            if column.lower() in lowered:
                close = [lowered[column.lower()]]
        if close:
            msg += "; did you mean " + " or ".join(f"`{c}`" for c in close) + "?"
        else:
            shown = ", ".join(f"`{a}`" for a in available[:12])
            more = f" and {len(available) - 12} more" if len(available) > 12 else ""
            msg += f"; available columns: {shown}{more}"
        super().__init__(msg)
        self.column = column
        self.suggestions = close


class ColumnTypeError(SurvstatError):
    """A column has a dtype that cannot hold the role it was given."""


class MissingValueError(SurvstatError):
    """A column holds null or NaN values where none are allowed."""


class InvalidValueError(SurvstatError):
    """A column holds values outside the allowed range or set."""


class EmptyDataError(SurvstatError):
    """The data, or one of its groups, has no rows."""


class InputFormatError(SurvstatError):
    """An input path does not exist or is not a readable Parquet file or dataset."""


class OutputPathError(SurvstatError):
    """An output path cannot be written: a folder, a missing folder or a read-only place."""


class XptFormatError(SurvstatError):
    """A table breaks a rule of SAS transport v5 or of FDA submissions: a name, a label or
    a value the format cannot hold."""


class EstimationError(SurvstatError):
    """The data hold too little information for the requested model or test: no event to
    model, no term that can be estimated, a statistic whose variance is 0."""


class EngineError(SurvstatError):
    """An analysis cannot run on the requested engine, or the engine is not available."""


class SurvstatWarning(UserWarning):
    """Something in the input deserves a look but does not make the result wrong."""


class OptionError(SurvstatError):
    """An option passed to an estimator is out of its allowed range or set."""


def counted(n: SupportsInt, noun: str, plural: str | None = None) -> str:
    """Count a noun for a message: "1 missing value" / "3 missing values", "1 row" / "2 rows".

    Parameters
    ----------
    n
        The count (an int, or a count from numpy or polars).
    noun
        The noun (or phrase ending in it) in the singular.
    plural
        Its plural when it does not just take an s.

    Returns
    -------
    str
        The count and the noun, singular for 1, plural otherwise (0 rows, 2 rows).
    """
    count = int(n)
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def check_choice(name: str, value: object, choices: Iterable[str]) -> str:
    """Return ``value`` if it is in ``choices``, else raise :class:`OptionError` listing them.

    Parameters
    ----------
    name
        The option's name, as the message shows it.
    value
        The value given.
    choices
        The allowed values.

    Returns
    -------
    str
        ``value``, as text.

    Raises
    ------
    OptionError
        When ``value`` is not one of ``choices``.
    """
    choices = list(choices)
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise OptionError(f"`{name}` must be one of {listed}; got {value!r}")
    return str(value)


def check_unique_ids(frame: Any, column: str, table: str) -> None:
    """Raise :class:`InvalidValueError` when ``column`` of a one-row-per-unit table repeats,
    naming the column, how many rows share an id and the first repeated id.

    Parameters
    ----------
    frame
        A polars DataFrame with one row per unit (patient, subject).
    column
        The id column that must not repeat.
    table
        What the table holds, for the message (e.g. "patient table").

    Raises
    ------
    InvalidValueError
        When an id appears on more than one row.
    """
    ids = frame.get_column(column)
    dup = ids.is_duplicated()
    if dup.any():
        raise InvalidValueError(
            f"`{column}` repeats in the {table}: {int(dup.sum())} of {frame.height} rows share "
            f"an id (first: {ids.filter(dup)[0]!r})"
        )


def check_probability(name: str, value: float, *, open_interval: bool = True) -> float:
    """Return ``value`` as float if in (0, 1) (or [0, 1]), else raise :class:`OptionError`.

    Parameters
    ----------
    name
        The option's name, as the message shows it.
    value
        The value given (e.g. a confidence level).
    open_interval
        True (default) to require 0 < value < 1; False to allow 0 and 1.

    Returns
    -------
    float
        ``value`` as a float.

    Raises
    ------
    OptionError
        When ``value`` is not a number or is out of range.
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise OptionError(f"`{name}` must be a number; got {value!r}") from None
    ok = 0.0 < v < 1.0 if open_interval else 0.0 <= v <= 1.0
    if not ok:
        bounds = "strictly between 0 and 1" if open_interval else "between 0 and 1"
        raise OptionError(f"`{name}` must be {bounds}; got {value!r}")
    return v
