"""Apache Spark engine: validation and risk tables computed by Spark, estimators in numpy.

Kaplan–Meier, Nelson–Aalen, the log-rank family, Aalen–Johansen cumulative incidence and
Gray's test need only the risk table: counts per (stratum, group, time[, cause]). On this
engine Spark runs the input checks and that GROUP BY where the data lives; only the
aggregated table (one row per distinct key, typically thousands) comes back to the driver,
and the same numpy estimators as on the polars engine run on it. Pass a Spark DataFrame
wherever survstat takes data, or read Parquet with :func:`read_parquet`.

Results equal the polars engine's on Parquet input bit for bit: counts are integer sums, and
weights are summed exactly as integer limbs (:mod:`survstat._exact`) on both engines.

Nothing here assumes local mode: the session comes from :func:`session` (an existing one,
``spark-submit``'s settings, a master URL, or a Spark Connect ``sc://`` address), only the
DataFrame API is used (no RDDs, no SparkContext), and results come back as Arrow.

A Cox model runs here too: its design columns are Spark column expressions, each Newton step
is one GROUP BY (stratum, time) of per-time sums (:meth:`SparkEngine.cox_sums`) and the robust
variance one more pass over the rows with the small per-time hazard table broadcast to them
(:meth:`SparkEngine.cox_dfbeta`). Fine–Gray regression, the concordance and whatever else needs
the rows themselves raise :class:`~survstat.errors.EngineError`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import polars as pl

from survstat import _exact
from survstat.engines._counts import cox_arrays, from_counts, sorted_keys, symmetric
from survstat.engines._protocol import Check, Counts, CoxSums, DesignColumn, Engine, Roles
from survstat.errors import EngineError, InputFormatError
from survstat.io import check_parquet_path


def _functions() -> Any:
    try:
        from pyspark.sql import functions
    except ImportError:
        raise EngineError(
            "the Spark engine needs pyspark (and Java 17 or later): pip install 'survstat[spark]'"
        ) from None
    return functions


def session(master: str | None = None) -> Any:
    """The Spark session to run on.

    Parameters
    ----------
    master
        None: the active session if there is one, else a new one configured by its
        environment (``spark-submit --master ...``, ``spark-defaults.conf``,
        ``PYSPARK_SUBMIT_ARGS``, or ``SPARK_REMOTE`` for Spark Connect; plain ``python``
        with none of these runs Spark locally). ``"sc://host:15002"``: a Spark Connect
        server. Anything else is a master URL: ``spark://host:7077``, ``yarn``,
        ``k8s://https://...``, ``local[4]``.

    Returns
    -------
    pyspark.sql.SparkSession
        The session.

    Raises
    ------
    EngineError
        When pyspark is not installed.
    """
    _functions()
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("survstat")
    if master is None:
        active = SparkSession.getActiveSession()
        if active is not None:
            return active
    elif master.startswith("sc://"):
        builder = builder.remote(master)
    else:
        builder = builder.master(master)
    return builder.getOrCreate()


def read_parquet(path: str | os.PathLike[str], spark: Any = None) -> Any:
    """Open Parquet data as a Spark DataFrame: a file, a directory (Hive partitions become
    columns) or a glob, on the local disk or any filesystem Spark reads (``hdfs://``,
    ``s3a://``, ``abfss://``, ...).

    Local paths are checked first (they exist and hold Parquet) so that mistakes give the same
    messages as on the polars engine. On a cluster, a local path must be visible to every
    executor (a shared mount); otherwise use the cluster's filesystem URL.

    Parameters
    ----------
    path
        The Parquet file, directory or glob, or a URL Spark reads.
    spark
        The session to read with; default: :func:`session` ``()``.

    Returns
    -------
    pyspark.sql.DataFrame
        The data, read lazily by Spark.

    Raises
    ------
    InputFormatError
        When a local path is not Parquet data, or Spark cannot read it.
    """
    raw = os.fspath(path)
    if "://" not in raw:
        check_parquet_path(raw)
        raw = os.path.abspath(raw)
    spark = session() if spark is None else spark
    try:
        return spark.read.parquet(raw)
    except Exception as exc:  # Spark raises its own exception types, by JVM class
        raise InputFormatError(f"Spark cannot read `{path}` as Parquet: {exc}") from None


def from_native(frame: Any) -> Engine:
    """The Spark engine over the Spark DataFrame ``frame``.

    :func:`survstat.engines.bind` calls it for a frame whose type comes from ``pyspark.sql``.

    Parameters
    ----------
    frame
        A Spark DataFrame (classic or Spark Connect).

    Returns
    -------
    Engine
        A :class:`SparkEngine` over ``frame``; nothing is read yet.
    """
    return SparkEngine(frame)


def open_input(path: str | os.PathLike[str], master: str | None = None) -> Any:
    """:func:`read_parquet` on the session of ``master`` (see :func:`session`).

    Parameters
    ----------
    path
        The Parquet file, directory or glob, or a URL of a filesystem Spark reads.
    master
        The master URL or Spark Connect ``sc://`` address; None: the active session, or
        one configured by the environment.

    Returns
    -------
    pyspark.sql.DataFrame
        The data, read lazily by Spark.

    Raises
    ------
    EngineError
        When pyspark is not installed.
    InputFormatError
        When a local path is not Parquet data, or Spark cannot read it.
    """
    return read_parquet(path, session(master))


def _col(name: str) -> Any:
    # backticks, so that names with dots or spaces are taken literally
    return _functions().col("`" + name.replace("`", "``") + "`")


def _violation(check: Check) -> Any:
    """Spark's phrasing of :func:`survstat.engines.polars.polars_violation`."""
    F = _functions()
    col = _col(check.column)
    match check.kind:
        case "missing":
            return col.isNull()
        case "nan":
            return F.isnan(col)
        case "infinite":
            return F.abs(col) == F.lit(float("inf"))
        case "negative":
            return col < 0
        case "not01":
            return F.coalesce((col != 0) & (col != 1), F.lit(False))
        case "not_below" if check.other is not None:
            return col >= _col(check.other)
    raise AssertionError(check.kind)  # pragma: no cover - the kinds are fixed in Check


def _from_arrow(table: Any) -> pl.DataFrame:
    # from_arrow is typed DataFrame | Series whatever its input; a pyarrow Table gives a DataFrame
    return cast(pl.DataFrame, pl.from_arrow(table))


def _to_polars(frame: Any) -> pl.DataFrame:
    return _from_arrow(frame.toArrow())


class SparkEngine:
    """The :class:`~survstat.engines.Engine` queries, run by Spark on a Spark DataFrame.

    Spark rows have no stable order, so error messages give the offending values and counts
    but no row positions. Only the aggregated tables come back to the driver: analyses that
    need the rows themselves (Fine–Gray, the concordance) are refused.

    Parameters
    ----------
    frame
        A Spark DataFrame.
    """

    name = "spark"
    lazy = True
    row_level = False

    def __init__(self, frame: Any) -> None:
        self.frame = frame

    def schema(self) -> pl.Schema:
        """See :meth:`Engine.schema`: translated through Arrow; a Spark type with no Arrow
        equivalent makes Spark return an empty batch instead."""
        from pyspark.sql.pandas.types import to_arrow_schema

        try:
            arrow = to_arrow_schema(self.frame.schema)
        except Exception:  # a Spark type with no Arrow equivalent: ask Spark for an empty batch
            return _to_polars(self.frame.limit(0)).schema
        return _from_arrow(arrow.empty_table()).schema

    def count(self, checks: Sequence[Check]) -> tuple[int, list[int]]:
        """See :meth:`Engine.count`: one Spark job."""
        F = _functions()
        exprs = [F.count(F.lit(1)).alias("__n")]
        exprs += [
            F.sum(F.when(_violation(c), 1).otherwise(0)).alias(f"__c{i}")
            for i, c in enumerate(checks)
        ]
        row = _to_polars(self.frame.agg(*exprs)).row(0)
        return int(row[0]), [int(c or 0) for c in row[1:]]

    def examples(self, check: Check, limit: int) -> tuple[int | None, pl.Series]:
        """See :meth:`Engine.examples`: no row position, as Spark rows have no order."""
        bad = self.frame.filter(_violation(check)).select(_col(check.column).alias("__v"))
        return None, _to_polars(bad.limit(limit)).get_column("__v")

    def level_counts(self, col: str) -> pl.DataFrame:
        """See :meth:`Engine.level_counts`."""
        counts = _to_polars(self.frame.groupBy(_col(col)).count())
        return counts.rename({"count": "len"}).sort(col)

    def distinct(self, col: str) -> list[Any]:
        """See :meth:`Engine.distinct`."""
        return _to_polars(self.frame.select(_col(col)).distinct()).get_column(col).to_list()

    def weight_totals(self, col: str, groups: Sequence[str]) -> pl.DataFrame:
        """See :meth:`Engine.weight_totals`: one Spark job."""
        F = _functions()
        w = _col(col).cast("double")
        counts = [
            F.count(F.lit(1)).cast("long").alias("__rows"),
            F.sum(F.when(_col(col) > 0, 1).otherwise(0)).cast("long").alias("__positive"),
            F.sum(w).alias("__sum"),
            F.sum(w * w).alias("__sum2"),
            F.max(w).alias("__max"),
        ]
        frame = self.frame.groupBy(*[_col(g) for g in groups]) if groups else self.frame
        return _to_polars(frame.agg(*counts))

    def with_cause_codes(
        self, cause: str, dtype: pl.DataType, censor: Any, levels: tuple[Any, ...]
    ) -> SparkEngine:
        """See :meth:`Engine.with_cause_codes`: the codes are added to the Spark plan."""
        F = _functions()
        if dtype.is_integer():
            value, key = _col(cause).cast("long"), int
        else:
            value, key = _col(cause).cast("string"), str
        code = F.when(value == F.lit(key(censor)), F.lit(0))
        for k, level in enumerate(levels, start=1):
            code = code.when(value == F.lit(key(level)), F.lit(k))
        # every value was checked against the levels before this point
        code = code.cast("int")
        coded = self.frame.withColumns({"__event": (code != 0).cast("byte"), "__cause": code})
        return SparkEngine(coded)

    def risk_counts(self, roles: Roles) -> Counts:
        """See :meth:`Engine.risk_counts`: grouped by Spark, weighted sums exact."""
        return _risk_counts(self.frame, roles)

    def record_keys(self, roles: Roles, scale: float | None) -> pl.DataFrame:
        """See :meth:`Engine.record_keys`: grouped by Spark, in sorted order."""
        return _record_keys(self.frame, roles, scale)

    def cox_sums(
        self, roles: Roles, strata: Sequence[str], covariates: Sequence[str], beta: np.ndarray
    ) -> CoxSums:
        """See :meth:`Engine.cox_sums`: one Spark GROUP BY (stratum, time)."""
        return _cox_sums(self.frame, roles, strata, covariates, beta)

    def with_design(
        self,
        columns: Sequence[DesignColumn],
        *,
        positive: str | None = None,
        strata: Sequence[str] = (),
        centres: pl.DataFrame | None = None,
    ) -> SparkEngine:
        """See :meth:`Engine.with_design`: column expressions added to the Spark plan, the
        centres of the strata broadcast to the rows."""
        F = _functions()
        frame = self.frame
        if positive is not None:
            frame = frame.filter(_col(positive) > 0)
        frame = frame.withColumns({c.name: _design_column(c) for c in columns})
        if centres is None:
            return SparkEngine(frame)
        names = [c.name for c in columns]
        if not strata:
            row = centres.row(0, named=True)
            return SparkEngine(
                frame.withColumns({n: _col(n) - F.lit(float(row[n])) for n in names})
            )
        offsets = centres.select(*strata, *(pl.col(n).alias(f"__centre_{n}") for n in names))
        frame = frame.join(F.broadcast(_small_frame(frame, offsets, strata)), on=list(strata))
        frame = frame.withColumns({n: _col(n) - _col(f"__centre_{n}") for n in names})
        return SparkEngine(frame.drop(*[f"__centre_{n}" for n in names]))

    def design_moments(
        self, roles: Roles, strata: Sequence[str], columns: Sequence[str]
    ) -> pl.DataFrame:
        """See :meth:`Engine.design_moments`: one Spark job."""
        F = _functions()
        w = _col(roles.weight).cast("double") if roles.weight else F.lit(1.0)
        aggs = [
            F.count(F.lit(1)).cast("long").alias("__rows"),
            F.sum(_col(roles.event).cast("long")).cast("long").alias("__events"),
            F.sum((w != F.round(w, 0)).cast("long")).cast("long").alias("__fractional"),
            F.sum(w).alias("__w"),
        ]
        for j, name in enumerate(columns):
            x = _col(name).cast("double")
            aggs += [F.sum(w * x).alias(f"__sum{j}"), F.sum(w * F.abs(x)).alias(f"__abs{j}")]
            aggs += [F.min(x).alias(f"__min{j}"), F.max(x).alias(f"__max{j}")]
        frame = self.frame.groupBy(*[_col(s) for s in strata]) if strata else self.frame
        return _to_polars(frame.agg(*aggs))

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
        """See :meth:`Engine.cox_dfbeta`: ``hazards`` broadcast to the rows, the dfbeta
        formed as column expressions, summed per cluster (a GROUP BY) and multiplied out in
        one more aggregation."""
        return _cox_dfbeta(self.frame, roles, strata, covariates, beta, var, hazards, cluster)


def _design_column(column: DesignColumn) -> Any:
    """Spark's phrasing of :class:`DesignColumn`."""
    F = _functions()
    source = _col(column.source)
    if column.level is None:
        raw = source.cast("double")
    else:
        raw = (source.cast("string") == F.lit(column.level)).cast("double")
    return (raw / F.lit(column.divisor) - F.lit(column.shift)) * F.lit(column.factor)


def _small_frame(frame: Any, table: pl.DataFrame, keys: Sequence[str]) -> Any:
    """The small driver-side ``table`` as a Spark DataFrame on ``frame``'s session, its
    ``keys`` cast to ``frame``'s types so that the two join."""
    small = frame.sparkSession.createDataFrame(table.to_arrow(compat_level=pl.CompatLevel.oldest()))
    return small.withColumns({k: _col(k).cast(frame.schema[k].dataType) for k in keys})


def _linear(values: Sequence[float], x: Sequence[Any]) -> Any:
    """sum(values[j] * x[j]) as a Spark column."""
    F = _functions()
    total = F.lit(0.0)
    for b, xj in zip(values, x, strict=True):
        total = total + F.lit(float(b)) * xj
    return total


def _cox_sums(
    frame: Any, roles: Roles, strata: Sequence[str], covariates: Sequence[str], beta: np.ndarray
) -> CoxSums:
    """The sums of :class:`CoxSums` by one Spark GROUP BY (the aggregations of
    :func:`survstat.engines.polars.cox_sums`)."""
    F = _functions()
    p = len(covariates)
    xs = [f"__x{j}" for j in range(p)]
    w = _col(roles.weight).cast("double") if roles.weight else F.lit(1.0)
    prepared = frame.select(
        *[_col(s) for s in strata],
        _col(roles.time).cast("double").alias("__time"),
        _col(roles.event).cast("double").alias("__d"),
        w.alias("__w"),
        *[_col(c).cast("double").alias(x) for c, x in zip(covariates, xs, strict=True)],
    )
    x = [F.col(n) for n in xs]
    prepared = prepared.withColumn("__eta", _linear(beta.tolist(), x))
    prepared = prepared.withColumn("__r", F.col("__w") * F.exp(F.col("__eta")))
    d, r, wt, eta = F.col("__d"), F.col("__r"), F.col("__w"), F.col("__eta")
    sums = [F.sum(d).alias("n_event"), F.sum(wt * d).alias("w_event")]
    sums += [F.sum(wt * d * eta).alias("w_eta_event"), F.sum(r).alias("s0")]
    sums.append(F.sum(r * d).alias("d0"))
    for j, xj in enumerate(x):
        sums += [F.sum(wt * d * xj).alias(f"wx_{j}"), F.sum(r * xj).alias(f"s1_{j}")]
        sums.append(F.sum(r * d * xj).alias(f"d1_{j}"))
        for k in range(j, p):
            sums.append(F.sum(r * xj * x[k]).alias(f"s2_{j}_{k}"))
            sums.append(F.sum(r * d * xj * x[k]).alias(f"d2_{j}_{k}"))
    grouped = prepared.groupBy(*[_col(s) for s in strata], F.col("__time")).agg(*sums)
    agg = _to_polars(grouped).sort([*strata, "__time"], descending=[*[False] * len(strata), True])
    return cox_arrays(agg, list(strata), p)


def _cox_dfbeta(
    frame: Any,
    roles: Roles,
    strata: Sequence[str],
    covariates: Sequence[str],
    beta: np.ndarray,
    var: np.ndarray,
    hazards: pl.DataFrame,
    cluster: str | None,
) -> np.ndarray:
    """The dfbeta cross-products of :meth:`Engine.cox_dfbeta`, by Spark."""
    F = _functions()
    p = len(covariates)
    keys = [*strata, "__time"]
    rows = frame.withColumn("__time", _col(roles.time).cast("double"))
    rows = rows.join(F.broadcast(_small_frame(rows, hazards, keys)), on=keys, how="left")
    d = _col(roles.event).cast("double")
    w = _col(roles.weight).cast("double") if roles.weight else F.lit(1.0)
    x = [_col(c).cast("double") for c in covariates]
    risk = F.exp(_linear(beta.tolist(), x))
    event = d > 0
    hazard = F.when(event, F.col("__he")).otherwise(F.col("__hc"))
    resid = []
    for j, xj in enumerate(x):
        mean = F.when(event, F.col(f"__hme{j}")).otherwise(F.col(f"__hmc{j}"))
        resid.append(d * (xj - F.col(f"__m{j}")) - risk * (xj * hazard - mean))
    dfbeta = [(w * _linear(var[:, k].tolist(), resid)).alias(f"__b{k}") for k in range(p)]
    rows = rows.select(*([_col(cluster)] if cluster else []), *dfbeta)
    if cluster is not None:
        rows = rows.groupBy(_col(cluster)).agg(
            *[F.sum(f"__b{k}").alias(f"__b{k}") for k in range(p)]
        )
    products = [
        F.sum(F.col(f"__b{j}") * F.col(f"__b{k}")).alias(f"__p{j}_{k}")
        for j in range(p)
        for k in range(j, p)
    ]
    return symmetric(_to_polars(rows.agg(*products)).row(0), p)


def _scale(frame: Any, data: Roles) -> float | None:
    """:func:`survstat.engines.polars.weight_scale`, by Spark."""
    if data.weight is None:
        return None
    F = _functions()
    top = frame.agg(F.max(_col(data.weight).cast("double")).alias("m"))
    return _exact.scale_for(_to_polars(top).item())


def _exact_sums(name: str, value: Any, where: Any = None) -> list[Any]:
    """Spark's phrasing of :func:`survstat._exact.polars_sums`."""
    F = _functions()
    out = []
    limbs = _exact.split(value, lambda e: F.floor(e).cast("double"))
    for column, limb in zip(_exact.names(name), limbs, strict=True):
        if where is not None:
            limb = F.when(where, limb).otherwise(F.lit(0.0))
        out.append(F.sum(limb.cast("long")).alias(column))
    return out


def _risk_counts(frame: Any, data: Roles) -> Counts:
    """The risk table's counts of the Spark DataFrame ``frame``, by Spark."""
    F = _functions()
    groups = [_col(g) for g in data.groups]
    scale = _scale(frame, data)
    # + 0.0 folds -0.0 into 0.0 so that equal times fall in one group
    time = (_col(data.time).cast("double") + F.lit(0.0)).alias("time")
    event = _col(data.event).cast("boolean")
    sums: list[Any] = []
    if scale is None:
        for k in range(1, len(data.causes) + 1):
            sums.append(F.sum((_col("__cause") == k).cast("long")).alias(f"__c{k}"))
        sums += [F.sum(event.cast("long")).alias("n_event"), F.count(F.lit(1)).alias("n_exit")]
    else:
        assert data.weight is not None  # _scale() gives a scale only with weights
        w = _col(data.weight)
        scaled = w.cast("double") * F.lit(scale)
        for k in range(1, len(data.causes) + 1):
            sums += _exact_sums(f"__c{k}", scaled, _col("__cause") == k)
        sums += _exact_sums("n_event", scaled, event)
        sums += _exact_sums("n_exit", scaled)
        sums.append(F.sum((w != F.round(w, 0)).cast("long")).alias("n_fractional"))
    sums.append(F.count(F.lit(1)).alias("n_exit_records"))
    exits = _to_polars(frame.groupBy(*groups, time).agg(*sums))
    entries = None
    if data.entry is not None:
        start = (_col(data.entry).cast("double") + F.lit(0.0)).alias("time")
        if scale is None:
            n_entry = [F.count(F.lit(1)).alias("n_entry")]
        else:
            assert data.weight is not None  # as above
            n_entry = _exact_sums("n_entry", _col(data.weight).cast("double") * F.lit(scale))
        entries = _to_polars(frame.groupBy(*groups, start).agg(*n_entry))
    return from_counts(exits, entries, data, scale)


def _record_keys(frame: Any, data: Roles, scale: float | None) -> pl.DataFrame:
    """The record keys of :meth:`survstat.engines.Engine.record_keys`, grouped by Spark."""
    F = _functions()
    keys = [_col(g) for g in data.groups]
    keys.append((_col(data.time).cast("double") + F.lit(0.0)).alias("time"))
    keys.append(_col(data.event).cast("double").alias("__d"))
    if data.entry is not None:
        keys.append(_col(data.entry).cast("double").alias("__e"))
    if data.causes:
        keys.append(_col("__cause"))
    if scale is None:
        scale = _scale(frame, data)
    if scale is None:
        w2 = [F.count(F.lit(1)).cast("double").alias("__w2")]
    else:
        # a scale comes from the weights (the risk table's, or _scale()'s)
        assert data.weight is not None
        scaled = _col(data.weight).cast("double") * F.lit(scale)
        w2 = _exact_sums("__w2", scaled * scaled)
    grouped = _to_polars(frame.groupBy(*keys).agg(*w2))
    return sorted_keys(grouped if scale is None else _exact.combine(grouped, scale * scale))
