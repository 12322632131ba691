"""Gray's K-sample test for equality of cumulative incidence functions.

For each cause, the score compares each group's subdistribution hazard with the pooled one,
weighted by (1 - F(t-))^rho, summed over strata; the statistic s' V^-1 s has K - 1 degrees of
freedom (Gray 1988, Ann. Statist. 16:1141-1154). Scores and variance follow R
``cmprsk::cuminc``'s ``Tests`` (Gray's Fortran routine ``crstm``) term for term, vectorised over
event times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from survstat.data import SurvivalData, as_survival_data
from survstat.errors import OptionError
from survstat.estimators._grid import GroupGrid, group_grid
from survstat.io import FrameLike
from survstat.risk import build_risk_table


@dataclass(frozen=True, slots=True)
class GrayTestResult:
    """Gray's test, one row per cause.

    Attributes
    ----------
    table
        ``cause, statistic, df, p_value``; statistic and p-value are null where the test is
        undefined: the cause has no events, or the variance matrix of the scores is singular
        (or not finite). No cause ever observed (and none declared): no rows.
    groups
        The compared groups, in the order of the scores.
    """

    table: pl.DataFrame
    groups: pl.DataFrame
    rho: float


def _previous(values: np.ndarray, grid: GroupGrid, first: float) -> np.ndarray:
    out = np.empty_like(values)
    out[1:] = values[:-1]
    out[grid.strata.starts()] = first
    return out


def _stratum_terms(
    grid: GroupGrid, rs: np.ndarray, d1: np.ndarray, d2: np.ndarray, rho: float
) -> tuple[np.ndarray, np.ndarray]:
    """Scores (K,) and variance (K, K) over all strata for one cause."""
    seg = grid.strata
    td = d1 + d2
    alive = rs > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        # per-group all-cause Kaplan-Meier and cumulative incidence, left and right limits
        factor = np.where(alive, 1.0 - td / rs, 1.0)
        skm = np.column_stack([seg.cumprod(factor[:, j]) for j in range(rs.shape[1])])
        skmm = _previous(skm, grid, 1.0)
        f1 = grid.scan(np.where(alive, skmm * d1 / rs, 0.0))
        f1m = _previous(f1, grid, 0.0)
        ratio = np.where(alive, rs / skmm, 0.0)
        tr = ratio.sum(axis=1)
        tq = (ratio * (1.0 - f1m)).sum(axis=1)
        nd1, nd2 = d1.sum(axis=1), d2.sum(axis=1)
        event = (nd1 + nd2) > 0
        # pooled subdistribution estimate f (right limit) and fm (left limit), at event rows
        f = seg.cumsum(np.where(event, nd1 / tr, 0.0))
        fm = f - np.where(event, nd1 / tr, 0.0)
    keep = np.flatnonzero(event)
    stratum = seg.curve[keep]
    rs, d1, d2, skm, skmm = rs[keep], d1[keep], d2[keep], skm[keep], skmm[keep]
    f1m, ratio, alive = f1m[keep], ratio[keep], alive[keep]
    tr, tq, nd1, f, fm = tr[keep], tq[keep], nd1[keep], f[keep], fm[keep]
    fb = (1.0 - fm) ** rho
    with np.errstate(divide="ignore", invalid="ignore"):
        a = fb[:, None, None] * (
            np.einsum("ek,kl->ekl", ratio, np.eye(ratio.shape[1]))
            - ratio[:, :, None] * ratio[:, None, :] / tr[:, None, None]
        )
        step = a * (nd1 / (tr * (1.0 - fm)))[:, None, None]
        scores = fb[:, None] * np.where(
            alive, d1 - nd1[:, None] * rs * (1.0 - f1m) / (skmm * tq[:, None]), 0.0
        )
    # c accumulates within each stratum
    n_groups = rs.shape[1]
    flat = step.reshape(len(keep), -1)
    bounds = np.flatnonzero(np.r_[True, stratum[1:] != stratum[:-1]]) if len(keep) else []
    c = np.empty_like(flat)
    ends = np.append(bounds[1:], len(keep)) if len(keep) else []
    for lo, hi in zip(bounds, ends, strict=True):
        c[lo:hi] = np.cumsum(flat[lo:hi], axis=0)
    c = c.reshape(step.shape)
    score_total = scores.sum(axis=0)
    v = np.zeros((n_groups, n_groups))
    # per-row pieces of crst's v2 (groups x groups) and v3 (groups), summed per stratum below
    v2 = np.zeros((len(keep), n_groups, n_groups))
    v3 = np.zeros((len(keep), n_groups))
    with np.errstate(divide="ignore", invalid="ignore"):
        # events of the cause of interest
        own = (nd1 > 0)[:, None] & alive
        t4 = np.where(skm > 0, 1.0 - (1.0 - f)[:, None] / skm, 1.0)
        t5 = np.where(
            nd1[:, None] > 1, 1.0 - (nd1[:, None] - 1.0) / (tr[:, None] * skmm - 1.0), 1.0
        )
        t3 = np.where(own, t5 * skmm * nd1[:, None] / (tr[:, None] * rs), 0.0)
        b = a - t4[:, None, :] * c
        v3 += t4**2 * t3
        v2 += b * (t4 * t3)[:, None, :]
        v += np.einsum("eik,ejk,ek->ij", b, b, t3)
        # events of the other causes
        other = (skm > 0) & (d2 > 0)
        t4 = np.where(other, (1.0 - f)[:, None] / skm, 0.0)
        t5 = np.where(d2 > 1, 1.0 - (d2 - 1.0) / (rs - 1.0), 1.0)
        t3 = np.where(other, t5 * skmm**2 * d2 / rs**2, 0.0)
        dm = t4[:, None, :] * c
        v3 += t4**2 * t3
        v2 -= dm * (t4 * t3)[:, None, :]
        v += np.einsum("eik,ejk,ek->ij", dm, dm, t3)
    # terms pairing each stratum's final c with that stratum's v2 and v3
    for lo, hi in zip(bounds, ends, strict=True):
        cf, s2, s3 = c[hi - 1], v2[lo:hi].sum(axis=0), v3[lo:hi].sum(axis=0)
        v += cf @ (s3[:, None] * cf.T) + cf @ s2.T + s2 @ cf.T
    return score_total, v


def gray_test(
    data: FrameLike | SurvivalData,
    *,
    time: str | None = None,
    cause: str | None = None,
    by: str | Sequence[str] | None = None,
    strata: str | Sequence[str] | None = None,
    censor_value: Any = None,
    causes: Sequence[Any] | None = None,
    rho: float = 0.0,
) -> GrayTestResult:
    """Gray's test of equal cumulative incidence across groups, per cause (R ``cmprsk::cuminc``).

    Parameters
    ----------
    data, time, cause, censor_value, causes
        Competing-risks data and cause coding (see :meth:`SurvivalData.competing_risks`).
    by
        The groups compared (required).
    strata
        Stratification: scores and variances are summed over strata.
    rho
        Weight (1 - F(t-))^rho; 0 (default) gives equal weights.

    Returns
    -------
    GrayTestResult
        One row per cause: the statistic, its degrees of freedom and the p-value.

    References
    ----------
    .. [1] Gray RJ (1988). A class of K-sample tests for comparing the cumulative incidence of
       a competing risk. Ann Stat 16:1141-1154.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"t": [1.0, 2, 3, 4, 5, 6], "c": [1, 2, 1, 0, 1, 2],
    ...                    "g": ["a", "b", "a", "b", "b", "a"]})
    >>> gray_test(df, time="t", cause="c", by="g").table.columns
    ['cause', 'statistic', 'df', 'p_value']
    """
    if not np.isfinite(rho):
        raise OptionError(f"`rho` must be finite; got {rho}")
    sd = as_survival_data(
        data,
        competing=True,
        time=time,
        cause=cause,
        censor_value=censor_value,
        causes=causes,
        by=by,
        strata=strata,
    )
    if not sd.by:
        raise OptionError("Gray's test needs a `by` column naming the groups to compare")
    if sd.weight is not None or sd.entry is not None:
        raise OptionError("Gray's test takes neither case weights nor delayed entry")
    rt = build_risk_table(sd)
    grid = group_grid(rt, sd.strata, sd.by)
    n_groups = grid.levels.height
    stats_, pvals = [], []
    for k in range(len(sd.causes)):
        d1 = grid.wide(rt.n_event_by_cause[:, k])
        d2 = grid.wide(rt.n_event) - d1
        stat = None
        if d1.sum() > 0:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                s, v = _stratum_terms(grid, grid.at_risk, d1, d2, rho)
            s, v = s[:-1], v[:-1, :-1]
            finite = np.isfinite(v).all() and np.isfinite(s).all()
            if finite and np.linalg.matrix_rank(v) == len(s):
                stat = float(s @ np.linalg.solve(v, s))
        stats_.append(stat)
        pvals.append(None if stat is None else float(stats.chi2.sf(stat, n_groups - 1)))
    text = isinstance(sd.censor_value, str)
    table = pl.DataFrame(
        {
            "cause": pl.Series(list(sd.causes), dtype=pl.String if text else pl.Int64),
            "statistic": pl.Series(stats_, dtype=pl.Float64),
            "df": pl.Series([n_groups - 1] * len(sd.causes), dtype=pl.Int64),
            "p_value": pl.Series(pvals, dtype=pl.Float64),
        }
    )
    return GrayTestResult(table=table, groups=grid.levels, rho=float(rho))
