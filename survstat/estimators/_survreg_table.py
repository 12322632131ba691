"""The coefficient table of a parametric survival fit, its covariance over every term, and
the warnings R gives (aliased terms, no convergence)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from survstat.errors import SurvstatWarning
from survstat.estimators._confint import z_value


def expand_covariance(cov: np.ndarray, used: np.ndarray, k: int) -> np.ndarray:
    """The covariance over every term (aliased rows and columns NaN) and the log scales."""
    mask = np.concatenate([used, np.ones(k, dtype=bool)])
    full = np.full((len(mask), len(mask)), np.nan)
    full[np.ix_(mask, mask)] = cov
    return full


def warn_status(terms: tuple[str, ...], status: list[str], converged: bool, dist: str) -> None:
    aliased = [t for t, s in zip(terms, status, strict=False) if s == "aliased"]
    if aliased:
        listed = ", ".join(f"`{t}`" for t in aliased)
        warnings.warn(
            f"parametric model ({dist}): {len(aliased)} coefficient(s) not defined because of "
            f"singularities ({listed}: a linear combination of earlier terms); their rows are "
            "null",
            SurvstatWarning,
            stacklevel=3,
        )
    if not converged:
        warnings.warn(
            f"parametric model ({dist}): the iterations did not converge; the estimates are "
            "the last iteration's and carry no inference (`converged` is false)",
            SurvstatWarning,
            stacklevel=3,
        )


def coefficient_table(
    terms: tuple[str, ...],
    coef: np.ndarray,
    cov: np.ndarray,
    status: list[str],
    conf_level: float,
    log_time: bool,
    n_coef: int,
) -> pl.DataFrame:
    z = z_value(conf_level)
    ok = np.array([s == "ok" for s in status])
    shown = np.array([s != "aliased" for s in status])
    with np.errstate(invalid="ignore", over="ignore"):
        se = np.where(ok, np.sqrt(np.diag(cov)), np.nan)
        zval = coef / se
        ratio = np.where((np.arange(len(terms)) >= 1) & (np.arange(len(terms)) < n_coef), 1, 0)
        columns = {
            "coef": np.where(shown, coef, np.nan),
            "std_error": se,
            "conf_low": coef - z * se,
            "conf_high": coef + z * se,
            "z": zval,
            "p_value": 2.0 * stats.norm.sf(np.abs(zval)),
            "time_ratio": np.where(shown & (ratio == 1) & log_time, np.exp(coef), np.nan),
        }
    body: dict[str, Any] = {"term": list(terms)}
    for name, values in columns.items():
        values = np.where(np.isfinite(values), values, np.nan)
        body[name] = pl.Series(name, values, dtype=pl.Float64, nan_to_null=True)
    body["status"] = status
    return pl.DataFrame(body, schema_overrides={"term": pl.String, "status": pl.String})
