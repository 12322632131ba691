"""An ADaM time-to-event parameter (ADTTE rows) from dated event and censoring sources.

:func:`derive_param_tte` builds one parameter of a CDISC ADaM ADTTE dataset (ADaM Basic Data
Structure for Time-to-Event Analyses, CDISC 2012): one row per ADSL subject with the origin
``STARTDT``, the analysis date ``ADT``, the time ``AVAL`` in days and the censoring flag
``CNSR`` (0 = event, a positive integer = censored), with the description and source of the
date used. The rules are those of ``admiral::derive_param_tte`` (pharmaverse):

1. Within each source, the rows meeting its condition with a date: an event source gives its
   **first** date per subject, a censoring source its **last**.
2. Across event sources the **earliest** date wins; on a tie the source listed first.
3. Across censoring sources the **latest** date wins; on a tie the source listed first.
4. An event wins over any censoring, whatever their dates.
5. ``ADT`` is never before the origin: ``ADT = max(ADT, STARTDT)``.
6. ``AVAL = ADT - STARTDT + 1`` days with ``add_one=True`` (the ADaM convention that the
   origin is day 1: an event on the start date has ``AVAL`` 1), ``ADT - STARTDT`` with
   ``add_one=False`` (days elapsed: an event on the start date has ``AVAL`` 0, as R
   ``survival`` analyses usually count time).

Unlike admiral, which leaves them out of the parameter, an ADSL subject with neither an event
nor a censoring is an error naming the subjects: a subject is never lost silently. Add a
censoring source every subject has (typically the origin date itself, ADSL ``RANDDT`` with
``CNSDTDSC`` "RANDOMIZATION") to censor them at day 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidValueError,
    MissingValueError,
    OptionError,
    check_unique_ids,
    counted,
)

if TYPE_CHECKING:
    from survstat.io import FrameLike

#: The ADTTE columns :func:`derive_param_tte` writes, in this order.
ADTTE_COLUMNS = (
    "USUBJID",
    "PARAMCD",
    "PARAM",
    "STARTDT",
    "ADT",
    "AVAL",
    "CNSR",
    "EVNTDESC",
    "CNSDTDSC",
    "SRCDOM",
    "SRCVAR",
    "SRCSEQ",
)

#: CDISC variable labels (ADaM IG and ADaM BDS for TTE), at most 40 characters (SAS v5).
ADAM_LABELS: Mapping[str, str] = {
    "STUDYID": "Study Identifier",
    "USUBJID": "Unique Subject Identifier",
    "PARAMCD": "Parameter Code",
    "PARAM": "Parameter",
    "PARAMN": "Parameter (N)",
    "STARTDT": "Time-to-Event Origin Date for Subject",
    "ADT": "Analysis Date",
    "ADY": "Analysis Relative Day",
    "AVAL": "Analysis Value",
    "AVALC": "Analysis Value (C)",
    "CNSR": "Censor",
    "EVNTDESC": "Event or Censoring Description",
    "CNSDTDSC": "Censor Date Description",
    "SRCDOM": "Source Data",
    "SRCVAR": "Source Variable",
    "SRCSEQ": "Source Sequence Number",
}


@dataclass(frozen=True, slots=True)
class AdamTable:
    """ADaM rows with their CDISC variable labels.

    Attributes
    ----------
    table
        The rows (one per subject and parameter for ADTTE).
    labels
        Column name -> CDISC label, for every ADaM variable of ``table`` (columns carried from
        ADSL keep no label here).
    """

    table: pl.DataFrame
    labels: Mapping[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class EventSource:
    """A dataset whose dated rows are events of the parameter.

    Attributes
    ----------
    dataset
        The dataset's name, written to ``SRCDOM`` (e.g. ``"ADSL"``, ``"ADRS"``).
    data
        The rows: a polars DataFrame or LazyFrame (or another :data:`survstat.io.FrameLike`)
        with the subject column and ``date``.
    date
        The date column (polars Date, or Datetime read as its date), written to ``SRCVAR``.
        Rows whose date is null are not events (e.g. ``DTHDT`` of a subject alive).
    description
        ``EVNTDESC`` of the rows it decides (e.g. ``"DEATH"``).
    condition
        The rows that are events (a polars expression, e.g. ``pl.col("AVALC") == "PD"``);
        None: every row.
    seq
        An integer sequence column written to ``SRCSEQ`` (e.g. ``RSSEQ``); None: null.
    """

    dataset: str
    data: FrameLike
    date: str
    description: str
    condition: pl.Expr | None = None
    seq: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CensorSource:
    """A dataset whose dated rows are censoring dates of the parameter.

    Attributes
    ----------
    dataset, data, date, condition, seq
        As for :class:`EventSource`.
    description
        ``CNSDTDSC`` (and ``EVNTDESC``) of the rows it decides (e.g. ``"LAST KNOWN ALIVE"``).
    censor
        The ``CNSR`` code, a positive integer (CDISC: 0 is reserved for events).
    """

    dataset: str
    data: FrameLike
    date: str
    description: str
    censor: int = 1
    condition: pl.Expr | None = None
    seq: str | None = None


@dataclass(frozen=True, slots=True)
class _Bound:
    """One source bound to its frame: its rows, kind and position."""

    source: EventSource | CensorSource
    order: int
    frame: pl.LazyFrame = field(repr=False)


def _date_column(frame: pl.LazyFrame, column: str, table: str, role: str) -> pl.Expr:
    """The column as a polars Date expression, or an error naming its type."""
    schema = frame.collect_schema()
    if column not in schema:
        raise ColumnNotFoundError(column, schema.names(), role=f"{role} of {table}")
    dtype = schema[column]
    if dtype == pl.Date:
        return pl.col(column)
    if isinstance(dtype, pl.Datetime):
        return pl.col(column).dt.date()
    example = frame.select(pl.col(column).drop_nulls().first()).collect().item()
    raise ColumnTypeError(
        f"`{column}` ({role} of {table}) must hold dates (polars Date or Datetime); found "
        f"{dtype} (first: {example!r}; convert text dates with survstat.endpoints.dates first)"
    )


def _bind(source: EventSource | CensorSource, order: int, subject: str) -> _Bound:
    """Check one source's columns and code; select its rows as ADTTE candidates."""
    from survstat.io import scan

    if isinstance(source, CensorSource) and (
        isinstance(source.censor, bool) or not isinstance(source.censor, int) or source.censor < 1
    ):
        raise OptionError(
            f"the CNSR code of censoring source `{source.dataset}` ({source.description}) must "
            f"be a positive integer (0 means an event); got {source.censor!r}"
        )
    frame, _ = scan(source.data)
    table = f"source `{source.dataset}`"
    names = frame.collect_schema().names()
    if subject not in names:
        raise ColumnNotFoundError(subject, names, role=f"subject of {table}")
    date = _date_column(frame, source.date, table, "date")
    if source.condition is not None:
        for column in source.condition.meta.root_names():
            if column not in names:
                raise ColumnNotFoundError(column, names, role=f"condition of {table}")
        frame = frame.filter(source.condition)
    if source.seq is not None:
        if source.seq not in names:
            raise ColumnNotFoundError(source.seq, names, role=f"sequence of {table}")
        if not frame.collect_schema()[source.seq].is_integer():
            raise ColumnTypeError(
                f"`{source.seq}` (sequence of {table}) must hold integers; found "
                f"{frame.collect_schema()[source.seq]}"
            )
    seq = pl.col(source.seq) if source.seq is not None else pl.lit(None)
    is_event = isinstance(source, EventSource)
    rows = frame.select(
        pl.col(subject).cast(pl.String).alias("USUBJID"),
        date.alias("ADT"),
        seq.cast(pl.Int64).alias("SRCSEQ"),
    ).filter(pl.col("ADT").is_not_null())
    rows = rows.with_columns(
        pl.lit(0 if is_event else source.censor, pl.Int64).alias("CNSR"),
        pl.lit(source.description, pl.String).alias("EVNTDESC"),
        pl.lit(None if is_event else source.description, pl.String).alias("CNSDTDSC"),
        pl.lit(source.dataset, pl.String).alias("SRCDOM"),
        pl.lit(source.date, pl.String).alias("SRCVAR"),
        pl.lit(order, pl.Int64).alias("__order"),
    )
    return _Bound(source, order, rows)


def _pick(bound: Sequence[_Bound], first: bool) -> pl.LazyFrame:
    """Per subject the earliest (``first``) or latest date over the sources; on a tie the
    source listed first, then the lowest ``SRCSEQ``."""
    if not bound:
        return pl.LazyFrame()
    rows = pl.concat([b.frame for b in bound], how="vertical_relaxed")
    ordered = rows.sort(
        ["ADT", "__order", "SRCSEQ"],
        descending=[not first, False, False],
        nulls_last=True,
        maintain_order=True,
    )
    return ordered.unique("USUBJID", keep="first", maintain_order=True)


def _check_adsl(adsl: pl.DataFrame, subject: str, start_date: str) -> pl.Expr:
    """ADSL's subject and start columns, unique subjects; the start as a Date expression."""
    if subject not in adsl.columns:
        raise ColumnNotFoundError(subject, adsl.columns, role="subject of ADSL")
    start = _date_column(adsl.lazy(), start_date, "ADSL", "start date")
    check_unique_ids(adsl, subject, "ADSL")
    return start


def _check_subjects(chosen: pl.DataFrame, adsl_ids: pl.Series) -> None:
    """Every ADSL subject has a row, every record belongs to an ADSL subject."""
    outside = chosen.filter(~pl.col("USUBJID").is_in(adsl_ids.implode()))
    if outside.height:
        raise InvalidValueError(
            f"{outside.height} subjects of the event or censoring sources are not in ADSL "
            f"(first: {outside['USUBJID'][0]!r} in `{outside['SRCDOM'][0]}`)"
        )
    missing = adsl_ids.filter(~adsl_ids.is_in(chosen["USUBJID"].implode()))
    if missing.len():
        raise MissingValueError(
            f"{missing.len()} of {adsl_ids.len()} ADSL subjects have neither an event nor a "
            f"censoring (first: {missing[0]!r}); add a censoring source every subject has, "
            "e.g. the start date itself"
        )


def derive_param_tte(
    adsl: FrameLike,
    *,
    start_date: str,
    event_sources: Sequence[EventSource],
    censor_sources: Sequence[CensorSource],
    paramcd: str,
    param: str,
    subject: str = "USUBJID",
    add_one: bool = True,
    keep: Sequence[str] = (),
) -> AdamTable:
    """One ADaM ADTTE parameter: per ADSL subject the event or censoring date and the time.

    Parameters
    ----------
    adsl
        The subject-level dataset (one row per subject): the subject column and
        ``start_date``.
    start_date
        ADSL's origin date column (``RANDDT``, ``TRTSDT``), written to ``STARTDT``.
    event_sources
        The events (:class:`EventSource`), in order of preference on a tie.
    censor_sources
        The censorings (:class:`CensorSource`), in order of preference on a tie.
    paramcd, param
        ``PARAMCD`` (at most 8 characters, e.g. ``"OS"``) and ``PARAM`` (e.g. ``"Overall
        Survival (days)"``).
    subject
        The subject column of ADSL and of every source (default ``USUBJID``), written to
        ``USUBJID``.
    add_one
        True (default): ``AVAL = ADT - STARTDT + 1`` days, the origin being day 1 (ADaM,
        admiral); False: ``ADT - STARTDT``, the days elapsed (the origin is day 0).
    keep
        ADSL columns to carry onto each row (e.g. ``["TRT01P"]``), after the ADTTE columns.

    Returns
    -------
    AdamTable
        ``table``: one row per ADSL subject, in ADSL's order, with the columns of
        :data:`ADTTE_COLUMNS` then ``keep``; ``labels``: their CDISC labels.

    Raises
    ------
    ColumnNotFoundError
        A subject, date, sequence or condition column, or a ``keep`` column, is missing.
    ColumnTypeError
        A date column does not hold dates, or a sequence column integers.
    InvalidValueError
        ADSL repeats a subject, or a source holds a subject that ADSL does not.
    MissingValueError
        A subject with a record has no start date, or an ADSL subject has neither an event
        nor a censoring.
    OptionError
        No source is given, or a censoring code is not a positive integer.

    Notes
    -----
    The selection follows ``admiral::derive_param_tte`` (see the module's documentation):
    first event per source and earliest over sources, last censoring per source and latest
    over sources, ties to the source listed first, an event over any censoring, and
    ``ADT = max(ADT, STARTDT)``. Rows without a date are ignored.

    References
    ----------
    1. CDISC ADaM Basic Data Structure for Time-to-Event Analyses, version 1.0 (2012).
    2. CDISC ADaM Implementation Guide, version 1.3 (2021).
    3. admiral: ADaM in R Asset Library, ``derive_param_tte`` (pharmaverse).

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> adsl = pl.DataFrame({"USUBJID": ["01", "02"], "RANDDT": [dt.date(2024, 1, 1)] * 2,
    ...     "DTHDT": [dt.date(2024, 1, 10), None], "LSTALVDT": [None, dt.date(2024, 2, 1)]})
    >>> death = EventSource(dataset="ADSL", data=adsl, date="DTHDT", description="DEATH")
    >>> alive = CensorSource(dataset="ADSL", data=adsl, date="LSTALVDT",
    ...     description="LAST KNOWN ALIVE")
    >>> os = derive_param_tte(adsl, start_date="RANDDT", event_sources=[death],
    ...     censor_sources=[alive], paramcd="OS", param="Overall Survival (days)")
    >>> os.table["AVAL"].to_list(), os.table["CNSR"].to_list()
    ([10.0, 32.0], [0, 1])
    """
    from survstat.io import scan

    if not event_sources and not censor_sources:
        raise OptionError("derive_param_tte needs at least one event or censoring source")
    frame = scan(adsl)[0].collect()
    start = _check_adsl(frame, subject, start_date)
    for column in keep:
        if column not in frame.columns:
            raise ColumnNotFoundError(column, frame.columns, role="keep (ADSL)")
    events = [_bind(s, i, subject) for i, s in enumerate(event_sources)]
    censors = [_bind(s, i, subject) for i, s in enumerate(censor_sources)]
    picked = [p for p in (_pick(events, True), _pick(censors, False)) if p.collect_schema()]
    # events come first, so that an event wins over any censoring
    chosen = pl.concat(picked).unique("USUBJID", keep="first", maintain_order=True).collect()
    ids = frame.get_column(subject).cast(pl.String)
    _check_subjects(chosen, ids)
    table = (
        frame.select(
            pl.col(subject).cast(pl.String).alias("USUBJID"),
            start.alias("STARTDT"),
            *[pl.col(c) for c in keep if c != subject],
        )
        .join(chosen, on="USUBJID", how="left", maintain_order="left")
        .with_columns(pl.max_horizontal("ADT", "STARTDT").alias("ADT"))
    )
    _check_start(table, start_date)
    days = (pl.col("ADT") - pl.col("STARTDT")).dt.total_days().cast(pl.Float64)
    table = table.with_columns(
        pl.lit(paramcd, pl.String).alias("PARAMCD"),
        pl.lit(param, pl.String).alias("PARAM"),
        (days + 1.0 if add_one else days).alias("AVAL"),
    )
    extra = [c for c in keep if c not in ADTTE_COLUMNS]
    table = table.select(*ADTTE_COLUMNS, *extra)
    return AdamTable(table, {c: ADAM_LABELS[c] for c in ADTTE_COLUMNS})


def _check_start(table: pl.DataFrame, start_date: str) -> None:
    """Every subject with a record has a start date."""
    no_start = table.filter(pl.col("STARTDT").is_null())
    if no_start.height:
        raise MissingValueError(
            f"`{start_date}` (start date of ADSL) is missing for "
            f"{counted(no_start.height, 'subject')} "
            f"with an event or censoring (first: subject {no_start['USUBJID'][0]!r}, "
            f"{no_start['SRCVAR'][0]} {no_start['ADT'][0]} in `{no_start['SRCDOM'][0]}`)"
        )


__all__ = [
    "ADAM_LABELS",
    "ADTTE_COLUMNS",
    "AdamTable",
    "CensorSource",
    "EventSource",
    "derive_param_tte",
]
