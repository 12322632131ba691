"""The `cml` sub-commands (molecular response in chronic myeloid leukaemia)."""

from __future__ import annotations

from typing import Annotated

import typer

from survstat.cli._common import (
    ConfLevelOpt,
    ConfType,
    ConfTypeOpt,
    DataArg,
    OutputOpt,
    clean,
    run,
    user_errors,
)

app = typer.Typer(
    help="Molecular response in CML: classify results, derive endpoints, estimate response.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


@app.command()
@user_errors
def classify(
    data: DataArg,
    patient: Annotated[str, typer.Option("--patient", help="Patient id column.")] = "patient_id",
    time: Annotated[str, typer.Option("--time", help="Sample time column.")] = "time",
    is_percent: Annotated[str, typer.Option("--is", help="IS % column.")] = "is_percent",
    detected: Annotated[str, typer.Option("--detected", help="Detected flag column.")] = "detected",
    control_gene: Annotated[
        str, typer.Option("--control-gene", help="Control gene column (ABL1 or GUSB).")
    ] = "control_gene",
    control_copies: Annotated[
        str, typer.Option("--control-copies", help="Control gene copies column.")
    ] = "control_copies",
    output: OutputOpt = None,
) -> None:
    """Classify each BCR-ABL1 result: MR level, log reduction, evaluable flag and reason.

    One row per sample: the input columns, then level (none, MMR, MR4, MR4.5, MR5; null when
    not evaluable), log_reduction, evaluable, reason.

    Example: `survstat cml classify cml_two_arm_labs.parquet -o classified.parquet`
    """
    run(
        "cml classify",
        data,
        output=output,
        parameters=clean(locals()),
        patient=patient,
        time=time,
        is_percent=is_percent,
        detected=detected,
        control_gene=control_gene,
        control_copies=control_copies,
    )


LevelOpt = Annotated[
    str,
    typer.Option(
        "--level",
        help="Response level: MMR, MR4, MR4.5 (default: deep response, as in 'MR4.5 by month "
        "12') or MR5.",
    ),
]
LandmarkOpt = Annotated[
    float, typer.Option("--landmark", help="Landmark time (default 12: ELN's 12-month milestone).")
]
WindowOpt = Annotated[
    float,
    typer.Option(
        "--window",
        help="Visit window: a result up to landmark + window counts as a response by the "
        "landmark, and the incidence, 1 − Kaplan–Meier and rate are all evaluated at landmark + "
        "window (default 0: exactly by the landmark).",
    ),
]
PatientsOpt = Annotated[
    str, typer.Option("--patients", help="Patient table (Parquet).", show_default=False)
]
FromDatesOpt = Annotated[
    bool,
    typer.Option(
        "--from-dates",
        help="Inputs hold dates: sample_date in the results; start_date, last_follow_up_date, "
        "discontinuation_date, progression_date, death_date in the patient table.",
    ),
]
UnitOpt = Annotated[
    str,
    typer.Option(
        "--unit",
        help="Time unit with --from-dates: days, weeks, months (default; 365.25/12 days), years.",
    ),
]


@app.command()
@user_errors
def endpoints(
    data: DataArg,
    patients: PatientsOpt,
    level: LevelOpt = "MR4.5",
    landmark: LandmarkOpt = 12.0,
    window: WindowOpt = 0.0,
    from_dates: FromDatesOpt = False,
    unit: UnitOpt = "months",
    output: OutputOpt = None,
) -> None:
    """Per-patient time to first response, with competing events, and landmark response.

    One row per patient: the patient columns, then time, cause (0 censored, 1 response,
    2 discontinuation, 3 progression, 4 death), cause_label, first_response_time,
    responded_by_landmark, response_at_landmark, best_level. Results count from time 0 (a
    negative time is a pre-study sample) to the first competing event or the last follow-up;
    the patient table's discontinuation, progression and death columns may be absent.

    Example: `survstat cml endpoints cml_two_arm_labs.parquet --patients
    cml_two_arm_patients.parquet --level MR4.5 -o cml_endpoints.parquet`
    """
    run(
        "cml endpoints",
        data,
        patients,
        output=output,
        parameters=clean(locals()),
        level=level,
        landmark=landmark,
        window=window,
        from_dates=from_dates,
        unit=unit,
    )


@app.command()
@user_errors
def response(
    data: DataArg,
    patients: PatientsOpt,
    level: LevelOpt = "MR4.5",
    landmark: LandmarkOpt = 12.0,
    window: WindowOpt = 0.0,
    by: Annotated[str | None, typer.Option("--by", help="Arm column of the patient table.")] = None,
    null_rate: Annotated[
        float | None, typer.Option("--null-rate", help="Reference rate for the exact test.")
    ] = None,
    alternative: Annotated[
        str, typer.Option("--alternative", help="two-sided, greater or less.")
    ] = "two-sided",
    reference: Annotated[
        str | None, typer.Option("--reference", help="Reference arm (default: first level).")
    ] = None,
    conf_type: ConfTypeOpt = ConfType.log_log,
    rate_method: Annotated[
        str,
        typer.Option(
            "--rate-method",
            help="Interval of the landmark rate: clopper-pearson (default: exact, as "
            "binom.test), wilson, wilson-cc, jeffreys, agresti-coull, mid-p or wald.",
        ),
    ] = "clopper-pearson",
    conf_level: ConfLevelOpt = 0.95,
    from_dates: FromDatesOpt = False,
    unit: UnitOpt = "months",
    output: OutputOpt = None,
) -> None:
    """Response at a level by a landmark: cumulative incidence, landmark rate and tests.

    Prints, all by landmark + window (columns landmark, window, evaluated_at), the cumulative
    incidence with competing discontinuation, progression and death (Aalen–Johansen;
    --conf-type plain gives the symmetric interval), 1 − Kaplan–Meier as a sensitivity
    analysis, the response rate with its exact CI and test, and with --by Gray's test and the
    difference in rates against the reference arm; writes one row per group joining
    incidence, 1 − Kaplan–Meier (one_minus_km_*) and rate. Where follow-up ends (censored)
    before landmark + window the incidence is null and `reason` says why.

    Example: `survstat cml response actim_like_labs.parquet --patients
    actim_like_patients.parquet --level MR4.5 --landmark 12 --null-rate 0.23 --alternative
    greater`
    """
    run(
        "cml response",
        data,
        patients,
        output=output,
        parameters=clean(locals()),
        level=level,
        landmark=landmark,
        window=window,
        by=by,
        null_rate=null_rate,
        alternative=alternative,
        reference=reference,
        conf_type=conf_type.value,
        rate_method=rate_method,
        conf_level=conf_level,
        from_dates=from_dates,
        unit=unit,
    )


@app.command()
@user_errors
def milestones(
    data: DataArg,
    window: Annotated[
        float,
        typer.Option(
            "--window",
            help="Visit window around each milestone (default 1 month either side of 3, 6 and "
            "12 months: the nearest informative result in it is the milestone result).",
        ),
    ] = 1.0,
    output: OutputOpt = None,
) -> None:
    """ELN 2020 response category (optimal, warning, failure) at 3, 6 and 12 months.

    One row per patient and milestone: patient, milestone, sample_time, is_percent, detected,
    category, confirmation_time, reason. Failure at 3 months needs a result > 10% 1-3 months
    later; an undetectable result counts when the sample was sensitive enough.

    Example: `survstat cml milestones cml_two_arm_labs.parquet --window 1.5 -o milestones.parquet`
    """
    run("cml milestones", data, output=output, parameters=clean(locals()), window=window)


@app.command("loss-of-mmr")
@user_errors
def loss_of_mmr_command(
    data: DataArg,
    confirmed: Annotated[
        bool,
        typer.Option(
            "--confirmed/--unconfirmed",
            help="--confirmed: the ELN 2013 confirmed loss, two consecutive results > 0.1%, one "
            ">= 1%. Default --unconfirmed: a single result > 0.1%, the loss of MMR that ELN 2020 "
            "acts on.",
        ),
    ] = False,
    output: OutputOpt = None,
) -> None:
    """Loss of major molecular response after MMR, one row per patient who reached MMR.

    Columns: patient, mmr_time, loss_of_mmr, loss_time, end_time, duration (end_time -
    mmr_time; feed it to `survstat km --time duration --event loss_of_mmr`).

    Example: `survstat cml loss-of-mmr cml_two_arm_labs.parquet --confirmed -o loss.parquet`
    """
    run("cml loss-of-mmr", data, output=output, parameters=clean(locals()), confirmed=confirmed)


@app.command()
@user_errors
def tfr(
    data: DataArg,
    patients: PatientsOpt,
    min_treatment: Annotated[
        float,
        typer.Option(
            "--min-treatment",
            help="TKI therapy must last more than this (default 60 months: ELN 2020's more than "
            "5 years); with --from-dates whole calendar months (a stop on the 5th anniversary "
            "is not more than 60).",
        ),
    ] = 60.0,
    min_deep_duration: Annotated[
        float,
        typer.Option(
            "--min-deep-duration",
            help="MR4 must be sustained more than this (default 24 months: ELN 2020's more than "
            "2 years); with --from-dates whole calendar months.",
        ),
    ] = 24.0,
    from_dates: Annotated[
        bool,
        typer.Option(
            "--from-dates",
            help="Inputs hold dates: sample_date in the results; start_date, tki_stop_date, "
            "last_follow_up_date and optionally tki_restart_date, death_date in the patient "
            "table. Eligibility is then judged on the calendar.",
        ),
    ] = False,
    unit: UnitOpt = "months",
    output: OutputOpt = None,
) -> None:
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
    """
    run(
        "cml tfr",
        data,
        patients,
        output=output,
        parameters=clean(locals()),
        min_treatment=min_treatment,
        min_deep_duration=min_deep_duration,
        from_dates=from_dates,
        unit=unit,
    )
