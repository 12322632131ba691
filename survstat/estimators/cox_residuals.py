r"""Residuals of a Cox fit, as R ``residuals.coxph`` gives them.

With :math:`\eta_i = x_i^\top\hat\beta`, :math:`\hat\Lambda_0` the fit's cumulative baseline
hazard (Breslow, or Efron's, where a death tied with others is exposed to only its share of
its own time's hazard, as R's ``coxmart``; Breslow's after ``ties="discrete"`` or ``"exact"``,
as R's ``coxmart2`` after ``coxph(ties="exact")``) and :math:`\delta_i` the event indicator:

- ``martingale``: :math:`\delta_i - e^{\eta_i}\hat\Lambda_0(t_i)`;
- ``deviance``: :math:`\operatorname{sign}(m_i)\sqrt{-2\{m_i + \delta_i\log(\delta_i -
  m_i)\}}`;
- ``score``: the per-record score contributions (R ``coxscore2``), one column per term;
- ``dfbeta``: the weighted score residuals times the model-based covariance (the approximate
  change of each coefficient when the record is left out); ``dfbetas``: divided by the
  coefficients' standard errors;
- ``schoenfeld``: one row per event, :math:`x_i - \bar x(t_i)` with :math:`\bar x` the
  risk-weighted mean of the risk set (Efron's average over the tied deaths, R ``coxscho``);
  ``scaledsch``: :math:`d\,r_i V + \hat\beta` with d the number of events and V the
  model-based covariance (Grambsch & Therneau 1994), whose smooth against time shows how a
  coefficient drifts.

Martingale, deviance, score and Schoenfeld residuals are unweighted and ``dfbeta``/``dfbetas``
weighted, R's defaults (``weighted=`` changes that). Rows are the records the fit used
(weight above 0), in input order; Schoenfeld rows are the events by stratum and time.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from survstat._choices import RESIDUAL_TYPES, ResidualType
from survstat.errors import OptionError
from survstat.estimators._exact_ties import EXACT_TIES
from survstat.estimators._partial_likelihood import martingale_residuals, score_residuals
from survstat.estimators.cox import CoxBasis, CoxResult


def _basis(fit: CoxResult) -> CoxBasis:
    fit.require_rows("residuals")
    basis = fit.basis
    if basis is None or basis.layout is None or basis.order is None:
        raise OptionError("this Cox fit keeps no data for residuals; fit it with survstat.cox")
    return basis


def _input_order(values: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Rows of the layout back in input order."""
    out = np.empty_like(values)
    out[order] = values
    return out


def cox_residuals(
    fit: CoxResult, type: ResidualType = "martingale", *, weighted: bool | None = None
) -> pl.DataFrame:
    """Residuals of a Cox fit (R ``residuals(coxfit, type=)``).

    Parameters
    ----------
    fit
        A fit of :func:`survstat.cox`.
    type
        ``martingale`` (default), ``deviance``, ``score``, ``schoenfeld``, ``scaledsch``,
        ``dfbeta`` or ``dfbetas`` (formulas in the module docstring).
    weighted
        Multiply by the case weights; default as R: only ``dfbeta`` and ``dfbetas``.

    Returns
    -------
    polars.DataFrame
        ``row`` (the record's position among those the fit used, in input order) and
        ``residual`` for martingale and deviance; ``row`` and one column per term for score,
        dfbeta and dfbetas; ``time``, the stratum columns and one column per term, one row per
        event ordered by stratum and time, for schoenfeld and scaledsch. A term the fit found
        aliased has null values.

    Raises
    ------
    OptionError
        An unknown type, a fit without its data, or a type other than martingale and deviance
        after ``ties="discrete"`` or ``"exact"`` (as R after ``coxph(ties="exact")``).

    Examples
    --------
    >>> import survstat
    >>> from survstat.estimators.cox_residuals import cox_residuals
    >>> fit = survstat.cox(survstat.datasets.load("gbsg2"), time="time", event="cens",
    ...                    covariates=["horTh", "age"])
    >>> round(cox_residuals(fit)["residual"].sum(), 10)  # martingale residuals sum to 0
    0.0
    """
    if type not in RESIDUAL_TYPES:
        raise OptionError(f"`type` must be one of {', '.join(RESIDUAL_TYPES)}; got {type!r}")
    if fit.ties in EXACT_TIES and type not in ("martingale", "deviance"):
        raise OptionError(
            f'{type} residuals are not available after ties="{fit.ties}", whose score '
            'residuals are not defined (R refuses them after coxph(ties="exact")); martingale '
            "and deviance residuals are"
        )
    basis = _basis(fit)
    lay, order = basis.layout, basis.order
    assert lay is not None  # _basis checked these
    assert order is not None
    assert basis.factor is not None
    assert basis.beta_scaled is not None
    if weighted is None:
        weighted = type in ("dfbeta", "dfbetas")
    w = basis.weight if weighted else np.ones(len(basis.weight))
    rows = np.arange(len(basis.time))
    status = dict(fit.table.select("term", "status").rows())
    aliased = np.array([status.get(t) == "aliased" for t in basis.terms])
    if type in ("martingale", "deviance"):
        m = _input_order(martingale_residuals(basis.beta_scaled, lay, fit.ties), order)
        if type == "deviance":
            d = basis.event.astype(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                inside = m + np.where(d > 0, d * np.log(np.where(d > 0, d - m, 1.0)), 0.0)
            m = np.sign(m) * np.sqrt(np.maximum(-2.0 * inside, 0.0))
        return pl.DataFrame({"row": rows, "residual": m * w})
    if type in ("score", "dfbeta", "dfbetas"):
        u = _input_order(score_residuals(basis.beta_scaled, lay, fit.ties), order)
        u = u / basis.factor  # back to the covariates' own scale
        u = u * w[:, None]
        if type != "score":
            u = u @ fit.naive_covariance
            if type == "dfbetas":
                with np.errstate(divide="ignore", invalid="ignore"):
                    u = u / np.sqrt(np.diag(fit.naive_covariance))
        u[:, aliased] = np.nan
        frame = pl.DataFrame({"row": rows, **{t: u[:, j] for j, t in enumerate(basis.terms)}})
        return frame.fill_nan(None)
    return _schoenfeld(fit, basis, w, aliased, scaled=type == "scaledsch")


def _schoenfeld(
    fit: CoxResult, basis: CoxBasis, w: np.ndarray, aliased: np.ndarray, *, scaled: bool
) -> pl.DataFrame:
    """Schoenfeld residuals (R ``coxscho``), scaled when asked, one row per event."""
    from survstat.estimators._partial_likelihood import row_hazards

    lay, order = basis.layout, basis.order
    assert lay is not None
    assert order is not None
    assert basis.factor is not None
    assert basis.beta_scaled is not None
    pieces = row_hazards(basis.beta_scaled, lay, fit.ties)
    resid = _input_order((lay.x - pieces.death_mean) / basis.factor, order)
    index = basis.event_order()
    strata = basis.strata
    r = resid[index] * w[index][:, None]
    if scaled:
        coef = np.where(aliased, 0.0, basis.beta)
        r = r @ fit.naive_covariance * len(index) + coef
    r[:, aliased] = np.nan
    columns = {"time": basis.time[index]}
    table = pl.DataFrame(columns)
    if strata.width:
        table = pl.concat([strata[index.tolist()], table], how="horizontal")
    table = table.with_columns([pl.Series(t, r[:, j]) for j, t in enumerate(basis.terms)])
    return table.fill_nan(None)


__all__ = ["cox_residuals"]
