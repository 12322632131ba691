"""Per-subject figures: the library call behind ``survstat plot swimmer|waterfall|spider|
cml-trajectories`` and job plot steps (listed in :data:`survstat.analyses.plots.PLOTS`).

Each reads the tables other commands write (``recist derive``, ``sdtm tr``, the CML lab
results) and returns a matplotlib Figure drawn by :mod:`survstat.plot_series`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from survstat.analyses._core import Analysis
from survstat.analyses._declare import Column, Data, Frame, Input, Option
from survstat.analyses._options import Title

if TYPE_CHECKING:
    import polars as pl
    from matplotlib.figure import Figure

Subject = Annotated[str, Column("data", help="Subject id column.")]
Derived = Annotated[
    Frame | None,
    Input(
        "Per-subject table of `survstat recist derive` (subject_id, bor, arm, ...), joined to "
        "DATA by the subject id: its columns can colour the plot.",
        flag="--derived",
    ),
]
ColorBy = Annotated[
    str | None,
    Column(
        ("derived", "data"),
        help="Column that colours the plot, one value per subject (default: bor with "
        "--derived, else one colour); a column of the --derived table when given.",
    ),
]
Change = Annotated[str, Column("data", help="% change from baseline column.")]
Baseline = Annotated[str, Column("data", help="Boolean column marking the baseline rows.")]


def _with_derived(
    data: Frame, derived: Frame | None, subject: str, color_by: str | None
) -> tuple[pl.DataFrame, str | None]:
    """DATA with the colour column, joined from the --derived table when given."""
    import polars as pl

    from survstat.errors import ColumnNotFoundError
    from survstat.io import scan

    frame = scan(data)[0].collect()
    if subject not in frame.columns:
        raise ColumnNotFoundError(subject, frame.columns, role="subject")
    if derived is None:
        return frame, color_by
    colour = color_by or "bor"
    table = scan(derived)[0].collect()
    for column, role in ((subject, "subject"), (colour, "color_by")):
        if column not in table.columns:
            raise ColumnNotFoundError(column, table.columns, role=role, where="the --derived table")
    keys = table.select(subject, pl.col(colour).alias("__colour")).unique(subject, keep="first")
    joined = frame.drop(colour, strict=False).join(
        keys.rename({"__colour": colour}),
        left_on=subject,
        right_on=subject,
        how="left",
    )
    return joined, colour


def swimmer_plot(
    data: Data,
    *,
    subject: Subject = "subject_id",
    length: Annotated[
        str, Column("data", help="Lane length: time on treatment or follow-up.")
    ] = "os_time",
    by: Annotated[str | None, Column("data", help="Column that colours the bars (arm).")] = None,
    response: Annotated[
        str, Column("data", help="Best response column (CR and PR are marked).")
    ] = "bor",
    response_day: Annotated[
        str, Column("data", help="Day of the response onset column.")
    ] = "response_day",
    response_length: Annotated[
        str, Column("data", help="Duration of response column (from its onset).")
    ] = "dor_time",
    progression: Annotated[str, Column("data", help="Day of progression column.")] = (
        "first_pd_day"
    ),
    death: Annotated[
        str, Column("data", help="Death flag column (false: an arrow, still followed).")
    ] = "os_event",
    xlabel: Annotated[str, Option(help="Label of the time axis.")] = (
        "days since start of treatment"
    ),
    title: Title = None,
) -> Any:
    """Swimmer plot: one lane per subject, longest on top, coloured by --by, with the onset
    (CR diamond, PR triangle) and duration (black line) of response, progression (cross),
    death (square) and an arrow for subjects still followed.

    DATA is the output of `survstat recist derive`: subject_id, os_time (the lane),
    bor, response_day, dor_time, first_pd_day and os_event; other tables name their columns
    with the options.

    Example: `survstat plot swimmer breast_trial_derived.parquet --by arm -o swimmer.png`
    (the output of the `recist derive` example)

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    from survstat.plot_series import swimmer_figure

    return swimmer_figure(
        data,
        subject=subject,
        length=length,
        by=by,
        response=response,
        response_day=response_day,
        response_length=response_length,
        progression=progression,
        death=death,
        xlabel=xlabel,
        title=title,
    )


def waterfall_plot(
    data: Data,
    derived: Derived = None,
    *,
    subject: Subject = "subject_id",
    change: Change = "percent_change",
    baseline: Baseline = "baseline",
    color_by: ColorBy = None,
    title: Title = None,
) -> Any:
    """Waterfall plot: each subject's best (smallest) % change in the sum of target-lesion
    diameters after baseline, bars sorted from highest to lowest, with the RECIST 1.1
    thresholds at +20% (PD) and -30% (PR); coloured by best overall response with --derived.

    DATA is the output of `survstat sdtm tr` (subject_id, baseline, percent_change);
    subjects with no post-baseline sum are left out.

    Example: `survstat plot waterfall sdtm_target_sums.parquet --derived
    breast_trial_derived.parquet -o waterfall.png` (the outputs of the `sdtm tr` and
    `recist derive` examples)

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    from survstat.plot_series import best_change, waterfall_figure

    frame, colour = _with_derived(data, derived, subject, color_by)
    best = best_change(frame, subject=subject, change=change, baseline=baseline)
    if best.height == 0:
        from survstat.errors import EmptyDataError

        raise EmptyDataError(
            f"`{change}` (% change) has no post-baseline value in {frame.height} rows: no "
            "subject has a best change to draw"
        )
    if colour is not None:
        from survstat.plot_series._common import frame_of, per_subject

        per_subject(frame_of(frame, {colour: "color_by"}), subject, colour, "color_by")
        best = best.join(frame.select(subject, colour).unique(subject), on=subject, how="left")
    return waterfall_figure(best, subject=subject, change="best_change", color=colour, title=title)


def spider_plot(
    data: Data,
    derived: Derived = None,
    *,
    subject: Subject = "subject_id",
    time: Annotated[str, Column("data", help="Assessment time column.")] = "study_day",
    change: Change = "percent_change",
    baseline: Baseline = "baseline",
    color_by: ColorBy = None,
    xlabel: Annotated[str, Option(help="Label of the time axis.")] = "study day",
    title: Title = None,
) -> Any:
    """Spider plot: each subject's % change in the sum of target-lesion diameters over time,
    from the baseline (drawn at 0), with the RECIST 1.1 thresholds at +20% and -30%;
    coloured by --color-by (arm or bor).

    DATA is the output of `survstat sdtm tr` (subject_id, study_day, baseline,
    percent_change); assessments without a sum (a lesion not measured) are skipped.

    Example: `survstat plot spider sdtm_target_sums.parquet --derived
    breast_trial_derived.parquet --color-by arm -o spider.png` (the outputs of the `sdtm tr`
    and `recist derive` examples)

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    from survstat.plot_series import spider_figure

    frame, colour = _with_derived(data, derived, subject, color_by)
    return spider_figure(
        frame,
        subject=subject,
        time=time,
        change=change,
        baseline=baseline,
        color=colour,
        xlabel=xlabel,
        title=title,
    )


def cml_trajectories_plot(
    data: Data,
    patients: Annotated[
        Frame | None,
        Input("Patient table (e.g. patient_id, arm), joined by patient id.", flag="--patients"),
    ] = None,
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
    by: Annotated[
        str | None,
        Column(("patients", "data"), help="Column to draw one panel per level of (the arm)."),
    ] = None,
    median_every: Annotated[
        float | None,
        Option(
            help="Draw the median of the patients' last results in windows of this width "
            "(e.g. 3: months 0, 3, 6, ...); undetectable results count at their detection "
            "limit."
        ),
    ] = None,
    xlabel: Annotated[str, Option(help="Label of the time axis.")] = (
        "months since start of treatment"
    ),
    title: Title = None,
) -> Any:
    """BCR-ABL1 IS % over time per patient on a log axis, with the ELN 2020 levels MMR,
    MR4, MR4.5 and MR5; undetectable results at their detection limit (hollow triangles);
    one panel per arm with --by; a median line with --median-every.

    The detection limit of an undetectable result is the IS % one copy less would reach:
    0.01% x 10,000 / ABL1 copies (24,000 / GUSB copies), as `survstat cml classify` reads
    the sample's sensitivity; undetectable results with too few copies to be evaluable
    (EUTOS: under 10,000 ABL1) are not drawn and the figure says how many.

    Example: `survstat plot cml-trajectories actim_like_labs.parquet --patients
    actim_like_patients.parquet --by arm --median-every 3 -o cml_trajectories.png`

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    import polars as pl

    from survstat.endpoints.cml_input import Columns, Thresholds
    from survstat.endpoints.cml_levels import classified_results
    from survstat.errors import ColumnNotFoundError
    from survstat.io import scan
    from survstat.plot_series import cml_trajectories_figure

    thr = Thresholds()
    cols = Columns(patient, time, is_percent, detected, control_gene, control_copies)
    results = classified_results(data, columns=cols, thresholds=thr)
    points = results.select(
        pl.col(patient), pl.col("__t").alias("time"), "__upper", pl.col("__det").alias("detected")
    )
    if by is not None and patients is not None:
        table = scan(patients)[0].collect()
        for column, role in ((patient, "patient"), (by, "by")):
            if column not in table.columns:
                raise ColumnNotFoundError(column, table.columns, role=role, where="--patients")
        keys = table.select(patient, by).unique(patient, keep="first")
        points = points.join(keys, on=patient, how="left")
    elif by is not None:
        if by not in results.columns:
            raise ColumnNotFoundError(by, results.columns, role="by")
        points = points.with_columns(results.get_column(by))
    hidden = points.get_column("__upper").is_null().sum()
    note = (
        f"{hidden} undetectable results with too few control-gene copies to be evaluable "
        "(EUTOS: under 10,000 ABL1 or 24,000 GUSB) are not drawn"
        if hidden
        else None
    )
    levels = (("MMR", thr.mmr), ("MR4", thr.mr4), ("MR4.5", thr.mr45), ("MR5", thr.mr5))
    return cml_trajectories_figure(
        points.drop_nulls("__upper"),
        patient=patient,
        time="time",
        value="__upper",
        detected="detected",
        by=by,
        levels=levels,
        median_every=median_every,
        note=note,
        xlabel=xlabel,
        title=title,
    )


#: The per-subject figures, by the name used in ``survstat plot NAME`` and in job plot steps.
def oc_plot(
    data: Data,
    *,
    p0: Annotated[float | None, Option(help="Mark the rate not worth pursuing.")] = None,
    p1: Annotated[float | None, Option(help="Mark the rate worth pursuing.")] = None,
    title: Title = None,
) -> Any:
    """Operating characteristics of a response-rate design: probability of success and of
    stopping after stage 1 against the true rate, expected patients on a second axis.

    DATA is the output of `survstat design oc` (true_rate, p_success, pet, expected_n).

    Example: `survstat plot oc simon_oc.parquet --p0 0.2 --p1 0.4 -o oc.png` (the output of
    the `design oc` example)

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    from survstat.plot_series.design import oc_figure

    return oc_figure(data, p0=p0, p1=p1, title=title)


SERIES_PLOTS: tuple[Analysis[Figure], ...] = (
    Analysis("swimmer", swimmer_plot),
    Analysis("waterfall", waterfall_plot),
    Analysis("spider", spider_plot),
    Analysis("oc", oc_plot),
    Analysis("cml-trajectories", cml_trajectories_plot),
)
