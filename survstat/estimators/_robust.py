"""Infinitesimal-jackknife (robust) variance of Kaplan-Meier and Nelson-Aalen curves.

R ``survfit`` switches to this variance when case weights are not whole numbers (survival 3.5,
``survfitKM``: ``robust`` defaults to TRUE then), because Greenwood's formula assumes counts.
For record i with weight w_i, entry E_i, exit T_i and event indicator delta_i, the derivative of
a cumulative hazard-type sum with increments h(s) at each time and a jump g(T_i) at the
record's own event is

.. math::

    A_i(t) = \\sum_{E_i < s \\le \\min(t, T_i)} h(s) - \\delta_i\\, 1\\{T_i \\le t\\}\\, g(T_i),

and the variance is :math:`\\sum_i w_i^2 A_i(t)^2`. For log S (Kaplan-Meier),
h = d / (n (n - d)) and g = 1 / (n - d); for the Nelson-Aalen hazard, h = d / n^2 and g = 1 / n.
The sum over records is regrouped by exit and entry time, so the cost is one pass over the rows
plus scans over the risk table (Efron 1982, *The Jackknife, the Bootstrap and Other Resampling
Plans*; Therneau, survival package vignette "Validation of the survival package", sec. on
robust variance).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from survstat.data import SurvivalData
from survstat.risk import RiskTable


def robust_variance(data: SurvivalData, rt: RiskTable, h: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Sum over records of ``w_i**2 * A_i(t)**2`` at every row of the exit-only table ``rt``."""
    groups = list(rt.groups)
    n = len(rt.time)
    cum_h = rt.segments.cumsum(np.where(np.isfinite(h), h, np.nan))
    table = rt.expand_keys(
        pl.DataFrame({"time": rt.time, "__r": np.arange(n), "__H": cum_h, "__g": g})
    )
    f64 = pl.Float64
    cols = [*groups, pl.col(data.time).cast(f64).alias("time")]
    cols.append(pl.col(data.event).cast(f64).alias("__d"))
    cols.append(
        pl.col(data.weight).cast(f64).pow(2).alias("__w2")
        if data.weight
        else pl.lit(1.0).alias("__w2")
    )
    if data.entry is not None:
        cols.append(pl.col(data.entry).cast(f64).alias("__e"))
    rows = data.frame.select(cols).collect()
    rows = rows.join(table, on=[*groups, "time"], how="left")
    if data.entry is not None:
        at_entry = (
            rows.select([*groups, "__e"])
            .with_row_index("__i")
            .sort([*groups, "__e"])
            .join_asof(
                table.select([*groups, "time", "__r", "__H"]).sort([*groups, "time"]),
                left_on="__e",
                right_on="time",
                by=groups or None,
                strategy="backward",
            )
            .sort("__i")
        )
        h_entry = at_entry.get_column("__H").fill_null(0.0).to_numpy()
        prev = at_entry.get_column("__r").to_numpy()
    else:
        h_entry = np.zeros(rows.height)
        prev = None
    r = rows.get_column("__r").to_numpy()
    w2 = rows.get_column("__w2").to_numpy()
    delta = rows.get_column("__d").to_numpy()
    with np.errstate(invalid="ignore"):
        done = (
            rows.get_column("__H").to_numpy() - h_entry - delta * rows.get_column("__g").to_numpy()
        )
    # records that have left: their A_i is frozen at `done`
    d_sum = np.bincount(r, weights=w2 * done**2, minlength=n)
    x = [np.bincount(r, weights=w2 * h_entry**k, minlength=n) for k in range(3)]
    # records at risk: A_i(t) = H(t) - H(E_i); they start to count at the first row after entry
    if prev is None:
        first = rt.offsets[:-1][rt.curve[r]]
    else:
        first = np.where(np.isnan(prev), rt.offsets[:-1][rt.curve[r]], np.nan_to_num(prev) + 1)
        first = first.astype(np.int64)
    inside = first < n
    e = [
        np.bincount(first[inside], weights=(w2 * h_entry**k)[inside], minlength=n) for k in range(3)
    ]
    scan = rt.segments.cumsum
    p = [scan(e[k]) - scan(x[k]) for k in range(3)]
    with np.errstate(invalid="ignore"):
        at_risk = cum_h**2 * p[0] - 2.0 * cum_h * p[1] + p[2]
    return scan(d_sum) + np.maximum(at_risk, 0.0)
