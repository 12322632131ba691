"""Parametric survival regression: accelerated failure time models (R ``survival::survreg``).

``y = x'beta + sigma W`` with ``y = log(T)`` and W extreme value (``weibull``; ``exponential``
with sigma = 1), normal (``lognormal``) or logistic (``loglogistic``), or ``y = T`` (``gaussian``,
``logistic``), parametrised exactly as R ``survreg``: coefficients with the intercept first
(``(Intercept)``), and ``Log(scale)``, one per stratum (R's ``strata()`` term in a ``survreg``
formula gives each stratum its own scale). Maximum likelihood by Newton-Raphson on (beta, log
sigma) with the analytic score and observed information (:mod:`._survreg_fit`); standard errors
from the inverse of the observed information (R's ``fit$var``). The Weibull is also reported in
proportional hazards form: shape 1/sigma and hazard ratios exp(-beta / sigma), with
delta-method intervals (R ``SurvRegCensCov::ConvertWeibull``).

References: Kalbfleisch & Prentice (2002), *The Statistical Analysis of Failure Time Data*,
2nd ed., ch. 2-3; Therneau, R package survival 3.5, ``survreg``; Collett (2015), *Modelling
Survival Data in Medical Research*, 3rd ed., ch. 6.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from survstat._choices import SURVREG_DISTRIBUTIONS, SurvregDistribution
from survstat.data import SurvivalData, as_survival_data
from survstat.errors import (
    ColumnNotFoundError,
    EstimationError,
    InvalidValueError,
    OptionError,
    check_choice,
)
from survstat.estimators._confint import z_value
from survstat.estimators._design import Design, covariate_list, design_matrix
from survstat.estimators._survreg_dist import DISTRIBUTIONS
from survstat.estimators._survreg_fit import Rows, aliased_columns, maximise, standardise, start
from survstat.estimators._survreg_table import coefficient_table, expand_covariance, warn_status
from survstat.io import FrameLike

INTERCEPT = "(Intercept)"
#: Columns of :attr:`SurvregResult.table`.
TABLE_COLUMNS = (
    "term",
    "coef",
    "std_error",
    "conf_low",
    "conf_high",
    "z",
    "p_value",
    "time_ratio",
    "status",
)


@dataclass(frozen=True, slots=True)
class SurvregBasis:
    """What predictions after a fit need: the design's terms and their covariates, the strata
    columns and labels, and the estimates with their covariance (aliased terms 0)."""

    design: Design
    strata: tuple[str, ...]
    stratum_keys: tuple[tuple[Any, ...], ...]
    beta: np.ndarray  # intercept first
    log_scale: np.ndarray  # one per stratum ([0.0] for the exponential)
    covariance: np.ndarray  # over (used beta, log scales); aliased terms dropped
    used: np.ndarray  # the terms that are not aliased
    #: The rows used (weight above 0): time, event, weight, and the design with the intercept
    #: (every term, aliased ones included).
    time: np.ndarray = field(default_factory=lambda: np.zeros(0))
    event: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    weight: np.ndarray = field(default_factory=lambda: np.zeros(0))
    x: np.ndarray = field(default_factory=lambda: np.zeros((0, 1)))


@dataclass(frozen=True, slots=True)
class SurvregResult:
    """A fitted parametric (AFT) survival model.

    Attributes
    ----------
    distribution
        The error distribution (R ``dist``).
    table
        One row per coefficient, then one ``Log(scale)`` row per stratum (none for the
        exponential), as R ``summary.survreg``: ``term, coef, std_error, conf_low, conf_high,
        z, p_value, time_ratio, status``. ``conf_low``/``conf_high`` are Wald limits of
        ``coef``; ``time_ratio`` is exp(coef) (the acceleration factor) for the covariates of
        a log-time distribution, null otherwise. ``status``: ``ok``, ``aliased`` (a linear
        combination of earlier terms: every column null, R's ``NA``) or ``not converged``
        (``coef`` from the last iteration, no inference).
    scales
        ``stratum, scale, log_scale, std_error`` (one row, stratum ``""``, without strata).
    covariance
        Variance of (coefficients, log scales), aliased terms left out (R's ``fit$var``).
    loglik
        Log-likelihood of the intercept-only model (with the same strata) and of the model.
    df
        Number of estimated parameters (coefficients not aliased, and scales).
    n, n_event
        Rows used (weight above 0) and their events.
    iterations, converged
        Newton-Raphson iterations of the model's fit and whether it reached the maximum.
    conf_level
        Level of the intervals.
    """

    distribution: SurvregDistribution
    table: pl.DataFrame
    scales: pl.DataFrame
    covariance: np.ndarray = field(repr=False)
    loglik: tuple[float, float]
    df: int
    n: int
    n_event: int
    iterations: int
    converged: bool
    conf_level: float
    basis: SurvregBasis = field(repr=False)

    @property
    def aic(self) -> float:
        """Akaike's criterion, -2 loglik + 2 df (R ``AIC``)."""
        return -2.0 * self.loglik[1] + 2.0 * self.df

    @property
    def bic(self) -> float:
        """Schwarz's criterion, -2 loglik + log(n) df with n the rows used (R ``BIC``)."""
        return -2.0 * self.loglik[1] + math.log(self.n) * self.df

    @property
    def model(self) -> pl.DataFrame:
        """One row: ``distribution, n, n_event, loglik_null, loglik, df, aic, bic, scale,
        iterations, converged`` (``scale`` null with strata: see :attr:`scales`)."""
        scale = self.scales.get_column("scale")
        return pl.DataFrame(
            {
                "distribution": [self.distribution],
                "n": [self.n],
                "n_event": [self.n_event],
                "loglik_null": [self.loglik[0]],
                "loglik": [self.loglik[1]],
                "df": [self.df],
                "aic": [self.aic],
                "bic": [self.bic],
                "scale": pl.Series([scale[0] if len(scale) == 1 else None], dtype=pl.Float64),
                "iterations": [self.iterations],
                "converged": [self.converged],
            }
        )

    def hazard_ratios(self) -> pl.DataFrame:
        """The Weibull (or exponential) fit in proportional hazards form.

        Log hazard ratio -beta / sigma per covariate, its standard error by the delta method
        on (beta, log sigma), the hazard ratio with its Wald interval on the log scale, and
        the shape 1/sigma (R ``SurvRegCensCov::ConvertWeibull``; Collett 2015, sec. 5.6).

        Returns
        -------
        polars.DataFrame
            ``term, coef, std_error, hazard_ratio, conf_low, conf_high, z, p_value, shape,
            status`` (``coef`` the log hazard ratio), one row per covariate term.

        Raises
        ------
        OptionError
            Not a Weibull or exponential fit, or a fit with strata (their shapes differ, so
            the hazards are not proportional).
        """
        from survstat.estimators.survreg_predict import weibull_hazard_ratios

        return weibull_hazard_ratios(self)

    def predict(
        self, profiles: Any, p: float | Sequence[float] = 0.5, *, conf_level: float | None = None
    ) -> pl.DataFrame:
        """Quantiles of survival time per profile (R ``predict(fit, type = "quantile")``).

        Parameters
        ----------
        profiles
            A polars DataFrame, or a mapping (or a sequence of mappings) from each covariate
            (and stratum column) to its value, e.g. ``{"horTh": "yes", "age": 50}``.
        p
            Probabilities of the quantiles (0.5: the median survival time).
        conf_level
            Level of the intervals (default: the fit's).

        Returns
        -------
        polars.DataFrame
            See :func:`survstat.estimators.survreg_predict.predict_quantiles`.
        """
        from survstat.estimators.survreg_predict import predict_quantiles

        return predict_quantiles(self, profiles, p, conf_level=conf_level)

    def survival(
        self,
        profiles: Any,
        times: Sequence[float] | np.ndarray,
        *,
        tau: float | None = None,
        conf_level: float | None = None,
    ) -> pl.DataFrame:
        """Survival probabilities per profile and time, with the mean survival time.

        Parameters
        ----------
        profiles
            As for :meth:`predict`.
        times
            Times at which to evaluate S(t).
        tau
            Horizon of the restricted mean survival time (default: the largest of ``times``).
        conf_level
            Level of the intervals (default: the fit's).

        Returns
        -------
        polars.DataFrame
            See :func:`survstat.estimators.survreg_predict.predict_survival`.
        """
        from survstat.estimators.survreg_predict import predict_survival

        return predict_survival(self, profiles, times, tau=tau, conf_level=conf_level)


def _bad_rows(
    frame: pl.DataFrame, mask: np.ndarray, column: str, rule: str, values: np.ndarray
) -> InvalidValueError:
    index = frame.get_column("__row").to_numpy()
    first = int(np.flatnonzero(mask)[0])
    return InvalidValueError(
        f"`{column}` {rule}; found {int(mask.sum())} such values (first: {values[first]} at row "
        f"{int(index[first])})"
    )


def _prepare(
    sd: SurvivalData, covariates: list[str], reference: Mapping[str, Any] | None, log_time: bool
) -> tuple[pl.DataFrame, Design | None]:
    """The rows that enter the fit (weight above 0, numbered as in the input) and the design;
    errors for a time that is not positive on a log scale, no events and a constant
    covariate."""
    cols = [*sd.strata, sd.time, sd.event, *([sd.weight] if sd.weight else [])]
    extra = [c for c in covariates if c not in cols]
    available = sd.frame.collect_schema().names()
    for col in extra:
        if col not in available:
            raise ColumnNotFoundError(col, available, role="covariate")
    frame = sd.frame.select(*cols, *extra).collect().with_row_index("__row")
    if sd.weight is not None:
        frame = frame.filter(pl.col(sd.weight) > 0)
    time = frame.get_column(sd.time).cast(pl.Float64).to_numpy()
    if log_time and (time <= 0).any():
        raise _bad_rows(frame, time <= 0, sd.time, "must be positive on a log scale", time)
    if not frame.get_column(sd.event).cast(pl.Int64).sum():
        raise EstimationError(
            f"`{sd.event}` records no event among the {frame.height} rows used: a parametric "
            "model has nothing to fit"
        )
    if not covariates:
        return frame, None
    design = design_matrix(frame, covariates, reference)
    for j, (col, level) in enumerate(design.source):
        values = design.matrix[:, j]
        if level is None and np.all(values == values[0]):
            raise InvalidValueError(
                f"`{col}` (covariate) is constant: all {len(values)} rows used are "
                f"{values[0]:g} (first at row {int(frame.get_column('__row')[0])}); it cannot "
                "be estimated beside the intercept"
            )
    return frame, design


def _stratum_codes(frame: pl.DataFrame, strata: tuple[str, ...]) -> tuple[np.ndarray, list[Any]]:
    if not strata:
        return np.zeros(frame.height, dtype=np.int64), [()]
    keys = frame.select(strata).unique().sort(strata)
    codes = frame.select(strata).join(
        keys.with_row_index("__code"), on=list(strata), how="left", maintain_order="left"
    )
    return codes.get_column("__code").to_numpy().astype(np.int64), keys.rows()


def _stratum_label(strata: tuple[str, ...], key: tuple[Any, ...]) -> str:
    """R's name of a stratum's scale: ``sex=1`` (``a=1, b=2`` with two columns; ``""``
    without strata)."""
    return ", ".join(f"{c}={v}" for c, v in zip(strata, key, strict=True))


def survreg(
    data: FrameLike | SurvivalData,
    *,
    time: str | None = None,
    event: str | None = None,
    covariates: Sequence[str] = (),
    distribution: SurvregDistribution = "weibull",
    strata: str | Sequence[str] | None = None,
    weight: str | None = None,
    reference: Mapping[str, Any] | None = None,
    conf_level: float = 0.95,
    censor: str | None = None,
) -> SurvregResult:
    """Fit a parametric accelerated failure time model (R ``survreg``).

    Parameters
    ----------
    data, time, event, weight
        Data and column roles (see :meth:`SurvivalData.right_censored`); right censoring only.
        Rows with weight 0 are left out; case weights multiply each row's log-likelihood, as
        R's ``weights``.
    censor
        CDISC ADTTE ``CNSR``-style column (0 = event), in place of ``event``.
    covariates
        Columns of the linear predictor of y (none: an intercept-only model); numeric and
        boolean as they are, text/categorical as indicators against a reference level (terms
        ``arm[B]``). A constant covariate is an error; a combination of others is aliased.
    distribution
        ``exponential``, ``weibull`` (default), ``lognormal``, ``loglogistic`` (on log time),
        ``gaussian`` or ``logistic`` (on time), as R's ``dist``.
    strata
        Columns whose levels get their own scale (R ``strata()`` in a ``survreg`` formula); the
        coefficients are common. Not with the exponential (its scale is fixed).
    reference
        Reference level per categorical covariate, e.g. ``{"arm": "placebo"}``.
    conf_level
        Level of the Wald intervals.

    Returns
    -------
    SurvregResult
        Coefficients, scales, log-likelihoods, information criteria and convergence.

    Raises
    ------
    InvalidValueError
        A time that is not positive with a log-time distribution, or a constant covariate.
    EstimationError
        No events among the rows used.
    OptionError
        An unknown distribution, or strata with the exponential.

    Warns
    -----
    SurvstatWarning
        Aliased terms, or no convergence (also in ``status`` and :attr:`SurvregResult.model`).

    References
    ----------
    .. [1] Kalbfleisch JD, Prentice RL (2002). The Statistical Analysis of Failure Time Data,
       2nd ed. Wiley.
    .. [2] Therneau TM (2023). survival: A Package for Survival Analysis in R (``survreg``).

    Examples
    --------
    >>> import survstat
    >>> fit = survstat.survreg(survstat.datasets.load("gbsg2"), time="time", event="cens",
    ...                        covariates=["horTh", "age"], distribution="weibull")
    >>> fit.table.get_column("term").to_list()
    ['(Intercept)', 'horTh[yes]', 'age', 'Log(scale)']
    """
    check_choice("distribution", distribution, SURVREG_DISTRIBUTIONS)
    z_value(conf_level)
    dist = DISTRIBUTIONS[distribution]
    covariates = covariate_list(covariates) if covariates else []
    sd = as_survival_data(data, time=time, event=event, strata=strata, weight=weight, censor=censor)
    sd.require_rows("parametric survival regression")
    if sd.entry is not None:
        raise OptionError("parametric models with delayed entry are not available yet")
    if dist.fixed_scale and sd.strata:
        raise OptionError(
            "the exponential distribution has its scale fixed at 1: it takes no `strata`"
        )
    frame, design = _prepare(sd, covariates, reference, dist.log_time)
    t = frame.get_column(sd.time).cast(pl.Float64).to_numpy()
    codes, keys = _stratum_codes(frame, sd.strata)
    w = (
        frame.get_column(sd.weight).cast(pl.Float64).to_numpy()
        if sd.weight
        else np.ones(frame.height)
    )
    with np.errstate(divide="ignore"):
        y = np.log(t) if dist.log_time else t
    rows = Rows(
        y=y,
        jacobian=y if dist.log_time else np.zeros_like(y),
        event=frame.get_column(sd.event).cast(pl.Int8).to_numpy().astype(bool),
        weight=w,
        stratum=codes,
        n_strata=len(keys),
    )
    x_full = np.ones((frame.height, 1))
    terms: tuple[str, ...] = (INTERCEPT,)
    if design is not None:
        x_full = np.column_stack([x_full, design.matrix])
        terms = (INTERCEPT, *design.terms)
    aliased = aliased_columns(x_full, w)
    used = ~aliased
    x, a = standardise(x_full[:, used], w)
    null = maximise(start(rows, dist), x[:, :1], rows, dist)
    k = 0 if dist.fixed_scale else len(keys)
    theta0 = np.concatenate([null.theta[:1], np.zeros(x.shape[1] - 1), null.theta[1:]])
    fit = maximise(theta0, x, rows, dist) if x.shape[1] > 1 else null
    q = x.shape[1]
    transform = np.eye(q + k)
    transform[:q, :q] = a
    try:
        var_s = np.linalg.inv(fit.at.information)
    except np.linalg.LinAlgError:
        var_s = np.full_like(fit.at.information, np.nan)
    theta = transform @ fit.theta
    cov = transform @ var_s @ transform.T
    converged = fit.converged and null.converged
    status = ["aliased" if al else "ok" if converged else "not converged" for al in aliased]
    status += ["ok" if converged else "not converged"] * k
    warn_status(terms, status, converged, distribution)
    beta = np.zeros(len(terms))
    beta[used] = theta[:q]
    log_scale = theta[q:] if k else np.zeros(1)
    labels = [_stratum_label(sd.strata, key) for key in keys]
    scale_terms = [f"Log(scale):{lab}" if sd.strata else "Log(scale)" for lab in labels]
    table = coefficient_table(
        (*terms, *scale_terms[:k]),
        np.concatenate([beta, theta[q:]]),
        expand_covariance(cov, used, k),
        status,
        conf_level,
        dist.log_time,
        len(terms),
    )
    # no standard error for the exponential's fixed scale, nor without convergence
    se_scale = np.sqrt(np.diag(cov)[q:]) if k and converged else np.full(len(log_scale), np.nan)
    scales = pl.DataFrame(
        {
            "stratum": labels if k else [""],
            "scale": np.exp(log_scale),
            "log_scale": log_scale,
            "std_error": pl.Series(se_scale, dtype=pl.Float64, nan_to_null=True),
        }
    )
    return SurvregResult(
        distribution=distribution,
        table=table,
        scales=scales,
        covariance=cov,
        loglik=(null.at.loglik, fit.at.loglik),
        df=q + k,
        n=frame.height,
        n_event=int(rows.event.sum()),
        iterations=fit.iterations,
        converged=converged,
        conf_level=conf_level,
        basis=SurvregBasis(
            design=design if design is not None else Design(np.zeros((0, 0)), ()),
            strata=sd.strata,
            stratum_keys=tuple(tuple(key) for key in keys),
            beta=beta,
            log_scale=log_scale,
            covariance=cov,
            used=used,
            time=t,
            event=rows.event,
            weight=w,
            x=x_full,
        ),
    )
