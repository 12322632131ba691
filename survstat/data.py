"""Validated survival data: one type that binds column roles and checks them once.

:class:`SurvivalData` binds the input to its engine (:func:`survstat.engines.bind`: polars in
memory or streaming from Parquet, or Spark) and the names of the columns that play each role
(time, event, entry, weight, by, strata). Construction validates the schema and the values in
a single aggregated pass (:mod:`survstat._validation`); estimators take the validated object,
never re-check, and ask its engine for the risk table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from survstat._validation import (
    RESERVED,
    cause_levels,
    check_columns,
    check_declared_levels,
    check_weight_totals,
    missing,
    roles,
    schema_checks,
    validate,
)
from survstat.engines import Check, Engine, FrameLike, bind
from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    EngineError,
    InvalidValueError,
    MissingValueError,
    OptionError,
    counted,
)
from survstat.io.read import scan

__all__ = [
    "DERIVED_EVENT",
    "PARAMCD",
    "RESERVED",
    "Check",
    "FrameLike",
    "SurvivalData",
    "as_survival_data",
    "check_declared_levels",
    "keep_param",
    "response_roles",
    "tte_roles",
]


def _as_tuple(cols: str | Sequence[str] | None) -> tuple[str, ...]:
    if cols is None:
        return ()
    if isinstance(cols, str):
        return (cols,)
    return tuple(cols)


@dataclass(frozen=True, slots=True)
class SurvivalData:
    """Survival data with validated column roles.

    Build it with :meth:`right_censored`; every estimator also accepts a frame plus column names
    and builds one itself.

    Attributes
    ----------
    rows
        The engine that holds the rows (:class:`survstat.engines.Engine`), chosen once when
        the data is bound; risk tables and variances are its queries.
    time, event, entry, weight
        Column names; ``entry`` (delayed entry / left truncation) and ``weight`` may be None.
    by, strata
        Grouping columns: separate curves per ``by`` level; ``strata`` are also separate curves
        for estimators, and stratify tests.
    n_rows
        Number of rows in the data.
    source
        The input path when the data came from a file, else None.
    cause, causes, censor_value
        Competing risks only (see :meth:`competing_risks`): the cause column, the causes in code
        order (code k is ``causes[k - 1]``) and the value that marks censoring. ``event`` is then
        a derived 0/1 column, 1 for an event of any cause, and ``__cause`` holds the codes.
    """

    rows: Engine
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

    @property
    def frame(self) -> Any:
        """The data as its engine holds it: a polars LazyFrame (nothing is copied or collected
        beyond validation), or a Spark DataFrame on the Spark engine."""
        return self.rows.frame

    @property
    def lazy(self) -> bool:
        """The input was a Parquet path, a polars LazyFrame or a Spark DataFrame: its rows are
        never collected for the risk table, which is aggregated on polars' streaming engine
        (or by Spark)."""
        return self.rows.lazy

    @property
    def engine(self) -> str:
        """The engine's name: ``"polars"``, or ``"spark"`` for a Spark DataFrame (see
        :mod:`survstat.engines`)."""
        return self.rows.name

    @property
    def groups(self) -> tuple[str, ...]:
        """Columns that split the data into separate curves: strata first, then by."""
        return (*self.strata, *self.by)

    def require_rows(self, analysis: str) -> None:
        """Refuse ``analysis`` (one that needs row-level data) on an engine that keeps its rows
        (Spark).

        Parameters
        ----------
        analysis
            The analysis's name as the message gives it, e.g. ``"Cox regression"``.

        Raises
        ------
        EngineError
            The engine cannot hand over its rows (:attr:`Engine.row_level` is false); the
            message names the analyses it does run.
        """
        if not self.rows.row_level:
            raise EngineError(
                f"{analysis} needs row-level data and does not run on the {self.engine} engine; "
                "the Spark engine computes risk tables (Kaplan–Meier, Nelson–Aalen, "
                "log-rank, cumulative incidence, Gray's test) and Cox models only. Run it on "
                "the polars engine, "
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
        data, time, entry, weight, by, strata
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

        Returns
        -------
        SurvivalData
            The validated data, with ``event`` the derived column ``__event`` (1 for an event
            of any cause), the codes in ``__cause`` (0 censored, k for ``causes[k - 1]``),
            ``causes`` in reporting order and ``censor_value`` resolved (0 for integer codes
            when not given).

        Raises
        ------
        SurvstatError
            A subclass naming the column, the rule broken, how many rows break it and an
            example; :class:`~survstat.errors.InvalidValueError` for a code outside
            ``causes``, :class:`~survstat.errors.OptionError` for text labels without
            ``censor_value``.

        Examples
        --------
        >>> import polars as pl
        >>> df = pl.DataFrame({"t": [1.0, 2.0, 3.0, 4.0], "c": [1, 0, 2, 1]})
        >>> SurvivalData.competing_risks(df, time="t", cause="c").causes
        (1, 2)
        """
        rows, source = bind(data)
        by_t, strata_t = _as_tuple(by), _as_tuple(strata)
        schema = rows.schema()
        check_columns(roles(time, entry, weight, by_t, strata_t, ("cause", cause)), schema)
        checks = schema_checks(schema, time=time, event=None, entry=entry, weight=weight)
        n_rows = validate(rows, schema, [*checks, missing(cause)], (*by_t, *strata_t))
        check_weight_totals(rows, weight, (*strata_t, *by_t), n_rows)
        censor, levels = cause_levels(rows, cause, schema[cause], censor_value, causes, n_rows)
        return cls(
            rows=rows.with_cause_codes(cause, schema[cause], censor, levels),
            time=time,
            event="__event",
            entry=entry,
            weight=weight,
            by=by_t,
            strata=strata_t,
            n_rows=n_rows,
            source=source,
            cause=cause,
            causes=levels,
            censor_value=censor,
        )

    @classmethod
    def right_censored(
        cls,
        data: FrameLike,
        *,
        time: str | None = None,
        event: str | None = None,
        entry: str | None = None,
        weight: str | None = None,
        by: str | Sequence[str] | None = None,
        strata: str | Sequence[str] | None = None,
        censor: str | None = None,
    ) -> SurvivalData:
        """Bind and validate right-censored (optionally left-truncated, weighted) data.

        Parameters
        ----------
        data
            polars DataFrame or LazyFrame, pyarrow Table, pandas DataFrame, Spark DataFrame,
            or a Parquet path, directory or glob, or a .csv, .xpt or .sas7bdat file. Paths,
            LazyFrames and Spark DataFrames are validated where they live and never collected
            (see :mod:`survstat.engines`).
        time
            Follow-up time: numeric, finite, non-negative, no missing values.
        event
            Event indicator: boolean, or numeric with values 0 (censored) and 1 (event).
            Exactly one of ``event`` and ``censor`` is given (see :func:`tte_roles`).
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
        censor
            CDISC ADaM ADTTE ``CNSR``-style column: 0 = event, positive integer = censored.
            The event is then the derived column :data:`DERIVED_EVENT`. An ADTTE-like input
            (``PARAMCD``, ``AVAL``, ``CNSR``) defaults ``time`` and ``censor`` to ``AVAL`` and
            ``CNSR``; one with several ``PARAMCD`` values is an error (filter it first).

        Returns
        -------
        SurvivalData
            The validated data: the bound engine, the column roles (``by`` and ``strata`` as
            tuples), the row count and the source path when ``data`` was one.

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
        data, time, event = tte_roles(data, time=time, event=event, censor=censor)
        rows, source = bind(data)
        by_t, strata_t = _as_tuple(by), _as_tuple(strata)
        schema = rows.schema()
        check_columns(roles(time, entry, weight, by_t, strata_t, ("event", event)), schema)
        checks = schema_checks(schema, time=time, event=event, entry=entry, weight=weight)
        n_rows = validate(rows, schema, checks, (*by_t, *strata_t))
        check_weight_totals(rows, weight, (*strata_t, *by_t), n_rows)
        return cls(
            rows=rows,
            time=time,
            event=event,
            entry=entry,
            weight=weight,
            by=by_t,
            strata=strata_t,
            n_rows=n_rows,
            source=source,
        )


def as_survival_data(
    data: FrameLike | SurvivalData, *, competing: bool = False, **roles: Any
) -> SurvivalData:
    """Return ``data`` if it is already validated, else validate it with the given roles.

    With ``competing=True`` the data must carry a cause column (built with
    :meth:`SurvivalData.competing_risks`).

    Parameters
    ----------
    data
        A :class:`SurvivalData`, returned as it is, or any input that
        :meth:`SurvivalData.right_censored` takes.
    competing
        The caller is a competing-risks estimator: validate with
        :meth:`SurvivalData.competing_risks` (``cause`` is then required instead of
        ``event``), and refuse a :class:`SurvivalData` without a cause column.
    **roles
        The column roles (``time``, ``event`` or ``cause``, ``entry``, ``weight``, ``by``,
        ``strata``, and ``censor_value``, ``causes`` with ``competing``), passed on to the
        constructor. Roles that are None count as not given.

    Returns
    -------
    SurvivalData
        ``data`` itself, or the validated data.

    Raises
    ------
    OptionError
        Roles given with a :class:`SurvivalData`, a missing ``time`` or outcome role, or a
        :class:`SurvivalData` without a cause column where ``competing`` is true.
    """
    if isinstance(data, SurvivalData):
        given = {k: v for k, v in roles.items() if v is not None}
        if given:
            raise OptionError(
                "data is already a SurvivalData; do not pass column roles again "
                f"(got {', '.join(sorted(given))})"
            )
        if competing and data.cause is None:
            raise OptionError(
                "competing-risks estimators need a cause column: build the data with "
                "SurvivalData.competing_risks(...)"
            )
        return data
    if competing:
        missing = [k for k in ("time", "cause") if roles.get(k) is None]
        if missing:
            raise OptionError(f"missing column role(s): {', '.join(missing)}")
        return SurvivalData.competing_risks(data, **roles)
    return SurvivalData.right_censored(data, **roles)


#: The column an ADaM BDS dataset names its parameter by, and the ADTTE analysis columns.
PARAMCD = "PARAMCD"
_ADTTE_TIME, _ADTTE_CENSOR = "AVAL", "CNSR"
#: The ADRS response column and the subject identifier of ADaM datasets.
_ADRS_RESPONSE, _SUBJECT = "AVALC", "USUBJID"

#: The event column derived from a CDISC censoring column.
DERIVED_EVENT = "__event"


def keep_param(
    data: FrameLike,
    param: str | None,
    param_column: str = PARAMCD,
    *,
    row_index: str | None = None,
) -> FrameLike:
    """Keep the rows of one parameter of an ADaM BDS input (ADTTE, ADRS, ...).

    CDISC ADaM BDS (ADaM IG): ``PARAMCD`` names the parameter of each row (OS, PFS in
    ADTTE; BOR, CBOR, OVR in ADRS), so one dataset holds several endpoints. ``param`` keeps
    the rows whose ``param_column`` equals it; without ``param``, a ``param_column`` holding
    several values is an error listing them (analysing them together mixes endpoints).

    Parameters
    ----------
    data
        Any input :func:`bind` takes.
    param
        The parameter to keep (e.g. ``"OS"``, ``"BOR"``), None for all rows.
    param_column
        The column holding the parameter.
    row_index
        When given, a column of that name numbers the rows (from 0) before the filter.

    Returns
    -------
    FrameLike
        ``data`` itself when ``param`` and ``row_index`` are None, else a polars LazyFrame.

    Raises
    ------
    OptionError
        Several parameters and no ``param``; a ``param`` that does not occur.
    ColumnNotFoundError
        ``param_column`` (with ``param``) is not a column.
    EngineError
        ``param`` on data held by Spark (it is filtered here).
    """
    rows, _ = bind(data)
    return _keep_param(rows, data, param, param_column, row_index)


def _keep_param(
    rows: Engine, data: FrameLike, param: str | None, param_column: str, row_index: str | None
) -> FrameLike:
    """:func:`keep_param` on ``data`` already bound to the engine ``rows``."""
    schema = rows.schema()
    if param is not None and param_column not in schema:
        raise ColumnNotFoundError(param_column, schema.names(), role="param_column")
    if param_column in schema:
        present = sorted(str(v) for v in rows.distinct(param_column) if v is not None)
        listed = ", ".join(present)
        if param is None and len(present) > 1:
            raise OptionError(
                f"`{param_column}` holds {len(present)} parameters ({listed}): choose one with "
                "--param (param=...); analysing them together mixes endpoints"
            )
        if param is not None and str(param) not in present:
            raise OptionError(
                f"parameter {param!r} does not occur in `{param_column}`; present: {listed}"
            )
    if param is None and row_index is None:
        return data
    if not rows.row_level:
        raise EngineError(
            f"param runs on the polars engine; on {rows.name}, filter `{param_column}` first"
        )
    frame = rows.frame
    if row_index is not None:
        frame = frame.with_row_index(row_index)
    if param is not None:
        frame = frame.filter(pl.col(param_column).cast(pl.String) == str(param))
    return frame


def tte_roles(
    data: FrameLike,
    *,
    time: str | None,
    event: str | None,
    censor: str | None = None,
    param: str | None = None,
    param_column: str = PARAMCD,
) -> tuple[FrameLike, str, str]:
    """Resolve the time-to-event roles of an ADaM ADTTE-like input (or of any input).

    CDISC ADaM BDS for time-to-event (ADaM IG, ADTTE): ``CNSR`` is 0 for an event and a
    positive integer for a censoring; ``PARAMCD`` names the parameter (OS, PFS, ...) of each
    row, so one ADTTE holds several endpoints. Here:

    - exactly one of ``event`` and ``censor`` is given; ``event`` may not name a column called
      ``CNSR`` (it would analyse the censoring distribution);
    - ``param`` keeps the rows whose ``param_column`` equals it; without ``param``, a
      ``param_column`` holding several values is an error listing them;
    - for an ADTTE-like input (``param_column``, ``AVAL`` and ``CNSR`` present) ``time`` and
      ``censor`` default to ``AVAL`` and ``CNSR``;
    - ``censor`` must be integer-valued, non-negative and not missing; the event is
      ``censor == 0``, written to the column :data:`DERIVED_EVENT`.

    Parameters
    ----------
    data
        Any input :meth:`SurvivalData.right_censored` takes.
    time, event, censor
        The time, event (0/1) and CDISC censoring (0 = event) columns, None when not given.
    param
        The parameter to keep (e.g. ``"OS"``), None for all rows.
    param_column
        The column holding the parameter.

    Returns
    -------
    (data, time, event)
        ``data`` itself when there is nothing to filter or derive, else a polars LazyFrame;
        the time column and the event column.

    Raises
    ------
    OptionError
        Both or neither of ``event`` and ``censor``; ``event`` naming ``CNSR``; several
        parameters and no ``param``; a ``param`` that does not occur; no ``time``.
    ColumnNotFoundError
        ``censor`` or ``param_column`` (with ``param``) is not a column.
    ColumnTypeError
        ``censor`` is not numeric.
    EngineError
        ``censor`` or ``param`` on data held by Spark (it is filtered and derived here).
    MissingValueError, InvalidValueError
        ``censor`` is missing, negative or not a whole number (naming the count and first row).
    """
    if event is not None and censor is not None:
        raise OptionError(
            f"give either event or censor, not both (got event `{event}`, censor `{censor}`)"
        )
    if isinstance(event, str) and event.upper() == _ADTTE_CENSOR:
        raise OptionError(
            f"`{event}` is a CDISC censoring column (0 = event, positive = censored); as an "
            f"event it would analyse the censoring distribution: use --censor {event} "
            f'(censor="{event}") instead'
        )
    rows, _ = bind(data)
    schema = rows.schema()
    if {param_column, _ADTTE_TIME, _ADTTE_CENSOR} <= set(schema.names()):
        time = _ADTTE_TIME if time is None else time
        if event is None and censor is None:
            censor = _ADTTE_CENSOR
    # rows are numbered before the filter only when a filtered frame is built, so that a bad
    # CNSR is reported at its row of the input
    derive = rows.row_level and (param is not None or censor is not None)
    kept = _keep_param(rows, data, param, param_column, "__row" if derive else None)
    if time is None:
        raise OptionError("missing column role: time")
    if event is None and censor is None:
        raise OptionError("missing column role: give event (0/1) or censor (CDISC CNSR)")
    if param is None and censor is None:
        return data, time, str(event)
    if not rows.row_level:
        raise EngineError(
            f"censor and param run on the polars engine; on {rows.name}, derive the 0/1 event "
            f"(1 - ({censor or _ADTTE_CENSOR} > 0)) and filter `{param_column}` first"
        )
    frame, _ = scan(kept)
    if censor is None:
        return frame.drop("__row"), time, str(event)
    return _censor_to_event(frame, schema, censor), time, DERIVED_EVENT


def response_roles(
    data: FrameLike,
    *,
    response: str | None,
    param: str | None = None,
    param_column: str = PARAMCD,
) -> tuple[FrameLike, str]:
    """Resolve the response column of an ADaM ADRS-like input (or of any input).

    CDISC ADaM BDS for response (ADRS): one row per subject and parameter, ``PARAMCD``
    naming it (``BOR`` best overall response, ``CBOR`` confirmed best overall response,
    ``OVR`` the overall response at each visit) and ``AVALC`` holding the response as text
    (CR, PR, SD, PD, NE). Here:

    - ``param`` keeps that parameter's rows (:func:`keep_param`: several parameters without
      ``param`` is an error listing them);
    - for an ADRS-like input (``param_column`` and ``AVALC`` present) ``response`` defaults to
      ``AVALC``;
    - with ``param`` and a ``USUBJID`` column, a rate needs one row per subject: a subject
      with several rows (the visits of ``OVR``) is an error.

    Parameters
    ----------
    data
        Any input :func:`survstat.proportion` takes.
    response
        The response column, None when not given.
    param
        The parameter to keep (e.g. ``"BOR"``), None for all rows.
    param_column
        The column holding the parameter.

    Returns
    -------
    (data, response)
        ``data`` itself when there is nothing to filter, else a polars LazyFrame; the response
        column.

    Raises
    ------
    OptionError
        Several parameters and no ``param``; a ``param`` that does not occur; no ``response``.
    ColumnNotFoundError
        ``param_column`` (with ``param``) is not a column.
    InvalidValueError
        Several rows for a subject in the rows of ``param``.
    EngineError
        ``param`` on data held by Spark (it is filtered here).
    """
    rows, _ = bind(data)
    names = set(rows.schema().names())
    kept = _keep_param(rows, data, param, param_column, None)
    if response is None and {param_column, _ADRS_RESPONSE} <= names:
        response = _ADRS_RESPONSE
    if response is None:
        raise OptionError("missing column role: response")
    if param is not None and _SUBJECT in names:
        frame, _ = scan(kept)
        counts = (
            frame.group_by(_SUBJECT, maintain_order=True).len().filter(pl.col("len") > 1).collect()
        )
        if counts.height:
            raise InvalidValueError(
                f"`{_SUBJECT}`: one row per subject expected; {param} holds visits — use BOR "
                f"or CBOR (found {counted(counts.height, 'subject')} with several "
                f"`{param_column}` = "
                f"{param} rows; first: {counts.item(0, _SUBJECT)} with "
                f"{counted(counts.item(0, 'len'), 'row')})"
            )
    return kept, response


def _censor_to_event(frame: pl.LazyFrame, schema: pl.Schema, censor: str) -> pl.LazyFrame:
    """Check a CDISC censoring column and derive the 0/1 event from it (see :func:`tte_roles`)."""
    if censor not in schema:
        raise ColumnNotFoundError(censor, schema.names(), role="censor")
    dtype = schema[censor]
    if not dtype.is_numeric():
        raise ColumnTypeError(
            f"`{censor}` (censor) must be numeric: 0 = event, positive integer = censored "
            f"(CDISC ADaM ADTTE CNSR); found dtype {dtype}"
        )
    value = pl.col(censor).cast(pl.Float64)
    rules = (
        (pl.col(censor).is_null(), MissingValueError, "must not be missing", "missing values"),
        (
            value.is_nan() | (value < 0),
            InvalidValueError,
            "must be 0 (event) or a positive integer (censored)",
            "negative values",
        ),
        (
            value != value.floor(),
            InvalidValueError,
            "must be 0 (event) or a positive integer (censored)",
            "non-integer values",
        ),
    )
    for bad, error, rule, what in rules:
        found = frame.filter(bad).select("__row", censor).collect()
        if found.height:
            n_rows = frame.select(pl.len()).collect().item()
            what = counted(found.height, what.replace("values", "value"), what)
            raise error(
                f"`{censor}` (censor, CDISC CNSR) {rule}; found {what} of "
                f"{counted(n_rows, 'row')} (first: {found.item(0, censor)} at row "
                f"{found.item(0, '__row')})"
            )
    event = (pl.col(censor) == 0).cast(pl.Int8).alias(DERIVED_EVENT)
    return frame.with_columns(event).drop("__row")
