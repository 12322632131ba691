"""Subject-level data of CDISC ADaM: join ADSL to the analysis rows and keep a population.

An ADaM analysis dataset (ADTTE, ADRS) holds one row per subject and parameter and often
little besides ``USUBJID``; the treatment (``TRT01P``, ``TRT01A``, ``TRT01PN``), the
stratification factors and the population flags (``ITTFL``, ``SAFFL``, ``EFFFL``, ``PPROTFL``)
live in ADSL, one row per subject (CDISC ADaM IG 1.3, section 3.1). :func:`with_adsl` joins
the two by ``USUBJID`` once, with the checks that keep the join from going silently wrong, and
keeps the subjects of a population.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from survstat.engines import FrameLike, bind
from survstat.errors import ColumnNotFoundError, EmptyDataError, EngineError, InvalidValueError

__all__ = [
    "FLAG_VALUES",
    "SUBJECT",
    "Subjects",
    "align_subject_ids",
    "check_flag",
    "keep_population",
    "show_value",
    "with_adsl",
]

#: The subject identifier that joins ADaM datasets (ADaM IG 1.3, section 3.1).
SUBJECT = "USUBJID"
#: The values of an ADSL population flag: "Y", "N" or blank (ADaM IG 1.3, section 3.1).
FLAG_VALUES = ("Y", "N", "")
#: Prefix of ADSL's copy of a column the analysis rows hold too, while they are compared.
_COPY = "__adsl__"


@dataclass(frozen=True, slots=True)
class Subjects:
    """The analysis rows with ADSL's columns, restricted to a population.

    Attributes
    ----------
    data
        The input itself when neither ADSL nor a population is given, else a polars
        LazyFrame.
    notes
        What the population removed, one line (empty without a population).
    """

    data: FrameLike
    notes: tuple[str, ...] = ()


def with_adsl(
    data: FrameLike, adsl: FrameLike | None = None, *, population: str | None = None
) -> Subjects:
    """Join ADSL to the analysis rows by ``USUBJID`` and keep the subjects of a population.

    CDISC ADaM IG 1.3, section 3.1: ADSL holds one row per subject, keyed by ``USUBJID``;
    a population flag (``ITTFL``, ``SAFFL``, ``EFFFL``, ``PPROTFL``, ...) is "Y", "N" or
    blank. Here:

    - the analysis rows (already filtered to one parameter) are left-joined to ADSL by
      ``USUBJID``, which both tables must hold;
    - ADSL must hold each subject once, and every analysed subject;
    - a column held by both tables (an ADTTE often copies ``TRT01P`` from ADSL) must have the
      same value for every subject; the analysis keeps one copy;
    - ``population`` keeps the rows whose flag is "Y"; the flag is read from ADSL when it is
      given, else from the analysis rows, and a value other than "Y", "N" or blank is an
      error. A note gives the number of subjects it removed.

    Parameters
    ----------
    data
        The analysis rows: any input :func:`survstat.engines.bind` takes.
    adsl
        The ADSL table (a frame or a path: Parquet, .csv, .xpt, .sas7bdat), or None.
    population
        The population flag column, or None for every subject.

    Returns
    -------
    Subjects
        The joined rows of the population and the note of what it removed.

    Raises
    ------
    ColumnNotFoundError
        ``USUBJID`` missing from either table; ``population`` not a column of ADSL (or of the
        analysis rows without ADSL).
    InvalidValueError
        A subject on several ADSL rows; analysed subjects missing from ADSL; a shared column
        whose values differ for some subject; a flag value other than "Y", "N" or blank.
    EmptyDataError
        The population keeps none of the analysed subjects.
    EngineError
        Data held by Spark (the join runs on the polars engine).

    Examples
    --------
    >>> import polars as pl
    >>> adtte = pl.DataFrame({"USUBJID": ["1", "2"], "AVAL": [3.0, 5.0], "CNSR": [0, 1]})
    >>> adsl = pl.DataFrame({"USUBJID": ["1", "2"], "TRT01P": ["A", "B"], "ITTFL": ["Y", "N"]})
    >>> joined = with_adsl(adtte, adsl, population="ITTFL")
    >>> joined.data.collect().get_column("TRT01P").to_list(), joined.notes
    (['A'], ('population ITTFL = "Y": 1 of 2 subjects kept, 1 removed',))
    """
    if adsl is None and population is None:
        return Subjects(data)
    frame, _ = _rows(data)
    flags, where = frame, "the analysis data"
    if adsl is not None:
        flags, source = _rows(adsl)
        where = f"ADSL `{source}`" if source is not None else "ADSL"
        frame = _join(frame, flags, where)
    if population is None:
        return Subjects(frame)
    check_flag(flags, population, where)
    return keep_population(frame, population)


def _rows(data: FrameLike) -> tuple[pl.LazyFrame, str | None]:
    """The rows of ``data`` as a polars LazyFrame and its path (None for a frame), or
    :class:`EngineError` for data held by Spark."""
    rows, source = bind(data)
    if not rows.row_level:
        raise EngineError(
            f"adsl and population run on the polars engine; on {rows.name}, join the analysis "
            f"data to ADSL by `{SUBJECT}` and keep the population first"
        )
    return rows.frame, source


def _require_subject(frame: pl.LazyFrame, where: str) -> pl.Schema:
    schema = frame.collect_schema()
    if SUBJECT not in schema:
        role = "the subject identifier that joins ADSL"
        raise ColumnNotFoundError(SUBJECT, schema.names(), role=role, where=where)
    return schema


def _join(frame: pl.LazyFrame, adsl: pl.LazyFrame, where: str) -> pl.LazyFrame:
    """Left join of ``frame`` to ``adsl`` by ``USUBJID`` with the checks of :func:`with_adsl`."""
    schema = _require_subject(frame, "the analysis data")
    adsl_schema = _require_subject(adsl, where)
    key = pl.col(SUBJECT)
    frame, adsl = align_subject_ids(frame, adsl)
    repeated = adsl.group_by(SUBJECT, maintain_order=True).len().filter(pl.col("len") > 1).collect()
    if repeated.height:
        raise InvalidValueError(
            f"{where}: `{SUBJECT}` must identify one row per subject (ADaM IG 1.3, section "
            f"3.1); found {repeated.height} {_subjects(repeated.height)} on several rows (first: "
            f"{show_value(repeated.item(0, SUBJECT))} on {repeated.item(0, 'len')} rows)"
        )
    absent = frame.join(adsl.select(SUBJECT), on=SUBJECT, how="anti").select(
        key.unique(maintain_order=True)
    )
    absent_ids = absent.collect().get_column(SUBJECT)
    if absent_ids.len():
        raise InvalidValueError(
            f"{where} must hold every analysed subject (`{SUBJECT}`); found "
            f"{absent_ids.len()} {_subjects(absent_ids.len())} of the analysis data not in it "
            f"(first: {show_value(absent_ids[0])})"
        )
    shared = [c for c in adsl_schema.names() if c in schema and c != SUBJECT]
    renamed = adsl.rename({c: _COPY + c for c in shared})
    joined = frame.join(renamed, on=SUBJECT, how="left", maintain_order="left")
    if shared:
        _check_shared(joined, shared, schema, adsl_schema, where)
    return joined.drop(_COPY + c for c in shared)


def align_subject_ids(frame: pl.LazyFrame, adsl: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Give ``USUBJID`` one type in both tables, so that they can be compared and joined.

    Parameters
    ----------
    frame
        The analysis rows (ADTTE, ADAE, ...), holding ``USUBJID``.
    adsl
        The ADSL rows, holding ``USUBJID``.

    Returns
    -------
    tuple[pl.LazyFrame, pl.LazyFrame]
        Both tables, unchanged when their ``USUBJID`` types agree; else with ``USUBJID`` as
        Float64 when both are numeric (SAS transport files hold every number as a float),
        and as text otherwise (integer ids in one table, text in the other).
    """
    left = frame.collect_schema()[SUBJECT]
    right = adsl.collect_schema()[SUBJECT]
    if left == right:
        return frame, adsl
    common = pl.Float64 if left.is_numeric() and right.is_numeric() else pl.String
    key = pl.col(SUBJECT).cast(common)
    return frame.with_columns(key), adsl.with_columns(key)


def _check_shared(
    joined: pl.LazyFrame, shared: list[str], schema: pl.Schema, adsl: pl.Schema, where: str
) -> None:
    """A column in both tables must hold the same value for each subject (nulls agree)."""
    differ = {}
    for c in shared:
        numeric = schema[c].is_numeric() and adsl[c].is_numeric()
        as_type = pl.Float64 if numeric else pl.String
        left, right = pl.col(c).cast(as_type), pl.col(_COPY + c).cast(as_type)
        differ[c] = ~left.eq_missing(right)
    flags = [e.alias(f"{_COPY}differ_{c}") for c, e in differ.items()]
    found = (
        joined.select(SUBJECT, *shared, *(_COPY + c for c in shared), *flags)
        .filter(pl.any_horizontal(f"{_COPY}differ_{c}" for c in shared))
        .collect()
    )
    for c in shared:
        rows = found.filter(pl.col(f"{_COPY}differ_{c}"))
        if rows.height:
            n = rows.get_column(SUBJECT).n_unique()
            raise InvalidValueError(
                f"`{c}` is in both the analysis data and {where} with different values for "
                f"{n} {_subjects(n)} (first: {show_value(rows.item(0, SUBJECT))} with "
                f"{show_value(rows.item(0, c))} in the analysis data, "
                f"{show_value(rows.item(0, _COPY + c))} in ADSL); make them agree or drop one"
            )


def check_flag(frame: pl.LazyFrame, flag: str, where: str) -> None:
    """Check that a population flag is "Y", "N" or blank (null) on every row of its table.

    Parameters
    ----------
    frame
        The table holding the flag (ADSL, or the analysis rows).
    flag
        The flag column (``SAFFL``, ``ITTFL``, ...).
    where
        The table as messages name it (e.g. ``ADSL``).

    Raises
    ------
    ColumnNotFoundError
        ``flag`` is not a column of ``frame``.
    InvalidValueError
        A value other than "Y", "N" or blank, naming how many rows and the first subject.
    """
    schema = frame.collect_schema()
    if flag not in schema:
        raise ColumnNotFoundError(flag, schema.names(), role="population", where=where)
    value = pl.col(flag).cast(pl.String).str.strip_chars()
    context = [SUBJECT] if SUBJECT in schema else []
    bad = (
        frame.with_row_index("__row")
        .filter(value.is_not_null() & ~value.is_in(FLAG_VALUES))
        .select("__row", *context, flag)
        .collect()
    )
    if bad.height:
        values = bad.get_column(flag).cast(pl.String).unique(maintain_order=True).to_list()
        listed = ", ".join(show_value(v) for v in values)
        at = (
            f"subject {show_value(bad.item(0, SUBJECT))}"
            if context
            else f"row {bad.item(0, '__row')}"
        )
        raise InvalidValueError(
            f'`{flag}` (population flag) in {where} must be "Y", "N" or blank (ADaM IG 1.3, '
            f"section 3.1); found {bad.height} {'row' if bad.height == 1 else 'rows'} with "
            f"{listed} (first: {show_value(bad.item(0, flag))} for {at})"
        )


def keep_population(frame: pl.LazyFrame, flag: str) -> Subjects:
    """Keep the rows whose ``flag`` is "Y", with a note of the subjects (or rows) removed.

    Parameters
    ----------
    frame
        The rows, with the flag (already checked by :func:`check_flag`).
    flag
        The population flag column.

    Returns
    -------
    Subjects
        The rows kept and one note: how many subjects (rows, without ``USUBJID``) were kept
        and removed.

    Raises
    ------
    EmptyDataError
        The flag keeps none of the rows.
    """
    keep = pl.col(flag).cast(pl.String).str.strip_chars() == "Y"
    if SUBJECT in frame.collect_schema():
        unit = pl.col(SUBJECT)
        counts = frame.select(total=unit.n_unique(), kept=unit.filter(keep).n_unique())
        what = "subjects"
    else:
        counts = frame.select(total=pl.len(), kept=keep.sum())
        what = "rows"
    total, kept = counts.collect().row(0)
    if total and not kept:
        raise EmptyDataError(
            f'population {flag} = "Y" keeps none of the {total} analysed {what}: every '
            f'`{flag}` is "N" or blank'
        )
    note = f'population {flag} = "Y": {kept} of {total} {what} kept, {total - kept} removed'
    return Subjects(frame.filter(keep), (note,))


def _subjects(n: int) -> str:
    return "subject" if n == 1 else "subjects"


def show_value(value: Any) -> str:
    """A value as messages quote it: text in quotes, null as null.

    Parameters
    ----------
    value
        Any value of a table.

    Returns
    -------
    str
        ``null`` for None, else the value's ``repr``.
    """
    return "null" if value is None else repr(value)
