"""Counts from any engine's GROUP BY, put in the order the risk table needs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from survstat import _exact
from survstat.engines._protocol import Counts, CoxSums, Roles


def from_counts(
    exits: pl.DataFrame, entries: pl.DataFrame | None, data: Roles, scale: float | None
) -> Counts:
    """Order per-(group, time) counts into an :class:`Counts`.

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
    curve, levels = runs(agg, groups)
    return Counts(
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


def sorted_keys(grouped: pl.DataFrame) -> pl.DataFrame:
    """Grouped record keys in a fixed order: engines return groups in any order, and the
    variance sums them in table order, so a fixed order gives the same bits on every run."""
    return grouped.sort(pl.exclude("__w2"))


def runs(frame: pl.DataFrame, groups: list[str]) -> tuple[np.ndarray, pl.DataFrame]:
    """The run index of each row of ``frame`` (sorted by ``groups``) and the groups' levels,
    one row per run (no columns without groups)."""
    if not groups:
        return np.zeros(frame.height, dtype=np.int64), pl.DataFrame()
    changed = pl.any_horizontal([pl.col(c) != pl.col(c).shift(1) for c in groups])
    first = frame.select(changed.fill_null(True)).to_series().to_numpy()
    return np.cumsum(first) - 1, frame.select(groups).filter(pl.Series(first))


def cox_arrays(agg: pl.DataFrame, strata: list[str], p: int) -> CoxSums:
    """:class:`CoxSums` from the aggregated Cox sums of any engine.

    ``agg`` holds per (stratum, ``__time``) ``n_event``, ``w_event``, ``w_eta_event``,
    ``s0``, ``d0``, and per covariate ``wx_{j}``, ``s1_{j}``, ``d1_{j}`` and ``s2_{j}_{k}``,
    ``d2_{j}_{k}`` (k >= j), sorted by stratum then decreasing time.
    """
    stratum, levels = runs(agg, strata)

    def vector(name: str) -> np.ndarray:
        return agg.get_column(name).cast(pl.Float64).to_numpy()

    def columns(prefix: str) -> np.ndarray:
        if not p:
            return np.zeros((agg.height, 0))
        return np.column_stack([vector(f"{prefix}_{j}") for j in range(p)])

    def matrix(prefix: str) -> np.ndarray:
        out = np.zeros((agg.height, p, p))
        for j in range(p):
            for k in range(j, p):
                out[:, j, k] = out[:, k, j] = vector(f"{prefix}_{j}_{k}")
        return out

    return CoxSums(
        levels=levels,
        stratum=stratum,
        time=vector("__time"),
        n_event=vector("n_event"),
        w_event=vector("w_event"),
        wx_event=columns("wx"),
        w_eta_event=vector("w_eta_event"),
        s0=vector("s0"),
        s1=columns("s1"),
        s2=matrix("s2"),
        d0=vector("d0"),
        d1=columns("d1"),
        d2=matrix("d2"),
    )


def symmetric(upper: Sequence[float], p: int) -> np.ndarray:
    """The p × p symmetric matrix from its upper triangle, row by row."""
    out = np.zeros((p, p))
    values = iter(upper)
    for j in range(p):
        for k in range(j, p):
            out[j, k] = out[k, j] = float(next(values) or 0.0)
    return out
