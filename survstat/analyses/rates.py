"""Response-rate analyses: response, compare-rates.

Each function is the declaration of its command (see :mod:`survstat.analyses._declare`); the
estimators load when it runs.
"""

from __future__ import annotations

from typing import Annotated

from survstat._choices import (
    Alternative,
    DifferenceMethod,
    Missing,
    OddsRatioMethod,
    RateMethod,
    RateTest,
)
from survstat.analyses._core import Analysis, AnalysisOutput, Extra, names
from survstat.analyses._declare import Column, Data, Option
from survstat.analyses._options import Adsl, By, ConfLevel, ParamColumn, Population

#: Values that count as a response.
ResponderValues = Annotated[
    list[str] | None, Option(help="Values that count as a response, e.g. CR,PR.")
]
#: The response column; AVALC by default for ADaM ADRS data.
RateResponse = Annotated[
    str | None,
    Column(
        "data",
        help="Response column (0/1, boolean, or categorical; AVALC for ADaM ADRS data).",
        provenance="response_col",
    ),
]
#: The ADRS parameter whose rows are analysed.
RateParam = Annotated[
    str | None,
    Option(help="Analyse only the rows of this parameter (ADaM ADRS PARAMCD, e.g. BOR, CBOR)."),
]
MissingAs = Annotated[Missing, Option(help="Missing responses: nonresponder (ITT) or exclude.")]


def response(
    data: Data,
    adsl: Adsl = None,
    *,
    response: RateResponse = None,
    param: RateParam = None,
    param_column: ParamColumn = "PARAMCD",
    population: Population = None,
    responder_values: ResponderValues = None,
    by: By = None,
    method: Annotated[RateMethod, Option(help="Interval method.")] = "clopper-pearson",
    conf_level: ConfLevel = 0.95,
    null_rate: Annotated[
        float | None, Option(help="Test against this rate (exact binomial test).")
    ] = None,
    alternative: Annotated[Alternative, Option(help="two-sided, greater or less.")] = "two-sided",
    missing: MissingAs = "nonresponder",
) -> AnalysisOutput:
    """Response rate with an exact (or score) confidence interval per group (R binom.test).

    One row per group: `<by>`, n, n_responders, rate, conf_low, conf_high, method, plus p_value
    (and null_rate, alternative, critical_responders) with --null-rate; n_missing and
    missing_as last.

    Example: `survstat response breast_trial_derived.parquet --response bor --responder-values
    CR,PR --by arm` (the output of the `survstat recist derive` example)

    Returns
    -------
    AnalysisOutput
        One row per group.
    """
    from survstat.adsl import with_adsl
    from survstat.data import response_roles
    from survstat.estimators.proportions import proportion

    data, response = response_roles(data, response=response, param=param, param_column=param_column)
    subjects = with_adsl(data, adsl, population=population)
    fit = proportion(
        subjects.data,
        response=response,
        responder_values=responder_values,
        by=names(by),
        method=method,
        conf_level=conf_level,
        null_rate=null_rate,
        alternative=alternative,
        missing=missing,
    )
    n_rows = int(fit.table.get_column("n").sum())
    if missing == "exclude":
        n_rows += int(fit.table.get_column("n_missing").sum())
    title = f"Response rate ({method} {conf_level:g} CI)"
    return AnalysisOutput(fit.table, title, n_rows, notes=subjects.notes)


def compare_rates(
    data: Data,
    adsl: Adsl = None,
    *,
    response: RateResponse = None,
    by: Annotated[str, Column("data", help="Arm column.")],
    param: RateParam = None,
    param_column: ParamColumn = "PARAMCD",
    population: Population = None,
    reference: Annotated[
        str | int | None, Option(help="Reference arm (default: first level).")
    ] = None,
    responder_values: ResponderValues = None,
    strata: Annotated[
        list[str] | None,
        Column("data", help="Stratification column(s): CMH test, MH odds ratio and difference."),
    ] = None,
    difference_method: Annotated[
        DifferenceMethod | None,
        Option(
            help="newcombe (default) or miettinen-nurminen; with --strata mh-sato (default) "
            "or mh-greenland-robins."
        ),
    ] = None,
    test: Annotated[
        RateTest | None,
        Option(help="fisher (default), chi-square, chi-square-uncorrected; cmh with --strata."),
    ] = None,
    odds_ratio_method: Annotated[
        OddsRatioMethod | None,
        Option(
            help="Odds ratio: exact (default, conditional MLE with its exact interval, as R "
            "fisher.test) or woolf (sample odds ratio, Wald interval on the log scale); with "
            "--strata the Mantel-Haenszel odds ratio."
        ),
    ] = None,
    missing: MissingAs = "nonresponder",
    conf_level: ConfLevel = 0.95,
) -> AnalysisOutput:
    """Compare response rates between arms: difference, odds ratio, exact or chi-square test.

    One row per non-reference arm: `<by>`, reference, difference, difference_conf_low,
    difference_conf_high, odds_ratio, odds_ratio_conf_low, odds_ratio_conf_high, p_value, test
    (then the methods, risk ratio and the counts).

    Example: `survstat compare-rates breast_trial_derived.parquet --response bor
    --responder-values CR,PR --by arm` (the output of the `survstat recist derive` example)

    Returns
    -------
    AnalysisOutput
        One row per non-reference arm, with the ``rates`` extra.
    """
    from survstat.adsl import with_adsl
    from survstat.data import response_roles
    from survstat.estimators.compare_rates import compare_proportions

    data, response = response_roles(data, response=response, param=param, param_column=param_column)
    subjects = with_adsl(data, adsl, population=population)
    fit = compare_proportions(
        subjects.data,
        response=response,
        by=by,
        reference=reference,
        responder_values=responder_values,
        missing=missing,
        conf_level=conf_level,
        difference_method=difference_method,
        test=test,
        odds_ratio_method=odds_ratio_method,
        strata=names(strata),
    )
    reference_arm = fit.table.get_column("reference")[0] if fit.table.height else reference
    return AnalysisOutput(
        fit.table,
        f"Comparison with {reference_arm}",
        int(fit.rates.get_column("n").sum()),
        extras=(Extra("rates", "Response rates", fit.rates),),
        notes=subjects.notes,
    )


RATE_ANALYSES = (
    Analysis("response", response),
    Analysis("compare-rates", compare_rates),
)
