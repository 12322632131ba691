"""crr's pseudo-likelihood over the subdistribution risk sets and its sandwich variance (R
``cmprsk::crr`` and Gray's ``crrvv``, cmprsk 2.2).

The subdistribution risk set at a failure time t of the cause of interest holds everyone still
under observation and, weighted by G(t-)/G(T_i-), those who failed earlier from another cause;
G is the Kaplan-Meier estimate of the censoring distribution (:func:`censoring_km_left`).
:func:`objective` is crr's minimised objective (minus the log pseudo-likelihood, Breslow ties),
its gradient and Hessian; :func:`sandwich` the robust variance H^-1 (sum of influence products)
H^-1 whose influence (:func:`influence`) includes the term for the estimated censoring weights
(Fine & Gray 1999, JASA 94:496-509, sec. 3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, overload

import numpy as np

from survstat.estimators._regression import chinv2, cholesky2


@dataclass(frozen=True, slots=True)
class Data:
    time: np.ndarray  # sorted ascending
    kind: np.ndarray  # 1 = cause of interest, 2 = other cause, 0 = censored
    x: np.ndarray
    g_minus: np.ndarray  # censoring Kaplan-Meier just before each row's time
    first: np.ndarray  # first row index of each distinct failure time of interest
    d: np.ndarray  # number of failures of interest at each of those times


def censoring_km_left(time: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """G(t-) per sorted row, as ``summary(survfit(Surv(t, cens)), times = t * (1 - eps))``."""
    utime, start = np.unique(time, return_index=True)
    n = len(time)
    censored = np.add.reduceat((kind == 0).astype(float), start)
    at_risk = n - start
    g_after = np.cumprod(1.0 - censored / at_risk)
    g_before = np.concatenate([[1.0], g_after[:-1]])
    # a time of 0 times (1 - eps) is still 0, where the curve already includes censorings at 0
    g_at = np.where(utime == 0, g_after, g_before)
    return g_at[np.searchsorted(utime, time)]


def sums(beta: np.ndarray, dat: Data, second: bool):
    """S0, S1 (and S2) over the subdistribution risk set at each failure time of interest."""
    r = np.exp(dat.x @ beta)
    other = dat.kind == 2
    tail0 = np.cumsum(r[::-1])[::-1]
    tail1 = np.cumsum((r[:, None] * dat.x)[::-1], axis=0)[::-1]
    ro = np.where(other, r / dat.g_minus, 0.0)
    head0 = np.concatenate([[0.0], np.cumsum(ro)])
    head1 = np.concatenate([np.zeros((1, dat.x.shape[1])), np.cumsum(ro[:, None] * dat.x, axis=0)])
    f, g = dat.first, dat.g_minus[dat.first]
    s0 = tail0[f] + g * head0[f]
    s1 = tail1[f] + g[:, None] * head1[f]
    if not second:
        return r, s0, s1, None
    rxx = r[:, None, None] * dat.x[:, :, None] * dat.x[:, None, :]
    tail2 = np.cumsum(rxx[::-1], axis=0)[::-1]
    roxx = np.where(other[:, None, None], rxx / dat.g_minus[:, None, None], 0.0)
    head2 = np.concatenate([np.zeros((1, *rxx.shape[1:])), np.cumsum(roxx, axis=0)])
    s2 = tail2[f] + g[:, None, None] * head2[f]
    return r, s0, s1, s2


@overload
def objective(
    beta: np.ndarray, dat: Data, derivatives: Literal[True] = True
) -> tuple[float, np.ndarray, np.ndarray]: ...
@overload
def objective(
    beta: np.ndarray, dat: Data, derivatives: Literal[False]
) -> tuple[float, None, None]: ...
def objective(
    beta: np.ndarray, dat: Data, derivatives: bool = True
) -> tuple[float, np.ndarray | None, np.ndarray | None]:
    """crr's minimised objective (minus the log pseudo-likelihood), gradient and Hessian
    (None, None without ``derivatives``)."""
    fails = dat.kind == 1
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        _, s0, s1, s2 = sums(beta, dat, derivatives)
        eta_f = dat.x[fails] @ beta
        lik = float(-np.sum(eta_f) + np.sum(dat.d * np.log(s0)))
        if not derivatives:
            return lik, None, None
        xbar = s1 / s0[:, None]
        score = -dat.x[fails].sum(axis=0) + (dat.d[:, None] * xbar).sum(axis=0)
        hess = np.einsum(
            "t,tij->ij", dat.d, s2 / s0[:, None, None] - xbar[:, :, None] * xbar[:, None, :]
        )
    return lik, score, hess


def influence(beta: np.ndarray, dat: Data) -> np.ndarray:
    """Per-row influence of crr's estimating equation, with the censoring-weight term (crrvv)."""
    n, p = dat.x.shape
    r, s0, s1, _ = sums(beta, dat, False)
    xbar = s1 / s0[:, None]
    t_fail = dat.time[dat.first]
    g_fail = dat.g_minus[dat.first]
    # per failure time (counted once per failure row): 1/S0, xbar/S0 and their G-weighted forms
    a0 = dat.d / s0
    a1 = (dat.d / s0)[:, None] * xbar
    c0, c1 = a0 * g_fail, a1 * g_fail[:, None]
    cum_a0, cum_a1 = np.cumsum(a0), np.cumsum(a1, axis=0)
    tail_c0 = np.cumsum(c0[::-1])[::-1]
    tail_c1 = np.cumsum(c1[::-1], axis=0)[::-1]
    # failure times at or before each row's time, and strictly after it
    k_le = np.searchsorted(t_fail, dat.time, side="right")
    A0 = np.where(k_le > 0, cum_a0[np.maximum(k_le - 1, 0)], 0.0)
    A1 = np.where(k_le[:, None] > 0, cum_a1[np.maximum(k_le - 1, 0)], 0.0)
    after = k_le < len(t_fail)
    C0 = np.where(after, np.append(tail_c0, 0.0)[k_le], 0.0)
    C1 = np.where(after[:, None], np.vstack([tail_c1, np.zeros((1, p))])[k_le], 0.0)
    st1 = -r[:, None] * (dat.x * A0[:, None] - A1)
    other = dat.kind == 2
    st1[other] -= (r[other] / dat.g_minus[other])[:, None] * (
        dat.x[other] * C0[other][:, None] - C1[other]
    )
    fails = dat.kind == 1
    own = np.searchsorted(t_fail, dat.time[fails], side="left")
    st1[fails] += dat.x[fails] - xbar[own]
    # censoring-weight term: q(t) = P1(t) E0(t) - P0(t) E1(t) at times with censoring
    ro = np.where(other, r / dat.g_minus, 0.0)
    utime, start = np.unique(dat.time, return_index=True)
    p0 = np.concatenate([[0.0], np.cumsum(ro)])[start]  # other-cause rows strictly before
    p1 = np.concatenate([np.zeros((1, p)), np.cumsum(ro[:, None] * dat.x, axis=0)])[start]
    k_ge = np.searchsorted(t_fail, utime, side="left")
    e0 = np.append(tail_c0, 0.0)[k_ge]
    e1 = np.vstack([tail_c1, np.zeros((1, p))])[k_ge]
    q = p1 * e0[:, None] - p0[:, None] * e1
    n_cens = np.add.reduceat((dat.kind == 0).astype(float), start)
    at_risk = (n - start).astype(float)
    ss2 = -np.cumsum((n_cens / at_risk**2)[:, None] * q, axis=0)
    u = np.searchsorted(utime, dat.time)
    st2 = ss2[u] + np.where(dat.kind == 0, 1.0 / at_risk[u], 0.0)[:, None] * q[u]
    return st1 + st2


def sandwich(b: np.ndarray, dat: Data, hess: np.ndarray) -> np.ndarray:
    """crr's sandwich variance H^-1 (sum of influence products) H^-1 with ``hess`` the
    information at ``b``; the inverse by :func:`chinv2`, so a direction without information
    (an infinite term) drops out."""
    h_inv = chinv2(cholesky2(hess)[0])
    eta = influence(b, dat)
    return h_inv @ (eta.T @ eta) @ h_inv
