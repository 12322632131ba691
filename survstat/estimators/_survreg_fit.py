"""Newton-Raphson for accelerated failure time models on (beta, log sigma), as R ``survreg.fit``.

The log-likelihood of row i, with weight w_i, event indicator d_i, ``z_i = (y_i - x_i'beta) /
sigma_k`` (k the row's stratum) and J_i = log(t_i) for log-time distributions (else 0), is

    l_i = w_i [d_i (log f(z_i) - log sigma_k - J_i) + (1 - d_i) log S(z_i)]

(the density of T itself, so the log-likelihood is R's). With g the log density or log survival
of the row and g', g'' its derivatives in z, the score and the observed information follow from

    dl/d(x'beta) = -w g' / sigma,             dl/d(log sigma) = -w (z g' + d),
    d2l/d(x'beta)2 = w g'' / sigma^2,         d2l/d(x'beta) d(log sigma) = w (g' + z g'') / sigma,
    d2l/d(log sigma)2 = w (z g' + z^2 g'').

The iterations start from the intercept-only model (itself fitted from the mean and spread of
y, as R does), halve a step that lowers the log-likelihood (R's rule), and stop when the Newton
step is below 1e-10 relatively in every parameter, or when the remaining gain of the
log-likelihood is at the level of its rounding (then after one last full Newton step). R's
``rel.tolerance`` (1e-9 on the log-likelihood) stops about one step earlier, where the
estimates may still move in the ninth digit; this fit goes to the maximum itself. At most 30
iterations (R ``survreg.control``'s ``maxiter``). The covariates are centred and scaled first
(affine invariance; the estimates are mapped back with their covariance).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from survstat.estimators._regression import TOLER_CHOL, cholesky2
from survstat.estimators._survreg_dist import Derivatives, Distribution

#: R ``survreg.control()``'s ``maxiter``.
MAX_ITER = 30
#: The relative Newton step at which the iterations stop.
STEP_TOL = 1e-10
#: The Newton decrement U' I^-1 U (twice the remaining gain of the log-likelihood), relative
#: to the log-likelihood, at which one last full step reaches the maximum.
DECREMENT_TOL = 1e-12


@dataclass(frozen=True, slots=True)
class Rows:
    """What the likelihood needs of each row: y, the log-time Jacobian, event, weight, stratum."""

    y: np.ndarray
    jacobian: np.ndarray
    event: np.ndarray
    weight: np.ndarray
    stratum: np.ndarray  # 0 .. n_strata - 1
    n_strata: int


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Log-likelihood, score and information at one parameter vector."""

    loglik: float
    score: np.ndarray
    information: np.ndarray

    @property
    def finite(self) -> bool:
        """Every number is finite."""
        return bool(
            np.isfinite(self.loglik)
            and np.isfinite(self.score).all()
            and np.isfinite(self.information).all()
        )


@dataclass(frozen=True, slots=True)
class Maximum:
    """Where the iterations stop."""

    theta: np.ndarray
    at: Evaluation
    iterations: int
    converged: bool


def _terms(z: np.ndarray, rows: Rows, dist: Distribution) -> Derivatives:
    """g, g' and g'' of every row: the log density for events, the log survival otherwise,
    each computed only on its own rows."""
    ev = rows.event
    out = (np.empty_like(z), np.empty_like(z), np.empty_like(z))
    for mask, terms in ((ev, dist.density), (~ev, dist.survival_terms)):
        for target, values in zip(out, terms(z[mask]), strict=True):
            target[mask] = values
    return out


def evaluate(theta: np.ndarray, x: np.ndarray, rows: Rows, dist: Distribution) -> Evaluation:
    """The log-likelihood, score and observed information at ``theta`` = (beta, log sigmas)."""
    p = x.shape[1]
    k = 0 if dist.fixed_scale else rows.n_strata
    beta = theta[:p]
    log_sigma = theta[p:][rows.stratum] if k else np.zeros(len(rows.y))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        inv_sigma = np.exp(-log_sigma)
        z = (rows.y - x @ beta) * inv_sigma
        g, g1, g2 = _terms(z, rows, dist)
        ev = rows.event
        w = rows.weight
        loglik = float(w @ g - w[ev] @ (log_sigma[ev] + rows.jacobian[ev]))
        wg1 = w * g1
        wg2 = w * g2
        score = np.empty(p + k)
        info = np.empty((p + k, p + k))
        score[:p] = -(x.T @ (wg1 * inv_sigma))
        info[:p, :p] = -(x.T * (wg2 * inv_sigma * inv_sigma)) @ x
        if k:
            zg1 = z * wg1
            d_s = -(zg1 + w * ev)
            h_es = (wg1 + z * wg2) * inv_sigma
            h_ss = zg1 + z * z * wg2
            stratum = rows.stratum
            score[p:] = np.bincount(stratum, d_s, minlength=k)
            weighted = x * h_es[:, None]
            cross = np.stack([-np.bincount(stratum, weighted[:, j], minlength=k) for j in range(p)])
            info[:p, p:] = cross
            info[p:, :p] = cross.T
            info[p:, p:] = np.diag(-np.bincount(stratum, h_ss, minlength=k))
    return Evaluation(loglik, score, info)


def _step(info: np.ndarray, score: np.ndarray) -> np.ndarray:
    """The Newton step I^-1 U; where I is not positive definite (far from the maximum), a
    Levenberg-Marquardt step with a ridge large enough to make it so."""
    ridge = 0.0
    scale = float(np.max(np.abs(np.diag(info)))) or 1.0
    for _ in range(60):
        try:
            factor = np.linalg.cholesky(info + ridge * np.eye(len(score)))
        except np.linalg.LinAlgError:
            ridge = max(ridge * 10.0, scale * 1e-8)
            continue
        return np.linalg.solve(factor.T, np.linalg.solve(factor, score))
    return score / scale


def maximise(theta: np.ndarray, x: np.ndarray, rows: Rows, dist: Distribution) -> Maximum:
    """Newton-Raphson with step halving from ``theta`` (see the module docstring)."""
    cur = evaluate(theta, x, rows, dist)
    if not cur.finite:
        return Maximum(theta, cur, 0, False)
    for it in range(1, MAX_ITER + 1):
        step = _step(cur.information, cur.score)
        small = np.all(np.abs(step) <= STEP_TOL * np.maximum(1.0, np.abs(theta)))
        if small or float(cur.score @ step) <= DECREMENT_TOL * max(1.0, abs(cur.loglik)):
            # at the maximum up to rounding: one last full step (quadratic convergence)
            new = theta + step
            last = evaluate(new, x, rows, dist)
            if last.finite and last.loglik >= cur.loglik - DECREMENT_TOL * abs(cur.loglik):
                return Maximum(new, last, it, True)
            return Maximum(theta, cur, it, True)
        for halving in range(40):
            new = theta + step / (2.0**halving)
            trial = evaluate(new, x, rows, dist)
            if trial.finite and trial.loglik >= cur.loglik:
                break
        else:
            return Maximum(theta, cur, it, False)
        theta, cur = new, trial
    return Maximum(theta, cur, MAX_ITER, False)


def aliased_columns(x: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Columns of ``x`` (intercept first) that are linear combinations of earlier ones: zero
    pivots of R's ``cholesky2`` on the weighted cross-product scaled to unit diagonal."""
    cross = (x.T * weight) @ x
    d = np.sqrt(np.diag(cross))
    d = np.where(d > 0, d, 1.0)
    factor, _ = cholesky2(cross / np.outer(d, d), TOLER_CHOL)
    return np.diag(factor) == 0


def start(rows: Rows, dist: Distribution) -> np.ndarray:
    """Intercept-only starting values: the weighted mean of y, and sigma from its spread (the
    standard deviation of y over that of the error distribution), per stratum."""
    w = rows.weight
    mean = float(w @ rows.y / w.sum())
    if dist.fixed_scale:
        return np.array([mean])
    logs = []
    for s in range(rows.n_strata):
        inside = rows.stratum == s
        ws, ys = w[inside], rows.y[inside]
        var = float(ws @ (ys - ws @ ys / ws.sum()) ** 2 / ws.sum())
        sd = np.sqrt(var) / dist.spread if var > 0 else 1.0
        logs.append(np.log(sd))
    return np.array([mean, *logs])


def standardise(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre and scale the non-intercept columns; returns the new matrix and the map A with
    beta = A beta_standardised."""
    mean = (w @ x) / w.sum()
    sd = np.sqrt((w @ (x - mean) ** 2) / w.sum())
    mean[0], sd[0] = 0.0, 1.0
    sd = np.where(sd > 0, sd, 1.0)
    z = (x - mean) / sd
    z[:, 0] = 1.0
    a = np.diag(1.0 / sd)
    a[0, 1:] = -mean[1:] / sd[1:]
    return z, a
