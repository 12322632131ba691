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
from survstat.errors import EngineError, OptionError

__all__ = [
    "RESERVED",
    "Check",
    "FrameLike",
    "SurvivalData",
    "as_survival_data",
    "check_declared_levels",
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
            polars DataFrame or LazyFrame, pyarrow Table, pandas DataFrame, Spark DataFrame,
            or a Parquet path, directory or glob, or a .csv, .xpt or .sas7bdat file. Paths,
            LazyFrames and Spark DataFrames are validated where they live and never collected
            (see :mod:`survstat.engines`).
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
    outcome = "cause" if competing else "event"
    missing = [k for k in ("time", outcome) if roles.get(k) is None]
    if missing:
        raise OptionError(f"missing column role(s): {', '.join(missing)}")
    if competing:
        return SurvivalData.competing_risks(data, **roles)
    return SurvivalData.right_censored(data, **roles)
