"""SDTM sources: sdtm rs, dm, tr, lb (SDTM domains into survstat's input tables)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import polars as pl

from survstat._choices import DateImputation, HighestImputation
from survstat.analyses._core import Analysis, AnalysisOutput, Extra
from survstat.analyses._declare import Data, Frame, Input, Option

Dm = Annotated[
    Frame,
    Input("SDTM DM: USUBJID, RFSTDTC; DTHDTC, RFPENDTC, ARM when present.", flag="--dm"),
]


Impute = Annotated[
    HighestImputation,
    Option(
        help="Partial dates (--DTC): none (an error), D (impute the day) or M (the month and day)."
    ),
]
DateRule = Annotated[
    DateImputation,
    Option(help="Imputed dates are the first, mid or last day of the possible period."),
]


def _dm_notes(subjects: pl.DataFrame) -> tuple[str, ...]:
    """What the subject table from DM lacks."""
    notes = ("DM holds no new anticancer therapy date: add new_therapy_date from CM/PR/DS",)
    if "last_alive_date" not in subjects.columns:
        notes += ("DM has no RFPENDTC: add last_alive_date (ADaM LSTALVDT) from DS/SV",)
    return notes


def rs(
    data: Data,
    dm: Dm,
    *,
    evaluator: Annotated[
        str | None,
        Option(help="The RSEVAL value to keep (required when RS holds several evaluators)."),
    ] = None,
    impute: Impute = "none",
    date_imputation: DateRule = "first",
) -> AnalysisOutput:
    """RECIST visits and subject tables from SDTM RS (overall responses) and DM.

    DATA is RS: its OVRLRESP rows of one evaluator (RSEVAL) become one row per assessment:
    subject_id, visit, assessment_date, assessment_date_flag, study_day (day 1 is RFSTDTC)
    and response (RSSTRESC). Assessments on or before the reference start and RSSTAT "NOT
    DONE" rows are left out. The subject table (from DM: subject_id, arm, start_date,
    death_date, death_date_flag, last_alive_date from RFPENDTC when not dead; what `survstat
    sdtm dm` writes) is written to OUT.subjects.parquet; add new_therapy_date (from CM/PR/DS)
    before `survstat recist derive --from-dates` when the trial records one. Imputed
    assessment and death dates never pass RFPENDTC.

    Example: `survstat sdtm rs breast_trial_rs.parquet --dm breast_trial_dm.parquet -o
    sdtm_visits.parquet`

    Returns
    -------
    AnalysisOutput
        One row per assessment, with the subject table as the ``subjects`` extra.
    """
    from survstat.endpoints.sdtm import Imputation, rs_visits

    visits, subjects = rs_visits(
        data, dm, evaluator=evaluator, imputation=Imputation(impute, date_imputation)
    )
    counts = visits.group_by("response").agg(pl.len().alias("n")).sort("response")
    return AnalysisOutput(
        visits,
        "Overall responses per assessment",
        visits.height,
        extras=(Extra("subjects", "Subjects (from DM)", subjects),),
        notes=_dm_notes(subjects),
        display=Extra("counts", "Overall responses: assessments per category", counts),
    )


def subjects(
    data: Data, *, impute: Impute = "none", date_imputation: DateRule = "first"
) -> AnalysisOutput:
    """RECIST subject table from SDTM DM, for `survstat recist derive --from-dates`.

    DATA is DM: one row per subject: subject_id (USUBJID), arm (ARM), start_date (RFSTDTC),
    death_date (DTHDTC, imputed as --impute says, never after RFPENDTC) with
    death_date_flag, and last_alive_date (RFPENDTC, end of participation, of the subjects
    without a death date). DM holds no new anticancer therapy date (CM, PR or DS) and no
    last-alive date derived across domains (ADaM LSTALVDT): add or replace those columns
    when the trial records them. The same table as `survstat sdtm rs` writes beside its
    visits, as its own step for job files.

    Example: `survstat sdtm dm breast_trial_dm.parquet -o sdtm_subjects.parquet`

    Returns
    -------
    AnalysisOutput
        One row per subject.
    """
    from survstat.endpoints.sdtm import Imputation, dm_subjects

    table = dm_subjects(data, Imputation(impute, date_imputation))
    return AnalysisOutput(table, "Subjects (from DM)", table.height, notes=_dm_notes(table))


def tr(data: Data, dm: Dm) -> AnalysisOutput:
    """Sum of target-lesion diameters per subject and assessment, and its % change.

    DATA is TR: the SUMDIAM rows, or else the LDIAM/SAXIS rows of the TARGET group
    (TRGRPID or TRLNKGRP), summed per subject and date (mm). One row per subject and date:
    subject_id, visit, assessment_date, study_day, baseline, n_lesions, sum_diameters,
    baseline_sum and percent_change from the baseline, the last evaluable assessment on or
    before RFSTDTC (null when a lesion was not measured or no baseline exists): the input of
    waterfall and spider plots.

    Example: `survstat sdtm tr breast_trial_tr.parquet --dm breast_trial_dm.parquet -o
    sdtm_target_sums.parquet`

    Returns
    -------
    AnalysisOutput
        One row per subject and assessment date.
    """
    from survstat.endpoints.sdtm_tr import tr_target_sums

    table = tr_target_sums(data, dm)
    return AnalysisOutput(table, "Sum of target-lesion diameters (mm)", table.height)


def lb(
    data: Data,
    dm: Dm,
    *,
    is_test: Annotated[
        str, Option(help="LBTESTCD of the BCR-ABL1 result on the International Scale (%).")
    ] = "BCRABL1",
    control_test: Annotated[
        str, Option(help="LBTESTCD of the control gene's copies (ABL1 or GUSB).")
    ] = "ABL1",
) -> AnalysisOutput:
    """CML labs table from SDTM LB: one row per BCR-ABL1 sample, for `survstat cml`.

    DATA is LB: the BCR-ABL1 (IS %) and control-gene rows of one specimen (LBREFID, or the
    date-time LBDTC when LBREFID is not filled) become one row: patient_id, sample_id,
    sample_date, time (months since RFSTDTC), is_percent, detected, below_limit,
    control_gene, control_copies. "NOT DETECTED"/"UNDETECTABLE" is not detected; "<x" is
    detected at most x (is_percent x, below_limit true); the IS result must be in %.

    Example: `survstat sdtm lb cml_two_arm_lb.parquet --dm cml_two_arm_dm.parquet -o
    sdtm_labs.parquet`

    Returns
    -------
    AnalysisOutput
        One row per sample.
    """
    from survstat.endpoints.sdtm_lb import lb_labs

    table = lb_labs(data, dm, is_test=is_test, control_test=control_test)
    return AnalysisOutput(table, "BCR-ABL1 samples", table.height)


def cml_patients(data: Data) -> AnalysisOutput:
    """CML patient table from SDTM DM, on the time scale of `survstat sdtm lb`.

    DATA is DM. One row per patient: patient_id (USUBJID), arm (ARM), start_date (RFSTDTC),
    last_follow_up (months from RFSTDTC to RFPENDTC, the end of participation, or to DTHDTC)
    and death (months to DTHDTC), the patient table of `survstat cml endpoints` and `cml
    response` beside the labs `sdtm lb` writes. RFPENDTC is required; an RFPENDTC or DTHDTC
    before RFSTDTC is an error naming the patient and both dates. DM records no
    treatment discontinuation or progression: add discontinuation and progression (months)
    from DS and the disease assessments; without them follow-up ends, censored, at RFPENDTC.

    Example: `survstat sdtm cml-patients actim_dm.parquet -o sdtm_patients.parquet`

    Returns
    -------
    AnalysisOutput
        One row per patient.
    """
    from survstat.endpoints.sdtm_lb import dm_cml_patients

    table = dm_cml_patients(data)
    return AnalysisOutput(
        table,
        "CML patients (from DM)",
        table.height,
        notes=("DM holds no discontinuation or progression: add them from DS and assessments",),
    )


def adsl(
    data: Data, *, impute: Impute = "none", date_imputation: DateRule = "first"
) -> AnalysisOutput:
    """ADaM ADSL (subject-level analysis dataset) from SDTM DM, with CDISC labels.

    DATA is DM. One row per subject: STUDYID, USUBJID, SUBJID, TRT01P (ARM), TRT01A
    (ACTARM), TRTSDT (RFXSTDTC), DTHDT (DTHDTC, imputed as --impute says, never after
    RFPENDTC), DTHFL, ITTFL ("Y" when an arm was assigned: ARMCD not blank, SCRNFAIL or
    NOTASSGN) and SAFFL ("Y" when study treatment started: RFXSTDTC not blank), those DM
    allows (ADaM IG 1.3). Stratification factors and baseline characteristics come from
    other domains: join them by USUBJID. Write it as SAS transport with -o adsl.xpt, then
    give it to the analyses with --adsl adsl.xpt (and --population ITTFL).

    Example: `survstat sdtm adsl breast_trial_dm.parquet -o adsl.xpt`

    Returns
    -------
    AnalysisOutput
        One row per subject, with the variables' labels.
    """
    from survstat.endpoints.sdtm import Imputation
    from survstat.endpoints.sdtm_adsl import dm_adsl

    result = dm_adsl(data, Imputation(impute, date_imputation))
    table = result.table
    return AnalysisOutput(table, "ADSL from DM", table.height, labels=result.labels)


def _columns(*data: str) -> Any:
    """The fixed SDTM variables of DATA and DM."""

    def needed(params: Mapping[str, Any]) -> dict[str, list[tuple[str, str]]]:
        return {
            "data": [("USUBJID", "subject"), *((c, "SDTM variable") for c in data)],
            "dm": [("USUBJID", "subject"), ("RFSTDTC", "reference start date")],
        }

    return needed


def _dm_columns(params: Mapping[str, Any]) -> dict[str, list[tuple[str, str]]]:
    return {"data": [("USUBJID", "subject"), ("RFSTDTC", "reference start date")]}


def _dm_follow_up_columns(params: Mapping[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """DM's subject, start and end of participation (the last follow-up)."""
    return {"data": [*_dm_columns(params)["data"], ("RFPENDTC", "end of participation")]}


SDTM_ANALYSES = (
    Analysis("sdtm rs", rs, requires=_columns("RSTESTCD", "RSSTRESC", "RSDTC")),
    Analysis("sdtm dm", subjects, requires=_dm_columns),
    Analysis("sdtm adsl", adsl, requires=_dm_columns),
    Analysis("sdtm tr", tr, requires=_columns("TRTESTCD", "TRSTRESN", "TRDTC")),
    Analysis("sdtm lb", lb, requires=_columns("LBTESTCD", "LBSTRESC", "LBSTRESN", "LBDTC")),
    Analysis("sdtm cml-patients", cml_patients, requires=_dm_follow_up_columns),
)
