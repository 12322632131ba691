"""Compiled passes of the concordance's pair counts (used by
:func:`survstat.estimators.concordance.concordance_counts`).

Imported on first use, so that importing survstat does not load the compiler; numba compiles
the passes once and caches them on disk. The records are taken in increasing order of the
score (a radix sort: :func:`survstat.estimators._sort_kernel.score_order`), one run of equal
scores at a time, and added to Fenwick trees over the tied-time groups of their stratum
(Fenwick 1994, Software Pract Exper 24:327-336), from which prefix sums give, for each
record, the weight of its comparable partners with a lower and an equal score: O(n log g) for
g distinct times, as R ``survival``'s ``concordancefit`` does with its balanced tree over the
scores. A tree over the times is far smaller than one over the scores (there are usually far
fewer distinct times than distinct scores), so it stays in the processor's cache. The two
halves of each record's influence, as the member of a pair that fails first
(:func:`failing_first`, which also counts the pairs) and as the one that lasts longer
(:func:`lasting_longer`), use separate trees and run side by side.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True, inline="always")
def _add(tree: np.ndarray, offset: int, size: int, k: int, w: float) -> None:
    # 1-based Fenwick tree of `size` entries stored at tree[offset + 1 .. offset + size]
    while k <= size:
        tree[offset + k] += w
        k += k & (-k)


@numba.njit(cache=True, nogil=True, inline="always")
def _clear(tree: np.ndarray, offset: int, size: int, k: int) -> None:
    # zero the entries index k was added to (exactly, where subtracting would leave residue)
    while k <= size:
        tree[offset + k] = 0.0
        k += k & (-k)


@numba.njit(cache=True, nogil=True, inline="always")
def _prefix(tree: np.ndarray, offset: int, k: int) -> float:
    # the sum of the tree's entries 1 .. k
    s = 0.0
    while k > 0:
        s += tree[offset + k]
        k -= k & (-k)
    return s


@numba.njit(cache=True, nogil=True)
def prepare(
    order: np.ndarray,
    group: np.ndarray,
    group_lo: np.ndarray,
    group_hi: np.ndarray,
    group_stratum: np.ndarray,
    event: np.ndarray,
    weight: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """The records in score order and, per tied-time group, where its trees are and the
    weights :func:`failing_first` and :func:`lasting_longer` compare with.

    Parameters
    ----------
    order
        The records in increasing order of the score
        (:func:`survstat.estimators._sort_kernel.score_order`).
    group
        The tied-time group of each record: groups are numbered stratum by stratum, by
        decreasing time within a stratum.
    group_lo, group_hi
        Per group, the first group of its stratum and one past the last.
    group_stratum
        Per group, its stratum as 0, 1, ...
    event
        Whether each record ends in an event (booleans).
    weight
        Case weights.

    Returns
    -------
    tuple
        Each record's group, event and weight in score order; per group (side by side in
        one row, read together) the offset of its stratum's trees in the tree arrays, their
        size, the group's own index in the tree of later times (the groups before it) and in
        the tree of earlier times (the groups after it, reversed); per group the weight an
        event of the group fails before (later times and the group's censored records), the
        events' weight before an event and before a censored record of the group; and the
        weighted pairs of events at one time (tied on the time).
    """
    n = len(order)
    n_groups = len(group_lo)
    # gathered once in a loop without dependent loads: the passes then read them in order
    group_s = np.empty(n, np.int64)
    event_s = np.empty(n, np.bool_)
    weight_s = np.empty(n)
    for q in range(n):
        i = order[q]
        group_s[q] = group[i]
        event_s[q] = event[i]
        weight_s[q] = weight[i]
    total = np.zeros(n_groups)
    cens = np.zeros(n_groups)
    dead = np.zeros(n_groups)
    dead2 = np.zeros(n_groups)
    for i in range(n):
        g = group[i]
        w = weight[i]
        total[g] += w
        if event[i]:
            dead[g] += w
            dead2[g] += w * w
        else:
            cens[g] += w
    where = np.empty((n_groups, 4), np.int64)
    seen = np.empty((n_groups, 3))
    tied_y = 0.0
    before = 0.0
    for g in range(n_groups):
        lo, hi = group_lo[g], group_hi[g]
        if g == lo:
            before = 0.0
        where[g, 0] = lo + group_stratum[g]
        where[g, 1] = hi - lo
        where[g, 2] = g - lo
        where[g, 3] = hi - g
        seen[g, 0] = before + cens[g]
        before += total[g]
        tied_y += (dead[g] * dead[g] - dead2[g]) / 2.0
    after = 0.0
    for g in range(n_groups - 1, -1, -1):
        if g + 1 == group_hi[g]:
            after = 0.0
        seen[g, 1] = after
        seen[g, 2] = after + dead[g]
        after += dead[g]
    return group_s, event_s, weight_s, where, seen, tied_y


@numba.njit(cache=True, nogil=True)
def failing_first(
    key: np.ndarray,
    group: np.ndarray,
    event: np.ndarray,
    weight: np.ndarray,
    where: np.ndarray,
    seen: np.ndarray,
    influence: np.ndarray,
) -> np.ndarray:
    """Weighted concordant, discordant and score-tied pairs, and each event's
    partner-weighted concordant, discordant and score-tied pairs as the member that fails
    first: against every record of a later time and every record censored at its own time.

    Parameters
    ----------
    key
        The records' score keys in score order
        (:func:`survstat.estimators._sort_kernel.score_order`).
    group, event, weight, where, seen
        From :func:`prepare`.
    influence
        Zeros of shape (records, 3), filled in place, records in score order.

    Returns
    -------
    numpy.ndarray
        concordant, discordant, tied on the score, 0 (tied on the time: :func:`prepare`) and
        tied on both.

    Notes
    -----
    The tree ``later`` holds, per group, the weight of the records added so far, and
    ``cens`` the censored ones: before a run of equal scores is added, exactly the
    partners with a lower score. The run's records go first into trees of their own, which
    give the score-tied partners exactly (not as a difference of two sums, which would leave
    rounding residue).
    """
    n = len(key)
    counts = np.zeros(5)
    size = where[-1, 0] + where[-1, 1] + 1 if len(where) else 1
    later = np.zeros(size)
    run_later = np.zeros(size)
    # per group: its censored weight added so far, in the current run, and its events' weight
    # in the current run
    cens = np.zeros(len(seen))
    run_cens = np.zeros(len(seen))
    tied = np.zeros(len(seen))
    j = 0
    while j < n:
        b = j + 1
        while b < n and key[b] == key[j]:
            b += 1
        if b == j + 1:  # a score of its own (the usual case)
            g = group[j]
            off, m, kl = where[g, 0], where[g, 1], where[g, 2]
            w = weight[j]
            if event[j]:
                less = _prefix(later, off, kl) + cens[g]
                more = seen[g, 0] - less
                counts[0] += w * less
                counts[1] += w * more
                influence[j, 0] = less
                influence[j, 1] = more
            else:
                cens[g] += w
            _add(later, off, m, kl + 1, w)
            j = b
            continue
        for q in range(j, b):
            g = group[q]
            _add(run_later, where[g, 0], where[g, 1], where[g, 2] + 1, weight[q])
            if not event[q]:
                run_cens[g] += weight[q]
        for q in range(j, b):
            if not event[q]:
                continue
            g = group[q]
            off, kl = where[g, 0], where[g, 2]
            less = _prefix(later, off, kl) + cens[g]
            equal = _prefix(run_later, off, kl) + run_cens[g]
            more = seen[g, 0] - less - equal
            w = weight[q]
            counts[0] += w * less
            counts[1] += w * more
            counts[2] += w * equal
            influence[q, 0] = less
            influence[q, 1] = more
            influence[q, 2] = equal
            counts[4] += w * tied[g]
            tied[g] += w
        for q in range(j, b):  # the run joins the trees
            g = group[q]
            off, m, kl = where[g, 0], where[g, 1], where[g, 2]
            w = weight[q]
            tied[g] = 0.0
            _add(later, off, m, kl + 1, w)
            if not event[q]:
                cens[g] += w
            _clear(run_later, off, m, kl + 1)
            run_cens[g] = 0.0
        j = b
    return counts


@numba.njit(cache=True, nogil=True)
def lasting_longer(
    key: np.ndarray,
    group: np.ndarray,
    event: np.ndarray,
    weight: np.ndarray,
    where: np.ndarray,
    seen: np.ndarray,
    influence: np.ndarray,
) -> None:
    """Each record's partner-weighted concordant, discordant and score-tied pairs as the
    member that lasts longer: against every event of an earlier time, and a censored record
    also against the events at its own time (the other half of the influence, independent of
    :func:`failing_first`, so the two run side by side).

    Parameters
    ----------
    key, group, event, weight, where, seen
        As for :func:`failing_first`.
    influence
        Zeros of shape (records, 3), filled in place, records in score order.

    Notes
    -----
    The tree ``earlier`` holds, per group in reverse, the events' weight added so far.
    """
    n = len(key)
    size = where[-1, 0] + where[-1, 1] + 1 if len(where) else 1
    earlier = np.zeros(size)
    run_earlier = np.zeros(size)
    j = 0
    while j < n:
        b = j + 1
        while b < n and key[b] == key[j]:
            b += 1
        if b == j + 1:  # a score of its own (the usual case)
            g = group[j]
            off, m, ke = where[g, 0], where[g, 1], where[g, 3]
            if event[j]:
                less = _prefix(earlier, off, ke - 1)
                influence[j, 0] = seen[g, 1] - less
                _add(earlier, off, m, ke, weight[j])
            else:
                less = _prefix(earlier, off, ke)
                influence[j, 0] = seen[g, 2] - less
            influence[j, 1] = less
            j = b
            continue
        for q in range(j, b):
            if event[q]:
                g = group[q]
                _add(run_earlier, where[g, 0], where[g, 1], where[g, 3], weight[q])
        for q in range(j, b):
            g = group[q]
            off, ke = where[g, 0], where[g, 3]
            reach = ke - 1 if event[q] else ke
            less = _prefix(earlier, off, reach)
            equal = _prefix(run_earlier, off, reach)
            total = seen[g, 1] if event[q] else seen[g, 2]
            # an earlier event with a higher score concords: it failed first and was predicted
            # to
            influence[q, 0] = total - less - equal
            influence[q, 1] = less
            influence[q, 2] = equal
        for q in range(j, b):  # the run joins the tree
            if event[q]:
                g = group[q]
                off, m, ke = where[g, 0], where[g, 1], where[g, 3]
                _add(earlier, off, m, ke, weight[q])
                _clear(run_earlier, off, m, ke)
        j = b


@numba.njit(cache=True, nogil=True)
def put_back(
    order: np.ndarray,
    first: np.ndarray,
    later: np.ndarray,
    weight: np.ndarray,
    somers: float,
    pairs: float,
    dfbeta: np.ndarray,
) -> None:
    """Each record's term of the infinitesimal-jackknife variance, from the two halves of its
    influence, in the records' own order.

    Parameters
    ----------
    order
        The records in score order (:func:`survstat.estimators._sort_kernel.score_order`).
    first, later
        The halves from :func:`failing_first` and :func:`lasting_longer` (score order).
    weight
        Case weights in score order.
    somers, pairs
        Somers' d and the weighted comparable pairs.
    dfbeta
        Written in place: per record, w {(c - d) - (c + d + t) somers} / (2 pairs), with c,
        d, t its partner-weighted concordant, discordant and score-tied pairs (the operations
        in the order of :func:`survstat.estimators.concordance._dfbeta`).
    """
    twice = 2.0 * pairs
    for q in range(len(order)):
        c = first[q, 0] + later[q, 0]
        d = first[q, 1] + later[q, 1]
        t = first[q, 2] + later[q, 2]
        dfbeta[order[q]] = ((c - d) - (c + d + t) * somers) * weight[q] / twice


# Records in time order, a tree over the score ranks: for data with few records per tied time
# (continuous times, counting-process records), where the trees over the times would be as
# large as one over the scores and the records' groups would be read out of order.


@numba.njit(cache=True, nogil=True)
def _rank_add(tree: np.ndarray, total: np.ndarray, r: int, w: float) -> None:
    # tree: 1-based Fenwick sums over ranks; total: the weight at each rank
    total[r] += w
    k = r + 1
    while k < len(tree):
        tree[k] += w
        k += k & (-k)


@numba.njit(cache=True, nogil=True)
def _rank_clear(tree: np.ndarray, total: np.ndarray, r: int) -> None:
    # zero the entries rank r was added to: exact, where subtracting its weight again would
    # leave rounding residue in the sums of fractional weights
    total[r] = 0.0
    k = r + 1
    while k < len(tree):
        tree[k] = 0.0
        k += k & (-k)


@numba.njit(cache=True, nogil=True)
def _rank_empty(tree: np.ndarray, total: np.ndarray, rank: np.ndarray, a: int, b: int) -> None:
    # the tree holds at most records a..b-1: clear their paths, or all at once when many
    if (b - a) * 8 > len(total):
        tree[:] = 0.0
        total[:] = 0.0
    else:
        for k in range(a, b):
            _rank_clear(tree, total, rank[k])


@numba.njit(cache=True, nogil=True)
def _rank_below(tree: np.ndarray, r: int) -> float:
    # the weight at ranks 0 .. r - 1: the tree's prefix up to its 1-based index r
    s = 0.0
    k = r
    while k > 0:
        s += tree[k]
        k -= k & (-k)
    return s


@numba.njit(cache=True, nogil=True)
def failing_first_by_time(
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
                    _rank_add(tree, total, rank[i], weight[i])
                    seen += weight[i]
            same = 0.0
            same2 = 0.0
            for i in range(a, b):
                if event[i]:
                    less = _rank_below(tree, rank[i])
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
                    _rank_add(tree, total, rank[i], weight[i])
                    seen += weight[i]
                    tied[rank[i]] = 0.0
        _rank_empty(tree, total, rank, int(group_start[g_lo]), int(group_start[g_hi]))
    return counts


@numba.njit(cache=True, nogil=True)
def lasting_longer_by_time(
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
    is censored (the other half of the influence of :func:`failing_first_by_time`,
    independent of it, so the two can run side by side).

    Parameters
    ----------
    group_start, stratum_start, event, rank, weight, n_ranks
        As for :func:`failing_first_by_time`.
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
                            _rank_add(tree, total, rank[i], weight[i])
                            seen += weight[i]
                    elif (step == 0) == event[i]:
                        less = _rank_below(tree, rank[i])
                        equal = total[rank[i]]
                        # an earlier event with a higher score concords: it failed first and
                        # was predicted to
                        influence[i, 0] += seen - less - equal
                        influence[i, 1] += less
                        influence[i, 2] += equal
        _rank_empty(tree, total, rank, int(group_start[g_lo]), int(group_start[g_hi]))
