"""Parametric survival analyses: survreg (accelerated failure time models, R survreg).

The function is the declaration of its command (see :mod:`survstat.analyses._declare`); the
estimators load when it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from survstat._choices import SurvregDistribution
from survstat.analyses._core import Analysis, AnalysisOutput, Extra, names, tte_subjects
from survstat.analyses._declare import Column, Data, Option
from survstat.analyses._options import (
    Adsl,
    Censor,
    ConfLevel,
    Param,
    ParamColumn,
    Population,
    Strata,
    TteEvent,
    TteTime,
    Weight,
)
from survstat.errors import OptionError

if TYPE_CHECKING:
    from survstat.estimators.survreg import SurvregResult


def survreg_model(
    data: Data,
    adsl: Adsl = None,
    *,
    time: TteTime = None,
    event: TteEvent = None,
    censor: Censor = None,
    param: Param = None,
    param_column: ParamColumn = "PARAMCD",
    population: Population = None,
    covariates: Annotated[
        list[str] | None,
        Column("data", help="Covariate columns, comma-separated (none: intercept only)."),
    ] = None,
    distribution: Annotated[
        SurvregDistribution,
        Option(help="Error distribution (R survreg dist); log time except gaussian, logistic."),
    ] = "weibull",
    strata: Strata = None,
    weight: Weight = None,
    conf_level: ConfLevel = 0.95,
    compare: Annotated[
        list[str] | None,
        Option(
            help="Also fit these distributions (comma-separated, e.g. "
            "exponential,weibull,gompertz,lognormal,loglogistic,gengamma; without --strata) "
            "and write their log-likelihood, df, AIC and BIC."
        ),
    ] = None,
    profiles: Annotated[
        str | None,
        Option(
            help="Also write quantiles of survival time for these covariate profiles (R "
            "predict(type = 'quantile')): COVARIATE=VALUE pairs giving every covariate (and "
            'stratum column), comma-separated; profiles separated by ; (e.g. "horTh=yes,'
            'age=50;horTh=no,age=50").'
        ),
    ] = None,
    quantiles: Annotated[
        list[float] | None,
        Option(help="Probabilities of the --profiles quantiles (default 0.25,0.5,0.75)."),
    ] = None,
) -> AnalysisOutput:
    """Parametric survival regression, accelerated failure time form (R survreg).

    One row per coefficient (intercept first, `(Intercept)`) then one per log scale
    (`Log(scale)`, or `Log(scale):<stratum>` with --strata, each stratum its own scale): term,
    coef, std_error, conf_low, conf_high, z, p_value, time_ratio (exp(coef) for a covariate of
    a log-time distribution), status (ok, aliased: the row is null, or not converged). Text
    columns become indicators against their first level, named like `arm[B]`. Also written:
    the `model` table (distribution, n, n_event, loglik_null, loglik, df, aic, bic, scale,
    iterations, converged), the `scales` table (stratum, scale, log_scale, std_error), for a
    Weibull or exponential model without strata the `hazard_ratios` table (the proportional
    hazards form: term, coef = -beta/scale, std_error, hazard_ratio, conf_low, conf_high, z,
    p_value, shape, status), with --compare the `comparison` table (distribution, n, n_event,
    loglik, df, aic, bic, converged) and with --profiles the `quantiles` table (profile as
    written, p, lp, quantile, std_error, conf_low, conf_high).

    Example: `survstat survreg gbsg2.parquet --time time --event cens --covariates
    horTh,age,tgrade --distribution weibull -o weibull.parquet`

    Example: `survstat survreg mgus2.parquet --time futime --event death --covariates sex,age
    --distribution lognormal --compare exponential,weibull,lognormal,loglogistic --profiles
    "sex=F,age=70;sex=M,age=70"`

    Returns
    -------
    AnalysisOutput
        One row per coefficient and scale, with the ``model``, ``scales`` and the optional
        extras.
    """
    from survstat.estimators.survreg import survreg
    from survstat.estimators.survreg_compare import survreg_compare

    sd, subjects = tte_subjects(
        data,
        adsl,
        time=time,
        event=event,
        censor=censor,
        param=param,
        param_column=param_column,
        population=population,
        strata=names(strata),
        weight=weight,
    )
    if compare and sd.strata:
        raise OptionError("`compare` fits models without strata: leave out `strata`")
    covs = list(covariates or [])
    fit = survreg(sd, covariates=covs, distribution=distribution, conf_level=conf_level)
    extras = [
        Extra("model", "Model: rows, events, log-likelihoods, AIC, BIC, convergence", fit.model),
        Extra("scales", "Scale per stratum", fit.scales),
    ]
    if distribution in ("weibull", "exponential") and not sd.strata and covs:
        title = "Proportional hazards form (hazard ratios exp(-coef/scale), ConvertWeibull)"
        extras.append(Extra("hazard_ratios", title, fit.hazard_ratios()))
    if compare:
        table = survreg_compare(sd, covariates=covs, distributions=compare)  # type: ignore[arg-type]
        extras.append(Extra("comparison", "Distributions compared: AIC, BIC", table))
    if profiles is not None:
        extras.append(
            Extra(
                "quantiles",
                "Quantiles of survival time",
                _quantiles(fit, profiles, covs, quantiles or [0.25, 0.5, 0.75]),
            )
        )
    return AnalysisOutput(
        fit.table,
        f"Parametric survival model ({distribution}, accelerated failure time)",
        sd.n_rows,
        extras=tuple(extras),
        notes=subjects.notes,
    )


def _value(text: str, known: list[Any], where: str) -> Any:
    """The value of a profile's ``COLUMN=VALUE`` as the fit's column holds it."""
    for value in known:
        if str(value) == text or (isinstance(value, bool) and text.lower() == str(value).lower()):
            return value
    raise OptionError(f"{where}: {text!r} is not among the values the model was fitted on")


def _quantiles(fit: SurvregResult, text: str, covariates: list[str], p: list[float]) -> Any:
    """The quantiles of the profiles of ``--profiles``, labelled as written."""
    import polars as pl

    from survstat.analyses.cox_outputs import parse_profiles

    basis = fit.basis
    strata = list(basis.strata)
    parsed = parse_profiles(text, [*covariates, *strata])
    numeric = {col for col, level in basis.design.source if level is None}
    rows = []
    for i, pairs in enumerate(parsed):
        row: dict[str, Any] = {}
        for name, value in pairs:
            where = f"`profiles`: profile {i + 1}, `{name}`"
            if name in strata:
                known = sorted({key[strata.index(name)] for key in basis.stratum_keys}, key=str)
                row[name] = _value(value, known, where)
            elif name in numeric:
                lowered = value.lower()
                if lowered in ("true", "false"):
                    row[name] = float(lowered == "true")
                    continue
                try:
                    row[name] = float(value)
                except ValueError:
                    raise OptionError(f"{where} must be a number; got {value!r}") from None
            else:
                row[name] = value
        rows.append(row)
    table = fit.predict(rows, p)
    labels = pl.DataFrame(
        {
            "profile": list(range(len(parsed))),
            "label": [",".join(f"{n}={v}" for n, v in pairs) for pairs in parsed],
        }
    )
    return (
        table.join(labels, on="profile", how="left")
        .drop("profile")
        .rename({"label": "profile"})
        .select("profile", "p", "lp", "quantile", "std_error", "conf_low", "conf_high")
    )


PARAMETRIC_ANALYSES = (Analysis("survreg", survreg_model),)
