"""Several parametric survival models on the same data: log-likelihood, parameters, AIC and BIC
(the model-selection table of health technology assessment submissions, e.g. NICE DSU
Technical Support Document 14, Latimer 2011/2013).

The log-likelihoods are those of the density of T itself (log-time distributions include the
Jacobian -log t of each event, as R ``survreg`` reports them), so they compare across the
distributions, including ``gaussian`` and ``logistic`` on the time scale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from survstat._choices import SURVREG_DISTRIBUTIONS, SurvregDistribution
from survstat.data import SurvivalData
from survstat.errors import OptionError, check_choice
from survstat.estimators.flexible import (
    FLEXIBLE_DISTRIBUTIONS,
    FlexibleDistribution,
    flexible_survreg,
)
from survstat.estimators.survreg import survreg
from survstat.io import FrameLike

#: Columns of the comparison table.
COLUMNS = {
    "distribution": pl.String,
    "n": pl.Int64,
    "n_event": pl.Int64,
    "loglik": pl.Float64,
    "df": pl.Int64,
    "aic": pl.Float64,
    "bic": pl.Float64,
    "converged": pl.Boolean,
}

#: The distributions compared by default: the log-time models of R ``survreg``.
DEFAULT_DISTRIBUTIONS: tuple[SurvregDistribution, ...] = (
    "exponential",
    "weibull",
    "lognormal",
    "loglogistic",
)


def survreg_compare(
    data: FrameLike | SurvivalData,
    *,
    time: str | None = None,
    event: str | None = None,
    covariates: Sequence[str] = (),
    distributions: Sequence[SurvregDistribution | FlexibleDistribution] = DEFAULT_DISTRIBUTIONS,
    weight: str | None = None,
    reference: Mapping[str, Any] | None = None,
    censor: str | None = None,
) -> pl.DataFrame:
    """Fit one parametric model per distribution and tabulate their fit statistics.

    Parameters
    ----------
    data, time, event, weight, censor
        Data and column roles, as :func:`survstat.estimators.survreg.survreg`.
    covariates
        Columns of the linear predictor, the same in every model.
    distributions
        The distributions to fit (default: exponential, Weibull, log-normal, log-logistic);
        also ``gengamma`` and ``gompertz`` (:func:`survstat.estimators.flexible.flexible_survreg`).
    reference
        Reference level per categorical covariate.

    Returns
    -------
    polars.DataFrame
        One row per distribution, in the order given: ``distribution, n, n_event, loglik, df,
        aic, bic, converged`` (AIC = -2 loglik + 2 df, BIC = -2 loglik + log(n) df, as R's
        ``AIC`` and ``BIC`` of a ``survreg`` fit).

    Raises
    ------
    OptionError
        No distribution, or one listed twice or unknown.

    Examples
    --------
    >>> import survstat
    >>> table = survstat.survreg_compare(survstat.datasets.load("gbsg2"), time="time",
    ...                                  event="cens", covariates=["horTh"])
    >>> table.get_column("distribution").to_list()
    ['exponential', 'weibull', 'lognormal', 'loglogistic']
    """
    names: list[str] = (
        [distributions] if isinstance(distributions, str) else [str(d) for d in distributions]
    )
    if not names:
        raise OptionError("give at least one distribution to compare")
    for name in names:
        check_choice("distribution", name, (*SURVREG_DISTRIBUTIONS, *FLEXIBLE_DISTRIBUTIONS))
    repeated = sorted({d for d in names if names.count(d) > 1})
    if repeated:
        raise OptionError(f"distribution(s) listed more than once: {repeated}")
    rows = []
    for name in names:
        if name in FLEXIBLE_DISTRIBUTIONS:
            flex = flexible_survreg(
                data,
                time=time,
                event=event,
                covariates=covariates,
                distribution=name,  # type: ignore[arg-type]
                weight=weight,
                reference=reference,
                censor=censor,
            )
            values = (flex.n, flex.n_event, flex.loglik, flex.df, flex.aic, flex.bic)
            rows.append((name, *values, flex.converged))
            continue
        fit = survreg(
            data,
            time=time,
            event=event,
            covariates=covariates,
            distribution=name,  # type: ignore[arg-type]
            weight=weight,
            reference=reference,
            censor=censor,
        )
        values = (fit.n, fit.n_event, fit.loglik[1], fit.df, fit.aic, fit.bic)
        rows.append((name, *values, fit.converged))
    return pl.DataFrame(rows, schema=COLUMNS, orient="row")
