"""Harrell's concordance of a risk score with survival times (as R ``survival::concordance``).

A pair is comparable when one subject has an event before the other's follow-up ends (a subject
censored at the event time counts as surviving longer). It is concordant when the subject who
failed first has the higher risk score. concordance = (concordant + tied.x / 2) /
(concordant + discordant + tied.x); pairs tied on the event time (both events) are reported as
tied.y (tied.xy when also tied on the score) and left out (Harrell et al. 1982, JAMA
247:2543-2546; Therneau & Watson 2017, survival vignette "concordance"). Pairs count with the
product of their case weights and only within strata.

Computed without forming pairs: records are processed in blocks of decreasing time; each
block's events are compared with all later-surviving records through a weighted histogram of
score ranks, and with each other directly.
"""

from __future__ import annotations

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
    def value(self) -> float:
        denom = self.concordant + self.discordant + self.tied_x
        return (self.concordant + self.tied_x / 2.0) / denom if denom > 0 else float("nan")


def _stratum(time, event, score, weight, counts: np.ndarray, block: int | None) -> None:
    order = np.lexsort((-event, -time))  # decreasing time, events first within a time
    t, d, w = time[order], event[order].astype(bool), weight[order]
    _, rank = np.unique(score[order], return_inverse=True)
    if block is None:
        # balances the per-block histogram scan (ranks) against in-block pairs (block size)
        block = max(128, int(np.sqrt(rank.max() + 1)))
    hist = np.zeros(rank.max() + 2)
    n = len(t)
    new_time = np.r_[True, t[1:] != t[:-1]]
    group_starts = np.flatnonzero(new_time)
    lo = 0
    while lo < n:
        # end the block on a tied-time boundary so earlier blocks hold only later times
        target = min(lo + block, n)
        k = np.searchsorted(group_starts, target, side="left")
        hi = group_starts[k] if k < len(group_starts) else n
        if hi <= lo:
            hi = group_starts[k + 1] if k + 1 < len(group_starts) else n
        rt, rd, rw, rr = t[lo:hi], d[lo:hi], w[lo:hi], rank[lo:hi]
        ev = np.flatnonzero(rd)
        if len(ev):
            cum = np.cumsum(hist)
            below = np.where(rr[ev] > 0, cum[rr[ev] - 1], 0.0)
            same = hist[rr[ev]]
            total = cum[-1]
            counts[0] += np.sum(rw[ev] * below)
            counts[1] += np.sum(rw[ev] * (total - below - same))
            counts[2] += np.sum(rw[ev] * same)
            # pairs inside the block
            ti, ri, wi = rt[ev][:, None], rr[ev][:, None], rw[ev][:, None]
            later = (rt[None, :] > ti) | ((rt[None, :] == ti) & ~rd[None, :])
            pw = wi * rw[None, :]
            counts[0] += np.sum(pw * (later & (rr[None, :] < ri)))
            counts[1] += np.sum(pw * (later & (rr[None, :] > ri)))
            counts[2] += np.sum(pw * (later & (rr[None, :] == ri)))
            # tied event times: each unordered pair once
            both = (rt[ev][None, :] == ti) & (ev[None, :] > ev[:, None])
            pw = wi * rw[ev][None, :]
            tie_x = rr[ev][None, :] == ri
            counts[3] += np.sum(pw * (both & ~tie_x))
            counts[4] += np.sum(pw * (both & tie_x))
        np.add.at(hist, rr, rw)
        lo = hi


def concordance(
    time: np.ndarray,
    event: np.ndarray,
    score: np.ndarray,
    weight: np.ndarray | None = None,
    strata: np.ndarray | None = None,
    block: int | None = None,
) -> Concordance:
    """Concordance of ``score`` (higher = earlier failure) with right-censored times."""
    time = np.asarray(time, float)
    event = np.asarray(event).astype(np.int8)
    score = np.asarray(score, float)
    weight = np.ones(len(time)) if weight is None else np.asarray(weight, float)
    counts = np.zeros(5)
    if strata is None:
        _stratum(time, event, score, weight, counts, block)
    else:
        for s in np.unique(strata):
            m = strata == s
            _stratum(time[m], event[m], score[m], weight[m], counts, block)
    return Concordance(*map(float, counts))
