"""The :class:`Engine` protocol: what survstat asks of the place where the rows live.

An engine answers three kinds of questions about a frame, and nothing above
:mod:`survstat.data` needs to know which engine it asks:

- validation queries (:meth:`Engine.schema`, :meth:`Engine.count`, ...), which
  :class:`survstat.data.SurvivalData` phrases into its checks and error messages;
- the risk table's GROUP BY (:meth:`Engine.risk_counts`), the sufficient statistics of the
  Kaplan–Meier, Nelson–Aalen, log-rank, Aalen–Johansen and Gray estimators;
- the record keys of the infinitesimal-jackknife variance (:meth:`Engine.record_keys`) and, for
  a Cox model, its design columns (:meth:`Engine.with_design`), their moments
  (:meth:`Engine.design_moments`), the per-time sums of one Newton step
  (:meth:`Engine.cox_sums`) and the cross-products of the dfbeta residuals of its robust
  variance (:meth:`Engine.cox_dfbeta`).

Every answer is a small polars DataFrame or numpy array: the rows themselves stay with the
engine.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

import numpy as np
import polars as pl

from survstat.errors import SurvstatError

if TYPE_CHECKING:
    import pandas as pd


class ArrowTable(Protocol):
    """A pyarrow Table, as survstat uses it (pyarrow ships no type information)."""

    @property
    def column_names(self) -> list[str]: ...
    @property
    def num_rows(self) -> int: ...


class SparkFrame(Protocol):
    """A Spark DataFrame, as survstat uses it (structurally: pyspark need not be installed)."""

    @property
    def schema(self) -> Any: ...
    def groupBy(self, *cols: Any) -> Any:
        """Group the rows, as Spark's ``DataFrame.groupBy``.

        Parameters
        ----------
        *cols
            The grouping columns (names or Spark column expressions).

        Returns
        -------
        pyspark.sql.GroupedData
            The grouped rows, to aggregate.
        """
        ...

    def toArrow(self) -> Any:
        """The rows as a pyarrow Table, collected on the driver (Spark 4).

        Returns
        -------
        pyarrow.Table
            The rows.
        """
        ...


#: What survstat takes as data: a frame of polars, pyarrow, pandas or Spark, or a Parquet path
#: (file, directory or glob). A string, so that pandas and pyarrow load only when used.
FrameLike: TypeAlias = (
    "pl.DataFrame | pl.LazyFrame | ArrowTable | pd.DataFrame | str | os.PathLike[str] | SparkFrame"
)


@dataclass(frozen=True, slots=True)
class Check:
    """One row-wise rule, named by ``kind`` so that each engine can phrase it in its own terms.

    Kinds: ``missing`` (null), ``nan``, ``infinite``, ``negative`` (< 0), ``not01`` (neither 0
    nor 1) and ``not_below`` (``column`` >= ``other``).

    Parameters
    ----------
    column
        The column the rule applies to.
    kind
        One of the kinds above.
    error
        The error class raised when rows break the rule.
    rule, what
        Message parts, e.g. ``"must be non-negative"`` and ``"negative values"``.
    show_values
        Whether the message lists the offending values.
    other
        The second column of ``not_below``.
    """

    column: str
    kind: str
    error: type[SurvstatError]
    rule: str
    what: str
    show_values: bool = True
    other: str | None = None


class Roles(Protocol):
    """The column roles an engine aggregates by (:class:`survstat.data.SurvivalData` has them).

    ``event`` is a 0/1 (or boolean) column; with competing risks it is 1 for an event of any
    cause and ``causes`` is not empty, the codes then being in the column ``__cause``.
    """

    @property
    def time(self) -> str: ...
    @property
    def event(self) -> str: ...
    @property
    def entry(self) -> str | None: ...
    @property
    def weight(self) -> str | None: ...
    @property
    def groups(self) -> tuple[str, ...]: ...
    @property
    def causes(self) -> tuple[Any, ...]: ...


@dataclass(frozen=True, slots=True)
class Counts:
    """Counts per (curve, time) row, sorted by curve then time, before risk sets are formed.

    Attributes
    ----------
    levels
        One row per curve with the group columns, in curve order (no columns without groups).
    curve
        Curve index of every row.
    time, n_event, n_exit
        Distinct time; (weighted) events and exits (events plus censorings) at it.
    n_entry
        (Weighted) entries at the row's time, or None without delayed entry.
    n_exit_records
        Unweighted number of records leaving at the row's time.
    n_event_cause
        Competing risks: (weighted) events per row and cause, one column per cause.
    n_fractional
        Number of records with a weight that is not a whole number.
    weight_scale
        The weights' scale for exact sums (:mod:`survstat._exact`); None: not scaled.
    """

    levels: pl.DataFrame
    curve: np.ndarray
    time: np.ndarray
    n_event: np.ndarray
    n_exit: np.ndarray
    n_entry: np.ndarray | None
    n_exit_records: np.ndarray
    n_event_cause: np.ndarray | None = None
    n_fractional: int = 0
    weight_scale: float | None = None


@dataclass(frozen=True, slots=True)
class CoxSums:
    """Per (stratum, time) sums of one Newton step of a Cox model at coefficients β.

    With r = w·exp(xβ) and d the 0/1 event indicator, each row of these arrays sums over the
    records of one stratum leaving at one time (rows sorted by stratum, then decreasing time,
    so that a risk set is a running sum within the stratum). From them the driver forms the
    risk-set sums S0, S1, S2 and, with Breslow's or Efron's handling of ties, the log partial
    likelihood, score and information (Therneau & Grambsch 2000, *Modeling Survival Data*,
    sec. 3.3) without seeing a row.

    Attributes
    ----------
    levels
        One row per stratum with the strata columns, in stratum order.
    stratum
        Stratum index of every row.
    time
        The exit time.
    n_event
        Number of events (unweighted).
    w_event
        Sum of w·d.
    wx_event
        Sum of w·d·x, shape (rows, p).
    w_eta_event
        Sum of w·d·xβ.
    s0, s1, s2
        Sums of r, r·x (rows, p) and r·x xᵀ (rows, p, p) over all records leaving at the time.
    d0, d1, d2
        The same sums over the events only.
    """

    levels: pl.DataFrame
    stratum: np.ndarray
    time: np.ndarray
    n_event: np.ndarray
    w_event: np.ndarray
    wx_event: np.ndarray
    w_eta_event: np.ndarray
    s0: np.ndarray
    s1: np.ndarray
    s2: np.ndarray
    d0: np.ndarray
    d1: np.ndarray
    d2: np.ndarray


@dataclass(frozen=True, slots=True)
class DesignColumn:
    """One column of a model matrix, formed by the engine from an input column.

    The value is ``(raw / divisor - shift) * factor`` as a double, where ``raw`` is the input
    column cast to double or, with ``level``, the indicator (1.0 or 0.0) that the column, as
    text, equals ``level``. Defaults leave the raw value as it is.

    Parameters
    ----------
    name
        The name of the new column.
    source
        The input column.
    level
        The level a text column is compared with; None: the column's own (numeric or
        boolean) value.
    divisor, shift, factor
        The centring and scaling, applied in this order (R ``coxfit6``'s, see
        :func:`survstat.estimators._regression.scale_columns`).
    """

    name: str
    source: str
    level: str | None = None
    divisor: float = 1.0
    shift: float = 0.0
    factor: float = 1.0


class Engine(Protocol):
    """Where the rows live, and the queries survstat runs there.

    Implementations: :class:`survstat.engines.polars.PolarsEngine` (in memory, or streaming
    from Parquet) and :class:`survstat.engines.spark.SparkEngine`. :func:`survstat.engines.bind`
    picks one for an input, once; everything above asks the engine, never its name.

    Attributes
    ----------
    name
        The engine's name for messages and provenance (``"polars"``, ``"spark"``).
    frame
        The native frame: a polars LazyFrame, or a Spark DataFrame.
    lazy
        The rows are never collected: risk tables and record keys are grouped where they live.
    row_level
        Row-level analyses (Fine–Gray, the concordance, Cox survival curves and residuals)
        can collect the rows of this engine; where they cannot, a Cox model is fitted from
        the engine's per-time sums instead.
    """

    name: str
    frame: Any
    lazy: bool
    row_level: bool

    def schema(self) -> pl.Schema:
        """The column names and dtypes, as polars dtypes.

        Reads no rows: a Parquet footer or a query plan is enough.

        Returns
        -------
        polars.Schema
            The frame's columns in order, each with its polars dtype (a Spark type is
            translated through Arrow).
        """
        ...

    def count(self, checks: Sequence[Check]) -> tuple[int, list[int]]:
        """The number of rows, and of rows breaking each check, in one pass.

        A null breaks only a ``missing`` check: the other kinds count the rows where the
        comparison is true, so a null value is not also negative, NaN or outside 0/1.

        Parameters
        ----------
        checks
            The rules to count (:class:`Check`), in any number; may be empty.

        Returns
        -------
        tuple of (int, list of int)
            The number of rows, and per check, in the order of ``checks``, the number of rows
            breaking it (0 where none does).
        """
        ...

    def examples(self, check: Check, limit: int) -> tuple[int | None, pl.Series]:
        """Where ``check`` is first broken, and the offending values, for an error message.

        Asked only after :meth:`count` found a row breaking ``check``, so at least one value
        comes back.

        Parameters
        ----------
        check
            The broken rule.
        limit
            The most values to return (the message lists a few distinct ones and counts
            the rest).

        Returns
        -------
        tuple of (int or None, polars.Series)
            The 0-based position of the first breaking row in the frame's order, or None
            where rows have no stable order (Spark); and up to ``limit`` values of
            ``check.column`` on breaking rows, in row order where rows have one.
        """
        ...

    def level_counts(self, col: str) -> pl.DataFrame:
        """Rows per distinct value of ``col``.

        Parameters
        ----------
        col
            The column, e.g. a competing-risks cause column.

        Returns
        -------
        polars.DataFrame
            Columns ``col`` (its values, in its dtype) and ``len`` (integer number of rows),
            one row per distinct value, sorted by value.
        """
        ...

    def distinct(self, col: str) -> list[Any]:
        """The distinct values of ``col``.

        Parameters
        ----------
        col
            The column, e.g. a group column whose Enum levels are checked for rows.

        Returns
        -------
        list
            Each value once, in no particular order.
        """
        ...

    def weight_totals(self, col: str, groups: Sequence[str]) -> pl.DataFrame:
        """Totals of the weight column per group, to refuse weights with nothing to estimate.

        The sums are plain double sums (inf where they overflow): they only decide whether
        the weights are all 0 in a group, or on a scale that double precision cannot sum,
        and need not be exact.

        Parameters
        ----------
        col
            The weight column, already checked non-missing, finite and non-negative.
        groups
            The strata and ``by`` columns; empty: one total over all rows.

        Returns
        -------
        polars.DataFrame
            One row per combination of ``groups`` (in no particular order; one row without
            groups): the group columns, then ``__rows`` (Int64, rows), ``__positive``
            (Int64, rows where ``col`` > 0), and ``__sum``, ``__sum2``, ``__max``, the sum,
            sum of squares and largest value of ``col`` as Float64.
        """
        ...

    def with_cause_codes(
        self, cause: str, dtype: pl.DataType, censor: Any, levels: tuple[Any, ...]
    ) -> Engine:
        """The same engine over the frame with the competing-risks codes added.

        Adds ``__event`` (1 for an event of any cause, 0 censored) and ``__cause`` (0
        censored, k for cause ``levels[k-1]``, as a 32-bit integer). Integer causes are
        matched by integer value, text ones by their text. The engine is not changed; the
        new one has the same kind and laziness.

        Parameters
        ----------
        cause
            The cause column; every value is ``censor`` or one of ``levels`` (checked before).
        dtype
            The cause column's dtype.
        censor
            The value that marks a censored record.
        levels
            The causes in reporting order.

        Returns
        -------
        Engine
            An engine of the same kind over the coded frame.
        """
        ...

    def risk_counts(self, roles: Roles) -> Counts:
        """The risk table's GROUP BY (group, time): events, exits and entries per row.

        Records are grouped by their group columns and exit time (and, with delayed entry,
        separately by entry time); times are Float64 with -0.0 taken as 0.0. The answer must
        not depend on the order in which the engine meets the rows (threads, partitions,
        files): record counts are integer sums, and weighted sums are either taken in an
        order fixed by the input or exact (:mod:`survstat._exact`: the weights scaled by a
        power of two, :attr:`Counts.weight_scale`, and summed as integer limbs), so that an
        engine gives the same bits on every run, and engines that sum exactly agree bit for
        bit.

        Parameters
        ----------
        roles
            The validated column roles (:class:`survstat.data.SurvivalData`): time, event,
            optional entry and weight, the group columns (strata, then by) and, with
            competing risks, the causes (codes in ``__cause``).

        Returns
        -------
        Counts
            One row per (curve, distinct time), sorted by curve then time, with the curves'
            levels.
        """
        ...

    def record_keys(self, roles: Roles, scale: float | None) -> pl.DataFrame:
        """The records as keys of the risk table, for the infinitesimal-jackknife variance.

        An engine may return one key per record (in memory) or group the records that share
        a key (out of core); grouped keys come in a fixed order
        (:func:`survstat.engines.sorted_keys`) and their weights are summed exactly, so that
        the variance is the same on every run.

        Parameters
        ----------
        roles
            The validated column roles, as in :meth:`risk_counts`.
        scale
            The power of two the weights are scaled by for exact sums: the risk table's
            :attr:`Counts.weight_scale`, so that both agree; None: found from the weights
            (unweighted: none is needed). An engine that returns one key per record sums
            nothing and ignores it.

        Returns
        -------
        polars.DataFrame
            The group columns, then ``time`` (Float64 exit time), ``__d`` (Float64 event
            0/1), ``__e`` (Float64 entry time, with delayed entry only), ``__cause`` (with
            competing risks only) and ``__w2`` (Float64: the squared weight of the record,
            or the sum over the records sharing the key; 1 per record unweighted).
        """
        ...

    def cox_sums(
        self, roles: Roles, strata: Sequence[str], covariates: Sequence[str], beta: np.ndarray
    ) -> CoxSums:
        """The per (stratum, time) sums of one Cox Newton step at ``beta``.

        These are ordinary double sums. An engine that keeps its rows and cannot yet form
        them raises :class:`~survstat.errors.EngineError`.

        Parameters
        ----------
        roles
            The time, event and (optional) weight columns.
        strata
            The stratum columns; empty: one stratum.
        covariates
            Numeric columns (the design matrix, already expanded) in the order of ``beta``.
        beta
            The coefficients to evaluate the sums at, shape (p,).

        Returns
        -------
        CoxSums
            One row per (stratum, exit time), sorted by stratum then decreasing time.
        """
        ...

    def with_design(
        self,
        columns: Sequence[DesignColumn],
        *,
        positive: str | None = None,
        strata: Sequence[str] = (),
        centres: pl.DataFrame | None = None,
    ) -> Engine:
        """The same engine over the rows with the design columns added, nothing collected.

        Parameters
        ----------
        columns
            The columns to add (:class:`DesignColumn`), as Float64.
        positive
            Keep only the rows where this column (the case weight) is above 0; None: all.
        strata
            The stratum columns ``centres`` is keyed by.
        centres
            One row per stratum: the ``strata`` columns, then one Float64 column per design
            column (by its name), subtracted from the column on that stratum's rows; None:
            nothing subtracted.

        Returns
        -------
        Engine
            An engine of the same kind and laziness over the new rows.
        """
        ...

    def design_moments(
        self, roles: Roles, strata: Sequence[str], columns: Sequence[str]
    ) -> pl.DataFrame:
        """Weighted moments and ranges of numeric columns per stratum, in one pass.

        These are ordinary double sums (they centre and scale a design, and need not be
        exact).

        Parameters
        ----------
        roles
            The event and (optional) weight columns (w = 1 without one).
        strata
            The stratum columns; empty: one row for all rows.
        columns
            The numeric columns, e.g. design columns of :meth:`with_design`.

        Returns
        -------
        polars.DataFrame
            One row per stratum (in no particular order): the ``strata`` columns, then
            ``__rows`` (Int64 rows), ``__events`` (Int64 rows with an event),
            ``__fractional`` (Int64 rows whose weight is not a whole number), ``__w`` (sum of
            w) and per column ``j`` of ``columns``: ``__sum{j}`` (sum of w·x), ``__abs{j}``
            (sum of w·|x|), ``__min{j}`` and ``__max{j}``, all Float64.
        """
        ...

    def cox_dfbeta(
        self,
        roles: Roles,
        strata: Sequence[str],
        covariates: Sequence[str],
        beta: np.ndarray,
        var: np.ndarray,
        hazards: pl.DataFrame,
        cluster: str | None,
    ) -> np.ndarray:
        """The cross-products of the weighted dfbeta residuals of a Cox fit, summed within
        clusters first (R ``coxph(robust=TRUE)``'s sandwich).

        Each row's score residual (R ``coxscore2``) is
        ``d (x - m) - exp(xβ) (x H - HM)``, with H and HM the cumulative hazard and
        hazard-weighted covariate sums of the row's (stratum, time), for an event or a
        censoring (``hazards``); its dfbeta is ``w · residual · var``.

        Parameters
        ----------
        roles
            The time, event and (optional) weight columns.
        strata
            The stratum columns ``hazards`` is keyed by, with its ``__time``.
        covariates
            The design columns, in the order of ``beta``.
        beta, var
            The coefficients and the inverse information, on the design's scale.
        hazards
            One row per (stratum, exit time): the ``strata`` columns, ``__time``, ``__hc``
            and ``__he`` (H of a censored row and of an event), and per covariate ``j``
            ``__hmc{j}``, ``__hme{j}`` (HM) and ``__m{j}`` (the deaths' mean m).
        cluster
            Sum the dfbeta within the values of this column first; None: each row alone.

        Returns
        -------
        numpy.ndarray
            The p × p matrix of summed cross-products, the robust variance.
        """
        ...
