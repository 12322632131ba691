"""Validated survival data: one type that binds column roles and checks them once.

:class:`SurvivalData` holds a lazy polars frame and the names of the columns that play each role
(time, event, entry, weight, by, strata). Construction validates the schema and the values in a
single aggregated pass; estimators take the validated object and never re-check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    EmptyDataError,
    InvalidValueError,
    MissingValueError,
    SurvstatError,
)
from survstat.io import FrameLike, scan

_MAX_LISTED = 5


def _as_tuple(cols: str | Sequence[str] | None) -> tuple[str, ...]:
    if cols is None:
        return ()
    if isinstance(cols, str):
        return (cols,)
    return tuple(cols)


def _is_numeric(dtype: pl.DataType) -> bool:
    return dtype.is_numeric() and dtype != pl.Boolean


@dataclass(frozen=True, slots=True)
class _Check:
    """One row-wise rule: rows where ``bad`` is true violate it."""

    column: str
    bad: pl.Expr
    error: type[SurvstatError]
    rule: str  # e.g. "must be non-negative"
    what: str  # e.g. "negative values"
    show_values: bool = True


@dataclass(frozen=True, slots=True)
class SurvivalData:
    """Survival data with validated column roles.

    Build it with :meth:`right_censored`; every estimator also accepts a frame plus column names
    and builds one itself.

    Attributes
    ----------
    frame
        The data as a polars LazyFrame (nothing is copied or collected beyond validation).
    time, event, entry, weight
        Column names; ``entry`` (delayed entry / left truncation) and ``weight`` may be None.
    by, strata
        Grouping columns: separate curves per ``by`` level; ``strata`` are also separate curves
        for estimators, and stratify tests.
    n_rows
        Number of rows in the data.
    source
        The input path when the data came from a file, else None.
    """

    frame: pl.LazyFrame
    time: str
    event: str
    entry: str | None
    weight: str | None
    by: tuple[str, ...]
    strata: tuple[str, ...]
    n_rows: int
    source: str | None = None

    @property
    def groups(self) -> tuple[str, ...]:
        """Columns that split the data into separate curves: strata first, then by."""
        return (*self.strata, *self.by)

    @classmethod
    def right_censored(
        cls,
        data: FrameLike,
        *,
        time: str,
        event: str,
        entry: str | None = None,
        weight: str | None = None,
        by: str | Sequence[str] | None = None,
        strata: str | Sequence[str] | None = None,
    ) -> SurvivalData:
        """Bind and validate right-censored (optionally left-truncated, weighted) data.

        Parameters
        ----------
        data
            polars DataFrame or LazyFrame, pyarrow Table, pandas DataFrame, or a Parquet path,
            directory or glob.
        time
            Follow-up time: numeric, finite, non-negative, no missing values.
        event
            Event indicator: boolean, or numeric with values 0 (censored) and 1 (event).
        entry
            Delayed-entry time: numeric, non-negative and strictly less than ``time``.
        weight
            Case weights: numeric, finite, non-negative.
        by, strata
            Grouping column(s); no missing values.

        Raises
        ------
        SurvstatError
            A subclass naming the column, the rule broken, how many rows break it and an example.

        Examples
        --------
        >>> import polars as pl
        >>> df = pl.DataFrame({"t": [1.0, 2.0, 3.0], "d": [1, 0, 1]})
        >>> SurvivalData.right_censored(df, time="t", event="d").n_rows
        3
        """
        frame, source = scan(data)
        by_t, strata_t = _as_tuple(by), _as_tuple(strata)
        roles: list[tuple[str, str]] = [("time", time), ("event", event)]
        roles += [("entry", entry)] if entry is not None else []
        roles += [("weight", weight)] if weight is not None else []
        roles += [("by", c) for c in by_t] + [("strata", c) for c in strata_t]
        schema = frame.collect_schema()
        _check_columns(roles, schema)
        checks = _schema_checks(schema, time=time, event=event, entry=entry, weight=weight)
        checks += [
            _Check(
                c,
                pl.col(c).is_null(),
                MissingValueError,
                "must not be missing",
                "missing values",
                False,
            )
            for c in (*by_t, *strata_t)
        ]
        n_rows = _run_checks(frame, checks)
        if n_rows == 0:
            raise EmptyDataError("the data has no rows")
        for col in (*by_t, *strata_t):
            _check_declared_levels(frame, col, schema[col])
        return cls(
            frame=frame,
            time=time,
            event=event,
            entry=entry,
            weight=weight,
            by=by_t,
            strata=strata_t,
            n_rows=n_rows,
            source=source,
        )


#: Column names of survstat's output tables; group columns may not take them.
RESERVED = frozenset(
    {
        "time",
        "n_risk",
        "n_event",
        "n_censor",
        "n_entry",
        "survival",
        "cumhaz",
        "std_error",
        "conf_low",
        "conf_high",
        "prob",
        "tau",
        "rmst",
        "n",
        "median",
        "reference",
    }
)


def _check_columns(roles: list[tuple[str, str]], schema: pl.Schema) -> None:
    seen: dict[str, str] = {}
    for role, col in roles:
        if role in ("by", "strata") and col in RESERVED:
            raise SurvstatError(
                f"group column `{col}` clashes with an output column of the same name; "
                "rename it first"
            )
        if not isinstance(col, str):
            raise ColumnTypeError(f"`{role}` must be a column name; got {col!r}")
        if col not in schema:
            raise ColumnNotFoundError(col, schema.names(), role=role)
        if col in seen:
            raise SurvstatError(f"column `{col}` is used both as {seen[col]} and as {role}")
        seen[col] = role


def _numeric_checks(col: str, dtype: pl.DataType, role: str) -> list[_Check]:
    if not _is_numeric(dtype):
        raise ColumnTypeError(
            f"`{col}` ({role}) must be numeric; found dtype {dtype}"
            + ("; cast it, e.g. pl.col(...).cast(pl.Float64)" if dtype == pl.String else "")
        )
    checks = [
        _Check(
            col,
            pl.col(col).is_null(),
            MissingValueError,
            "must not be missing",
            "missing values",
            False,
        )
    ]
    if dtype.is_float():
        checks.append(
            _Check(
                col, pl.col(col).is_nan(), MissingValueError, "must not be NaN", "NaN values", False
            )
        )
        checks.append(
            _Check(
                col,
                pl.col(col).is_infinite(),
                InvalidValueError,
                "must be finite",
                "infinite values",
            )
        )
    checks.append(
        _Check(col, pl.col(col) < 0, InvalidValueError, "must be non-negative", "negative values")
    )
    return checks


def _schema_checks(
    schema: pl.Schema, *, time: str, event: str, entry: str | None, weight: str | None
) -> list[_Check]:
    checks = _numeric_checks(time, schema[time], "time")
    ev_dtype = schema[event]
    if ev_dtype != pl.Boolean and not _is_numeric(ev_dtype):
        raise ColumnTypeError(
            f"`{event}` (event) must be boolean or 0/1 numeric; found dtype {ev_dtype}"
        )
    checks.append(
        _Check(
            event,
            pl.col(event).is_null(),
            MissingValueError,
            "must not be missing",
            "missing values",
            False,
        )
    )
    if ev_dtype != pl.Boolean:
        checks.append(
            _Check(
                event,
                ((pl.col(event) != 0) & (pl.col(event) != 1)).fill_null(False),
                InvalidValueError,
                "must be 0/1 or true/false",
                "other values",
            )
        )
    if entry is not None:
        checks += _numeric_checks(entry, schema[entry], "entry")
        checks.append(
            _Check(
                entry,
                pl.col(entry) >= pl.col(time),
                InvalidValueError,
                f"must be less than `{time}`",
                f"rows with `{entry}` >= `{time}`",
            )
        )
    if weight is not None:
        checks += _numeric_checks(weight, schema[weight], "weight")
    return checks


def _run_checks(frame: pl.LazyFrame, checks: list[_Check]) -> int:
    """Evaluate all rules in one pass; raise for the first broken one, else return the row count."""
    exprs = [pl.len().alias("__n")] + [c.bad.sum().alias(f"__c{i}") for i, c in enumerate(checks)]
    counts = frame.select(exprs).collect().row(0)
    n_rows = int(counts[0])
    for i, check in enumerate(checks):
        n_bad = int(counts[i + 1] or 0)
        if n_bad:
            raise check.error(_describe(frame, check, n_bad, n_rows))
    return n_rows


def _fmt(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _describe(frame: pl.LazyFrame, check: _Check, n_bad: int, n_rows: int) -> str:
    rows = (
        frame.with_row_index("__row")
        .filter(check.bad.fill_null(False))
        .select("__row", pl.col(check.column).alias("__v"))
        .head(10_000)
        .collect()
    )
    first_row, first_val = rows.row(0)
    what = (
        check.what if n_bad != 1 else check.what.replace("values", "value").replace("rows", "row")
    )
    msg = f"`{check.column}` {check.rule}; found {n_bad} {what} of {n_rows} rows"
    if check.show_values:
        distinct = rows.get_column("__v").unique(maintain_order=True).head(_MAX_LISTED).to_list()
        listed = ", ".join(_fmt(v) for v in distinct)
        more = ", ..." if rows.get_column("__v").n_unique() > _MAX_LISTED else ""
        msg += f" (values: {listed}{more}; first: {_fmt(first_val)} at row {first_row})"
    else:
        msg += f" (first at row {first_row})"
    return msg


def _check_declared_levels(frame: pl.LazyFrame, col: str, dtype: pl.DataType) -> None:
    """An Enum column declares its levels: a declared level with no rows is an empty group."""
    if not isinstance(dtype, pl.Enum):
        return
    present = set(frame.select(pl.col(col).unique()).collect().get_column(col).to_list())
    empty = [lvl for lvl in dtype.categories.to_list() if lvl not in present]
    if empty:
        listed = ", ".join(repr(e) for e in empty[:_MAX_LISTED])
        raise EmptyDataError(
            f"group column `{col}` declares {len(empty)} level(s) with no rows: {listed}; "
            "drop unused levels or cast to String"
        )


def as_survival_data(data: FrameLike | SurvivalData, **roles: Any) -> SurvivalData:
    """Return ``data`` if it is already validated, else validate it with the given roles."""
    if isinstance(data, SurvivalData):
        given = {k: v for k, v in roles.items() if v is not None}
        if given:
            raise SurvstatError(
                "data is already a SurvivalData; do not pass column roles again "
                f"(got {', '.join(sorted(given))})"
            )
        return data
    missing = [k for k in ("time", "event") if roles.get(k) is None]
    if missing:
        raise SurvstatError(f"missing column role(s): {', '.join(missing)}")
    return SurvivalData.right_censored(data, **roles)
