"""The `km`, `summary` and `logrank` commands."""

from __future__ import annotations

from typing import Annotated

import typer

from survstat._choices import WEIGHTS
from survstat.cli._common import (
    ByOpt,
    ConfLevelOpt,
    ConfType,
    ConfTypeOpt,
    DataArg,
    Engine,
    EngineOpt,
    EntryOpt,
    EventOpt,
    OutputOpt,
    SparkMasterOpt,
    StrataOpt,
    TimeOpt,
    WeightOpt,
    clean,
    parse_numbers,
    run,
    split_columns,
    user_errors,
)


@user_errors
def km(
    data: DataArg,
    time: TimeOpt,
    event: EventOpt,
    by: ByOpt = None,
    entry: EntryOpt = None,
    weight: WeightOpt = None,
    conf_type: ConfTypeOpt = ConfType.log_log,
    conf_level: ConfLevelOpt = 0.95,
    at: Annotated[
        str | None,
        typer.Option("--at", help="Report survival at these times (comma-separated) instead."),
    ] = None,
    output: OutputOpt = None,
    engine: EngineOpt = Engine.polars,
    spark_master: SparkMasterOpt = None,
) -> None:
    """Kaplan–Meier curves with pointwise confidence intervals (R survfit).

    One row per group and distinct time: `<by>`, time, n_risk, n_event, n_censor, survival,
    std_error, conf_low, conf_high. With --at: `<by>`, time, n_risk, survival, std_error,
    conf_low, conf_high at the requested times.

    Example: `survstat km gbsg2.parquet --time time --event cens --by horTh --at 365,730`

    On Spark: `survstat km hdfs:///rwe/registry --time days --event death --by arm
    --engine spark --spark-master yarn`
    """
    run(
        "km",
        data,
        output=output,
        engine=engine,
        spark_master=spark_master,
        parameters=clean(locals()),
        time=time,
        event=event,
        by=split_columns(by),
        entry=entry,
        weight=weight,
        conf_type=conf_type.value,
        conf_level=conf_level,
        at=parse_numbers(at, "--at"),
    )


@user_errors
def summary(
    data: DataArg,
    time: TimeOpt,
    event: EventOpt,
    by: ByOpt = None,
    entry: EntryOpt = None,
    weight: WeightOpt = None,
    conf_type: ConfTypeOpt = ConfType.log_log,
    conf_level: ConfLevelOpt = 0.95,
    tau: Annotated[
        float | None,
        typer.Option("--tau", min=0.0, help="Also report restricted mean survival up to TAU."),
    ] = None,
    output: OutputOpt = None,
    engine: EngineOpt = Engine.polars,
    spark_master: SparkMasterOpt = None,
) -> None:
    """Median survival with CI per group, and RMST up to --tau (R print.survfit).

    One row per group: `<by>`, n, n_event, median, conf_low, conf_high (median CI), plus rmst,
    rmst_std_error with --tau.

    Example: `survstat summary gbsg2.parquet --time time --event cens --by horTh --tau 1825`
    """
    run(
        "summary",
        data,
        output=output,
        engine=engine,
        spark_master=spark_master,
        parameters=clean(locals()),
        time=time,
        event=event,
        by=split_columns(by),
        entry=entry,
        weight=weight,
        conf_type=conf_type.value,
        conf_level=conf_level,
        tau=tau,
    )


@user_errors
def logrank_cmd(
    data: DataArg,
    time: TimeOpt,
    event: EventOpt,
    by: Annotated[
        str, typer.Option("--by", help="Group column(s) to compare.", show_default=False)
    ],
    strata: StrataOpt = None,
    rho: Annotated[
        float,
        typer.Option(
            "--rho",
            min=0.0,
            help="Fleming–Harrington rho in S(t-)^rho (1 - S(t-))^gamma; default 0. Not 0 with "
            "the default --weights logrank selects fleming-harrington (R survdiff(rho=1)); "
            "with gehan-breslow or tarone-ware it is an error.",
        ),
    ] = 0.0,
    gamma: Annotated[
        float,
        typer.Option(
            "--gamma",
            min=0.0,
            help="Fleming–Harrington gamma; default 0. Same rules as --rho.",
        ),
    ] = 0.0,
    weights: Annotated[
        str,
        typer.Option(
            "--weights",
            help=f"Test weights: {', '.join(WEIGHTS)}; default logrank (equal weights).",
        ),
    ] = "logrank",
    trend: Annotated[
        bool, typer.Option("--trend", help="Add the trend test over ordered groups.")
    ] = False,
    weight: WeightOpt = None,
    output: OutputOpt = None,
    engine: EngineOpt = Engine.polars,
    spark_master: SparkMasterOpt = None,
) -> None:
    """Log-rank test and its weighted, stratified and trend variants (R survdiff).

    One row: statistic, df, p_value (then test, rho, gamma; trend_statistic and trend_p_value
    with --trend). Observed and expected events per group are printed.

    Example: `survstat logrank gbsg2.parquet --time time --event cens --by horTh --strata tgrade`
    """
    params = clean(locals())
    if weights not in WEIGHTS:
        raise typer.BadParameter(f"must be one of {', '.join(WEIGHTS)}", param_hint="--weights")
    run(
        "logrank",
        data,
        output=output,
        engine=engine,
        spark_master=spark_master,
        parameters=params,
        time=time,
        event=event,
        by=split_columns(by),
        strata=split_columns(strata),
        weights=weights,
        rho=rho,
        gamma=gamma,
        trend=trend,
        weight=weight,
    )


@user_errors
def cox_cmd(
    data: DataArg,
    time: TimeOpt,
    event: EventOpt,
    covariates: Annotated[
        str,
        typer.Option(
            "--covariates", help="Covariate columns, comma-separated.", show_default=False
        ),
    ],
    strata: StrataOpt = None,
    ties: Annotated[str, typer.Option("--ties", help="Tie handling: efron or breslow.")] = "efron",
    weight: WeightOpt = None,
    cluster: Annotated[
        str | None, typer.Option("--cluster", help="Cluster column for robust standard errors.")
    ] = None,
    conf_level: ConfLevelOpt = 0.95,
    output: OutputOpt = None,
) -> None:
    """Cox proportional hazards model (R coxph).

    One row per term: term, coef, std_error, hazard_ratio, conf_low, conf_high, z, p_value,
    status. Text columns become indicators against their first level, named like `arm[B]`.
    status is ok, aliased (linearly dependent or constant: the row is null), infinite
    (monotone likelihood, e.g. no events in one arm: no hazard ratio, interval or p-value) or
    not converged. The global tests and a model table (n, events, concordance, iterations,
    converged, aliased and infinite terms) are printed and written beside the output.

    Example: `survstat cox gbsg2.parquet --time time --event cens --covariates horTh,age,tgrade
    -o cox.parquet`
    """
    params = clean(locals())
    if ties not in ("efron", "breslow"):
        raise typer.BadParameter("must be efron or breslow", param_hint="--ties")
    run(
        "cox",
        data,
        output=output,
        parameters=params,
        time=time,
        event=event,
        covariates=split_columns(covariates),
        strata=split_columns(strata),
        ties=ties,
        weight=weight,
        cluster=cluster,
        conf_level=conf_level,
    )
