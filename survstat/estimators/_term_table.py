"""What a fitted Cox or Fine-Gray model reports per term: a status saying why a row is (partly)
null, R's warnings naming the terms, and the hazard-ratio table.

Only rows with status ``ok`` carry a standard error, hazard ratio, interval and Wald p-value
(normal approximation, as R ``summary.coxph`` and ``summary.crr``); the others are null, never
NaN or inf, and the status gives the reason (see :data:`STATUSES`).
"""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
from scipy import stats

from survstat.errors import SurvstatWarning
from survstat.estimators._confint import z_value

#: Values of the ``status`` column of a model's term table: why a row is (partly) null.
STATUSES = ("ok", "aliased", "infinite", "not converged")

TERM_COLUMNS = (
    "term",
    "coef",
    "std_error",
    "hazard_ratio",
    "conf_low",
    "conf_high",
    "z",
    "p_value",
    "status",
)


def term_status(aliased: np.ndarray, infinite: np.ndarray, converged: bool) -> list[str]:
    """One status per term (see :data:`STATUSES`).

    With a monotone likelihood the iterations cannot converge in the diverging direction; the
    other terms' estimates are then their limits (as R reports them), so they stay ``ok``.
    """
    stalled = not converged and not infinite.any()
    out = []
    for a, i in zip(aliased, infinite, strict=True):
        out.append("aliased" if a else "infinite" if i else "not converged" if stalled else "ok")
    return out


def warn_status(model: str, terms: tuple[str, ...], status: list[str], converged: bool) -> None:
    """One warning per kind of problem, naming the terms (as R's warnings do)."""
    named = {s: [t for t, st in zip(terms, status, strict=True) if st == s] for s in STATUSES}
    if named["aliased"]:
        listed = ", ".join(f"`{t}`" for t in named["aliased"])
        warnings.warn(
            f"{model}: {len(named['aliased'])} coefficient(s) not defined because of "
            f"singularities (aliased: {listed} is a linear combination of earlier terms, "
            "constant within the risk sets (e.g. within every stratum), or a level with no "
            "rows); their rows are null",
            SurvstatWarning,
            stacklevel=3,
        )
    if named["infinite"]:
        listed = ", ".join(f"`{t}`" for t in named["infinite"])
        warnings.warn(
            f"{model}: the likelihood converged before {listed}; the coefficient may be "
            "infinite (monotone likelihood, e.g. no events in one group): no hazard ratio, "
            "interval or p-value is reported for it",
            SurvstatWarning,
            stacklevel=3,
        )
    if not converged:
        why = (
            "the infinite coefficients diverge"
            if named["infinite"]
            else "estimates are not reported with intervals or p-values"
        )
        warnings.warn(
            f"{model}: ran out of iterations and did not converge; {why}",
            SurvstatWarning,
            stacklevel=3,
        )


def term_table(
    terms: tuple[str, ...],
    beta: np.ndarray,
    cov: np.ndarray,
    status: list[str],
    conf_level: float,
) -> pl.DataFrame:
    """``term, coef, std_error, hazard_ratio, conf_low, conf_high, z, p_value, status``.

    Only rows with status ``ok`` carry a standard error, hazard ratio, interval and Wald
    p-value; ``aliased`` rows are null throughout; ``infinite`` and ``not converged`` rows keep
    the coefficient where the iterations stopped (R's ``coef()``), which is not an estimate.
    A limit that is not finite (a hazard ratio beyond the largest double) is null.
    """
    z = z_value(conf_level)
    ok = np.array([s == "ok" for s in status], dtype=bool)
    aliased = np.array([s == "aliased" for s in status], dtype=bool)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        se = np.sqrt(np.where(ok, np.diag(cov), np.nan))
        zval = beta / se
        columns = {
            "coef": np.where(aliased, np.nan, beta),
            "std_error": se,
            "hazard_ratio": np.exp(np.where(ok, beta, np.nan)),
            "conf_low": np.exp(beta - z * se),
            "conf_high": np.exp(beta + z * se),
            "z": zval,
            "p_value": 2.0 * stats.norm.sf(np.abs(zval)),
        }
    body: dict[str, list[str] | pl.Series] = {"term": list(terms)}
    for name, values in columns.items():
        values = np.where(np.isfinite(values), values, np.nan)
        body[name] = pl.Series(name, values, dtype=pl.Float64, nan_to_null=True)
    body["status"] = list(status)
    return pl.DataFrame(body, schema_overrides={"term": pl.String, "status": pl.String})


def terms_with(terms: tuple[str, ...], status: list[str], which: str) -> tuple[str, ...]:
    """The terms whose status is ``which``."""
    return tuple(t for t, s in zip(terms, status, strict=True) if s == which)
