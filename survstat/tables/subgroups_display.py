"""The display of the subgroup table beside a forest plot (tern's TTE forest), from its ARD.

:func:`subgroups_display` reads the long-form analysis results data of
:func:`survstat.tables.subgroups_table` and lays it out as tern's
``tabulate_survival_subgroups`` does: a row for all patients, then per subgroup variable a
heading row (the variable's name or label, with the interaction p-value) and one indented row
per level; columns the total n, per arm n, events and median, then the hazard ratio with its
interval of each non-reference arm against the reference. Nothing is recomputed: each cell
is a value of the ARD (the total n is the sum of the arms' n), formatted by the rules of
:data:`survstat.tables.display.DECIMALS`, and the result is the same
:class:`~survstat.tables.display.DisplayTable` the renderers of
:mod:`survstat.tables.render` write.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from survstat.errors import InputFormatError
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

#: The label of the all-patients row, as the ARD's ``level`` holds it.
_ALL = "All patients"
#: Files whose column labels :func:`run_subgroups_display` reads (SAS transport, SAS, Parquet).
_LABELLED = (".xpt", ".sas7bdat", ".parquet")


def _blocks(ard: pl.DataFrame) -> list[tuple[str | None, list[str | None]]]:
    """The subgroup variables in ARD order (None: all patients), each with its levels."""
    out: dict[str | None, list[str | None]] = {}
    for subgroup, level in ard.select("subgroup", "level").unique(maintain_order=True).rows():
        levels = out.setdefault(subgroup, [])
        if level is not None:
            levels.append(level)
    return list(out.items())


def _hazard_ratio(row: dict[str, Any] | None, pair: str, notes: _Notes) -> str:
    """``0.69 (0.54, 0.89)``; ``NE`` or a missing limit with its note as a footnote."""
    if row is None:
        return ""
    text = format_number(row["estimate"], "hazard_ratio")
    if row["estimate"] is not None:
        low, high = (format_number(row[k], "hazard_ratio") for k in ("conf_low", "conf_high"))
        text += f" ({low}, {high})"
    incomplete = row["estimate"] is None or row["conf_low"] is None or row["conf_high"] is None
    return text + (notes.mark(pair, row["note"]) if incomplete else "")


def subgroups_display(
    ard: pl.DataFrame,
    *,
    conf_level: float = 0.95,
    labels: Mapping[str, str] | None = None,
    strata: tuple[str, ...] | list[str] = (),
    title: str | None = None,
    population: str | None = None,
    source: str | None = None,
) -> DisplayTable:
    """Lay out the ARD of :func:`survstat.tables.subgroups_table` as tern's TTE forest table.

    Parameters
    ----------
    ard
        The ARD (``SubgroupsTable.ard``, or the Parquet file ``table subgroups -o`` writes):
        ``subgroup, level``, the arm column, then ``statistic, time, estimate, std_error,
        conf_low, conf_high, censored, note``; the reference arm's rows come first.
    conf_level
        The level of its intervals: the ``95% CI`` headers and the footnotes.
    labels
        Labels of the subgroup variables by column name (e.g. the SAS variable labels of the
        input, ``{"AGEGR1": "Pooled Age Group 1"}``); a variable without one shows its name.
    strata
        The stratification columns the hazard ratios were computed with (footnote only).
    title
        The title; default ``Time-to-event by subgroup and <arm column>``.
    population
        The analysis population line, or None for none.
    source
        The data file, named in a footnote; None for none.

    Returns
    -------
    DisplayTable
        Columns ``Total n``, per arm ``<arm>: n``, ``<arm>: Events``, ``<arm>: Median``,
        per non-reference arm ``<arm> vs <reference>: HR (95% CI)``, then ``Interaction
        p-value``. Rows: ``All patients``; per subgroup variable a heading row (its label,
        the interaction p-value in the last column) and one row per level (indent 1). Null
        values show ``NE`` with their note as a numbered footnote; the methods, the
        reference arm and the source follow.

    Raises
    ------
    ColumnNotFoundError
        When ``ard`` lacks one of the subgroup ARD's columns.
    InputFormatError
        When its columns are not ``subgroup, level``, the arm column and the ARD's columns.

    References
    ----------
    1. tern (Roche): ``extract_survival_subgroups``, ``tabulate_survival_subgroups``
       (statistics ``n_tot``, ``n``, ``n_events``, ``median``, ``hr``, ``ci``).

    Examples
    --------
    >>> import survstat
    >>> from survstat.tables import subgroups_table
    >>> from survstat.tables.subgroups_display import subgroups_display
    >>> t = subgroups_table(survstat.datasets.load("gbsg2"), time="time", event="cens",
    ...                     by="horTh", reference="no", subgroups=["menostat"])
    >>> d = subgroups_display(t.ard)
    >>> d.columns[:4]
    ('Total n', 'no: n', 'no: Events', 'no: Median')
    >>> d.rows[0].label, d.rows[0].cells[:4], d.rows[0].cells[7]
    ('All patients', ('686', '440', '205', '1528.0'), '0.69 (0.54, 0.89)')
    """
    from survstat.analyses.subgroups_table import ARD_COLUMNS

    by = arm_column(ard, ARD_COLUMNS, "table subgroups", before=("subgroup", "level"))
    arms = ard.get_column(by).drop_nulls().unique(maintain_order=True).to_list()
    if not arms:
        raise InputFormatError(f"the ARD of `table subgroups` has no arm in column `{by}`")
    ref, others = arms[0], arms[1:]
    rows_of = {
        (r["subgroup"], r["level"], r[by], r["statistic"]): r for r in ard.iter_rows(named=True)
    }
    notes = _Notes()
    level = f"{100 * conf_level:g}% CI"

    def cells(subgroup: str | None, lv: str | None) -> list[str]:
        def get(arm: Any, statistic: str) -> dict[str, Any] | None:
            return rows_of.get((subgroup, lv, arm, statistic))

        n = [(get(a, "n") or {}).get("estimate") for a in arms]
        out = [format_number(sum(v for v in n if v is not None), "count")]
        for a, count in zip(arms, n, strict=True):
            events = (get(a, "n_event") or {}).get("estimate")
            median = _value(_whole(get(a, "median")), "time", a, notes)
            out += [format_number(count, "count"), format_number(events, "count"), median]
        for a in others:
            out.append(_hazard_ratio(get(a, "hazard_ratio"), f"{a} vs {ref}", notes))
        return [*out, ""]

    body: list[DisplayRow] = []
    width = 1 + 3 * len(arms) + len(others) + 1
    for subgroup, levels in _blocks(ard):
        if subgroup is None:
            body += [DisplayRow(lv or _ALL, tuple(cells(None, lv))) for lv in levels]
            continue
        test = _whole(rows_of.get((subgroup, None, None, "interaction_p_value")))
        p = _value(test, "p_value", subgroup, notes) if test is not None else ""
        name = (labels or {}).get(subgroup) or subgroup
        body.append(DisplayRow(name, tuple([""] * (width - 1) + [p])))
        body += [DisplayRow(str(lv), tuple(cells(subgroup, lv)), 1) for lv in levels]
    stratified = f", stratified by {', '.join(strata)}" if strata else ""
    footnotes = [
        f"Median: Kaplan-Meier estimate; its {level} (Brookmeyer-Crowley, log-log transform) "
        "is in the analysis results data.",
        f"Hazard ratio: Cox proportional hazards model (Efron ties{stratified}) with a Wald "
        f"{level}, each arm against the reference on those two arms alone within the row's "
        "patients.",
        "Interaction p-value: likelihood-ratio test of the arm-by-subgroup interaction (Cox "
        "models arm + subgroup and arm * subgroup on all patients).",
        f"Reference arm: {ref}. NE: not estimable.",
    ]
    if source is not None:
        footnotes.append(f"Source: {source}")
    columns = ["Total n"]
    for a in arms:
        columns += [f"{a}: n", f"{a}: Events", f"{a}: Median"]
    columns += [f"{a} vs {ref}: HR ({level})" for a in others]
    return DisplayTable(
        title=title or f"Time-to-event by subgroup and {by}",
        population=population,
        columns=(*columns, "Interaction p-value"),
        rows=tuple(body),
        footnotes=tuple(notes.footnotes() + footnotes),
    )


def _file_labels(paths: list[Any]) -> dict[str, str]:
    """The column labels of the files among ``paths`` that carry them (later files win)."""
    from survstat.io import read_labels

    found: dict[str, str] = {}
    for raw in paths:
        if not isinstance(raw, str | os.PathLike):
            continue
        path = Path(raw)
        if path.suffix.lower() in _LABELLED and path.is_file():
            found |= read_labels(path)
    return found


def run_subgroups_display(
    ard: pl.DataFrame, parameters: Mapping[str, Any], *, source: str | None = None
) -> DisplayTable:
    """The display of ``table subgroups``'s ARD, given the options it was run with.

    Parameters
    ----------
    ard
        The ARD the run returned.
    parameters
        The run's options as recorded in its provenance: ``conf_level``, ``strata``,
        ``population``, ``param`` and ``adsl`` are read (defaults: 0.95, none, none, none,
        none).
    source
        The data file, named in a footnote; its column labels (and those of the ``adsl``
        file), when it is a SAS transport, SAS or Parquet file that has them, label the
        subgroup variables.

    Returns
    -------
    DisplayTable
        :func:`subgroups_display` of the ARD, titled by the parameter when one was chosen.
    """
    by = ard.columns[2] if ard.width > 2 else "arm"
    param = parameters.get("param")
    strata = parameters.get("strata") or []
    return subgroups_display(
        ard,
        conf_level=float(parameters.get("conf_level") or 0.95),
        labels=_file_labels([source, parameters.get("adsl")]),
        strata=[strata] if isinstance(strata, str) else list(strata),
        title=f"{param}: time-to-event by subgroup and {by}" if param else None,
        population=population_line(parameters.get("population")),
        source=source,
    )


__all__ = ["run_subgroups_display", "subgroups_display"]
