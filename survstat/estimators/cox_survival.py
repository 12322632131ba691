r"""Survival curves after a Cox fit, and the baseline cumulative hazard (R ``survfit.coxph``,
``basehaz``).

For a covariate profile :math:`x_0` and within each stratum, at each distinct time
:math:`t_k` with weighted events :math:`d_k`, the weighted risk score sum
:math:`R_k = \sum_{t_i \ge t_k} w_i e^{\eta_i}` and :math:`X_k = \sum_{t_i \ge t_k}
w_i e^{\eta_i} x_i`, the hazard increment is Breslow's :math:`d_k / R_k` (also after
``ties="discrete"`` or ``"exact"``, as ``survfit.coxph`` after ``coxph(ties="exact")``), or
with Efron's ties (R's default ``ctype`` for an Efron fit) the mean over the :math:`m_k` tied
deaths,
:math:`h_k = d_k \frac{1}{m_k}\sum_{j=0}^{m_k-1} 1/(R_k - \frac{j}{m_k} E_k)` with
:math:`E_k` the deaths' risk score sum. The curve is
:math:`\Lambda(t \mid x_0) = e^{\eta_0} \sum_{t_k \le t} h_k` and
:math:`S = \exp(-\Lambda)` (R ``stype = 2``), and the variance of :math:`\Lambda` adds the
variance with the coefficients fixed to that of the coefficients (Tsiatis 1981; Therneau &
Grambsch 2000, sec. 10.2),

.. math:: \operatorname{var}\Lambda(t \mid x_0) = e^{2\eta_0}\Big(\sum_{t_k \le t} v_k +
          D(t)^\top V D(t)\Big), \qquad D(t) = \sum_{t_k \le t} (h_k x_0 - \bar x_k h_k),

with :math:`v_k = d_k / R_k^2` and :math:`\bar x_k = X_k / R_k` (Breslow), or their Efron
averages over the tied deaths, exactly as R's ``agsurv``; :math:`V` is the fit's covariance
(robust when the fit is). The interval is on the log scale by default, as
``survfit.coxph``'s ``conf.type = "log"``. Linear predictors are centred at the covariates'
weighted means, which changes nothing but the rounding. With an entry column (counting-process
data) the sums run over the records at risk at :math:`t_k`, entry :math:`< t_k \le` time,
as R's ``agsurv``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from survstat._choices import ConfType
from survstat.errors import OptionError
from survstat.estimators._confint import survival_interval
from survstat.estimators.cox import CoxBasis, CoxResult

#: Columns of :attr:`CoxSurvival.table` after the stratum columns.
CURVE_COLUMNS = (
    "time",
    "n_risk",
    "n_event",
    "n_censor",
    "cumhaz",
    "cumhaz_std_error",
    "survival",
    "conf_low",
    "conf_high",
)


@dataclass(frozen=True, slots=True)
class CoxSurvival:
    """Survival curves of covariate profiles after a Cox fit (:func:`cox_survival`).

    ``table``: ``profile`` (0, 1, ... in the order given), the stratum columns, then
    :data:`CURVE_COLUMNS`, one row per profile, stratum and distinct time of the stratum (as R
    ``survfit.coxph``): ``n_risk``, ``n_event``, ``n_censor`` weighted; ``cumhaz`` and
    ``survival`` for the profile; ``cumhaz_std_error`` the standard error of the cumulative
    hazard (R's ``std.err``, that of log S); the pointwise interval of S. ``profiles`` holds
    the profiles' term values (``profile`` then one column per term).
    """

    table: pl.DataFrame
    profiles: pl.DataFrame
    conf_type: ConfType
    conf_level: float


def _profiles(
    basis: CoxBasis, profiles: Sequence[Mapping[str, float]] | Mapping[str, float] | None
) -> np.ndarray:
    """The profiles as rows of term values; None: one profile at R's ``means`` (the weighted
    means of the terms, 0 for indicators: R's default curve)."""
    if profiles is None:
        return basis.means[None, :]
    given = [profiles] if isinstance(profiles, Mapping) else list(profiles)
    if not given:
        raise OptionError("`profiles` is empty: give at least one profile, or None for the means")
    rows = []
    for i, profile in enumerate(given):
        profile = _as_terms(basis, profile, i)
        unknown = sorted(set(profile) - set(basis.terms))
        missing = [t for t in basis.terms if t not in profile]
        if unknown or missing:
            raise OptionError(
                f"profile {i} must give a value for each model term "
                f"({', '.join(basis.terms)}) or covariate; "
                + (
                    f"unknown: {', '.join(unknown)}"
                    if unknown
                    else f"missing: {', '.join(missing)}"
                )
            )
        try:
            values = np.array([float(profile[t]) for t in basis.terms])  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise OptionError(f"profile {i} has a value that is not a number: {profile}") from None
        if not np.all(np.isfinite(values)):
            raise OptionError(f"profile {i} has a value that is not a finite number: {profile}")
        rows.append(values)
    return np.vstack(rows)


def _as_terms(basis: CoxBasis, profile: Mapping[str, object], i: int) -> dict[str, object]:
    """A profile keyed by covariates (``{"horTh": "yes", "age": 50}``, as R's ``newdata``)
    as one keyed by terms; keys that are terms stay as they are. A categorical covariate's
    value must be its reference level or a level with a term."""
    references = dict(basis.references)
    out: dict[str, object] = {}
    for key, value in profile.items():
        terms = [t for t, (c, _) in zip(basis.terms, basis.source, strict=True) if c == key]
        if key in basis.terms or not terms:
            out[key] = value
        elif key not in references:  # a numeric or boolean covariate is its own term
            out[terms[0]] = value
        else:
            levels = {
                lvl: t for t, (c, lvl) in zip(basis.terms, basis.source, strict=True) if c == key
            }
            text = str(value)
            if text != references[key] and text not in levels:
                known = ", ".join([references[key], *map(str, levels)])
                raise OptionError(
                    f"profile {i}: `{key}` = {value!r} is not a level of the model ({known})"
                )
            out.update({t: float(text == lvl) for lvl, t in levels.items()})
    return out


def _stratum_curves(
    time: np.ndarray,
    event: np.ndarray,
    w: np.ndarray,
    x: np.ndarray,
    risk: np.ndarray,
    efron: bool,
    entry: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """R ``agsurv`` for one stratum: per distinct time the weighted counts, the hazard
    increment, its fixed-coefficient variance increment and the hazard-weighted mean
    covariates; with entry times, a record is at risk at t when entry < t <= time."""
    times, inv = np.unique(time, return_inverse=True)
    k = len(times)
    p = x.shape[1]
    # with entry times: the last time at or before each record's entry (-1: none), from
    # which on back to the first time the record is not at risk
    left = None if entry is None else np.searchsorted(times, entry, side="right") - 1

    def by_time(values: np.ndarray) -> np.ndarray:
        return np.bincount(inv, weights=values, minlength=k)

    def from_later(values: np.ndarray) -> np.ndarray:  # sums over times >= t
        return np.cumsum(values[::-1], axis=0)[::-1]

    def at_risk(values: np.ndarray) -> np.ndarray:  # sums over the records at risk at t
        total = from_later(by_time(values))
        if left is None:
            return total
        out = left >= 0
        return total - from_later(np.bincount(left[out], weights=values[out], minlength=k))

    wrisk = w * risk
    n_event = by_time(w * event)
    n_censor = by_time(w * ~event)
    n_risk = at_risk(w)
    r_sum = at_risk(wrisk)
    x_sum = np.column_stack([at_risk(wrisk * x[:, j]) for j in range(p)]).reshape(k, p)
    if not efron:
        with np.errstate(divide="ignore", invalid="ignore"):
            hazard = np.where(n_event > 0, n_event / r_sum, 0.0)
            var_inc = np.where(n_event > 0, n_event / r_sum**2, 0.0)
            xbar = np.where(n_event[:, None] > 0, x_sum / r_sum[:, None], 0.0) * hazard[:, None]
        return {
            "time": times,
            "n_risk": n_risk,
            "n_event": n_event,
            "n_censor": n_censor,
            "hazard": hazard,
            "var_inc": var_inc,
            "xbar": xbar,
        }
    deaths = np.bincount(inv, weights=event.astype(float), minlength=k).astype(np.int64)
    e_sum = by_time(wrisk * event)
    xe_sum = np.column_stack([by_time(wrisk * event * x[:, j]) for j in range(p)]).reshape(k, p)
    # one row per tied death: its time and its place j among the m deaths of that time
    at = np.repeat(np.arange(k), deaths)
    start = np.repeat(np.cumsum(deaths) - deaths, deaths)
    j = np.arange(len(at)) - start
    m = deaths[at].astype(float)
    frac = j / m
    temp = 1.0 / (r_sum[at] - e_sum[at] * frac)
    sum1 = np.bincount(at, weights=temp / m, minlength=k)
    sum2 = np.bincount(at, weights=temp**2 / m, minlength=k)
    part = (x_sum[at] - xe_sum[at] * frac[:, None]) * (temp**2 / m)[:, None]
    xbar = np.column_stack([np.bincount(at, weights=part[:, c], minlength=k) for c in range(p)])
    xbar = xbar.reshape(k, p)
    return {
        "time": times,
        "n_risk": n_risk,
        "n_event": n_event,
        "n_censor": n_censor,
        "hazard": n_event * sum1,
        "var_inc": n_event * sum2,
        "xbar": n_event[:, None] * xbar,
    }


def cox_survival(
    fit: CoxResult,
    profiles: Sequence[Mapping[str, float]] | Mapping[str, float] | None = None,
    *,
    conf_type: ConfType = "log",
    conf_level: float = 0.95,
) -> CoxSurvival:
    """Survival curves for covariate profiles after a Cox fit (R ``survfit(coxfit, newdata)``).

    Parameters
    ----------
    fit
        A fit of :func:`survstat.cox`.
    profiles
        One profile or a list of them, each a mapping of every covariate to its value, as
        R's ``newdata`` (``{"horTh": "yes", "age": 50}``; a level the model has no term for is
        the reference level), or of every model term as the fit's ``table`` names them
        (``{"horTh[yes]": 1, "age": 50}``); None for
        one curve at R's ``means`` (each term's weighted mean, 0 for the indicators of
        categorical and boolean covariates and for columns of -1, 0 and 1 only: R's default
        curve).
    conf_type
        Interval transform of S: ``log`` (default, as ``survfit.coxph``), ``log-log``,
        ``plain``, ``logit`` or ``arcsine``.
    conf_level
        Confidence level.

    Returns
    -------
    CoxSurvival
        One row per profile, stratum and distinct time.

    Raises
    ------
    OptionError
        A profile that misses a term, names an unknown one or holds a value that is not
        finite; a fit without its basis.

    Examples
    --------
    >>> import survstat
    >>> from survstat.estimators.cox_survival import cox_survival
    >>> fit = survstat.cox(survstat.datasets.load("gbsg2"), time="time", event="cens",
    ...                    covariates=["horTh", "age"])
    >>> curve = cox_survival(fit, {"horTh[yes]": 1.0, "age": 50.0})
    >>> round(curve.table.filter(time=1807.0)["survival"].item(), 4)
    0.5761
    """
    basis = _basis(fit)
    x0 = _profiles(basis, profiles)
    means = basis.means
    xc = basis.x - means
    risk = np.exp(xc @ basis.beta)
    risk0 = np.exp((x0 - means) @ basis.beta)
    strata = basis.strata
    if strata.width:
        keys = strata.unique(maintain_order=False).sort(strata.columns)
        codes = (
            strata.with_row_index("__row")
            .join(keys.with_row_index("__s"), on=strata.columns, how="left")
            .sort("__row")
            .get_column("__s")
            .to_numpy()
        )
    else:
        keys, codes = pl.DataFrame(), np.zeros(len(basis.time), dtype=np.int64)
    efron = fit.ties == "efron"
    pieces: list[pl.DataFrame] = []
    for s in range(max(keys.height, 1)):
        rows = codes == s
        curves = _stratum_curves(
            basis.time[rows],
            basis.event[rows],
            basis.weight[rows],
            xc[rows],
            risk[rows],
            efron,
            None if basis.entry is None else basis.entry[rows],
        )
        cum_hazard = np.cumsum(curves["hazard"])
        cum_var = np.cumsum(curves["var_inc"])
        for i, (profile, r0) in enumerate(zip(x0 - means, risk0, strict=True)):
            d = np.cumsum(np.outer(curves["hazard"], profile) - curves["xbar"], axis=0)
            var = (cum_var + np.einsum("ij,jk,ik->i", d, fit.covariance, d)) * r0**2
            cumhaz = cum_hazard * r0
            se = np.sqrt(np.maximum(var, 0.0))
            surv = np.exp(-cumhaz)
            low, high = survival_interval(surv, se, conf_type, conf_level)
            piece = pl.DataFrame(
                {
                    "profile": np.full(len(surv), i, dtype=np.int64),
                    "time": curves["time"],
                    "n_risk": curves["n_risk"],
                    "n_event": curves["n_event"],
                    "n_censor": curves["n_censor"],
                    "cumhaz": cumhaz,
                    "cumhaz_std_error": se,
                    "survival": surv,
                    "conf_low": low,
                    "conf_high": high,
                }
            ).fill_nan(None)
            if keys.width:
                stratum = keys.slice(s, 1)
                piece = piece.select(
                    "profile",
                    *[pl.lit(stratum[c][0]).alias(c) for c in keys.columns],
                    pl.all().exclude("profile"),
                )
            pieces.append(piece)
    table = pl.concat(pieces).sort("profile", *keys.columns, "time", maintain_order=True)
    profile_table = pl.DataFrame(
        {"profile": np.arange(len(x0)), **{t: x0[:, j] for j, t in enumerate(basis.terms)}}
    )
    return CoxSurvival(table, profile_table, conf_type, conf_level)


def baseline_hazard(fit: CoxResult, *, centered: bool = True) -> pl.DataFrame:
    """The baseline cumulative hazard (R ``basehaz(fit, centered=)``).

    Parameters
    ----------
    fit
        A fit of :func:`survstat.cox`.
    centered
        True (R's default): at R's ``means`` (weighted means, 0 for indicator terms); False: at
        every term 0.

    Returns
    -------
    polars.DataFrame
        The stratum columns, ``time`` and ``cumhaz``, one row per stratum and distinct time.
    """
    basis = _basis(fit)
    profile = None if centered else dict.fromkeys(basis.terms, 0.0)
    table = cox_survival(fit, profile).table
    strata = [c for c in table.columns if c not in ("profile", *CURVE_COLUMNS)]
    return table.select(*strata, "time", "cumhaz")


def _basis(fit: CoxResult) -> CoxBasis:
    fit.require_rows("survival curves")
    if fit.basis is None:
        raise OptionError(
            "this Cox fit keeps no data for survival curves; fit it with survstat.cox"
        )
    return fit.basis


__all__ = ["CURVE_COLUMNS", "CoxSurvival", "baseline_hazard", "cox_survival"]
