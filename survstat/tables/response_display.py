"""The display of the response-rate table (RSPT01), built from its ARD alone.

:func:`response_display` reads the long-form analysis results data of
:func:`survstat.tables.response_table` and lays it out as tern's RSPT01 does: one column per
arm (header with its N); responders with their percent and the rate's interval; the
difference in response rates, its test and the odds ratio against the reference arm,
unstratified and, when the ARD has them, stratified; and the best overall response, each
category with its percent and interval. Nothing is recomputed: each cell is a value of the
ARD, formatted by the rules of :data:`survstat.tables.display.DECIMALS`, and the result is the
same :class:`~survstat.tables.display.DisplayTable` the renderers of
:mod:`survstat.tables.render` write.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from survstat.tables.display import (
    DisplayRow,
    DisplayTable,
    _Notes,
    _value,
    _whole,
    arm_column,
    format_number,
    population_line,
)

#: Names of the methods in the footnotes, by option value.
METHOD_NAMES = {
    "clopper-pearson": "Clopper-Pearson",
    "wilson": "Wilson",
    "wilson-cc": "Wilson with continuity correction",
    "jeffreys": "Jeffreys",
    "agresti-coull": "Agresti-Coull",
    "mid-p": "mid-p",
    "wald": "Wald",
    "newcombe": "Newcombe",
    "miettinen-nurminen": "Miettinen-Nurminen",
    "mh-sato": "Mantel-Haenszel (Sato variance)",
    "mh-greenland-robins": "Mantel-Haenszel (Greenland-Robins variance)",
    "exact": "conditional maximum likelihood with exact interval (R fisher.test)",
    "woolf": "Woolf (Wald on log odds ratio)",
    "fisher": "Fisher's exact test",
    "chi-square": "chi-square test with continuity correction",
    "chi-square-uncorrected": "chi-square test",
    "cmh": "Cochran-Mantel-Haenszel test with continuity correction",
    "cmh-uncorrected": "Cochran-Mantel-Haenszel test",
}
#: Row labels of the RECIST 1.1 best overall response categories; a missing response (null
#: category) reads ``Missing``, any other category its value.
CATEGORY_LABELS = {
    "CR": "Complete response (CR)",
    "PR": "Partial response (PR)",
    "SD": "Stable disease (SD)",
    "NON-CR/NON-PD": "Non-CR/non-PD",
    "PD": "Progressive disease (PD)",
    "NE": "Not evaluable (NE)",
}
_DEFAULTS = {
    "method": "clopper-pearson",
    "difference_method": "newcombe",
    "odds_ratio_method": "exact",
    "test": "fisher",
    "stratified_difference_method": "mh-sato",
    "stratified_test": "cmh",
}


def _name(method: str) -> str:
    return METHOD_NAMES.get(method, method)


def response_display(
    ard: pl.DataFrame,
    *,
    methods: Mapping[str, str] | None = None,
    conf_level: float = 0.95,
    title: str | None = None,
    population: str | None = None,
    source: str | None = None,
) -> DisplayTable:
    """Lay out the ARD of :func:`survstat.tables.response_table` as the RSPT01 display.

    Parameters
    ----------
    ard
        The ARD (``ResponseTable.ard``, or the Parquet file ``table response -o`` writes): an
        arm column, then ``statistic, time, estimate, std_error, conf_low, conf_high,
        censored, note, category``; the reference arm's rows come first.
    methods
        The methods the ARD was computed with, for the footnotes: ``method``,
        ``difference_method``, ``odds_ratio_method``, ``test``,
        ``stratified_difference_method``, ``stratified_test`` (the defaults of
        :func:`survstat.tables.response_table` for those not given).
    conf_level
        The level of its intervals: the ``95% CI`` labels and the footnotes.
    title
        The title; default ``Response rate summary by <arm column>``.
    population
        The analysis population line, or None for none.
    source
        The data file, named in a footnote; None for none.

    Returns
    -------
    DisplayTable
        The rows, in tern's RSPT01 order: responders n (%) with the rate's CI; the
        unstratified analysis (difference in response rates (%) with its CI, p-value, odds
        ratio with its CI); the stratified analysis when the ARD has one; the best overall
        response, n (%) and CI per category. Null values show ``NE`` with their note as a
        numbered footnote; the methods are named in the footnotes.

    Raises
    ------
    ColumnNotFoundError
        When ``ard`` lacks one of the response ARD's columns.
    InputFormatError
        When its first column is not the arm column or it has other columns.

    References
    ----------
    1. tern (Roche), RSPT01 response table (``estimate_proportion``,
       ``estimate_proportion_diff``, ``test_proportion_diff``, ``estimate_odds_ratio``,
       ``estimate_multinomial_response``).

    Examples
    --------
    >>> import polars as pl
    >>> from survstat.tables import response_table
    >>> from survstat.tables.response_display import response_display
    >>> df = pl.DataFrame({"bor": ["PR"] * 13 + ["SD"] * 11 + ["CR"] * 5 + ["PD"] * 17,
    ...                    "arm": ["new"] * 24 + ["ctl"] * 22})
    >>> t = response_table(df, by="arm", response="bor", responder_values=["CR", "PR"],
    ...                    reference="ctl")
    >>> d = response_display(t.ard)
    >>> d.columns
    ('ctl (N=22)', 'new (N=24)')
    >>> d.rows[0]
    DisplayRow(label='Responders', cells=('5 (22.7%)', '13 (54.2%)'), indent=0)
    """
    from survstat.tables import RESPONSE_ARD_COLUMNS

    by = arm_column(ard, RESPONSE_ARD_COLUMNS, "table response")
    chosen = {**_DEFAULTS, **{k: v for k, v in (methods or {}).items() if v}}
    arms = ard.get_column(by).unique(maintain_order=True).to_list()
    rows_of = {(r[by], r["statistic"], r["category"]): r for r in ard.iter_rows(named=True)}

    def get(arm: Any, statistic: str, category: str | None = None) -> dict[str, Any] | None:
        return rows_of.get((arm, statistic, category))

    notes = _Notes()
    level = f"{100 * conf_level:g}% CI"
    out: list[DisplayRow] = []

    def add(label: str, cells: list[str], indent: int = 0) -> None:
        out.append(DisplayRow(label, tuple(cells), indent))

    def values(statistic: str, kind: str, category: str | None = None) -> list[str]:
        return [_value(get(a, statistic, category), kind, a, notes) for a in arms]

    def interval(statistic: str, kind: str, category: str | None = None) -> list[str]:
        cells = []
        for a in arms:
            r = get(a, statistic, category)
            cells.append(
                ""
                if r is None
                else f"({format_number(r['conf_low'], kind)}, "
                f"{format_number(r['conf_high'], kind)})"
            )
        return cells

    def count_percent(count_statistic: str, rate_statistic: str, category: Any = None) -> list:
        cells = []
        for a in arms:
            count = (get(a, count_statistic, category) or {}).get("estimate")
            rate = (get(a, rate_statistic, category) or {}).get("estimate")
            pct = None if rate is None else 100.0 * rate
            cells.append(f"{format_number(count, 'count')} ({format_number(pct, 'percent')}%)")
        return cells

    n = {a: (get(a, "n") or {}).get("estimate") or 0.0 for a in arms}
    add("Responders", count_percent("n_responders", "rate"))
    add(level, interval("rate", "rate"), 1)
    for heading, suffix in (("Unstratified analysis", ""), ("Stratified analysis", "_stratified")):
        if not any(get(a, "rate_difference" + suffix) for a in arms):
            continue
        test = chosen["stratified_test" if suffix else "test"]
        add(heading, [""] * len(arms))
        add("Difference in response rate (%)", values("rate_difference" + suffix, "rate"), 1)
        add(level, interval("rate_difference" + suffix, "rate"), 2)
        p_cells = [_value(_whole(get(a, "p_value" + suffix)), "p_value", a, notes) for a in arms]
        add(f"p-value ({_name(test)})", p_cells, 1)
        add("Odds ratio", values("odds_ratio" + suffix, "odds_ratio"), 1)
        add(level, interval("odds_ratio" + suffix, "odds_ratio"), 2)
    categories = (
        ard.filter(pl.col("statistic") == "category_n")
        .get_column("category")
        .unique(maintain_order=True)
        .to_list()
    )
    if categories:
        add("Best overall response", [""] * len(arms))
        for category in categories:
            label = "Missing" if category is None else CATEGORY_LABELS.get(category, str(category))
            add(label, count_percent("category_n", "category_rate", category), 1)
            add(level, interval("category_rate", "rate", category), 2)
    footnotes = [
        f"Responders and response categories: {level}s by the {_name(chosen['method'])} "
        "method; percents of the arm's N.",
        f"Difference in response rates: {level} by the "
        f"{_name(chosen['difference_method'])} method; odds ratio: "
        f"{_name(chosen['odds_ratio_method'])}; each arm against the reference alone.",
    ]
    if any(get(a, "rate_difference_stratified") for a in arms):
        footnotes.append(
            f"Stratified analysis: difference by {_name(chosen['stratified_difference_method'])}"
            f", Mantel-Haenszel odds ratio, p-value by the {_name(chosen['stratified_test'])}."
        )
    footnotes.append(f"Reference arm: {arms[0]}. NE: not estimable.")
    if source is not None:
        footnotes.append(f"Source: {source}")
    return DisplayTable(
        title=title or f"Response rate summary by {by}",
        population=population,
        columns=tuple(f"{a} (N={format_number(n[a], 'count')})" for a in arms),
        rows=tuple(out),
        footnotes=tuple(notes.footnotes() + footnotes),
    )


def run_response_display(
    ard: pl.DataFrame, parameters: Mapping[str, Any], *, source: str | None = None
) -> DisplayTable:
    """The display of ``table response``'s ARD, given the options it was run with.

    Parameters
    ----------
    ard
        The ARD the run returned.
    parameters
        The run's options as recorded in its provenance: the methods (see
        :func:`response_display`), ``conf_level``, ``population`` and ``param``.
    source
        The data file, named in a footnote.

    Returns
    -------
    DisplayTable
        :func:`response_display` of the ARD, titled by the parameter when one was chosen.
    """
    by = ard.columns[0] if ard.width else "arm"
    param = parameters.get("param")
    return response_display(
        ard,
        methods={k: str(parameters[k]) for k in _DEFAULTS if parameters.get(k)},
        conf_level=float(parameters.get("conf_level") or 0.95),
        title=f"{param}: response rate summary by {by}" if param else None,
        population=population_line(parameters.get("population")),
        source=source,
    )


__all__ = [
    "CATEGORY_LABELS",
    "METHOD_NAMES",
    "response_display",
    "run_response_display",
]
