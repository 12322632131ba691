"""Validated survival data: one type that binds column roles and checks them once.

:class:`SurvivalData` holds a lazy polars frame and the names of the columns that play each role
(time, event, entry, weight, by, strata). Construction validates the schema and the values in a
single aggregated pass; estimators take the validated object and never re-check.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import polars as pl

from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    EmptyDataError,
    EngineError,
    InvalidValueError,
    MissingValueError,
    SurvstatError,
    SurvstatWarning,
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
class Check:
    """One row-wise rule, named by ``kind`` so that each engine can phrase it in its own terms.

    Kinds: ``missing`` (null), ``nan``, ``infinite``, ``negative`` (< 0), ``not01`` (neither 0
    nor 1) and ``not_below`` (``column`` >= ``other``).
    """

    column: str
    kind: str
    error: type[SurvstatError]
    rule: str  # e.g. "must be non-negative"
    what: str  # e.g. "negative values"
    show_values: bool = True
    other: str | None = None


def polars_violation(check: Check) -> pl.Expr:
    """True on the rows that break ``check`` (a polars expression)."""
    col = pl.col(check.column)
    match check.kind:
        case "missing":
            return col.is_null()
        case "nan":
            return col.is_nan()
        case "infinite":
            return col.is_infinite()
        case "negative":
            return col < 0
        case "not01":
            return ((col != 0) & (col != 1)).fill_null(False)
        case "not_below" if check.other is not None:
            return col >= pl.col(check.other)
    raise AssertionError(check.kind)  # pragma: no cover - the kinds are fixed above


class Rows(Protocol):
    """Where the rows live: the validation queries an engine answers (polars: :class:`PolarsRows`,
    Spark: :class:`survstat.spark.SparkRows`)."""

    engine: str
    frame: Any

    def schema(self) -> pl.Schema: ...
    def count(self, checks: Sequence[Check]) -> tuple[int, list[int]]: ...
    def examples(self, check: Check, limit: int) -> tuple[int | None, pl.Series]: ...
    def level_counts(self, col: str) -> pl.DataFrame: ...
    def distinct(self, col: str) -> list[Any]: ...
    def weight_totals(self, col: str, groups: Sequence[str]) -> pl.DataFrame: ...
    def with_cause_codes(
        self, cause: str, dtype: pl.DataType, censor: Any, levels: tuple[Any, ...]
    ) -> Any: ...


class PolarsRows:
    """The validation queries, run on a polars LazyFrame with the streaming engine.

    The Spark engine (:mod:`survstat.spark`) answers the same questions on a Spark DataFrame.
    """

    engine = "polars"

    def __init__(self, frame: pl.LazyFrame) -> None:
        self.frame = frame

    def schema(self) -> pl.Schema:
        return self.frame.collect_schema()

    def count(self, checks: Sequence[Check]) -> tuple[int, list[int]]:
        """The number of rows, and of rows breaking each check, in one pass."""
        exprs = [pl.len().alias("__n")]
        exprs += [polars_violation(c).sum().alias(f"__c{i}") for i, c in enumerate(checks)]
        counts = self.frame.select(exprs).collect(engine="streaming").row(0)
        return int(counts[0]), [int(c or 0) for c in counts[1:]]

    def examples(self, check: Check, limit: int) -> tuple[int | None, pl.Series]:
        """The first breaking row's position and up to ``limit`` breaking values, in order."""
        rows = (
            self.frame.with_row_index("__row")
            .filter(polars_violation(check))
            .select("__row", pl.col(check.column).alias("__v"))
            .head(limit)
            .collect()
        )
        return rows.item(0, "__row"), rows.get_column("__v")

    def level_counts(self, col: str) -> pl.DataFrame:
        """Rows per distinct value of ``col`` (columns ``col``, ``len``), sorted by value."""
        return self.frame.group_by(col).len().collect(engine="streaming").sort(col)

    def distinct(self, col: str) -> list[Any]:
        """The distinct values of ``col``."""
        unique = self.frame.select(pl.col(col).unique()).collect(engine="streaming")
        return unique.get_column(col).to_list()

    def weight_totals(self, col: str, groups: Sequence[str]) -> pl.DataFrame:
        """Per combination of ``groups`` (one row without groups): the group columns, then
        ``__rows`` (rows), ``__positive`` (rows where ``col`` > 0), and the sum, the sum of
        squares and the largest value of ``col`` (``__sum``, ``__sum2``, ``__max``, as Float64:
        inf where a sum overflows)."""
        w = pl.col(col).cast(pl.Float64)
        counts = [
            pl.len().cast(pl.Int64).alias("__rows"),
            (pl.col(col) > 0).sum().cast(pl.Int64).alias("__positive"),
            w.sum().alias("__sum"),
            (w * w).sum().alias("__sum2"),
            w.max().alias("__max"),
        ]
        if not groups:
            return self.frame.select(counts).collect(engine="streaming")
        return self.frame.group_by(list(groups)).agg(counts).collect(engine="streaming")

    def with_cause_codes(
        self, cause: str, dtype: pl.DataType, censor: Any, levels: tuple[Any, ...]
    ) -> pl.LazyFrame:
        """The frame with ``__event`` (1 = any cause) and ``__cause`` (0 censored, k = cause
        ``levels[k-1]``) added."""
        return self.frame.with_columns(_cause_codes(cause, dtype, censor, levels))


@dataclass(frozen=True, slots=True)
class SurvivalData:
    """Survival data with validated column roles.

    Build it with :meth:`right_censored`; every estimator also accepts a frame plus column names
    and builds one itself.

    Attributes
    ----------
    frame
        The data as a polars LazyFrame (nothing is copied or collected beyond validation), or
        a Spark DataFrame when ``engine`` is ``"spark"``.
    time, event, entry, weight
        Column names; ``entry`` (delayed entry / left truncation) and ``weight`` may be None.
    by, strata
        Grouping columns: separate curves per ``by`` level; ``strata`` are also separate curves
        for estimators, and stratify tests.
    n_rows
        Number of rows in the data.
    source
        The input path when the data came from a file, else None.
    lazy
        The input was a Parquet path, a polars LazyFrame or a Spark DataFrame: its rows are
        never collected for the risk table, which is aggregated on polars' streaming engine
        (or by Spark).
    engine
        ``"polars"``, or ``"spark"`` for a Spark DataFrame (see :mod:`survstat.spark`).
    cause, causes, censor_value
        Competing risks only (see :meth:`competing_risks`): the cause column, the causes in code
        order (code k is ``causes[k - 1]``) and the value that marks censoring. ``event`` is then
        a derived 0/1 column, 1 for an event of any cause, and ``__cause`` holds the codes.
    """

    frame: Any
    time: str
    event: str
    entry: str | None
    weight: str | None
    by: tuple[str, ...]
    strata: tuple[str, ...]
    n_rows: int
    source: str | None = None
    cause: str | None = None
    causes: tuple[Any, ...] = ()
    censor_value: Any = None
    lazy: bool = False
    engine: str = "polars"

    @property
    def groups(self) -> tuple[str, ...]:
        """Columns that split the data into separate curves: strata first, then by."""
        return (*self.strata, *self.by)

    def require_rows(self, analysis: str) -> None:
        """Refuse ``analysis`` (one that needs row-level data) on the Spark engine."""
        if self.engine != "polars":
            raise EngineError(
                f"{analysis} needs row-level data and does not run on the {self.engine} engine; "
                "the Spark engine computes risk tables only (Kaplan–Meier, Nelson–Aalen, "
                "log-rank, cumulative incidence, Gray's test). Run it on the polars engine, "
                "e.g. on a Parquet extract of the rows it needs"
            )

    @classmethod
    def competing_risks(
        cls,
        data: FrameLike,
        *,
        time: str,
        cause: str,
        censor_value: Any = None,
        causes: Sequence[Any] | None = None,
        entry: str | None = None,
        weight: str | None = None,
        by: str | Sequence[str] | None = None,
        strata: str | Sequence[str] | None = None,
    ) -> SurvivalData:
        """Bind and validate competing-risks data: a time and the cause that ended follow-up.

        Parameters
        ----------
        time, entry, weight, by, strata
            As in :meth:`right_censored` (weights all 0 in a group are an error there too).
        cause
            Integer codes (``censor_value`` defaults to 0; every other value is a cause) or text
            labels (``censor_value`` required), with no missing values.
        censor_value
            The value of ``cause`` that marks a censored record.
        causes
            The causes to expect, in the order to report them. A code outside this list is an
            error; a declared cause that never occurs gives a warning. Default: the observed
            causes in sorted order.

        Examples
        --------
        >>> import warnings

        import polars as pl
        >>> df = pl.DataFrame({"t": [1.0, 2.0, 3.0, 4.0], "c": [1, 0, 2, 1]})
        >>> SurvivalData.competing_risks(df, time="t", cause="c").causes
        (1, 2)
        """
        rows, source = _rows_of(data)
        by_t, strata_t = _as_tuple(by), _as_tuple(strata)
        schema = rows.schema()
        _check_columns(_roles(time, entry, weight, by_t, strata_t, ("cause", cause)), schema)
        checks = _schema_checks(schema, time=time, event=None, entry=entry, weight=weight)
        n_rows = _validate(rows, schema, [*checks, _missing(cause)], (*by_t, *strata_t))
        _check_weight_totals(rows, weight, (*strata_t, *by_t), n_rows)
        censor, levels = _cause_levels(rows, cause, schema[cause], censor_value, causes, n_rows)
        return cls(
            frame=rows.with_cause_codes(cause, schema[cause], censor, levels),
            time=time,
            event="__event",
            entry=entry,
            weight=weight,
            by=by_t,
            strata=strata_t,
            n_rows=n_rows,
            source=source,
            lazy=_is_lazy(data, rows),
            engine=rows.engine,
            cause=cause,
            causes=levels,
            censor_value=censor,
        )

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
            Case weights: numeric, finite, non-negative. A row with weight 0 stays in the data
            (it counts in record counts such as a summary's ``n``) but adds nothing to any
            estimate (R ``survfit``'s convention; Cox models leave it out, as SAS PHREG does).
            Weights that are all 0, overall or within one group of ``strata`` and ``by``, are
            an error naming the group: there would be nothing to estimate there. So are
            weights whose sum or sum of squares overflows double precision, or whose largest
            value's square is below the smallest normal double: the error gives the largest
            value and a power of ten to rescale by.
        by, strata
            Grouping column(s); no missing values.

        Raises
        ------
        SurvstatError
            A subclass naming the column, the rule broken, how many rows break it and an example.

        Examples
        --------
        >>> import warnings

        import polars as pl
        >>> df = pl.DataFrame({"t": [1.0, 2.0, 3.0], "d": [1, 0, 1]})
        >>> SurvivalData.right_censored(df, time="t", event="d").n_rows
        3
        """
        rows, source = _rows_of(data)
        by_t, strata_t = _as_tuple(by), _as_tuple(strata)
        schema = rows.schema()
        roles = _roles(time, entry, weight, by_t, strata_t, ("event", event))
        _check_columns(roles, schema)
        checks = _schema_checks(schema, time=time, event=event, entry=entry, weight=weight)
        n_rows = _validate(rows, schema, checks, (*by_t, *strata_t))
        _check_weight_totals(rows, weight, (*strata_t, *by_t), n_rows)
        return cls(
            frame=rows.frame,
            time=time,
            event=event,
            entry=entry,
            weight=weight,
            by=by_t,
            strata=strata_t,
            n_rows=n_rows,
            source=source,
            lazy=_is_lazy(data, rows),
            engine=rows.engine,
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
        "cause",
        "cif",
    }
)


def _cause_levels(
    rows: Rows,
    cause: str,
    dtype: pl.DataType,
    censor_value: Any,
    declared: Sequence[Any] | None,
    n_rows: int,
) -> tuple[Any, tuple[Any, ...]]:
    """Check the cause column's values; return the censoring value and the causes in order."""
    text = dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)
    if not (text or dtype.is_integer()):
        raise ColumnTypeError(
            f"`{cause}` (cause) must hold integer codes or text labels; found dtype {dtype}"
        )
    if censor_value is None:
        if text:
            raise SurvstatError(
                f"`{cause}` holds text labels: say which one means censored with censor_value="
            )
        censor_value = 0
    counts = rows.level_counts(cause)
    # values are matched to user-given codes by their text, so 1 and "1" agree
    seen = {str(v): n for v, n in counts.iter_rows()}
    censor_key = str(censor_value)
    if censor_key not in seen:
        warnings.warn(
            f"censoring value {censor_value!r} does not occur in `{cause}`: no record is censored",
            SurvstatWarning,
            stacklevel=3,
        )
    observed = [v for v in seen if v != censor_key]
    if declared is not None:
        declared_keys = [str(d) for d in declared]
        unknown = sorted(set(observed) - set(declared_keys))
        if unknown:
            n_bad = sum(seen[u] for u in unknown)
            listed = ", ".join(unknown[:_MAX_LISTED])
            raise InvalidValueError(
                f"`{cause}` must be {censor_value!r} (censored) or one of the declared causes "
                f"{list(declared)}; found {n_bad} rows of {n_rows} with other codes: {listed}"
            )
        never = [d for d, k in zip(declared, declared_keys, strict=True) if k not in seen]
        if never:
            warnings.warn(
                f"declared cause(s) {never} never occur in `{cause}`; their incidence is 0",
                SurvstatWarning,
                stacklevel=3,
            )
        return censor_value, tuple(declared)
    if not observed:
        warnings.warn(f"`{cause}` records no event of any cause", SurvstatWarning, stacklevel=3)
    ordered = tuple(v for v in counts.get_column(cause).to_list() if str(v) != censor_key)
    return censor_value, ordered


def _cause_codes(cause: str, dtype: pl.DataType, censor: Any, levels: tuple[Any, ...]) -> list:
    """Expressions for ``__event`` (1 = any cause) and ``__cause`` (0 censored, k = levels[k-1])."""
    col = pl.col(cause)
    if dtype.is_integer():
        censor_code = int(censor)
        if levels == tuple(range(1, len(levels) + 1)) and censor_code == 0:
            # already coded 0 = censored, 1..K = causes
            code = col.cast(pl.Int32)
        else:
            mapping = {int(v): k for k, v in enumerate(levels, start=1)} | {censor_code: 0}
            code = col.replace_strict(mapping, return_dtype=pl.Int32)
        return [(code != 0).cast(pl.Int8).alias("__event"), code.alias("__cause")]
    text = col.cast(pl.String)
    mapping = {str(v): k for k, v in enumerate(levels, start=1)} | {str(censor): 0}
    code = text.replace_strict(mapping, return_dtype=pl.Int32)
    return [(code != 0).cast(pl.Int8).alias("__event"), code.alias("__cause")]


def _roles(
    time: str,
    entry: str | None,
    weight: str | None,
    by: tuple[str, ...],
    strata: tuple[str, ...],
    outcome: tuple[str, str],
) -> list[tuple[str, str]]:
    roles: list[tuple[str, str]] = [("time", time), outcome]
    roles += [("entry", entry)] if entry is not None else []
    roles += [("weight", weight)] if weight is not None else []
    return roles + [("by", c) for c in by] + [("strata", c) for c in strata]


def _missing(col: str) -> Check:
    return Check(col, "missing", MissingValueError, "must not be missing", "missing values", False)


def _rows_of(data: FrameLike) -> tuple[Rows, str | None]:
    """The engine that answers validation queries on ``data``, and the input path if any."""
    if _is_spark(data):
        from survstat.spark import SparkRows

        return SparkRows(data), None
    frame, source = scan(data)
    return PolarsRows(frame), source


def _is_spark(data: object) -> bool:
    # by module name, so that pyspark is imported only when a Spark DataFrame is given
    return type(data).__module__.startswith("pyspark.sql")


def _is_lazy(data: FrameLike, rows: Rows) -> bool:
    return rows.engine != "polars" or isinstance(data, str | os.PathLike | pl.LazyFrame)


def _validate(
    rows: Rows, schema: pl.Schema, checks: list[Check], group_cols: tuple[str, ...]
) -> int:
    """Run the row checks (plus no missing group values); return the row count."""
    n_rows = _run_checks(rows, checks + [_missing(c) for c in group_cols])
    if n_rows == 0:
        raise EmptyDataError("the data has no rows")
    for col in group_cols:
        _check_declared(rows, col, schema[col])
    return n_rows


def _check_weight_totals(
    rows: Rows, weight: str | None, groups: tuple[str, ...], n_rows: int
) -> None:
    """Refuse weights that are all 0 overall or within a group (a combination of the strata and
    ``by`` columns): every estimate there would be 0/0; and weights whose sum or sum of squares
    overflows double precision (:func:`_check_weight_size`)."""
    if weight is None:
        return
    counts = rows.weight_totals(weight, groups)
    _check_weight_size(counts, weight, n_rows)
    empty = counts.filter(pl.col("__positive") == 0)
    if not empty.height:
        return
    if not groups:
        raise InvalidValueError(
            f"`{weight}` must not be 0 on every row; found 0 positive weights in {n_rows} rows: "
            "nothing to estimate"
        )
    empty = empty.sort(list(groups))
    row = empty.row(0, named=True)
    label = ", ".join(f"{g}={_fmt(row[g])}" for g in groups)
    raise InvalidValueError(
        f"`{weight}` must not be 0 on every row of a group; found {empty.height} group(s) of "
        f"{counts.height} whose weights are all 0 (first: {label}, {row['__rows']} rows)"
    )


#: Weights whose largest value is below this have squares below the smallest normal double
#: (2^-1022): the robust variances lose them (2^-511, about 1.5e-154).
_SMALLEST_WEIGHT = 2.0**-511


def _check_weight_size(counts: pl.DataFrame, weight: str, n_rows: int) -> None:
    """Refuse weights on a scale that double precision cannot sum.

    Every weighted estimator sums the weights over risk sets (Kaplan-Meier, Nelson-Aalen,
    log-rank, Aalen-Johansen, Gray, Cox) and the robust variances sum their squares (the
    infinitesimal jackknife, Cox's sandwich). Past the largest double (about 1.8e308) these
    sums are inf and the estimates NaN; when even the largest weight's square is below the
    smallest normal double the squares vanish and the variances come out inf or NaN. Weights
    enter most estimates only through their ratios (survival, incidence, hazard ratios;
    Therneau & Grambsch 2000, *Modeling Survival Data*, sec. 7.2), so multiplying them by a
    constant is the remedy, and the error suggests one.
    """
    # float addition overflows to inf, without a warning
    total = sum(float(v) for v in counts.get_column("__sum"))
    squares = sum(float(v) for v in counts.get_column("__sum2"))
    top = float(counts.select(pl.col("__max").max()).item())
    if not math.isfinite(total):
        problem = "its sum overflows"
    elif not math.isfinite(squares):
        problem = "the sum of its squares (used by robust variances) overflows"
    elif 0 < top < _SMALLEST_WEIGHT:
        problem = "its largest value's square is below the smallest normal double"
    else:
        return
    power = 10.0 ** math.floor(math.log10(top))
    change = f"divide it by {power:.0e}" if top > 1 else f"multiply it by {1 / power:.0e}"
    raise InvalidValueError(
        f"`{weight}` (weight) must be on a scale that double precision can sum; {problem} "
        f"over {n_rows} rows (largest value: {top:.6g}); rescale it, e.g. {change}: most "
        "estimates (survival, incidence, hazard ratios) do not depend on the weights' scale"
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


def _numeric_checks(col: str, dtype: pl.DataType, role: str) -> list[Check]:
    if not _is_numeric(dtype):
        raise ColumnTypeError(
            f"`{col}` ({role}) must be numeric; found dtype {dtype}"
            + ("; cast it, e.g. pl.col(...).cast(pl.Float64)" if dtype == pl.String else "")
        )
    checks = [_missing(col)]
    if dtype.is_float():
        checks.append(Check(col, "nan", MissingValueError, "must not be NaN", "NaN values", False))
        checks.append(
            Check(col, "infinite", InvalidValueError, "must be finite", "infinite values")
        )
    checks.append(
        Check(col, "negative", InvalidValueError, "must be non-negative", "negative values")
    )
    return checks


def _schema_checks(
    schema: pl.Schema, *, time: str, event: str | None, entry: str | None, weight: str | None
) -> list[Check]:
    checks = _numeric_checks(time, schema[time], "time")
    if event is not None:
        checks += _event_checks(schema, event)
    if entry is not None:
        checks += _numeric_checks(entry, schema[entry], "entry")
        checks.append(
            Check(
                entry,
                "not_below",
                InvalidValueError,
                f"must be less than `{time}`",
                f"rows with `{entry}` >= `{time}`",
                other=time,
            )
        )
    if weight is not None:
        checks += _numeric_checks(weight, schema[weight], "weight")
    return checks


def _event_checks(schema: pl.Schema, event: str) -> list[Check]:
    ev_dtype = schema[event]
    if ev_dtype != pl.Boolean and not _is_numeric(ev_dtype):
        raise ColumnTypeError(
            f"`{event}` (event) must be boolean or 0/1 numeric; found dtype {ev_dtype}"
        )
    checks = [_missing(event)]
    if ev_dtype != pl.Boolean:
        checks.append(
            Check(event, "not01", InvalidValueError, "must be 0/1 or true/false", "other values")
        )
    return checks


def _run_checks(rows: Rows, checks: list[Check]) -> int:
    """Evaluate all rules in one pass; raise for the first broken one, else return the row count."""
    n_rows, counts = rows.count(checks)
    for check, n_bad in zip(checks, counts, strict=True):
        if n_bad:
            raise check.error(_describe(rows, check, n_bad, n_rows))
    return n_rows


def _fmt(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _describe(rows: Rows, check: Check, n_bad: int, n_rows: int) -> str:
    first_row, values = rows.examples(check, 10_000)
    first_val = values[0]
    at = f" at row {first_row}" if first_row is not None else ""
    what = (
        check.what if n_bad != 1 else check.what.replace("values", "value").replace("rows", "row")
    )
    msg = f"`{check.column}` {check.rule}; found {n_bad} {what} of {n_rows} rows"
    if check.show_values:
        distinct = values.unique(maintain_order=True).head(_MAX_LISTED).to_list()
        listed = ", ".join(_fmt(v) for v in distinct)
        more = ", ..." if values.n_unique() > _MAX_LISTED else ""
        msg += f" (values: {listed}{more}; first: {_fmt(first_val)}{at})"
    elif at:
        msg += f" (first{at})"
    return msg


def check_declared_levels(frame: pl.LazyFrame, col: str, dtype: pl.DataType) -> None:
    """An Enum column declares its levels: a declared level with no rows is an empty group."""
    _check_declared(PolarsRows(frame), col, dtype)


def _check_declared(rows: Rows, col: str, dtype: pl.DataType) -> None:
    if not isinstance(dtype, pl.Enum):
        return
    present = set(rows.distinct(col))
    empty = [lvl for lvl in dtype.categories.to_list() if lvl not in present]
    if empty:
        listed = ", ".join(repr(e) for e in empty[:_MAX_LISTED])
        raise EmptyDataError(
            f"group column `{col}` declares {len(empty)} level(s) with no rows: {listed}; "
            "drop unused levels or cast to String"
        )


def as_survival_data(
    data: FrameLike | SurvivalData, *, competing: bool = False, **roles: Any
) -> SurvivalData:
    """Return ``data`` if it is already validated, else validate it with the given roles.

    With ``competing=True`` the data must carry a cause column (built with
    :meth:`SurvivalData.competing_risks`).
    """
    if isinstance(data, SurvivalData):
        given = {k: v for k, v in roles.items() if v is not None}
        if given:
            raise SurvstatError(
                "data is already a SurvivalData; do not pass column roles again "
                f"(got {', '.join(sorted(given))})"
            )
        if competing and data.cause is None:
            raise SurvstatError(
                "competing-risks estimators need a cause column: build the data with "
                "SurvivalData.competing_risks(...)"
            )
        return data
    outcome = "cause" if competing else "event"
    missing = [k for k in ("time", outcome) if roles.get(k) is None]
    if missing:
        raise SurvstatError(f"missing column role(s): {', '.join(missing)}")
    if competing:
        return SurvivalData.competing_risks(data, **roles)
    return SurvivalData.right_censored(data, **roles)
