"""Survival and competing-risks analyses: km, summary, logrank, cox, cif, gray, finegray."""

from __future__ import annotations

from typing import cast

from survstat._choices import ConfType, IncidenceVariance, LogrankWeights, Ties
from survstat.analyses._core import Analysis, AnalysisOutput, Extra, column_roles, names
from survstat.data import SurvivalData
from survstat.estimators._confint import CONF_TYPES
from survstat.estimators.cox import TIES, cox
from survstat.estimators.cumulative_incidence import VARIANCES, cumulative_incidence
from survstat.estimators.fine_gray import fine_gray
from survstat.estimators.gray import gray_test
from survstat.estimators.kaplan_meier import kaplan_meier
from survstat.estimators.logrank import WEIGHTS, logrank
from survstat.io import FrameLike

_CONF = tuple(CONF_TYPES)
#: Title of the one-row ``model`` table of the regression analyses.
_MODEL_TITLE = "Model: rows, events, log-likelihoods, convergence, aliased and infinite terms"


def km(
    data: FrameLike,
    *,
    time: str,
    event: str,
    by: list[str] | None = None,
    entry: str | None = None,
    weight: str | None = None,
    conf_type: str = "log-log",
    conf_level: float = 0.95,
    at: list[float] | None = None,
) -> AnalysisOutput:
    """Kaplan–Meier curves with pointwise confidence intervals (R survfit)."""
    sd = SurvivalData.right_censored(
        data, time=time, event=event, by=names(by), entry=entry, weight=weight
    )
    fit = kaplan_meier(sd, conf_type=cast("ConfType", conf_type), conf_level=conf_level)
    table = fit.table if at is None else fit.at(at)
    title = f"Kaplan–Meier ({conf_type} {conf_level:g} CI, {fit.variance} variance)"
    return AnalysisOutput(table, title, sd.n_rows)


def summary(
    data: FrameLike,
    *,
    time: str,
    event: str,
    by: list[str] | None = None,
    entry: str | None = None,
    weight: str | None = None,
    conf_type: str = "log-log",
    conf_level: float = 0.95,
    tau: float | None = None,
) -> AnalysisOutput:
    """Median survival with CI per group, and RMST up to tau (R print.survfit)."""
    sd = SurvivalData.right_censored(
        data, time=time, event=event, by=names(by), entry=entry, weight=weight
    )
    fit = kaplan_meier(sd, conf_type=cast("ConfType", conf_type), conf_level=conf_level)
    title = f"Median survival ({conf_type} {conf_level:g} CI)"
    return AnalysisOutput(fit.summary(tau=tau), title, sd.n_rows)


def logrank_test(
    data: FrameLike,
    *,
    time: str,
    event: str,
    by: list[str],
    strata: list[str] | None = None,
    weights: str = "logrank",
    rho: float = 0.0,
    gamma: float = 0.0,
    trend: bool = False,
    weight: str | None = None,
) -> AnalysisOutput:
    """Log-rank test and its weighted, stratified and trend variants (R survdiff)."""
    sd = SurvivalData.right_censored(
        data, time=time, event=event, by=names(by), strata=names(strata), weight=weight
    )
    res = logrank(sd, weights=cast("LogrankWeights", weights), rho=rho, gamma=gamma)
    table = res.table
    if trend:
        tr = res.trend()
        table = table.with_columns(
            trend_statistic=tr.get_column("statistic"), trend_p_value=tr.get_column("p_value")
        )
    title = f"{res.table.get_column('test').item()} test"
    return AnalysisOutput(
        table,
        title,
        sd.n_rows,
        extras=(Extra("per_group", "Observed and expected events", res.per_group),),
    )


def cox_model(
    data: FrameLike,
    *,
    time: str,
    event: str,
    covariates: list[str],
    strata: list[str] | None = None,
    ties: str = "efron",
    weight: str | None = None,
    cluster: str | None = None,
    conf_level: float = 0.95,
) -> AnalysisOutput:
    """Cox proportional hazards model (R coxph)."""
    sd = SurvivalData.right_censored(
        data, time=time, event=event, strata=names(strata), weight=weight
    )
    fit = cox(
        sd, covariates=covariates, ties=cast("Ties", ties), cluster=cluster, conf_level=conf_level
    )
    variance = "robust" if fit.robust else "model-based"
    return AnalysisOutput(
        fit.table,
        f"Cox model ({ties} ties, {variance} standard errors)",
        sd.n_rows,
        extras=(
            Extra("tests", "Global tests", fit.tests),
            Extra("model", _MODEL_TITLE, fit.model),
        ),
    )


def cif(
    data: FrameLike,
    *,
    time: str,
    cause: str,
    by: list[str] | None = None,
    censor_value: str | int | None = None,
    entry: str | None = None,
    weight: str | None = None,
    variance: str = "auto",
    conf_type: str = "log-log",
    conf_level: float = 0.95,
    at: list[float] | None = None,
) -> AnalysisOutput:
    """Cumulative incidence of competing risks (Aalen–Johansen; R cmprsk::cuminc)."""
    sd = SurvivalData.competing_risks(
        data,
        time=time,
        cause=cause,
        by=names(by),
        censor_value=censor_value,
        entry=entry,
        weight=weight,
    )
    fit = cumulative_incidence(
        sd,
        conf_level=conf_level,
        variance=cast("IncidenceVariance", variance),
        conf_type=cast("ConfType", conf_type),
    )
    table = fit.table if at is None else fit.at(at)
    title = f"Cumulative incidence ({conf_type} {conf_level:g} CI, {fit.variance} variance)"
    return AnalysisOutput(table, title, sd.n_rows)


def gray(
    data: FrameLike,
    *,
    time: str,
    cause: str,
    by: list[str],
    strata: list[str] | None = None,
    censor_value: str | int | None = None,
    rho: float = 0.0,
) -> AnalysisOutput:
    """Gray's test of equal cumulative incidence across groups, per cause (R cmprsk::cuminc)."""
    sd = SurvivalData.competing_risks(
        data,
        time=time,
        cause=cause,
        by=names(by),
        strata=names(strata),
        censor_value=censor_value,
    )
    return AnalysisOutput(gray_test(sd, rho=rho).table, "Gray's test", sd.n_rows)


def finegray(
    data: FrameLike,
    *,
    time: str,
    cause: str,
    failcode: str | int,
    covariates: list[str],
    censor_value: str | int | None = None,
    conf_level: float = 0.95,
) -> AnalysisOutput:
    """Fine–Gray subdistribution hazards model for one cause (R cmprsk::crr)."""
    sd = SurvivalData.competing_risks(data, time=time, cause=cause, censor_value=censor_value)
    fit = fine_gray(sd, covariates=covariates, failcode=failcode, conf_level=conf_level)
    return AnalysisOutput(
        fit.table,
        f"Fine–Gray model for cause {fit.failcode}",
        sd.n_rows,
        extras=(Extra("model", _MODEL_TITLE, fit.model),),
    )


_SURV = ("time", "event", "by", "entry", "weight")
_COMPETING = ("time", "cause", "by", "entry", "weight")
#: Risk-table analyses run on Spark too (see survstat.engines.spark).
_BOTH = ("polars", "spark")


SURVIVAL_ANALYSES = (
    Analysis(
        "km", km, columns=column_roles(data=_SURV), choices={"conf_type": _CONF}, engines=_BOTH
    ),
    Analysis(
        "summary",
        summary,
        columns=column_roles(data=_SURV),
        choices={"conf_type": _CONF},
        engines=_BOTH,
    ),
    Analysis(
        "logrank",
        logrank_test,
        columns=column_roles(data=("time", "event", "by", "strata", "weight")),
        choices={"weights": WEIGHTS},
        engines=_BOTH,
    ),
    Analysis(
        "cox",
        cox_model,
        columns=column_roles(data=("time", "event", "covariates", "strata", "weight", "cluster")),
        choices={"ties": TIES},
    ),
    Analysis(
        "cif",
        cif,
        columns=column_roles(data=_COMPETING),
        choices={"conf_type": _CONF, "variance": VARIANCES},
        engines=_BOTH,
    ),
    Analysis(
        "gray", gray, columns=column_roles(data=("time", "cause", "by", "strata")), engines=_BOTH
    ),
    Analysis("finegray", finegray, columns=column_roles(data=("time", "cause", "covariates"))),
)
