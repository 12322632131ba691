"""Comparing response rates between arms: each group's 2 x 2 table against a reference arm.

:func:`compare_proportions` reads the response and arm columns, builds each group's table
against the reference and reports the difference, odds ratio and risk ratio of the response
rates with their intervals and a test. The single-table methods live in
:mod:`survstat.estimators.two_by_two`, the stratified (Mantel-Haenszel) ones in
:mod:`survstat.estimators.mantel_haenszel`; both are importable from here too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from survstat._choices import (
    DifferenceMethod,
    MantelHaenszelVariance,
    Missing,
    OddsRatioMethod,
    RateTest,
)
from survstat.errors import EstimationError, InvalidValueError, OptionError, check_choice
from survstat.estimators.mantel_haenszel import (
    cmh_test,
    mantel_haenszel_difference,
    mantel_haenszel_odds_ratio,
)
from survstat.estimators.proportions import proportion
from survstat.estimators.two_by_two import (
    chi_square_p_value,
    exact_odds_ratio,
    fisher_p_value,
    miettinen_nurminen_interval,
    newcombe_interval,
    risk_ratio,
    woolf_odds_ratio,
    zero_margin,
)

__all__ = [
    "DIFFERENCE_METHODS",
    "ODDS_RATIO_METHODS",
    "STRATIFIED_DIFFERENCE_METHODS",
    "TESTS",
    "ComparisonResult",
    "chi_square_p_value",
    "cmh_test",
    "compare_proportions",
    "exact_odds_ratio",
    "fisher_p_value",
    "mantel_haenszel_difference",
    "mantel_haenszel_odds_ratio",
    "miettinen_nurminen_interval",
    "newcombe_interval",
    "risk_ratio",
    "woolf_odds_ratio",
]

DIFFERENCE_METHODS: dict[str, Callable[[int, int, int, int, float], tuple[float, float]]] = {
    "newcombe": newcombe_interval,
    "miettinen-nurminen": miettinen_nurminen_interval,
}
STRATIFIED_DIFFERENCE_METHODS: dict[str, MantelHaenszelVariance] = {
    "mh-sato": "sato",
    "mh-greenland-robins": "greenland-robins",
}
ODDS_RATIO_METHODS: dict[str, Callable[[int, int, int, int, float], tuple[float, float, float]]] = {
    "exact": exact_odds_ratio,
    "woolf": woolf_odds_ratio,
}
TESTS = ("fisher", "chi-square", "chi-square-uncorrected", "cmh", "cmh-uncorrected")


@dataclass(frozen=True, slots=True)
class ComparisonResult:
    """Each group's response rate compared with a reference group.

    Attributes
    ----------
    table
        One row per non-reference group: the ``by`` column, then ``reference, difference,
        difference_conf_low, difference_conf_high, odds_ratio, odds_ratio_conf_low,
        odds_ratio_conf_high, p_value, test``, then ``difference_method, odds_ratio_method,
        risk_ratio, risk_ratio_conf_low, risk_ratio_conf_high, n, n_responders, reference_n,
        reference_n_responders``.
    rates
        The per-group rates (as :func:`survstat.proportion`).
    """

    table: pl.DataFrame
    rates: pl.DataFrame


def compare_proportions(
    data: Any,
    *,
    response: str,
    by: str,
    reference: Any = None,
    responder_values: Sequence[Any] | None = None,
    missing: Missing = "nonresponder",
    conf_level: float = 0.95,
    difference_method: DifferenceMethod | None = None,
    odds_ratio_method: OddsRatioMethod | None = None,
    test: RateTest | None = None,
    strata: str | Sequence[str] | None = None,
) -> ComparisonResult:
    """Compare each group's response rate with a reference group (2 x 2 tables).

    Parameters
    ----------
    data, response, responder_values, missing
        As in :func:`survstat.proportion`.
    by
        The arm column.
    reference
        The reference level of ``by`` (default: the first sorted level); matched as text, so
        ``1`` and ``"1"`` name the same level.
    conf_level
        Level of every interval, 0.95 by default.
    difference_method
        ``"newcombe"`` (hybrid score, default) or ``"miettinen-nurminen"``; with strata
        ``"mh-sato"`` (default) or ``"mh-greenland-robins"``, the variance behind the Wald
        interval of the Mantel-Haenszel risk difference.
    odds_ratio_method
        ``"exact"`` (conditional MLE and exact interval, as ``fisher.test``; default) or
        ``"woolf"``. With strata the odds ratio is always Mantel-Haenszel's, so giving this is
        an error there. The exact odds ratio and its limits are null when the table has a zero
        margin (no responders at all, or no non-responders), where the conditional likelihood
        carries no information, and an infinite estimate or limit is null.
    test
        ``"fisher"`` (default), ``"chi-square"`` (Yates-corrected, as ``prop.test``) or
        ``"chi-square-uncorrected"``; with strata ``"cmh"`` (default, continuity-corrected as
        ``mantelhaen.test``) or ``"cmh-uncorrected"``.
    strata
        Stratification column(s): the test is Cochran-Mantel-Haenszel, the odds ratio the
        Mantel-Haenszel common odds ratio (Robins-Breslow-Greenland interval) and the difference
        the Mantel-Haenszel risk difference (Sato or Greenland-Robins interval). The risk
        ratio stays the crude (unstratified) one.

    Returns
    -------
    ComparisonResult
        One row per non-reference group with the difference, odds ratio, risk ratio and test,
        and the per-group rates.

    References
    ----------
    .. [1] Newcombe RG (1998). Interval estimation for the difference between independent
       proportions: comparison of eleven methods. Stat Med 17:873-890.
    .. [2] Agresti A (2013). Categorical Data Analysis, 3rd ed. Wiley, sections 3.1 and 6.4.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"r": [1] * 13 + [0] * 11 + [1] * 5 + [0] * 17,
    ...                    "arm": ["new"] * 24 + ["ctl"] * 22})
    >>> t = compare_proportions(df, response="r", by="arm", reference="ctl").table
    >>> round(t.get_column("p_value").item(), 4)
    0.038
    """
    strata_cols = [strata] if isinstance(strata, str) else list(strata or [])
    if by in strata_cols:
        raise OptionError(f"`{by}` cannot be both the arm and a stratum")
    test, difference_method, odds_ratio_method = _methods(
        bool(strata_cols), test, difference_method, odds_ratio_method
    )
    rates = proportion(
        data,
        response=response,
        responder_values=responder_values,
        by=by,
        missing=missing,
        conf_level=conf_level,
    ).table
    levels = rates.get_column(by).to_list()
    if len(levels) < 2:
        raise InvalidValueError(f"`{by}` has a single group; nothing to compare")
    ref = levels[0] if reference is None else reference
    matches = [lvl for lvl in levels if str(lvl) == str(ref)]
    if not matches:
        raise OptionError(f"reference level {ref!r} not found in `{by}`; levels: {levels}")
    ref = matches[0]
    cells = None
    if strata_cols:
        cells = proportion(
            data,
            response=response,
            responder_values=responder_values,
            by=[*strata_cols, by],
            missing=missing,
        ).table
    ref_row = rates.filter(pl.col(by) == ref).row(0, named=True)
    x2, n2 = int(ref_row["n_responders"]), int(ref_row["n"])
    rows = []
    for row in rates.filter(pl.col(by) != ref).iter_rows(named=True):
        x1, n1 = int(row["n_responders"]), int(row["n"])
        if cells is not None:
            tables = _strata_tables(cells, strata_cols, by, row[by], ref)
            stats = _stratified(tables, conf_level, test, difference_method)
        else:
            stats = _unstratified(
                (x1, n1, x2, n2), conf_level, test, difference_method, odds_ratio_method
            )
        rr, rr_lo, rr_hi = risk_ratio(x1, n1, x2, n2, conf_level)
        rows.append(
            {
                by: row[by],
                "reference": ref,
                **stats,
                "risk_ratio": rr,
                "risk_ratio_conf_low": rr_lo,
                "risk_ratio_conf_high": rr_hi,
                "n": n1,
                "n_responders": x1,
                "reference_n": n2,
                "reference_n_responders": x2,
            }
        )
    table = pl.DataFrame(
        rows, schema_overrides={by: rates.schema[by], "reference": rates.schema[by]}
    )
    # undefined (NaN) and unbounded (an odds ratio or limit of inf) values are null
    finite = [
        pl.when(pl.col(c).is_finite()).then(pl.col(c)).otherwise(None).alias(c)
        for c, t in table.schema.items()
        if t == pl.Float64
    ]
    return ComparisonResult(table=table.with_columns(finite), rates=rates)


def _methods(
    stratified: bool,
    test: RateTest | None,
    difference_method: DifferenceMethod | None,
    odds_ratio_method: OddsRatioMethod | None,
) -> tuple[RateTest, DifferenceMethod, OddsRatioMethod]:
    """The test, difference and odds ratio methods, with their defaults, checked against
    each other and against stratification."""
    if stratified and odds_ratio_method is not None:
        raise OptionError(
            "with strata the odds ratio is the Mantel-Haenszel common odds ratio; "
            f"odds_ratio_method={odds_ratio_method!r} would be ignored"
        )
    odds_ratio_method = odds_ratio_method or "exact"
    check_choice("odds_ratio_method", odds_ratio_method, ODDS_RATIO_METHODS)
    if test is None:
        test = "cmh" if stratified else "fisher"
    check_choice("test", test, TESTS)
    if stratified and not test.startswith("cmh"):
        raise OptionError("with strata the test is `cmh` or `cmh-uncorrected`")
    if not stratified and test.startswith("cmh"):
        raise OptionError("the CMH test needs `strata`")
    if stratified:
        difference_method = difference_method or "mh-sato"
        check_choice("difference_method", difference_method, STRATIFIED_DIFFERENCE_METHODS)
    else:
        difference_method = difference_method or "newcombe"
        check_choice("difference_method", difference_method, DIFFERENCE_METHODS)
    return test, difference_method, odds_ratio_method


def _unstratified(
    counts: tuple[int, int, int, int],
    conf_level: float,
    test: RateTest,
    difference_method: DifferenceMethod,
    odds_ratio_method: OddsRatioMethod,
) -> dict[str, Any]:
    """Difference, odds ratio and test of one 2 x 2 table (x1, n1, x2, n2)."""
    x1, n1, x2, n2 = counts
    lo, hi = DIFFERENCE_METHODS[difference_method](x1, n1, x2, n2, conf_level)
    odds, or_lo, or_hi = ODDS_RATIO_METHODS[odds_ratio_method](x1, n1, x2, n2, conf_level)
    if odds_ratio_method == "exact" and zero_margin(x1, n1, x2, n2):
        # a zero margin: the conditional likelihood is flat in the odds ratio
        odds, or_lo, or_hi = float("nan"), float("nan"), float("nan")
    if test == "fisher":
        p = fisher_p_value(x1, n1, x2, n2)
    else:
        p = chi_square_p_value(x1, n1, x2, n2, correct=test == "chi-square")
    return _statistics(
        (x1 / n1 - x2 / n2, lo, hi),
        (odds, or_lo, or_hi),
        p,
        test,
        difference_method,
        odds_ratio_method,
    )


def _stratified(
    tables: list[tuple[int, int, int, int]],
    conf_level: float,
    test: RateTest,
    difference_method: DifferenceMethod,
) -> dict[str, Any]:
    """Mantel-Haenszel difference and odds ratio and the CMH test over the strata's tables."""
    mh_variance = STRATIFIED_DIFFERENCE_METHODS[difference_method]
    difference = mantel_haenszel_difference(tables, conf_level, mh_variance)
    odds = mantel_haenszel_odds_ratio(tables, conf_level)
    p = cmh_test(tables, correct=test == "cmh")[1]
    return _statistics(difference, odds, p, test, difference_method, "mantel-haenszel")


def _statistics(
    difference: tuple[float, float, float],
    odds: tuple[float, float, float],
    p_value: float,
    test: str,
    difference_method: str,
    odds_ratio_method: str,
) -> dict[str, Any]:
    """The comparison's columns from ``difference`` to ``odds_ratio_method``, in table order."""
    return {
        "difference": difference[0],
        "difference_conf_low": difference[1],
        "difference_conf_high": difference[2],
        "odds_ratio": odds[0],
        "odds_ratio_conf_low": odds[1],
        "odds_ratio_conf_high": odds[2],
        "p_value": p_value,
        "test": test,
        "difference_method": difference_method,
        "odds_ratio_method": odds_ratio_method,
    }


def _strata_tables(
    cells: pl.DataFrame, strata: list[str], by: str, group: Any, ref: Any
) -> list[tuple[int, int, int, int]]:
    """(x1, n1, x2, n2) per stratum holding both the group and the reference."""
    both = cells.filter(pl.col(by).is_in([group, ref]))
    tables = []
    for _, part in both.group_by(strata, maintain_order=True):
        g = part.filter(pl.col(by) == group)
        r = part.filter(pl.col(by) == ref)
        if g.height and r.height:
            tables.append(
                (
                    int(g.get_column("n_responders").item()),
                    int(g.get_column("n").item()),
                    int(r.get_column("n_responders").item()),
                    int(r.get_column("n").item()),
                )
            )
    if not tables:
        raise EstimationError(f"no stratum holds both {group!r} and the reference {ref!r}")
    return tables
