"""Predictions after a parametric survival fit (:func:`survstat.estimators.survreg.survreg`).

For a profile with design row x (intercept first) in stratum k, the linear predictor is
``lp = x'beta`` and ``y = lp + sigma_k W``. Then

* the p-quantile of T is ``q_p = h(lp + sigma_k w_p)`` with w_p the p-quantile of W and h = exp
  on log-time distributions (identity otherwise); its standard error is the delta method on
  (beta, log sigma_k): ``se(y_p) = sqrt(g' V g)`` with ``g = (x, sigma_k w_p)``, times q_p on the
  time scale, as R ``predict(fit, type = "quantile", p = , se.fit = TRUE)``; the interval is
  h(y_p -+ z se(y_p)) (on the log scale for log-time distributions, so it stays positive);
* the survival probability at t is ``S(t) = S_W(u)`` with ``u = (h^-1(t) - lp) / sigma_k``, and
  its interval S_W(u -+ z se(u)), ``se(u)`` by the delta method with gradient ``(-x / sigma_k,
  -u)`` (the interval of the linear predictor carried through the survival function, so it
  stays in [0, 1]);
* the restricted mean survival time up to tau is the integral of S(t) over [0, tau] (adaptive
  quadrature, ``scipy.integrate.quad``, on pieces split at quantiles of T), and the mean E[T]
  is in closed form where it is finite (:func:`survstat.estimators._survreg_dist.mean_time`).

References: Kalbfleisch & Prentice (2002), sec. 3.9; Collett (2015), *Modelling Survival Data
in Medical Research*, 3rd ed., sec. 6.9; R survival 3.5 ``predict.survreg``.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from scipy import integrate, stats

from survstat.errors import ColumnNotFoundError, EstimationError, InvalidValueError, OptionError
from survstat.estimators._confint import z_value
from survstat.estimators._survreg_dist import DISTRIBUTIONS, Distribution, mean_time

if TYPE_CHECKING:
    from survstat.estimators.survreg import SurvregResult


def _profile_frame(profiles: Any) -> pl.DataFrame:
    if isinstance(profiles, pl.DataFrame):
        return profiles
    if isinstance(profiles, Mapping):
        profiles = [profiles]
    rows = [dict(p) for p in profiles]
    if not rows:
        raise OptionError("give at least one profile")
    return pl.DataFrame(rows)


def design_rows(fit: SurvregResult, profiles: Any) -> tuple[np.ndarray, np.ndarray]:
    """Each profile's design row over the non-aliased terms (intercept first) and stratum.

    Parameters
    ----------
    fit
        The fitted model.
    profiles
        A polars DataFrame or mapping(s) from covariate (and stratum column) to value.

    Returns
    -------
    tuple of numpy.ndarray
        The design rows and each row's stratum index.
    """
    basis = fit.basis
    frame = _profile_frame(profiles)
    needed = sorted({col for col, _ in basis.design.source} | set(basis.strata))
    for col in needed:
        if col not in frame.columns:
            raise ColumnNotFoundError(col, frame.columns, role="profile", where="the profiles")
    x = np.ones((frame.height, len(basis.beta)))
    levels = {col: ref for col, ref in basis.design.references}
    for j, (col, level) in enumerate(basis.design.source, start=1):
        series = frame.get_column(col)
        if level is None:
            x[:, j] = series.cast(pl.Float64).to_numpy()
            continue
        values = series.cast(pl.String).to_list()
        known = {lvl for c, lvl in basis.design.source if c == col and lvl is not None}
        known.add(levels[col])
        unknown = [v for v in values if v not in known]
        if unknown:
            raise InvalidValueError(
                f"`{col}` (profile) must be a level the model was fitted on ({sorted(known)}); "
                f"found {len(unknown)} other values (first: {unknown[0]!r})"
            )
        x[:, j] = [float(v == level) for v in values]
    if not np.isfinite(x).all():
        raise InvalidValueError("profile covariates must be finite numbers")
    stratum = np.zeros(frame.height, dtype=np.int64)
    if basis.strata:
        index = {key: i for i, key in enumerate(basis.stratum_keys)}
        keys = frame.select(basis.strata).rows()
        for r, key in enumerate(keys):
            if key not in index:
                named = ", ".join(f"{c}={v}" for c, v in zip(basis.strata, key, strict=True))
                raise InvalidValueError(f"profile {r} is in no stratum of the fit ({named})")
            stratum[r] = index[key]
    return x[:, basis.used], stratum


def _gradients(
    fit: SurvregResult, x: np.ndarray, stratum: np.ndarray, d_log_scale: np.ndarray
) -> np.ndarray:
    """Rows of the gradient over (used beta, log scales): x, and d_log_scale in the row's
    stratum's column."""
    k = len(fit.basis.covariance) - x.shape[1]
    grad = np.zeros((len(x), x.shape[1] + k))
    grad[:, : x.shape[1]] = x
    if k:
        grad[np.arange(len(x)), x.shape[1] + stratum] = d_log_scale
    return grad


def _variance(fit: SurvregResult, grad: np.ndarray) -> np.ndarray:
    return np.einsum("ij,jk,ik->i", grad, fit.basis.covariance, grad)


def _require_converged(fit: SurvregResult) -> None:
    if not fit.converged:
        raise EstimationError(
            f"the {fit.distribution} model did not converge: it gives no predictions"
        )


def predict_quantiles(
    fit: SurvregResult,
    profiles: Any,
    p: float | Sequence[float] = 0.5,
    *,
    conf_level: float | None = None,
) -> pl.DataFrame:
    """Quantiles of the survival time per profile (R ``predict(type = "quantile")``).

    Parameters
    ----------
    fit
        The fitted model.
    profiles
        A polars DataFrame, or mapping(s) from each covariate (and stratum column) to a value.
    p
        Probabilities (0.5: the median).
    conf_level
        Level of the intervals (default: the fit's).

    Returns
    -------
    polars.DataFrame
        ``profile, p, lp, quantile, std_error, conf_low, conf_high`` (``profile`` the
        profile's position; ``lp`` the linear predictor; ``std_error`` on the time scale, as
        R's ``se.fit``).
    """
    _require_converged(fit)
    z = z_value(fit.conf_level if conf_level is None else conf_level)
    probs = np.atleast_1d(np.asarray(p, dtype=float))
    if not ((probs > 0) & (probs < 1)).all():
        raise InvalidValueError(f"`p` must lie in (0, 1); found {probs.tolist()}")
    dist = DISTRIBUTIONS[fit.distribution]
    x, stratum = design_rows(fit, profiles)
    beta = fit.basis.beta[fit.basis.used]
    sigma = np.exp(fit.basis.log_scale)[stratum]
    lp = x @ beta
    parts = []
    for prob in probs:
        w = float(dist.quantile(np.array([prob]))[0])
        y = lp + sigma * w
        se = np.sqrt(_variance(fit, _gradients(fit, x, stratum, sigma * w)))
        low, high = y - z * se, y + z * se
        if dist.log_time:
            y, low, high, se = np.exp(y), np.exp(low), np.exp(high), se * np.exp(y)
        parts.append(
            pl.DataFrame(
                {
                    "profile": np.arange(len(x)),
                    "p": np.full(len(x), prob),
                    "lp": lp,
                    "quantile": y,
                    "std_error": se,
                    "conf_low": low,
                    "conf_high": high,
                }
            )
        )
    return pl.concat(parts).sort("profile", "p", maintain_order=True)


def _survival_at(time: float, dist: Distribution, lp: float, sigma: float) -> float:
    if dist.log_time and time <= 0:
        return 1.0
    y = np.log(time) if dist.log_time else time
    return float(dist.survival(np.array([(y - lp) / sigma]))[0])


#: Probabilities whose quantiles split the integral of S(t): where S changes, so that the
#: adaptive quadrature sees it however long the horizon.
_BREAKS = np.array(
    [1e-9, 1e-6, 1e-3, 0.05, 0.25, 0.5, 0.75, 0.95, 0.999, 1 - 1e-6, 1 - 1e-9, 1 - 1e-12, 1 - 1e-14]
)


def _restricted_mean(dist: Distribution, lp: float, sigma: float, tau: float) -> float:
    """The integral of S(t) over [0, tau], split at quantiles of T (adaptive quadrature on
    each piece)."""
    y = lp + sigma * dist.quantile(_BREAKS)
    with np.errstate(over="ignore"):
        cuts = np.exp(y) if dist.log_time else y
    edges = np.unique(np.concatenate([[0.0], cuts[(cuts > 0) & (cuts < tau)], [tau]]))
    total = 0.0
    with warnings.catch_warnings():
        # far in a tail the integrand is at rounding level: quad's best is all there is
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        for a, b in itertools.pairwise(edges):
            total += integrate.quad(
                _survival_at, a, b, args=(dist, lp, sigma), limit=200, epsabs=0.0, epsrel=1e-12
            )[0]
    return total


def predict_survival(
    fit: SurvregResult,
    profiles: Any,
    times: Sequence[float] | np.ndarray,
    *,
    tau: float | None = None,
    conf_level: float | None = None,
) -> pl.DataFrame:
    """Survival probabilities per profile and time, the restricted mean up to ``tau`` and the
    mean.

    Parameters
    ----------
    fit
        The fitted model.
    profiles
        As for :func:`predict_quantiles`.
    times
        Times at which S(t) is evaluated (non-negative; positive... zero gives S = 1).
    tau
        Horizon of the restricted mean (default: the largest time).
    conf_level
        Level of the intervals (default: the fit's).

    Returns
    -------
    polars.DataFrame
        ``profile, time, survival, conf_low, conf_high, rmst, tau, mean``: one row per profile
        and time; ``rmst`` (restricted to ``tau``) and ``mean`` repeat within a profile;
        ``mean`` is null where it is infinite (a log-logistic with scale >= 1).
    """
    _require_converged(fit)
    z = z_value(fit.conf_level if conf_level is None else conf_level)
    t = np.asarray(times, dtype=float)
    if t.ndim != 1 or not len(t) or not np.isfinite(t).all() or (t < 0).any():
        raise InvalidValueError(f"`times` must be finite and non-negative; found {t.tolist()}")
    horizon = float(t.max()) if tau is None else float(tau)
    if not np.isfinite(horizon) or horizon <= 0:
        raise InvalidValueError(f"`tau` must be a positive number; found {tau}")
    dist = DISTRIBUTIONS[fit.distribution]
    x, stratum = design_rows(fit, profiles)
    beta = fit.basis.beta[fit.basis.used]
    sigma = np.exp(fit.basis.log_scale)[stratum]
    lp = x @ beta
    parts = []
    for i in range(len(x)):
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.log(t) if dist.log_time else t
            u = (y - lp[i]) / sigma[i]
        grad = np.zeros((len(t), len(fit.basis.covariance)))
        finite = np.isfinite(u)
        at = np.repeat(x[i : i + 1], len(t), 0) / -sigma[i]
        rows = _gradients(fit, at, np.full(len(t), stratum[i]), -u)
        grad[finite] = rows[finite]
        se = np.sqrt(_variance(fit, grad))
        s = dist.survival(u)
        rmst = _restricted_mean(dist, lp[i], sigma[i], horizon)
        mean = float(mean_time(fit.distribution, lp[i : i + 1], sigma[i : i + 1])[0])
        parts.append(
            pl.DataFrame(
                {
                    "profile": np.full(len(t), i),
                    "time": t,
                    "survival": s,
                    "conf_low": dist.survival(u + z * se),
                    "conf_high": dist.survival(u - z * se),
                    "rmst": np.full(len(t), rmst),
                    "tau": np.full(len(t), horizon),
                    "mean": pl.Series(np.full(len(t), mean), dtype=pl.Float64, nan_to_null=True),
                }
            )
        )
    return pl.concat(parts)


def weibull_hazard_ratios(fit: SurvregResult) -> pl.DataFrame:
    """The Weibull (or exponential) fit in proportional hazards form (R
    ``SurvRegCensCov::ConvertWeibull``).

    Parameters
    ----------
    fit
        A Weibull or exponential fit without strata.

    Returns
    -------
    polars.DataFrame
        ``term, coef, std_error, hazard_ratio, conf_low, conf_high, z, p_value, shape,
        status``: coef = -beta / sigma, the log hazard ratio, its delta-method standard error,
        exp(coef) with the Wald interval on the log scale, and the shape 1 / sigma.
    """
    if fit.distribution not in ("weibull", "exponential"):
        raise OptionError(
            f"hazard ratios are those of a Weibull or exponential model; this one is "
            f"{fit.distribution} (an AFT model: see `time_ratio`)"
        )
    if len(fit.basis.log_scale) > 1:
        raise OptionError(
            "hazard ratios need one shape: with strata each stratum has its own, so the hazards "
            "are not proportional"
        )
    z = z_value(fit.conf_level)
    basis = fit.basis
    terms = fit.table.get_column("term").to_list()[1 : len(basis.beta)]
    sigma = float(np.exp(basis.log_scale[0]))
    q = int(basis.used.sum())
    positions = np.cumsum(basis.used) - 1  # each used term's index in the covariance
    fixed = fit.distribution == "exponential"
    rows: dict[str, list[Any]] = {c: [] for c in ("coef", "std_error")}
    status = []
    for j in range(1, len(basis.beta)):
        if not basis.used[j] or not fit.converged:
            rows["coef"].append(np.nan)
            rows["std_error"].append(np.nan)
            status.append("aliased" if not basis.used[j] else "not converged")
            continue
        grad = np.zeros(len(basis.covariance))
        grad[positions[j]] = -1.0 / sigma
        if not fixed:
            grad[q] = basis.beta[j] / sigma
        rows["coef"].append(-basis.beta[j] / sigma)
        rows["std_error"].append(float(np.sqrt(grad @ basis.covariance @ grad)))
        status.append("ok")
    coef, se = np.array(rows["coef"], dtype=float), np.array(rows["std_error"], dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):
        zval = coef / se
        columns = {
            "coef": coef,
            "std_error": se,
            "hazard_ratio": np.exp(coef),
            "conf_low": np.exp(coef - z * se),
            "conf_high": np.exp(coef + z * se),
            "z": zval,
            "p_value": 2.0 * stats.norm.sf(np.abs(zval)),
            "shape": np.full(len(coef), 1.0 / sigma),
        }
    body: dict[str, Any] = {"term": terms}
    for name, values in columns.items():
        values = np.where(np.isfinite(values), values, np.nan)
        body[name] = pl.Series(name, values, dtype=pl.Float64, nan_to_null=True)
    body["status"] = status
    return pl.DataFrame(body, schema_overrides={"term": pl.String, "status": pl.String})
