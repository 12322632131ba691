"""SDTM LB to survstat's CML labs table: one row per BCR-ABL1 sample.

In LB (SDTM IG 3.4 section 6.3.5) a BCR-ABL1 qPCR sample is several rows: the BCR-ABL1 ratio
on the International Scale in % (``LBTESTCD = is_test``) and the control gene's copies
(``LBTESTCD = control_test``, ABL1 or GUSB), each with its result as text (``LBSTRESC``) and
as a number (``LBSTRESN``). :func:`lb_labs` pivots them into one row per sample with the
columns ``survstat cml classify`` reads.

The sample key is the specimen id ``LBREFID`` when LB has that column filled on every
BCR-ABL1 and control row: two results of one specimen belong together whatever their
recorded times. Otherwise it is the collection date-time ``LBDTC`` as written, so that
two samples of one day are two samples only if their times differ.

Results:

* a number in ``LBSTRESN``: detected, ``is_percent`` that number;
* ``LBSTRESC`` "NOT DETECTED", "UNDETECTABLE", "NEGATIVE" (the spellings of
  :data:`survstat.endpoints.cml_input.DETECTED_CODES`): not detected, no ``is_percent``;
* ``LBSTRESC`` ``<x`` (below the limit of quantification, e.g. ``<0.0032``): detected, with
  ``is_percent = x`` and ``below_limit`` true. The level is at most x, so the molecular
  response x shows (MR4.5 for ``<0.0032``) is the one the result proves, never a deeper one;
* anything else (``>100``, text) is an error naming the value and USUBJID.

The BCR-ABL1 result must be in % (``LBSTRESU``), as the International Scale is a percentage.

References
----------
1. CDISC SDTM Implementation Guide v3.4 (2021), 6.3.5 LB; CDISC Controlled Terminology.
2. Cross NCP et al. (2015). Laboratory recommendations for scoring deep molecular responses
   following treatment for chronic myeloid leukemia. Leukemia 29:999-1003.
"""

from __future__ import annotations

import polars as pl

from survstat.endpoints.cml_input import DETECTED_CODES
from survstat.endpoints.dates import DAYS_PER_UNIT
from survstat.endpoints.sdtm import Imputation, complete_dates, read_dm, read_domain
from survstat.errors import ColumnNotFoundError, InvalidValueError, MissingValueError, counted
from survstat.io import FrameLike

_LESS = r"^\s*<\s*(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*$"


def _fail(frame: pl.DataFrame, rule: str, column: str) -> None:
    if frame.height:
        first = frame.row(0, named=True)
        raise InvalidValueError(
            f"LB `{column}`: {rule}; found {counted(frame.height, 'row')} (first: USUBJID "
            f"{first['USUBJID']!r}, {column} {first[column]!r})"
        )


def _is_results(frame: pl.DataFrame) -> pl.DataFrame:
    """The BCR-ABL1 rows read into __detected, __is, __below."""
    text = pl.col("LBSTRESC").cast(pl.String).str.to_uppercase().str.replace_all(r"[\s\-_]+", " ")
    coded = text.str.strip_chars().replace_strict(
        {k: v for k, v in DETECTED_CODES.items() if not v}, default=None, return_dtype=pl.Boolean
    )
    less = pl.col("LBSTRESC").cast(pl.String).str.extract(_LESS).cast(pl.Float64)
    number = pl.col("LBSTRESN").cast(pl.Float64)
    frame = frame.with_columns(
        pl.when(number.is_not_null())
        .then(True)
        .when(coded.is_not_null())
        .then(False)
        .when(less.is_not_null())
        .then(True)
        .alias("__detected"),
        pl.coalesce(number, less).alias("__is"),
        (number.is_null() & less.is_not_null()).alias("__below"),
    )
    _fail(
        frame.filter(pl.col("__detected").is_null()),
        "a BCR-ABL1 result must be a number, '<x' or 'NOT DETECTED'",
        "LBSTRESC",
    )
    _fail(
        frame.filter(pl.col("__is") < 0),
        "a BCR-ABL1 result must be non-negative",
        "LBSTRESC",
    )
    if "LBSTRESU" in frame.columns:
        _fail(
            frame.filter(pl.col("__is").is_not_null() & (pl.col("LBSTRESU") != "%")),
            "a BCR-ABL1 result on the International Scale must be in %",
            "LBSTRESU",
        )
    return frame


def _one_per_sample(frame: pl.DataFrame, key: list[str], what: str) -> None:
    dup = frame.select(pl.struct(key).is_duplicated()).to_series()
    if dup.any():
        first = frame.filter(dup).row(0, named=True)
        raise InvalidValueError(
            f"LB: {int(dup.sum())} {what} rows share a sample ({', '.join(key)}) (first: "
            f"USUBJID {first['USUBJID']!r}, {key[-1]} {first[key[-1]]!r})"
        )


def lb_labs(
    lb: FrameLike,
    dm: FrameLike,
    *,
    is_test: str = "BCRABL1",
    control_test: str = "ABL1",
) -> pl.DataFrame:
    """One row per BCR-ABL1 sample from SDTM LB, in the columns of ``cml classify``.

    Parameters
    ----------
    lb
        The LB domain: USUBJID, LBTESTCD, LBSTRESC, LBSTRESN, LBDTC; LBREFID, LBSTRESU,
        LBSTAT when present (rows with ``LBSTAT = "NOT DONE"`` are left out).
    dm
        The DM domain: USUBJID, RFSTDTC (the start of treatment), ARM when present.
    is_test
        The LBTESTCD of the BCR-ABL1 result on the International Scale (%).
    control_test
        The LBTESTCD of the control gene's copies (its code, ABL1 or GUSB, is the control
        gene).

    Returns
    -------
    polars.DataFrame
        One row per sample, by patient and date: patient_id (USUBJID), sample_id (LBREFID,
        or null when the sample key is LBDTC), sample_date (LBDTC as a date), time (months
        since RFSTDTC, 365.25 / 12 days each; negative before the start), is_percent,
        detected, below_limit, control_gene and control_copies (null when the sample has no
        control row).

    Raises
    ------
    InvalidValueError
        Unreadable results, units other than %, a control result without a BCR-ABL1
        result, two results of one test in one sample, invalid or partial dates, patients
        missing from DM (naming the column, value and USUBJID).
    """
    frame = read_domain(lb, "LB", ("USUBJID", "LBTESTCD", "LBSTRESC", "LBSTRESN", "LBDTC"))
    frame = frame.filter(pl.col("LBTESTCD").is_in([is_test, control_test]))
    if "LBSTAT" in frame.columns:
        frame = frame.filter(pl.col("LBSTAT").is_null() | (pl.col("LBSTAT") != "NOT DONE"))
    by_refid = "LBREFID" in frame.columns and frame["LBREFID"].null_count() == 0
    key = ["USUBJID", "LBREFID" if by_refid else "LBDTC"]
    bcr = _is_results(frame.filter(pl.col("LBTESTCD") == is_test))
    if bcr.height == 0:
        raise InvalidValueError(f"LB has no BCR-ABL1 results (LBTESTCD {is_test!r})")
    control = frame.filter(pl.col("LBTESTCD") == control_test)
    _one_per_sample(bcr, key, is_test)
    _one_per_sample(control, key, control_test)
    control = control.select(
        *key,
        pl.col("LBTESTCD").alias("__gene"),
        pl.col("LBSTRESN").cast(pl.Float64).alias("__copies"),
    )
    orphans = control.join(bcr, on=key, how="anti")
    _fail(orphans, f"a {control_test} result needs a {is_test} result of the same sample", key[-1])
    bcr = complete_dates(bcr, "LBDTC", "LB", Imputation())
    patients = read_dm(dm).select("USUBJID", "RFSTDT")
    joined = bcr.join(control, on=key, how="left").join(patients, on="USUBJID", how="left")
    _fail(
        joined.filter(pl.col("RFSTDT").is_null()),
        "results of patients missing from DM",
        "USUBJID",
    )
    months = (pl.col("LBDT") - pl.col("RFSTDT")).dt.total_days() / DAYS_PER_UNIT["months"]
    sample = pl.col("LBREFID") if by_refid else pl.lit(None, dtype=pl.String)
    return joined.sort("USUBJID", "LBDT", key[-1]).select(
        pl.col("USUBJID").alias("patient_id"),
        sample.alias("sample_id"),
        pl.col("LBDT").alias("sample_date"),
        months.alias("time"),
        pl.col("__is").alias("is_percent"),
        pl.col("__detected").alias("detected"),
        pl.col("__below").alias("below_limit"),
        pl.col("__gene").alias("control_gene"),
        pl.col("__copies").alias("control_copies"),
    )


def _months(column: str) -> pl.Expr:
    """Months (365.25 / 12 days each) from RFSTDT to the date ``column``."""
    return (pl.col(column) - pl.col("RFSTDT")).dt.total_days() / DAYS_PER_UNIT["months"]


def _check_not_before_start(frame: pl.DataFrame, column: str) -> None:
    """Refuse dates of ``column`` (RFPENDTC, DTHDTC) before RFSTDTC, naming the first."""
    early = frame.filter(pl.col(column.removesuffix("C")) < pl.col("RFSTDT"))
    if early.height:
        first = early.row(0, named=True)
        raise InvalidValueError(
            f"DM `{column}` must not be before `RFSTDTC`; found {early.height} patients "
            f"(first: USUBJID {first['USUBJID']!r}, {column} {first[column]!r}, RFSTDTC "
            f"{first['RFSTDTC']!r})"
        )


def dm_cml_patients(dm: FrameLike) -> pl.DataFrame:
    """The CML patient table from SDTM DM, on the time scale of :func:`lb_labs`.

    Parameters
    ----------
    dm
        The DM domain: USUBJID, RFSTDTC (the start of treatment) and RFPENDTC (the end of
        participation); DTHDTC and ARM when present.

    Returns
    -------
    polars.DataFrame
        One row per patient: patient_id (USUBJID), arm (ARM, when DM has it), start_date
        (RFSTDTC), last_follow_up (months from RFSTDTC to RFPENDTC, or to DTHDTC when the
        patient died) and death (months to DTHDTC; null when alive). DM records no treatment
        discontinuation or progression: add ``discontinuation`` and ``progression`` (months)
        from DS and the disease assessments when the trial records them; without them a
        patient's follow-up ends, censored, at the end of participation.

    Raises
    ------
    ColumnNotFoundError
        DM without RFPENDTC.
    MissingValueError
        A patient without RFPENDTC (naming the number of patients and the first USUBJID).
    InvalidValueError
        Partial or invalid dates, an end of participation (RFPENDTC) or a death (DTHDTC)
        before the start (RFSTDTC), naming the number of patients and the first USUBJID
        with both dates.

    Notes
    -----
    CDISC SDTM IG 3.4 section 5.2 (DM): RFSTDTC is the reference start date and RFPENDTC the
    date of the end of participation, the last date the patient was followed; a month is
    365.25 / 12 days, as the sample times of :func:`lb_labs`.
    """
    frame = read_domain(dm, "DM", ("USUBJID", "RFSTDTC"))
    if "RFPENDTC" not in frame.columns:
        raise ColumnNotFoundError("RFPENDTC", frame.columns, role="end of participation")
    frame = read_dm(frame)
    missing = frame.filter(pl.col("RFPENDT").is_null())
    if missing.height:
        raise MissingValueError(
            f"DM `RFPENDTC` (end of participation: the last follow-up) is missing for "
            f"{missing.height} of {frame.height} patients (first: USUBJID "
            f"{missing['USUBJID'][0]!r})"
        )
    _check_not_before_start(frame, "RFPENDTC")
    if "DTHDT" in frame.columns:
        _check_not_before_start(frame, "DTHDTC")
    death = _months("DTHDT") if "DTHDT" in frame.columns else pl.lit(None, dtype=pl.Float64)
    return frame.sort("USUBJID").select(
        pl.col("USUBJID").alias("patient_id"),
        *([pl.col("ARM").alias("arm")] if "ARM" in frame.columns else []),
        pl.col("RFSTDT").alias("start_date"),
        pl.coalesce(death, _months("RFPENDT")).alias("last_follow_up"),
        death.alias("death"),
    )


__all__ = ["dm_cml_patients", "lb_labs"]
