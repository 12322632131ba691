"""The Cox partial likelihood over sorted risk sets (R ``survival``'s ``coxfit6`` and
``coxscore2``, survival 3.5).

Rows are sorted by stratum, then decreasing time with events first among ties, and cut into
tied-time groups, so that every risk set is a running sum over the rows before a group's end
(:func:`layout`). On that layout :func:`cox_terms` computes the log partial likelihood, score
and information with Efron's or Breslow's handling of ties and case weights (R's weighted Efron
uses the mean weight of the tied deaths), :func:`score_residuals` the per-row score residuals
and :func:`robust_covariance` the sandwich variance from the weighted dfbeta residuals summed
within clusters (Lin & Wei 1989, JASA 84:1074-1078). References: Cox 1972, JRSS B 34:187-220;
Efron 1977, JASA 72:557-565; Therneau & Grambsch 2000, *Modeling Survival Data*, ch. 3 and
sec. 7.2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from survstat._choices import Ties
from survstat.data import SurvivalData
from survstat.estimators._exact_ties import EXACT_TIES, exact_terms
from survstat.estimators._regression import Point, Scaling, scale_columns


@dataclass(frozen=True, slots=True)
class Layout:
    """Rows sorted by stratum then decreasing time, cut into tied-time groups."""

    x: np.ndarray
    w: np.ndarray
    event: np.ndarray
    time: np.ndarray
    group_start: np.ndarray  # first row of each (stratum, time) group
    group_end: np.ndarray  # last row of each group (the risk set closes there)
    stratum_start: np.ndarray  # first row of the stratum of each row


def layout(
    frame: pl.DataFrame, sd: SurvivalData, x: np.ndarray
) -> tuple[Layout, np.ndarray, Scaling]:
    """Sort rows by stratum, decreasing time, events first among ties; cut into groups; centre
    and scale the covariates as R does."""
    n = frame.height
    time = frame.get_column(sd.time).cast(pl.Float64).to_numpy()
    event = frame.get_column(sd.event).cast(pl.Int8).to_numpy()
    w = frame.get_column(sd.weight).cast(pl.Float64).to_numpy() if sd.weight else np.ones(n)
    if sd.strata:
        levels = frame.select(sd.strata).unique().sort(list(sd.strata)).with_row_index("__s")
        s = (
            frame.select(sd.strata)
            .join(levels, on=list(sd.strata), how="left", maintain_order="left")
            .get_column("__s")
            .to_numpy()
        )
    else:
        s = np.zeros(n, dtype=np.int64)
    order = np.lexsort((-event, -time, s))
    s, t = s[order], time[order]
    new_stratum = np.r_[True, s[1:] != s[:-1]]
    new_group = new_stratum | np.r_[True, t[1:] != t[:-1]]
    group_start = np.flatnonzero(new_group)
    group_end = np.append(group_start[1:], n) - 1
    stratum_first = np.flatnonzero(new_stratum)
    stratum_start = stratum_first[np.cumsum(new_stratum) - 1]
    xs, scaling = scale_columns(x, w)
    xs = centre_within_strata(xs[order], w[order], stratum_first)
    return (
        Layout(xs, w[order], event[order], t, group_start, group_end, stratum_start),
        order,
        scaling,
    )


def centre_within_strata(x: np.ndarray, w: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Subtract from each column its weighted mean within each stratum, and its value where it
    is constant in the stratum, so that such a column is exactly 0 there.

    The partial likelihood compares subjects only within their stratum, so a shift per stratum
    changes no estimate, likelihood or residual. It makes a covariate that does not vary within
    a stratum (nested in the strata: region with ``strata=site``, ``arm`` with ``strata=arm``)
    exactly 0 there, so its information is exactly 0 instead of rounding noise that grows with
    the rows, and the Cholesky rule finds it aliased at any size.
    """
    if x.shape[1] == 0 or len(x) == 0:
        return x
    low = np.minimum.reduceat(x, first, axis=0)
    high = np.maximum.reduceat(x, first, axis=0)
    total = np.add.reduceat(w, first)
    mean = np.add.reduceat(w[:, None] * x, first, axis=0) / total[:, None]
    centre = np.where(low == high, low, mean)
    size = np.diff(np.append(first, len(x)))
    return x - np.repeat(centre, size, axis=0)


def cumulative(values: np.ndarray, lay: Layout) -> np.ndarray:
    """Sums over each row's stratum of all rows up to it (rows ordered by decreasing time)."""
    cs = np.cumsum(values, axis=0)
    before = np.concatenate([np.zeros((1, *values.shape[1:])), cs[:-1]])
    return cs - before[lay.stratum_start]


def cox_terms(beta: np.ndarray, lay: Layout, ties: Ties) -> Point:
    """Log partial likelihood, score and information at ``beta`` (R coxfit6_iter)."""
    x, w, ev = lay.x, lay.w, lay.event
    eta = x @ beta
    r = w * np.exp(eta)
    rx = r[:, None] * x
    rxx = rx[:, :, None] * x[:, None, :]
    ends = lay.group_end
    s0 = cumulative(r, lay)[ends]
    s1 = cumulative(rx, lay)[ends]
    s2 = cumulative(rxx, lay)[ends]
    starts = lay.group_start
    de = ev.astype(float)
    d0 = np.add.reduceat(r * de, starts)
    d1 = np.add.reduceat(rx * de[:, None], starts)
    d2 = np.add.reduceat(rxx * de[:, None, None], starts)
    deadwt = np.add.reduceat(w * de, starts)
    ndead = np.add.reduceat(de, starts)
    has = ndead > 0
    s0, s1, s2, d0, d1, d2 = s0[has], s1[has], s2[has], d0[has], d1[has], d2[has]
    deadwt, ndead = deadwt[has], ndead[has]
    if ties == "efron":
        reps = ndead.astype(np.int64)
        g = np.repeat(np.arange(len(reps)), reps)
        j = np.arange(len(g)) - np.repeat(np.cumsum(reps) - reps, reps)
        frac = j / ndead[g]
        wt = (deadwt / ndead)[g]
    else:
        g = np.arange(len(ndead))
        frac = np.zeros(len(g))
        wt = deadwt
    den = s0[g] - frac * d0[g]
    a = (s1[g] - frac[:, None] * d1[g]) / den[:, None]
    c = (s2[g] - frac[:, None, None] * d2[g]) / den[:, None, None]
    loglik = float(np.sum(w * de * eta) - np.sum(wt * np.log(den)))
    score = (w * de) @ x - wt @ a
    info = np.einsum("k,kij->ij", wt, c - a[:, :, None] * a[:, None, :])
    return Point(loglik, score, info)


def terms(beta: np.ndarray, lay: Layout, ties: Ties) -> Point:
    """:func:`cox_terms` with numpy's overflow warnings silenced: a step that overflows is
    halved back by the iteration, which checks :attr:`Point.finite`."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if ties in EXACT_TIES:
            return exact_terms(beta, lay, ties)
        return cox_terms(beta, lay, ties)


@dataclass(frozen=True, slots=True)
class RowHazards:
    """Per row (layout order) what the residuals of a fit are made of: the risk score
    exp(x beta), the cumulative hazard the row is exposed to up to its own time (for a death
    tied with others under Efron's method, only its share of its own time's hazard, as R's
    ``coxmart``), its hazard-weighted mean covariates, and the deaths' mean at its time."""

    score: np.ndarray
    hazard: np.ndarray
    hazard_mean: np.ndarray
    death_mean: np.ndarray


def row_hazards(beta: np.ndarray, lay: Layout, ties: Ties) -> RowHazards:
    """The hazard pieces of every row (R ``coxmart`` and ``coxscore2``), rows in layout
    order."""
    x, w, ev = lay.x, lay.w, lay.event.astype(float)
    score = np.exp(x @ beta)
    r = w * score
    ends, starts = lay.group_end, lay.group_start
    s0 = cumulative(r, lay)[ends]
    s1 = cumulative(r[:, None] * x, lay)[ends]
    d0 = np.add.reduceat(r * ev, starts)
    d1 = np.add.reduceat((r * ev)[:, None] * x, starts)
    deadwt = np.add.reduceat(w * ev, starts)
    ndead = np.add.reduceat(ev, starts)
    n_groups, p = len(starts), x.shape[1]
    # per group: hazard and hazard-weighted mean for rows at risk, and for the tied deaths
    h_all = np.zeros(n_groups)
    hm_all = np.zeros((n_groups, p))
    h_tie = np.zeros(n_groups)
    hm_tie = np.zeros((n_groups, p))
    m_tie = np.zeros((n_groups, p))
    has = ndead > 0
    efron = (ndead > 1) & (ties == "efron")
    simple = has & ~efron
    h = deadwt[simple] / s0[simple]
    mean = s1[simple] / s0[simple][:, None]
    h_all[simple], h_tie[simple] = h, h
    hm_all[simple], hm_tie[simple] = h[:, None] * mean, h[:, None] * mean
    m_tie[simple] = mean
    idx = np.flatnonzero(efron)
    if len(idx):
        reps = ndead[idx].astype(np.int64)
        g = np.repeat(idx, reps)
        j = np.arange(len(g)) - np.repeat(np.cumsum(reps) - reps, reps)
        frac = j / ndead[g]
        den = s0[g] - frac * d0[g]
        hz = (deadwt[g] / ndead[g]) / den
        mean = (s1[g] - frac[:, None] * d1[g]) / den[:, None]
        np.add.at(h_all, g, hz)
        np.add.at(hm_all, g, hz[:, None] * mean)
        np.add.at(h_tie, g, hz * (1 - frac))
        np.add.at(hm_tie, g, (hz * (1 - frac))[:, None] * mean)
        np.add.at(m_tie, g, mean / ndead[g][:, None])
    # cumulative over groups at or before each row's own time, within the stratum
    group_of_row = np.repeat(np.arange(n_groups), np.diff(np.append(starts, len(x))))
    h_cum = group_suffix(h_all, lay, group_of_row)
    hm_cum = group_suffix(hm_all, lay, group_of_row)
    own_h = np.where(ev > 0, h_tie[group_of_row] - h_all[group_of_row], 0.0)
    own_hm = np.where(ev[:, None] > 0, hm_tie[group_of_row] - hm_all[group_of_row], 0.0)
    return RowHazards(score, h_cum + own_h, hm_cum + own_hm, m_tie[group_of_row])


def score_residuals(beta: np.ndarray, lay: Layout, ties: Ties) -> np.ndarray:
    """Score residuals per row (R coxscore2), rows in layout order."""
    pieces = row_hazards(beta, lay, ties)
    ev = lay.event.astype(float)
    resid = ev[:, None] * (lay.x - pieces.death_mean)
    resid -= pieces.score[:, None] * (lay.x * pieces.hazard[:, None] - pieces.hazard_mean)
    return resid


def martingale_residuals(beta: np.ndarray, lay: Layout, ties: Ties) -> np.ndarray:
    """Martingale residuals per row (R ``coxmart``): events minus the expected count
    exp(x beta) times the cumulative hazard to the row's time, rows in layout order."""
    pieces = row_hazards(beta, lay, ties)
    return lay.event.astype(float) - pieces.score * pieces.hazard


def group_suffix(values: np.ndarray, lay: Layout, group_of_row: np.ndarray) -> np.ndarray:
    """For each row, the sum of per-group ``values`` over groups at or before its time.

    Groups run in decreasing time within a stratum, so these are the groups from the row's own
    group to the stratum's last group.
    """
    n_groups = len(lay.group_start)
    group_stratum_start = group_of_row[lay.stratum_start[lay.group_start]]
    cs = np.cumsum(values[::-1], axis=0)[::-1]  # sum from group g to the very last group
    # subtract what lies beyond the stratum's last group
    stratum_id = np.cumsum(np.r_[True, group_stratum_start[1:] != group_stratum_start[:-1]]) - 1
    last_of_stratum = np.r_[np.flatnonzero(np.diff(stratum_id)), n_groups - 1]
    beyond = np.zeros_like(cs)
    nxt = last_of_stratum[stratum_id] + 1
    inside = nxt < n_groups
    beyond[inside] = cs[nxt[inside]]
    per_group = cs - beyond
    return per_group[group_of_row]


def robust_covariance(
    beta: np.ndarray, var: np.ndarray, lay: Layout, ties: Ties, clusters: np.ndarray | None
) -> np.ndarray:
    """Sandwich variance from the weighted dfbeta residuals, summed within clusters (R
    ``coxph(robust=TRUE)``); ``var`` is the inverse information at ``beta``, whose zero rows
    (aliased or infinite terms) stay zero here."""
    with np.errstate(over="ignore", invalid="ignore"):
        dfbeta = (score_residuals(beta, lay, ties) @ var) * lay.w[:, None]
    if clusters is not None:
        _, inverse = np.unique(clusters, return_inverse=True)
        dfbeta = np.column_stack(
            [np.bincount(inverse, weights=dfbeta[:, k]) for k in range(dfbeta.shape[1])]
        )
    return dfbeta.T @ dfbeta
