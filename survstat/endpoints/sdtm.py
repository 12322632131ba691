"""SDTM DM and RS to survstat's RECIST inputs: the visits table and the subject table.

SDTM holds collected data (CDISC SDTM IG 3.4): DM one row per subject (``USUBJID``, the
reference start ``RFSTDTC``, death ``DTHDTC``, ``ARM``, end of participation ``RFPENDTC``), RS
the disease response assessments, of which the overall response per time point has
``RSTESTCD = "OVRLRESP"``, its standardised result in ``RSSTRESC``, its date in ``RSDTC`` and
its evaluator in ``RSEVAL`` (INVESTIGATOR, INDEPENDENT ASSESSOR, ...). :func:`rs_visits` reads
them into the tables ``survstat recist derive --from-dates`` reads; :func:`read_dm` is shared
with the TR and LB adapters (:mod:`~survstat.endpoints.sdtm_tr`,
:mod:`~survstat.endpoints.sdtm_lb`).

References
----------
1. CDISC SDTM Implementation Guide v3.4 (2021): 5.2 DM; 6.3.17 RS; 4.4.4 study day.
2. CDISC SDTM Oncology domains (TU, TR, RS), SDTM IG 3.4 section 6.3.17.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from survstat._choices import DateImputation, HighestImputation
from survstat.endpoints._ids import is_text
from survstat.endpoints.recist_input import _IGNORED, _KEYS, RESPONSES
from survstat.endpoints.sdtm_dates import impute_dtc, study_day
from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    EmptyDataError,
    InvalidValueError,
    OptionError,
    check_unique_ids,
)
from survstat.io import FrameLike, scan


@dataclass(frozen=True, slots=True)
class Imputation:
    """How partial SDTM dates are completed (see :func:`~survstat.endpoints.sdtm_dates.impute_dtc`).

    Attributes
    ----------
    highest
        ``"none"``: a partial date is an error; ``"D"`` or ``"M"``: impute up to that part.
    rule
        ``"first"``, ``"mid"`` or ``"last"`` of the possible period.
    """

    highest: HighestImputation = "none"
    rule: DateImputation = "first"


#: SDTM variables that hold text, by the end of their name (``--TESTCD``, ``--STRESC``, ...).
_TEXT_SUFFIXES = ("DTC", "TESTCD", "STRESC", "STRESU", "STAT", "GRPID", "LNKGRP", "EVAL", "REFID")
_TEXT_NAMES = ("USUBJID", "VISIT")
#: SDTM variables that hold numbers.
_NUMBER_SUFFIXES = ("STRESN",)


def _check_types(frame: pl.DataFrame, domain: str) -> None:
    """Text variables must be text and ``--STRESN`` finite numbers (null allowed)."""
    for name, dtype in frame.schema.items():
        if dtype == pl.Null:
            continue
        if name in _TEXT_NAMES or (len(name) > 2 and name[2:].endswith(_TEXT_SUFFIXES)):
            if not is_text(dtype):
                raise ColumnTypeError(f"{domain} `{name}` must hold text; found {dtype}")
        elif len(name) > 2 and name[2:].endswith(_NUMBER_SUFFIXES):
            if not dtype.is_numeric():
                raise ColumnTypeError(f"{domain} `{name}` must hold numbers; found {dtype}")
            bad = frame.filter(~pl.col(name).cast(pl.Float64).is_finite())
            if bad.height:
                raise InvalidValueError(
                    f"{domain} `{name}` must be finite; found {bad.height} values NaN or "
                    f"infinite (first: USUBJID {bad.row(0, named=True).get('USUBJID')!r})"
                )


def read_domain(source: FrameLike, domain: str, columns: tuple[str, ...]) -> pl.DataFrame:
    """Read an SDTM domain and check that it holds ``columns``.

    Text variables (``USUBJID``, ``VISIT``, ``--DTC``, ``--TESTCD``, ``--STRESC``, ...) must
    hold text and ``--STRESN`` finite numbers.

    Parameters
    ----------
    source
        The domain: a frame or a path (Parquet, CSV, XPT, sas7bdat).
    domain
        Its name (``"RS"``), for messages.
    columns
        The variables it must hold.

    Returns
    -------
    polars.DataFrame
        The domain, with at least one row; categorical text is read as String.
    """
    frame = scan(source)[0].collect()
    for name in columns:
        if name not in frame.columns:
            raise ColumnNotFoundError(name, frame.columns, role=f"{domain} variable")
    if frame.height == 0:
        raise EmptyDataError(f"{domain} has no rows")
    _check_types(frame, domain)
    text = [n for n, t in frame.schema.items() if t != pl.String and is_text(t)]
    return frame.with_columns(pl.col(text).cast(pl.String)) if text else frame


def complete_dates(
    frame: pl.DataFrame,
    column: str,
    domain: str,
    imputation: Imputation,
    *,
    required: bool = True,
    max_date: str | None = None,
) -> pl.DataFrame:
    """Add ``<column without C>`` (date) and its ``F`` flag; a partial date that is not
    imputed is an error naming the domain, column, value and USUBJID.

    Parameters
    ----------
    frame
        The domain.
    column
        Its ``--DTC`` variable.
    domain
        Its name, for messages.
    imputation
        How partial dates are completed.
    required
        Whether a missing value is an error.
    max_date
        A date column the imputed dates must not pass (the death date).

    Returns
    -------
    polars.DataFrame
        ``frame`` with the date and flag columns.
    """
    out = impute_dtc(
        frame,
        column,
        highest_imputation=imputation.highest,
        date_imputation=imputation.rule,
        max_date=max_date,
        required=required,
        table=domain,
    )
    if imputation.highest == "none":
        given = pl.col(column).str.strip_chars().str.len_chars() > 0
        partial = out.filter(pl.col(column[:-1]).is_null() & given)
        if partial.height:
            first = partial.row(0, named=True)
            raise InvalidValueError(
                f"{domain} `{column}` holds {partial.height} partial dates (first: "
                f"{first[column]!r}, USUBJID {first.get('USUBJID')!r}); choose an imputation "
                "(highest_imputation D or M)"
            )
    return out


def read_dm(dm: FrameLike, imputation: Imputation = Imputation()) -> pl.DataFrame:
    """DM with ``RFSTDT`` (the complete reference start date) and ``DTHDT`` (the death date,
    imputed as ``imputation`` says, never after ``RFPENDTC`` when DM holds it).

    Parameters
    ----------
    dm
        The DM domain: USUBJID and RFSTDTC; DTHDTC, RFPENDTC, ARM when present.
    imputation
        How a partial death date is completed.

    Returns
    -------
    polars.DataFrame
        One row per subject.
    """
    frame = read_domain(dm, "DM", ("USUBJID", "RFSTDTC"))
    check_unique_ids(frame, "USUBJID", "DM")
    # the reference start is a study day's origin: it must be a complete date
    frame = complete_dates(frame, "RFSTDTC", "DM", Imputation())
    bound = None
    if "RFPENDTC" in frame.columns:
        frame = complete_dates(frame, "RFPENDTC", "DM", imputation, required=False)
        bound = "RFPENDT"
    if "DTHDTC" in frame.columns:
        frame = complete_dates(frame, "DTHDTC", "DM", imputation, required=False, max_date=bound)
    return frame


def _evaluator(frame: pl.DataFrame, evaluator: str | None) -> pl.DataFrame:
    """The overall responses of one evaluator (RSEVAL)."""
    if "RSEVAL" not in frame.columns:
        if evaluator is not None:
            raise ColumnNotFoundError("RSEVAL", frame.columns, role="RS evaluator")
        return frame
    found = sorted({str(v) for v in frame.get_column("RSEVAL").drop_nulls().to_list()})
    shown = ", ".join(map(repr, found))
    if evaluator is None:
        if len(found) > 1:
            raise OptionError(
                f"RS `RSEVAL` holds {len(found)} evaluators ({shown}); choose one with evaluator"
            )
        return frame
    if evaluator not in found:
        raise OptionError(f"evaluator {evaluator!r} is not in RS `RSEVAL` (found: {shown})")
    return frame.filter(pl.col("RSEVAL") == evaluator)


def _responses(frame: pl.DataFrame) -> pl.Expr:
    """RSSTRESC as a RECIST code; unknown or missing codes are errors."""
    key = pl.col("RSSTRESC").cast(pl.String).str.to_uppercase().str.replace_all(_IGNORED, "")
    code = key.replace_strict(_KEYS, default=None, return_dtype=pl.String)
    bad = frame.filter(code.is_null())
    if bad.height:
        shown = sorted({str(v) for v in bad.get_column("RSSTRESC").to_list()})[:6]
        raise InvalidValueError(
            f"RS `RSSTRESC` holds unknown overall responses {shown} in {bad.height} of "
            f"{frame.height} OVRLRESP rows; expected one of {', '.join(RESPONSES)} (first: "
            f"USUBJID {bad['USUBJID'][0]!r})"
        )
    return code


def dm_subjects(dm: FrameLike, imputation: Imputation = Imputation()) -> pl.DataFrame:
    """The RECIST subject table from DM (the one :func:`rs_visits` returns).

    Parameters
    ----------
    dm
        The DM domain: USUBJID, RFSTDTC; DTHDTC, RFPENDTC, ARM when present.
    imputation
        How a partial death date is completed (never after RFPENDTC).

    Returns
    -------
    polars.DataFrame
        One row per subject: subject_id, arm, start_date, death_date, death_date_flag,
        last_alive_date (RFPENDTC of subjects without a death date), the columns DM allows.
    """
    return _subjects(read_dm(dm, imputation))


def _subjects(dm: pl.DataFrame) -> pl.DataFrame:
    """The RECIST subject table from DM read by :func:`read_dm`."""
    dead = pl.col("DTHDT").is_not_null() if "DTHDT" in dm.columns else pl.lit(False)
    cols = [pl.col("USUBJID").alias("subject_id")]
    if "ARM" in dm.columns:
        cols.append(pl.col("ARM").alias("arm"))
    cols.append(pl.col("RFSTDT").alias("start_date"))
    if "DTHDT" in dm.columns:
        cols += [pl.col("DTHDT").alias("death_date"), pl.col("DTHDTF").alias("death_date_flag")]
    if "RFPENDT" in dm.columns:
        cols.append(pl.when(~dead).then(pl.col("RFPENDT")).alias("last_alive_date"))
    return dm.select(cols)


def rs_visits(
    rs: FrameLike,
    dm: FrameLike,
    *,
    evaluator: str | None = None,
    imputation: Imputation = Imputation(),
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The RECIST visits and subject tables from SDTM RS and DM.

    Visits: the ``RSTESTCD = "OVRLRESP"`` rows of one evaluator, one row per assessment:
    subject_id (USUBJID), visit (VISIT, when RS has it), assessment_date (RSDTC as a date),
    assessment_date_flag (the imputation flag, ``D``/``M``), study_day (SDTM IG 4.4.4,
    recomputed from the dates: day 1 is RFSTDTC) and response (RSSTRESC read as CR, PR, SD,
    NON-CR/NON-PD, NED, PD, NE). Rows with ``RSSTAT = "NOT DONE"`` are no assessment and are
    left out; so are assessments on or before the reference start date (study day 1 or
    less: baseline, not a response on treatment).

    Subjects (from DM, one row per subject): subject_id, arm (ARM), start_date (RFSTDTC),
    death_date (DTHDTC, imputed as ``imputation`` says and never after RFPENDTC) with
    death_date_flag, and last_alive_date: RFPENDTC (end of participation) for subjects
    without a death date. DM does not hold the date of a new anticancer therapy (from CM,
    PR or the end-of-treatment disposition in DS) nor a last-alive date derived across
    domains (ADaM ``LSTALVDT`` from DS, SV, AE, ...): add ``new_therapy_date`` or replace
    ``last_alive_date`` before ``recist derive --from-dates``.

    Parameters
    ----------
    rs
        The RS domain: USUBJID, RSTESTCD, RSSTRESC, RSDTC; RSEVAL, VISIT, RSSTAT when present.
    dm
        The DM domain: USUBJID, RFSTDTC; DTHDTC, RFPENDTC, ARM when present.
    evaluator
        The RSEVAL value to keep; required when RS holds several evaluators.
    imputation
        How partial assessment and death dates are completed (default: a partial date is
        an error); imputed dates never pass the subject's RFPENDTC.

    Returns
    -------
    (visits, subjects)
        The tables ``recist derive --from-dates`` reads.

    Raises
    ------
    OptionError
        Several evaluators and none chosen (listing them), or an unknown evaluator.
    InvalidValueError
        Unknown RSSTRESC codes, invalid or partial dates, duplicated assessments, subjects
        missing from DM (naming the values and the first USUBJID).
    """
    frame = read_domain(rs, "RS", ("USUBJID", "RSTESTCD", "RSSTRESC", "RSDTC"))
    frame = frame.filter(pl.col("RSTESTCD") == "OVRLRESP")
    if "RSSTAT" in frame.columns:
        frame = frame.filter(pl.col("RSSTAT").is_null() | (pl.col("RSSTAT") != "NOT DONE"))
    if frame.height == 0:
        raise EmptyDataError("RS has no overall responses (RSTESTCD = 'OVRLRESP')")
    frame = _evaluator(frame, evaluator)
    frame = frame.with_columns(_responses(frame).alias("__response"))
    subjects = read_dm(dm, imputation)
    bound = "RFPENDT" if "RFPENDT" in subjects.columns else None
    frame = frame.drop("RFSTDT", "RFPENDT", strict=False).join(
        subjects.select("USUBJID", "RFSTDT", *([bound] if bound else [])),
        on="USUBJID",
        how="left",
    )
    orphans = frame.filter(pl.col("RFSTDT").is_null())
    if orphans.height:
        raise InvalidValueError(
            f"RS: {orphans.height} overall responses belong to subjects missing from DM "
            f"(first: USUBJID {orphans['USUBJID'][0]!r})"
        )
    # an imputed assessment date never passes the subject's end of participation
    frame = complete_dates(frame, "RSDTC", "RS", imputation, max_date=bound)
    frame = frame.with_columns(study_day(pl.col("RSDT"), pl.col("RFSTDT")).alias("__dy"))
    frame = frame.filter(pl.col("__dy") > 1)
    dup = frame.select(pl.struct("USUBJID", "RSDT").is_duplicated()).to_series()
    if dup.any():
        first = frame.filter(dup).row(0, named=True)
        raise InvalidValueError(
            f"RS: {int(dup.sum())} overall responses share a subject and date (first: USUBJID "
            f"{first['USUBJID']!r}, RSDTC {first['RSDTC']!r}); choose one evaluator or remove "
            "the duplicates"
        )
    visit = [pl.col("VISIT").alias("visit")] if "VISIT" in frame.columns else []
    visits = frame.sort("USUBJID", "RSDT").select(
        pl.col("USUBJID").alias("subject_id"),
        *visit,
        pl.col("RSDT").alias("assessment_date"),
        pl.col("RSDTF").alias("assessment_date_flag"),
        pl.col("__dy").alias("study_day"),
        pl.col("__response").alias("response"),
    )
    return visits, _subjects(subjects)


__all__ = [
    "Imputation",
    "complete_dates",
    "dm_subjects",
    "read_dm",
    "read_domain",
    "rs_visits",
]
