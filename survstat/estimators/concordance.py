"""Harrell's concordance of a risk score with survival times (as R ``survival::concordance``).

A pair is comparable when one subject has an event before the other's follow-up ends (a subject
censored at the event time counts as surviving longer). It is concordant when the subject who
failed first has the higher risk score. concordance = (concordant + tied.x / 2) /
(concordant + discordant + tied.x); pairs tied on the event time (both events) are reported as
tied.y (tied.xy when also tied on the score) and left out (Harrell et al. 1982, JAMA
247:2543-2546; Therneau & Watson 2017, survival vignette "concordance"). Pairs count with the
product of their case weights and only within strata.

No pairs are formed: the counts are 2-D dominance sums (earlier in decreasing-time order, lower
score), computed by a bottom-up merge sort whose levels are vectorised, O(n log^2 n).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Concordance:
    """Weighted pair counts and the concordance index."""

    concordant: float
    discordant: float
    tied_x: float
    tied_y: float
    tied_xy: float

    @property
    def value(self) -> float | None:
        """(concordant + tied_x / 2) / (concordant + discordant + tied_x); None (undefined)
        when no pair is comparable or the weighted pair counts are not finite (products of
        case weights beyond double precision), never NaN."""
        denom = self.concordant + self.discordant + self.tied_x
        if not (math.isfinite(denom) and math.isfinite(self.concordant) and denom > 0):
            return None
        value = (self.concordant + self.tied_x / 2.0) / denom
        return value if math.isfinite(value) else None


def _dominance(
    is_query: np.ndarray, rank: np.ndarray, weight: np.ndarray, n_ranks: int
) -> tuple[np.ndarray, np.ndarray]:
    """For each query: weight of earlier data items with lower rank, and with equal rank.

    Items are in processing order. At each level of a bottom-up merge sort, the queries of every
    right block are matched against the data of the left block of the same pair by one
    ``searchsorted`` over (pair, rank) keys, so each earlier/later pair is seen exactly once.
    """
    m = len(rank)
    less = np.zeros(m)
    equal = np.zeros(m)
    index = np.arange(m)
    order = index.copy()  # items sorted by (block, rank) at the current level
    width = 1
    while width < m:
        pair, side = divmod(index // width, 2)
        cur_side, cur_query = side[order], is_query[order]
        left = order[(cur_side == 0) & ~cur_query]
        query = order[(cur_side == 1) & cur_query]
        if len(left) and len(query):
            left_key = pair[left] * n_ranks + rank[left]
            cum = np.concatenate([[0.0], np.cumsum(weight[left])])
            key = pair[query] * n_ranks + rank[query]
            base = np.searchsorted(left_key, pair[query] * n_ranks, side="left")
            lo = np.searchsorted(left_key, key, side="left")
            hi = np.searchsorted(left_key, key, side="right")
            less[query] += cum[lo] - cum[base]
            equal[query] += cum[hi] - cum[lo]
        width *= 2
        merged = (index // width)[order] * n_ranks + rank[order]
        order = order[np.argsort(merged, kind="stable")]
    return less, equal


def _stratum(time, event, score, weight, counts: np.ndarray) -> None:
    n = len(time)
    _, rank = np.unique(score, return_inverse=True)
    n_ranks = int(rank.max()) + 1 if n else 1
    # decreasing time; at one time: censored records, then the events' queries, then the events
    # as data, so an event sees later times and records censored at its time, but not its ties
    _, tgroup = np.unique(-time, return_inverse=True)
    ev = np.flatnonzero(event)
    group = np.concatenate([tgroup, tgroup[ev]])
    slot = np.concatenate([np.where(event, 2, 0), np.ones(len(ev), dtype=np.int64)])
    src = np.concatenate([np.arange(n), ev])
    seq = np.lexsort((slot, group))
    is_query = (slot == 1)[seq]
    items = src[seq]
    w_data = np.where(is_query, 0.0, weight[items])
    less, equal = _dominance(is_query, rank[items], w_data, n_ranks)
    visible = np.cumsum(w_data) - w_data
    q = np.flatnonzero(is_query)
    wq = weight[items[q]]
    counts[0] += np.sum(wq * less[q])
    counts[2] += np.sum(wq * equal[q])
    counts[1] += np.sum(wq * (visible[q] - less[q] - equal[q]))
    # pairs of events at the same time: all pairs, and those also tied on the score
    ew = weight[ev]
    for key, col in ((tgroup[ev], 3), (tgroup[ev] * n_ranks + rank[ev], 4)):
        _, inv = np.unique(key, return_inverse=True)
        s1 = np.bincount(inv, weights=ew)
        s2 = np.bincount(inv, weights=ew**2)
        counts[col] += np.sum((s1**2 - s2) / 2.0)


def concordance(
    time: np.ndarray,
    event: np.ndarray,
    score: np.ndarray,
    weight: np.ndarray | None = None,
    strata: np.ndarray | None = None,
) -> Concordance:
    """Concordance of ``score`` (higher = earlier failure) with right-censored times.

    Parameters
    ----------
    time
        Follow-up times.
    event
        Whether each follow-up ends in an event (truthy) or is censored.
    score
        The risk score; a higher score predicts an earlier failure.
    weight
        Case weights; a pair counts with the product of its two weights (default: 1 each).
    strata
        Stratum labels: pairs are formed only within a stratum (default: one stratum).

    Returns
    -------
    Concordance
        The weighted pair counts and the concordance index.

    References
    ----------
    .. [1] Harrell FE, Califf RM, Pryor DB, Lee KL, Rosati RA (1982). Evaluating the yield of
       medical tests. JAMA 247:2543-2546.
    .. [2] Therneau T, Watson E (2017). The concordance statistic and the Cox model. Vignette
       of the R package survival.
    """
    time = np.asarray(time, float)
    event = np.asarray(event).astype(bool)
    score = np.asarray(score, float)
    weight = np.ones(len(time)) if weight is None else np.asarray(weight, float)
    counts = np.zeros(5)
    if strata is None:
        _stratum(time, event, score, weight, counts)
    else:
        for s in np.unique(strata):
            m = strata == s
            _stratum(time[m], event[m], score[m], weight[m], counts)
    # tied.y counted all same-time event pairs; those tied on the score too are tied.xy
    counts[3] -= counts[4]
    return Concordance(*map(float, counts))
