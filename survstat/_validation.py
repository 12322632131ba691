"""The checks behind :class:`survstat.data.SurvivalData`: rules, counts and messages.

Every rule is a :class:`~survstat.engines.Check` that the bound engine counts in one pass
(:func:`validate`); only a broken rule costs a second query, for the examples its message
gives. Messages name the column, the rule, how many rows break it and an example.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import polars as pl

from survstat.engines import Check, Engine, PolarsEngine
from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    EmptyDataError,
    InvalidValueError,
    MissingValueError,
    OptionError,
    SurvstatWarning,
    counted,
)

_MAX_LISTED = 5


def _is_numeric(dtype: pl.DataType) -> bool:
    return dtype.is_numeric() and dtype != pl.Boolean


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


def cause_levels(
    rows: Engine,
    cause: str,
    dtype: pl.DataType,
    censor_value: Any,
    declared: Sequence[Any] | None,
    n_rows: int,
) -> tuple[Any, tuple[Any, ...]]:
    """Check the cause column's values; return the censoring value and the causes in order.

    Values are matched to ``censor_value`` and ``declared`` by their text, so the code 1 and
    the label ``"1"`` agree. Warns (:class:`~survstat.errors.SurvstatWarning`) when the
    censoring value never occurs, when a declared cause never occurs, or when no row records
    an event.

    Parameters
    ----------
    rows
        The engine holding the rows.
    cause
        The cause column: integer codes or text labels (String, Categorical or Enum).
    dtype
        The cause column's dtype.
    censor_value
        The value meaning censored; None: 0, which text labels may not default to.
    declared
        The causes in the order the user gave them; None: the observed causes other than
        ``censor_value``, sorted by value.
    n_rows
        The number of rows, for messages.

    Returns
    -------
    tuple
        The censoring value (0 when ``censor_value`` was None) and the causes in order.

    Raises
    ------
    ColumnTypeError
        The column holds neither integers nor text.
    OptionError
        Text labels without ``censor_value``.
    InvalidValueError
        A value is neither the censoring value nor a declared cause.
    """
    text = dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)
    if not (text or dtype.is_integer()):
        raise ColumnTypeError(
            f"`{cause}` (cause) must hold integer codes or text labels; found dtype {dtype}"
        )
    if censor_value is None:
        if text:
            raise OptionError(
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
                f"{list(declared)}; found {counted(n_bad, 'row')} of {n_rows} with other codes: "
                f"{listed}"
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


def roles(
    time: str,
    entry: str | None,
    weight: str | None,
    by: tuple[str, ...],
    strata: tuple[str, ...],
    outcome: tuple[str, str],
) -> list[tuple[str, str]]:
    """The (role, column) pairs of an analysis, in the order messages name them.

    Parameters
    ----------
    time, entry, weight
        The time column, and the delayed-entry and weight columns (None: not used).
    by, strata
        The columns that split the curves and the strata columns.
    outcome
        The (role, column) pair of the outcome, e.g. ``("event", "status")`` or
        ``("cause", "cause")``.

    Returns
    -------
    list of tuple
        ``("time", time)``, ``outcome``, then entry, weight, each ``by`` and each ``strata``
        column that is given.
    """
    roles: list[tuple[str, str]] = [("time", time), outcome]
    roles += [("entry", entry)] if entry is not None else []
    roles += [("weight", weight)] if weight is not None else []
    return roles + [("by", c) for c in by] + [("strata", c) for c in strata]


def missing(col: str) -> Check:
    """The rule that ``col`` has no nulls.

    Parameters
    ----------
    col
        The column.

    Returns
    -------
    Check
        A ``missing`` check raising :class:`~survstat.errors.MissingValueError`, whose message
        lists no values (they are all null).
    """
    return Check(col, "missing", MissingValueError, "must not be missing", "missing values", False)


def validate(
    rows: Engine, schema: pl.Schema, checks: list[Check], group_cols: tuple[str, ...]
) -> int:
    """Run the row checks (plus no missing group values); return the row count.

    All rules are counted in one pass of the engine; the first broken rule, in the order of
    ``checks``, raises its error with examples of the offending rows. Enum group columns must
    have rows at every declared level.

    Parameters
    ----------
    rows
        The engine holding the rows.
    schema
        The frame's schema (the group columns' dtypes are read from it).
    checks
        The row-wise rules, as :func:`schema_checks` builds them.
    group_cols
        The ``by`` and strata columns, which must not be missing.

    Returns
    -------
    int
        The number of rows.

    Raises
    ------
    SurvstatError
        The error class of the first broken rule (e.g. MissingValueError, InvalidValueError);
        EmptyDataError when there are no rows or an Enum level has none.
    """
    n_rows = _run_checks(rows, checks + [missing(c) for c in group_cols])
    if n_rows == 0:
        raise EmptyDataError("the data has no rows")
    for col in group_cols:
        _check_declared(rows, col, schema[col])
    return n_rows


def check_weight_totals(
    rows: Engine, weight: str | None, groups: tuple[str, ...], n_rows: int
) -> None:
    """Refuse weights that are all 0 overall or within a group, or that double precision
    cannot sum.

    Within a group (a combination of the strata and ``by`` columns) whose weights are all 0
    every estimate would be 0/0; weights whose sum or sum of squares overflows double
    precision, or whose squares underflow, are refused by :func:`_check_weight_size` with a
    suggested rescaling.

    Parameters
    ----------
    rows
        The engine holding the rows (already validated: weights finite and non-negative).
    weight
        The weight column; None: unweighted, nothing to check.
    groups
        The strata and ``by`` columns.
    n_rows
        The number of rows, for messages.

    Raises
    ------
    InvalidValueError
        All weights are 0 (overall or in a group), or they are on a scale that double
        precision cannot sum.
    """
    if weight is None:
        return
    counts = rows.weight_totals(weight, groups)
    _check_weight_size(counts, weight, n_rows)
    empty = counts.filter(pl.col("__positive") == 0)
    if not empty.height:
        return
    if not groups:
        raise InvalidValueError(
            f"`{weight}` must not be 0 on every row; found 0 positive weights in "
            f"{counted(n_rows, 'row')}: nothing to estimate"
        )
    empty = empty.sort(list(groups))
    row = empty.row(0, named=True)
    label = ", ".join(f"{g}={_fmt(row[g])}" for g in groups)
    raise InvalidValueError(
        f"`{weight}` must not be 0 on every row of a group; found {empty.height} group(s) of "
        f"{counts.height} whose weights are all 0 (first: {label}, {counted(row['__rows'], 'row')})"
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
        f"over {counted(n_rows, 'row')} (largest value: {top:.6g}); rescale it, e.g. {change}: "
        "most estimates (survival, incidence, hazard ratios) do not depend on the weights' scale"
    )


def check_columns(roles: list[tuple[str, str]], schema: pl.Schema) -> None:
    """Check that each role names a column of the frame, and each column plays one role.

    Parameters
    ----------
    roles
        The (role, column) pairs of :func:`roles`.
    schema
        The frame's schema.

    Raises
    ------
    ColumnNotFoundError
        A column is not in the frame (the message suggests the nearest names).
    ColumnTypeError
        A role's column is not given by name.
    OptionError
        A column plays two roles, or a group column takes the name of an output column
        (:data:`RESERVED`).
    """
    seen: dict[str, str] = {}
    for role, col in roles:
        if role in ("by", "strata") and col in RESERVED:
            raise OptionError(
                f"group column `{col}` clashes with an output column of the same name; "
                "rename it first"
            )
        if not isinstance(col, str):
            raise ColumnTypeError(f"`{role}` must be a column name; got {col!r}")
        if col not in schema:
            raise ColumnNotFoundError(col, schema.names(), role=role)
        if col in seen:
            raise OptionError(f"column `{col}` is used both as {seen[col]} and as {role}")
        seen[col] = role


def _numeric_checks(col: str, dtype: pl.DataType, role: str) -> list[Check]:
    if not _is_numeric(dtype):
        raise ColumnTypeError(
            f"`{col}` ({role}) must be numeric; found dtype {dtype}"
            + ("; cast it, e.g. pl.col(...).cast(pl.Float64)" if dtype == pl.String else "")
        )
    checks = [missing(col)]
    if dtype.is_float():
        checks.append(Check(col, "nan", MissingValueError, "must not be NaN", "NaN values", False))
        checks.append(
            Check(col, "infinite", InvalidValueError, "must be finite", "infinite values")
        )
    checks.append(
        Check(col, "negative", InvalidValueError, "must be non-negative", "negative values")
    )
    return checks


def schema_checks(
    schema: pl.Schema, *, time: str, event: str | None, entry: str | None, weight: str | None
) -> list[Check]:
    """The row-wise rules the columns' roles impose, after checking their dtypes.

    Time, entry and weight must be numeric, not missing, not NaN (floats), finite and
    non-negative; the event must be boolean or 0/1 and not missing; entry must be below time.

    Parameters
    ----------
    schema
        The frame's schema.
    time
        The time column.
    event
        The 0/1 or boolean event column; None: the outcome is checked elsewhere (competing
        risks).
    entry
        The delayed-entry column; None: every record is at risk from time 0.
    weight
        The weight column; None: unweighted.

    Returns
    -------
    list of Check
        The rules, in the order :func:`validate` reports them.

    Raises
    ------
    ColumnTypeError
        A column's dtype cannot play its role.
    """
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
    checks = [missing(event)]
    if ev_dtype != pl.Boolean:
        checks.append(
            Check(event, "not01", InvalidValueError, "must be 0/1 or true/false", "other values")
        )
    return checks


def run_checks(rows: Engine, checks: list[Check]) -> int:
    """Count every rule in one pass of the engine and raise for the first broken one.

    Parameters
    ----------
    rows
        The engine holding the rows.
    checks
        The rules, in the order they are reported.

    Returns
    -------
    int
        The number of rows.

    Raises
    ------
    SurvstatError
        The error class of the first broken rule, naming the column, the rule, how many rows
        break it and examples.
    """
    return _run_checks(rows, checks)


def _run_checks(rows: Engine, checks: list[Check]) -> int:
    """Evaluate all rules in one pass; raise for the first broken one, else return the row count."""
    n_rows, counts = rows.count(checks)
    for check, n_bad in zip(checks, counts, strict=True):
        if n_bad:
            raise check.error(_describe(rows, check, n_bad, n_rows))
    return n_rows


def _fmt(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _describe(rows: Engine, check: Check, n_bad: int, n_rows: int) -> str:
    first_row, values = rows.examples(check, 10_000)
    first_val = values[0]
    at = f" at row {first_row}" if first_row is not None else ""
    # ``what`` is a plural phrase ("negative values", "rows with `entry` >= `time`")
    singular = check.what.replace("values", "value").replace("rows", "row")
    what = counted(n_bad, singular, check.what)
    msg = f"`{check.column}` {check.rule}; found {what} of {counted(n_rows, 'row')}"
    if check.show_values:
        distinct = values.unique(maintain_order=True).head(_MAX_LISTED).to_list()
        listed = ", ".join(_fmt(v) for v in distinct)
        more = ", ..." if values.n_unique() > _MAX_LISTED else ""
        msg += f" (values: {listed}{more}; first: {_fmt(first_val)}{at})"
    elif at:
        msg += f" (first{at})"
    return msg


def check_declared_levels(frame: pl.LazyFrame, col: str, dtype: pl.DataType) -> None:
    """An Enum column declares its levels: a declared level with no rows is an empty group.

    Parameters
    ----------
    frame
        The rows.
    col
        The group column.
    dtype
        Its dtype; other than Enum, nothing to check.

    Raises
    ------
    EmptyDataError
        A declared level has no rows.
    """
    _check_declared(PolarsEngine(frame), col, dtype)


def _check_declared(rows: Engine, col: str, dtype: pl.DataType) -> None:
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
