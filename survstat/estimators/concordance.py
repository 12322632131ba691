"""Harrell's concordance of a risk score with survival times (as R ``survival::concordance``).

A pair is comparable when one subject has an event before the other's follow-up ends (a subject
censored at the event time counts as surviving longer). It is concordant when the subject who
failed first has the higher risk score. concordance = (concordant + tied.x / 2) /
(concordant + discordant + tied.x); pairs tied on the event time (both events) are reported as
tied.y (tied.xy when also tied on the score) and left out (Harrell et al. 1982, JAMA
247:2543-2546; Therneau & Watson 2017, survival vignette "concordance"). Pairs count with the
product of their case weights and only within strata.

No pairs are formed: the counts are 2-D dominance sums (earlier in decreasing-time order, lower
score). Up to :data:`COMPILED_FROM` records they come from a bottom-up merge sort whose levels
are vectorised, O(n log^2 n); from there on from one compiled pass over the records in score
order, which adds them to Fenwick trees over the tied times of their stratum, O(n log n)
(:mod:`survstat.estimators._concordance_kernel`), which pays a one-off load of the compiler
that small data does not need.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

#: From this many records the pair counts come from the compiled O(n log n) passes (below it,
#: the vectorised merge sort is faster than loading the compiled code).
COMPILED_FROM = 20_000
#: ... and from this many strata, which the vectorised counts take one at a time (matched
#: sets, many centres).
COMPILED_FROM_STRATA = 50
#: From this many records per tied time (on average) the compiled passes take the records in
#: score order against trees over the times; below it (continuous times, counting-process
#: records) in time order against a tree over the scores.
BY_SCORE_FROM = 8


@dataclass(frozen=True, slots=True)
class Concordance:
    r"""Weighted pair counts, the concordance index and, when asked, its variance.

    ``variance`` is R ``concordance()``'s ``var``: the infinitesimal-jackknife variance
    :math:`\sum_i d_i^2` (summed within clusters first) of the per-subject influence
    :math:`d_i = w_i \{(c_i - d_i') - (c_i + d_i' + t_i) S\} / (2 N)`, where
    :math:`c_i, d_i', t_i` are the partner-weighted concordant, discordant and score-tied
    comparable pairs subject i belongs to, :math:`S = (C - D)/N` is Somers' d and
    :math:`N = C + D + T` the comparable pairs; None when not computed or undefined.
    """

    concordant: float
    discordant: float
    tied_x: float
    tied_y: float
    tied_xy: float
    variance: float | None = None

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

    @property
    def std_error(self) -> float | None:
        """The square root of :attr:`variance` (R ``sqrt(concordance(...)$var)``), or None."""
        if self.variance is None or not math.isfinite(self.variance) or self.variance < 0:
            return None
        return math.sqrt(self.variance)


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


def _stratum(
    time: np.ndarray,
    event: np.ndarray,
    score: np.ndarray,
    weight: np.ndarray,
    counts: np.ndarray,
    influence: np.ndarray | None = None,
) -> None:
    """Add the stratum's weighted pair counts to ``counts``; with ``influence`` (n x 3), add
    each subject's partner-weighted concordant, discordant and score-tied pairs to its row."""
    n = len(time)
    rank = _codes(score)
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
    if influence is None:
        return
    # each event as the member that fails first: later partners with a lower score concord
    first = items[q]
    np.add.at(influence[:, 0], first, less[q])
    np.add.at(influence[:, 1], first, visible[q] - less[q] - equal[q])
    np.add.at(influence[:, 2], first, equal[q])
    # each subject as the member that lasts longer: the events before it (at its own time too
    # when it is censored), in increasing time; at one time the events' queries come before
    # the events as data, and the censored records' queries after them
    slot2 = np.concatenate([np.where(event, 0, 2), np.ones(len(ev), dtype=np.int64)])
    group2 = np.concatenate([-tgroup, -tgroup[ev]])
    seq2 = np.lexsort((slot2, group2))
    is_query2 = (slot2 != 1)[seq2]
    items2 = src[seq2]
    w_data2 = np.where(is_query2, 0.0, weight[items2])
    less2, equal2 = _dominance(is_query2, rank[items2], w_data2, n_ranks)
    visible2 = np.cumsum(w_data2) - w_data2
    q2 = np.flatnonzero(is_query2)
    later = items2[q2]
    # an earlier event with a higher score concords: it failed first and was predicted to
    np.add.at(influence[:, 0], later, visible2[q2] - less2[q2] - equal2[q2])
    np.add.at(influence[:, 1], later, less2[q2])
    np.add.at(influence[:, 2], later, equal2[q2])


def concordance_counts(
    time: np.ndarray,
    event: np.ndarray,
    score: np.ndarray,
    weight: np.ndarray | None = None,
    strata: np.ndarray | None = None,
    *,
    variance: bool = False,
    cluster: np.ndarray | None = None,
    groups: TimeGroups | None = None,
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
    variance
        Whether to compute the infinitesimal-jackknife variance (R ``concordance()``'s
        ``var``, see :class:`Concordance`); it needs a second pass over the records.
    cluster
        Cluster labels: the influence is summed within each cluster before it is squared
        (R ``concordance(..., cluster=)``); default one cluster per record.
    groups
        The records' tied-time groups within the strata, when the caller has them (a Cox
        fit's layout): they spare the compiled counts a sort of the records.

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
    n = len(time)
    weight = np.ones(n) if weight is None else np.asarray(weight, float)
    code = None
    if groups is not None:
        n_strata = 1 + int(np.count_nonzero(groups.lo[1:] != groups.lo[:-1]))
    else:
        code = None if strata is None else _codes(np.asarray(strata))
        n_strata = 1 if code is None or not len(code) else int(code.max()) + 1
    if n >= COMPILED_FROM or n_strata >= COMPILED_FROM_STRATA:
        if groups is None:
            groups = _time_groups(time, code)
        counts, dfbeta = _grouped_counts(groups, event, score, weight, variance=variance)
    else:
        counts = np.zeros(5)
        influence = np.zeros((n, 3))
        if strata is None:
            _stratum(time, event, score, weight, counts, influence)
        else:
            for s in np.unique(strata):
                rows = np.flatnonzero(strata == s)
                part = np.zeros((len(rows), 3))
                _stratum(time[rows], event[rows], score[rows], weight[rows], counts, part)
                influence[rows] = part
        dfbeta = _dfbeta(counts, influence, weight) if variance else None
    # tied.y counted all same-time event pairs; those tied on the score too are tied.xy
    counts[3] -= counts[4]
    var = None if dfbeta is None else _ij_variance(dfbeta, cluster)
    return Concordance(*map(float, counts), variance=var)


@dataclass(frozen=True, slots=True)
class TimeGroups:
    """Records cut into tied-time groups within strata, numbered stratum by stratum and by
    decreasing time within a stratum: each record's group (``group``) and, per group, the
    first group of its stratum (``lo``) and one past its last (``hi``)."""

    group: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    #: The records in group order; None when they already are (a Cox layout).
    rows: np.ndarray | None = None


def _time_groups(time: np.ndarray, code: np.ndarray | None) -> TimeGroups:
    """The tied-time groups of records with strata ``code`` (0, 1, ... as :func:`_codes`
    numbers them; None: one stratum)."""
    n = len(time)
    if code is None:
        code = np.zeros(n, dtype=np.int64)
    # records by stratum, then decreasing time
    ordered = bool(np.all((np.diff(code) > 0) | ((np.diff(code) == 0) & (np.diff(time) <= 0))))
    rows = np.arange(n) if ordered else np.lexsort((-time, code))
    t, c = time[rows], code[rows]
    new_stratum = np.r_[True, c[1:] != c[:-1]] if n else np.zeros(0, dtype=bool)
    new_group = new_stratum | np.r_[True, t[1:] != t[:-1]] if n else new_stratum
    group = np.empty(n, dtype=np.int64)
    group[rows] = np.cumsum(new_group) - 1
    group_start = np.flatnonzero(new_group)
    first = np.flatnonzero(new_stratum[group_start])
    size = np.diff(np.append(first, len(group_start)))
    end = np.append(first[1:], len(group_start))
    return TimeGroups(
        group, np.repeat(first, size), np.repeat(end, size), None if ordered else rows
    )


def _grouped_counts(
    groups: TimeGroups,
    event: np.ndarray,
    score: np.ndarray,
    weight: np.ndarray,
    *,
    variance: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The pair counts (as :func:`_stratum` adds them, tied.y still holding tied.xy) and,
    with ``variance``, each record's term of the variance (as :func:`_dfbeta`; None without
    comparable pairs), by the compiled Fenwick-tree passes of
    :mod:`survstat.estimators._concordance_kernel`: O(n log n)."""
    from survstat.estimators import _concordance_kernel, _sort_kernel

    n = len(groups.group)
    lo = groups.lo
    stratum = np.cumsum(np.r_[len(lo) > 0, lo[1:] != lo[:-1]]) - 1
    if not n:
        return np.zeros(5), None
    kernel = _concordance_kernel
    order, key = _sort_kernel.score_order(np.ascontiguousarray(score, dtype=float))
    if len(lo) * BY_SCORE_FROM > n:
        counts, influence = _counts_by_time(groups, event, weight, order, key)
        return counts, _dfbeta(counts, influence, weight) if variance else None
    group, event_s, weight_s, where, seen, tied_y = kernel.prepare(
        order,
        np.ascontiguousarray(groups.group, dtype=np.int64),
        np.ascontiguousarray(lo, dtype=np.int64),
        np.ascontiguousarray(groups.hi, dtype=np.int64),
        stratum.astype(np.int64),
        np.ascontiguousarray(event, dtype=np.bool_),
        np.ascontiguousarray(weight, dtype=float),
    )
    # the two halves of the influence are independent and run side by side (the compiled
    # passes release the GIL)
    args = (key, group, event_s, weight_s, where, seen)
    first, later = np.zeros((n, 3)), np.zeros((n, 3))
    with ThreadPoolExecutor(max_workers=1) as pool:
        other = pool.submit(kernel.lasting_longer, *args, later)
        counts = kernel.failing_first(*args, first)
        other.result()
    counts[3] = tied_y
    pairs = counts[0] + counts[1] + counts[2]
    if not (variance and math.isfinite(pairs) and pairs > 0):
        return counts, None
    # the variance's terms, computed as _dfbeta does, put back in the records' order
    dfbeta = np.empty(n)
    kernel.put_back(order, first, later, weight_s, (counts[0] - counts[1]) / pairs, pairs, dfbeta)
    return counts, dfbeta


def _counts_by_time(
    groups: TimeGroups, event: np.ndarray, weight: np.ndarray, order: np.ndarray, key: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_grouped_counts` with the records in time order, against a Fenwick tree over
    the scores' dense ranks (from their ``order`` and sorted ``key``), and the per-record
    influence."""
    from survstat.estimators import _concordance_kernel as kernel

    n = len(order)
    lo = groups.lo
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.cumsum(np.r_[0, key[1:] != key[:-1]])
    rows = groups.rows
    event = np.ascontiguousarray(event, dtype=np.bool_)
    weight = np.ascontiguousarray(weight, dtype=float)
    args = (
        np.append(0, np.cumsum(np.bincount(groups.group, minlength=len(lo)))),
        np.append(np.flatnonzero(np.r_[True, lo[1:] != lo[:-1]]), len(lo)),
        event if rows is None else event[rows],
        rank if rows is None else rank[rows],
        weight if rows is None else weight[rows],
        int(rank[order[-1]]) + 1,
    )
    first, later = np.zeros((n, 3)), np.zeros((n, 3))
    with ThreadPoolExecutor(max_workers=1) as pool:
        other = pool.submit(kernel.lasting_longer_by_time, *args, later)
        counts = kernel.failing_first_by_time(*args, first)
        other.result()
    if rows is None:
        return counts, first + later
    influence = np.empty_like(first)
    influence[rows] = first + later
    return counts, influence


def _codes(values: np.ndarray) -> np.ndarray:
    """Each value's dense rank from 0 (equal values share it); a Cox layout's stratum labels,
    already in increasing order, are numbered by a single pass instead of a sort."""
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    if values.dtype.kind in "iu" and np.all(values[1:] >= values[:-1]):
        return np.concatenate([[0], np.cumsum(values[1:] != values[:-1])]).astype(np.int64)
    import polars as pl

    # polars ranks on all cores; numpy's unique sorts on one
    return pl.Series(values).rank("dense").to_numpy().astype(np.int64) - 1


def _dfbeta(counts: np.ndarray, influence: np.ndarray, weight: np.ndarray) -> np.ndarray | None:
    """Each record's term of R ``concordance()``'s infinitesimal-jackknife variance from its
    influence (see :class:`Concordance`); None without comparable pairs."""
    pairs = counts[0] + counts[1] + counts[2]
    if not (math.isfinite(pairs) and pairs > 0):
        return None
    somers = (counts[0] - counts[1]) / pairs
    conc, disc, tied = influence[:, 0], influence[:, 1], influence[:, 2]
    d = conc - disc
    d -= (conc + disc + tied) * somers
    dfbeta = d * weight
    dfbeta /= 2.0 * pairs
    return dfbeta


def _ij_variance(dfbeta: np.ndarray, cluster: np.ndarray | None) -> float | None:
    """The infinitesimal-jackknife variance: the sum of the squared terms (:func:`_dfbeta`),
    summed within clusters first; None when not finite."""
    if cluster is not None:
        _, inv = np.unique(np.asarray(cluster), return_inverse=True)
        dfbeta = np.bincount(inv, weights=dfbeta)
    value = float(np.sum(dfbeta**2))
    return value if math.isfinite(value) else None


#: Columns of :attr:`ConcordanceResult.table`.
CONCORDANCE_COLUMNS = (
    "n",
    "concordance",
    "std_error",
    "conf_low",
    "conf_high",
    "concordant",
    "discordant",
    "tied_x",
    "tied_y",
    "tied_xy",
)


@dataclass(frozen=True, slots=True)
class ConcordanceResult:
    """Harrell's concordance of a score with survival (:func:`concordance`).

    ``table`` has one row (columns :data:`CONCORDANCE_COLUMNS`): the number of records,
    the concordance with its infinitesimal-jackknife standard error and Wald interval (clipped
    to [0, 1]), and the weighted pair counts as R ``concordance()$count`` names them
    (``tied.x`` as ``tied_x``). ``counts`` holds the same as a :class:`Concordance`.
    """

    counts: Concordance
    reverse: bool
    conf_level: float
    table: Any


def concordance(
    data: Any,
    *,
    time: str | None = None,
    event: str | None = None,
    score: str,
    weight: str | None = None,
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    reverse: bool = False,
    censor: str | None = None,
    conf_level: float = 0.95,
) -> ConcordanceResult:
    """Harrell's concordance of any score with right-censored survival, with its standard
    error (R ``survival::concordance(Surv(time, event) ~ score, reverse=)``).

    A pair is comparable when one subject has an event before the other's follow-up ends (a
    subject censored at that event's time counts as surviving longer). By default a higher
    score predicts *longer* survival (a predicted survival time), as R's default; with
    ``reverse=True`` a higher score predicts an earlier event (a risk score or a Cox linear
    predictor, as ``concordance(coxfit)`` uses). Pairs count with the product of their case
    weights and only within strata. The standard error is R's infinitesimal-jackknife ``var``
    (see :class:`Concordance`), summed within ``cluster`` first when given. Counts come from
    2-D dominance sums (no pairs are formed).

    Parameters
    ----------
    data
        A frame or a Parquet, CSV or SAS path.
    time, event, censor
        Follow-up time, and the event indicator or the CDISC CNSR-style censoring column (one
        of the two), as :meth:`survstat.data.SurvivalData.right_censored` takes them.
    score
        The numeric score column: finite, no missing values.
    weight
        Case weights column.
    strata
        Stratum column(s): pairs are formed only within a stratum.
    cluster
        Cluster column for the standard error (R ``cluster=``).
    reverse
        Whether a higher score predicts an earlier event (R ``reverse=TRUE``).
    conf_level
        Level of the Wald interval concordance ± z·SE.

    Returns
    -------
    ConcordanceResult
        One row with the concordance, its standard error and interval, and the pair counts.

    Raises
    ------
    ColumnNotFoundError
        When the score or cluster column is missing.
    ColumnTypeError
        When the score is not numeric.
    MissingValueError
        When the score has missing or NaN values (named with the first row).
    InvalidValueError
        When the score has infinite values.

    References
    ----------
    .. [1] Harrell FE, Califf RM, Pryor DB, Lee KL, Rosati RA (1982). Evaluating the yield of
       medical tests. JAMA 247:2543-2546.
    .. [2] Therneau T, Watson E (2017). The concordance statistic and the Cox model. Vignette
       of the R package survival.

    Examples
    --------
    >>> import survstat
    >>> from survstat.estimators.concordance import concordance
    >>> gbsg = survstat.datasets.load("gbsg2")
    >>> c = concordance(gbsg, time="time", event="cens", score="pnodes", reverse=True)
    >>> round(c.table["concordance"].item(), 4), round(c.table["std_error"].item(), 5)
    (0.6452, 0.01638)
    """
    import polars as pl

    from survstat.data import as_survival_data
    from survstat.errors import ColumnNotFoundError, check_probability
    from survstat.estimators._confint import z_value

    check_probability("conf_level", conf_level)
    sd = as_survival_data(data, time=time, event=event, strata=strata, weight=weight, censor=censor)
    sd.require_rows("concordance")
    available = sd.frame.collect_schema().names()
    for column, role in ((score, "score"), (cluster, "cluster")):
        if column is not None and column not in available:
            raise ColumnNotFoundError(column, available, role=role)
    cols = [*sd.strata, sd.time, sd.event, *([sd.weight] if sd.weight else [])]
    extra = [c for c in (score, cluster) if c is not None and c not in cols]
    frame = sd.frame.select(*cols, *dict.fromkeys(extra)).collect()
    values = _score_values(frame, score)
    if cluster is not None and frame.get_column(cluster).null_count():
        from survstat.errors import MissingValueError, counted

        missing = frame.get_column(cluster).is_null().arg_true()
        raise MissingValueError(
            f"`{cluster}` (cluster) has {counted(len(missing), 'missing value')} (first at row "
            f"{missing[0]}); every record needs its cluster"
        )
    stratum = None
    if sd.strata:
        stratum = frame.select(pl.struct(list(sd.strata)).rank("dense")).to_series().to_numpy()
    counts = concordance_counts(
        frame.get_column(sd.time).to_numpy().astype(float),
        frame.get_column(sd.event).to_numpy().astype(bool),
        values if reverse else -values,
        None if sd.weight is None else frame.get_column(sd.weight).to_numpy().astype(float),
        stratum,
        variance=True,
        cluster=None if cluster is None else frame.get_column(cluster).to_numpy(),
    )
    value, se = counts.value, counts.std_error
    z = z_value(conf_level)
    low = high = None
    if value is not None and se is not None:
        low, high = max(0.0, value - z * se), min(1.0, value + z * se)
    table = pl.DataFrame(
        {
            "n": [frame.height],
            "concordance": [value],
            "std_error": [se],
            "conf_low": [low],
            "conf_high": [high],
            "concordant": [counts.concordant],
            "discordant": [counts.discordant],
            "tied_x": [counts.tied_x],
            "tied_y": [counts.tied_y],
            "tied_xy": [counts.tied_xy],
        },
        schema={c: (pl.Int64 if c == "n" else pl.Float64) for c in CONCORDANCE_COLUMNS},
    )
    return ConcordanceResult(counts, reverse, conf_level, table)


def _score_values(frame: Any, score: str) -> np.ndarray:
    """The score as finite doubles, or a one-line error naming the column and first row."""
    import polars as pl

    from survstat.errors import ColumnTypeError, InvalidValueError, MissingValueError, counted

    column = frame.get_column(score)
    if column.dtype == pl.Boolean:  # a logical score, as R takes it: FALSE < TRUE
        column = column.cast(pl.Int8)
    if not column.dtype.is_numeric():
        raise ColumnTypeError(f"`{score}` (score) must be numeric; found dtype {column.dtype}")
    values = column.cast(float).to_numpy()
    missing = np.flatnonzero(np.isnan(values) | column.is_null().to_numpy())
    if missing.size:
        raise MissingValueError(
            f"`{score}` (score) has {counted(missing.size, 'missing value')} (first at row "
            f"{missing[0]}); "
            "concordance needs a score for every record"
        )
    infinite = np.flatnonzero(np.isinf(values))
    if infinite.size:
        raise InvalidValueError(
            f"`{score}` (score) must be finite; found {counted(infinite.size, 'infinite value')} "
            "(first: "
            f"{values[infinite[0]]} at row {infinite[0]})"
        )
    return values
