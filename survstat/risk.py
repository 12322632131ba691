"""Risk tables: the sufficient statistics of right-censored, left-truncated data.

A :class:`RiskTable` has one row per curve (a combination of strata and ``by`` levels) and
distinct time. It is built by a polars GROUP BY over the rows and then only touched by
vectorised numpy; every estimator in :mod:`survstat.estimators` works from it.

Columns of :attr:`RiskTable.table`
----------------------------------
``<strata>, <by>``  the group columns, with their input names and dtypes
``time``            a distinct event, censoring or (with delayed entry) entry time
``n_risk``          (weighted) number at risk just before ``time``: entered before ``time`` and
                    not yet exited
``n_event``         (weighted) number of events at ``time``
``n_censor``        (weighted) number censored at ``time``
``n_entry``         (weighted) number entering at ``time`` (at risk from just after it)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from survstat.data import SurvivalData

TABLE_COLUMNS = ("time", "n_risk", "n_event", "n_censor", "n_entry")


@dataclass(frozen=True, slots=True)
class RiskTable:
    """Counts per curve and distinct time; see the module docstring for the columns.

    Attributes
    ----------
    groups
        Names of the group columns (strata first, then by).
    keys
        One row per curve with the group columns, in curve order (sorted by level).
    offsets
        Row ``offsets[i]:offsets[i+1]`` of the arrays belong to curve ``i``.
    time, n_risk, n_event, n_censor, n_entry
        Float64 arrays, one value per row, sorted by curve then time.
    n_exit_records
        Unweighted number of records leaving at the row's time (0 for entry-only rows).
    n_records, n_events_total
        Per curve: number of input rows, and the (weighted) number of events.
    weighted, has_entry, integer_weights
        Whether case weights / delayed entry were used and all weights are whole numbers.
    """

    groups: tuple[str, ...]
    keys: pl.DataFrame
    offsets: np.ndarray
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
    _curve: np.ndarray = field(repr=False)

    @property
    def n_curves(self) -> int:
        """Number of curves (group combinations)."""
        return len(self.offsets) - 1

    @property
    def curve(self) -> np.ndarray:
        """Curve index of every row."""
        return self._curve

    @property
    def table(self) -> pl.DataFrame:
        """The risk table as a tidy polars DataFrame (documented columns)."""
        cols = {
            "time": self.time,
            "n_risk": self.n_risk,
            "n_event": self.n_event,
            "n_censor": self.n_censor,
            "n_entry": self.n_entry,
        }
        return self.expand_keys(pl.DataFrame(cols))

    def expand_keys(self, body: pl.DataFrame, curve: np.ndarray | None = None) -> pl.DataFrame:
        """Prefix ``body`` (a row per table row, or per ``curve`` index) with the group columns."""
        if not self.groups:
            return body
        idx = self._curve if curve is None else curve
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
        counts = np.bincount(self._curve[keep], minlength=self.n_curves)
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return RiskTable(
            groups=self.groups,
            keys=self.keys,
            offsets=offsets,
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
            _curve=self._curve[keep],
        )

    def curve_labels(self) -> list[str]:
        """A readable label per curve, e.g. ``"horTh=yes"``."""
        if not self.groups:
            return ["all"]
        return [
            ", ".join(f"{k}={v}" for k, v in zip(self.groups, row, strict=True))
            for row in self.keys.iter_rows()
        ]


def _segment_starts(offsets: np.ndarray, n: int) -> np.ndarray:
    curve = np.zeros(n, dtype=np.int64)
    if len(offsets) > 2:
        curve[offsets[1:-1]] = 1
        np.cumsum(curve, out=curve)
    return curve


def build_risk_table(data: SurvivalData) -> RiskTable:
    """Aggregate ``data`` into its risk table with one polars GROUP BY.

    At a tied time events are counted before censorings, and records entering at ``t`` are at
    risk only after ``t`` (the counting-process convention of R ``Surv(entry, time, event)``).
    """
    groups = list(data.groups)
    f64 = pl.Float64
    event = pl.col(data.event).cast(f64)
    weight = pl.col(data.weight).cast(f64) if data.weight else None
    exits = data.frame.group_by([*groups, pl.col(data.time).cast(f64).alias("time")]).agg(
        n_event=(event * weight).sum() if weight is not None else event.sum(),
        n_exit=weight.sum() if weight is not None else pl.len().cast(f64),
        n_exit_records=pl.len().cast(pl.Int64),
    )
    if data.entry is not None:
        entries = data.frame.group_by([*groups, pl.col(data.entry).cast(f64).alias("time")]).agg(
            n_entry=weight.sum() if weight is not None else pl.len().cast(f64),
        )
        zero = pl.lit(0.0, dtype=f64)
        stacked = pl.concat(
            [
                exits.with_columns(n_entry=zero),
                entries.with_columns(n_event=zero, n_exit=zero, n_exit_records=pl.lit(0, pl.Int64)),
            ],
            how="diagonal",
        )
        exits = stacked.group_by([*groups, "time"]).agg(
            pl.col("n_event", "n_exit", "n_entry", "n_exit_records").sum()
        )

    def within(expr: pl.Expr) -> pl.Expr:
        return expr.over(groups) if groups else expr

    if data.entry is not None:
        # entered strictly before t minus exited strictly before t
        n_risk = within(pl.col("n_entry").cum_sum() - pl.col("n_entry")) - within(
            pl.col("n_exit").cum_sum() - pl.col("n_exit")
        )
    else:
        n_risk = within(pl.col("n_exit").cum_sum(reverse=True))
    agg = exits.sort([*groups, "time"]).with_columns(n_risk=n_risk).collect()
    if data.weight is not None:
        integer_weights = bool(
            data.frame.select((pl.col(data.weight) != pl.col(data.weight).round(0)).sum())
            .collect()
            .item()
            == 0
        )
    else:
        integer_weights = True
    return _from_aggregate(agg, tuple(groups), data, integer_weights)


def _from_aggregate(
    agg: pl.DataFrame, groups: tuple[str, ...], data: SurvivalData, integer_weights: bool
) -> RiskTable:
    n = agg.height
    if groups:
        changed = pl.any_horizontal([pl.col(c) != pl.col(c).shift(1) for c in groups])
        flags = agg.select(changed.fill_null(True)).to_series().to_numpy()
        starts = np.flatnonzero(flags)
    else:
        starts = np.zeros(1, dtype=np.int64)
    offsets = np.append(starts, n).astype(np.int64)
    curve = _segment_starts(offsets, n)
    keys = agg.select(groups)[starts] if groups else pl.DataFrame()
    time = agg.get_column("time").to_numpy()
    n_event = agg.get_column("n_event").to_numpy()
    n_exit = agg.get_column("n_exit").to_numpy()
    n_exit_records = agg.get_column("n_exit_records").to_numpy()
    n_entry = (
        agg.get_column("n_entry").to_numpy() if data.entry is not None else np.zeros(n, dtype=float)
    )
    n_risk = agg.get_column("n_risk").to_numpy()
    n_records = np.add.reduceat(n_exit_records, offsets[:-1]) if n else np.zeros(0, np.int64)
    return RiskTable(
        groups=groups,
        keys=keys,
        offsets=offsets,
        time=time,
        n_risk=n_risk,
        n_event=n_event,
        n_censor=n_exit - n_event,
        n_entry=n_entry,
        n_exit_records=n_exit_records,
        n_records=n_records,
        weighted=data.weight is not None,
        has_entry=data.entry is not None,
        integer_weights=integer_weights,
        _curve=curve,
    )


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
