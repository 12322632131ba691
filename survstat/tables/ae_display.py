"""The display of the adverse-event summary (AET01 and AET04), built from its ARD alone.

:func:`ae_display` reads the long-form analysis results data of
:func:`survstat.tables.ae_table` and lays it out in one column per arm (header with its N):
first the overview of tern's AET01 (subjects with any adverse event, by worst grade, grade 3
or higher, serious, leading to discontinuation, DLT in cycle 1), each count with its percent
and interval; then tern's AET04, subjects by system organ class and preferred term at their
worst CTCAE grade. Nothing is recomputed: each cell is a value of the ARD, formatted by the
rules of :data:`survstat.tables.display.DECIMALS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from survstat.tables.display import (
    NOT_ESTIMABLE,
    DisplayRow,
    DisplayTable,
    arm_column,
    format_number,
    population_line,
)
from survstat.tables.response_display import METHOD_NAMES

#: Row labels of the overview statistics (``worst_grade`` reads ``Worst grade <g>``, so that
#: it cannot be taken for the subjects with any event of that grade); with
#: ``treatment_emergent`` the first reads "Subjects with any treatment-emergent adverse
#: event".
OVERVIEW_LABELS = {
    "any_ae": "Subjects with any adverse event",
    "grade_3_plus": "Grade 3 or higher",
    "serious": "Serious adverse event",
    "discontinuation": "Leading to discontinuation",
    "dlt": "DLT in cycle 1 (of the DLT-evaluable)",
}
#: Row labels of the grade rows of a preferred term (tern AET04's grade groups).
GRADE_LABELS = {
    "1-2": "Grade 1-2",
    "1": "Grade 1",
    "2": "Grade 2",
    "3-4": "Grade 3-4",
    "3": "Grade 3",
    "4": "Grade 4",
    "5": "Grade 5",
}


def _count(row: dict[str, Any] | None, fraction: bool = False) -> str:
    """``n (pct%)``, or ``n/d (pct%)`` with ``fraction``; ``n/d (NE)`` over no subject."""
    if row is None:
        return ""
    head = f"{row['n']}/{row['denominator']}" if fraction else f"{row['n']}"
    if row["rate"] is None:
        return f"{head} ({NOT_ESTIMABLE})"
    return f"{head} ({format_number(100.0 * row['rate'], 'percent')}%)"


def _interval(row: dict[str, Any] | None) -> str:
    if row is None:
        return ""
    if row["rate"] is None:
        return NOT_ESTIMABLE
    low, high = row["conf_low"], row["conf_high"]
    return f"({format_number(low, 'rate')}, {format_number(high, 'rate')})"


def ae_display(
    ard: pl.DataFrame,
    *,
    method: str = "clopper-pearson",
    conf_level: float = 0.95,
    title: str | None = None,
    population: str | None = None,
    source: str | None = None,
    treatment_emergent: bool = False,
) -> DisplayTable:
    """Lay out the ARD of :func:`survstat.tables.ae_table` as the AET01 and AET04 display.

    Parameters
    ----------
    ard
        The ARD (``AeTable.ard``, or the Parquet file ``table ae -o`` writes): an arm
        column, then ``statistic, soc, term, grade, n, denominator, rate, conf_low,
        conf_high, note``.
    method
        The interval the ARD was computed with (footnote only).
    conf_level
        The level of its intervals: the ``95% CI`` labels and the footnote.
    title
        The title; default ``Adverse events by <arm column>``.
    population
        The analysis population line, or None for none.
    source
        The data file, named in a footnote; None for none.
    treatment_emergent
        Whether the ARD holds the treatment-emergent adverse events only (``table ae
        --treatment-emergent``): the first row then reads "Subjects with any
        treatment-emergent adverse event".

    Returns
    -------
    DisplayTable
        The overview: each statistic's ``n (%)`` with its interval below it (the DLT row as
        ``n/d (%)`` over the DLT-evaluable subjects), the worst grades 1 to 5 (``Worst grade
        3``: the subjects whose highest grade is 3) under one heading; an arm without
        subjects reads ``0 (NE)`` with a footnote; then per system organ class (in the
        ARD's order) its subjects with any grade, and per preferred term its subjects with
        any grade and in each grade row of tern AET04 (``Grade 1-2``, ``Grade 1``, ``Grade
        2``, ``Grade 3-4``, ``Grade 3``, ``Grade 4``, ``Grade 5``), leaving out the grade
        rows that are 0 in every arm.

    Raises
    ------
    ColumnNotFoundError
        When ``ard`` lacks one of the ARD's columns.
    InputFormatError
        When its first column is not the arm column or it has other columns.

    References
    ----------
    1. tern (Roche), AET01 safety summary and AET04 adverse events by highest NCI CTCAE grade
       (``count_occurrences_by_grade``); chevron's ``aet04`` prunes rows of zero counts.

    Examples
    --------
    >>> import polars as pl
    >>> from survstat.tables import ae_table
    >>> from survstat.tables.ae_display import ae_display
    >>> adsl = pl.DataFrame({"USUBJID": ["1", "2", "3"], "ARM": ["A", "A", "B"]})
    >>> adae = pl.DataFrame({"USUBJID": ["1", "1", "3"], "AEDECOD": ["Diarrhoea"] * 3,
    ...                      "AEBODSYS": ["Gastrointestinal disorders"] * 3,
    ...                      "AETOXGR": [1, 3, 2]})
    >>> t = ae_table(adae, adsl, by="ARM")
    >>> d = ae_display(t.ard)
    >>> d.columns
    ('A (N=2)', 'B (N=1)')
    >>> d.rows[0]
    DisplayRow(label='Subjects with any adverse event', cells=('1 (50.0%)', '1 (100.0%)'), indent=0)
    >>> d.rows[3].label
    'Worst grade 1'
    """
    from survstat.tables import AE_ARD_COLUMNS

    by = arm_column(ard, AE_ARD_COLUMNS, "table ae")
    arms = ard.get_column(by).unique(maintain_order=True).to_list()
    rows_of = {
        (r[by], r["statistic"], r["soc"], r["term"], r["grade"]): r
        for r in ard.iter_rows(named=True)
    }

    def get(arm: Any, statistic: str, soc: Any = None, term: Any = None, grade: Any = None):
        return rows_of.get((arm, statistic, soc, term, grade))

    level = f"{100 * conf_level:g}% CI"
    out: list[DisplayRow] = []

    def add(label: str, cells: list[str], indent: int = 0) -> None:
        out.append(DisplayRow(label, tuple(cells), indent))

    def overview(statistic: str, label: str, grade: str | None = None, indent: int = 0) -> None:
        found = [get(a, statistic, grade=grade) for a in arms]
        if not any(found):
            return
        add(label, [_count(r, statistic == "dlt") for r in found], indent)
        add(level, [_interval(r) for r in found], indent + 1)

    any_ae = OVERVIEW_LABELS["any_ae"]
    if treatment_emergent:
        any_ae = any_ae.replace("adverse event", "treatment-emergent adverse event")
    overview("any_ae", any_ae)
    add("Subjects by worst grade", [""] * len(arms))
    for g in ("1", "2", "3", "4", "5"):
        overview("worst_grade", f"Worst grade {g}", g, 1)
    for statistic in ("grade_3_plus", "serious", "discontinuation", "dlt"):
        overview(statistic, OVERVIEW_LABELS[statistic])
    terms = (
        ard.filter(pl.col("statistic") == "term").select("soc", "term").unique(maintain_order=True)
    )
    socs = ard.filter(pl.col("statistic") == "soc").get_column("soc").unique(maintain_order=True)
    if socs.len():
        add("System organ class and preferred term, worst grade", [""] * len(arms))
    for soc in socs.to_list():
        add(soc, [_count(get(a, "soc", soc, None, "any")) for a in arms])
        for term in terms.filter(pl.col("soc") == soc).get_column("term").to_list():
            add(term, [_count(get(a, "term", soc, term, "any")) for a in arms], 1)
            for grade, label in GRADE_LABELS.items():
                found = [get(a, "term", soc, term, grade) for a in arms]
                if any(r is not None and r["n"] for r in found):
                    add(label, [_count(r) for r in found], 2)
    n = {a: (get(a, "any_ae") or {}).get("denominator") or 0 for a in arms}
    footnotes = [
        f"Percents of the arm's N; {level}s by the {METHOD_NAMES.get(method, method)} method.",
        "A subject counts once in each row, at the worst CTCAE v5.0 grade of their adverse "
        "events in it (worst grade, system organ class, preferred term).",
    ]
    if any(n[a] == 0 for a in arms):
        footnotes.append("NE: not estimable (no subject of the arm in the population).")
    if any(get(a, "dlt") for a in arms):
        footnotes.append(
            "DLT: dose-limiting toxicity in cycle 1, over the DLT-evaluable subjects; NE: not "
            "estimable (no DLT-evaluable subject)."
        )
    if source is not None:
        footnotes.append(f"Source: {source}")
    return DisplayTable(
        title=title or f"Adverse events by {by}",
        population=population,
        columns=tuple(f"{a} (N={n[a]})" for a in arms),
        rows=tuple(out),
        footnotes=tuple(footnotes),
    )


def run_ae_display(
    ard: pl.DataFrame, parameters: Mapping[str, Any], *, source: str | None = None
) -> DisplayTable:
    """The display of ``table ae``'s ARD, given the options it was run with.

    Parameters
    ----------
    ard
        The ARD the run returned.
    parameters
        The run's options as recorded in its provenance: ``method``, ``conf_level``,
        ``population`` and ``treatment_emergent`` are read.
    source
        The data file, named in a footnote.

    Returns
    -------
    DisplayTable
        :func:`ae_display` of the ARD.
    """
    return ae_display(
        ard,
        method=str(parameters.get("method") or "clopper-pearson"),
        conf_level=float(parameters.get("conf_level") or 0.95),
        population=population_line(parameters.get("population")),
        source=source,
        treatment_emergent=parameters.get("treatment_emergent") is not None,
    )


__all__ = ["GRADE_LABELS", "OVERVIEW_LABELS", "ae_display", "run_ae_display"]
