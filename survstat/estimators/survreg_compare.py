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
from survstat.estimators.survreg import survreg
from survstat.io import FrameLike

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
    distributions: Sequence[SurvregDistribution] = DEFAULT_DISTRIBUTIONS,
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
        The distributions to fit (default: exponential, Weibull, log-normal, log-logistic).
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
    names: list[SurvregDistribution] = (
        [distributions] if isinstance(distributions, str) else list(distributions)  # type: ignore[list-item]
    )
    if not names:
        raise OptionError("give at least one distribution to compare")
    for name in names:
        check_choice("distribution", name, SURVREG_DISTRIBUTIONS)
    repeated = sorted({d for d in names if names.count(d) > 1})
    if repeated:
        raise OptionError(f"distribution(s) listed more than once: {repeated}")
    rows = []
    for name in names:
        fit = survreg(
            data,
            time=time,
            event=event,
            covariates=covariates,
            distribution=name,
            weight=weight,
            reference=reference,
            censor=censor,
        )
        rows.append(
            fit.model.select(
                "distribution", "n", "n_event", "loglik", "df", "aic", "bic", "converged"
            )
        )
    return pl.concat(rows)
