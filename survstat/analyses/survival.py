"""Survival and competing-risks analyses: km, summary, logrank, cox, cif, gray, finegray.

Each function is the declaration of its command (see :mod:`survstat.analyses._declare`); the
estimators load when it runs.
"""

from __future__ import annotations

from typing import Annotated, Any

from survstat._choices import IncidenceVariance, LogrankWeights, ResidualType, Ties
from survstat.analyses._core import Analysis, AnalysisOutput, Extra, names
from survstat.analyses._declare import Column, Data, Option
from survstat.analyses._options import (
    Adsl,
    By,
    Cause,
    Censor,
    CensorValue,
    Compared,
    ConfLevel,
    ConfType,
    Covariates,
    Entry,
    Param,
    ParamColumn,
    Population,
    Strata,
    Time,
    TteEvent,
    TteTime,
    Weight,
)

#: Title of the one-row ``model`` table of the regression analyses.
_MODEL_TITLE = "Model: rows, events, log-likelihoods, convergence, aliased and infinite terms"


def km(
    data: Data,
    adsl: Adsl = None,
    *,
    time: TteTime = None,
    event: TteEvent = None,
    censor: Censor = None,
    param: Param = None,
    param_column: ParamColumn = "PARAMCD",
    population: Population = None,
    by: By = None,
    entry: Entry = None,
    weight: Weight = None,
    conf_type: ConfType = "log-log",
    conf_level: ConfLevel = 0.95,
    at: Annotated[
        list[float] | None,
        Option(help="Report survival at these times (comma-separated) instead."),
    ] = None,
) -> AnalysisOutput:
    """Kaplan–Meier curves with pointwise confidence intervals (R survfit).

    One row per group and distinct time: `<by>`, time, n_risk, n_event, n_censor, survival,
    std_error, conf_low, conf_high. With --at: `<by>`, time, n_risk, survival, std_error,
    conf_low, conf_high at the requested times.

    Example: `survstat km gbsg2.parquet --time time --event cens --by horTh --at 365,730`

    On Spark: `survstat km hdfs:///rwe/registry --time days --event death --by arm
    --engine spark --spark-master yarn`

    Returns
    -------
    AnalysisOutput
        The curves (or the survival at ``at``).
    """
    from survstat.adsl import with_adsl
    from survstat.data import SurvivalData, tte_roles
    from survstat.estimators.kaplan_meier import kaplan_meier

    data, time, event = tte_roles(
        data, time=time, event=event, censor=censor, param=param, param_column=param_column
    )
    subjects = with_adsl(data, adsl, population=population)
    sd = SurvivalData.right_censored(
        subjects.data, time=time, event=event, by=names(by), entry=entry, weight=weight
    )
    fit = kaplan_meier(sd, conf_type=conf_type, conf_level=conf_level)
    table = fit.table if at is None else fit.at(at)
    title = f"Kaplan–Meier ({conf_type} {conf_level:g} CI, {fit.variance} variance)"
    return AnalysisOutput(table, title, sd.n_rows, notes=subjects.notes)


def summary(
    data: Data,
    adsl: Adsl = None,
    *,
    time: TteTime = None,
    event: TteEvent = None,
    censor: Censor = None,
    param: Param = None,
    param_column: ParamColumn = "PARAMCD",
    population: Population = None,
    by: By = None,
    entry: Entry = None,
    weight: Weight = None,
    conf_type: ConfType = "log-log",
    conf_level: ConfLevel = 0.95,
    tau: Annotated[
        float | None, Option(help="Also report restricted mean survival up to TAU.", min=0.0)
    ] = None,
) -> AnalysisOutput:
    """Median survival with CI per group, and RMST up to --tau (R print.survfit).

    One row per group: `<by>`, n, n_event, median, conf_low, conf_high (median CI), plus rmst,
    rmst_std_error with --tau.

    Example: `survstat summary gbsg2.parquet --time time --event cens --by horTh --tau 1825`

    Returns
    -------
    AnalysisOutput
        One row per group.
    """
    from survstat.adsl import with_adsl
    from survstat.data import SurvivalData, tte_roles
    from survstat.estimators.kaplan_meier import kaplan_meier

    data, time, event = tte_roles(
        data, time=time, event=event, censor=censor, param=param, param_column=param_column
    )
    subjects = with_adsl(data, adsl, population=population)
    sd = SurvivalData.right_censored(
        subjects.data, time=time, event=event, by=names(by), entry=entry, weight=weight
    )
    fit = kaplan_meier(sd, conf_type=conf_type, conf_level=conf_level)
    title = f"Median survival ({conf_type} {conf_level:g} CI)"
    table = fit.summary(tau=tau)
    notes = (*subjects.notes, *_undefined_medians(table, fit.table, names(by) or []))
    return AnalysisOutput(table, title, sd.n_rows, notes=notes)


def _undefined_medians(summary: Any, curves: Any, by: list[str]) -> list[str]:
    """Why a median or the upper limit of its interval is null: the curve or its upper band
    never reaches 0.5 (Brookmeyer-Crowley), one line per group."""
    import polars as pl

    lowest = (
        curves.group_by(by, maintain_order=True).agg(pl.col("survival").min()).rows()
        if by
        else [(curves.get_column("survival").min(),)]
    )
    low = {tuple(r[:-1]): r[-1] for r in lowest}
    notes = []
    for row in summary.iter_rows(named=True):
        key = tuple(row[c] for c in by)
        where = f" ({', '.join(f'{c}={v}' for c, v in zip(by, key, strict=True))})" if by else ""
        s = low.get(key)
        if row["median"] is None:
            shown = "1" if s is None else f"{s:.4g}"
            notes.append(
                f"median not reached{where}: the survival estimate stays above 0.5 (lowest "
                f"{shown}); the median and the upper limit of its interval are null (NE)"
            )
        elif row["conf_high"] is None:
            notes.append(
                f"upper limit of the median's interval not reached{where}: the upper "
                "confidence band stays above 0.5; it is null (NE)"
            )
    return notes


def logrank_test(
    data: Data,
    adsl: Adsl = None,
    *,
    time: TteTime = None,
    event: TteEvent = None,
    censor: Censor = None,
    param: Param = None,
    param_column: ParamColumn = "PARAMCD",
    population: Population = None,
    by: Compared,
    strata: Strata = None,
    rho: Annotated[
        float,
        Option(
            help="Fleming–Harrington rho in S(t-)^rho (1 - S(t-))^gamma; default 0. Not 0 with "
            "the default --weights logrank selects fleming-harrington (R survdiff(rho=1)); "
            "with gehan-breslow or tarone-ware it is an error.",
            min=0.0,
        ),
    ] = 0.0,
    gamma: Annotated[
        float,
        Option(help="Fleming–Harrington gamma; default 0. Same rules as --rho.", min=0.0),
    ] = 0.0,
    weights: Annotated[
        LogrankWeights, Option(help="Test weights; default logrank (equal weights).")
    ] = "logrank",
    trend: Annotated[bool, Option(help="Add the trend test over ordered groups.")] = False,
    weight: Weight = None,
) -> AnalysisOutput:
    """Log-rank test and its weighted, stratified and trend variants (R survdiff).

    One row: statistic, df, p_value (then test, rho, gamma; trend_statistic and trend_p_value
    with --trend). Observed and expected events per group are printed.

    Example: `survstat logrank gbsg2.parquet --time time --event cens --by horTh --strata tgrade`

    Returns
    -------
    AnalysisOutput
        The test, with the observed and expected events per group as the ``per_group`` extra.
    """
    from survstat.adsl import with_adsl
    from survstat.data import SurvivalData, tte_roles
    from survstat.estimators.logrank import logrank

    data, time, event = tte_roles(
        data, time=time, event=event, censor=censor, param=param, param_column=param_column
    )
    subjects = with_adsl(data, adsl, population=population)
    sd = SurvivalData.right_censored(
        subjects.data, time=time, event=event, by=names(by), strata=names(strata), weight=weight
    )
    res = logrank(sd, weights=weights, rho=rho, gamma=gamma)
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
        notes=subjects.notes,
    )


def cox_model(
    data: Data,
    adsl: Adsl = None,
    *,
    time: TteTime = None,
    event: TteEvent = None,
    censor: Censor = None,
    param: Param = None,
    param_column: ParamColumn = "PARAMCD",
    population: Population = None,
    covariates: Covariates,
    strata: Strata = None,
    entry: Annotated[
        str | None,
        Column(
            "data",
            help="Start of each row's time at risk (counting-process data, several rows per "
            "subject, or delayed entry): rows are at risk on (entry, time], R's "
            "Surv(entry, time, event).",
        ),
    ] = None,
    ties: Annotated[
        Ties,
        Option(
            help="Tie handling: efron (R's default), breslow (SAS's default), discrete (R "
            "ties='exact', SAS TIES=DISCRETE) or exact (SAS TIES=EXACT)."
        ),
    ] = "efron",
    weight: Weight = None,
    cluster: Annotated[
        str | None, Column("data", help="Cluster column for robust standard errors.")
    ] = None,
    conf_level: ConfLevel = 0.95,
    ph_test: Annotated[
        bool,
        Option(help="Also test proportional hazards per covariate (R cox.zph, km transform)."),
    ] = False,
    profiles: Annotated[
        str | None,
        Option(
            help="Also write the survival curves of these covariate profiles (R "
            "survfit(fit, newdata)): COVARIATE=VALUE pairs giving every covariate, a level "
            "for a text covariate, a number or true/false otherwise, comma-separated; "
            'profiles separated by ; (e.g. "horTh=yes,age=50;horTh=no,age=50").'
        ),
    ] = None,
    baseline_hazard: Annotated[
        bool, Option(help="Also write the baseline cumulative hazard (R basehaz, centred).")
    ] = False,
    residuals: Annotated[
        ResidualType | None,
        Option(
            help="Also write these residuals (R residuals.coxph), keyed by the input row (and "
            "--id): martingale, deviance, score, dfbeta, dfbetas one per row; schoenfeld, "
            "scaledsch one per event."
        ),
    ] = None,
    id_column: Annotated[
        str | None,
        Column(
            "data",
            help="Subject id column the residuals carry beside the input row (default USUBJID "
            "when the data has it).",
            flag="--id",
        ),
    ] = None,
) -> AnalysisOutput:
    """Cox proportional hazards model (R coxph).

    One row per term: term, coef, std_error, hazard_ratio, conf_low, conf_high, z, p_value,
    status. Text columns become indicators against their first level, named like `arm[B]`.
    status is ok, aliased (linearly dependent or constant: the row is null), infinite
    (monotone likelihood, e.g. no events in one arm: no hazard ratio, interval or p-value) or
    not converged. The global tests and a model table (n, events, concordance, iterations,
    converged, aliased and infinite terms) are printed and written beside the output; with
    --ph-test, the proportional-hazards tests too (term, statistic, df, p_value per covariate
    and GLOBAL, as R cox.zph). --profiles writes the `curves` table (profile as written, the
    strata, time, n_risk, n_event, n_censor, cumhaz, cumhaz_std_error, survival, conf_low,
    conf_high; log interval as R survfit.coxph), --baseline-hazard the `baseline_hazard`
    table (strata, time, cumhaz) and --residuals the `residuals` table (row: the input row
    from 0, the --id column, then residual or one column per term; schoenfeld and scaledsch
    also time and strata). With --entry each row is at risk on (entry, time]:
    time-varying covariates as several rows per subject (give the subject as --cluster for
    robust standard errors) or delayed entry.

    Example: `survstat cox gbsg2.parquet --time time --event cens --covariates horTh,age,tgrade
    -o cox.parquet`

    Example: `survstat cox gbsg2.parquet --time time --event cens --covariates horTh,age
    --profiles "horTh=no,age=50;horTh=yes,age=50" --residuals martingale -o cox_curves.parquet`

    On Spark (each Newton step one GROUP BY of per-time sums; no concordance, no --ph-test):
    `survstat cox hdfs:///rwe/registry --time days --event death --covariates arm,age
    --engine spark --spark-master yarn`

    Returns
    -------
    AnalysisOutput
        One row per term, with the ``tests`` and ``model`` extras.
    """
    from survstat.adsl import with_adsl
    from survstat.analyses import cox_outputs
    from survstat.data import SurvivalData, tte_roles
    from survstat.estimators.cox import cox
    from survstat.io import scan

    if residuals is not None:  # number the input rows before anything filters them
        data = scan(data)[0].with_row_index(cox_outputs.INPUT_ROW)
    data, time, event = tte_roles(
        data, time=time, event=event, censor=censor, param=param, param_column=param_column
    )
    subjects = with_adsl(data, adsl, population=population)
    sd = SurvivalData.right_censored(
        subjects.data, time=time, event=event, entry=entry, strata=names(strata), weight=weight
    )
    id_column = cox_outputs.subject_column(sd, id_column, residuals is not None)
    fit = cox(sd, covariates=covariates, ties=ties, cluster=cluster, conf_level=conf_level)
    variance = "robust" if fit.robust else "model-based"
    extras = [Extra("tests", "Global tests", fit.tests), Extra("model", _MODEL_TITLE, fit.model)]
    if ph_test:
        extras.append(Extra("zph", "Proportional-hazards tests (cox.zph, km)", fit.zph().table))
    if profiles is not None:
        curves = cox_outputs.profile_curves(fit, profiles, covariates, conf_level)
        title = f"Survival curves of the profiles (survfit.coxph, log {conf_level:g} CI)"
        extras.append(Extra("curves", title, curves))
    if baseline_hazard:
        title = "Baseline cumulative hazard (basehaz, at the means)"
        extras.append(Extra("baseline_hazard", title, fit.baseline_hazard()))
    if residuals is not None:
        keys = cox_outputs.row_keys(sd, id_column)
        table = cox_outputs.keyed_residuals(fit, residuals, keys)
        extras.append(Extra("residuals", f"{residuals} residuals (residuals.coxph)", table))
    return AnalysisOutput(
        fit.table,
        f"Cox model ({ties} ties, {variance} standard errors)",
        sd.n_rows,
        extras=tuple(extras),
        notes=(*subjects.notes, *fit.notes),
    )


def concordance_index(
    data: Data,
    adsl: Adsl = None,
    *,
    time: TteTime = None,
    event: TteEvent = None,
    censor: Censor = None,
    param: Param = None,
    param_column: ParamColumn = "PARAMCD",
    population: Population = None,
    score: Annotated[str, Column("data", help="Numeric score column (a prediction).")],
    reverse: Annotated[
        bool,
        Option(
            help="A higher score predicts an earlier event (a risk score, a Cox linear "
            "predictor); by default it predicts longer survival, as R's default."
        ),
    ] = False,
    strata: Strata = None,
    weight: Weight = None,
    cluster: Annotated[
        str | None, Column("data", help="Cluster column for the standard error.")
    ] = None,
    conf_level: ConfLevel = 0.95,
) -> AnalysisOutput:
    """Harrell's concordance of any score with survival, with its standard error (R
    survival::concordance).

    One row: n, concordance, std_error (infinitesimal jackknife, R's var), conf_low,
    conf_high (Wald), and the weighted pair counts concordant, discordant, tied_x, tied_y,
    tied_xy. Pairs are formed within --strata; --cluster sums the influence within clusters.

    Example: `survstat concordance gbsg2.parquet --time time --event cens --score pnodes
    --reverse -o concordance.parquet`

    Returns
    -------
    AnalysisOutput
        One row.
    """
    from survstat.adsl import with_adsl
    from survstat.data import SurvivalData, tte_roles
    from survstat.estimators.concordance import concordance

    data, time, event = tte_roles(
        data, time=time, event=event, censor=censor, param=param, param_column=param_column
    )
    subjects = with_adsl(data, adsl, population=population)
    sd = SurvivalData.right_censored(
        subjects.data, time=time, event=event, strata=names(strata), weight=weight
    )
    result = concordance(sd, score=score, cluster=cluster, reverse=reverse, conf_level=conf_level)
    direction = "higher = earlier event" if reverse else "higher = longer survival"
    title = f"Concordance of {score} ({direction})"
    return AnalysisOutput(result.table, title, sd.n_rows, notes=subjects.notes)


def cif(
    data: Data,
    adsl: Adsl = None,
    *,
    time: Time,
    cause: Cause,
    param: Param = None,
    param_column: ParamColumn = "PARAMCD",
    population: Population = None,
    by: By = None,
    censor_value: CensorValue = None,
    entry: Entry = None,
    weight: Weight = None,
    variance: Annotated[
        IncidenceVariance,
        Option(help="auto, cuminc (cmprsk), delta (SAS ERROR=DELTA) or robust (R survfit)."),
    ] = "auto",
    conf_type: ConfType = "log-log",
    conf_level: ConfLevel = 0.95,
    at: Annotated[
        list[float] | None,
        Option(help="Report incidence at these times (comma-separated) instead."),
    ] = None,
) -> AnalysisOutput:
    """Cumulative incidence of competing risks (Aalen–Johansen; R cmprsk::cuminc).

    One row per group, cause and distinct time: `<by>`, cause, time, n_risk, n_event, cif,
    std_error, conf_low, conf_high. With --at: `<by>`, cause, time, cif, std_error, conf_low,
    conf_high (R cmprsk::timepoints).

    Example: `survstat cif cml_endpoints.parquet --time time --cause cause --by arm --at 12,24`
    (time to MR4.5, competing discontinuation, progression and death: the output of the
    `survstat cml endpoints` example)

    On Spark: `survstat cif "registry/*.parquet" --time days --cause cause --by arm
    --engine spark`

    Returns
    -------
    AnalysisOutput
        The curves (or the incidence at ``at``).
    """
    from survstat.adsl import with_adsl
    from survstat.data import SurvivalData, keep_param
    from survstat.estimators.cumulative_incidence import cumulative_incidence

    data = keep_param(data, param, param_column)
    subjects = with_adsl(data, adsl, population=population)
    sd = SurvivalData.competing_risks(
        subjects.data,
        time=time,
        cause=cause,
        by=names(by),
        censor_value=censor_value,
        entry=entry,
        weight=weight,
    )
    fit = cumulative_incidence(sd, conf_level=conf_level, variance=variance, conf_type=conf_type)
    table = fit.table if at is None else fit.at(at)
    title = f"Cumulative incidence ({conf_type} {conf_level:g} CI, {fit.variance} variance)"
    return AnalysisOutput(table, title, sd.n_rows, notes=subjects.notes)


def gray(
    data: Data,
    adsl: Adsl = None,
    *,
    time: Time,
    cause: Cause,
    param: Param = None,
    param_column: ParamColumn = "PARAMCD",
    population: Population = None,
    by: Compared,
    strata: Strata = None,
    censor_value: CensorValue = None,
    rho: Annotated[float, Option(help="Weight (1 - F(t-))^rho; default 0 (equal weights).")] = 0.0,
) -> AnalysisOutput:
    """Gray's test of equal cumulative incidence across groups, per cause (R cmprsk::cuminc).

    One row per cause: cause, statistic, df, p_value.

    Example: `survstat gray cml_endpoints.parquet --time time --cause cause --by arm`
    (the output of the `survstat cml endpoints` example)

    Returns
    -------
    AnalysisOutput
        One row per cause.
    """
    from survstat.adsl import with_adsl
    from survstat.data import SurvivalData, keep_param
    from survstat.estimators.gray import gray_test

    data = keep_param(data, param, param_column)
    subjects = with_adsl(data, adsl, population=population)
    sd = SurvivalData.competing_risks(
        subjects.data,
        time=time,
        cause=cause,
        by=names(by),
        strata=names(strata),
        censor_value=censor_value,
    )
    table = gray_test(sd, rho=rho).table
    return AnalysisOutput(table, "Gray's test", sd.n_rows, notes=subjects.notes)


def finegray(
    data: Data,
    adsl: Adsl = None,
    *,
    time: Time,
    cause: Cause,
    param: Param = None,
    param_column: ParamColumn = "PARAMCD",
    population: Population = None,
    failcode: Annotated[str | int, Option(help="The cause of interest.", code=True)],
    covariates: Covariates,
    censor_value: CensorValue = None,
    conf_level: ConfLevel = 0.95,
) -> AnalysisOutput:
    """Fine–Gray subdistribution hazards model for one cause (R cmprsk::crr).

    One row per term: term, coef, std_error, hazard_ratio, conf_low, conf_high, z, p_value,
    status; hazard_ratio is the subdistribution hazard ratio and status is as for `cox` (ok,
    aliased, infinite, not converged). A model table (n, events, competing events,
    log-likelihoods, iterations, converged, aliased and infinite terms) is printed and
    written beside the output.

    Example: `survstat finegray cml_endpoints.parquet --time time --cause cause --failcode 1
    --covariates arm` (the output of the `survstat cml endpoints` example)

    Returns
    -------
    AnalysisOutput
        One row per term, with the ``model`` extra.
    """
    from survstat.adsl import with_adsl
    from survstat.data import SurvivalData, keep_param
    from survstat.estimators.fine_gray import fine_gray

    data = keep_param(data, param, param_column)
    subjects = with_adsl(data, adsl, population=population)
    sd = SurvivalData.competing_risks(
        subjects.data, time=time, cause=cause, censor_value=censor_value
    )
    fit = fine_gray(sd, covariates=covariates, failcode=failcode, conf_level=conf_level)
    return AnalysisOutput(
        fit.table,
        f"Fine–Gray model for cause {fit.failcode}",
        sd.n_rows,
        extras=(Extra("model", _MODEL_TITLE, fit.model),),
        notes=subjects.notes,
    )


#: Risk-table analyses, and the Cox model from per-time sums, run on Spark too (see
#: survstat.engines.spark).
_BOTH = ("polars", "spark")

SURVIVAL_ANALYSES = (
    Analysis("km", km, engines=_BOTH),
    Analysis("summary", summary, engines=_BOTH),
    Analysis("logrank", logrank_test, engines=_BOTH),
    Analysis("cox", cox_model, engines=_BOTH),
    Analysis("concordance", concordance_index),
    Analysis("cif", cif, engines=_BOTH),
    Analysis("gray", gray, engines=_BOTH),
    Analysis("finegray", finegray),
)
