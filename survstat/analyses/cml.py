"""CML molecular-response analyses: cml classify, endpoints, response, milestones,
loss-of-mmr, tfr."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from survstat.analyses._core import Analysis, AnalysisOutput, Extra, column_roles
from survstat.analyses.cml_response import molecular_response
from survstat.endpoints.cml import (
    Columns,
    PatientColumns,
    classify_samples,
    response_endpoints,
)
from survstat.endpoints.cml_monitoring import eln_milestones, loss_of_mmr
from survstat.endpoints.cml_tfr import TfrColumns, tfr_eligibility, tfr_endpoints
from survstat.endpoints.dates import DAYS_PER_UNIT, TFR_DATES, times_from_dates
from survstat.estimators._confint import CONF_TYPES
from survstat.estimators.kaplan_meier import kaplan_meier
from survstat.estimators.proportions import ALTERNATIVES, METHODS
from survstat.io import FrameLike, scan

_LEVELS = ("MMR", "MR4", "MR4.5", "MR5")


def classify(
    data: FrameLike,
    *,
    patient: str = "patient_id",
    time: str = "time",
    is_percent: str = "is_percent",
    detected: str = "detected",
    control_gene: str = "control_gene",
    control_copies: str = "control_copies",
) -> AnalysisOutput:
    """Classify each BCR-ABL1 result: MR level, log reduction, evaluable flag and reason."""
    cols = Columns(patient, time, is_percent, detected, control_gene, control_copies)
    table = classify_samples(data, columns=cols)
    return AnalysisOutput(table, "BCR-ABL1 results", table.height)


def _on_time_scale(labs: FrameLike, patients: FrameLike, from_dates: bool, unit: str) -> Any:
    """The lab and patient inputs on the time-since-start scale."""
    if not from_dates:
        return labs, patients
    return times_from_dates(labs, patients, unit=unit, pre_study=True)


def endpoints(
    data: FrameLike,
    patients: FrameLike,
    *,
    level: str = "MR4.5",
    landmark: float = 12.0,
    window: float = 0.0,
    from_dates: bool = False,
    unit: str = "months",
) -> AnalysisOutput:
    """Per-patient time to first response, with competing events, and landmark response."""
    labs, pts = _on_time_scale(data, patients, from_dates, unit)
    table = response_endpoints(labs, pts, level=level, landmark=landmark, window=window)
    return AnalysisOutput(table, f"Time to {level}", table.height)


def _by(level: str, landmark: float, window: float) -> str:
    """ "MR4.5 by 12", or with a window "MR4.5 by 12 + 1 (landmark + window)"."""
    if window:
        return f"{level} by {landmark:g} + {window:g} (landmark + window)"
    return f"{level} by {landmark:g}"


def response(
    data: FrameLike,
    patients: FrameLike,
    *,
    level: str = "MR4.5",
    landmark: float = 12.0,
    window: float = 0.0,
    by: str | None = None,
    null_rate: float | None = None,
    alternative: str = "two-sided",
    reference: str | int | None = None,
    conf_type: str = "log-log",
    rate_method: str = "clopper-pearson",
    conf_level: float = 0.95,
    from_dates: bool = False,
    unit: str = "months",
) -> AnalysisOutput:
    """Response at a level by a landmark: cumulative incidence, landmark rate and tests.

    The table joins, per group, the cumulative incidence (competing events), 1 − Kaplan–Meier
    (``one_minus_km_*``) and the landmark rate (``rate_conf_*``), all by ``evaluated_at =
    landmark + window``, then ``window, evaluated_at`` and the ``reason`` an estimate is null
    (starting "1 − Kaplan–Meier" when only 1 − Kaplan–Meier is: where the follow-up ends in a
    competing event, which the Kaplan–Meier censors).
    """
    labs, pts = _on_time_scale(data, patients, from_dates, unit)
    res = molecular_response(
        labs,
        pts,
        level=level,
        landmark=landmark,
        window=window,
        by=by,
        null_rate=null_rate,
        alternative=alternative,
        conf_level=conf_level,
        conf_type=conf_type,
        rate_method=rate_method,
        reference=reference,
    )
    extras = []
    if res.gray is not None:
        extras.append(Extra("gray", "Gray's test", res.gray))
    if res.comparison is not None:
        extras.append(
            Extra(
                "comparison",
                f"{_by(level, landmark, window)}: difference between arms",
                res.comparison,
            )
        )
    keys = [by] if by else []
    rate = res.rate.rename({c: f"rate_{c}" for c in ("conf_low", "conf_high")})
    km = res.one_minus_km.select(
        *keys,
        pl.col("estimate", "conf_low", "conf_high").name.prefix("one_minus_km_"),
        pl.col("reason").alias("__km_reason"),
    )
    if keys:
        joined = res.incidence.join(
            km, on=keys, how="left", maintain_order="left", nulls_equal=True
        ).join(rate, on=keys, how="left", maintain_order="left", nulls_equal=True)
    else:
        joined = pl.concat([res.incidence, km, rate], how="horizontal")
    # where only 1 - KM is null (follow-up ends in a competing event) the reason says so
    reason = pl.coalesce("reason", pl.lit("1 − Kaplan–Meier ") + pl.col("__km_reason"))
    joined = joined.with_columns(reason.alias("reason")).drop("__km_reason")
    tail = ("window", "evaluated_at", "reason")
    joined = joined.select(pl.exclude(tail), *tail)
    title = (
        f"{_by(level, landmark, window)}: cumulative incidence (competing events), "
        "1 − Kaplan–Meier (sensitivity) and landmark rate"
    )
    return AnalysisOutput(joined, title, res.endpoints.height, extras=tuple(extras))


def milestones(data: FrameLike, *, window: float = 1.0) -> AnalysisOutput:
    """ELN 2020 response category (optimal, warning, failure) at 3, 6 and 12 months."""
    table = eln_milestones(data, window=window)
    counts = table.group_by("milestone", "category").len().sort("milestone", "category")
    return AnalysisOutput(
        table,
        "ELN 2020 milestones",
        table.height,
        display=Extra("counts", "ELN 2020 milestones: patients per category", counts),
    )


def loss_of_mmr_analysis(data: FrameLike, *, confirmed: bool = False) -> AnalysisOutput:
    """Loss of major molecular response after MMR, one row per patient who reached MMR."""
    table = loss_of_mmr(data, confirmed=confirmed)
    return AnalysisOutput(
        table, "Loss of MMR" + (" (confirmed)" if confirmed else ""), table.height
    )


def tfr(
    data: FrameLike,
    patients: FrameLike,
    *,
    min_treatment: float = 60.0,
    min_deep_duration: float = 24.0,
    from_dates: bool = False,
    unit: str = "months",
) -> AnalysisOutput:
    """Treatment-free remission: eligibility to stop and time to molecular relapse.

    With ``from_dates`` the results hold ``sample_date`` and the patient table ``start_date``,
    ``tki_stop_date``, ``last_follow_up_date`` and optionally ``tki_restart_date`` and
    ``death_date``: eligibility is judged on the calendar (a stop on the 5th anniversary is not
    more than 60 months) and the time since the stop is in ``unit``.
    """
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
    else:
        ends = tfr_endpoints(data, patients)
        elig = tfr_eligibility(
            data, patients, min_treatment=min_treatment, min_deep_duration=min_deep_duration
        )
    pid = TfrColumns().patient
    table = ends.join(elig.select(pid, "eligible", "deep_duration", "reason"), on=pid, how="left")
    extras = ()
    if table.height:
        km = kaplan_meier(table, time="time", event="tfr_failure").at([6.0, 12.0, 24.0])
        extras = (Extra("km", "TFR survival (Kaplan–Meier, time since stopping)", km),)
    return AnalysisOutput(table, "Treatment-free remission", table.height, extras=extras)


def _lab_columns(params: Mapping[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """The default lab and patient columns (sample and start dates with ``from_dates``)."""
    cols = Columns()
    labs = [(cols.patient, "patient"), (cols.is_percent, "is_percent"), (cols.detected, "detected")]
    pcols = PatientColumns()
    pts = [(pcols.patient, "patient")]
    if params.get("from_dates"):
        labs.append(("sample_date", "sample date"))
        pts.append(("start_date", "start date"))
    else:
        labs.append((cols.time, "time"))
        pts.append((pcols.last_follow_up, "last follow-up"))
    return {"data": labs, "patients": pts}


def _response_columns(params: Mapping[str, Any]) -> dict[str, list[tuple[str, str]]]:
    out = _lab_columns(params)
    out["patients"] += column_roles(patients=("by",))(params)["patients"]
    return out


def _tfr_columns(params: Mapping[str, Any]) -> dict[str, list[tuple[str, str]]]:
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


def _labs_only(params: Mapping[str, Any]) -> dict[str, list[tuple[str, str]]]:
    return {"data": _lab_columns({})["data"]}


_TWO = ("data", "patients")
_UNITS = tuple(DAYS_PER_UNIT)

CML_ANALYSES = (
    Analysis(
        "cml classify",
        classify,
        columns=column_roles(
            data=("patient", "time", "is_percent", "detected", "control_gene", "control_copies")
        ),
    ),
    Analysis(
        "cml endpoints",
        endpoints,
        inputs=_TWO,
        columns=_lab_columns,
        choices={"level": _LEVELS, "unit": _UNITS},
    ),
    Analysis(
        "cml response",
        response,
        inputs=_TWO,
        columns=_response_columns,
        choices={
            "level": _LEVELS,
            "unit": _UNITS,
            "conf_type": tuple(CONF_TYPES),
            "rate_method": tuple(METHODS),
            "alternative": ALTERNATIVES,
        },
    ),
    Analysis("cml milestones", milestones, columns=_labs_only),
    Analysis("cml loss-of-mmr", loss_of_mmr_analysis, columns=_labs_only),
    Analysis("cml tfr", tfr, inputs=_TWO, columns=_tfr_columns, choices={"unit": _UNITS}),
)
