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
    Engine,
    EngineOpt,
    EntryOpt,
    OutputOpt,
    SparkMasterOpt,
    StrataOpt,
    TimeOpt,
    WeightOpt,
    clean,
    code_value,
    parse_numbers,
    run,
    split_columns,
    user_errors,
)

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
    engine: EngineOpt = Engine.polars,
    spark_master: SparkMasterOpt = None,
) -> None:
    """Cumulative incidence of competing risks (Aalen–Johansen; R cmprsk::cuminc).

    One row per group, cause and distinct time: `<by>`, cause, time, n_risk, n_event, cif,
    std_error, conf_low, conf_high. With --at: `<by>`, cause, time, cif, std_error, conf_low,
    conf_high (R cmprsk::timepoints).

    Example: `survstat cif cml_endpoints.parquet --time time --cause cause --by arm --at 12,24`
    (time to MR4.5, competing discontinuation, progression and death: the output of the
    `survstat cml endpoints` example)

    On Spark: `survstat cif "registry/*.parquet" --time days --cause cause --by arm
    --engine spark`
    """
    run(
        "cif",
        data,
        output=output,
        engine=engine,
        spark_master=spark_master,
        parameters=clean(locals()),
        time=time,
        cause=cause,
        by=split_columns(by),
        censor_value=code_value(censor_value),
        entry=entry,
        weight=weight,
        variance=variance,
        conf_type=conf_type.value,
        conf_level=conf_level,
        at=parse_numbers(at, "--at"),
    )


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
    rho: Annotated[
        float, typer.Option("--rho", help="Weight (1 - F(t-))^rho; default 0 (equal weights).")
    ] = 0.0,
    output: OutputOpt = None,
    engine: EngineOpt = Engine.polars,
    spark_master: SparkMasterOpt = None,
) -> None:
    """Gray's test of equal cumulative incidence across groups, per cause (R cmprsk::cuminc).

    One row per cause: cause, statistic, df, p_value.

    Example: `survstat gray cml_endpoints.parquet --time time --cause cause --by arm`
    (the output of the `survstat cml endpoints` example)
    """
    run(
        "gray",
        data,
        output=output,
        engine=engine,
        spark_master=spark_master,
        parameters=clean(locals()),
        time=time,
        cause=cause,
        by=split_columns(by),
        strata=split_columns(strata),
        censor_value=code_value(censor_value),
        rho=rho,
    )


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

    One row per term: term, coef, std_error, hazard_ratio, conf_low, conf_high, z, p_value,
    status; hazard_ratio is the subdistribution hazard ratio and status is as for `cox` (ok,
    aliased, infinite, not converged). A model table (n, events, competing events,
    log-likelihoods, iterations, converged, aliased and infinite terms) is printed and
    written beside the output.

    Example: `survstat finegray cml_endpoints.parquet --time time --cause cause --failcode 1
    --covariates arm` (the output of the `survstat cml endpoints` example)
    """
    run(
        "finegray",
        data,
        output=output,
        parameters=clean(locals()),
        time=time,
        cause=cause,
        failcode=code_value(failcode),
        covariates=split_columns(covariates),
        censor_value=code_value(censor_value),
        conf_level=conf_level,
    )
