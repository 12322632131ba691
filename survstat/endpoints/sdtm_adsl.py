"""ADaM ADSL, the subject-level analysis dataset, from SDTM DM.

CDISC ADaM IG 1.3, section 3.2 (ADSL variables): one row per subject, keyed by ``USUBJID``,
with the treatment of period 01 (``TRT01P`` planned, ``TRT01A`` actual), the treatment start
(``TRTSDT``), death (``DTHDT``, ``DTHFL``) and the population flags, "Y" or "N":

* ``ITTFL``, intent-to-treat: the subject was assigned an arm. DM's ``ARMCD`` (or, without
  it, ``ARM``) is then neither blank nor one of SDTM IG 3.3's codes for no assignment,
  ``SCRNFAIL``/"Screen Failure" and ``NOTASSGN``/"Not Assigned".
* ``SAFFL``, safety: the subject received study treatment. DM's ``RFXSTDTC`` (first study
  treatment) is then not blank.

Only what DM holds is derived; stratification factors, biomarkers and other baseline
characteristics come from other domains (SUPPDM, VS, LB, ...) and are joined by ``USUBJID``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import polars as pl

from survstat.endpoints.adam_tte import ADAM_LABELS, AdamTable
from survstat.endpoints.sdtm import Imputation, complete_dates, read_dm

if TYPE_CHECKING:
    from survstat.io import FrameLike

#: CDISC labels of the ADSL variables derived here (ADaM IG 1.3, section 3.2).
ADSL_LABELS: Mapping[str, str] = {
    "STUDYID": ADAM_LABELS["STUDYID"],
    "USUBJID": ADAM_LABELS["USUBJID"],
    "SUBJID": "Subject Identifier for the Study",
    "TRT01P": "Planned Treatment for Period 01",
    "TRT01A": "Actual Treatment for Period 01",
    "TRTSDT": "Date of First Exposure to Treatment",
    "DTHDT": "Date of Death",
    "DTHFL": "Subject Death Flag",
    "ITTFL": "Intent-To-Treat Population Flag",
    "SAFFL": "Safety Population Flag",
}
#: DM's values of ARMCD and ARM for a subject never assigned an arm (SDTM IG 3.3, DM).
NOT_ASSIGNED = ("SCRNFAIL", "NOTASSGN", "SCREEN FAILURE", "NOT ASSIGNED")


def _flag(condition: pl.Expr) -> pl.Expr:
    return pl.when(condition).then(pl.lit("Y")).otherwise(pl.lit("N"))


def _given(column: str) -> pl.Expr:
    """The text column holds something: SAS transport writes missing text as blank."""
    return pl.col(column).cast(pl.String).str.strip_chars().fill_null("").str.len_chars() > 0


def dm_adsl(dm: FrameLike, imputation: Imputation = Imputation()) -> AdamTable:
    """ADSL from DM: treatment, treatment start, death and the ITT and safety flags.

    Parameters
    ----------
    dm
        The DM domain: ``USUBJID`` and ``RFSTDTC``; ``STUDYID``, ``SUBJID``, ``ARMCD``,
        ``ARM``, ``ACTARM``, ``RFXSTDTC``, ``DTHDTC``, ``DTHFL``, ``RFPENDTC`` when present.
    imputation
        How partial treatment-start and death dates are completed (never after
        ``RFPENDTC``); by default a partial date is an error.

    Returns
    -------
    AdamTable
        One row per subject, in DM's order: ``STUDYID``, ``USUBJID``, ``SUBJID`` (those DM
        holds), ``TRT01P`` (ARM), ``TRT01A`` (ACTARM), ``TRTSDT`` (RFXSTDTC), ``DTHDT``
        (DTHDTC), ``DTHFL`` ("Y" with a death date), ``ITTFL``, ``SAFFL``, with their CDISC
        labels.

    Raises
    ------
    ColumnNotFoundError, ColumnTypeError, InvalidValueError
        As :func:`survstat.endpoints.sdtm.read_dm`: a missing or mistyped variable, a
        duplicated ``USUBJID``, a partial date that is not imputed or a bad date.

    Examples
    --------
    >>> import polars as pl
    >>> dm = pl.DataFrame({"USUBJID": ["1", "2"], "RFSTDTC": ["2020-01-06", "2020-02-03"],
    ...                    "ARMCD": ["A", "SCRNFAIL"], "ARM": ["Drug", "Screen Failure"],
    ...                    "RFXSTDTC": ["2020-01-06", ""]})
    >>> dm_adsl(dm).table.select("USUBJID", "TRT01P", "ITTFL", "SAFFL").rows()
    [('1', 'Drug', 'Y', 'Y'), ('2', 'Screen Failure', 'N', 'N')]
    """
    frame = read_dm(dm, imputation)
    bound = "RFPENDT" if "RFPENDT" in frame.columns else None
    if "RFXSTDTC" in frame.columns:
        frame = complete_dates(frame, "RFXSTDTC", "DM", imputation, required=False, max_date=bound)
    columns = [c for c in ("STUDYID", "USUBJID", "SUBJID") if c in frame.columns]
    out = [pl.col(c) for c in columns]
    if "ARM" in frame.columns:
        out.append(pl.col("ARM").alias("TRT01P"))
    if "ACTARM" in frame.columns:
        out.append(pl.col("ACTARM").alias("TRT01A"))
    if "RFXSTDT" in frame.columns:
        out.append(pl.col("RFXSTDT").alias("TRTSDT"))
    if "DTHDT" in frame.columns:
        out += [pl.col("DTHDT"), _flag(pl.col("DTHDT").is_not_null()).alias("DTHFL")]
    arm = next((c for c in ("ARMCD", "ARM") if c in frame.columns), None)
    if arm is not None:
        code = pl.col(arm).cast(pl.String).str.strip_chars().str.to_uppercase()
        out.append(_flag(_given(arm) & ~code.is_in(NOT_ASSIGNED)).alias("ITTFL"))
    if "RFXSTDTC" in frame.columns:
        out.append(_flag(_given("RFXSTDTC")).alias("SAFFL"))
    table = frame.select(out)
    return AdamTable(table, {c: ADSL_LABELS[c] for c in table.columns})
