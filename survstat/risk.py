"""Risk tables: the sufficient statistics of right-censored, left-truncated data.

A :class:`RiskTable` has one row per curve (a combination of strata and ``by`` levels) and
distinct time. Every estimator in :mod:`survstat.estimators` works from it with vectorised numpy.

Columns of :attr:`RiskTable.table`
----------------------------------
``<strata>, <by>``  the group columns, with their input names and dtypes
``time``            a distinct event, censoring or (with delayed entry) entry time
``n_risk``          (weighted) number at risk just before ``time``: entered before ``time`` and
                    not yet exited
``n_event``         (weighted) number of events at ``time``
``n_censor``        (weighted) number censored at ``time``
``n_entry``         (weighted) number entering at ``time`` (at risk from just after it)

How it is built
---------------
It is a GROUP BY (group, time) + ORDER BY, run one of two ways. With few distinct keys (one or
a few large groups) polars hashes the rows. With many small groups nearly every row is its own
key and a large hash table thrashes the cache; then polars maps each row's group levels and
time to dense integer codes (sorted level order, so codes compare like the values), the codes
are packed into one int64 key, and a single sort of that key followed by run-length sums gives
the counts already ordered by curve and time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NotRequired, TypedDict

import numpy as np
import polars as pl

from survstat import _exact
from survstat._segments import Segments
from survstat.data import SurvivalData

TABLE_COLUMNS = ("time", "n_risk", "n_event", "n_censor", "n_entry")

#: From this many curves on, the risk table is built by sorting packed keys instead of hashing.
_MANY_GROUPS = 64
#: Group codes below this sort with numpy's 16-bit radix sort.
_RADIX_LIMIT = 1 << 16


@dataclass(frozen=True, slots=True)
class RiskTable:
    """Counts per curve and distinct time; see the module docstring for the columns.

    Attributes
    ----------
    groups
        Names of the group columns (strata first, then by).
    keys
        One row per curve with the group columns, in curve order (sorted by level).
    segments
        Row layout: rows ``offsets[i]:offsets[i+1]`` belong to curve ``i``.
    time, n_risk, n_event, n_censor, n_entry
        Float64 arrays, one value per row, sorted by curve then time.
    n_exit_records
        Unweighted number of records leaving at the row's time (0 for entry-only rows).
    n_records
        Per curve: number of input rows.
    weighted, has_entry, integer_weights
        Whether case weights / delayed entry were used and all weights are whole numbers.
    n_event_cause, causes
        Competing risks: (weighted) events per row and cause, one column per cause in
        ``causes`` order; ``n_event`` is their sum.
    weight_scale
        The power of two the weights were scaled by for exact sums (:mod:`survstat._exact`),
        when the table was aggregated out of core; None otherwise.
    """

    groups: tuple[str, ...]
    keys: pl.DataFrame
    segments: Segments
    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    n_entry: np.ndarray
    n_exit_records: np.ndarray
    n_records: np.ndarray
    weighted: bool
    has_entry: bool
    integer_weights: bool
    n_event_cause: np.ndarray | None = None
    causes: tuple = ()
    weight_scale: float | None = None
    _table: list[pl.DataFrame] = field(default_factory=list, repr=False, compare=False)

    @property
    def offsets(self) -> np.ndarray:
        """Curve ``i`` owns rows ``offsets[i]:offsets[i+1]``."""
        return self.segments.offsets

    @property
    def curve(self) -> np.ndarray:
        """Curve index of every row."""
        return self.segments.curve

    @property
    def n_event_by_cause(self) -> np.ndarray:
        """``n_event_cause`` as a (rows, causes) array: no columns when there are no causes."""
        if self.n_event_cause is None:
            return np.zeros((len(self.time), 0))
        return self.n_event_cause

    @property
    def n_curves(self) -> int:
        """Number of curves (group combinations)."""
        return self.segments.n_curves

    @property
    def table(self) -> pl.DataFrame:
        """The risk table as a tidy polars DataFrame (documented columns)."""
        if not self._table:
            body = pl.DataFrame(
                {
                    "time": self.time,
                    "n_risk": self.n_risk,
                    "n_event": self.n_event,
                    "n_censor": self.n_censor,
                    "n_entry": self.n_entry,
                }
            )
            self._table.append(self.expand_keys(body))
        return self._table[0]

    def expand_keys(self, body: pl.DataFrame, curve: np.ndarray | None = None) -> pl.DataFrame:
        """Prefix ``body`` (a row per table row, or per ``curve`` index) with the group columns."""
        if not self.groups:
            return body
        idx = self.curve if curve is None else curve
        keys = self.keys[idx] if len(idx) else self.keys.clear()
        return pl.concat([keys, body], how="horizontal")

    def exits_only(self) -> RiskTable:
        """The rows where records leave (events or censorings): the steps of a survival curve.

        Rows that only hold delayed entries are dropped; the counts of the kept rows are
        unchanged (``n_entry`` is then the number entering at that exact time).
        """
        keep = self.n_exit_records > 0
        if keep.all():
            return self
        counts = np.bincount(self.curve[keep], minlength=self.n_curves)
        return RiskTable(
            groups=self.groups,
            keys=self.keys,
            segments=Segments(np.concatenate([[0], np.cumsum(counts)])),
            time=self.time[keep],
            n_risk=self.n_risk[keep],
            n_event=self.n_event[keep],
            n_censor=self.n_censor[keep],
            n_entry=self.n_entry[keep],
            n_exit_records=self.n_exit_records[keep],
            n_records=self.n_records,
            weighted=self.weighted,
            has_entry=self.has_entry,
            integer_weights=self.integer_weights,
            n_event_cause=None if self.n_event_cause is None else self.n_event_cause[keep],
            causes=self.causes,
            weight_scale=self.weight_scale,
        )

    def curve_labels(self) -> list[str]:
        """A readable label per curve, e.g. ``"horTh=yes"``."""
        if not self.groups:
            return ["all"]
        return [
            ", ".join(f"{k}={v}" for k, v in zip(self.groups, row, strict=True))
            for row in self.keys.iter_rows()
        ]


def _dense_codes(values: pl.DataFrame, levels: pl.DataFrame) -> np.ndarray:
    """Position of each row of ``values`` among the sorted distinct rows ``levels``."""
    cols = values.columns
    coded = values.join(
        levels.with_row_index("__code"),
        on=cols,
        how="left",
        maintain_order="left",
        nulls_equal=True,
    )
    return coded.get_column("__code").to_numpy().astype(np.int64, copy=False)


@dataclass(frozen=True, slots=True)
class _Aggregate:
    """Counts per (curve, time) row, sorted by curve then time, before risk sets are formed."""

    levels: pl.DataFrame
    curve: np.ndarray
    time: np.ndarray
    n_event: np.ndarray
    n_exit: np.ndarray
    n_entry: np.ndarray | None
    n_exit_records: np.ndarray
    n_event_cause: np.ndarray | None = None
    #: Number of records with a weight that is not a whole number.
    n_fractional: int = 0
    #: The weights' scale for exact sums (None: not scaled).
    weight_scale: float | None = None


def _aggregate_hashed(
    frame: pl.LazyFrame, data: SurvivalData, *, streaming: bool = False
) -> _Aggregate:
    """polars GROUP BY (group, time) then ORDER BY: best when there are few distinct keys.

    With ``streaming`` the plan runs on polars' streaming engine straight from the Parquet
    scan, so memory holds the distinct keys, never the rows. Weights are summed exactly
    (:mod:`survstat._exact`), so the sums do not depend on the order in which the engine's
    threads meet the rows.
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


def weight_scale(frame: pl.LazyFrame, data: SurvivalData) -> float | None:
    """The power of two that brings the largest weight into (1/2, 1] for exact sums
    (:mod:`survstat._exact`), or None without weights."""
    if data.weight is None:
        return None
    top = frame.select(pl.col(data.weight).cast(pl.Float64).max()).collect(engine="streaming")
    return _exact.scale_for(top.item())


def from_counts(
    exits: pl.DataFrame, entries: pl.DataFrame | None, data: SurvivalData, scale: float | None
) -> _Aggregate:
    """Order per-(group, time) counts into an :class:`_Aggregate`.

    ``exits`` holds, per group and ``time``, ``n_event``, ``n_exit``, ``n_exit_records``,
    ``__c<k>`` per cause and (weighted) ``n_fractional``; ``entries`` holds ``n_entry`` per group
    and entry time. Weighted sums come as exact integer limbs of the weights scaled by
    ``scale`` (:mod:`survstat._exact`). Any engine that can GROUP BY produces these two small
    tables.
    """
    groups = list(data.groups)
    f64 = pl.Float64
    n_fractional = 0
    if "n_fractional" in exits.columns:
        n_fractional = int(exits.get_column("n_fractional").sum())
        exits = exits.drop("n_fractional")
    agg = exits
    if entries is not None:
        agg = (
            pl.concat([exits, entries], how="diagonal")
            .group_by([*groups, "time"])
            .agg(pl.exclude([*groups, "time"]).sum())
        )
    agg = agg.sort([*groups, "time"])
    if scale is not None:
        agg = _exact.combine(agg, scale)
    if groups:
        changed = pl.any_horizontal([pl.col(c) != pl.col(c).shift(1) for c in groups])
        first = agg.select(changed.fill_null(True)).to_series().to_numpy()
        curve = np.cumsum(first) - 1
        levels = agg.select(groups).filter(pl.Series(first))
    else:
        curve = np.zeros(agg.height, dtype=np.int64)
        levels = pl.DataFrame()
    return _Aggregate(
        levels=levels,
        curve=curve,
        time=agg.get_column("time").to_numpy(),
        n_event=agg.get_column("n_event").cast(f64).to_numpy(),
        n_exit=agg.get_column("n_exit").cast(f64).to_numpy(),
        n_entry=agg.get_column("n_entry").cast(f64).to_numpy() if entries is not None else None,
        n_exit_records=agg.get_column("n_exit_records").cast(pl.Int64).to_numpy(),
        n_event_cause=(
            agg.select(
                [pl.col(f"__c{k}").cast(f64) for k in range(1, len(data.causes) + 1)]
            ).to_numpy()
            if data.causes
            else None
        ),
        n_fractional=n_fractional,
        weight_scale=scale,
    )


def _group_codes(frame: pl.DataFrame, groups: list[str]) -> tuple[np.ndarray, pl.DataFrame]:
    """Integer code per row that sorts like the group levels, and the levels in code order."""
    if not groups:
        return np.zeros(frame.height, dtype=np.int64), pl.DataFrame()
    if len(groups) == 1 and frame.schema[groups[0]].is_integer():
        col = frame.get_column(groups[0])
        lo, hi = col.min(), col.max()
        # ints: the column is integer and holds no missing values (checked by SurvivalData)
        if isinstance(lo, int) and isinstance(hi, int) and hi - lo < _RADIX_LIMIT:
            # the values themselves, shifted: no hashing needed; unused codes are harmless
            return (col.cast(pl.Int64) - lo).to_numpy(), pl.DataFrame()
    levels = frame.select(groups).unique().sort(groups)
    return _dense_codes(frame.select(groups), levels), levels


def _runs_unweighted(
    key: np.ndarray, event: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct keys, record counts and event counts, for 0/1 events without weights.

    The event bit rides in the key's lowest bit, so one sort of plain integers (no argsort and
    no gathers) orders the records and separates events from censorings within each key.
    """
    packed = key << 1
    packed |= event
    packed.sort()
    starts = np.flatnonzero(np.concatenate([[True], packed[1:] != packed[:-1]]))
    sizes = np.diff(np.append(starts, len(packed)))
    head = packed[starts]
    k = head >> 1
    first = np.flatnonzero(np.concatenate([[True], k[1:] != k[:-1]]))
    n_rec = np.add.reduceat(sizes, first)
    n_event = np.add.reduceat(sizes * (head & 1), first)
    return k[first], n_rec, n_event.astype(float)


def _grid_codes(time: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Integer codes for times on a decimal grid (whole days, or 1-3 decimal places).

    Survival times are mostly recorded as whole days or months with one or two decimals. When
    ``round(t * scale) / scale`` gives back every ``t`` exactly, ``round(t * scale)`` is an
    order-preserving, one-to-one integer code for the times, and no ranking is needed.
    """
    if not len(time) or time.max() * 1000 >= 2**52:
        return None
    probe = time[:: max(1, len(time) // 1000)]
    for scale in (1.0, 10.0, 100.0, 1000.0):
        if np.array_equal(np.round(probe * scale) / scale, probe):
            scaled = np.round(time * scale)
            if np.array_equal(scaled / scale, time):
                return scaled.astype(np.int64), scale
            return None
    return None


def _time_codes(
    time: np.ndarray, gcode: np.ndarray
) -> tuple[np.ndarray, int, Callable[[np.ndarray], np.ndarray]]:
    """Integer codes that sort like ``time``, the bits they take in the low end of the packed
    (group, time) key, and the function that maps codes back to times.

    Times on a decimal grid (:func:`_grid_codes`) are coded by their scaled values less the
    smallest, in as few bits as those need; other times (or when the packed key would not fit)
    by their dense ranks (:func:`_time_ranks`), in 32 bits.
    """
    grid = _grid_codes(time)
    if grid is not None:
        rank, scale = grid
        lowest = rank.min()
        rank -= lowest
        shift = max(int(rank.max()).bit_length(), 1)
        # the packed key (and the event bit added later) must fit in a signed 64-bit integer
        if int(gcode.max(initial=0)).bit_length() + shift <= 61:
            return rank, shift, lambda code: (code + lowest) / scale
    rank, utimes = _time_ranks(time)
    return rank, 32, lambda code: utimes[code]


def _time_ranks(time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dense rank of each time (0 = smallest) and the sorted distinct times.

    The distinct times are few next to the rows, so hashing them out (polars ``unique``) and
    looking each row up in that small sorted table is cheaper than sorting all the rows.
    """
    series = pl.Series("t", time)
    distinct = series.unique().sort()
    ranked = series.to_frame().join(
        distinct.to_frame().with_row_index("r"), on="t", how="left", maintain_order="left"
    )
    return ranked.get_column("r").cast(pl.Int64).to_numpy(), distinct.to_numpy()


def _aggregate_sorted(frame: pl.DataFrame, data: SurvivalData) -> _Aggregate:
    """Sort packed (group, time-rank) keys and sum runs: best for many small groups.

    Each record's key is its group code in the high 32 bits and the dense rank of its time in
    the low 32 bits, so one sort of plain integers orders the records by group, then time.
    """
    groups = list(data.groups)
    f64 = pl.Float64
    gcode, levels = _group_codes(frame, groups)
    n = frame.height
    # + 0.0 folds -0.0 into 0.0 so that equal times get one rank
    time = frame.get_column(data.time).cast(f64).to_numpy() + 0.0
    weight = frame.get_column(data.weight).cast(f64).to_numpy() if data.weight else None
    whole = weight is None and data.entry is None and not data.causes
    event = frame.get_column(data.event).cast(pl.Int64 if whole else f64).to_numpy()
    if data.causes:
        # one column for any event, then one per cause
        codes = frame.get_column("__cause").to_numpy()
        onehot = codes[:, None] == np.arange(1, len(data.causes) + 1)
        event = np.column_stack([event, onehot]).astype(float)
    if data.entry is not None:
        # entries are records too: they sort with the exits and are summed separately
        gcode = np.concatenate([gcode, gcode])
        time = np.concatenate([time, frame.get_column(data.entry).cast(f64).to_numpy() + 0.0])
        event = np.concatenate([event, np.zeros_like(event)])
    rank, shift, time_of = _time_codes(time, gcode)
    key = (gcode << shift) | rank
    sums: _Sums
    if whole:
        keys, n_rec, n_event = _runs_unweighted(key, event)
        sums = {
            "n_event": n_event,
            "n_exit": n_rec.astype(float),
            "n_entry": None,
            "n_exit_records": n_rec,
        }
    else:
        order = np.argsort(key)
        ks = key[order]
        starts = np.flatnonzero(np.concatenate([[True], ks[1:] != ks[:-1]]))
        keys = ks[starts]
        sums = _run_sums(order, starts, n, event, weight, data.entry is not None)
        if data.causes:
            sums["n_event_cause"] = sums["n_event"][:, 1:]
            sums["n_event"] = sums["n_event"][:, 0]
    kg = keys >> shift
    code = keys & ((1 << shift) - 1)
    new_curve = np.concatenate([[True], kg[1:] != kg[:-1]])
    if not levels.height and groups:
        # the group codes are the values of an integer column less their minimum
        lo = frame.get_column(groups[0]).min()
        assert isinstance(lo, int)
        levels = pl.DataFrame({groups[0]: kg[new_curve] + lo})
        levels = levels.cast(frame.schema[groups[0]]).select(groups)
    return _Aggregate(
        levels=levels,
        curve=np.cumsum(new_curve) - 1,
        time=time_of(code),
        n_fractional=0 if weight is None else int(np.count_nonzero(weight != np.round(weight))),
        **sums,
    )


class _Sums(TypedDict):
    """Per-run totals of the sorted records: fields of :class:`_Aggregate`."""

    n_event: np.ndarray
    n_exit: np.ndarray
    n_entry: np.ndarray | None
    n_exit_records: np.ndarray
    n_event_cause: NotRequired[np.ndarray]


def _run_sums(
    order: np.ndarray,
    starts: np.ndarray,
    n: int,
    event: np.ndarray,
    weight: np.ndarray | None,
    with_entry: bool,
) -> _Sums:
    """Per-run event, exit and entry totals of records sorted by ``order``."""
    ends = np.append(starts[1:], len(order))
    if weight is None and not with_entry:
        n_rec = ends - starts
        return {
            "n_event": np.add.reduceat(event[order], starts).astype(float),
            "n_exit": n_rec.astype(float),
            "n_entry": None,
            "n_exit_records": n_rec,
        }
    w = np.ones(n) if weight is None else weight
    is_exit = order < n  # records past n are the entry copies
    src = np.where(is_exit, order, order - n)
    ws = w[src]
    exit_w = np.where(is_exit, ws, 0.0)
    ev = event[order]
    return {
        "n_event": np.add.reduceat((exit_w if ev.ndim == 1 else exit_w[:, None]) * ev, starts),
        "n_exit": np.add.reduceat(exit_w, starts),
        "n_entry": np.add.reduceat(np.where(is_exit, 0.0, ws), starts) if with_entry else None,
        "n_exit_records": np.add.reduceat(is_exit.astype(np.int64), starts),
    }


def build_risk_table(data: SurvivalData) -> RiskTable:
    """Aggregate ``data`` into its risk table.

    At a tied time events are counted before censorings, and records entering at ``t`` are at
    risk only after ``t`` (the counting-process convention of R ``Surv(entry, time, event)``).
    """
    groups = list(data.groups)
    roles = [c for c in (data.time, data.event, data.entry, data.weight) if c is not None]
    roles += ["__cause"] if data.causes else []
    if data.engine == "spark":
        from survstat.spark import aggregate

        return _finish(aggregate(data), data)
    if data.lazy:
        # Parquet on disk (or a lazy query over it) may be larger than memory: stream it
        return _finish(_aggregate_hashed(data.frame, data, streaming=True), data)
    frame = data.frame.select(*groups, *roles).collect()
    # Many groups give nearly as many distinct (group, time) keys as rows; a hash table that
    # large thrashes the cache, and sorting the records is faster. Weighted sums also take the
    # sorted path, whose summation order depends only on the input, never on thread timing.
    if data.weight is not None or (groups and _many_groups(frame, groups)):
        agg = _aggregate_sorted(frame, data)
    else:
        agg = _aggregate_hashed(frame.lazy(), data)
    return _finish(agg, data)


def _many_groups(frame: pl.DataFrame, groups: list[str]) -> bool:
    """Whether there may be at least ``_MANY_GROUPS`` curves (an upper bound is enough)."""
    if len(groups) == 1 and frame.schema[groups[0]].is_integer():
        lo, hi = frame.select(pl.col(groups[0]).min(), pl.col(groups[0]).max().alias("hi")).row(0)
        return hi - lo + 1 >= _MANY_GROUPS
    return math.prod(frame.select(pl.col(groups).n_unique()).row(0)) >= _MANY_GROUPS


def _finish(agg: _Aggregate, data: SurvivalData) -> RiskTable:
    n_curves = max(agg.levels.height, 1)
    counts = np.bincount(agg.curve, minlength=n_curves)
    segments = Segments(np.concatenate([[0], np.cumsum(counts)]), agg.curve)
    weight = data.weight
    n_risk = _at_risk(segments, agg.n_exit, agg.n_entry, whole=weight is None)
    n_records = np.bincount(agg.curve, weights=agg.n_exit_records, minlength=n_curves)
    return RiskTable(
        groups=tuple(data.groups),
        keys=agg.levels,
        segments=segments,
        time=agg.time,
        n_risk=n_risk,
        n_event=agg.n_event,
        n_censor=agg.n_exit - agg.n_event,
        n_entry=agg.n_entry if agg.n_entry is not None else np.zeros(len(agg.time)),
        n_exit_records=agg.n_exit_records,
        n_event_cause=agg.n_event_cause,
        causes=data.causes,
        n_records=n_records.astype(np.int64),
        weighted=weight is not None,
        has_entry=agg.n_entry is not None,
        integer_weights=agg.n_fractional == 0,
        weight_scale=agg.weight_scale,
    )


def _at_risk(
    segments: Segments, n_exit: np.ndarray, n_entry: np.ndarray | None, whole: bool
) -> np.ndarray:
    """Number at risk just before each row's time, within each curve.

    Weighted counts without delayed entry are summed from the end of each curve (exits at or
    after t), a sum of positive terms, so that small risk sets at the end of a curve are not
    differences of large totals whose rounding noise would give, say, n_risk - n_event = 1e-12
    instead of 0 when the last records at risk all fail. With delayed entry the risk set is
    entries before t minus exits before t, or equally exits at or after t minus entries at or
    after t; each row takes the form with the smaller totals, which is exact where the risk
    set is empty at either end.
    """
    if not whole:
        later = segments.reverse_cumsum(n_exit)
        if n_entry is None:
            return later
        entered = segments.cumsum(n_entry) - n_entry
        forward = entered - (segments.cumsum(n_exit) - n_exit)
        backward = later - segments.reverse_cumsum(n_entry)
        return np.where(entered <= later, forward, backward)

    # whole-number counts (exact in float64 below 2**53): global cumulative sums are exact
    def before(x: np.ndarray) -> np.ndarray:
        cs = np.cumsum(x)
        cs -= x
        return cs - cs[segments.starts()][segments.curve]

    exited = before(n_exit)
    if n_entry is not None:
        return (before(n_entry) - exited).astype(float)
    totals = np.add.reduceat(n_exit, segments.starts()) if len(n_exit) else np.zeros(0)
    return totals[segments.curve] - exited


def risk_table(
    data: object,
    *,
    time: str | None = None,
    event: str | None = None,
    by: str | Sequence[str] | None = None,
    entry: str | None = None,
    weight: str | None = None,
    strata: str | Sequence[str] | None = None,
) -> RiskTable:
    """Validate ``data`` (unless already a :class:`SurvivalData`) and build its risk table.

    Examples
    --------
    >>> import polars as pl
    >>> rt = risk_table(pl.DataFrame({"t": [1, 2, 2], "d": [1, 1, 0]}), time="t", event="d")
    >>> rt.table.get_column("n_risk").to_list()
    [3.0, 2.0]
    """
    from survstat.data import as_survival_data

    sd = as_survival_data(
        data, time=time, event=event, by=by, entry=entry, weight=weight, strata=strata
    )
    return build_risk_table(sd)
