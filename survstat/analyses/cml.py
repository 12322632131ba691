"""CML molecular-response analyses: cml classify, endpoints, response, milestones,
loss-of-mmr, tfr."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import polars as pl

from survstat._choices import Alternative, RateMethod, TimeUnit
from survstat.analyses._core import Analysis, AnalysisOutput, Extra
from survstat.analyses._declare import Column, Data, Option
from survstat.analyses._options import (
    ADAM_IN_JOBS,
    AdamFormat,
    ConfLevel,
    ConfType,
    FromDates,
    Landmark,
    Level,
    Patients,
    Unit,
    Window,
)
from survstat.analyses.cml_estimators import estimators
from survstat.analyses.cml_tfr import tfr, tfr_columns

if TYPE_CHECKING:
    from survstat.io import FrameLike


def classify(
    data: Data,
    *,
    patient: Annotated[str, Column("data", help="Patient id column.")] = "patient_id",
    time: Annotated[str, Column("data", help="Sample time column.")] = "time",
    is_percent: Annotated[str, Column("data", help="IS % column.", flag="--is")] = "is_percent",
    detected: Annotated[str, Column("data", help="Detected flag column.")] = "detected",
    control_gene: Annotated[
        str, Column("data", help="Control gene column (ABL1 or GUSB).")
    ] = "control_gene",
    control_copies: Annotated[
        str, Column("data", help="Control gene copies column.")
    ] = "control_copies",
) -> AnalysisOutput:
    """Classify each BCR-ABL1 result: MR level, log reduction, evaluable flag and reason.

    One row per sample: the input columns, then level (none, MMR, MR4, MR4.5, MR5; null when
    not evaluable), log_reduction, evaluable, reason.

    Example: `survstat cml classify cml_two_arm_labs.parquet -o classified.parquet`

    Returns
    -------
    AnalysisOutput
        One row per sample.
    """
    from survstat.endpoints.cml import Columns, classify_samples

    cols = Columns(patient, time, is_percent, detected, control_gene, control_copies)
    table = classify_samples(data, columns=cols)
    return AnalysisOutput(table, "BCR-ABL1 results", table.height)


def _on_time_scale(labs: FrameLike, patients: FrameLike, from_dates: bool, unit: TimeUnit) -> Any:
    """The lab and patient inputs on the time-since-start scale."""
    from survstat.endpoints.dates import times_from_dates

    if not from_dates:
        return labs, patients
    return times_from_dates(labs, patients, unit=unit, pre_study=True)


def endpoints(
    data: Data,
    patients: Patients,
    *,
    level: Level = "MR4.5",
    landmark: Landmark = 12.0,
    window: Window = 0.0,
    from_dates: FromDates = False,
    unit: Unit = "months",
    adam: Annotated[
        str | None,
        Option(
            help="Also write a CDISC ADaM ADTTE into this existing folder: adtte (time to "
            "MR4.5 and to --level, loss of MMR), with CDISC labels, as --adam-format says.",
            command_line_only=ADAM_IN_JOBS,
        ),
    ] = None,
    adam_format: AdamFormat = "parquet",
) -> AnalysisOutput:
    """Per-patient time to first response, with competing events, and landmark response.

    One row per patient: the patient columns, then time, cause (0 censored, 1 response,
    2 discontinuation, 3 progression, 4 death), cause_label, first_response_time,
    responded_by_landmark, response_at_landmark, best_level. Results count from time 0 (a
    negative time is a pre-study sample) to the first competing event or the last follow-up;
    the patient table's discontinuation, progression and death columns may be absent.

    With --adam DIR the times are also written as an ADaM ADTTE, DIR/adtte.parquet (or
    DIR/adtte.xpt with --adam-format xpt): PARAMCD
    TTMR45 (time to MR4.5) and the --level's (TTMMR, TTMR4, TTMR5), CNSR 0 for the response,
    1 at the last follow-up, 2 discontinuation, 3 progression, 4 death (a competing event is
    censored at its time); LOSSMMR, the time from MMR to its (unconfirmed) loss, CNSR 1 when
    not lost. AVAL is the time in the input's unit, each row with the patient table's columns.

    Example: `survstat cml endpoints cml_two_arm_labs.parquet --patients
    cml_two_arm_patients.parquet --level MR4.5 -o cml_endpoints.parquet`

    Returns
    -------
    AnalysisOutput
        One row per patient.
    """
    from survstat.endpoints.cml import response_endpoints
    from survstat.io import adam_paths

    path = None
    if adam is not None:
        path = adam_paths(adam, ("adtte",), (data, patients), file_format=adam_format)["adtte"]
    labs, pts = _on_time_scale(data, patients, from_dates, unit)
    table = response_endpoints(labs, pts, level=level, landmark=landmark, window=window)
    notes: tuple[str, ...] = ()
    if path is not None:
        from survstat.analyses.adam import cml_adam

        record = {"level": level, "landmark": landmark, "window": window}
        record |= {"from_dates": from_dates, "unit": unit}
        notes = cml_adam(path, table, labs, pts, record=record, inputs=(data, patients))
    return AnalysisOutput(table, f"Time to {level}", table.height, notes=notes)


def _by(level: str, landmark: float, window: float) -> str:
    """The label of a level by a landmark: "MR4.5 by 12", "MR4.5 by 12 + 1 (landmark + window)"."""
    if window:
        return f"{level} by {landmark:g} + {window:g} (landmark + window)"
    return f"{level} by {landmark:g}"


def response(
    data: Data,
    patients: Patients,
    *,
    level: Level = "MR4.5",
    landmark: Landmark = 12.0,
    window: Window = 0.0,
    by: Annotated[str | None, Column("patients", help="Arm column of the patient table.")] = None,
    null_rate: Annotated[float | None, Option(help="Reference rate for the exact test.")] = None,
    alternative: Annotated[Alternative, Option(help="two-sided, greater or less.")] = "two-sided",
    reference: Annotated[
        str | int | None, Option(help="Reference arm (default: first level).")
    ] = None,
    conf_type: ConfType = "log-log",
    rate_method: Annotated[
        RateMethod,
        Option(
            help="Interval of the landmark rate: clopper-pearson (default: exact, as "
            "binom.test), wilson, wilson-cc, jeffreys, agresti-coull, mid-p or wald."
        ),
    ] = "clopper-pearson",
    conf_level: ConfLevel = 0.95,
    from_dates: FromDates = False,
    unit: Unit = "months",
) -> AnalysisOutput:
    """Response at a level by a landmark: cumulative incidence, landmark rate and tests.

    Prints, all by landmark + window (columns landmark, window, evaluated_at), the cumulative
    incidence with competing discontinuation, progression and death (Aalen–Johansen;
    --conf-type plain gives the symmetric interval), 1 − Kaplan–Meier as a sensitivity
    analysis, the response rate with its exact CI and test, and with --by Gray's test and the
    difference in rates against the reference arm; writes one row per group joining
    incidence, 1 − Kaplan–Meier (one_minus_km_*) and rate. Where follow-up ends (censored)
    before landmark + window the incidence is null and `reason` says why (starting
    "1 − Kaplan–Meier" when only 1 − Kaplan–Meier is null: where the follow-up ends in a
    competing event, which the Kaplan–Meier censors).

    Example: `survstat cml response actim_like_labs.parquet --patients
    actim_like_patients.parquet --level MR4.5 --landmark 12 --null-rate 0.23 --alternative
    greater`

    Returns
    -------
    AnalysisOutput
        One row per group, with the ``gray`` and ``comparison`` extras with --by.
    """
    from survstat.analyses.cml_response import molecular_response

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
    joined = _joined(res, by)
    title = (
        f"{_by(level, landmark, window)}: cumulative incidence (competing events), "
        "1 − Kaplan–Meier (sensitivity) and landmark rate"
    )
    return AnalysisOutput(joined, title, res.endpoints.height, extras=tuple(extras))


def _joined(res: Any, by: str | None) -> pl.DataFrame:
    """One row per group joining the incidence, 1 − Kaplan–Meier (``one_minus_km_*``) and
    the landmark rate (``rate_conf_*``) of a :func:`~survstat.endpoints.cml.molecular_response`
    result, then ``window, evaluated_at, reason``."""
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
    return joined.select(pl.exclude(tail), *tail)


def milestones(
    data: Data,
    *,
    window: Annotated[
        float,
        Option(
            help="Visit window around each milestone (default 1 month either side of 3, 6 and "
            "12 months: the nearest informative result in it is the milestone result)."
        ),
    ] = 1.0,
) -> AnalysisOutput:
    """ELN 2020 response category (optimal, warning, failure) at 3, 6 and 12 months.

    One row per patient and milestone: patient, milestone, sample_time, is_percent, detected,
    category, confirmation_time, reason. Failure at 3 months needs a result > 10% 1-3 months
    later; an undetectable result counts when the sample was sensitive enough.

    Example: `survstat cml milestones cml_two_arm_labs.parquet --window 1.5 -o milestones.parquet`

    Returns
    -------
    AnalysisOutput
        One row per patient and milestone; counts per category are printed.
    """
    from survstat.endpoints.cml_monitoring import eln_milestones

    table = eln_milestones(data, window=window)
    counts = table.group_by("milestone", "category").len().sort("milestone", "category")
    return AnalysisOutput(
        table,
        "ELN 2020 milestones",
        table.height,
        display=Extra("counts", "ELN 2020 milestones: patients per category", counts),
    )


def loss_of_mmr_analysis(
    data: Data,
    *,
    confirmed: Annotated[
        bool,
        Option(
            help="--confirmed: the ELN 2013 confirmed loss, two consecutive results > 0.1%, one "
            ">= 1%. Default --unconfirmed: a single result > 0.1%, the loss of MMR that ELN 2020 "
            "acts on.",
            off="--unconfirmed",
        ),
    ] = False,
) -> AnalysisOutput:
    """Loss of major molecular response after MMR, one row per patient who reached MMR.

    Columns: patient, mmr_time, loss_of_mmr, loss_time, end_time, duration (end_time -
    mmr_time; feed it to `survstat km --time duration --event loss_of_mmr`).

    Example: `survstat cml loss-of-mmr cml_two_arm_labs.parquet --confirmed -o loss.parquet`

    Returns
    -------
    AnalysisOutput
        One row per patient who reached MMR.
    """
    from survstat.endpoints.cml_monitoring import loss_of_mmr

    table = loss_of_mmr(data, confirmed=confirmed)
    return AnalysisOutput(
        table, "Loss of MMR" + (" (confirmed)" if confirmed else ""), table.height
    )


def _lab_columns(params: Mapping[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """The default lab and patient columns (sample and start dates with ``from_dates``)."""
    from survstat.endpoints.cml import Columns, PatientColumns

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


def _labs_only(params: Mapping[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """The fixed lab columns."""
    return {"data": _lab_columns({})["data"]}


CML_ANALYSES = (
    Analysis("cml classify", classify),
    Analysis("cml endpoints", endpoints, requires=_lab_columns),
    Analysis("cml response", response, requires=_lab_columns),
    Analysis("cml estimators", estimators, requires=_lab_columns),
    Analysis("cml milestones", milestones, requires=_labs_only),
    Analysis("cml loss-of-mmr", loss_of_mmr_analysis, requires=_labs_only),
    Analysis("cml tfr", tfr, requires=tfr_columns),
)
