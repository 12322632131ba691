"""The `recist` sub-commands (tumour response and progression in solid-tumour trials)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from survstat.cli._common import (
    ConfLevelOpt,
    DataArg,
    OutputOpt,
    clean,
    run,
    split_columns,
    user_errors,
)


class SameDay(StrEnum):
    """Where an assessment, progression or death on the day a new therapy starts belongs."""

    before = "before"
    after = "after"


ConfirmOpt = Annotated[
    bool,
    typer.Option(
        "--confirm/--no-confirm",
        help="Require confirmation of CR/PR by a later assessment >= 28 days on (RECIST 1.1; "
        "randomised trials may waive it).",
    ),
]
SdMinDaysOpt = Annotated[
    float,
    typer.Option(
        "--sd-min-days",
        help="Minimum time from start for a best response of SD, in days (42: six weeks, the "
        "usual RECIST 1.1 protocol minimum).",
    ),
]
CbrWeeksOpt = Annotated[
    float,
    typer.Option(
        "--cbr-weeks",
        help="Weeks without progression that make SD clinical benefit (24: the usual CBR "
        "definition in breast cancer trials).",
    ),
]
IntervalOpt = Annotated[
    float,
    typer.Option(
        "--interval-days",
        help="Scheduled interval between assessments: visits are due at k x interval days "
        "(56: every 8 weeks).",
    ),
]
WindowOpt = Annotated[
    float,
    typer.Option(
        "--window-days",
        help="A scheduled visit is done when an adequate assessment lies within +- this many "
        "days of it (7: the +-1 week most protocols allow; less than half the interval).",
    ),
]
MaxMissedOpt = Annotated[
    int,
    typer.Option(
        "--max-missed",
        min=0,
        help="Missed scheduled visits allowed before an event; more are censored at the last "
        "adequate assessment (1: FDA's 'more than one missed visit').",
    ),
]
SameDayOpt = Annotated[
    SameDay,
    typer.Option(
        "--new-therapy-same-day",
        help="An assessment, progression or death on the day a new therapy starts is taken as "
        "before it (default: the scan precedes the new treatment; progression that day is an "
        "event) or after it (censored at the last adequate assessment).",
    ),
]
ArmOpt = Annotated[
    str,
    typer.Option(
        "--by",
        help="Arm column: text, integer codes (e.g. TRT01PN) or boolean, always compared as "
        "categories.",
    ),
]
ReferenceOpt = Annotated[
    str | None,
    typer.Option(
        "--reference",
        help="Reference arm (default: the first arm; numeric arms sorted by value, others as "
        "text).",
    ),
]

app = typer.Typer(
    help="RECIST 1.1: derive best response and PFS/OS/DoR, tabulate efficacy by arm.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


@app.command()
@user_errors
def derive(
    data: DataArg,
    subjects: Annotated[
        str,
        typer.Option(
            "--subjects",
            help="Subject table: subject_id, death_day, last_alive_day, new_therapy_day, arm..., "
            "and optionally baseline_assessed (true/false; false: censored at day 0).",
            show_default=False,
        ),
    ],
    confirm: ConfirmOpt = True,
    sd_min_days: SdMinDaysOpt = 42.0,
    cbr_weeks: CbrWeeksOpt = 24.0,
    interval_days: IntervalOpt = 56.0,
    window_days: WindowOpt = 7.0,
    max_missed: MaxMissedOpt = 1,
    new_therapy_same_day: SameDayOpt = SameDay.before,
    from_dates: Annotated[
        bool,
        typer.Option(
            "--from-dates",
            help="Inputs hold dates: assessment_date in the visits; start_date, death_date, "
            "last_alive_date, new_therapy_date in the subject table.",
        ),
    ] = False,
    output: OutputOpt = None,
) -> None:
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

    Example: `survstat recist derive breast_trial_assessments.parquet --subjects
    breast_trial_subjects.parquet -o breast_trial_derived.parquet`
    """
    run(
        "recist derive",
        data,
        subjects,
        output=output,
        parameters=clean(locals()),
        confirm=confirm,
        sd_min_days=sd_min_days,
        cbr_weeks=cbr_weeks,
        interval_days=interval_days,
        window_days=window_days,
        max_missed=max_missed,
        new_therapy_same_day=new_therapy_same_day.value,
        from_dates=from_dates,
    )


@app.command()
@user_errors
def table(
    data: DataArg,
    subjects: Annotated[
        str | None,
        typer.Option(
            "--subjects",
            help="Subject table: DATA is then the raw visits, derived first (one command).",
        ),
    ] = None,
    by: ArmOpt = "arm",
    reference: ReferenceOpt = None,
    strata: Annotated[
        str | None,
        typer.Option(
            "--strata", help="Stratification column(s) for HR and log-rank (not the arm column)."
        ),
    ] = None,
    conf_level: ConfLevelOpt = 0.95,
    confirm: ConfirmOpt = True,
    sd_min_days: SdMinDaysOpt = 42.0,
    cbr_weeks: CbrWeeksOpt = 24.0,
    interval_days: IntervalOpt = 56.0,
    window_days: WindowOpt = 7.0,
    max_missed: MaxMissedOpt = 1,
    new_therapy_same_day: SameDayOpt = SameDay.before,
    output: OutputOpt = None,
) -> None:
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
    """
    run(
        "recist table",
        data,
        subjects,
        output=output,
        parameters=clean(locals()),
        by=by,
        reference=reference,
        strata=split_columns(strata),
        conf_level=conf_level,
        confirm=confirm,
        sd_min_days=sd_min_days,
        cbr_weeks=cbr_weeks,
        interval_days=interval_days,
        window_days=window_days,
        max_missed=max_missed,
        new_therapy_same_day=new_therapy_same_day.value,
    )


@app.command()
@user_errors
def subgroups(
    data: DataArg,
    biomarker: Annotated[
        str, typer.Option("--biomarker", help="Numeric biomarker column.", show_default=False)
    ],
    cutpoint: Annotated[
        float | None,
        typer.Option("--cutpoint", help="High means above this (default: the median)."),
    ] = None,
    by: ArmOpt = "arm",
    reference: ReferenceOpt = None,
    strata: Annotated[
        str | None,
        typer.Option(
            "--strata", help="Stratification column(s) of the Cox models (not the arm column)."
        ),
    ] = None,
    time: Annotated[str, typer.Option("--time", help="Time column.")] = "pfs_time",
    event: Annotated[str, typer.Option("--event", help="Event column.")] = "pfs_event",
    conf_level: ConfLevelOpt = 0.95,
    output: OutputOpt = None,
) -> None:
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
    """
    run(
        "recist subgroups",
        data,
        output=output,
        parameters=clean(locals()),
        biomarker=biomarker,
        cutpoint=cutpoint,
        by=by,
        reference=reference,
        strata=split_columns(strata),
        time=time,
        event=event,
        conf_level=conf_level,
    )


@app.command()
@user_errors
def pcr(
    data: DataArg,
    ypt: Annotated[str, typer.Option("--ypt", help="ypT category column.")] = "ypT",
    ypn: Annotated[str, typer.Option("--ypn", help="ypN category column.")] = "ypN",
    patient: Annotated[
        str,
        typer.Option("--patient", help="Patient id column, named in errors (else the row)."),
    ] = "patient_id",
    definition: Annotated[
        str,
        typer.Option("--definition", help="ypT0/is ypN0 (default), ypT0 ypN0 or ypT0/is."),
    ] = "ypT0/is ypN0",
    itc_is_pcr: Annotated[
        bool,
        typer.Option(
            "--itc-is-pcr",
            help="Count ypN0(i+) (isolated tumour cells) and ypN0(mol+) as pCR (default: "
            "residual tumour cells are not a complete response).",
        ),
    ] = False,
    output: OutputOpt = None,
) -> None:
    """Pathological complete response per patient from post-neoadjuvant ypT and ypN.

    One row per patient: the input columns, then pcr (null when not assessable),
    pcr_definition, pcr_reason. Counts are printed; for the rate with its exact CI run
    `survstat response` on the output with `--response pcr`.

    Example: `survstat recist pcr breast_trial_pathology.parquet -o pcr.parquet`
    """
    run(
        "recist pcr",
        data,
        output=output,
        parameters=clean(locals()),
        ypt=ypt,
        ypn=ypn,
        patient=patient,
        definition=definition,
        itc_is_pcr=itc_is_pcr,
    )
