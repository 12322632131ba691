"""The `recist` sub-commands (tumour response and progression in solid-tumour trials)."""

from __future__ import annotations

from typing import Annotated

import polars as pl
import typer

from survstat.cli._common import (
    ConfLevelOpt,
    DataArg,
    OutputOpt,
    clean,
    print_table,
    split_columns,
    user_errors,
    write_output,
)
from survstat.endpoints.dates import RECIST_DATES, times_from_dates
from survstat.endpoints.efficacy import efficacy_table
from survstat.endpoints.recist_tte import time_to_event_endpoints

app = typer.Typer(
    help="RECIST 1.1: derive best response and PFS/OS/DoR, tabulate efficacy by arm.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

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

    Example: `survstat recist derive visits.parquet --subjects subjects.parquet -o derived.parquet`
    """
    params = clean(locals())
    visits, subject_table = data, subjects
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
    table = time_to_event_endpoints(
        visits,
        subject_table,
        interval_days=interval_days,
        confirm=confirm,
        sd_min_days=sd_min_days,
        cbr_weeks=cbr_weeks,
    )
    first = ["subject_id", *DERIVED_COLUMNS]
    table = table.select(*first, *[c for c in table.columns if c not in first])
    print_table(table.group_by("bor").agg(pl.len().alias("n")).sort("bor"), "Best overall response")
    write_output(
        table, output, analysis="recist derive", parameters=params, data=data, n_rows=table.height
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

    Example: `survstat recist table visits.parquet --subjects subjects.parquet --by arm
    --reference A -o efficacy.parquet`
    """
    params = clean(locals())
    derived = data if subjects is None else time_to_event_endpoints(data, subjects)
    result = efficacy_table(
        derived, by=by, reference=reference, strata=split_columns(strata), conf_level=conf_level
    )
    print_table(result, "Efficacy by arm")
    write_output(
        result, output, analysis="recist table", parameters=params, data=data, n_rows=result.height
    )
