"""The `km`, `summary` and `logrank` commands."""

from __future__ import annotations

from typing import Annotated

import typer

from survstat.cli._common import (
    ByOpt,
    ConfLevelOpt,
    ConfType,
    ConfTypeOpt,
    DataArg,
    EntryOpt,
    EventOpt,
    OutputOpt,
    StrataOpt,
    TimeOpt,
    WeightOpt,
    clean,
    err_console,
    load,
    parse_numbers,
    print_table,
    split_columns,
    user_errors,
    write_output,
)
from survstat.estimators.cox import cox
from survstat.estimators.kaplan_meier import kaplan_meier
from survstat.estimators.logrank import WEIGHTS, logrank


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
) -> None:
    """Kaplan–Meier curves with pointwise confidence intervals (R survfit).

    One row per group and distinct time: `<by>`, time, n_risk, n_event, n_censor, survival,
    std_error, conf_low, conf_high. With --at: `<by>`, time, n_risk, survival, std_error,
    conf_low, conf_high at the requested times.

    Example: `survstat km gbsg2.parquet --time time --event cens --by horTh --at 365,730`
    """
    params = clean(locals())
    times = parse_numbers(at, "--at")
    sd = load(data, time=time, event=event, by=split_columns(by), entry=entry, weight=weight)
    with err_console.status("Fitting Kaplan–Meier curves …"):
        fit = kaplan_meier(sd, conf_type=conf_type.value, conf_level=conf_level)
        table = fit.table if times is None else fit.at(times)
    title = f"Kaplan–Meier ({conf_type.value} {conf_level:g} CI, {fit.variance} variance)"
    print_table(table, title)
    write_output(
        table,
        output,
        analysis="km",
        parameters=params,
        data=data,
        n_rows=sd.n_rows,
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
) -> None:
    """Median survival with CI per group, and RMST up to --tau (R print.survfit).

    One row per group: `<by>`, n, n_event, median, conf_low, conf_high (median CI), plus rmst,
    rmst_std_error with --tau.

    Example: `survstat summary gbsg2.parquet --time time --event cens --by horTh --tau 1825`
    """
    params = clean(locals())
    sd = load(data, time=time, event=event, by=split_columns(by), entry=entry, weight=weight)
    with err_console.status("Fitting Kaplan–Meier curves …"):
        fit = kaplan_meier(sd, conf_type=conf_type.value, conf_level=conf_level)
        table = fit.summary(tau=tau)
    print_table(table, f"Median survival ({conf_type.value} {conf_level:g} CI)")
    write_output(table, output, analysis="summary", parameters=params, data=data, n_rows=sd.n_rows)


@user_errors
def logrank_cmd(
    data: DataArg,
    time: TimeOpt,
    event: EventOpt,
    by: Annotated[
        str, typer.Option("--by", help="Group column(s) to compare.", show_default=False)
    ],
    strata: StrataOpt = None,
    rho: Annotated[float, typer.Option("--rho", min=0.0, help="Fleming–Harrington rho.")] = 0.0,
    gamma: Annotated[
        float, typer.Option("--gamma", min=0.0, help="Fleming–Harrington gamma.")
    ] = 0.0,
    weights: Annotated[
        str,
        typer.Option("--weights", help=f"Test weights: {', '.join(WEIGHTS)}."),
    ] = "logrank",
    trend: Annotated[
        bool, typer.Option("--trend", help="Add the trend test over ordered groups.")
    ] = False,
    weight: WeightOpt = None,
    output: OutputOpt = None,
) -> None:
    """Log-rank test and its weighted, stratified and trend variants (R survdiff).

    One row: statistic, df, p_value (then test, rho, gamma; trend_statistic and trend_p_value
    with --trend). Observed and expected events per group are printed.

    Example: `survstat logrank gbsg2.parquet --time time --event cens --by horTh --strata tgrade`
    """
    params = clean(locals())
    if weights not in WEIGHTS:
        raise typer.BadParameter(f"must be one of {', '.join(WEIGHTS)}", param_hint="--weights")
    sd = load(
        data,
        time=time,
        event=event,
        by=split_columns(by),
        strata=split_columns(strata),
        weight=weight,
    )
    with err_console.status("Computing the test …"):
        res = logrank(sd, weights=weights, rho=rho, gamma=gamma)
    table = res.table
    if trend:
        tr = res.trend()
        table = table.with_columns(
            trend_statistic=tr.get_column("statistic"), trend_p_value=tr.get_column("p_value")
        )
    print_table(res.per_group, "Observed and expected events")
    print_table(table, f"{res.table.get_column('test').item()} test")
    write_output(table, output, analysis="logrank", parameters=params, data=data, n_rows=sd.n_rows)


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

    One row per term: term, coef, std_error, hazard_ratio, conf_low, conf_high, z, p_value.
    Text columns become indicators against their first level, named like `arm[B]`; the
    likelihood-ratio, Wald and score tests are printed.

    Example: `survstat cox gbsg2.parquet --time time --event cens --covariates horTh,age,tgrade`
    """
    params = clean(locals())
    if ties not in ("efron", "breslow"):
        raise typer.BadParameter("must be efron or breslow", param_hint="--ties")
    terms = split_columns(covariates) or []
    sd = load(data, time=time, event=event, strata=split_columns(strata), weight=weight)
    with err_console.status("Fitting the Cox model …"):
        fit = cox(sd, covariates=terms, ties=ties, cluster=cluster, conf_level=conf_level)
    variance = "robust" if fit.robust else "model-based"
    print_table(fit.table, f"Cox model ({ties} ties, {variance} standard errors)")
    print_table(fit.tests, "Global tests")
    err_console.print(
        f"concordance {fit.concordance.value:.4f}; n = {fit.n}, events = {fit.n_event}",
        highlight=False,
    )
    write_output(fit.table, output, analysis="cox", parameters=params, data=data, n_rows=sd.n_rows)
