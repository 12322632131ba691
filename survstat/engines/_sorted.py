"""The risk table's GROUP BY on in-memory rows with many small groups: sort packed keys.

With many small groups nearly every row is its own (group, time) key and a large hash table
thrashes the cache. Here each row's group levels and time are mapped to dense integer codes
(sorted level order, so codes compare like the values), the codes are packed into one int64
key, and a single sort of that key followed by run-length sums gives the counts already
ordered by curve and time. Weighted sums also take this path, whose summation order depends
only on the input, never on thread timing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NotRequired, TypedDict

import numpy as np
import polars as pl

from survstat.engines._protocol import Counts, Roles

#: From this many curves on, the risk table is built by sorting packed keys instead of hashing.
MANY_GROUPS = 64
#: Group codes below this sort with numpy's 16-bit radix sort.
_RADIX_LIMIT = 1 << 16


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


def aggregate_sorted(frame: pl.DataFrame, data: Roles) -> Counts:
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
    return Counts(
        levels=levels,
        curve=np.cumsum(new_curve) - 1,
        time=time_of(code),
        n_fractional=0 if weight is None else int(np.count_nonzero(weight != np.round(weight))),
        **sums,
    )


class _Sums(TypedDict):
    """Per-run totals of the sorted records: fields of :class:`~survstat.engines.Counts`."""

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


def many_groups(frame: pl.DataFrame, groups: list[str]) -> bool:
    """Whether there may be at least ``MANY_GROUPS`` curves (an upper bound is enough)."""
    if len(groups) == 1 and frame.schema[groups[0]].is_integer():
        lo, hi = frame.select(pl.col(groups[0]).min(), pl.col(groups[0]).max().alias("hi")).row(0)
        return hi - lo + 1 >= MANY_GROUPS
    return math.prod(frame.select(pl.col(groups).n_unique()).row(0)) >= MANY_GROUPS
