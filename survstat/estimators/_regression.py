"""Machinery shared by the Cox and Fine-Gray fits.

* The covariates are centred and scaled as R ``survival``'s ``coxfit6`` does (survival 3.5,
  ``src/coxfit6.c``): each column has its weighted mean subtracted and is multiplied by
  sum(w) / sum(w |x - mean|). Newton-Raphson is affine invariant, so this changes no estimate,
  but it keeps the information matrix well conditioned and makes the singularity tolerance
  relative. A column is first divided by a power of two near its largest absolute value
  (exact in floating point), so covariates near the largest double do not overflow.
* Rank deficiency is found as R does it: a Cholesky decomposition (``cholesky2``) that treats a
  pivot below ``toler.chol`` = eps^0.75 times the largest diagonal element as zero, so a column
  that is (numerically) a linear combination of earlier columns is *aliased*: its coefficient
  stays at 0 in every Newton step and is reported as undefined (R: ``NA``, "not defined because
  of singularities"). ``chsolve2`` and ``chinv2`` solve and invert with that decomposition.
* That tolerance is relative, so it cannot tell when *no* column carries information: a
  covariate constant within every risk set has an information of exactly 0, computed as
  rounding noise of the order of eps per event, and when every column is such noise the
  largest one passes the relative test and gets an arbitrary coefficient (R ``coxph`` does
  this for a covariate that varies only among subjects censored before the first event).
  The information at 0, where aliasing is a property of the design alone, is therefore
  factored with an absolute floor under the tolerance, :func:`information_floor` (the
  columns it finds singular stay so in every later step; at the estimate the information of
  a diverging coefficient legitimately falls towards 0, so R's relative rule alone applies
  there): after scaling, a column's information is the sum over events of
  its (weighted) variance in the risk set, of order 1 per event for a column that varies
  there, i.e. of the order of the (weighted) number of events ``D``; the floor is
  ``toler.chol * D``, R's relative test applied to the diagonal such a column would have.
  Where an informative column is present R's relative test is about as strict already (no
  reference case changes); the floor lies two to four orders of magnitude above the noise of
  a column constant within the risk sets (measured up to 3e5 rows). The commonest such
  column, a covariate nested in the strata (region with ``strata=site`` where each site lies
  in one region, or ``arm`` with ``strata=arm``), is made exactly 0 by the Cox fit, which
  centres the covariates within each stratum.
* A coefficient is *infinite* (monotone likelihood, e.g. separation) when the next Newton step
  from the point where the likelihood stopped changing is still large: |U' I^-1| > eps and
  > sqrt(eps) |beta| (R ``coxph.fit``'s test behind "Loglik converged before variable k;
  coefficient may be infinite"; Bryson & Johnson 1981, Technometrics 23:381-383 on monotone
  likelihoods in Cox models; Heinze & Schemper 2001, Biometrics 57:114-119).

References: Therneau & Grambsch 2000, *Modeling Survival Data*, sec. 3.3; R survival 3.5
``src/cholesky2.c``, ``chsolve2.c``, ``chinv2.c``, ``coxfit6.c`` and ``R/coxph.fit.R``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from survstat.errors import InvalidValueError

#: R ``coxph.control()``: convergence tolerance on the relative change of the log-likelihood.
EPS = 1e-9
#: R ``coxph.control()``: Cholesky tolerance for declaring a column singular (aliased).
TOLER_CHOL = float(np.finfo(float).eps ** 0.75)
#: R ``coxph.control()``: relative size of a remaining Newton step that flags an infinite
#: coefficient.
TOLER_INF = math.sqrt(EPS)


def information_floor(events: float) -> float:
    """The absolute floor under :func:`cholesky2`'s singularity tolerance for an information
    matrix of scaled covariates with ``events`` (weighted) events: ``TOLER_CHOL * events``
    (see the module docstring for why)."""
    return TOLER_CHOL * float(events)


def cholesky2(
    matrix: np.ndarray, toler: float = TOLER_CHOL, floor: float = 0.0
) -> tuple[np.ndarray, int]:
    """R ``cholesky2``: LDL' decomposition of a symmetric non-negative definite matrix.

    Parameters
    ----------
    matrix
        The symmetric matrix (an information or a variance matrix).
    toler
        Relative tolerance (R ``toler.chol``).
    floor
        Absolute lower bound of the tolerance; 0 (the default) is R's rule. Information
        matrices of scaled covariates pass :func:`information_floor`.

    Returns the factor (L below the diagonal, D on it) and the rank. A pivot that is not finite
    or below ``max(toler * largest positive diagonal element, floor)`` is set to 0: that column
    is singular and is skipped by :func:`chsolve2` and :func:`chinv2`.
    """
    m = np.array(matrix, dtype=float)
    n = m.shape[0]
    diag = np.diag(m)
    top = max([0.0, *[d for d in diag if d > 0]])
    eps = max(toler if top == 0 else top * toler, floor)
    rank = 0
    for i in range(n):
        pivot = m[i, i]
        if not np.isfinite(pivot) or pivot < eps:
            m[i, i] = 0.0
            continue
        rank += 1
        for j in range(i + 1, n):
            temp = m[j, i] / pivot
            m[j, i] = temp
            m[j, j] -= temp * temp * pivot
            m[j + 1 :, j] -= temp * m[j + 1 :, i]
    return m, rank


def chsolve2(factor: np.ndarray, y: np.ndarray) -> np.ndarray:
    """R ``chsolve2``: solve A b = y from :func:`cholesky2`'s factor; singular rows give 0."""
    b = np.array(y, dtype=float)
    n = len(b)
    for i in range(n):
        b[i] -= float(b[:i] @ factor[i, :i])
    for i in range(n - 1, -1, -1):
        if factor[i, i] == 0:
            b[i] = 0.0
        else:
            b[i] = b[i] / factor[i, i] - float(b[i + 1 :] @ factor[i + 1 :, i])
    return b


def chinv2(factor: np.ndarray) -> np.ndarray:
    """R ``chinv2``: the inverse from :func:`cholesky2`'s factor, with zero rows and columns for
    the singular ones (returned as a full symmetric matrix)."""
    m = np.array(factor, dtype=float)
    n = m.shape[0]
    for i in range(n):
        if m[i, i] > 0:
            m[i, i] = 1.0 / m[i, i]
            for j in range(i + 1, n):
                m[j, i] = -m[j, i]
                m[j, :i] += m[j, i] * m[i, :i]
    for i in range(n):
        if m[i, i] == 0:
            m[:i, i] = 0.0
            m[i, i:] = 0.0
        else:
            for j in range(i + 1, n):
                temp = m[j, i] * m[j, j]
                m[i, j] = temp
                m[i, i:j] += temp * m[j, i:j]
    upper = np.triu(m)
    return upper + np.triu(m, 1).T


@dataclass(frozen=True, slots=True)
class Point:
    """Log-likelihood, score and information at one coefficient vector (scaled covariates)."""

    loglik: float
    score: np.ndarray
    information: np.ndarray

    @property
    def finite(self) -> bool:
        """Everything is a finite number (not so where exp() of the linear predictor
        overflows)."""
        return bool(
            np.isfinite(self.loglik)
            and np.isfinite(self.score).all()
            and np.isfinite(self.information).all()
        )


@dataclass(frozen=True, slots=True)
class NewtonFit:
    """Where :func:`newton_raphson` stops."""

    beta: np.ndarray
    last: Point  # at beta
    var: np.ndarray  # inverse information at beta, zero rows and columns for singular columns
    iterations: int
    converged: bool


def newton_raphson(
    evaluate: Callable[[np.ndarray], Point],
    beta: np.ndarray,
    start: Point,
    max_iter: int,
    singular: np.ndarray | None = None,
) -> NewtonFit:
    """R ``coxfit6``'s iteration: Newton-Raphson from ``beta`` with step halving, done when the
    log-likelihood changes by at most ``EPS`` relatively.

    Parameters
    ----------
    evaluate
        The log-likelihood, score and information at a coefficient vector.
    beta
        The starting point.
    start
        ``evaluate(beta)``, already computed by the caller.
    max_iter
        At most this many evaluations after ``start`` (R ``iter.max``).
    singular
        Columns found aliased before the iterations (by :func:`information_floor` at 0): their
        rows and columns of the information are taken as 0, so their coefficients do not move.
        Each information matrix is otherwise factored by R's relative rule: along a diverging
        direction the information legitimately falls towards 0, so no floor applies there.

    A step that lowers the log-likelihood or leaves it not finite is halved back towards the
    last accepted point (R's rule; the halving fractions 1/2, 2/3, 3/4, ... are R's). Out of
    iterations, the last accepted point is evaluated again, as R does. The Cox fit runs it from
    0; the Fine-Gray fit from crr's stopping point, to decide by coxph's rule whether a
    coefficient diverges (crr's own iteration and stopping rule differ and stay in
    :mod:`survstat.estimators.fine_gray`).
    """

    def factor(point: Point) -> np.ndarray:
        info = point.information
        if singular is not None and singular.any():
            info = np.where(singular[:, None] | singular[None, :], 0.0, info)
        return cholesky2(info)[0]

    best = start.loglik
    new_beta = beta + chsolve2(factor(start), start.score)
    halving = 0
    for it in range(1, max_iter + 1):
        cur = evaluate(new_beta)
        chol = factor(cur)
        # R: |1 - best / loglik| <= eps, never true at a log-likelihood of 0 (inf or NaN)
        if cur.finite and cur.loglik != 0 and abs(1.0 - best / cur.loglik) <= EPS:
            return NewtonFit(new_beta, cur, chinv2(chol), it, True)
        if not cur.finite or cur.loglik < best:
            halving += 1
            new_beta = (new_beta + halving * beta) / (halving + 1.0)
        else:
            halving = 0
            best = cur.loglik
            beta = new_beta
            new_beta = new_beta + chsolve2(chol, cur.score)
    last = evaluate(beta)
    return NewtonFit(beta, last, chinv2(factor(last)), max_iter, False)


@dataclass(frozen=True, slots=True)
class Scaling:
    """``x_scaled = (x - center) * factor`` per column; coefficients map back as
    ``beta = factor * beta_scaled`` and variances as ``factor_i factor_j V_scaled``."""

    center: np.ndarray
    factor: np.ndarray
    top: np.ndarray  # largest absolute value of each column (for error messages)


def scale_columns(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, Scaling]:
    """Centre and scale the columns of ``x`` as R ``coxfit6`` does (see the module docstring)."""
    top = np.max(np.abs(x), axis=0) if len(x) else np.zeros(x.shape[1])
    # a power of two at or above each column's largest value: dividing by it is exact
    _, expo = np.frexp(np.where(top > 0, top, 1.0))
    power = np.ldexp(1.0, expo)
    z = x / power
    total = float(np.sum(w))
    mean = (w @ z) / total
    z = z - mean
    spread = w @ np.abs(z)
    factor = np.where(spread > 0, total / np.where(spread > 0, spread, 1.0), 1.0)
    with np.errstate(over="ignore", under="ignore"):
        return z * factor, Scaling(mean * power, factor / power, top)


def unscale(
    beta_s: np.ndarray, cov_s: np.ndarray, scaling: Scaling, terms: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients and covariance on the covariates' own scale.

    Raises :class:`SurvstatError` naming the covariate when its coefficient or variance cannot
    be represented in double precision (a covariate on a scale such as 1e300): the fit itself is
    exact, but its numbers would print as 0 or inf.
    """
    c = scaling.factor
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        beta = beta_s * c
        cov = cov_s * np.outer(c, c)
    tiny = np.finfo(float).tiny
    for j, term in enumerate(terms):
        var_s, var = cov_s[j, j], cov[j, j]
        lost = (var_s > 0 and not tiny <= var < np.inf) or (
            beta_s[j] != 0 and not tiny <= abs(beta[j]) < np.inf
        )
        if lost or not 0 < c[j] < np.inf:
            size = scaling.top[j]
            raise InvalidValueError(
                f"`{term}` (covariate) is on a scale (largest absolute value {size:.3g}) at which "
                "its coefficient or its variance is outside double precision; rescale it, "
                f"e.g. divide it by {10 ** round(math.log10(size)) if size > 0 else 1:.0e}"
            )
    return beta, cov


def infinite_terms(
    score_s: np.ndarray, var_s: np.ndarray, beta_s: np.ndarray, usable: np.ndarray
) -> np.ndarray:
    """Terms whose coefficient may be infinite: the next Newton step U' V is not finite, or is
    above ``EPS`` and above ``TOLER_INF`` times the coefficient (R ``coxph.fit``), computed on
    the scaled covariates so that the verdict does not depend on their units."""
    with np.errstate(over="ignore", invalid="ignore"):
        step = np.abs(score_s @ var_s)
        flag = ~np.isfinite(score_s) | ~np.isfinite(step)
        flag |= (step > EPS) & (step > TOLER_INF * np.abs(beta_s))
    return flag & usable


def quadratic_form(beta: np.ndarray, var: np.ndarray) -> float:
    """beta' var^-1 beta by :func:`cholesky2` and :func:`chsolve2` (R ``coxph.wtest``)."""
    if len(beta) == 0:
        return 0.0
    factor, _ = cholesky2(var, TOLER_CHOL)
    return float(beta @ chsolve2(factor, beta))
