r"""Infinitesimal-jackknife (robust) variance of Kaplan-Meier and Nelson-Aalen curves.

R ``survfit`` switches to this variance when case weights are not whole numbers (survival 3.5,
``survfitKM``: ``robust`` defaults to TRUE then), because Greenwood's formula assumes counts.
For record i with weight w_i, entry E_i, exit T_i and event indicator delta_i, the derivative of
a cumulative hazard-type sum with increments h(s) at each time and a jump g(T_i) at the
record's own event is

.. math::

    A_i(t) = \sum_{E_i < s \le \min(t, T_i)} h(s) - \delta_i\, 1\{T_i \le t\}\, g(T_i),

and the variance is :math:`\sum_i w_i^2 A_i(t)^2`. For log S (Kaplan-Meier),
h = d / (n (n - d)) and g = 1 / (n - d); for the Nelson-Aalen hazard, h = d / n^2 and g = 1 / n.
The sum over records is regrouped by exit and entry time, so the cost is one pass over the rows
(or over their distinct keys, for larger-than-memory inputs) plus scans over the risk table
(Efron 1982, *The Jackknife, the Bootstrap and Other Resampling Plans*; Therneau, survival
package vignette "Validation of the survival package", sec. on robust variance).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from survstat.data import SurvivalData
from survstat.risk import RiskTable


@dataclass(frozen=True, slots=True)
class Records:
    """Where each input record sits in an exit-only risk table.

    ``exit_row`` is the row of its exit time, ``entry_row`` the last row at or before its entry
    (-1 when none, or without delayed entry) and ``first_row`` the first row at which it is at
    risk. ``w2`` is the squared case weight, ``event`` 1 for an event of any cause and
    ``cause`` the cause code (competing risks only).
    """

    exit_row: np.ndarray
    entry_row: np.ndarray
    first_row: np.ndarray
    w2: np.ndarray
    event: np.ndarray
    cause: np.ndarray | None

    def at_entry(self, values: np.ndarray) -> np.ndarray:
        """``values`` (per table row) at each record's entry; 0 before the first row."""
        return np.where(self.entry_row >= 0, values[np.maximum(self.entry_row, 0)], 0.0)


def record_keys(data: SurvivalData, scale: float | None = None) -> pl.DataFrame:
    """The records as (group, ``time``, ``__d`` event, ``__e`` entry, ``__cause``) keys, with
    ``__w2`` the sum of squared weights of the records sharing a key.

    Every term of the variance is a sum over records of ``w_i**2`` times a function of the
    record's key, so records sharing a key can be summed first. The engine that holds the rows
    forms the keys (:meth:`survstat.engines.Engine.record_keys`): in-memory data keeps one key
    per record; Parquet and lazy inputs are grouped on polars' streaming engine (memory grows
    with the distinct keys, not the rows) and Spark DataFrames by Spark. Grouped weights are
    summed exactly (:mod:`survstat._exact`), scaled by ``scale`` (the risk table's
    ``weight_scale``; found from the data when not given).

    Parameters
    ----------
    data
        Validated data.
    scale
        The power of two the weights are scaled by for exact sums, or None.

    Returns
    -------
    pl.DataFrame
        One row per record or key of records.
    """
    return data.rows.record_keys(data, scale)


def records(data: SurvivalData, rt: RiskTable) -> Records:
    """Locate every input record (or key of records, see :func:`record_keys`) in the exit-only
    table ``rt``."""
    groups = list(rt.groups)
    n = len(rt.time)
    table = rt.expand_keys(pl.DataFrame({"time": rt.time, "__r": np.arange(n)}))
    rows = record_keys(data, rt.weight_scale).join(table, on=[*groups, "time"], how="left")
    exit_row = rows.get_column("__r").to_numpy().astype(np.int64)
    curve_start = rt.offsets[:-1][rt.curve[exit_row]]
    if data.entry is not None:
        at_entry = (
            rows.select([*groups, "__e"])
            .with_row_index("__i")
            .sort([*groups, "__e"])
            .join_asof(
                table.sort([*groups, "time"]),
                left_on="__e",
                right_on="time",
                by=groups or None,
                strategy="backward",
                # both sides are sorted by (groups, time) just above
                check_sortedness=False,
            )
            .sort("__i")
        )
        entry_row = at_entry.get_column("__r").fill_null(-1).to_numpy().astype(np.int64)
    else:
        entry_row = np.full(rows.height, -1, dtype=np.int64)
    first_row = np.where(entry_row >= 0, entry_row + 1, curve_start)
    return Records(
        exit_row=exit_row,
        entry_row=entry_row,
        first_row=first_row,
        w2=rows.get_column("__w2").to_numpy(),
        event=rows.get_column("__d").to_numpy(),
        cause=rows.get_column("__cause").to_numpy() if data.causes else None,
    )


def _entered_minus_exited(rt: RiskTable, rec: Records, weights: np.ndarray) -> np.ndarray:
    """Per table row, the sum of ``weights`` over records at risk strictly inside (entry, exit)."""
    n = len(rt.time)
    inside = rec.first_row < n
    entered = np.bincount(rec.first_row[inside], weights=weights[inside], minlength=n)
    exited = np.bincount(rec.exit_row, weights=weights, minlength=n)
    return rt.segments.cumsum(entered) - rt.segments.cumsum(exited)


def robust_variance(data: SurvivalData, rt: RiskTable, h: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Sum over records of ``w_i**2 * A_i(t)**2`` at every row of the exit-only table ``rt``."""
    n = len(rt.time)
    rec = records(data, rt)
    cum_h = rt.segments.cumsum(np.where(np.isfinite(h), h, np.nan))
    r, w2 = rec.exit_row, rec.w2
    h_entry = rec.at_entry(cum_h)
    with np.errstate(invalid="ignore", over="ignore"):
        done = cum_h[r] - h_entry - rec.event * g[r]
        # records that have left: their A_i is frozen at `done`; a record of weight 0 adds
        # nothing, even where its own term is undefined (it left a risk set of weight 0)
        d_sum = np.bincount(r, weights=np.where(w2 > 0, w2 * done**2, 0.0), minlength=n)
    # records at risk: A_i(t) = H(t) - H(E_i)
    p = [_entered_minus_exited(rt, rec, w2 * h_entry**k) for k in range(3)]
    with np.errstate(invalid="ignore"):
        at_risk = cum_h**2 * p[0] - 2.0 * cum_h * p[1] + p[2]
    return rt.segments.cumsum(d_sum) + np.maximum(at_risk, 0.0)


def cif_robust_variance(
    data: SurvivalData,
    rt: RiskTable,
    cause: int,
    surv: np.ndarray,
    s_minus: np.ndarray,
    cif: np.ndarray,
) -> np.ndarray:
    """Infinitesimal-jackknife variance of one cause's Aalen-Johansen cumulative incidence.

    With c = S(s-)/Y, h_k = d_k/Y, h = d/Y and r = 1/(Y - d), the influence of record i is
    sum_{s<=t} c (dN_ki - Y_i h_k) - sum_{v<=t} r (dN_i - Y_i h) (F(t) - F(v)); records that have
    left contribute alpha_i + beta_i F(t), records at risk u(t) + p_i - F(t) q_i, and the sum of
    squares over records is assembled from per-row cumulative sums (as R ``survfit`` does for
    multi-state curves, whose default variance this is).
    """
    del surv
    n_rows = len(rt.time)
    y, d = rt.n_risk, rt.n_event
    dk = rt.n_event_by_cause[:, cause - 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        # y is 0 only where records of weight 0 leave: no jump there
        c = np.where(y > 0, s_minus / y, 0.0)
        h_k, h = np.where(dk > 0, dk / y, 0.0), np.where(d > 0, d / y, 0.0)
        r = np.where(y - d > 0, 1.0 / (y - d), 0.0)
    scan = rt.segments.cumsum
    c1, h2, h3 = scan(c * h_k), scan(h * r), scan(cif * h * r)
    rec = records(data, rt)
    e, w2 = rec.exit_row, rec.w2
    own = (rec.cause == cause).astype(float)
    c1e, h2e, h3e = rec.at_entry(c1), rec.at_entry(h2), rec.at_entry(h3)
    with np.errstate(invalid="ignore", over="ignore"):
        alpha = own * c[e] - c1[e] + c1e + rec.event * r[e] * cif[e] - h3[e] + h3e
        beta = h2[e] - h2e - rec.event * r[e]
    # a record of weight 0 adds nothing, even where its own terms are undefined
    alpha = np.where(w2 > 0, alpha, 0.0)
    beta = np.where(w2 > 0, beta, 0.0)
    done = [
        scan(np.bincount(e, weights=w2 * v, minlength=n_rows))
        for v in (alpha**2, alpha * beta, beta**2)
    ]
    pp, qq = c1e + h3e, h2e
    at = [
        _entered_minus_exited(rt, rec, w2 * v)
        for v in (np.ones_like(pp), pp, qq, pp**2, pp * qq, qq**2)
    ]
    u = -c1 + cif * h2 - h3
    f = cif
    var = done[0] + 2.0 * f * done[1] + f**2 * done[2]
    var += u**2 * at[0] + 2.0 * u * (at[1] - f * at[2]) + at[3] - 2.0 * f * at[4] + f**2 * at[5]
    return np.maximum(var, 0.0)
