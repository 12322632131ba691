"""Cox proportional hazards regression (R ``survival::coxph``).

The partial likelihood with Efron's (default) or Breslow's handling of tied event times,
stratified baseline hazards and case weights, maximised by Newton-Raphson with step halving as
R's ``coxfit6`` does. Robust (sandwich) standard errors sum the weighted dfbeta residuals within
clusters (Lin & Wei 1989, JASA 84:1074-1078; R ``coxph(..., cluster=)``). References: Cox 1972,
JRSS B 34:187-220; Efron 1977, JASA 72:557-565; Therneau & Grambsch 2000, *Modeling Survival
Data*, ch. 3.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from survstat.data import SurvivalData, as_survival_data
from survstat.errors import ColumnNotFoundError, OptionError, SurvstatError, check_choice
from survstat.estimators._confint import z_value
from survstat.estimators._design import design_matrix, hazard_ratio_table
from survstat.estimators.concordance import Concordance, concordance
from survstat.io import FrameLike

TIES = ("efron", "breslow")
TABLE_COLUMNS = (
    "term",
    "coef",
    "std_error",
    "hazard_ratio",
    "conf_low",
    "conf_high",
    "z",
    "p_value",
)


@dataclass(frozen=True, slots=True)
class _Layout:
    """Rows sorted by stratum then decreasing time, cut into tied-time groups."""

    x: np.ndarray
    w: np.ndarray
    event: np.ndarray
    time: np.ndarray
    group_start: np.ndarray  # first row of each (stratum, time) group
    group_end: np.ndarray  # last row of each group (the risk set closes there)
    stratum_start: np.ndarray  # first row of the stratum of each row


@dataclass(frozen=True, slots=True)
class _Terms:
    loglik: float
    score: np.ndarray
    information: np.ndarray


def _cumulative(values: np.ndarray, lay: _Layout) -> np.ndarray:
    """Sums over each row's stratum of all rows up to it (rows ordered by decreasing time)."""
    cs = np.cumsum(values, axis=0)
    before = np.concatenate([np.zeros((1, *values.shape[1:])), cs[:-1]])
    return cs - before[lay.stratum_start]


def _cox_terms(beta: np.ndarray, lay: _Layout, ties: str) -> _Terms:
    """Log partial likelihood, score and information at ``beta`` (R coxfit6_iter)."""
    x, w, ev = lay.x, lay.w, lay.event
    eta = x @ beta
    r = w * np.exp(eta)
    rx = r[:, None] * x
    rxx = rx[:, :, None] * x[:, None, :]
    ends = lay.group_end
    s0 = _cumulative(r, lay)[ends]
    s1 = _cumulative(rx, lay)[ends]
    s2 = _cumulative(rxx, lay)[ends]
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
    return _Terms(loglik, score, info)


def _newton(
    lay: _Layout, ties: str, p: int, max_iter: int = 30
) -> tuple[np.ndarray, _Terms, _Terms, int, bool]:
    beta = np.zeros(p)
    first = cur = _cox_terms(beta, lay, ties)
    for it in range(1, max_iter + 1):
        try:
            step = np.linalg.solve(cur.information, cur.score)
        except np.linalg.LinAlgError:
            raise SurvstatError(
                "the information matrix is singular: a covariate is constant or collinear with "
                "others"
            ) from None
        new_beta = beta + step
        new = _cox_terms(new_beta, lay, ties)
        halving = 0
        while not np.isfinite(new.loglik) or new.loglik < cur.loglik - 1e-12 * abs(cur.loglik):
            halving += 1
            if halving > 30:
                return beta, first, cur, it, False
            new_beta = (new_beta + halving * beta) / (halving + 1.0)
            new = _cox_terms(new_beta, lay, ties)
        done = np.max(np.abs(new_beta - beta) / (1.0 + np.abs(beta))) < 1e-11
        beta, cur = new_beta, new
        if done:
            return beta, first, cur, it, True
    return beta, first, cur, max_iter, False


def _score_residuals(beta: np.ndarray, lay: _Layout, ties: str) -> np.ndarray:
    """Score residuals per row (R coxscore2), rows in layout order."""
    x, w, ev = lay.x, lay.w, lay.event.astype(float)
    score = np.exp(x @ beta)
    r = w * score
    ends, starts = lay.group_end, lay.group_start
    s0 = _cumulative(r, lay)[ends]
    s1 = _cumulative(r[:, None] * x, lay)[ends]
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
    h_cum = _group_suffix(h_all, lay, group_of_row)
    hm_cum = _group_suffix(hm_all, lay, group_of_row)
    own_h = np.where(ev > 0, h_tie[group_of_row] - h_all[group_of_row], 0.0)
    own_hm = np.where(ev[:, None] > 0, hm_tie[group_of_row] - hm_all[group_of_row], 0.0)
    resid = ev[:, None] * (x - m_tie[group_of_row])
    resid -= score[:, None] * (x * (h_cum + own_h)[:, None] - (hm_cum + own_hm))
    return resid


def _group_suffix(values: np.ndarray, lay: _Layout, group_of_row: np.ndarray) -> np.ndarray:
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


@dataclass(frozen=True, slots=True)
class CoxResult:
    """A fitted Cox model.

    Attributes
    ----------
    table
        One row per term: ``term, coef, std_error, hazard_ratio, conf_low, conf_high, z,
        p_value`` (robust standard errors when a cluster was given or ``robust=True``).
    tests
        ``test, statistic, df, p_value`` for the likelihood-ratio, Wald and score tests.
    covariance
        Variance matrix of the coefficients (robust when requested).
    loglik
        Log partial likelihood at 0 and at the estimate.
    n, n_event
        Rows used and number of events (unweighted, as R's ``nevent``).
    concordance
        Harrell's concordance of the linear predictor, within strata and with case weights,
        as R reports it for a ``coxph`` fit (pair counts and ``.value``).
    """

    table: pl.DataFrame
    tests: pl.DataFrame
    covariance: np.ndarray = field(repr=False)
    naive_covariance: np.ndarray = field(repr=False)
    loglik: tuple[float, float]
    n: int
    n_event: int
    ties: str
    robust: bool
    iterations: int
    converged: bool
    concordance: Concordance


def cox(
    data: FrameLike | SurvivalData,
    *,
    time: str | None = None,
    event: str | None = None,
    covariates: Sequence[str],
    strata: str | Sequence[str] | None = None,
    weight: str | None = None,
    cluster: str | None = None,
    ties: str = "efron",
    robust: bool | None = None,
    reference: Mapping[str, Any] | None = None,
    conf_level: float = 0.95,
) -> CoxResult:
    """Fit a Cox proportional hazards model (R ``coxph``).

    Parameters
    ----------
    data, time, event, strata, weight
        Data and column roles (see :meth:`SurvivalData.right_censored`); strata get separate
        baseline hazards.
    covariates
        Columns of the linear predictor: numeric/boolean as they are, text/categorical as
        indicators against a reference level (terms named ``arm[B]``).
    cluster
        Column identifying clusters for robust standard errors (implies ``robust=True``).
    ties
        ``"efron"`` (default, as R) or ``"breslow"``.
    robust
        Sandwich variance; default: only when ``cluster`` is given.
    reference
        Reference level per categorical covariate, e.g. ``{"arm": "placebo"}``.
    conf_level
        Level of the hazard-ratio intervals.

    Examples
    --------
    >>> import survstat
    >>> fit = survstat.cox(survstat.datasets.load("gbsg2"), time="time", event="cens",
    ...                    covariates=["horTh", "age"])
    >>> fit.table.get_column("term").to_list()
    ['horTh[yes]', 'age']
    """
    check_choice("ties", ties, TIES)
    z_value(conf_level)  # validate before any work
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    sd = as_survival_data(data, time=time, event=event, strata=strata, weight=weight)
    sd.require_rows("Cox regression")
    if sd.entry is not None:
        raise OptionError("Cox models with delayed entry are not available yet")
    cols = [*sd.strata, sd.time, sd.event, *([sd.weight] if sd.weight else [])]
    extra = [c for c in [*covariates, *([cluster] if cluster else [])] if c not in cols]
    available = sd.frame.collect_schema().names()
    for col in extra:
        if col not in available:
            role = "cluster" if col == cluster else "covariate"
            raise ColumnNotFoundError(col, available, role=role)
    frame = sd.frame.select(*cols, *extra).collect()
    design = design_matrix(frame, covariates, reference)
    lay, order = _layout(frame, sd, design.matrix)
    p = design.matrix.shape[1]
    beta, first, last, iterations, converged = _newton(lay, ties, p)
    try:
        naive = np.linalg.inv(last.information)
    except np.linalg.LinAlgError:
        raise SurvstatError(
            "the information matrix is singular: a covariate is constant or collinear with "
            f"others ({', '.join(design.terms)})"
        ) from None
    use_robust = (cluster is not None) if robust is None else bool(robust)
    cov = naive
    if use_robust:
        dfbeta = (_score_residuals(beta, lay, ties) @ naive) * lay.w[:, None]
        if cluster is not None:
            ids = frame.get_column(cluster).to_numpy()[order]
            _, inverse = np.unique(ids, return_inverse=True)
            dfbeta = np.vstack([np.bincount(inverse, weights=dfbeta[:, k]) for k in range(p)]).T
        cov = dfbeta.T @ dfbeta
    table = hazard_ratio_table(design.terms, beta, cov, conf_level)
    lr = 2.0 * (last.loglik - first.loglik)
    wald = float(beta @ np.linalg.solve(cov, beta))
    score_test = float(first.score @ np.linalg.solve(first.information, first.score))
    tests = pl.DataFrame(
        {
            "test": ["likelihood ratio", "wald", "score"],
            "statistic": [lr, wald, score_test],
            "df": [p, p, p],
            "p_value": [float(stats.chi2.sf(v, p)) for v in (lr, wald, score_test)],
        }
    )
    return CoxResult(
        table=table,
        tests=tests,
        covariance=cov,
        naive_covariance=naive,
        loglik=(first.loglik, last.loglik),
        n=frame.height,
        n_event=int(np.sum(lay.event)),
        ties=ties,
        robust=use_robust,
        iterations=iterations,
        converged=converged,
        concordance=concordance(lay.time, lay.event, lay.x @ beta, lay.w, lay.stratum_start),
    )


def _layout(frame: pl.DataFrame, sd: SurvivalData, x: np.ndarray) -> tuple[_Layout, np.ndarray]:
    """Sort rows by stratum, decreasing time, events first among ties; cut into groups."""
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
    # centre the covariates (weighted means), as R does, for numerical stability
    xc = x - np.average(x, axis=0, weights=w)
    return (
        _Layout(xc[order], w[order], event[order], t, group_start, group_end, stratum_start),
        order,
    )
