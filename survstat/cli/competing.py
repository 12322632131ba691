"""The `cif` and `gray` commands (competing risks)."""

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
from survstat.estimators.cumulative_incidence import cumulative_incidence
from survstat.estimators.fine_gray import fine_gray
from survstat.estimators.gray import gray_test

CauseOpt = Annotated[
    str,
    typer.Option(
        "--cause", help="Cause column: 0 = censored, other codes = causes.", show_default=False
    ),
]
CensorOpt = Annotated[
    str | None,
    typer.Option(
        "--censor-value",
        help="Value of the cause column that means censored (default 0 for integer codes).",
    ),
]


def _censor(value: str | None) -> object:
    """Text from the command line; an integer when the cause column holds integer codes."""
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return value


@user_errors
def cif(
    data: DataArg,
    time: TimeOpt,
    cause: CauseOpt,
    by: ByOpt = None,
    censor_value: CensorOpt = None,
    entry: EntryOpt = None,
    weight: WeightOpt = None,
    variance: Annotated[
        str,
        typer.Option(
            "--variance",
            help="auto, cuminc (cmprsk), delta (SAS ERROR=DELTA) or robust (R survfit).",
        ),
    ] = "auto",
    conf_type: ConfTypeOpt = ConfType.log_log,
    conf_level: ConfLevelOpt = 0.95,
    at: Annotated[
        str | None,
        typer.Option("--at", help="Report incidence at these times (comma-separated) instead."),
    ] = None,
    output: OutputOpt = None,
) -> None:
    """Cumulative incidence of competing risks (Aalen–Johansen; R cmprsk::cuminc).

    One row per group, cause and distinct time: `<by>`, cause, time, n_risk, n_event, cif,
    std_error, conf_low, conf_high. With --at: `<by>`, cause, time, cif, std_error, conf_low,
    conf_high (R cmprsk::timepoints).

    Example: `survstat cif bmt.parquet --time ftime --cause status --by dis --at 12,24`
    """
    params = clean(locals())
    times = parse_numbers(at, "--at")
    sd = load(
        data,
        competing=True,
        time=time,
        cause=cause,
        by=split_columns(by),
        censor_value=_censor(censor_value),
        entry=entry,
        weight=weight,
    )
    with err_console.status("Estimating cumulative incidence …"):
        fit = cumulative_incidence(
            sd, conf_level=conf_level, variance=variance, conf_type=conf_type.value
        )
        table = fit.table if times is None else fit.at(times)
    title = f"Cumulative incidence ({conf_type.value} {conf_level:g} CI, {fit.variance} variance)"
    print_table(table, title)
    write_output(table, output, analysis="cif", parameters=params, data=data, n_rows=sd.n_rows)


@user_errors
def gray(
    data: DataArg,
    time: TimeOpt,
    cause: CauseOpt,
    by: Annotated[
        str, typer.Option("--by", help="Group column(s) to compare.", show_default=False)
    ],
    strata: StrataOpt = None,
    censor_value: CensorOpt = None,
    rho: Annotated[float, typer.Option("--rho", help="Weight (1 - F(t-))^rho.")] = 0.0,
    output: OutputOpt = None,
) -> None:
    """Gray's test of equal cumulative incidence across groups, per cause (R cmprsk::cuminc).

    One row per cause: cause, statistic, df, p_value.

    Example: `survstat gray bmt.parquet --time ftime --cause status --by dis`
    """
    params = clean(locals())
    sd = load(
        data,
        competing=True,
        time=time,
        cause=cause,
        by=split_columns(by),
        strata=split_columns(strata),
        censor_value=_censor(censor_value),
    )
    with err_console.status("Computing Gray's test …"):
        res = gray_test(sd, rho=rho)
    print_table(res.table, "Gray's test")
    write_output(res.table, output, analysis="gray", parameters=params, data=data, n_rows=sd.n_rows)


@user_errors
def finegray(
    data: DataArg,
    time: TimeOpt,
    cause: CauseOpt,
    failcode: Annotated[
        str, typer.Option("--failcode", help="The cause of interest.", show_default=False)
    ],
    covariates: Annotated[
        str,
        typer.Option(
            "--covariates", help="Covariate columns, comma-separated.", show_default=False
        ),
    ],
    censor_value: CensorOpt = None,
    conf_level: ConfLevelOpt = 0.95,
    output: OutputOpt = None,
) -> None:
    """Fine–Gray subdistribution hazards model for one cause (R cmprsk::crr).

    One row per term: term, coef, std_error, hazard_ratio, conf_low, conf_high, z, p_value;
    hazard_ratio is the subdistribution hazard ratio.

    Example: `survstat finegray bmt.parquet --time ftime --cause status --failcode 1
    --covariates dis`
    """
    params = clean(locals())
    terms = split_columns(covariates) or []
    sd = load(data, competing=True, time=time, cause=cause, censor_value=_censor(censor_value))
    with err_console.status("Fitting the Fine–Gray model …"):
        fit = fine_gray(sd, covariates=terms, failcode=_censor(failcode), conf_level=conf_level)
    print_table(fit.table, f"Fine–Gray model for cause {fit.failcode}")
    write_output(
        fit.table, output, analysis="finegray", parameters=params, data=data, n_rows=sd.n_rows
    )
