"""Compiled passes of the concordance's pair counts (used by
:func:`survstat.estimators.concordance.concordance_counts`).

Imported on first use, so that importing survstat does not load the compiler; numba compiles
the passes once and caches them on disk. Each pass adds records to a Fenwick tree over the
score ranks and reads prefix sums from it (Fenwick 1994, Software Pract Exper 24:327-336),
O(n log n) in all, as R ``survival``'s ``concordancefit`` does with its balanced tree.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _add(tree: np.ndarray, total: np.ndarray, r: int, w: float) -> None:
    # tree: 1-based Fenwick sums over ranks; total: the weight at each rank
    total[r] += w
    k = r + 1
    while k < len(tree):
        tree[k] += w
        k += k & (-k)


@numba.njit(cache=True, nogil=True)
def _clear(tree: np.ndarray, total: np.ndarray, r: int) -> None:
    # zero the entries rank r was added to: exact, where subtracting its weight again would
    # leave rounding residue in the sums of fractional weights
    total[r] = 0.0
    k = r + 1
    while k < len(tree):
        tree[k] = 0.0
        k += k & (-k)


@numba.njit(cache=True, nogil=True)
def _empty(tree: np.ndarray, total: np.ndarray, rank: np.ndarray, a: int, b: int) -> None:
    # the tree holds at most records a..b-1: clear their paths, or all at once when many
    if (b - a) * 8 > len(total):
        tree[:] = 0.0
        total[:] = 0.0
    else:
        for k in range(a, b):
            _clear(tree, total, rank[k])


@numba.njit(cache=True, nogil=True)
def _below(tree: np.ndarray, r: int) -> float:
    # the weight at ranks 0 .. r - 1: the tree's prefix up to its 1-based index r
    s = 0.0
    k = r
    while k > 0:
        s += tree[k]
        k -= k & (-k)
    return s


@numba.njit(cache=True, nogil=True)
def failing_first(
    group_start: np.ndarray,
    stratum_start: np.ndarray,
    event: np.ndarray,
    rank: np.ndarray,
    weight: np.ndarray,
    n_ranks: int,
    influence: np.ndarray,
) -> np.ndarray:
    """Weighted concordant, discordant, score-tied, time-tied and doubly tied pairs, and each
    event's partner-weighted concordant, discordant and score-tied pairs as the member that
    fails first.

    Parameters
    ----------
    group_start
        First record of each (stratum, time) group, then the number of records.
    stratum_start
        First group of each stratum, then the number of groups.
    event
        Whether each record ends in an event (booleans).
    rank
        The dense rank of each record's score (0 .. n_ranks - 1); higher = earlier failure.
    weight
        Case weights.
    n_ranks
        The number of distinct scores.
    influence
        Zeros of shape (records, 3), filled in place.

    Returns
    -------
    numpy.ndarray
        concordant, discordant, tied on the score, tied on the time (all event pairs at one
        time), and tied on both.

    Notes
    -----
    Records are sorted by stratum, then decreasing time.
    """
    counts = np.zeros(5)
    tree = np.zeros(n_ranks + 1)
    total = np.zeros(n_ranks)
    tied = np.zeros(n_ranks)
    for s in range(len(stratum_start) - 1):
        g_lo, g_hi = stratum_start[s], stratum_start[s + 1]
        # decreasing time: each event (failing first) against the records already seen,
        # which are the later times and the records censored at its own time
        seen = 0.0
        for g in range(g_lo, g_hi):
            a, b = group_start[g], group_start[g + 1]
            for i in range(a, b):
                if not event[i]:
                    _add(tree, total, rank[i], weight[i])
                    seen += weight[i]
            same = 0.0
            same2 = 0.0
            for i in range(a, b):
                if event[i]:
                    less = _below(tree, rank[i])
                    equal = total[rank[i]]
                    more = seen - less - equal
                    w = weight[i]
                    counts[0] += w * less
                    counts[1] += w * more
                    counts[2] += w * equal
                    influence[i, 0] += less
                    influence[i, 1] += more
                    influence[i, 2] += equal
                    same += w
                    same2 += w * w
                    counts[4] += w * tied[rank[i]]
                    tied[rank[i]] += w
            counts[3] += (same * same - same2) / 2.0
            for i in range(a, b):
                if event[i]:
                    _add(tree, total, rank[i], weight[i])
                    seen += weight[i]
                    tied[rank[i]] = 0.0
        _empty(tree, total, rank, int(group_start[g_lo]), int(group_start[g_hi]))
    return counts


@numba.njit(cache=True, nogil=True)
def lasting_longer(
    group_start: np.ndarray,
    stratum_start: np.ndarray,
    event: np.ndarray,
    rank: np.ndarray,
    weight: np.ndarray,
    n_ranks: int,
    influence: np.ndarray,
) -> None:
    """Each record's partner-weighted concordant, discordant and score-tied pairs as the
    member that lasts longer: against the events before it, and at its own time too when it
    is censored (the other half of the influence of :func:`failing_first`, independent of it,
    so the two can run side by side).

    Parameters
    ----------
    group_start, stratum_start, event, rank, weight, n_ranks
        As for :func:`failing_first`.
    influence
        Zeros of shape (records, 3), filled in place.
    """
    tree = np.zeros(n_ranks + 1)
    total = np.zeros(n_ranks)
    for s in range(len(stratum_start) - 1):
        g_lo, g_hi = stratum_start[s], stratum_start[s + 1]
        seen = 0.0
        for g in range(g_hi - 1, g_lo - 1, -1):
            a, b = group_start[g], group_start[g + 1]
            for step in range(3):  # the events, then the events as data, then the censored
                for i in range(a, b):
                    if step == 1:
                        if event[i]:
                            _add(tree, total, rank[i], weight[i])
                            seen += weight[i]
                    elif (step == 0) == event[i]:
                        less = _below(tree, rank[i])
                        equal = total[rank[i]]
                        # an earlier event with a higher score concords: it failed first and
                        # was predicted to
                        influence[i, 0] += seen - less - equal
                        influence[i, 1] += less
                        influence[i, 2] += equal
        _empty(tree, total, rank, int(group_start[g_lo]), int(group_start[g_hi]))
