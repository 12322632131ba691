"""The `response` and `compare-rates` commands (response rates)."""

from __future__ import annotations

from typing import Annotated

import typer

from survstat._choices import ALTERNATIVES, MISSING
from survstat._choices import RATE_METHODS as METHODS
from survstat.cli._common import (
    ByOpt,
    ConfLevelOpt,
    DataArg,
    OutputOpt,
    clean,
    run,
    split_columns,
    user_errors,
)


@user_errors
def response(
    data: DataArg,
    response_col: Annotated[
        str,
        typer.Option(
            "--response", help="Response column (0/1, boolean, or categorical).", show_default=False
        ),
    ],
    responder_values: Annotated[
        str | None,
        typer.Option("--responder-values", help="Values that count as a response, e.g. CR,PR."),
    ] = None,
    by: ByOpt = None,
    method: Annotated[
        str, typer.Option("--method", help=f"Interval: {', '.join(METHODS)}.")
    ] = "clopper-pearson",
    conf_level: ConfLevelOpt = 0.95,
    null_rate: Annotated[
        float | None,
        typer.Option("--null-rate", help="Test against this rate (exact binomial test)."),
    ] = None,
    alternative: Annotated[
        str, typer.Option("--alternative", help="two-sided, greater or less.")
    ] = "two-sided",
    missing: Annotated[
        str,
        typer.Option("--missing", help="Missing responses: nonresponder (ITT) or exclude."),
    ] = "nonresponder",
    output: OutputOpt = None,
) -> None:
    """Response rate with an exact (or score) confidence interval per group (R binom.test).

    One row per group: `<by>`, n, n_responders, rate, conf_low, conf_high, method, plus p_value
    (and null_rate, alternative, critical_responders) with --null-rate; n_missing and
    missing_as last.

    Example: `survstat response breast_trial_derived.parquet --response bor --responder-values
    CR,PR --by arm` (the output of the `survstat recist derive` example)
    """
    params = clean(locals())
    for name, value, allowed in (
        ("--method", method, METHODS),
        ("--alternative", alternative, ALTERNATIVES),
        ("--missing", missing, MISSING),
    ):
        if value not in allowed:
            raise typer.BadParameter(f"must be one of {', '.join(allowed)}", param_hint=name)
    run(
        "response",
        data,
        output=output,
        parameters=params,
        response=response_col,
        responder_values=split_columns(responder_values),
        by=split_columns(by),
        method=method,
        conf_level=conf_level,
        null_rate=null_rate,
        alternative=alternative,
        missing=missing,
    )


@user_errors
def compare_rates(
    data: DataArg,
    response_col: Annotated[
        str, typer.Option("--response", help="Response column.", show_default=False)
    ],
    by: Annotated[str, typer.Option("--by", help="Arm column.", show_default=False)],
    reference: Annotated[
        str | None, typer.Option("--reference", help="Reference arm (default: first level).")
    ] = None,
    responder_values: Annotated[
        str | None,
        typer.Option("--responder-values", help="Values that count as a response, e.g. CR,PR."),
    ] = None,
    strata: Annotated[
        str | None,
        typer.Option(
            "--strata", help="Stratification column(s): CMH test, MH odds ratio and difference."
        ),
    ] = None,
    difference_method: Annotated[
        str | None,
        typer.Option(
            "--difference-method",
            help="newcombe (default) or miettinen-nurminen; with --strata mh-sato (default) "
            "or mh-greenland-robins.",
        ),
    ] = None,
    test: Annotated[
        str | None,
        typer.Option(
            "--test",
            help="fisher (default), chi-square, chi-square-uncorrected; cmh with --strata.",
        ),
    ] = None,
    missing: Annotated[
        str,
        typer.Option("--missing", help="Missing responses: nonresponder (ITT) or exclude."),
    ] = "nonresponder",
    conf_level: ConfLevelOpt = 0.95,
    output: OutputOpt = None,
) -> None:
    """Compare response rates between arms: difference, odds ratio, exact or chi-square test.

    One row per non-reference arm: `<by>`, reference, difference, difference_conf_low,
    difference_conf_high, odds_ratio, odds_ratio_conf_low, odds_ratio_conf_high, p_value, test
    (then the methods, risk ratio and the counts).

    Example: `survstat compare-rates breast_trial_derived.parquet --response bor
    --responder-values CR,PR --by arm` (the output of the `survstat recist derive` example)
    """
    run(
        "compare-rates",
        data,
        output=output,
        parameters=clean(locals()),
        response=response_col,
        by=by,
        reference=reference,
        responder_values=split_columns(responder_values),
        missing=missing,
        conf_level=conf_level,
        difference_method=difference_method,
        test=test,
        strata=split_columns(strata),
    )
