"""Parameters that several analyses share, declared once (see :mod:`survstat.analyses._declare`)."""

from __future__ import annotations

from typing import Annotated

from survstat._choices import AdamFormat as AdamFormatChoice
from survstat._choices import ConfType as ConfTypeChoice
from survstat._choices import ResponseLevel, SameDay, TimeUnit
from survstat.analyses._declare import Column, Frame, Input, Option

Time = Annotated[str, Column("data", help="Follow-up time column.")]
Event = Annotated[str, Column("data", help="Event column (0/1 or boolean).")]
Cause = Annotated[str, Column("data", help="Cause column: 0 = censored, other codes = causes.")]
TteTime = Annotated[
    str | None, Column("data", help="Follow-up time column (default AVAL for ADaM ADTTE data).")
]
TteEvent = Annotated[
    str | None, Column("data", help="Event column (0/1 or boolean); or give --censor.")
]
Censor = Annotated[
    str | None,
    Column(
        "data",
        help="CDISC censoring column instead of --event: 0 = event, positive integer = "
        "censored (ADaM ADTTE CNSR; the default for ADTTE data).",
    ),
]
Param = Annotated[
    str | None,
    Option(help="Analyse only the rows of this parameter (ADaM PARAMCD value, e.g. OS)."),
]
ParamColumn = Annotated[
    str,
    Column(
        "data",
        help="Column holding the parameter of --param.",
        when=lambda params: params.get("param") is not None,
    ),
]
#: ADaM ADSL, joined to the analysis rows by USUBJID (see :func:`survstat.adsl.with_adsl`).
Adsl = Annotated[
    Frame | None,
    Input(
        "ADaM ADSL subject table (Parquet, .csv, .xpt or .sas7bdat), joined to DATA by "
        "USUBJID: its columns (TRT01P, strata, flags) can be named as if in DATA.",
        flag="--adsl",
        joins="data",
    ),
]
Population = Annotated[
    str | None,
    Column(
        ("adsl", "data"),
        help='Keep the subjects whose population flag is "Y" (e.g. ITTFL, SAFFL): read from '
        "--adsl when given, else from DATA; other values than Y, N or blank are an error.",
    ),
]
By = Annotated[list[str] | None, Column("data", help="Group column(s), comma-separated.")]
Compared = Annotated[list[str], Column("data", help="Group column(s) to compare.")]
Strata = Annotated[
    list[str] | None, Column("data", help="Stratification column(s), comma-separated.")
]
Entry = Annotated[str | None, Column("data", help="Delayed-entry time column.")]
Weight = Annotated[str | None, Column("data", help="Case-weight column.")]
Covariates = Annotated[list[str], Column("data", help="Covariate columns, comma-separated.")]
CensorValue = Annotated[
    str | int | None,
    Option(
        help="Value of the cause column that means censored (default 0 for integer codes).",
        code=True,
    ),
]
ConfType = Annotated[ConfTypeChoice, Option(help="Pointwise confidence interval transform.")]
ConfLevel = Annotated[float, Option(help="Confidence level, in (0, 1).", min=0.0, max=1.0)]
AtRiskTimes = Annotated[
    list[float] | None, Option(help="Times of the number-at-risk table (comma-separated).")
]
Annotate = Annotated[bool, Option(help="Print the test p-value (and HR).", off="--no-annotate")]
XLabel = Annotated[str, Option(help="Label of the time axis.")]
YLabel = Annotated[
    str | None,
    Option(
        help="Label of the probability axis (default: survival probability, or cumulative "
        "incidence (CAUSE)), e.g. the endpoint's name."
    ),
]
Title = Annotated[str | None, Option(help="Figure title.")]
Footnote = Annotated[
    str | None,
    Option(
        help="Text under the figure, below the table, wrapped to its width (e.g. how a "
        "cut-point defining the groups was chosen)."
    ),
]
ConfInt = Annotated[bool, Option(help="Draw the pointwise confidence bands.", off="--no-conf-int")]
MedianLines = Annotated[
    bool, Option(help="Draw the median survival lines.", off="--no-median-lines")
]
CumulativeEvents = Annotated[
    bool,
    Option(help="Add the cumulative number of events to the table under the plot (KMunicate)."),
]
CumulativeCensored = Annotated[
    bool,
    Option(help="Add the cumulative number censored to the table under the plot (KMunicate)."),
]
Labels = Annotated[
    list[str] | None,
    Option(
        help="Display labels of the group levels in the legend and table, LEVEL=LABEL "
        'comma-separated (e.g. "A=Arm A,B=Arm B"); levels not named show their own name.'
    ),
]
Width = Annotated[
    float | None,
    Option(help="Figure width in inches (default 7.5).", min=3.0, max=30.0),
]
Height = Annotated[
    float | None,
    Option(help="Figure height in inches (default: tall enough for the table).", min=3.0, max=30.0),
]
Dpi = Annotated[
    int, Option(help="Resolution in dots per inch of PNG files (default 150).", min=50, max=1200)
]

#: Why a job file does not write ADaM datasets (a job writes only inside its output folder).
ADAM_IN_JOBS = (
    "it writes ADaM datasets outside the job's output folder, which a job never does; run "
    "`survstat recist derive --adam DIR` or `survstat cml endpoints --adam DIR` instead"
)
#: The file format of the ADaM datasets of `recist derive --adam` and `cml endpoints --adam`.
AdamFormat = Annotated[
    AdamFormatChoice,
    Option(
        help="Format of the --adam datasets: parquet, or xpt (SAS transport v5 as FDA "
        "submissions take it, variable and dataset labels kept, provenance in FILE.xpt.json "
        "beside each; subject-table columns whose names SAS cannot hold are left out, and "
        "the notes say which).",
        command_line_only=ADAM_IN_JOBS,
    ),
]

# CML: the analyses that read the lab results and a patient table

#: The patient table of the analyses that read two tables.
Patients = Annotated[
    Frame, Input("Patient table (Parquet, .csv, .xpt or .sas7bdat).", flag="--patients")
]
Level = Annotated[
    ResponseLevel,
    Option(
        help="Response level: MMR, MR4, MR4.5 (default: deep response, as in 'MR4.5 by month "
        "12') or MR5."
    ),
]
Landmark = Annotated[float, Option(help="Landmark time (default 12: ELN's 12-month milestone).")]
Window = Annotated[
    float,
    Option(
        help="Visit window: a result up to landmark + window counts as a response by the "
        "landmark, and the incidence, 1 − Kaplan–Meier and rate are all evaluated at landmark + "
        "window (default 0: exactly by the landmark)."
    ),
]
FromDates = Annotated[
    bool,
    Option(
        help="Inputs hold dates: sample_date in the results; start_date, last_follow_up_date, "
        "discontinuation_date, progression_date, death_date in the patient table."
    ),
]
Unit = Annotated[
    TimeUnit,
    Option(
        help="Time unit with --from-dates: days, weeks, months (default; 365.25/12 days), years."
    ),
]

# RECIST: the derivation options of `recist derive`, which `recist table` shares

Confirm = Annotated[
    bool,
    Option(
        help="Require confirmation of CR/PR by a later assessment >= 28 days on (RECIST 1.1; "
        "randomised trials may waive it).",
        off="--no-confirm",
    ),
]
SdMinDays = Annotated[
    float,
    Option(
        help="Minimum time from start for a best response of SD, in days (42: six weeks, the "
        "usual RECIST 1.1 protocol minimum)."
    ),
]
CbrWeeks = Annotated[
    float,
    Option(
        help="Weeks without progression that make SD clinical benefit (24: the usual CBR "
        "definition in breast cancer trials)."
    ),
]
IntervalDays = Annotated[
    float,
    Option(
        help="Scheduled interval between assessments: visits are due at k x interval days "
        "(56: every 8 weeks)."
    ),
]
WindowDays = Annotated[
    float,
    Option(
        help="A scheduled visit is done when an adequate assessment lies within +- this many "
        "days of it (7: the +-1 week most protocols allow; less than half the interval)."
    ),
]
MaxMissed = Annotated[
    int,
    Option(
        help="Missed scheduled visits allowed before an event; more are censored at the last "
        "adequate assessment (1: FDA's 'more than one missed visit').",
        min=0,
    ),
]
NewTherapySameDay = Annotated[
    SameDay,
    Option(
        help="An assessment, progression or death on the day a new therapy starts is taken as "
        "before it (default: the scan precedes the new treatment; progression that day is an "
        "event) or after it (censored at the last adequate assessment)."
    ),
]
#: The arm column: in the subject table when the endpoints are derived first from it.
Arm = Annotated[
    str,
    Column(
        ("subjects", "data"),
        help="Arm column: text, integer codes (e.g. TRT01PN) or boolean, always compared as "
        "categories.",
        flag="--by",
    ),
]
Reference = Annotated[
    str | int | None,
    Option(
        help="Reference arm (default: the first arm; numeric arms sorted by value, others as text)."
    ),
]
#: The arm of the analyses that compare arms with a reference arm on one input table.
TteArm = Annotated[
    str,
    Column(
        "data",
        help="Arm column (e.g. TRT01P; from --adsl when given): text, integer codes or boolean, "
        "always compared as categories.",
        flag="--by",
    ),
]
