"""The `recist` sub-commands (tumour response and progression in solid-tumour trials)."""

from __future__ import annotations

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
            help="Subject table: subject_id, death_day, last_alive_day, new_therapy_day, arm...",
            show_default=False,
        ),
    ],
    confirm: Annotated[
        bool, typer.Option("--confirm/--no-confirm", help="Require confirmation of CR/PR.")
    ] = True,
    sd_min_days: Annotated[
        float, typer.Option("--sd-min-days", help="Minimum time from start for SD (days).")
    ] = 42.0,
    cbr_weeks: Annotated[
        float, typer.Option("--cbr-weeks", help="SD duration that counts as clinical benefit.")
    ] = 24.0,
    interval_days: Annotated[
        float, typer.Option("--interval-days", help="Scheduled interval between assessments.")
    ] = 56.0,
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
    NON-CR/NON-PD, PD, NE). One row per subject: subject_id, bor, confirmed,
    objective_response, clinical_benefit, pfs_time, pfs_event, pfs_censor_reason, dor_time,
    dor_event, os_time, os_event, then the other derived columns and the subject table's.

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
    by: Annotated[str, typer.Option("--by", help="Arm column.")] = "arm",
    reference: Annotated[
        str | None, typer.Option("--reference", help="Reference arm (default: first level).")
    ] = None,
    strata: Annotated[
        str | None, typer.Option("--strata", help="Stratification column(s) for HR and log-rank.")
    ] = None,
    conf_level: ConfLevelOpt = 0.95,
    output: OutputOpt = None,
) -> None:
    """Per-arm efficacy table from `survstat recist derive` output, or from raw visits.

    One row per arm: N, ORR and CBR with Clopper–Pearson CIs, PFS events, median PFS with CI,
    6- and 12-month PFS with CI (times in days), and the Cox hazard ratio and log-rank p-value
    against the reference arm.

    With --subjects, DATA is the visit-level table and the endpoints are derived first with
    the default rules (as `survstat recist derive`).

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
    by: Annotated[str, typer.Option("--by", help="Arm column.")] = "arm",
    reference: Annotated[
        str | None, typer.Option("--reference", help="Reference arm (default: first level).")
    ] = None,
    strata: Annotated[
        str | None, typer.Option("--strata", help="Stratification column(s) of the Cox models.")
    ] = None,
    time: Annotated[str, typer.Option("--time", help="Time column.")] = "pfs_time",
    event: Annotated[str, typer.Option("--event", help="Event column.")] = "pfs_event",
    conf_level: ConfLevelOpt = 0.95,
    output: OutputOpt = None,
) -> None:
    """PFS by arm within biomarker-high and -low subgroups, and the interaction test.

    One row per subgroup and arm: subgroup (low / high), `<by>`, n, pfs_events, pfs_median,
    pfs_median_conf_low, pfs_median_conf_high, hazard_ratio, hr_conf_low, hr_conf_high (against
    the reference arm within the subgroup). The likelihood-ratio test of the arm-by-subgroup
    interaction is printed. Feed the output to `survstat plot forest --label subgroup,arm
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
    definition: Annotated[
        str,
        typer.Option("--definition", help="ypT0/is ypN0 (default), ypT0 ypN0 or ypT0/is."),
    ] = "ypT0/is ypN0",
    itc_is_pcr: Annotated[
        bool,
        typer.Option("--itc-is-pcr", help="Count ypN0(i+) (isolated tumour cells) as pCR."),
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
        definition=definition,
        itc_is_pcr=itc_is_pcr,
    )
