"""The polars engine: rows in a polars LazyFrame, in memory or streamed from Parquet.

In-memory frames are collected once per query and aggregated by whichever of two GROUP BYs
suits them: polars hashes the rows when there are few distinct (group, time) keys, and with
many small groups (or case weights) packed integer keys are sorted instead
(:mod:`survstat.engines._sorted`). Parquet paths and LazyFrames (``lazy``) are never collected:
every query runs on polars' streaming engine straight from the scan, so memory holds the
distinct keys, never the rows, and weights are summed exactly (:mod:`survstat._exact`) so that
the sums do not depend on the order in which the engine's threads meet the rows.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from survstat import _exact
from survstat.engines._counts import cox_arrays, from_counts, sorted_keys, symmetric
from survstat.engines._protocol import Check, Counts, CoxSums, DesignColumn, Roles
from survstat.engines._sorted import aggregate_sorted, many_groups


def polars_violation(check: Check) -> pl.Expr:
    """True on the rows that break ``check`` (a polars expression).

    Parameters
    ----------
    check
        The rule.

    Returns
    -------
    pl.Expr
        A boolean expression over the frame's columns.
    """
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
    raise AssertionError(check.kind)  # pragma: no cover - the kinds are fixed in Check


def _cause_codes(
    cause: str, dtype: pl.DataType, censor: Any, levels: tuple[Any, ...]
) -> list[pl.Expr]:
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


def open_input(path: str | os.PathLike[str], master: str | None = None) -> str | os.PathLike[str]:
    """The path itself: the polars engine scans it when the data is bound.

    Parameters
    ----------
    path
        A Parquet file, directory or glob.
    master
        Ignored: the polars engine runs in this process.

    Returns
    -------
    str or os.PathLike
        ``path``, unchanged; :func:`survstat.engines.bind` checks and scans it.
    """
    del master
    return path


class PolarsEngine:
    """The :class:`~survstat.engines.Engine` queries, run by polars.

    Parameters
    ----------
    frame
        The rows.
    lazy
        The frame is a Parquet scan or a lazy query: never collect its rows, stream every
        query (risk tables, record keys). Otherwise the frame holds data already in memory.
    """

    name = "polars"
    row_level = True

    def __init__(self, frame: pl.LazyFrame, *, lazy: bool = False) -> None:
        self.frame = frame
        self.lazy = lazy

    def schema(self) -> pl.Schema:
        """See :meth:`Engine.schema`: the LazyFrame's schema, read from its plan."""
        return self.frame.collect_schema()

    def count(self, checks: Sequence[Check]) -> tuple[int, list[int]]:
        """See :meth:`Engine.count`: one streaming pass."""
        exprs = [pl.len().alias("__n")]
        exprs += [polars_violation(c).sum().alias(f"__c{i}") for i, c in enumerate(checks)]
        counts = self.frame.select(exprs).collect(engine="streaming").row(0)
        return int(counts[0]), [int(c or 0) for c in counts[1:]]

    def examples(self, check: Check, limit: int) -> tuple[int | None, pl.Series]:
        """See :meth:`Engine.examples`: positions and values in the frame's row order."""
        rows = (
            self.frame.with_row_index("__row")
            .filter(polars_violation(check))
            .select("__row", pl.col(check.column).alias("__v"))
            .head(limit)
            .collect()
        )
        return rows.item(0, "__row"), rows.get_column("__v")

    def level_counts(self, col: str) -> pl.DataFrame:
        """See :meth:`Engine.level_counts`."""
        return self.frame.group_by(col).len().collect(engine="streaming").sort(col)

    def distinct(self, col: str) -> list[Any]:
        """See :meth:`Engine.distinct`."""
        unique = self.frame.select(pl.col(col).unique()).collect(engine="streaming")
        return unique.get_column(col).to_list()

    def weight_totals(self, col: str, groups: Sequence[str]) -> pl.DataFrame:
        """See :meth:`Engine.weight_totals`: one streaming GROUP BY."""
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
    ) -> PolarsEngine:
        """See :meth:`Engine.with_cause_codes`: the codes are added to the lazy query."""
        coded = self.frame.with_columns(_cause_codes(cause, dtype, censor, levels))
        return PolarsEngine(coded, lazy=self.lazy)

    def risk_counts(self, roles: Roles) -> Counts:
        """See :meth:`Engine.risk_counts`: by the GROUP BY that suits the data.

        ``lazy`` frames are streamed by a hashed GROUP BY with exact weighted sums
        (:func:`aggregate_hashed`). In memory, weights or many groups take the sorted GROUP
        BY (:func:`survstat.engines._sorted.aggregate_sorted`, which sums in an order fixed
        by the input), few groups the hashed one.
        """
        if self.lazy:
            # Parquet on disk (or a lazy query over it) may be larger than memory: stream it
            return aggregate_hashed(self.frame, roles, streaming=True)
        groups = list(roles.groups)
        cols = [c for c in (roles.time, roles.event, roles.entry, roles.weight) if c is not None]
        cols += ["__cause"] if roles.causes else []
        frame = self.frame.select(*groups, *cols).collect()
        # Many groups give nearly as many distinct (group, time) keys as rows; a hash table that
        # large thrashes the cache, and sorting the records is faster. Weighted sums also take
        # the sorted path, whose summation order depends only on the input, never on thread
        # timing.
        if roles.weight is not None or (groups and many_groups(frame, groups)):
            return aggregate_sorted(frame, roles)
        return aggregate_hashed(frame.lazy(), roles)

    def record_keys(self, roles: Roles, scale: float | None) -> pl.DataFrame:
        """See :meth:`Engine.record_keys`: one key per record in memory, grouped on the
        streaming engine (memory grows with the distinct keys, not the rows) when ``lazy``."""
        f64 = pl.Float64
        # + 0.0 folds -0.0 into 0.0, as in the risk table these keys are joined to
        keys = [*roles.groups, (pl.col(roles.time).cast(f64) + 0.0).alias("time")]
        keys.append(pl.col(roles.event).cast(f64).alias("__d"))
        if roles.entry is not None:
            keys.append(pl.col(roles.entry).cast(f64).alias("__e"))
        if roles.causes:
            keys.append(pl.col("__cause"))
        if not self.lazy:
            w2 = pl.col(roles.weight).cast(f64).pow(2) if roles.weight else pl.lit(1.0)
            return self.frame.select(*keys, w2.alias("__w2")).collect()
        if scale is None:
            scale = weight_scale(self.frame, roles)
        if scale is None:
            w2 = [pl.len().cast(f64).alias("__w2")]
        else:
            # a scale comes from the weights (the risk table's, or weight_scale()'s)
            assert roles.weight is not None
            scaled = pl.col(roles.weight).cast(f64) * scale
            w2 = _exact.polars_sums("__w2", scaled * scaled)
        grouped = self.frame.group_by(keys).agg(w2).collect(engine="streaming")
        return sorted_keys(grouped if scale is None else _exact.combine(grouped, scale * scale))

    def cox_sums(
        self, roles: Roles, strata: Sequence[str], covariates: Sequence[str], beta: np.ndarray
    ) -> CoxSums:
        """See :meth:`Engine.cox_sums`: one polars GROUP BY (:func:`cox_sums`), streamed
        when ``lazy``."""
        return cox_sums(self.frame, roles, strata, covariates, beta, streaming=self.lazy)

    def with_design(
        self,
        columns: Sequence[DesignColumn],
        *,
        positive: str | None = None,
        strata: Sequence[str] = (),
        centres: pl.DataFrame | None = None,
    ) -> PolarsEngine:
        """See :meth:`Engine.with_design`: the columns are added to the lazy query."""
        frame = self.frame
        if positive is not None:
            frame = frame.filter(pl.col(positive) > 0)
        frame = frame.with_columns(_design_column(c) for c in columns)
        if centres is not None:
            names = [c.name for c in columns]
            offsets = centres.select(*strata, *(pl.col(n).alias(f"__centre_{n}") for n in names))
            if strata:
                frame = frame.join(offsets.lazy(), on=list(strata), how="left")
            else:
                frame = frame.join(offsets.lazy(), how="cross")
            frame = frame.with_columns(pl.col(n) - pl.col(f"__centre_{n}") for n in names)
            frame = frame.drop(f"__centre_{n}" for n in names)
        return PolarsEngine(frame, lazy=self.lazy)

    def design_moments(
        self, roles: Roles, strata: Sequence[str], columns: Sequence[str]
    ) -> pl.DataFrame:
        """See :meth:`Engine.design_moments`: one GROUP BY, streamed when ``lazy``."""
        f64 = pl.Float64
        w = pl.col(roles.weight).cast(f64) if roles.weight else pl.lit(1.0)
        aggs = [
            pl.len().cast(pl.Int64).alias("__rows"),
            pl.col(roles.event).cast(pl.Int64).sum().alias("__events"),
            (w != w.round(0)).sum().cast(pl.Int64).alias("__fractional"),
            # a literal weight sums to itself, not once per row
            (w.sum() if roles.weight else pl.len().cast(f64)).alias("__w"),
        ]
        for j, name in enumerate(columns):
            x = pl.col(name).cast(f64)
            aggs += [(w * x).sum().alias(f"__sum{j}"), (w * x.abs()).sum().alias(f"__abs{j}")]
            aggs += [x.min().alias(f"__min{j}"), x.max().alias(f"__max{j}")]
        engine = "streaming" if self.lazy else "auto"
        if not strata:
            return self.frame.select(aggs).collect(engine=engine)
        return self.frame.group_by(list(strata)).agg(aggs).collect(engine=engine)

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
        """See :meth:`Engine.cox_dfbeta`: ``hazards`` joined to the rows, then one
        aggregation (a GROUP BY cluster first with clusters)."""
        f64 = pl.Float64
        keys = [*strata, "__time"]
        frame = self.frame.with_columns(pl.col(roles.time).cast(f64).alias("__time"))
        frame = frame.join(hazards.lazy(), on=keys, how="left")
        d = pl.col(roles.event).cast(f64)
        w = pl.col(roles.weight).cast(f64) if roles.weight else pl.lit(1.0)
        x = [pl.col(c).cast(f64) for c in covariates]
        eta = pl.lit(0.0)
        for b, xj in zip(beta.tolist(), x, strict=True):
            eta = eta + b * xj
        risk = eta.exp()
        hazard = pl.when(d > 0).then(pl.col("__he")).otherwise(pl.col("__hc"))
        resid = []
        for j, xj in enumerate(x):
            mean = pl.when(d > 0).then(pl.col(f"__hme{j}")).otherwise(pl.col(f"__hmc{j}"))
            resid.append(d * (xj - pl.col(f"__m{j}")) - risk * (xj * hazard - mean))
        p = len(covariates)
        dfbeta = []
        for k in range(p):
            total = pl.lit(0.0)
            for j in range(p):
                total = total + resid[j] * float(var[j, k])
            dfbeta.append((w * total).alias(f"__b{k}"))
        frame = frame.select(*([pl.col(cluster)] if cluster else []), *dfbeta)
        if cluster is not None:
            frame = frame.group_by(cluster).agg(pl.col(f"__b{k}").sum() for k in range(p))
        products = [
            (pl.col(f"__b{j}") * pl.col(f"__b{k}")).sum().alias(f"__p{j}_{k}")
            for j in range(p)
            for k in range(j, p)
        ]
        row = frame.select(products).collect(engine="streaming" if self.lazy else "auto").row(0)
        return symmetric(row, p)


def _design_column(column: DesignColumn) -> pl.Expr:
    """The polars expression of one :class:`DesignColumn`."""
    source = pl.col(column.source)
    if column.level is None:
        raw = source.cast(pl.Float64)
    else:
        raw = (source.cast(pl.String) == column.level).cast(pl.Float64)
    return ((raw / column.divisor - column.shift) * column.factor).alias(column.name)


def aggregate_hashed(frame: pl.LazyFrame, data: Roles, *, streaming: bool = False) -> Counts:
    """polars GROUP BY (group, time) then ORDER BY: best when there are few distinct keys.

    With ``streaming`` the plan runs on polars' streaming engine straight from the Parquet
    scan, so memory holds the distinct keys, never the rows. Weights are summed exactly
    (:mod:`survstat._exact`), so the sums do not depend on the order in which the engine's
    threads meet the rows.

    Parameters
    ----------
    frame
        The rows (with ``__cause`` when ``data`` has causes).
    data
        The column roles, as in :meth:`Engine.risk_counts`.
    streaming
        Run on polars' streaming engine (for Parquet scans and lazy queries); False: the
        default engine, for a frame already in memory.

    Returns
    -------
    Counts
        One row per (curve, distinct time), sorted by curve then time; ``weight_scale`` is
        the scale of the exact sums (None unweighted).
    """
    scale = weight_scale(frame, data)
    groups = list(data.groups)
    f64 = pl.Float64
    # + 0.0 folds -0.0 into 0.0 so that equal times fall in one group
    exits = frame.group_by([*groups, (pl.col(data.time).cast(f64) + 0.0).alias("time")])
    event = pl.col(data.event).cast(pl.Boolean)
    sums: list[pl.Expr] = []
    if scale is None:
        for k in range(1, len(data.causes) + 1):
            sums.append((pl.col("__cause") == k).cast(f64).sum().alias(f"__c{k}"))
        sums += [event.cast(f64).sum().alias("n_event"), pl.len().cast(f64).alias("n_exit")]
    else:
        assert data.weight is not None  # weight_scale() gives a scale only with weights
        w = pl.col(data.weight)
        scaled = w.cast(f64) * scale
        for k in range(1, len(data.causes) + 1):
            sums += _exact.polars_sums(f"__c{k}", scaled, pl.col("__cause") == k)
        sums += _exact.polars_sums("n_event", scaled, event)
        sums += _exact.polars_sums("n_exit", scaled)
        sums.append((w != w.round(0)).sum().cast(pl.Int64).alias("n_fractional"))
    exits = exits.agg(*sums, n_exit_records=pl.len().cast(pl.Int64))
    engine = "streaming" if streaming else "auto"
    entries = None
    if data.entry is not None:
        entries = frame.group_by([*groups, (pl.col(data.entry).cast(f64) + 0.0).alias("time")])
        if scale is None:
            entries = entries.agg(n_entry=pl.len().cast(f64))
        else:
            assert data.weight is not None  # as above
            entries = entries.agg(_exact.polars_sums("n_entry", pl.col(data.weight) * scale))
        entries = entries.collect(engine=engine)
    return from_counts(exits.collect(engine=engine), entries, data, scale)


def weight_scale(frame: pl.LazyFrame, data: Roles) -> float | None:
    """The power of two that brings the largest weight into (1/2, 1] for exact sums.

    Parameters
    ----------
    frame
        The rows; one streaming pass finds the largest weight.
    data
        The column roles; only ``weight`` is read.

    Returns
    -------
    float or None
        2**-k with 2**(k-1) < largest weight <= 2**k (1.0 when no weight is positive;
        :func:`survstat._exact.scale_for`), or None without weights.
    """
    if data.weight is None:
        return None
    top = frame.select(pl.col(data.weight).cast(pl.Float64).max()).collect(engine="streaming")
    return _exact.scale_for(top.item())


def cox_sums(
    frame: pl.LazyFrame,
    roles: Roles,
    strata: Sequence[str],
    covariates: Sequence[str],
    beta: np.ndarray,
    *,
    streaming: bool = False,
) -> CoxSums:
    """The sums of :class:`CoxSums` by one polars GROUP BY (stratum, time).

    Parameters
    ----------
    frame
        The rows, with the numeric ``covariates`` in the order of ``beta``.
    roles
        The time, event and (optional) weight columns.
    strata
        The stratum columns (may be empty).
    covariates, beta
        The design columns and the coefficients to evaluate the sums at.
    streaming
        Run on polars' streaming engine.

    Returns
    -------
    CoxSums
        One row per (stratum, time), sorted by stratum then decreasing time.
    """
    f64 = pl.Float64
    x = [pl.col(c).cast(f64) for c in covariates]
    eta = pl.lit(0.0)
    for b, xj in zip(beta.tolist(), x, strict=True):
        eta = eta + b * xj
    w = pl.col(roles.weight).cast(f64) if roles.weight else pl.lit(1.0)
    prepared = frame.with_columns(
        pl.col(roles.event).cast(f64).alias("__d"), (w * eta.exp()).alias("__r")
    )
    keys = [*strata, pl.col(roles.time).cast(f64).alias("__time")]
    grouped = prepared.group_by(keys).agg(_cox_aggregations(x, w, eta))
    agg = grouped.collect(engine="streaming" if streaming else "auto").sort(
        [*strata, "__time"], descending=[*[False] * len(strata), True]
    )
    return cox_arrays(agg, list(strata), len(covariates))


def _cox_aggregations(x: list[pl.Expr], w: pl.Expr, eta: pl.Expr) -> list[pl.Expr]:
    """The sums of :class:`CoxSums` as aggregations, given the covariates, weight and xβ (and
    the event ``__d`` and r = w·exp(xβ) ``__r`` columns)."""
    d, r = pl.col("__d"), pl.col("__r")
    sums = [d.sum().alias("n_event"), (w * d).sum().alias("w_event")]
    sums += [(w * d * eta).sum().alias("w_eta_event"), r.sum().alias("s0")]
    sums.append((r * d).sum().alias("d0"))
    for j, xj in enumerate(x):
        sums += [(w * d * xj).sum().alias(f"wx_{j}"), (r * xj).sum().alias(f"s1_{j}")]
        sums.append((r * d * xj).sum().alias(f"d1_{j}"))
        for k in range(j, len(x)):
            sums.append((r * xj * x[k]).sum().alias(f"s2_{j}_{k}"))
            sums.append((r * d * xj * x[k]).sum().alias(f"d2_{j}_{k}"))
    return sums
