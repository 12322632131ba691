"""Compiled radix sorts (used by :mod:`survstat.estimators.concordance` and the Cox layout,
:mod:`survstat.estimators._partial_likelihood`).

Imported on first use, so that importing survstat does not load the compiler; numba compiles
the sorts once and caches them on disk. Least-significant-digit radix sorts of 64-bit keys,
16 bits per counting-sort pass, are stable and take a fixed number of passes over the
records: faster than a comparison sort of a million records, and on one core.
"""

from __future__ import annotations

import numba
import numpy as np

#: Bits of the score's sort key taken per radix pass.
_DIGIT = 16
#: Runs of equal upper key halves up to this long are put in order by insertion, longer ones
#: up to :data:`_MERGE_UP_TO` by a merge sort, and longer still by radix passes.
_INSERT_UP_TO = 16
_MERGE_UP_TO = 1 << 16


@numba.njit(cache=True, nogil=True)
def _radix_passes(
    key: np.ndarray,
    order: np.ndarray,
    key2: np.ndarray,
    order2: np.ndarray,
    a: int,
    b: int,
    digits: tuple[int, ...],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    # stable counting-sort passes over the given 16-bit digits of key[a:b] (carrying order),
    # least significant first; a pass in which every key has the same digit is skipped. The
    # arrays swap roles at each pass: the sorted ones are returned first.
    n_bins = 1 << _DIGIT
    mask = np.uint64(n_bins - 1)
    count = np.zeros((len(digits), n_bins), np.int64)
    for i in range(a, b):
        k = key[i]
        for p in range(len(digits)):
            count[p, (k >> np.uint64(_DIGIT * digits[p])) & mask] += 1
    pos = np.empty(n_bins, np.int64)
    for p in range(len(digits)):
        start = a
        constant = False
        for d in range(n_bins):
            pos[d] = start
            start += count[p, d]
            constant |= count[p, d] == b - a
        if constant:
            continue
        shift = np.uint64(_DIGIT * digits[p])
        for j in range(a, b):
            k = key[j]
            q = pos[(k >> shift) & mask]
            key2[q] = k
            order2[q] = order[j]
            pos[(k >> shift) & mask] = q + 1
        key, key2 = key2, key
        order, order2 = order2, order
    return key, order, key2, order2


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
    A radix sort of the doubles' bits (the sign flipped for positive numbers, every bit for
    negative ones): two counting-sort passes over the upper 32 bits, 16 at a time, then each
    run of keys with equal upper halves in order of the lower halves (runs are short where the
    scores are spread out: a double's upper half holds its sign, exponent and 20 bits of
    mantissa).
    """
    n = len(score)
    bits = score.view(np.uint64)
    sign = np.uint64(1) << np.uint64(63)
    key = np.empty(n, np.uint64)
    for i in range(n):
        k = np.uint64(0) if score[i] == 0.0 else bits[i]
        key[i] = ~k if k & sign else k | sign
    order = np.arange(n)
    key2 = np.empty(n, np.uint64)
    order2 = np.empty(n, np.int64)
    key, order, key2, order2 = _radix_passes(key, order, key2, order2, 0, n, (2, 3))
    half = np.uint64(32)
    a = 0
    while a < n:
        upper = key[a] >> half
        mixed = False
        b = a + 1
        while b < n and key[b] >> half == upper:
            mixed |= key[b] != key[a]
            b += 1
        if not mixed:
            pass
        elif b - a <= _INSERT_UP_TO:
            for j in range(a + 1, b):
                k, o = key[j], order[j]
                m = j - 1
                while m >= a and key[m] > k:
                    key[m + 1] = key[m]
                    order[m + 1] = order[m]
                    m -= 1
                key[m + 1] = k
                order[m + 1] = o
        elif b - a <= _MERGE_UP_TO:
            by = np.argsort(key[a:b], kind="mergesort")
            key[a:b] = key[a:b][by]
            order[a:b] = order[a:b][by]
        else:
            k2, o2, _, _ = _radix_passes(key, order, key2, order2, a, b, (0, 1))
            key[a:b] = k2[a:b]
            order[a:b] = o2[a:b]
        a = b
    return order, key


@numba.njit(cache=True, nogil=True)
def key_order(key: np.ndarray, stratum: np.ndarray) -> np.ndarray:
    """The stable order of the records by stratum, then key.

    Parameters
    ----------
    key
        Unsigned 64-bit keys.
    stratum
        Each record's stratum as 0, 1, ...; empty for one stratum.

    Returns
    -------
    numpy.ndarray
        The record positions in increasing order of (stratum, key), equal pairs in the
        records' order.
    """
    n = len(key)
    order = np.arange(n)
    key, order, _, _ = _radix_passes(
        key.copy(), order, np.empty(n, np.uint64), np.empty(n, np.int64), 0, n, (0, 1, 2, 3)
    )
    if not len(stratum) or not n:
        return order
    # one more stable counting-sort pass, on the stratum
    start = np.zeros(stratum.max() + 2, np.int64)
    for i in range(n):
        start[stratum[i] + 1] += 1
    for s in range(1, len(start)):
        start[s] += start[s - 1]
    out = np.empty(n, np.int64)
    for j in range(n):
        i = order[j]
        out[start[stratum[i]]] = i
        start[stratum[i]] += 1
    return out
