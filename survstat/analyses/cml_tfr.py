"""Treatment-free remission in CML: the ``cml tfr`` analysis."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

from survstat._choices import TimeUnit
from survstat.analyses._core import AnalysisOutput, Extra
from survstat.analyses._declare import Data, Option
from survstat.analyses._options import Patients, Unit

if TYPE_CHECKING:
    import polars as pl

    from survstat.io import FrameLike


def tfr(
    data: Data,
    patients: Patients,
    *,
    min_treatment: Annotated[
        float,
        Option(
            help="TKI therapy must last more than this (default 60 months: ELN 2020's more than "
            "5 years); with --from-dates whole calendar months (a stop on the 5th anniversary "
            "is not more than 60)."
        ),
    ] = 60.0,
    min_deep_duration: Annotated[
        float,
        Option(
            help="MR4 must be sustained more than this (default 24 months: ELN 2020's more than "
            "2 years); with --from-dates whole calendar months."
        ),
    ] = 24.0,
    from_dates: Annotated[
        bool,
        Option(
            help="Inputs hold dates: sample_date in the results; start_date, tki_stop_date, "
            "last_follow_up_date and optionally tki_restart_date, death_date in the patient "
            "table. Eligibility is then judged on the calendar."
        ),
    ] = False,
    unit: Unit = "months",
) -> AnalysisOutput:
    """Treatment-free remission: eligibility to stop and time to molecular relapse.

    The patient table holds tki_stop, last_follow_up and optionally tki_restart and death as
    times since the start of therapy (or dates, with --from-dates). One row per patient who
    stopped: patient, tki_stop, time (since the stop), cause (0 censored, 1 molecular relapse,
    2 restart without relapse, 3 death), cause_label, tfr_failure, relapse, then the ELN 2020
    eligibility at the stop (eligible, deep_duration, reason). Prints TFR survival
    (Kaplan–Meier) at 6, 12 and 24 months. With times, durations are compared with the
    criteria at 6 significant digits.

    Example: `survstat cml tfr cml_two_arm_labs.parquet --patients cml_two_arm_patients.parquet
    -o tfr.parquet`

    Returns
    -------
    AnalysisOutput
        One row per patient who stopped, with the ``km`` extra.
    """
    from survstat.endpoints.cml_tfr import TfrColumns
    from survstat.estimators.kaplan_meier import kaplan_meier

    ends, elig = _tfr_tables(data, patients, min_treatment, min_deep_duration, from_dates, unit)
    pid = TfrColumns().patient
    table = ends.join(elig.select(pid, "eligible", "deep_duration", "reason"), on=pid, how="left")
    extras = ()
    if table.height:
        km = kaplan_meier(table, time="time", event="tfr_failure").at([6.0, 12.0, 24.0])
        extras = (Extra("km", "TFR survival (Kaplan–Meier, time since stopping)", km),)
    return AnalysisOutput(table, "Treatment-free remission", table.height, extras=extras)


def _tfr_tables(
    data: FrameLike,
    patients: FrameLike,
    min_treatment: float,
    min_deep_duration: float,
    from_dates: bool,
    unit: TimeUnit,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The TFR endpoints (time since the stop, in ``unit`` with ``from_dates``) and the
    eligibility at the stop (judged on the calendar with ``from_dates``)."""
    from survstat.endpoints.cml import Columns
    from survstat.endpoints.cml_tfr import TfrColumns, tfr_eligibility, tfr_endpoints
    from survstat.endpoints.dates import TFR_DATES, times_from_dates
    from survstat.io import scan

    if from_dates:
        present = set(scan(patients)[0].collect_schema().names())
        dates = {
            out: col
            for out, col in TFR_DATES.items()
            if col in present or out in ("tki_stop", "last_follow_up")
        }
        labs_t, pts_t = times_from_dates(data, patients, dates=dates, unit=unit, pre_study=True)
        ends = tfr_endpoints(labs_t, pts_t)
        elig = tfr_eligibility(
            data,
            patients,
            min_treatment=min_treatment,
            min_deep_duration=min_deep_duration,
            columns=Columns(time="sample_date"),
            patient_columns=TfrColumns(
                tki_stop=TFR_DATES["tki_stop"], last_follow_up=TFR_DATES["last_follow_up"]
            ),
        )
        return ends, elig
    ends = tfr_endpoints(data, patients)
    elig = tfr_eligibility(
        data, patients, min_treatment=min_treatment, min_deep_duration=min_deep_duration
    )
    return ends, elig


def tfr_columns(params: Mapping[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """The fixed lab and patient columns of ``cml tfr`` (dates with ``from_dates``)."""
    from survstat.endpoints.cml import Columns
    from survstat.endpoints.cml_tfr import TfrColumns
    from survstat.endpoints.dates import TFR_DATES

    cols = Columns()
    pcols = TfrColumns()
    if params.get("from_dates"):
        return {
            "data": [(cols.patient, "patient"), ("sample_date", "sample date")],
            "patients": [
                (pcols.patient, "patient"),
                (pcols.start, "start date"),
                (TFR_DATES["tki_stop"], "tki_stop date"),
                (TFR_DATES["last_follow_up"], "last follow-up date"),
            ],
        }
    return {
        "data": [(cols.patient, "patient"), (cols.time, "time")],
        "patients": [
            (pcols.patient, "patient"),
            (pcols.tki_stop, "tki_stop"),
            (pcols.last_follow_up, "last_follow_up"),
        ],
    }
