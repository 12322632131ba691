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
It is a GROUP BY (group, time) + ORDER BY, run by the engine that holds the rows
(:meth:`survstat.engines.Engine.risk_counts`: polars hashes the rows or sorts packed integer
keys, whichever suits the data, or streams them from Parquet; Spark groups them where they
live). Only those counts come here; the risk sets are formed from them in numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from survstat._segments import Segments
from survstat.data import FrameLike, SurvivalData, as_survival_data
from survstat.engines import Counts

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
        """Prefix ``body`` (a row per table row, or per ``curve`` index) with the group columns.

        Parameters
        ----------
        body
            The columns to label: one row per row of the risk table, or one per entry of
            ``curve``.
        curve
            The curve index of each row of ``body``; None: the risk table's own rows
            (:attr:`curve`).

        Returns
        -------
        polars.DataFrame
            The group columns (strata, then by, with their input names and dtypes) followed by
            the columns of ``body``; ``body`` itself when there are no groups.
        """
        if not self.groups:
            return body
        idx = self.curve if curve is None else curve
        keys = self.keys[idx] if len(idx) else self.keys.clear()
        return pl.concat([keys, body], how="horizontal")

    def exits_only(self) -> RiskTable:
        """The rows where records leave (events or censorings): the steps of a survival curve.

        Rows that only hold delayed entries are dropped; the counts of the kept rows are
        unchanged (``n_entry`` is then the number entering at that exact time).

        Returns
        -------
        RiskTable
            The table restricted to rows with at least one exit record (itself when every
            row has one); ``n_records`` and the per-curve keys are unchanged.
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
        """A readable label per curve, e.g. ``"horTh=yes"``.

        Returns
        -------
        list of str
            One label per curve, in curve order: ``"<column>=<level>"`` pairs joined by
            ``", "``, or ``["all"]`` without groups.
        """
        if not self.groups:
            return ["all"]
        return [
            ", ".join(f"{k}={v}" for k, v in zip(self.groups, row, strict=True))
            for row in self.keys.iter_rows()
        ]


def build_risk_table(data: SurvivalData) -> RiskTable:
    """Aggregate ``data`` into its risk table, on the engine that holds its rows.

    At a tied time events are counted before censorings, and records entering at ``t`` are at
    risk only after ``t`` (the counting-process convention of R ``Surv(entry, time, event)``).

    Parameters
    ----------
    data
        Validated data.

    Returns
    -------
    RiskTable
        Counts and risk sets per curve and distinct time.
    """
    return _finish(data.rows.risk_counts(data), data)


def _finish(agg: Counts, data: SurvivalData) -> RiskTable:
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
    data: FrameLike | SurvivalData,
    *,
    time: str | None = None,
    event: str | None = None,
    by: str | Sequence[str] | None = None,
    entry: str | None = None,
    weight: str | None = None,
    strata: str | Sequence[str] | None = None,
) -> RiskTable:
    """Validate ``data`` (unless already a :class:`SurvivalData`) and build its risk table.

    Parameters
    ----------
    data
        A :class:`~survstat.data.SurvivalData`, or any input that
        :meth:`~survstat.data.SurvivalData.right_censored` takes.
    time, event, by, entry, weight, strata
        The column roles, as in :meth:`~survstat.data.SurvivalData.right_censored`; not
        allowed when ``data`` is already a :class:`~survstat.data.SurvivalData`.

    Returns
    -------
    RiskTable
        Counts and risk sets per curve and distinct time (:func:`build_risk_table`); its
        :attr:`~RiskTable.table` has the group columns, then ``time``, ``n_risk``,
        ``n_event``, ``n_censor``, ``n_entry``.

    Examples
    --------
    >>> import polars as pl
    >>> rt = risk_table(pl.DataFrame({"t": [1, 2, 2], "d": [1, 1, 0]}), time="t", event="d")
    >>> rt.table.get_column("n_risk").to_list()
    [3.0, 2.0]
    """
    sd = as_survival_data(
        data, time=time, event=event, by=by, entry=entry, weight=weight, strata=strata
    )
    return build_risk_table(sd)
