"""The Cox partial likelihood over sorted risk sets (R ``survival``'s ``coxfit6``,
``agfit4``, ``coxscore2`` and ``agscore``, survival 3.5).

Rows are sorted by stratum, then decreasing time with events first among ties, and cut into
tied-time groups (:func:`layout`), so that a risk set is a running sum over the groups: of the
rows up to the group's end, less, for counting-process data (each row at risk on
(entry, time]), the rows whose entry is at or above the group's time (Therneau & Grambsch
2000, sec. 3.7; R's ``agfit4`` keeps a second sort order for the same thing). On that layout
:func:`cox_terms` computes the log partial likelihood, score and information with Efron's or
Breslow's handling of ties and case weights (R's weighted Efron uses the mean weight of the
tied deaths) from per-group sums only (:class:`Deaths`), :func:`score_residuals` the per-row
score residuals and :func:`robust_covariance` the sandwich variance from the weighted dfbeta
residuals summed within clusters (Lin & Wei 1989, JASA 84:1074-1078). References: Cox 1972,
JRSS B 34:187-220; Efron 1977, JASA 72:557-565; Therneau & Grambsch 2000, *Modeling Survival
Data*, ch. 3 and sec. 7.2.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl

from survstat._choices import Ties
from survstat.data import SurvivalData
from survstat.estimators._exact_ties import EXACT_TIES, exact_terms
from survstat.estimators._regression import Point, Scaling, scale_columns


@dataclass(frozen=True, slots=True)
class Layout:
    """Rows sorted by stratum then decreasing time (events first among ties), cut into tied-time
    groups (one per stratum and distinct time), and where each row's risk sets begin and end.

    Row i is in the risk set of the groups ``row_group[i]`` to ``span_end[i] - 1``: from its
    own time down to its stratum's earliest time, or, with an entry time, to the last group
    whose time is above its entry (the row is at risk on (entry, time]).
    """

    x: np.ndarray
    w: np.ndarray
    event: np.ndarray
    time: np.ndarray
    group_start: np.ndarray  # first row of each (stratum, time) group
    group_end: np.ndarray  # last row of each group (the risk set closes there)
    stratum_start: np.ndarray  # first row of the stratum of each row
    row_group: np.ndarray  # the group of each row
    span_end: np.ndarray  # one past the last group whose risk set holds the row
    group_first: np.ndarray  # the first group of each group's stratum
    ndead: np.ndarray  # events per group
    deadwt: np.ndarray  # weighted events per group
    cuts: np.ndarray  # each group's first row and first row after its deaths
    some_alive: np.ndarray  # per group: not all its rows are deaths
    dead_x: np.ndarray  # the weighted sum of the deaths' covariates
    death_groups: np.ndarray  # the groups with deaths
    tie_at: np.ndarray  # per death: its group among death_groups (Efron's terms)
    tie_frac: np.ndarray  # per death: j / m for the j-th of its group's m deaths
    tie_first: np.ndarray  # per group with deaths: its first death in that order
    entry: np.ndarray | None = None  # entry times (counting-process data), layout order
    leave: np.ndarray | None = None  # per row with an entry time: the group whose risk set
    # it has left (span_end), or the number of groups when it stays to its stratum's end


def stratum_codes(frame: pl.DataFrame, strata: tuple[str, ...]) -> np.ndarray:
    """Each row's stratum as 0, 1, ... in the sorted order of the stratum keys."""
    if not strata:
        return np.zeros(frame.height, dtype=np.int64)
    levels = frame.select(strata).unique().sort(list(strata)).with_row_index("__s")
    return (
        frame.select(strata)
        .join(levels, on=list(strata), how="left", maintain_order="left")
        .get_column("__s")
        .to_numpy()
        .astype(np.int64)
    )


#: From this many rows the layout's sort is the compiled radix sort (below it, polars' sort is
#: faster than loading the compiled code).
RADIX_FROM = 20_000


def sort_order(s: np.ndarray, time: np.ndarray, event: np.ndarray, strata: bool) -> np.ndarray:
    """Rows by stratum, decreasing time, events first among ties, ties in input order.

    Time and event go into one unsigned key (the bits of a non-negative double order as the
    double does), sorted by a stable sort: polars' multi-threaded one for small data, a
    compiled radix sort (:func:`survstat.estimators._sort_kernel.key_order`) from
    :data:`RADIX_FROM` rows; both much faster than a three-key ``np.lexsort``, and both give
    the one stable order.
    """
    bits = (time + 0.0).view(np.uint64)  # + 0.0: -0.0 as 0.0
    key = ~((bits << np.uint64(1)) | event.astype(np.uint64))
    if len(key) >= RADIX_FROM:
        from survstat.estimators._sort_kernel import key_order

        return key_order(key, s.astype(np.int64) if strata else np.zeros(0, dtype=np.int64))
    frame = pl.DataFrame({"s": s, "k": key}) if strata else pl.DataFrame({"k": key})
    by = ["s", "k"] if strata else ["k"]
    return frame.select(pl.arg_sort_by(by, maintain_order=True)).to_series().to_numpy()


def layout(
    frame: pl.DataFrame, sd: SurvivalData, x: np.ndarray
) -> tuple[Layout, np.ndarray, Scaling]:
    """Sort rows by stratum, decreasing time, events first among ties; cut into groups; centre
    and scale the covariates as R does; with an entry column, find where each row leaves the
    risk sets."""
    n = frame.height
    time = frame.get_column(sd.time).cast(pl.Float64).to_numpy()
    event = frame.get_column(sd.event).cast(pl.Int8).to_numpy()
    w = frame.get_column(sd.weight).cast(pl.Float64).to_numpy() if sd.weight else np.ones(n)
    s = stratum_codes(frame, sd.strata)
    # column-major throughout: the reductions over rows and the products with x per Newton
    # step read it column by column; the covariates are scaled while the compiled sort (which
    # releases the GIL) runs
    if n >= RADIX_FROM:
        with ThreadPoolExecutor(max_workers=1) as pool:
            sorting = pool.submit(sort_order, s, time, event, bool(sd.strata))
            xs, scaling = scale_columns(np.asfortranarray(x), w)
            order = sorting.result()
    else:
        order = sort_order(s, time, event, bool(sd.strata))
        xs, scaling = scale_columns(np.asfortranarray(x), w)
    t, ev = time[order], event[order]
    # one stratum and no case weights: all zeros and ones in any order
    s = s[order] if sd.strata else s
    wo = w[order] if sd.weight else w
    new_stratum = np.r_[True, s[1:] != s[:-1]]
    new_group = new_stratum | np.r_[True, t[1:] != t[:-1]]
    group_start = np.flatnonzero(new_group)
    n_groups = len(group_start)
    group_end = np.append(group_start[1:], n) - 1
    stratum_first = np.flatnonzero(new_stratum)
    stratum_of_row = np.cumsum(new_stratum) - 1
    row_group = np.cumsum(new_group) - 1
    first_group = row_group[stratum_first]  # per stratum
    end_group = np.append(first_group[1:], n_groups)
    span_end = end_group[stratum_of_row]
    entry = leave = None
    if sd.entry is not None:
        entry = frame.get_column(sd.entry).cast(pl.Float64).to_numpy()[order] + 0.0
        span_end = _entry_spans(t[group_start], entry, first_group, end_group, stratum_first)
        leave = np.where(span_end == end_group[stratum_of_row], n_groups, span_end)
    de = ev.astype(float)
    ndead = np.add.reduceat(de, group_start)
    cuts = np.column_stack([group_start, group_start + ndead.astype(np.int64)]).ravel()
    if cuts[-1] == n:  # the last group is all deaths
        cuts = cuts[:-1]
    death_groups = np.flatnonzero(ndead > 0)
    reps = ndead[death_groups].astype(np.int64)
    tie_at = np.repeat(np.arange(len(death_groups)), reps)
    tie_first = np.cumsum(reps) - reps
    tie_frac = (np.arange(len(tie_at)) - tie_first[tie_at]) / reps[tie_at]
    xo = np.empty(xs.shape, order="F")
    for j in range(xs.shape[1]):
        np.take(xs[:, j], order, out=xo[:, j])
    xs = np.asfortranarray(centre_within_strata(xo, wo, stratum_first))
    lay = Layout(
        x=xs,
        w=wo,
        event=ev,
        time=t,
        group_start=group_start,
        group_end=group_end,
        stratum_start=stratum_first[stratum_of_row],
        row_group=row_group,
        span_end=span_end,
        group_first=first_group[stratum_of_row[group_start]],
        ndead=ndead,
        deadwt=np.add.reduceat(wo * de, group_start),
        cuts=cuts,
        some_alive=ndead < np.diff(np.append(group_start, n)),
        dead_x=(wo * de) @ xs,
        death_groups=death_groups,
        tie_at=tie_at,
        tie_frac=tie_frac,
        tie_first=tie_first,
        entry=entry,
        leave=leave,
    )
    return lay, order, scaling


def _entry_spans(
    group_time: np.ndarray,
    entry: np.ndarray,
    first_group: np.ndarray,
    end_group: np.ndarray,
    stratum_first: np.ndarray,
) -> np.ndarray:
    """Per row, one past the last group of its stratum whose time is above its entry: the row
    is at risk at a time t when entry < t (Therneau & Grambsch 2000, sec. 3.7)."""
    span_end = np.empty(len(entry), dtype=np.int64)
    row_end = np.append(stratum_first[1:], len(entry))
    for lo, hi, a, b in zip(first_group, end_group, stratum_first, row_end, strict=True):
        # group times decrease within the stratum: count those above each entry
        span_end[a:b] = lo + np.searchsorted(-group_time[lo:hi], -entry[a:b], side="left")
    return span_end


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
    if len(first) == 1:
        return x - centre
    size = np.diff(np.append(first, len(x)))
    return x - np.repeat(centre, size, axis=0)


def linear_predictor(x: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """``x @ beta``, column by column, so that equal rows give bit-equal values (a matrix-vector
    product may round rows differently by where they fall in its vector lanes, which would
    break ties in the concordance)."""
    eta = np.zeros(len(x))
    for j in range(x.shape[1]):
        eta += x[:, j] * beta[j]
    return eta


def _by_group(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Sums of ``values`` (a vector, or rows of a matrix) by ``index`` in 0..n-1."""
    if values.ndim == 1:
        return np.bincount(index, weights=values, minlength=n)
    return np.column_stack(
        [np.bincount(index, weights=values[:, k], minlength=n) for k in range(values.shape[1])]
    ).reshape(n, values.shape[1])


def _risk_set_sums(values: np.ndarray, lay: Layout) -> tuple[np.ndarray, np.ndarray]:
    """Sums of ``values`` (per row) over the risk set of each group (the rows of its stratum
    up to its end, less those that have left: entry at or above the group's time), and over
    its deaths.

    One pass over the rows: the deaths come first in each group, so summing over the cuts
    ``[start, start + deaths)`` and ``[start + deaths, next start)`` gives both.
    """
    sums = np.add.reduceat(values, lay.cuts, axis=0)
    part = sums.reshape(-1, 2, *values.shape[1:]) if len(lay.cuts) % 2 == 0 else None
    if part is None:  # the last group is all deaths: its second cut was dropped
        sums = np.concatenate([sums, np.zeros((1, *values.shape[1:]))])
        part = sums.reshape(-1, 2, *values.shape[1:])
    shape = (-1,) + (1,) * (values.ndim - 1)
    dead = np.where(lay.ndead.reshape(shape) > 0, part[:, 0], 0.0)
    rest = np.where(lay.some_alive.reshape(shape), part[:, 1], 0.0)
    per_group = dead + rest
    if lay.leave is not None:
        per_group = per_group - _by_group(lay.leave, values, len(per_group) + 1)[:-1]
    cs = np.cumsum(per_group, axis=0)
    before = np.concatenate([np.zeros((1, *values.shape[1:])), cs[:-1]])
    return cs - before[lay.group_first], dead


def cumulative(values: np.ndarray, lay: Layout) -> np.ndarray:
    """Sums over each row's stratum of all rows up to it (rows ordered by decreasing time),
    ignoring entry times: the risk sets of right-censored data, row by row."""
    cs = np.cumsum(values, axis=0)
    before = np.concatenate([np.zeros((1, *values.shape[1:])), cs[:-1]])
    return cs - before[lay.stratum_start]


def span_sum(per_group: np.ndarray, lay: Layout) -> np.ndarray:
    """For each row, the sum of per-group ``per_group`` over the groups whose risk set holds
    it (from its own time down to its stratum's first time, or to its entry)."""
    cs = np.cumsum(per_group[::-1], axis=0)[::-1]  # sum from group g to the very last group
    cs = np.concatenate([cs, np.zeros((1, *per_group.shape[1:]))])
    return cs[lay.row_group] - cs[lay.span_end]


@dataclass(frozen=True, slots=True)
class Deaths:
    r"""The partial likelihood's denominators, summed per time with deaths.

    Under Efron's method the j-th of m tied deaths (j = 0..m-1, :math:`f_j = j/m`) sees the
    risk set less :math:`f_j` of the deaths' risk, :math:`den_j = s_0 - f_j d_0`, and weighs
    :math:`wt`, the deaths' mean weight (as R); under Breslow's there is one term,
    :math:`den = s_0`, weighing all the deaths' weight. With :math:`a_j = (s_1 - f_j d_1) /
    den_j`, every sum over the terms is a per-group combination of :math:`s_1`, :math:`d_1` and
    the scalar sums ``u0`` :math:`= \sum 1/den_j`, ``u1`` :math:`= \sum f_j/den_j`, ``q0``,
    ``q1``, ``q2`` :math:`= \sum f_j^k/den_j^2` and ``logden`` :math:`= \sum \log den_j`, so
    no array of terms by covariates is formed.
    """

    group: np.ndarray  # the groups with deaths
    wt: np.ndarray
    count: np.ndarray  # terms per group
    s1: np.ndarray
    d1: np.ndarray
    u0: np.ndarray
    u1: np.ndarray
    q0: np.ndarray
    q1: np.ndarray
    q2: np.ndarray
    logden: np.ndarray

    def per_group(self, values: np.ndarray, n_groups: int) -> np.ndarray:
        """``values`` (one per group with deaths) in an array over all groups, 0 elsewhere."""
        out = np.zeros((n_groups, *values.shape[1:]))
        out[self.group] = values
        return out


def deaths(r: np.ndarray, lay: Layout, ties: Ties) -> Deaths:
    """The denominators of the partial likelihood for risk weights ``r`` (``w exp(x beta)``),
    from per-group sums only (R ``coxfit6``, ``agfit4``)."""
    rx = r[:, None] * lay.x
    ndead, has = lay.ndead, lay.death_groups
    s0, d0 = _risk_set_sums(r, lay)
    s1, d1 = _risk_set_sums(rx, lay)
    s0, d0, s1, d1 = s0[has], d0[has], s1[has], d1[has]
    if ties == "efron" and len(lay.tie_at) > len(has):
        at, frac, first = lay.tie_at, lay.tie_frac, lay.tie_first
        den = s0[at] - frac * d0[at]
        inv = 1.0 / den
        inv2 = inv * inv
        fi2 = frac * inv2
        u0, u1, q0, q1, q2, logden = (
            np.add.reduceat(v, first) for v in (inv, frac * inv, inv2, fi2, frac * fi2, np.log(den))
        )
        wt = lay.deadwt[has] / ndead[has]
        count = ndead[has]
    else:
        u0 = 1.0 / s0
        zero = np.zeros(len(has))
        u1, q0, q1, q2, logden = zero, u0 * u0, zero, zero, np.log(s0)
        wt, count = lay.deadwt[has], np.ones(len(has))
    return Deaths(has, wt, count, s1, d1, u0, u1, q0, q1, q2, logden)


def cox_terms(beta: np.ndarray, lay: Layout, ties: Ties) -> Point:
    r"""Log partial likelihood, score and information at ``beta`` (R ``coxfit6_iter``,
    ``agfit4``).

    Only per-group quantities are formed (:class:`Deaths`). The information's second-moment
    part :math:`\sum wt (s_2 - f_j d_2) / den_j` is :math:`x^\top \mathrm{diag}(r_i c_i) x`
    with :math:`c_i` the sum of :math:`wt / den_j` over the terms whose risk set holds row i
    less, for a death, :math:`\sum_j f_j wt / den_j` over its own time's terms: one matrix
    product; the mean part :math:`\sum wt\, a_j a_j^\top` expands into three products of
    per-group arrays.
    """
    x, ev = lay.x, lay.event
    # at 0 (the first evaluation) exp(x beta) is exactly 1
    r = lay.w * np.exp(linear_predictor(x, beta)) if beta.any() else lay.w
    d = deaths(r, lay, ties)
    n_groups = len(lay.group_start)
    c = span_sum(d.per_group(d.wt * d.u0, n_groups), lay)
    own = d.per_group(d.wt * d.u1, n_groups)[lay.row_group]
    c = c - np.where(ev > 0, own, 0.0)
    loglik = float(lay.dead_x @ beta - d.wt @ d.logden)
    score = lay.dead_x - (d.wt * d.u0) @ d.s1 + (d.wt * d.u1) @ d.d1
    cross = (d.s1 * (d.wt * d.q1)[:, None]).T @ d.d1
    mean_part = (
        (d.s1 * (d.wt * d.q0)[:, None]).T @ d.s1
        - cross
        - cross.T
        + (d.d1 * (d.wt * d.q2)[:, None]).T @ d.d1
    )
    info = (x * (r * c)[:, None]).T @ x - mean_part
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
    exp(x beta), the cumulative hazard the row is exposed to over its risk span (for a death
    tied with others under Efron's method, only its share of its own time's hazard, as R's
    ``coxmart``), its hazard-weighted mean covariates, and the deaths' mean at its time."""

    score: np.ndarray
    hazard: np.ndarray
    hazard_mean: np.ndarray
    death_mean: np.ndarray


def row_hazards(beta: np.ndarray, lay: Layout, ties: Ties) -> RowHazards:
    """The hazard pieces of every row (R ``coxmart``/``agmart`` and ``coxscore2``/``agscore``),
    rows in layout order, from the per-group sums of :func:`deaths`."""
    ev = lay.event
    score = np.exp(linear_predictor(lay.x, beta))
    d = deaths(lay.w * score, lay, ties)
    n_groups = len(lay.group_start)
    wt = d.wt[:, None]
    hazard_mean = wt * (d.s1 * d.q0[:, None] - d.d1 * d.q1[:, None])
    own_mean = wt * (d.s1 * d.q1[:, None] - d.d1 * d.q2[:, None])
    death_mean = (d.s1 * d.u0[:, None] - d.d1 * d.u1[:, None]) / d.count[:, None]
    dead = ev > 0
    own_h = np.where(dead, d.per_group(d.wt * d.u1, n_groups)[lay.row_group], 0.0)
    own_hm = d.per_group(own_mean, n_groups)[lay.row_group]
    own_hm[~dead] = 0.0
    return RowHazards(
        score,
        span_sum(d.per_group(d.wt * d.u0, n_groups), lay) - own_h,
        span_sum(d.per_group(hazard_mean, n_groups), lay) - own_hm,
        d.per_group(death_mean, n_groups)[lay.row_group],
    )


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
