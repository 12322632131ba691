"""The error distributions of accelerated failure time models, as R ``survreg`` has them.

A model says ``y = x'beta + sigma W`` with ``y = log(T)`` (``exponential``, ``weibull``,
``lognormal``, ``loglogistic``) or ``y = T`` (``gaussian``, ``logistic``), and ``W`` standard
extreme value (minimum), logistic or normal (R ``survreg.distributions``; the exponential is the
Weibull with sigma fixed at 1). Each distribution gives, at ``z = (y - x'beta) / sigma``, the
log density and log survival of ``W`` with their first two derivatives in ``z`` (what the
Newton-Raphson fit needs), its survival function and quantiles.

References: Kalbfleisch & Prentice (2002), *The Statistical Analysis of Failure Time Data*,
sec. 2.2-2.3 and 3.9; R survival 3.5 ``R/survreg.distributions.R`` and ``src/survreg6.c``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special

#: log(f), d/dz, d2/dz2 for events; log(S), d/dz, d2/dz2 for censored rows.
Derivatives = tuple[np.ndarray, np.ndarray, np.ndarray]


def _extreme_density(z: np.ndarray) -> Derivatives:
    ez = np.exp(z)
    return z - ez, 1.0 - ez, -ez


def _extreme_survival(z: np.ndarray) -> Derivatives:
    ez = np.exp(z)
    return -ez, -ez, -ez


def _logistic_density(z: np.ndarray) -> Derivatives:
    f = special.expit(z)
    return z - 2.0 * np.logaddexp(0.0, z), 1.0 - 2.0 * f, -2.0 * f * (1.0 - f)


def _logistic_survival(z: np.ndarray) -> Derivatives:
    f = special.expit(z)
    return -np.logaddexp(0.0, z), -f, -f * (1.0 - f)


_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _normal_density(z: np.ndarray) -> Derivatives:
    return -0.5 * z * z - _LOG_SQRT_2PI, -z, -np.ones_like(z)


def _normal_survival(z: np.ndarray) -> Derivatives:
    log_s = special.log_ndtr(-z)
    hazard = np.exp(-0.5 * z * z - _LOG_SQRT_2PI - log_s)
    return log_s, -hazard, -hazard * (hazard - z)


@dataclass(frozen=True, slots=True)
class Distribution:
    """One error distribution of an AFT model."""

    name: str
    log_time: bool  # y = log(T)
    fixed_scale: bool  # sigma fixed at 1 (exponential)
    density: Callable[[np.ndarray], Derivatives]
    survival_terms: Callable[[np.ndarray], Derivatives]
    survival: Callable[[np.ndarray], np.ndarray]  # S of W
    quantile: Callable[[np.ndarray], np.ndarray]  # the p-quantile of W (lower tail)
    spread: float  # standard deviation of W (for starting values)


def _extreme_quantile(p: np.ndarray) -> np.ndarray:
    return np.log(-np.log1p(-p))


_EXTREME = dict(
    density=_extreme_density,
    survival_terms=_extreme_survival,
    survival=lambda w: np.exp(-np.exp(w)),
    quantile=_extreme_quantile,
    spread=math.pi / math.sqrt(6.0),
)
_LOGISTIC = dict(
    density=_logistic_density,
    survival_terms=_logistic_survival,
    survival=lambda w: special.expit(-w),
    quantile=special.logit,
    spread=math.pi / math.sqrt(3.0),
)
_NORMAL = dict(
    density=_normal_density,
    survival_terms=_normal_survival,
    survival=lambda w: special.ndtr(-w),
    quantile=special.ndtri,
    spread=1.0,
)

#: R ``survreg``'s ``dist`` names -> the distribution.
DISTRIBUTIONS: dict[str, Distribution] = {
    "exponential": Distribution("exponential", True, True, **_EXTREME),  # type: ignore[arg-type]
    "weibull": Distribution("weibull", True, False, **_EXTREME),  # type: ignore[arg-type]
    "lognormal": Distribution("lognormal", True, False, **_NORMAL),  # type: ignore[arg-type]
    "loglogistic": Distribution("loglogistic", True, False, **_LOGISTIC),  # type: ignore[arg-type]
    "gaussian": Distribution("gaussian", False, False, **_NORMAL),  # type: ignore[arg-type]
    "logistic": Distribution("logistic", False, False, **_LOGISTIC),  # type: ignore[arg-type]
}


def mean_time(name: str, lp: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """The mean survival time E[T] at linear predictor ``lp`` and scale ``sigma``; NaN where it
    is infinite (a log-logistic with sigma >= 1).

    exponential and Weibull: exp(lp) Gamma(1 + sigma); log-normal: exp(lp + sigma^2 / 2);
    log-logistic: exp(lp) pi sigma / sin(pi sigma) for sigma < 1; gaussian and logistic: lp
    (Kalbfleisch & Prentice 2002, sec. 2.2).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if name in ("exponential", "weibull"):
            return np.exp(lp) * special.gamma(1.0 + sigma)
        if name == "lognormal":
            return np.exp(lp + 0.5 * sigma * sigma)
        if name == "loglogistic":
            finite = sigma < 1.0
            return np.where(finite, np.exp(lp) * np.pi * sigma / np.sin(np.pi * sigma), np.nan)
        return np.asarray(lp, dtype=float)
