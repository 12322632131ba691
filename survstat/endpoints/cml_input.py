"""Reading CML inputs: validation and the codings labs use.

Every CML function (:mod:`~survstat.endpoints.cml_levels`,
:mod:`~survstat.endpoints.cml_endpoints`, :mod:`~survstat.analyses.cml_response`,
:mod:`~survstat.endpoints.cml_monitoring`, :mod:`~survstat.endpoints.cml_tfr`) reads its lab
results through :func:`read_labs` (and its patient table through
:func:`~survstat.endpoints.cml_patients.read_patients`), so that bad input gives one clear
:class:`~survstat.errors.SurvstatError` naming the column, the rule, how many values break it
and the first patient and time, and compares values with thresholds through :func:`compare`
only (from :mod:`~survstat.endpoints.cml_thresholds`, with :class:`Thresholds` and
:data:`SIGNIFICANT_DIGITS`; all three are imported here).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from survstat.endpoints._ids import is_text
from survstat.endpoints.cml_thresholds import SIGNIFICANT_DIGITS, Thresholds, compare
from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    EmptyDataError,
    InvalidValueError,
    MissingValueError,
    OptionError,
    SurvstatError,
    SurvstatWarning,
)
from survstat.io import FrameLike, scan

#: Text codings of the ``detected`` column, compared in upper case with runs of spaces,
#: hyphens and underscores read as one space: what laboratory systems export for a
#: qualitative BCR-ABL1 result ("Detected" / "Not detected", "Positive" / "Negative",
#: "Detectable" / "Undetectable", Y/N, Yes/No, True/False, 1/0).
DETECTED_CODES: Mapping[str, bool] = {
    **dict.fromkeys(("DETECTED", "DETECTABLE", "POSITIVE", "POS", "Y", "YES", "TRUE", "1"), True),
    **dict.fromkeys(
        (
            "NOT DETECTED",
            "UNDETECTED",
            "NOT DETECTABLE",
            "UNDETECTABLE",
            "NEGATIVE",
            "NEG",
            "N",
            "NO",
            "FALSE",
            "0",
        ),
        False,
    ),
}


@dataclass(frozen=True, slots=True)
class Columns:
    """Names of the lab-result columns."""

    patient: str = "patient_id"
    time: str = "time"
    is_percent: str = "is_percent"
    detected: str = "detected"
    control_gene: str = "control_gene"
    control_copies: str = "control_copies"


#: Columns added to the lab results while they are read (dropped from public outputs).
INTERNAL = ("__row", "__t", "__det", "__is", "__gene", "__copies", "__upper", "__rank")


def _is_number(dtype: pl.DataType) -> bool:
    return (dtype.is_numeric() and dtype != pl.Boolean) or dtype == pl.Null


def number_column(frame: pl.DataFrame, name: str, role: str, what: str) -> pl.Expr:
    """``name`` as Float64, or :class:`ColumnTypeError` when it is not numeric."""
    dtype = frame.schema[name]
    if not _is_number(dtype):
        hint = "; cast it, e.g. pl.col(...).cast(pl.Float64)" if is_text(dtype) else ""
        if dtype.is_temporal():
            hint = "; convert dates with survstat.endpoints.dates.times_from_dates"
        raise ColumnTypeError(f"`{name}` ({role}) must be numeric ({what}); found {dtype}{hint}")
    return pl.col(name).cast(pl.Float64)


def check_id_column(frame: pl.DataFrame, name: str, role: str) -> None:
    """Raise :class:`ColumnTypeError` unless ``name`` holds text or integer ids."""
    dtype = frame.schema[name]
    if not (is_text(dtype) or dtype.is_integer() or dtype == pl.Null):
        raise ColumnTypeError(f"`{name}` ({role}) must be text or integer ids; found {dtype}")


def require_columns(frame: pl.DataFrame, names: Iterable[tuple[str, str]]) -> None:
    """Raise :class:`ColumnNotFoundError` for the first (column, role) not in ``frame``."""
    for name, role in names:
        if name not in frame.columns:
            raise ColumnNotFoundError(name, frame.columns, role=role)


def fail_where(
    frame: pl.DataFrame,
    bad: pl.Expr,
    error: type[SurvstatError],
    rule: str,
    where: Callable[[dict[str, Any]], str],
    *,
    what: str = "rows",
) -> None:
    """Raise ``error`` when ``bad`` holds on any row of ``frame``.

    The message reads "<rule>; found <n> of <N> <what> (first: <where(first bad row)>)".
    """
    hit = frame.select(bad.fill_null(False).alias("__bad")).to_series()
    n_bad = int(hit.sum())
    if n_bad:
        first = frame.filter(hit).row(0, named=True)
        raise error(f"{rule}; found {n_bad} of {frame.height} {what} (first: {where(first)})")


def _detected(frame: pl.DataFrame, cols: Columns) -> pl.DataFrame:
    """Add ``__det`` (Boolean) from the coding of ``detected``; anything else is an error."""
    name = cols.detected
    dtype = frame.schema[name]
    col = pl.col(name)
    if dtype == pl.Boolean:
        det = col
    elif _is_number(dtype):
        det = pl.when(col == 1).then(True).when(col == 0).then(False)
    elif is_text(dtype):
        key = col.cast(pl.String).str.strip_chars().str.to_uppercase()
        key = key.str.replace_all(r"[\s_\-]+", " ")
        det = key.replace_strict(dict(DETECTED_CODES), default=None, return_dtype=pl.Boolean)
    else:
        raise ColumnTypeError(
            f"`{name}` (detected) must be boolean, 0/1 or text such as DETECTED/NOT DETECTED; "
            f"found {dtype}"
        )
    out = frame.with_columns(det.alias("__det"))
    bad = out.filter(pl.col("__det").is_null())
    if bad.height:
        shown = sorted({repr(v) for v in bad.get_column(name).to_list()})[:6]
        first = bad.row(0, named=True)
        raise InvalidValueError(
            f"`{name}` must be true/false, 1/0, Y/N, Yes/No, DETECTED/NOT DETECTED, "
            f"DETECTABLE/UNDETECTABLE or POSITIVE/NEGATIVE; found {bad.height} of "
            f"{frame.height} rows with other values ({', '.join(shown)}) "
            f"(first: {_at(first, cols)})"
        )
    return out


def _at(row: Mapping[str, Any], cols: Columns) -> str:
    return f"patient {row[cols.patient]!r} at {cols.time} {row[cols.time]}"


def _at_row(row: Mapping[str, Any], cols: Columns) -> str:
    return f"patient {row[cols.patient]!r} at row {row['__row']}"


def read_labs(labs: FrameLike, cols: Columns, thr: Thresholds) -> pl.DataFrame:
    """Read and validate the lab results once.

    Adds the internal columns ``__row`` (row number), ``__t`` (time), ``__det``, ``__is``,
    ``__gene`` (upper case) and ``__copies``.
    """
    frame = scan(labs)[0].collect()
    roles = ("patient", "time", "is_percent", "detected", "control_gene", "control_copies")
    require_columns(frame, ((getattr(cols, r), r) for r in roles))
    if frame.height == 0:
        raise EmptyDataError("the lab results have no rows")
    check_id_column(frame, cols.patient, "patient")
    gene_type = frame.schema[cols.control_gene]
    if not (is_text(gene_type) or gene_type == pl.Null):
        raise ColumnTypeError(
            f"`{cols.control_gene}` (control gene) must be text such as ABL1 or GUSB; "
            f"found {gene_type}"
        )
    frame = frame.with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("__row"),
        number_column(frame, cols.time, "time", "time since the start of treatment").alias("__t"),
        number_column(frame, cols.is_percent, "is_percent", "IS %").alias("__is"),
        number_column(frame, cols.control_copies, "control_copies", "copies").alias("__copies"),
        pl.col(cols.control_gene)
        .cast(pl.String)
        .str.strip_chars()
        .str.to_uppercase()
        .alias("__gene"),
    )
    fail_where(
        frame,
        pl.col(cols.patient).is_null(),
        MissingValueError,
        f"`{cols.patient}` must not be missing",
        lambda r: f"row {r['__row']}",
    )
    t = pl.col("__t")
    fail_where(
        frame,
        t.is_null() | t.is_nan(),
        MissingValueError,
        f"`{cols.time}` must not be missing or NaN",
        lambda r: _at_row(r, cols),
    )
    fail_where(
        frame,
        t.is_infinite(),
        InvalidValueError,
        f"`{cols.time}` must be finite",
        lambda r: f"{r[cols.time]} for {_at_row(r, cols)}",
    )
    frame = _detected(frame, cols)
    _check_values(frame, cols, thr)
    dup = frame.select(pl.struct(cols.patient, "__t").is_duplicated()).to_series()
    if dup.any():
        first = frame.filter(dup).row(0, named=True)
        raise InvalidValueError(
            f"duplicated samples: {int(dup.sum())} rows share a ({cols.patient}, {cols.time}) "
            f"(first: {_at(first, cols)})"
        )
    return frame


def _check_values(frame: pl.DataFrame, cols: Columns, thr: Thresholds) -> None:
    """Check the measurements a classification needs (EUTOS, Cross et al. 2015).

    A detected result has a positive, finite IS %; an undetectable one has its control gene
    and copies.
    """
    _check_is_percent(frame, cols)
    _check_copies(frame, cols, thr)


def _check_is_percent(frame: pl.DataFrame, cols: Columns) -> None:
    """Check the IS % values.

    IS % is needed for a detected result, finite and non-negative wherever reported, and
    positive for a detected result; above 100% is a warning (a conversion to check).
    """
    det, value = pl.col("__det"), pl.col("__is")
    at = lambda r: _at(r, cols)  # noqa: E731
    fail_where(
        frame,
        det & (value.is_null() | value.is_nan()),
        MissingValueError,
        f"`{cols.is_percent}` is needed for detected samples",
        at,
        what="rows",
    )
    shown = lambda r: f"{r['__is']} for {_at(r, cols)}"  # noqa: E731
    # a reported IS % is a measurement, whatever the detected flag says
    fail_where(
        frame,
        value.is_infinite(),
        InvalidValueError,
        f"`{cols.is_percent}` must be finite",
        shown,
    )
    fail_where(
        frame,
        value < 0,
        InvalidValueError,
        f"`{cols.is_percent}` must not be negative",
        shown,
    )
    fail_where(
        frame,
        det & (value == 0),
        InvalidValueError,
        f"`{cols.is_percent}` must be positive for a detected sample (code an undetectable "
        f"result as not detected, with its control-gene copies)",
        shown,
    )
    above = frame.filter(det & compare(value, ">", 100.0))
    if above.height:
        first = above.row(0, named=True)
        warnings.warn(
            f"`{cols.is_percent}` above 100% in {above.height} samples (first: "
            f"{first['__is']} for {_at(first, cols)}); check the IS conversion",
            SurvstatWarning,
            # one location for every caller: shown once, even by an analysis that reads the
            # same results twice (cml tfr: eligibility and endpoints)
            stacklevel=1,
        )


def _check_copies(frame: pl.DataFrame, cols: Columns, thr: Thresholds) -> None:
    """Check the control-gene copies.

    An undetectable result needs its control-gene copies and a known control gene; copies
    are a finite, non-negative count wherever reported.
    """
    det, copies = pl.col("__det"), pl.col("__copies")
    at = lambda r: _at(r, cols)  # noqa: E731
    fail_where(
        frame,
        ~det & (copies.is_null() | copies.is_nan()),
        MissingValueError,
        f"`{cols.control_copies}` is needed for undetectable samples",
        at,
    )
    fail_where(
        frame,
        copies.is_infinite() | (copies < 0),  # a count, whatever the sample
        InvalidValueError,
        f"`{cols.control_copies}` must be finite and non-negative",
        lambda r: f"{r['__copies']} for {_at(r, cols)}",
    )
    genes = sorted(thr.floors())
    unknown = frame.filter(~det & ~pl.col("__gene").is_in(genes).fill_null(False))
    if unknown.height:
        shown_genes = sorted({repr(g) for g in unknown.get_column(cols.control_gene)})[:5]
        raise InvalidValueError(
            f"`{cols.control_gene}` must be one of {genes} (any case) for undetectable "
            f"samples; found {unknown.height} of {frame.height} rows with "
            f"{', '.join(shown_genes)} (first: {_at(unknown.row(0, named=True), cols)})"
        )


def number_option(name: str, value: Any, *, minimum: float = 0.0, strict: bool = False) -> float:
    """Return ``value`` as a float, checked against ``minimum``.

    ``value`` must be finite and at least (or, ``strict``, above) ``minimum``; otherwise
    :class:`OptionError`.
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise OptionError(f"`{name}` must be a number; got {value!r}") from None
    ok = np.isfinite(v) and (v > minimum if strict else v >= minimum)
    if not ok:
        bound = f"> {minimum:g}" if strict else f">= {minimum:g}"
        raise OptionError(f"`{name}` must be finite and {bound}; got {value!r}")
    return v


__all__ = [
    "DETECTED_CODES",
    "SIGNIFICANT_DIGITS",
    "Columns",
    "Thresholds",
    "compare",
    "read_labs",
]
