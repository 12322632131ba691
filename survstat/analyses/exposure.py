"""Small-series displays of treatment and labs: dose-intensity, change-from-baseline.

The functions are the declarations of their commands (see :mod:`survstat.analyses._declare`);
the derivations (:mod:`survstat.endpoints.dose_intensity`,
:mod:`survstat.endpoints.change_from_baseline`) load when they run.
"""

from __future__ import annotations

from typing import Annotated

from survstat.analyses._core import Analysis, AnalysisOutput, Extra
from survstat.analyses._declare import Column, Data, Option

Subject = Annotated[str, Column("data", help="Subject id column.")]
Planned = Annotated[
    str | None,
    Column("data", help="Column of the planned dose per day (one value per subject)."),
]
PlannedDose = Annotated[
    float | None,
    Option(help="Planned dose per day of every subject (in place of --planned).", min=0.0),
]
Start = Annotated[str, Column("data", help="First study day of the record (included).")]
End = Annotated[str, Column("data", help="Last study day of the record (included).")]
Dose = Annotated[str, Column("data", help="Dose per day taken in the record (0: interrupted).")]


def dose_intensity(
    data: Data,
    *,
    subject: Subject = "subject_id",
    start: Start = "start_day",
    end: End = "end_day",
    dose: Dose = "dose",
    planned: Planned = None,
    planned_dose: PlannedDose = None,
) -> AnalysisOutput:
    """Dose intensity and relative dose intensity (RDI) per subject from exposure records.

    DATA holds one row per period at a constant daily dose (an EX-like table: subject,
    first and last study day, dose per day); records of a subject must not overlap. Dose
    intensity is the cumulative dose over the days from the first to the last dose (both
    included) and RDI that over the planned dose per day (Hryniuk & Bush 1984):
    interruptions count as days without dose, reductions at the dose taken. One row per
    subject: first_day, last_day, days_on_treatment, days_dosed, days_interrupted,
    n_reductions, final_dose, planned_dose, cumulative_dose, planned_cumulative_dose,
    dose_intensity, relative_dose_intensity. Beside it (over_time): the cumulative RDI on the
    days where it changes course.

    Example: `survstat dose-intensity alpelisib_exposure.parquet --planned-dose 300`

    Returns
    -------
    AnalysisOutput
        The per-subject table, with the ``over_time`` extra.
    """
    from survstat.endpoints.dose_intensity import dose_intensity as derive

    res = derive(
        data,
        subject=subject,
        start=start,
        end=end,
        dose=dose,
        planned=planned,
        planned_dose=planned_dose,
    )
    n = res.subjects.height
    return AnalysisOutput(
        res.subjects,
        f"Relative dose intensity of {n} subject{'s' if n != 1 else ''}",
        res.n_records,
        extras=(Extra("over_time", "Cumulative relative dose intensity", res.over_time),),
    )


def change_from_baseline(
    data: Data,
    *,
    subject: Subject = "subject_id",
    param: Annotated[str, Column("data", help="Parameter column (one baseline each).")] = (
        "PARAMCD"
    ),
    day: Annotated[str, Column("data", help="Study day column.")] = "ADY",
    value: Annotated[str, Column("data", help="Result column (AVAL).")] = "AVAL",
    reference_day: Annotated[
        float,
        Option(
            help="First dose day: the baseline is the last non-missing value on or before "
            "it; later results are post-baseline."
        ),
    ] = 1.0,
) -> AnalysisOutput:
    """Baseline and change from baseline of lab results (CDISC ADaM BDS: ABLFL, BASE, CHG,
    PCHG).

    Per subject and parameter, the baseline is the last non-missing value on or before the
    first dose day (--reference-day, study day 1 by default); CHG = AVAL - BASE and PCHG =
    100 x CHG / BASE on the results after it, null with the reason in `note` when undefined
    (no baseline, a missing value, a baseline of 0 or below: no percent change). Beside it
    (summary): per subject and parameter the baseline, the post-baseline peak and the last
    result with their changes.

    Example: `survstat change-from-baseline alpelisib_labs.parquet`

    Returns
    -------
    AnalysisOutput
        The records with ABLFL, BASE, CHG, PCHG and note, with the ``summary`` extra.
    """
    from survstat.endpoints.change_from_baseline import (
        change_from_baseline as derive,
    )
    from survstat.endpoints.change_from_baseline import (
        change_summary,
    )

    bds = derive(
        data, subject=subject, param=param, day=day, value=value, reference_day=reference_day
    )
    summary = change_summary(bds, subject=subject, param=param, day=day, value=value)
    return AnalysisOutput(
        bds,
        f"Change from baseline: {summary.height} subject-parameter series",
        bds.height,
        extras=(Extra("summary", "Baseline, peak and last result per subject", summary),),
    )


EXPOSURE_ANALYSES = (
    Analysis("dose-intensity", dose_intensity),
    Analysis("change-from-baseline", change_from_baseline),
)
