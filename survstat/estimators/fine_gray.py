"""Fine-Gray proportional subdistribution hazards regression (R ``cmprsk::crr``).

The subdistribution risk set at a failure time t of the cause of interest holds everyone still
under observation and, weighted by G(t-)/G(T_i-), those who failed earlier from another cause;
G is the Kaplan-Meier estimate of the censoring distribution (Fine & Gray 1999, JASA
94:496-509). Ties among failures are handled as Breslow. The fit reproduces ``crr`` step for
step (Newton-Raphson with backtracking, gtol = 1e-6, at most 10 iterations) and its sandwich
variance, including the term for the estimated censoring weights (Gray's ``crrvv``). Predicted
cumulative incidence for a covariate profile is 1 - exp(-sum exp(x'b) dLambda_0), as
``predict.crr``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from survstat.data import SurvivalData, as_survival_data
from survstat.errors import ColumnNotFoundError, OptionError, SurvstatError
from survstat.estimators._confint import z_value
from survstat.estimators._design import design_matrix, hazard_ratio_table
from survstat.io import FrameLike


@dataclass(frozen=True, slots=True)
class _Data:
    time: np.ndarray  # sorted ascending
    kind: np.ndarray  # 1 = cause of interest, 2 = other cause, 0 = censored
    x: np.ndarray
    g_minus: np.ndarray  # censoring Kaplan-Meier just before each row's time
    first: np.ndarray  # first row index of each distinct failure time of interest
    d: np.ndarray  # number of failures of interest at each of those times


def _censoring_km_left(time: np.ndarray, kind: np.ndarray) -> np.ndarray:
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


def _sums(beta: np.ndarray, dat: _Data, second: bool):
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


def _objective(beta: np.ndarray, dat: _Data, derivatives: bool = True):
    """crr's minimised objective (minus the log pseudo-likelihood), gradient and Hessian."""
    fails = dat.kind == 1
    _, s0, s1, s2 = _sums(beta, dat, derivatives)
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


def _fit(dat: _Data, p: int, gtol: float = 1e-6, max_iter: int = 10):
    b = np.zeros(p)
    converged = False
    for it in range(max_iter + 1):
        lik, score, hess = _objective(b, dat)
        if np.max(np.abs(score) * np.maximum(np.abs(b), 1.0)) < max(abs(lik), 1.0) * gtol:
            converged = True
            break
        if it == max_iter:
            break
        step = -np.linalg.solve(hess, score)
        new = b + step
        f_new = _objective(new, dat, derivatives=False)[0]
        halvings = 0
        while not np.isfinite(f_new) or f_new > lik + 1e-4 * float(step @ score):
            halvings += 1
            step *= 0.5
            new = b + step
            f_new = _objective(new, dat, derivatives=False)[0]
            if halvings > 20:
                break
        if halvings > 20:
            break
        b = new
    lik, score, hess = _objective(b, dat)
    return b, lik, hess, converged


def _influence(beta: np.ndarray, dat: _Data) -> np.ndarray:
    """Per-row influence of crr's estimating equation, with the censoring-weight term (crrvv)."""
    n, p = dat.x.shape
    r, s0, s1, _ = _sums(beta, dat, False)
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


@dataclass(frozen=True, slots=True)
class FineGrayResult:
    """A fitted Fine-Gray model.

    Attributes
    ----------
    table
        One row per term: ``term, coef, std_error, hazard_ratio, conf_low, conf_high, z,
        p_value``; ``hazard_ratio`` is the subdistribution hazard ratio.
    covariance
        Sandwich variance of the coefficients (``crr``'s ``var``).
    loglik
        Log pseudo-likelihood at the estimate (``crr``'s ``loglik``).
    baseline
        ``time, jump`` of the baseline cumulative subdistribution hazard.
    """

    table: pl.DataFrame
    covariance: np.ndarray = field(repr=False)
    loglik: float
    converged: bool
    failcode: Any
    terms: tuple[str, ...]
    baseline: pl.DataFrame = field(repr=False)

    def predict(self, profile: Mapping[str, float] | Sequence[float]) -> pl.DataFrame:
        """Cumulative incidence for a covariate profile, at each failure time (``predict.crr``).

        ``profile`` gives one value per term (a mapping from term name, or a sequence in term
        order). Returns ``time, cif``.
        """
        if isinstance(profile, Mapping):
            missing = [t for t in self.terms if t not in profile]
            if missing:
                raise OptionError(f"profile lacks term(s) {missing}; terms: {list(self.terms)}")
            values = np.array([float(profile[t]) for t in self.terms])
        else:
            values = np.asarray(profile, dtype=float)
            if values.shape != (len(self.terms),):
                raise OptionError(f"profile needs {len(self.terms)} values, one per term")
        coef = self.table.get_column("coef").to_numpy()
        jump = self.baseline.get_column("jump").to_numpy()
        cif = 1.0 - np.exp(-np.cumsum(np.exp(values @ coef) * jump))
        return pl.DataFrame({"time": self.baseline.get_column("time"), "cif": cif})


def fine_gray(
    data: FrameLike | SurvivalData,
    *,
    time: str | None = None,
    cause: str | None = None,
    covariates: Sequence[str],
    failcode: Any = None,
    censor_value: Any = None,
    reference: Mapping[str, Any] | None = None,
    conf_level: float = 0.95,
) -> FineGrayResult:
    """Fit a Fine-Gray subdistribution hazards model for one cause (R ``cmprsk::crr``).

    Parameters
    ----------
    data, time, cause, censor_value
        Competing-risks data (see :meth:`SurvivalData.competing_risks`).
    covariates
        Columns of the linear predictor (numeric as they are, text as indicators, ``arm[B]``).
    failcode
        The cause of interest; default the first cause.
    reference, conf_level
        As in :func:`survstat.cox`.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"t": [1.0, 2, 3, 4, 5, 6, 7, 8], "c": [1, 2, 1, 0, 1, 2, 0, 1],
    ...                    "x": [0.5, 1.0, 0.1, 0.3, 0.9, 0.2, 0.4, 0.8]})
    >>> fine_gray(df, time="t", cause="c", covariates=["x"]).table.columns[:3]
    ['term', 'coef', 'std_error']
    """
    z_value(conf_level)  # validate before any work
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    sd = as_survival_data(data, competing=True, time=time, cause=cause, censor_value=censor_value)
    sd.require_rows("Fine–Gray regression")
    if sd.weight is not None or sd.entry is not None or sd.strata:
        raise OptionError("Fine-Gray models take neither weights, delayed entry nor strata")
    available = sd.frame.collect_schema().names()
    for col in covariates:
        if col not in available:
            raise ColumnNotFoundError(col, available, role="covariate")
    target = sd.causes[0] if failcode is None else failcode
    matches = [k for k, c in enumerate(sd.causes, start=1) if str(c) == str(target)]
    if not matches:
        raise OptionError(f"failcode {target!r} is not a cause; causes: {list(sd.causes)}")
    frame = sd.frame.select(sd.time, "__cause", *[c for c in covariates if c != sd.time]).collect()
    design = design_matrix(frame, covariates, reference)
    order = np.argsort(frame.get_column(sd.time).cast(pl.Float64).to_numpy(), kind="stable")
    time_s = frame.get_column(sd.time).cast(pl.Float64).to_numpy()[order]
    code = frame.get_column("__cause").to_numpy()[order]
    kind = np.where(code == matches[0], 1, np.where(code == 0, 0, 2))
    fails = kind == 1
    if not fails.any():
        raise SurvstatError(f"no failures of cause {target!r}: nothing to model")
    t_fail, d = np.unique(time_s[fails], return_counts=True)
    first = np.searchsorted(time_s, t_fail, side="left")
    dat = _Data(
        time_s, kind, design.matrix[order], _censoring_km_left(time_s, kind), first, d.astype(float)
    )
    p = design.matrix.shape[1]
    try:
        beta, lik, hess, converged = _fit(dat, p)
        h_inv = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        raise SurvstatError(
            "the information matrix is singular: a covariate is constant or collinear with "
            f"others ({', '.join(design.terms)})"
        ) from None
    eta = _influence(beta, dat)
    cov = h_inv @ (eta.T @ eta) @ h_inv
    table = hazard_ratio_table(design.terms, beta, cov, conf_level)
    _, s0, _, _ = _sums(beta, dat, False)
    baseline = pl.DataFrame({"time": t_fail, "jump": dat.d / s0})
    return FineGrayResult(
        table=table,
        covariance=cov,
        loglik=-lik,
        converged=converged,
        failcode=sd.causes[matches[0] - 1],
        terms=design.terms,
        baseline=baseline,
    )
