"""Compiled passes of the concordance's pair counts (used by
:func:`survstat.estimators.concordance.concordance_counts`).

Imported on first use, so that importing survstat does not load the compiler; numba compiles
the passes once and caches them on disk. The records are taken in increasing order of the
score (:func:`score_order`, a radix sort), one run of equal scores at a time, and added to
Fenwick trees over the tied-time groups of their stratum (Fenwick 1994, Software Pract Exper
24:327-336), from which prefix sums give, for each record, the weight of its comparable
partners with a lower and an equal score: O(n log g) for g distinct times, as R
``survival``'s ``concordancefit`` does with its balanced tree over the scores. A tree over the
times is far smaller than one over the scores (there are usually far fewer distinct times than
distinct scores), so it stays in the processor's cache.
"""

from __future__ import annotations

import numba
import numpy as np

#: Bits of the score's sort key taken per radix pass (four passes of 16 bits).
_DIGIT = 16


@numba.njit(cache=True, nogil=True)
def score_order(score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The records in increasing order of the score, and the sorted keys.

    Parameters
    ----------
    score
        The scores (doubles; -0.0 is 0.0).

    Returns
    -------
    tuple of numpy.ndarray
        The order (record positions) and each position's key: unsigned integers that order as
        the scores do, equal exactly when the scores are equal.

    Notes
    -----
    A least-significant-digit radix sort of the doubles' bits (the sign flipped for positive
    numbers, every bit for negative ones), 16 bits per pass; passes in which every key has the
    same digit are skipped.
    """
    n = len(score)
    bits = score.view(np.uint64)
    sign = np.uint64(1) << np.uint64(63)
    key = np.empty(n, np.uint64)
    for i in range(n):
        k = np.uint64(0) if score[i] == 0.0 else bits[i]
        key[i] = ~k if k & sign else k | sign
    n_bins = 1 << _DIGIT
    mask = np.uint64(n_bins - 1)
    n_pass = 64 // _DIGIT
    count = np.zeros((n_pass, n_bins), np.int64)
    for i in range(n):
        k = key[i]
        for p in range(n_pass):
            count[p, (k >> np.uint64(p * _DIGIT)) & mask] += 1
    order = np.arange(n)
    order2 = np.empty(n, np.int64)
    key2 = np.empty(n, np.uint64)
    pos = np.empty(n_bins, np.int64)
    for p in range(n_pass):
        start = 0
        constant = False
        for b in range(n_bins):
            pos[b] = start
            start += count[p, b]
            constant |= count[p, b] == n
        if constant:
            continue
        shift = np.uint64(p * _DIGIT)
        for j in range(n):
            k = key[j]
            d = (k >> shift) & mask
            q = pos[d]
            key2[q] = k
            order2[q] = order[j]
            pos[d] = q + 1
        key, key2 = key2, key
        order, order2 = order2, order
    return order, key


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
def pair_counts(
    order: np.ndarray,
    key: np.ndarray,
    group: np.ndarray,
    group_lo: np.ndarray,
    group_hi: np.ndarray,
    group_stratum: np.ndarray,
    event: np.ndarray,
    weight: np.ndarray,
    influence: np.ndarray,
) -> np.ndarray:
    """Weighted concordant, discordant, score-tied, time-tied and doubly tied pairs, and each
    record's partner-weighted concordant, discordant and score-tied pairs.

    Parameters
    ----------
    order, key
        The records in increasing order of the score and their keys (:func:`score_order`).
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
    influence
        Zeros of shape (records, 3), filled in place: each record's concordant, discordant
        and score-tied pairs, partners weighted, as the member that fails first and as the
        member that lasts longer.

    Returns
    -------
    numpy.ndarray
        concordant, discordant, tied on the score, tied on the time (all event pairs at one
        time), and tied on both.

    Notes
    -----
    An event fails first against every record of a later time and every record censored at
    its own time (the tree ``later`` over the groups before its own, and ``censored`` per
    group); a record lasts longer than every event of an earlier time, and a censored record
    also than the events at its own time (the tree ``earlier``, over the groups in reverse).
    Before a run of equal scores is added, the trees hold exactly the partners with a lower
    score; after it, those with a lower or equal score.
    """
    n = len(order)
    n_groups = len(group_lo)
    counts = np.zeros(5)
    # the records' groups, events and weights in score order, gathered once in a loop without
    # dependent loads; the influence is written in that order and put back at the end
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
    # per group, side by side (one cache line): where its stratum's trees are and their size,
    # and its own index in ``later`` (the groups before it) and in ``earlier`` (reversed) ...
    gi = np.empty((n_groups, 4), np.int64)
    # ... the weight an event of the group fails before (later times and its censored
    # records), the events' weight before an event and before a censored record of the group,
    # the group's censored weight added so far, and its events' in the current run of scores
    gf = np.zeros((n_groups, 5))
    before = 0.0
    for g in range(n_groups):
        lo, hi = group_lo[g], group_hi[g]
        if g == lo:
            before = 0.0
        gi[g, 0] = lo + group_stratum[g]
        gi[g, 1] = hi - lo
        gi[g, 2] = g - lo
        gi[g, 3] = hi - g
        gf[g, 0] = before + cens[g]
        before += total[g]
        counts[3] += (dead[g] * dead[g] - dead2[g]) / 2.0
    after = 0.0
    for g in range(n_groups - 1, -1, -1):
        if g + 1 == group_hi[g]:
            after = 0.0
        gf[g, 1] = after
        gf[g, 2] = after + dead[g]
        after += dead[g]
    size = n_groups + group_stratum[-1] + 1 if n_groups else 1
    later, earlier = np.zeros(size), np.zeros(size)
    run_later, run_earlier = np.zeros(size), np.zeros(size)
    # the records of a run of equal scores, apart: their own trees give the score-tied
    # partners exactly (not as a difference of two sums, which would leave rounding residue)
    run_cens = np.zeros(n_groups)
    infl = np.zeros((n, 3))
    j = 0
    while j < n:
        b = j + 1
        while b < n and key[b] == key[j]:
            b += 1
        if b == j + 1:
            # a score of its own (the usual case): no tie on the score; the trees hold the
            # partners with a lower score
            g = group_s[j]
            off, m, kl, ke = gi[g, 0], gi[g, 1], gi[g, 2], gi[g, 3]
            w = weight_s[j]
            if event_s[j]:
                less = _prefix(earlier, off, ke - 1)
                infl[j, 0] = gf[g, 1] - less
                infl[j, 1] = less
                less = _prefix(later, off, kl) + gf[g, 3]
                more = gf[g, 0] - less
                counts[0] += w * less
                counts[1] += w * more
                infl[j, 0] += less
                infl[j, 1] += more
                _add(earlier, off, m, ke, w)
            else:
                less = _prefix(earlier, off, ke)
                infl[j, 0] = gf[g, 2] - less
                infl[j, 1] = less
                gf[g, 3] += w
            _add(later, off, m, kl + 1, w)
            j = b
            continue
        for q in range(j, b):
            g = group_s[q]
            off, m, kl, ke = gi[g, 0], gi[g, 1], gi[g, 2], gi[g, 3]
            w = weight_s[q]
            _add(run_later, off, m, kl + 1, w)
            if event_s[q]:
                _add(run_earlier, off, m, ke, w)
            else:
                run_cens[g] += w
        for q in range(j, b):
            # lower scores in the trees, equal ones in the run's
            g = group_s[q]
            off, m, kl, ke = gi[g, 0], gi[g, 1], gi[g, 2], gi[g, 3]
            reach = ke - 1 if event_s[q] else ke
            less = _prefix(earlier, off, reach)
            equal = _prefix(run_earlier, off, reach)
            seen = gf[g, 1] if event_s[q] else gf[g, 2]
            # an earlier event with a higher score concords: it failed first and was predicted
            # to
            infl[q, 0] = seen - less - equal
            infl[q, 1] = less
            infl[q, 2] = equal
            if not event_s[q]:
                continue
            less = _prefix(later, off, kl) + gf[g, 3]
            equal = _prefix(run_later, off, kl) + run_cens[g]
            more = gf[g, 0] - less - equal
            w = weight_s[q]
            counts[0] += w * less
            counts[1] += w * more
            counts[2] += w * equal
            infl[q, 0] += less
            infl[q, 1] += more
            infl[q, 2] += equal
            counts[4] += w * gf[g, 4]
            gf[g, 4] += w
        for q in range(j, b):
            # the run joins the trees
            g = group_s[q]
            off, m, kl, ke = gi[g, 0], gi[g, 1], gi[g, 2], gi[g, 3]
            w = weight_s[q]
            gf[g, 4] = 0.0
            _add(later, off, m, kl + 1, w)
            if event_s[q]:
                _add(earlier, off, m, ke, w)
            else:
                gf[g, 3] += w
            _clear(run_later, off, m, kl + 1)
            _clear(run_earlier, off, m, ke)
            run_cens[g] = 0.0
        j = b
    for q in range(n):
        i = order[q]
        influence[i, 0] = infl[q, 0]
        influence[i, 1] = infl[q, 1]
        influence[i, 2] = infl[q, 2]
    return counts
