"""Response-rate analyses: response, compare-rates."""

from __future__ import annotations

from typing import cast

from survstat._choices import Alternative, DifferenceMethod, Missing, RateMethod, RateTest
from survstat.analyses._core import Analysis, AnalysisOutput, Extra, column_roles, names
from survstat.estimators.compare_rates import (
    DIFFERENCE_METHODS,
    STRATIFIED_DIFFERENCE_METHODS,
    TESTS,
    compare_proportions,
)
from survstat.estimators.proportions import ALTERNATIVES, METHODS, MISSING, proportion
from survstat.io import FrameLike


def response(
    data: FrameLike,
    *,
    response: str,
    responder_values: list[str] | None = None,
    by: list[str] | None = None,
    method: str = "clopper-pearson",
    conf_level: float = 0.95,
    null_rate: float | None = None,
    alternative: str = "two-sided",
    missing: str = "nonresponder",
) -> AnalysisOutput:
    """Response rate with an exact (or score) confidence interval per group (R binom.test)."""
    fit = proportion(
        data,
        response=response,
        responder_values=responder_values,
        by=names(by),
        method=cast("RateMethod", method),
        conf_level=conf_level,
        null_rate=null_rate,
        alternative=cast("Alternative", alternative),
        missing=cast("Missing", missing),
    )
    n_rows = int(fit.table.get_column("n").sum())
    if missing == "exclude":
        n_rows += int(fit.table.get_column("n_missing").sum())
    return AnalysisOutput(fit.table, f"Response rate ({method} {conf_level:g} CI)", n_rows)


def compare_rates(
    data: FrameLike,
    *,
    response: str,
    by: str,
    reference: str | int | None = None,
    responder_values: list[str] | None = None,
    strata: list[str] | None = None,
    difference_method: str | None = None,
    test: str | None = None,
    missing: str = "nonresponder",
    conf_level: float = 0.95,
) -> AnalysisOutput:
    """Compare response rates between arms: difference, odds ratio, exact or chi-square test."""
    fit = compare_proportions(
        data,
        response=response,
        by=by,
        reference=reference,
        responder_values=responder_values,
        missing=cast("Missing", missing),
        conf_level=conf_level,
        difference_method=cast("DifferenceMethod | None", difference_method),
        test=cast("RateTest | None", test),
        strata=names(strata),
    )
    reference_arm = fit.table.get_column("reference")[0] if fit.table.height else reference
    return AnalysisOutput(
        fit.table,
        f"Comparison with {reference_arm}",
        int(fit.rates.get_column("n").sum()),
        extras=(Extra("rates", "Response rates", fit.rates),),
    )


RATE_ANALYSES = (
    Analysis(
        "response",
        response,
        columns=column_roles(data=("response", "by")),
        choices={"method": tuple(METHODS), "alternative": ALTERNATIVES, "missing": MISSING},
    ),
    Analysis(
        "compare-rates",
        compare_rates,
        columns=column_roles(data=("response", "by", "strata")),
        choices={
            "difference_method": (*DIFFERENCE_METHODS, *STRATIFIED_DIFFERENCE_METHODS),
            "test": TESTS,
            "missing": MISSING,
        },
    ),
)
