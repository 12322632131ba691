"""Solid-tumour analyses: recist derive, recist table, recist subgroups, recist pcr."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

import polars as pl

from survstat._choices import PcrDefinition
from survstat.analyses._core import Analysis, AnalysisOutput, Extra, names
from survstat.analyses._declare import Column, Data, Frame, Input, Option
from survstat.analyses._options import (
    ADAM_IN_JOBS,
    AdamFormat,
    Arm,
    CbrWeeks,
    Confirm,
    ConfLevel,
    IntervalDays,
    MaxMissed,
    NewTherapySameDay,
    Reference,
    SdMinDays,
    WindowDays,
)

if TYPE_CHECKING:
    from survstat.io import FrameLike

#: The columns `recist derive` writes first, in this order (the contract).
DERIVED_COLUMNS = (
    "bor",
    "confirmed",
    "objective_response",
    "clinical_benefit",
    "pfs_time",
    "pfs_event",
    "pfs_censor_reason",
    "dor_time",
    "dor_event",
    "os_time",
    "os_event",
)


def _derive(
    data: FrameLike, subjects: FrameLike, from_dates: bool, **options: Any
) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """The derived endpoints, and notes on the subject-table columns that were absent."""
    from survstat.endpoints.recist_tte import time_to_event_endpoints

    visits, subject_table, scols, notes = day_scale(data, subjects, from_dates)
    table = time_to_event_endpoints(visits, subject_table, subject_columns=scols, **options)
    return table, notes


def day_scale(
    data: FrameLike, subjects: FrameLike, from_dates: bool
) -> tuple[FrameLike, FrameLike, Any, tuple[str, ...]]:
    """The visits and subject table on the study-day scale (dates converted with
    ``from_dates``, the date columns kept), the subject columns to read, and notes on the
    subject-table columns that were absent."""
    from survstat.endpoints.dates import RECIST_DATES, times_from_dates
    from survstat.endpoints.recist_tte import BASELINE_COLUMN, SubjectColumns
    from survstat.errors import ColumnNotFoundError
    from survstat.io import scan

    visits, subject_table = data, subjects
    scols = SubjectColumns()
    notes: tuple[str, ...] = ()
    if from_dates:
        # every date column is optional except the start, hence only the ones present
        visits, subject_table = times_from_dates(
            data,
            subjects,
            patient="subject_id",
            sample_date="assessment_date",
            dates=RECIST_DATES,
            optional=True,
            time="day",
            unit="days",
        )
        absent = {day: date for day, date in RECIST_DATES.items() if day not in subject_table}
        if "death_day" in absent and "last_alive_day" in absent:
            raise ColumnNotFoundError(
                "last_alive_date", subject_table.columns, role="last alive date, or death_date"
            )
        scols = replace(
            SubjectColumns(), **{role: None for role, day in _SUBJECT_DAYS.items() if day in absent}
        )
        notes = tuple(f"the subject table has no `{absent[day]}`: {_ABSENT[day]}" for day in absent)
    if BASELINE_COLUMN not in scan(subject_table)[0].collect_schema().names():
        notes = (*notes, _no_baseline(BASELINE_COLUMN))
    return visits, subject_table, scols, notes


#: SubjectColumns field -> the study-day column made from a date.
_SUBJECT_DAYS = {
    "death": "death_day",
    "last_alive": "last_alive_day",
    "new_therapy": "new_therapy_day",
}


def _no_baseline(column: str) -> str:
    """Why the FDA rule for subjects without a baseline assessment was not applied."""
    return (
        f"the subject table has no `{column}`: the FDA (2018) rule 'no baseline tumor "
        "assessments: censored at randomization' cannot be applied, so every subject is taken "
        "to have had a baseline tumour assessment"
    )


#: What an absent subject-table date means.
_ABSENT = {
    "death_day": "no subject is known to have died",
    "last_alive_day": "every subject is taken to have died",
    "new_therapy_day": "no new anticancer therapy was recorded, so no assessment was left out",
}


def derive(
    data: Data,
    subjects: Annotated[
        Frame,
        Input(
            "Subject table: subject_id, death_day, last_alive_day, new_therapy_day, arm..., "
            "and optionally baseline_assessed (true/false; false: censored at day 0).",
            flag="--subjects",
        ),
    ],
    *,
    confirm: Confirm = True,
    sd_min_days: SdMinDays = 42.0,
    cbr_weeks: CbrWeeks = 24.0,
    interval_days: IntervalDays = 56.0,
    window_days: WindowDays = 7.0,
    max_missed: MaxMissed = 1,
    new_therapy_same_day: NewTherapySameDay = "before",
    from_dates: Annotated[
        bool,
        Option(
            help="Inputs hold dates: assessment_date in the visits; start_date, death_date, "
            "last_alive_date, new_therapy_date in the subject table."
        ),
    ] = False,
    adam: Annotated[
        str | None,
        Option(
            help="Also write CDISC ADaM datasets into this existing folder: adrs (OVR per "
            "assessment, BOR, CBOR) and adtte (PFS, TTP, OS, DOR), with CDISC labels, as "
            "--adam-format says.",
            command_line_only=ADAM_IN_JOBS,
        ),
    ] = None,
    adam_format: AdamFormat = "parquet",
) -> AnalysisOutput:
    """Best overall response and PFS/TTP/OS/DoR per subject from visit-level responses.

    The assessment table holds subject_id, day (since the start) and response (CR, PR, SD,
    NON-CR/NON-PD, NED, PD, NE; also CDISC and common spellings such as "Non-CR/Non-PD", NN,
    UNK, ND, "Not Evaluable", case ignored). Assessments after a new anticancer therapy are
    left out of the best response. One row per subject: subject_id, bor, confirmed,
    objective_response, clinical_benefit, pfs_time, pfs_event, pfs_censor_reason, dor_time,
    dor_event, os_time, os_event, then the other derived columns and the subject table's.
    Progression or death after more than --max-missed missed scheduled visits (visits due at
    k x --interval-days, each done by an adequate assessment within +- --window-days) is
    censored at the last adequate assessment. A subject whose baseline_assessed is false (no
    baseline tumour assessment) is censored at day 0 with best response NE (FDA 2018); without
    that column the rule cannot be applied and the output's notes say so.

    With --adam DIR the derivation is also written as ADaM datasets (Parquet, or SAS transport
    v5 with --adam-format xpt): DIR/adrs.parquet (PARAMCD
    OVR, BOR without and CBOR with confirmation; AVALC and AVAL codes CR 1, PR 2, SD 3,
    NON-CR/NON-PD 4, PD 5, NE 6, NED 8) and DIR/adtte.parquet (PFS, TTP, OS, DOR; AVAL the days
    since the start as derived, CNSR 0 for an event and a code per censoring reason, EVNTDESC
    the reason), each row with the subject table's columns; `survstat km DIR/adtte.parquet
    --param PFS --by arm` then reads it.

    Example: `survstat recist derive breast_trial_assessments.parquet --subjects
    breast_trial_subjects.parquet -o breast_trial_derived.parquet`

    Returns
    -------
    AnalysisOutput
        One row per subject; counts of best response are printed.
    """
    from survstat.endpoints.recist_tte import time_to_event_endpoints
    from survstat.io import adam_paths

    paths = (
        adam_paths(adam, ("adrs", "adtte"), (data, subjects), file_format=adam_format)
        if adam is not None
        else None
    )
    options = {
        "confirm": confirm,
        "sd_min_days": sd_min_days,
        "cbr_weeks": cbr_weeks,
        "interval_days": interval_days,
        "window_days": window_days,
        "max_missed": max_missed,
        "new_therapy_same_day": new_therapy_same_day,
    }
    visits, subject_table, scols, notes = day_scale(data, subjects, from_dates)
    table = time_to_event_endpoints(visits, subject_table, subject_columns=scols, **options)
    if paths is not None:
        from survstat.analyses.adam import recist_adam

        notes += recist_adam(
            paths,
            table,
            visits,
            subject_table,
            scols,
            options,
            from_dates=from_dates,
            inputs=(data, subjects),
        )
    first = ["subject_id", *DERIVED_COLUMNS]
    table = table.select(*first, *[c for c in table.columns if c not in first])
    counts = table.group_by("bor").agg(pl.len().alias("n")).sort("bor")
    return AnalysisOutput(
        table,
        "Best overall response",
        table.height,
        notes=notes,
        display=Extra("counts", "Best overall response: subjects per category", counts),
    )


def table(
    data: Data,
    subjects: Annotated[
        Frame | None,
        Input(
            "Subject table: DATA is then the raw visits, derived first (one command).",
            flag="--subjects",
        ),
    ] = None,
    *,
    by: Arm = "arm",
    reference: Reference = None,
    strata: Annotated[
        list[str] | None,
        Column("data", help="Stratification column(s) for HR and log-rank (not the arm column)."),
    ] = None,
    conf_level: ConfLevel = 0.95,
    confirm: Confirm = True,
    sd_min_days: SdMinDays = 42.0,
    cbr_weeks: CbrWeeks = 24.0,
    interval_days: IntervalDays = 56.0,
    window_days: WindowDays = 7.0,
    max_missed: MaxMissed = 1,
    new_therapy_same_day: NewTherapySameDay = "before",
) -> AnalysisOutput:
    """Per-arm efficacy table from `survstat recist derive` output, or from raw visits.

    One row per arm: N, ORR and CBR with Clopper–Pearson CIs, PFS events, median PFS with CI,
    6- and 12-month PFS with CI (times in days), the Cox hazard ratio and log-rank p-value
    against the reference arm, then DCR with CI, OS events, median OS with CI, 6- and
    12-month OS with CI, the median duration of response among the confirmed responders
    with CI and the number of responders (n_dor), and hr_note saying why a hazard ratio is
    missing. A rate past an arm's follow-up is left empty, never carried forward.

    With --subjects, DATA is the visit-level table and the endpoints are derived first as
    `survstat recist derive` does, with the derivation options given here (--confirm,
    --sd-min-days, --cbr-weeks, --interval-days, --window-days, --max-missed,
    --new-therapy-same-day; they have no effect without --subjects).

    Example: `survstat recist table breast_trial_assessments.parquet --subjects
    breast_trial_subjects.parquet --by arm --reference "A: fulvestrant + AKTi"
    -o efficacy.parquet`

    Returns
    -------
    AnalysisOutput
        One row per arm.
    """
    from survstat.analyses._arms import check_roles
    from survstat.analyses.efficacy import efficacy_table

    check_roles(by, strata)  # before any derivation
    derived, notes = data, ()
    if subjects is not None:
        derived, notes = _derive(
            data,
            subjects,
            False,
            confirm=confirm,
            sd_min_days=sd_min_days,
            cbr_weeks=cbr_weeks,
            interval_days=interval_days,
            window_days=window_days,
            max_missed=max_missed,
            new_therapy_same_day=new_therapy_same_day,
        )
    result = efficacy_table(
        derived, by=by, reference=reference, strata=names(strata), conf_level=conf_level
    )
    return AnalysisOutput(result, "Efficacy by arm", result.height, notes=notes)


def subgroups(
    data: Data,
    *,
    biomarker: Annotated[str, Column("data", help="Numeric biomarker column.")],
    cutpoint: Annotated[
        float | None, Option(help="High means above this (default: the median).")
    ] = None,
    by: Arm = "arm",
    reference: Reference = None,
    strata: Annotated[
        list[str] | None,
        Column("data", help="Stratification column(s) of the Cox models (not the arm column)."),
    ] = None,
    time: Annotated[str, Column("data", help="Time column.")] = "pfs_time",
    event: Annotated[str, Column("data", help="Event column.")] = "pfs_event",
    conf_level: ConfLevel = 0.95,
) -> AnalysisOutput:
    """PFS by arm within biomarker-high and -low subgroups, and the interaction test.

    One row per subgroup and arm: subgroup (low / high), `<by>`, n, pfs_events, pfs_median,
    pfs_median_conf_low, pfs_median_conf_high, hazard_ratio, hr_conf_low, hr_conf_high (against
    the reference arm within the subgroup) and hr_note (why a hazard ratio is null). The arm
    column may hold text, integer codes or booleans. The likelihood-ratio test of the
    arm-by-subgroup interaction is printed and written to OUT.interaction.parquet: its df
    counts the interaction terms that can be estimated (as R's anova; an arm with no patients
    in one subgroup has none), with whether both Cox models converged and which terms were
    aliased. Feed the output to `survstat plot forest --label subgroup,arm
    --low hr_conf_low --high hr_conf_high`.

    Example: `survstat recist subgroups breast_trial_derived.parquet --biomarker pakt_hscore
    --by arm` (the output of the `survstat recist derive` example)

    Returns
    -------
    AnalysisOutput
        One row per subgroup and arm, with the ``interaction`` extra.
    """
    from survstat.analyses.subgroups import biomarker_subgroups
    from survstat.endpoints.recist import counted

    res = biomarker_subgroups(
        data,
        biomarker=biomarker,
        cutpoint=cutpoint,
        by=by,
        reference=reference,
        strata=names(strata),
        time=time,
        event=event,
        conf_level=conf_level,
    )
    n_used = int(res.table.get_column("n").sum())
    return AnalysisOutput(
        res.table,
        f"PFS by arm within {biomarker} subgroups (high: > {res.cutpoint:g})",
        n_used + res.n_excluded,
        extras=(Extra("interaction", "Arm-by-subgroup interaction", res.interaction),),
        notes=(f"{counted(res.n_excluded, 'row')} without a {biomarker} value left out",),
    )


def pcr(
    data: Data,
    *,
    ypt: Annotated[str, Column("data", help="ypT category column.")] = "ypT",
    ypn: Annotated[
        str,
        Column(
            "data",
            help="ypN category column.",
            when=lambda params: params.get("definition") != "ypT0/is",
        ),
    ] = "ypN",
    patient: Annotated[
        str, Option(help="Patient id column, named in errors (else the row).")
    ] = "patient_id",
    definition: Annotated[
        PcrDefinition, Option(help="ypT0/is ypN0 (default), ypT0 ypN0 or ypT0/is.")
    ] = "ypT0/is ypN0",
    itc_is_pcr: Annotated[
        bool,
        Option(
            help="Count ypN0(i+) (isolated tumour cells) and ypN0(mol+) as pCR (default: "
            "residual tumour cells are not a complete response)."
        ),
    ] = False,
) -> AnalysisOutput:
    """Pathological complete response per patient from post-neoadjuvant ypT and ypN.

    One row per patient: the input columns, then pcr (null when not assessable),
    pcr_definition, pcr_reason. Counts are printed; for the rate with its exact CI run
    `survstat response` on the output with `--response pcr`.

    Example: `survstat recist pcr breast_trial_pathology.parquet -o pcr.parquet`

    Returns
    -------
    AnalysisOutput
        One row per patient; counts per category are printed.
    """
    from survstat.endpoints.pcr import pcr_flags

    flags = pcr_flags(
        data, ypt=ypt, ypn=ypn, patient=patient, definition=definition, itc_is_pcr=itc_is_pcr
    )
    counts = flags.group_by("pcr").agg(pl.len().alias("n")).sort("pcr", nulls_last=True)
    return AnalysisOutput(
        flags,
        f"pCR ({definition})",
        flags.height,
        display=Extra("counts", f"pCR ({definition}): subjects per category", counts),
    )


def _visit_columns(params: Mapping[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """The fixed visit and subject columns of ``recist derive`` (dates with ``from_dates``)."""
    from survstat.endpoints.recist import RecistColumns
    from survstat.endpoints.recist_tte import SubjectColumns

    rc, sc = RecistColumns(), SubjectColumns()
    day = ("assessment_date", "assessment date") if params.get("from_dates") else (rc.day, "day")
    subject = [(sc.subject, "subject")]
    if params.get("from_dates"):
        subject.append(("start_date", "start date"))
    return {"data": [(rc.subject, "subject"), day, (rc.response, "response")], "subjects": subject}


RECIST_ANALYSES = (
    Analysis("recist derive", derive, requires=_visit_columns),
    Analysis("recist table", table),
    Analysis("recist subgroups", subgroups),
    Analysis("recist pcr", pcr),
)
