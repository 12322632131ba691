"""The display of the time-to-event summary table (TTET01), built from its ARD alone.

:func:`tte_display` reads the long-form analysis results data of
:func:`survstat.tables.tte_table` and lays it out as tern's TTET01 does: one column per arm
(header with its N), rows grouped by statistic. Nothing is recomputed: each cell is a value
of the ARD (the event and censoring percentages are the ARD's counts divided by its ``n``),
formatted by the rules of :data:`DECIMALS`. The renderers of :mod:`survstat.tables.render`
write the same :class:`DisplayTable` to HTML, LaTeX, RTF, DOCX and XLSX.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from survstat.errors import ColumnNotFoundError, InputFormatError

#: Decimals shown, by kind of statistic: counts 0, percents 1, times 1, event-free and
#: response rates and their differences as percents with 1, hazard and odds ratios 2,
#: p-values 4 (below 0.0001 shown as ``<0.0001``).
DECIMALS = {
    "count": 0,
    "percent": 1,
    "time": 1,
    "rate": 1,
    "hazard_ratio": 2,
    "odds_ratio": 2,
    "p_value": 4,
}
#: What a null value shows: not estimable (its reason is a footnote).
NOT_ESTIMABLE = "NE"
#: Headers of the Kaplan-Meier interval's transforms, as the footnote names them.
_TRANSFORMS = {
    "log-log": "log-log",
    "log": "log",
    "plain": "plain (linear)",
    "logit": "logit",
    "arcsine": "arcsine square root",
}


@dataclass(frozen=True, slots=True)
class DisplayRow:
    """One row of a display table.

    Attributes
    ----------
    label
        The row's label (first column).
    cells
        The formatted text of each arm's cell (empty text: nothing to show).
    indent
        The label's level: 0 for a group's heading, 1 for a statistic, 2 for its interval.
    """

    label: str
    cells: tuple[str, ...]
    indent: int = 0


@dataclass(frozen=True, slots=True)
class DisplayTable:
    """A summary table laid out for a report: what every renderer writes.

    Attributes
    ----------
    title
        The table's title.
    population
        The analysis population line (e.g. ``ITT population (ITTFL = Y)``), or None.
    columns
        One header per arm: the arm and its N, ``B (N=134)``.
    rows
        The rows, in order.
    footnotes
        Footnotes in order: the reasons of the ``NE`` cells (``[1]``, ``[2]``, ...), then the
        methods, the reference arm and the data source.
    """

    title: str
    population: str | None
    columns: tuple[str, ...]
    rows: tuple[DisplayRow, ...]
    footnotes: tuple[str, ...]

    def frame(self) -> pl.DataFrame:
        """The body as text: a ``label`` column (indented by two spaces a level) and one
        column per arm header.

        Returns
        -------
        polars.DataFrame
            One row per display row, every column text.
        """
        data: dict[str, list[str]] = {"label": ["  " * r.indent + r.label for r in self.rows]}
        for i, column in enumerate(self.columns):
            data[column] = [r.cells[i] for r in self.rows]
        return pl.DataFrame(data, schema=dict.fromkeys(data, pl.String))


def format_number(value: float | None, kind: str) -> str:
    """Format one ARD value by the rule of its kind (:data:`DECIMALS`).

    Parameters
    ----------
    value
        The value; None gives ``NE``.
    kind
        ``count``, ``percent``, ``time``, ``rate`` (a probability shown as a percent),
        ``hazard_ratio``, ``odds_ratio`` or ``p_value``.

    Returns
    -------
    str
        The text: ``NE`` for None, ``<0.0001`` for a p-value below 0.0001.
    """
    if value is None:
        return NOT_ESTIMABLE
    digits = DECIMALS[kind]
    if kind == "p_value" and value < 10.0**-digits:
        return f"<{10.0**-digits:.{digits}f}"
    if kind == "rate":
        value = 100.0 * value
    text = f"{value:.{digits}f}"
    return text.lstrip("-") if float(text) == 0 else text  # no "-0.0"


class _Notes:
    """Numbers the reasons of NE cells: one footnote per distinct reason and arm."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def mark(self, arm: Any, note: str | None) -> str:
        if not note:
            return ""
        line = f"{arm}: {note}"
        if line not in self.lines:
            self.lines.append(line)
        return f" [{self.lines.index(line) + 1}]"

    def footnotes(self) -> list[str]:
        return [f"[{i}] {line}" for i, line in enumerate(self.lines, 1)]


def _interval(row: dict[str, Any] | None, kind: str) -> str:
    if row is None:
        return ""
    return f"({format_number(row['conf_low'], kind)}, {format_number(row['conf_high'], kind)})"


def _value(row: dict[str, Any] | None, kind: str, arm: Any, notes: _Notes) -> str:
    """The estimate's text, with the footnote mark of its note when the row is not whole."""
    if row is None:
        return ""
    text = format_number(row["estimate"], kind)
    incomplete = row["estimate"] is None or row["conf_low"] is None or row["conf_high"] is None
    return text + (notes.mark(arm, row["note"]) if incomplete and row["note"] else "")


def _range(low: dict[str, Any], high: dict[str, Any]) -> str:
    def end(row: dict[str, Any]) -> str:
        return format_number(row["estimate"], "time") + ("+" if row["censored"] else "")

    return f"{end(low)} to {end(high)}"


def arm_column(
    ard: pl.DataFrame, columns: Sequence[str], analysis: str, *, before: Sequence[str] = ()
) -> str:
    """The arm column of an ARD laid out as ``*before, <arm>, *columns``, after checking
    the layout (a display reads nothing else).

    Parameters
    ----------
    ard
        The analysis results data.
    columns
        The columns after the arm column, in order.
    analysis
        The analysis that writes it, for the message (``"table tte"``).
    before
        The columns before the arm column (``subgroup, level`` for ``table subgroups``).

    Returns
    -------
    str
        The arm column's name.

    Raises
    ------
    ColumnNotFoundError
        When a column is missing.
    InputFormatError
        When the columns are not in that layout.
    """
    expected = (*before, *columns)
    missing = [c for c in expected if c not in ard.columns]
    if missing:
        raise ColumnNotFoundError(missing[0], ard.columns, where=f"the ARD of `{analysis}`")
    k = len(before)
    if (
        ard.width != len(expected) + 1
        or ard.columns[:k] != list(before)
        or ard.columns[k] in expected
    ):
        layout = (
            f"the columns {', '.join(before)}, the arm column" if before else "its arm column first"
        )
        raise InputFormatError(
            f"the ARD of `{analysis}` must have {layout}, then {', '.join(columns)}; found "
            f"{ard.width} columns: {', '.join(ard.columns)}"
        )
    return ard.columns[k]


def tte_display(
    ard: pl.DataFrame,
    *,
    conf_type: str = "log-log",
    conf_level: float = 0.95,
    title: str | None = None,
    population: str | None = None,
    source: str | None = None,
    time_label: str = "Time",
    time_unit: str | None = None,
) -> DisplayTable:
    """Lay out the ARD of :func:`survstat.tables.tte_table` as the TTET01 display.

    Parameters
    ----------
    ard
        The ARD (``TteTable.ard``, or the Parquet file ``table tte -o`` writes): an arm
        column, then ``statistic, time, estimate, std_error, conf_low, conf_high, censored,
        note``; the reference arm's rows come first.
    conf_type
        The Kaplan-Meier interval's transform the ARD was computed with (footnote only).
    conf_level
        The level of its intervals: the ``95% CI`` labels and the footnote.
    title
        The title; default ``Time-to-event summary by <arm column>``.
    population
        The analysis population line, or None for none.
    source
        The data file, named in a footnote; None for none.
    time_label
        How the timepoint groups are headed without a ``time_unit``: ``<time_label> <t>``
        (e.g. ``Time 365.25``).
    time_unit
        The unit of the ARD's times (``days``, ``weeks``, ``months``, ``years``), for the
        labels only: the timepoint groups read ``<t> <unit>`` with ``t`` to one decimal
        (``6 months``, ``182.6 days``, ``1 year``) and the median row ``Median (<unit>)``.
        None (default): ``<time_label> <t>`` and ``Median``.

    Returns
    -------
    DisplayTable
        The rows, in tern's TTET01 order: patients with event (%), patients censored (%),
        time to event (median with its CI, 25% and 75% percentiles, range with ``+`` for a
        censored end), unstratified analysis (log-rank p-value, hazard ratio with its CI),
        stratified analysis when the ARD has one, and per timepoint the patients remaining at
        risk, the event-free rate (%)
        with its CI and the difference from the reference arm with its CI. Null values show
        ``NE`` with their note as a numbered footnote.

    Raises
    ------
    ColumnNotFoundError
        When ``ard`` lacks one of the ARD's columns.
    InputFormatError
        When its first column is not the arm column or it has other columns.

    Notes
    -----
    Decimals follow :data:`DECIMALS`. The "Patients remaining at risk" row of a timepoint
    shows the ARD's ``n_risk`` (absent from an ARD written before it held that count).

    References
    ----------
    1. tern (Roche), TTET01 time-to-event summary table (``s_surv_time``,
       ``s_coxph_pairwise``, ``surv_timepoint``).

    Examples
    --------
    >>> import survstat
    >>> from survstat.tables import tte_table
    >>> from survstat.tables.display import tte_display
    >>> t = tte_table(survstat.datasets.load("gbsg2"), time="time", event="cens",
    ...               by="horTh", reference="no")
    >>> d = tte_display(t.ard)
    >>> d.columns
    ('no (N=440)', 'yes (N=246)')
    >>> d.rows[0]
    DisplayRow(label='Patients with event (%)', cells=('205 (46.6%)', '94 (38.2%)'), indent=0)
    """
    from survstat.tables import ARD_COLUMNS

    by = arm_column(ard, ARD_COLUMNS, "table tte")
    arms = ard.get_column(by).unique(maintain_order=True).to_list()
    rows_of: dict[tuple[Any, str, float | None], dict[str, Any]] = {
        (r[by], r["statistic"], r["time"]): r for r in ard.iter_rows(named=True)
    }

    def get(arm: Any, statistic: str, t: float | None = None) -> dict[str, Any] | None:
        return rows_of.get((arm, statistic, t))

    notes = _Notes()
    level = f"{100 * conf_level:g}% CI"
    out: list[DisplayRow] = []

    def add(label: str, cells: Sequence[str], indent: int = 0) -> None:
        out.append(DisplayRow(label, tuple(cells), indent))

    def values(rows: list[dict[str, Any] | None], kind: str) -> list[str]:
        return [_value(r, kind, a, notes) for a, r in zip(arms, rows, strict=True)]

    n = {a: (get(a, "n") or {}).get("estimate") or 0.0 for a in arms}
    for label, statistic in (("Patients with event (%)", "n_event"),
                             ("Patients censored (%)", "n_censor")):  # fmt: skip
        cells = []
        for a in arms:
            count = (get(a, statistic) or {}).get("estimate")
            pct = None if count is None or not n[a] else 100.0 * count / n[a]
            cells.append(f"{format_number(count, 'count')} ({format_number(pct, 'percent')}%)")
        add(label, cells)
    add("Time to event", [""] * len(arms))
    median_label = f"Median ({time_unit})" if time_unit else "Median"
    add(median_label, values([get(a, "median") for a in arms], "time"), 1)
    add(level, [_interval(get(a, "median"), "time") for a in arms], 2)
    quartiles = []
    for a in arms:
        q1, q3 = get(a, "q1"), get(a, "q3")
        quartiles.append(
            f"{_value(_whole(q1), 'time', a, notes)}, {_value(_whole(q3), 'time', a, notes)}"
        )
    add("25% and 75% percentiles", quartiles, 1)
    ranges = []
    for a in arms:
        low, high = get(a, "min_time"), get(a, "max_time")
        ranges.append("" if low is None or high is None else _range(low, high))
    add("Range", ranges, 1)
    for heading, suffix in (("Unstratified analysis", ""), ("Stratified analysis", "_stratified")):
        if not any(get(a, "hazard_ratio" + suffix) for a in arms):
            continue
        add(heading, [""] * len(arms))
        p_rows = [_whole(get(a, "logrank_p_value" + suffix)) for a in arms]
        add("p-value (log-rank)", values(p_rows, "p_value"), 1)
        hr = [get(a, "hazard_ratio" + suffix) for a in arms]
        add("Hazard ratio", values(hr, "hazard_ratio"), 1)
        add(level, [_interval(r, "hazard_ratio") for r in hr], 2)
    times = (
        ard.filter(pl.col("statistic") == "event_free_rate")
        .get_column("time")
        .unique(maintain_order=True)
        .to_list()
    )
    for t in times:
        add(_time_heading(t, time_label, time_unit), [""] * len(arms))
        at_risk = [get(a, "n_risk", t) for a in arms]
        if any(at_risk):
            add("Patients remaining at risk", values(at_risk, "count"), 1)
        rate = [get(a, "event_free_rate", t) for a in arms]
        add("Event-free rate (%)", values(rate, "rate"), 1)
        add(level, [_interval(r, "rate") for r in rate], 2)
        diff = [get(a, "event_free_rate_difference", t) for a in arms]
        if any(diff):
            add("Difference in event-free rate (%)", values(diff, "rate"), 1)
            add(level, [_interval(r, "rate") for r in diff], 2)
    transform = _TRANSFORMS.get(conf_type, conf_type)
    methods = [
        f"Median, percentiles and event-free rates: Kaplan-Meier estimate; {level}s from the "
        f"{transform} transform (Brookmeyer-Crowley for the quantiles, Greenwood variance).",
        "Hazard ratio: Cox proportional hazards model (Efron ties) with a Wald CI, each arm "
        "against the reference alone; p-value: log-rank test.",
        f"Reference arm: {arms[0]}. NE: not estimable. A range end marked + is censored.",
    ]
    if source is not None:
        methods.append(f"Source: {source}")
    return DisplayTable(
        title=title or f"Time-to-event summary by {by}",
        population=population,
        columns=tuple(f"{a} (N={format_number(n[a], 'count')})" for a in arms),
        rows=tuple(out),
        footnotes=tuple(notes.footnotes() + methods),
    )


#: The usual ADaM population flags and the names of their populations.
POPULATIONS = {
    "ITTFL": "ITT population",
    "FASFL": "Full analysis set",
    "SAFFL": "Safety population",
    "PPROTFL": "Per-protocol population",
    "EFFFL": "Efficacy population",
    "RANDFL": "Randomized population",
    "ENRLFL": "Enrolled population",
}


def population_line(flag: str | None) -> str | None:
    """The population line of a population flag: ``ITTFL`` -> ``ITT population (ITTFL = Y)``.

    Parameters
    ----------
    flag
        The ADaM population flag column (CDISC ADaM IG 1.3, ADSL ``ITTFL``, ``SAFFL``, ...);
        None for none.

    Returns
    -------
    str or None
        The line; a flag not in :data:`POPULATIONS` reads ``Population: <flag> = Y``.
    """
    if flag is None:
        return None
    name = POPULATIONS.get(flag.upper())
    return f"{name} ({flag} = Y)" if name else f"Population: {flag} = Y"


def run_display(
    ard: pl.DataFrame, parameters: Mapping[str, Any], *, source: str | None = None
) -> DisplayTable:
    """The display of ``table tte``'s ARD, given the options it was run with.

    Parameters
    ----------
    ard
        The ARD the run returned.
    parameters
        The run's options as recorded in its provenance: ``conf_type``, ``conf_level``,
        ``population``, ``param`` and ``time_unit`` are read (defaults: log-log, 0.95, none,
        none, none).
    source
        The data file, named in a footnote.

    Returns
    -------
    DisplayTable
        :func:`tte_display` of the ARD, titled by the parameter when one was chosen.
    """
    by = ard.columns[0] if ard.width else "arm"
    param = parameters.get("param")
    title = f"{param}: time-to-event summary by {by}" if param else None
    return tte_display(
        ard,
        conf_type=str(parameters.get("conf_type") or "log-log"),
        conf_level=float(parameters.get("conf_level") or 0.95),
        title=title,
        population=population_line(parameters.get("population")),
        source=source,
        time_unit=parameters.get("time_unit") or None,
    )


def _time_heading(t: float, time_label: str, time_unit: str | None) -> str:
    """The heading of a timepoint group: ``Time 182.625``, or ``182.6 days`` with a unit."""
    if not time_unit:
        return f"{time_label} {t:g}"
    shown = f"{round(t, 1):g}"
    unit = time_unit[:-1] if shown == "1" and time_unit.endswith("s") else time_unit
    return f"{shown} {unit}"


def _whole(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """A row shown without its interval: only a null estimate gets a footnote mark."""
    return None if row is None else {**row, "conf_low": 0, "conf_high": 0}


__all__ = [
    "DECIMALS",
    "NOT_ESTIMABLE",
    "POPULATIONS",
    "DisplayRow",
    "DisplayTable",
    "format_number",
    "population_line",
    "run_display",
    "tte_display",
]
