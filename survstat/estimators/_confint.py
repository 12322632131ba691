"""Pointwise confidence intervals for a survival probability.

The transforms are those of R ``survival:::survfit_confint`` (survival 3.5), including its
conventions at the boundaries: a ``log-log`` (and ``logit``/``arcsine``) interval is undefined
where S = 1 or S = 0, a ``log`` interval is undefined at S = 0, and upper limits of ``log`` and
``plain`` intervals are capped at 1. Undefined limits are NaN here and null in tables; so is
any limit that comes out not finite, and every limit is clipped to [0, 1] (a rounding excursion
such as 1.0000000000000002 is 1).

References
----------
Kalbfleisch & Prentice (2002), *The Statistical Analysis of Failure Time Data*, sec. 4.3;
Klein & Moeschberger (2003), *Survival Analysis*, sec. 4.3 (eqs. 4.3.1-4.3.3);
Borgan & Liestøl (1990), Scand. J. Statist. 17:35-41 (arcsine-square-root transform).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import stats

from survstat._choices import ConfType
from survstat.errors import check_choice, check_probability

Interval = tuple[np.ndarray, np.ndarray]


def z_value(conf_level: float) -> float:
    """Two-sided standard normal quantile for ``conf_level``."""
    level = check_probability("conf_level", conf_level)
    return float(stats.norm.isf((1.0 - level) / 2.0))


def _plain(s: np.ndarray, se_log: np.ndarray, z: float) -> Interval:
    half = z * se_log * s
    return np.maximum(s - half, 0.0), np.minimum(s + half, 1.0)


def _log(s: np.ndarray, se_log: np.ndarray, z: float) -> Interval:
    xx = np.where(s == 0, np.nan, s)
    lx = np.log(xx)
    return np.exp(lx - z * se_log), np.minimum(np.exp(lx + z * se_log), 1.0)


def _log_log(s: np.ndarray, se_log: np.ndarray, z: float) -> Interval:
    # exp(-exp(log(-log S) -+ c)) written as S ** exp(-+c): one log and three exps per value,
    # computed in place because these arrays are as long as the risk table
    lx = np.log(s)
    lx[(s == 0) | (s == 1)] = np.nan
    spread = np.multiply(se_log, z)
    np.divide(spread, lx, out=spread)
    np.exp(spread, out=spread)
    lower = np.divide(lx, spread)
    np.multiply(lx, spread, out=lx)
    return np.exp(lower, out=lower), np.exp(lx, out=lx)


def _logit(s: np.ndarray, se_log: np.ndarray, z: float) -> Interval:
    xx = np.where(s == 0, np.nan, s)
    shift = z * se_log * (1.0 + xx / (1.0 - xx))
    lo = np.log(s / (1.0 - s))
    return 1.0 - 1.0 / (1.0 + np.exp(lo - shift)), 1.0 - 1.0 / (1.0 + np.exp(lo + shift))


def _arcsine(s: np.ndarray, se_log: np.ndarray, z: float) -> Interval:
    xx = np.where(s == 0, np.nan, s)
    shift = 0.5 * z * se_log * np.sqrt(xx / (1.0 - xx))
    a = np.arcsin(np.sqrt(xx))
    return np.sin(np.maximum(0.0, a - shift)) ** 2, np.sin(np.minimum(np.pi / 2, a + shift)) ** 2


#: Transforms by name (R's ``conf.type``; ``arcsine`` is R's ``arcsin``).
CONF_TYPES: dict[str, Callable[[np.ndarray, np.ndarray, float], Interval]] = {
    "log-log": _log_log,
    "log": _log,
    "plain": _plain,
    "logit": _logit,
    "arcsine": _arcsine,
}


def survival_interval(
    surv: np.ndarray, se_log: np.ndarray, conf_type: ConfType, conf_level: float
) -> Interval:
    """Pointwise interval for S(t) from S and the standard error of log S(t).

    Parameters
    ----------
    surv
        Survival probabilities.
    se_log
        Standard error of ``log(surv)`` (Greenwood: ``sqrt(sum d / (n (n - d)))``).
    conf_type
        One of :data:`CONF_TYPES`.
    conf_level
        Confidence level in (0, 1).
    """
    method = CONF_TYPES[check_choice("conf_type", conf_type, CONF_TYPES)]
    z = z_value(conf_level)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lower, upper = method(np.asarray(surv, float), np.asarray(se_log, float), z)
    return _probability(lower), _probability(upper)


def _probability(limit: np.ndarray) -> np.ndarray:
    """``limit`` clipped to [0, 1], NaN where it is not finite (undefined)."""
    return np.where(np.isfinite(limit), np.clip(limit, 0.0, 1.0), np.nan)
