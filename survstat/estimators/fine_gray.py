"""Fine-Gray proportional subdistribution hazards regression (R ``cmprsk::crr``).

The subdistribution risk set at a failure time t of the cause of interest holds everyone still
under observation and, weighted by G(t-)/G(T_i-), those who failed earlier from another cause;
G is the Kaplan-Meier estimate of the censoring distribution (Fine & Gray 1999, JASA
94:496-509; the pseudo-likelihood and its variance are in
:mod:`survstat.estimators._subdistribution`). Ties among failures are handled as Breslow. The
fit reproduces ``crr`` step for step (Newton-Raphson with backtracking, gtol = 1e-6, at most 10
iterations) and its sandwich variance, including the term for the estimated censoring weights
(Gray's ``crrvv``). Predicted cumulative incidence for a covariate profile is
1 - exp(-sum exp(x'b) dLambda_0), as ``predict.crr``.

Where ``crr`` stops with an error or reports numbers that are not estimates, the edges follow
R ``coxph`` (see :mod:`survstat.estimators._regression`): covariates are centred and scaled
(which leaves crr's iterates unchanged; its stopping rule is evaluated on the covariates' own
scale), aliased columns are found by the Cholesky rule at 0 and reported as undefined instead
of stopping with "system is computationally singular", and a coefficient is reported as
infinite (monotone likelihood) when Newton-Raphson continued from crr's stopping point by
coxph's rule still moves it by a full step (continued only where a coefficient may diverge,
so a converged fit costs crr's own iterations).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from survstat.data import SurvivalData, as_survival_data
from survstat.errors import ColumnNotFoundError, EstimationError, InvalidValueError, OptionError
from survstat.estimators._confint import z_value
from survstat.estimators._design import covariate_list, design_matrix
from survstat.estimators._regression import (
    Point,
    cholesky2,
    chsolve2,
    infinite_terms,
    information_floor,
    newton_raphson,
    scale_columns,
    unscale,
)
from survstat.estimators._subdistribution import (
    Data,
    censoring_km_left,
    objective,
    sandwich,
    sums,
)
from survstat.estimators._term_table import term_status, term_table, terms_with, warn_status
from survstat.io import FrameLike

#: ``crr``'s defaults.
GTOL = 1e-6
MAX_ITER = 10
#: Newton-Raphson continued from crr's stopping point by coxph's rule runs (see
#: :func:`_infinite`) when its next step moves the linear predictor by more than this...
CANDIDATE_STEP = 1e-3
#: ... for at most this many iterations (R ``coxph.control()``'s ``iter.max``).
CONTINUE_ITER = 20


def _stopped(lik: float, score: np.ndarray, b: np.ndarray, gtol: float) -> bool:
    """crr's stopping rule: max |U| max(|b|, 1) < gtol max(|loglik|, 1)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.max(np.abs(score) * np.maximum(np.abs(b), 1.0)) < max(abs(lik), 1.0) * gtol)


@dataclass(frozen=True, slots=True)
class _CrrFit:
    """Where crr's Newton-Raphson stops (scaled covariates) and its objective there."""

    b: np.ndarray
    iterations: int
    converged: bool  # crr's rule met on the covariates' own scale
    unit_free: bool  # ... or on the scaled covariates
    lik: float  # crr's objective (minus the log pseudo-likelihood) at b
    score: np.ndarray  # its gradient
    hess: np.ndarray  # its Hessian (the information)


def _fit(
    dat: Data,
    factor: np.ndarray,
    start: tuple[float, np.ndarray, np.ndarray],
    gtol: float = GTOL,
    max_iter: int | None = None,
) -> _CrrFit:
    """crr's Newton-Raphson on the scaled covariates from 0, where ``start`` is the objective,
    gradient and Hessian; ``factor`` maps the covariates back, so that the stopping rule is
    crr's on the covariates' own scale.

    Also says whether the same rule holds on the scaled covariates when it was not met: crr's
    rule depends on the units, and for a covariate on a scale such as 1e100 it cannot be met
    even once Newton-Raphson has converged to machine precision.

    This is not :func:`newton_raphson` (coxph's rule) on purpose: crr stops on the gradient
    (``gtol``) rather than on the change of the log-likelihood, backtracks by halving the step
    until an Armijo condition holds rather than averaging with the last point, solves without
    a Cholesky singularity rule and takes at most 10 steps. Reproducing crr's iterates, and so
    its estimates to 1e-8, needs crr's loop; coxph's is used only to continue from where crr
    stops (:func:`_infinite`).
    """
    max_iter = MAX_ITER if max_iter is None else max_iter
    b = np.zeros(dat.x.shape[1])
    converged = False
    it = 0
    lik, score, hess = start
    for it in range(max_iter + 1):
        if it > 0:
            lik, score, hess = objective(b, dat)
        if _stopped(lik, score / factor, b * factor, gtol):
            converged = True
            break
        if it == max_iter:
            break
        try:
            step = -np.linalg.solve(hess, score)
        except np.linalg.LinAlgError:
            break
        new = b + step
        f_new = objective(new, dat, derivatives=False)[0]
        halvings = 0
        while not np.isfinite(f_new) or f_new > lik + 1e-4 * float(step @ score):
            halvings += 1
            step *= 0.5
            new = b + step
            f_new = objective(new, dat, derivatives=False)[0]
            if halvings > 20:
                break
        if halvings > 20:
            break
        b = new
    # (lik, score, hess) are at b: b moves only just before the next evaluation
    unit_free = converged or _stopped(lik, score, b, gtol)
    return _CrrFit(b, it, converged, unit_free, lik, score, hess)


def _point(b: np.ndarray, dat: Data) -> Point:
    """crr's objective as coxph's terms: log pseudo-likelihood, score and information."""
    lik, score, hess = objective(b, dat)
    return Point(-lik, -score, hess)


def _infinite(fit: _CrrFit, dat: Data) -> np.ndarray:
    """Which coefficients diverge (monotone pseudo-likelihood), by R coxph's rule.

    crr's stopping point is not precise enough for coxph's test (its gtol leaves Newton steps
    of 1e-10 to 1e-6 that the test would read as movement), so Newton-Raphson is first
    continued from there by coxph's rule (:func:`newton_raphson`, at most 20 iterations). That
    costs one or more Hessians, so it runs only when a coefficient is a candidate: crr's rule
    was not met on either scale, a term's information has fallen to a zero pivot at crr's
    stopping point, or the Newton step from there moves the linear predictor of one subject
    against another's by more than ``CANDIDATE_STEP``. Along a diverging direction the log
    pseudo-likelihood approaches its supremum like l - A exp(-c b), so the Newton step there
    is about 1/c and moves the linear predictor by about 1 across the gap c that separates the
    subjects; at a finite maximum crr's gtol leaves moves of about 1e-10 to 1e-6 (measured on
    the reference cases).
    """
    here = Point(-fit.lik, -fit.score, fit.hess)
    if fit.unit_free and here.finite:
        factor, _ = cholesky2(fit.hess)
        with np.errstate(over="ignore", invalid="ignore"):
            moved = float(np.ptp(dat.x @ chsolve2(factor, here.score)))
        if moved <= CANDIDATE_STEP and (np.diag(factor) > 0).all():  # False when not finite
            return np.zeros(len(fit.b), dtype=bool)
    end = newton_raphson(lambda b: _point(b, dat), fit.b, here, CONTINUE_ITER)
    # a term with information at 0 whose information has fallen to a zero pivot: the
    # pseudo-likelihood has become flat in a diverging direction (as in the Cox fit)
    collapsed = np.diag(end.var) == 0
    return infinite_terms(end.last.score, end.var, end.beta, ~collapsed) | collapsed


def _aliased(information: np.ndarray, floor: float, terms: tuple[str, ...]) -> np.ndarray:
    """Aliased columns by R coxph's Cholesky rule on the information at 0, with ``floor``
    (:func:`information_floor` of the failures of interest) under its tolerance; an error when
    no column is left."""
    factor, _ = cholesky2(information, floor=floor)
    aliased = np.diag(factor) == 0
    if aliased.all():
        raise EstimationError(
            "no information about the covariates: the information is 0 for every term (each "
            "is constant within the subdistribution risk sets or a combination of the others: "
            f"{', '.join(terms)})"
        )
    return aliased


@dataclass(frozen=True, slots=True)
class FineGrayResult:
    """A fitted Fine-Gray model.

    Attributes
    ----------
    table
        One row per term: ``term, coef, std_error, hazard_ratio, conf_low, conf_high, z,
        p_value, status``; ``hazard_ratio`` is the subdistribution hazard ratio and ``status``
        is as in :class:`survstat.CoxResult` (``ok``, ``aliased``, ``infinite``, ``not
        converged``): only ``ok`` rows carry intervals and p-values.
    covariance
        Sandwich variance of the coefficients (``crr``'s ``var``); rows and columns of aliased
        terms are 0.
    loglik, loglik_null
        Log pseudo-likelihood at the estimate and at 0 (``crr``'s ``loglik``,
        ``loglik.null``).
    converged, iterations
        ``crr``'s convergence flag and its number of Newton-Raphson iterations.
    n, n_event, n_competing
        Rows, failures of the cause of interest and failures of other causes.
    aliased, infinite
        The aliased terms and those whose coefficient may be infinite.
    baseline
        ``time, jump`` of the baseline cumulative subdistribution hazard (covariates at 0;
        a jump outside double precision is null).
    """

    table: pl.DataFrame
    covariance: np.ndarray = field(repr=False)
    loglik: float
    converged: bool
    failcode: Any
    terms: tuple[str, ...]
    baseline: pl.DataFrame = field(repr=False)
    loglik_null: float = float("nan")
    iterations: int = 0
    n: int = 0
    n_event: int = 0
    n_competing: int = 0
    aliased: tuple[str, ...] = ()
    infinite: tuple[str, ...] = ()
    _center: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    _jump: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)

    @property
    def model(self) -> pl.DataFrame:
        """One row: ``n, n_event, n_competing, loglik_null, loglik, iterations, converged,
        aliased, infinite`` (the last two: comma-separated terms, "" when none)."""
        return pl.DataFrame(
            {
                "n": [self.n],
                "n_event": [self.n_event],
                "n_competing": [self.n_competing],
                "loglik_null": [self.loglik_null],
                "loglik": [self.loglik],
                "iterations": [self.iterations],
                "converged": [self.converged],
                "aliased": [", ".join(self.aliased)],
                "infinite": [", ".join(self.infinite)],
            }
        )

    def predict(self, profile: Mapping[str, float] | Sequence[float]) -> pl.DataFrame:
        """Cumulative incidence for a covariate profile, at each failure time (``predict.crr``).

        Aliased terms contribute nothing (their coefficient is taken as 0, as R's ``predict``
        does with ``NA`` coefficients).

        Parameters
        ----------
        profile
            One value per term: a mapping from term name, or a sequence in term order.

        Returns
        -------
        polars.DataFrame
            ``time, cif``: the predicted cumulative incidence at each failure time.

        Raises
        ------
        EstimationError
            When the model has an infinite coefficient or did not converge: it predicts
            nothing.
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
        if self.infinite or not self.converged:
            why = (
                f"infinite coefficient(s) {list(self.infinite)}"
                if self.infinite
                else ("no convergence")
            )
            raise EstimationError(f"cannot predict from this Fine-Gray model: {why}")
        coef = self.table.get_column("coef").fill_null(0.0).to_numpy()
        with np.errstate(over="ignore"):
            risk = np.exp((values - self._center) @ coef)
            cif = 1.0 - np.exp(-np.cumsum(risk * self._jump))
        if not np.isfinite(cif).all():
            raise InvalidValueError("the profile's predicted incidence is outside double precision")
        cif = np.clip(cif, 0.0, 1.0)
        return pl.DataFrame({"time": self.baseline.get_column("time"), "cif": cif})


def _no_event(sd: SurvivalData) -> EstimationError:
    return EstimationError(
        f"`{sd.cause}` records no event of any cause: all {sd.n_rows} rows are censored "
        f"(`{sd.cause}` = {sd.censor_value!r}); a Fine-Gray model has nothing to fit"
    )


def _target(sd: SurvivalData, failcode: Any) -> tuple[int, Any]:
    """The code (1, 2, ...) of the cause of interest in ``__cause``, and the cause as given
    (the first cause when ``failcode`` is None)."""
    if not sd.causes:
        raise _no_event(sd)
    target = sd.causes[0] if failcode is None else failcode
    matches = [k for k, c in enumerate(sd.causes, start=1) if str(c) == str(target)]
    if not matches:
        raise OptionError(f"failcode {target!r} is not a cause; causes: {list(sd.causes)}")
    return matches[0], target


def _require_failures(time_s: np.ndarray, fails: np.ndarray, target: Any) -> None:
    """An error when no failure of the cause of interest has follow-up to model."""
    if not fails.any():
        raise EstimationError(f"no failures of cause {target!r}: nothing to model")
    if (time_s[fails] == 0).all():
        raise EstimationError(
            f"every failure of cause {target!r} ({int(fails.sum())} of them) is at time 0: "
            "there is no follow-up to model (an event at the time origin usually means a "
            "missing or wrong date)"
        )


def _sandwich(
    fit: _CrrFit, dat: Data, keep: np.ndarray, status: list[str], terms: tuple[str, ...]
) -> np.ndarray:
    """The sandwich variance on the scaled covariates, 0 in the rows and columns of aliased
    terms; an error for an estimable term whose variance is 0."""
    cov_s = np.zeros((len(keep), len(keep)))
    cov_s[np.ix_(keep, keep)] = sandwich(fit.b, dat, fit.hess)
    for j, term in enumerate(terms):
        if status[j] == "ok" and not cov_s[j, j] > 0:
            raise EstimationError(
                f"no information about `{term}`: its sandwich variance is 0 (e.g. every "
                "subject at risk fails at the same time)"
            )
    return cov_s


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

    Returns
    -------
    FineGrayResult
        The coefficient table (subdistribution hazard ratios with intervals and Wald tests),
        the model's status and the baseline cumulative incidence for predictions.

    Raises
    ------
    SurvstatError
        No event of any cause; no failure of the cause of interest; every such failure at
        time 0 (no follow-up to model); no information about the covariates (every term
        aliased, or a term whose sandwich variance is 0, e.g. when everyone fails at once); a
        covariate on a scale outside double precision.

    Warns
    -----
    SurvstatWarning
        Aliased terms, infinite coefficients, or no convergence (also in ``status`` and
        :attr:`FineGrayResult.model`).

    References
    ----------
    .. [1] Fine JP, Gray RJ (1999). A proportional hazards model for the subdistribution of a
       competing risk. J Am Stat Assoc 94:496-509.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"t": [1.0, 2, 3, 4, 5, 6, 7, 8], "c": [1, 2, 1, 0, 1, 2, 0, 1],
    ...                    "x": [0.5, 1.0, 0.1, 0.3, 0.9, 0.2, 0.4, 0.8]})
    >>> fine_gray(df, time="t", cause="c", covariates=["x"]).table.columns[:3]
    ['term', 'coef', 'std_error']
    """
    z_value(conf_level)  # validate before any work
    covariates = covariate_list(covariates)
    sd = as_survival_data(data, competing=True, time=time, cause=cause, censor_value=censor_value)
    sd.require_rows("Fine–Gray regression")
    if sd.weight is not None or sd.entry is not None or sd.strata:
        raise OptionError("Fine-Gray models take neither weights, delayed entry nor strata")
    available = sd.frame.collect_schema().names()
    for col in covariates:
        if col not in available:
            raise ColumnNotFoundError(col, available, role="covariate")
    code_of_target, target = _target(sd, failcode)
    frame = sd.frame.select(sd.time, "__cause", *[c for c in covariates if c != sd.time]).collect()
    code = frame.get_column("__cause").to_numpy()
    if not code.any():  # declared causes, none of which occurs
        raise _no_event(sd)
    design = design_matrix(frame, covariates, reference)
    order = np.argsort(frame.get_column(sd.time).cast(pl.Float64).to_numpy(), kind="stable")
    time_s = frame.get_column(sd.time).cast(pl.Float64).to_numpy()[order]
    code = code[order]
    kind = np.where(code == code_of_target, 1, np.where(code == 0, 0, 2))
    fails = kind == 1
    _require_failures(time_s, fails, target)
    t_fail, d = np.unique(time_s[fails], return_counts=True)
    first = np.searchsorted(time_s, t_fail, side="left")
    x_s, scaling = scale_columns(design.matrix[order], np.ones(len(order)))
    g_minus = censoring_km_left(time_s, kind)
    floor = information_floor(float(fails.sum()))
    # the objective at 0 finds the aliased columns and is crr's first Newton step
    lik0, score0, hess0 = objective(
        np.zeros(x_s.shape[1]), Data(time_s, kind, x_s, g_minus, first, d.astype(float))
    )
    aliased = _aliased(hess0, floor, design.terms)
    keep = ~aliased
    dat = Data(time_s, kind, x_s[:, keep], g_minus, first, d.astype(float))
    fit = _fit(dat, scaling.factor[keep], (lik0, score0[keep], hess0[np.ix_(keep, keep)]))
    b = fit.b
    infinite = np.zeros(len(keep), dtype=bool)
    infinite[keep] = _infinite(fit, dat)
    # crr's rule met on the scaled covariates, with no coefficient diverging: converged
    converged = fit.converged or (fit.unit_free and not infinite.any())
    status = term_status(aliased, infinite, converged)
    warn_status("Fine-Gray model", design.terms, status, converged)
    beta_s = np.zeros(len(keep))
    beta_s[keep] = b
    cov_s = _sandwich(fit, dat, keep, status, design.terms)
    beta, cov = unscale(beta_s, cov_s, scaling, design.terms)
    _, _, s0, _ = sums(b, dat)
    jump_c = dat.d / s0  # baseline at the covariates' centre
    with np.errstate(over="ignore", under="ignore"):
        jump = jump_c * np.exp(-float(scaling.center[keep] @ beta[keep]))
    baseline = pl.DataFrame(
        {
            "time": t_fail,
            "jump": pl.Series(np.where(np.isfinite(jump), jump, np.nan), nan_to_null=True),
        }
    )
    return FineGrayResult(
        table=term_table(design.terms, beta, cov, status, conf_level),
        covariance=cov,
        loglik=-fit.lik,
        converged=converged,
        failcode=sd.causes[code_of_target - 1],
        terms=design.terms,
        baseline=baseline,
        loglik_null=-lik0,
        iterations=fit.iterations,
        n=frame.height,
        n_event=int(fails.sum()),
        n_competing=int((kind == 2).sum()),
        aliased=terms_with(design.terms, status, "aliased"),
        infinite=terms_with(design.terms, status, "infinite"),
        _center=scaling.center,
        _jump=jump_c,
    )
