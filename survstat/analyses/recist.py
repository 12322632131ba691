"""Solid-tumour analyses: recist derive, recist table, recist subgroups, recist pcr."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import polars as pl

from survstat.analyses._arms import check_roles
from survstat.analyses._core import Analysis, AnalysisOutput, Extra, column_roles, names
from survstat.analyses.efficacy import efficacy_table
from survstat.analyses.subgroups import biomarker_subgroups
from survstat.endpoints.dates import RECIST_DATES, times_from_dates
from survstat.endpoints.pcr import DEFINITIONS, pcr_flags
from survstat.endpoints.recist import SAME_DAY, RecistColumns, counted
from survstat.endpoints.recist_tte import (
    BASELINE_COLUMN,
    SubjectColumns,
    time_to_event_endpoints,
)
from survstat.errors import ColumnNotFoundError
from survstat.io import FrameLike, scan

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
        notes = (*notes, _NO_BASELINE)
    table = time_to_event_endpoints(visits, subject_table, subject_columns=scols, **options)
    return table, notes


#: SubjectColumns field -> the study-day column made from a date.
_SUBJECT_DAYS = {
    "death": "death_day",
    "last_alive": "last_alive_day",
    "new_therapy": "new_therapy_day",
}
#: Why the FDA rule for subjects without a baseline assessment was not applied.
_NO_BASELINE = (
    f"the subject table has no `{BASELINE_COLUMN}`: the FDA (2018) rule 'no baseline tumor "
    "assessments: censored at randomization' cannot be applied, so every subject is taken to "
    "have had a baseline tumour assessment"
)
#: What an absent subject-table date means.
_ABSENT = {
    "death_day": "no subject is known to have died",
    "last_alive_day": "every subject is taken to have died",
    "new_therapy_day": "no new anticancer therapy was recorded, so no assessment was left out",
}


def derive(
    data: FrameLike,
    subjects: FrameLike,
    *,
    confirm: bool = True,
    sd_min_days: float = 42.0,
    cbr_weeks: float = 24.0,
    interval_days: float = 56.0,
    window_days: float = 7.0,
    max_missed: int = 1,
    new_therapy_same_day: str = "before",
    from_dates: bool = False,
) -> AnalysisOutput:
    """Best overall response and PFS/TTP/OS/DoR per subject from visit-level responses."""
    table, notes = _derive(
        data,
        subjects,
        from_dates,
        confirm=confirm,
        sd_min_days=sd_min_days,
        cbr_weeks=cbr_weeks,
        interval_days=interval_days,
        window_days=window_days,
        max_missed=max_missed,
        new_therapy_same_day=new_therapy_same_day,
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
    data: FrameLike,
    subjects: FrameLike | None = None,
    *,
    by: str = "arm",
    reference: str | int | None = None,
    strata: list[str] | None = None,
    conf_level: float = 0.95,
    confirm: bool = True,
    sd_min_days: float = 42.0,
    cbr_weeks: float = 24.0,
    interval_days: float = 56.0,
    window_days: float = 7.0,
    max_missed: int = 1,
    new_therapy_same_day: str = "before",
) -> AnalysisOutput:
    """Per-arm efficacy table from `recist derive` output, or from raw visits and subjects
    (the derivation options apply then)."""
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
    data: FrameLike,
    *,
    biomarker: str,
    cutpoint: float | None = None,
    by: str = "arm",
    reference: str | int | None = None,
    strata: list[str] | None = None,
    time: str = "pfs_time",
    event: str = "pfs_event",
    conf_level: float = 0.95,
) -> AnalysisOutput:
    """PFS by arm within biomarker-high and -low subgroups, and the interaction test."""
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
    data: FrameLike,
    *,
    ypt: str = "ypT",
    ypn: str = "ypN",
    patient: str = "patient_id",
    definition: str = "ypT0/is ypN0",
    itc_is_pcr: bool = False,
) -> AnalysisOutput:
    """Pathological complete response per patient from ypT and ypN."""
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
    rc, sc = RecistColumns(), SubjectColumns()
    day = ("assessment_date", "assessment date") if params.get("from_dates") else (rc.day, "day")
    subject = [(sc.subject, "subject")]
    if params.get("from_dates"):
        subject.append(("start_date", "start date"))
    return {"data": [(rc.subject, "subject"), day, (rc.response, "response")], "subjects": subject}


def _table_columns(params: Mapping[str, Any]) -> dict[str, list[tuple[str, str]]]:
    roles = column_roles(data=("strata",))(params)
    # the arm is in the subject table when the endpoints are derived first
    source = "subjects" if params.get("subjects") is not None else "data"
    roles.setdefault(source, []).append((params.get("by") or "arm", "by"))
    return roles


def _pcr_columns(params: Mapping[str, Any]) -> dict[str, list[tuple[str, str]]]:
    nodes = params.get("definition") != "ypT0/is"
    return column_roles(data=("ypt", "ypn") if nodes else ("ypt",))(params)


RECIST_ANALYSES = (
    Analysis(
        "recist derive",
        derive,
        inputs=("data", "subjects"),
        columns=_visit_columns,
        choices={"new_therapy_same_day": SAME_DAY},
    ),
    Analysis(
        "recist table",
        table,
        inputs=("data", "subjects"),
        columns=_table_columns,
        choices={"new_therapy_same_day": SAME_DAY},
    ),
    Analysis(
        "recist subgroups",
        subgroups,
        columns=column_roles(data=("biomarker", "by", "strata", "time", "event")),
    ),
    Analysis("recist pcr", pcr, columns=_pcr_columns, choices={"definition": DEFINITIONS}),
)
