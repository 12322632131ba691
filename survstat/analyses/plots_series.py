"""Per-subject figures: the library call behind ``survstat plot swimmer|waterfall|spider|
cml-trajectories`` and job plot steps (listed in :data:`survstat.analyses.plots.PLOTS`).

Each reads the tables other commands write (``recist derive``, ``sdtm tr``, the CML lab
results) and returns a matplotlib Figure drawn by :mod:`survstat.plot_series`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from survstat._choices import LabScale
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


def dose_intensity_plot(
    data: Data,
    *,
    subject: Subject = "subject_id",
    start: Annotated[str, Column("data", help="First study day of the record.")] = "start_day",
    end: Annotated[str, Column("data", help="Last study day of the record.")] = "end_day",
    dose: Annotated[str, Column("data", help="Dose per day taken in the record.")] = "dose",
    planned: Annotated[
        str | None, Column("data", help="Column of the planned dose per day.")
    ] = None,
    planned_dose: Annotated[
        float | None,
        Option(help="Planned dose per day of every subject (in place of --planned).", min=0.0),
    ] = None,
    xlabel: Annotated[str, Option(help="Label of the time axis.")] = "study day",
    title: Title = None,
) -> Any:
    """Cumulative relative dose intensity over time: one line per subject, the planned dose
    intensity (100%) dashed.

    DATA holds exposure records as `survstat dose-intensity` reads them (subject, first and
    last study day, dose per day); the line is the cumulative dose over the planned dose of
    the days since the first dose (Hryniuk & Bush 1984): it falls during an interruption or
    a reduction and climbs back towards 100% at the full dose.

    Example: `survstat plot dose-intensity alpelisib_exposure.parquet --planned-dose 300
    -o rdi.png`

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    from survstat.endpoints.dose_intensity import dose_intensity
    from survstat.plot_series.dose_intensity import dose_intensity_figure

    res = dose_intensity(
        data,
        subject=subject,
        start=start,
        end=end,
        dose=dose,
        planned=planned,
        planned_dose=planned_dose,
    )
    return dose_intensity_figure(res.over_time, subject=subject, xlabel=xlabel, title=title)


def _pairs(values: list[str] | None, option: str, form: str) -> dict[str, str]:
    """``KEY=VALUE`` pairs (split at the first ``=``) as a dict."""
    from survstat.errors import OptionError

    bad = [v for v in values or [] if "=" not in v]
    if bad:
        raise OptionError(
            f"`{option}` must be {form} pairs; found {len(bad)} without `=` (first: {bad[0]!r})"
        )
    return dict(v.split("=", 1) for v in values or [])


def _marks(
    patients: Frame | None, frame: pl.DataFrame, subject: str, mark: str | None
) -> dict[object, float]:
    """Subject -> the day to mark, from the --patients table (else DATA); none without
    --mark."""
    from survstat.errors import ColumnNotFoundError
    from survstat.io import scan
    from survstat.plot_series._common import numbers, per_subject

    if mark is None:
        return {}
    table = frame if patients is None else scan(patients)[0].collect()
    where = "the data" if patients is None else "--patients"
    for column, role in ((subject, "subject"), (mark, "mark")):
        if column not in table.columns:
            raise ColumnNotFoundError(column, table.columns, role=role, where=where)
    days = numbers(table, mark, "mark")
    per_subject(table, subject, mark, "mark")
    keyed = table.select(subject, days.alias("__mark")).drop_nulls("__mark").unique(subject)
    return dict(
        zip(keyed.get_column(subject).to_list(), keyed.get_column("__mark").to_list(), strict=True)
    )


def labs_plot(
    data: Data,
    patients: Annotated[
        Frame | None,
        Input(
            "Per-subject table holding the day to mark (--mark), joined by the subject id.",
            flag="--patients",
        ),
    ] = None,
    *,
    subject: Subject = "subject_id",
    param: Annotated[str, Column("data", help="Parameter column (one panel each).")] = ("PARAMCD"),
    day: Annotated[str, Column("data", help="Study day column.")] = "ADY",
    value: Annotated[str, Column("data", help="Result column (AVAL).")] = "AVAL",
    params: Annotated[
        list[str] | None,
        Option(help="Parameters to draw, top to bottom (default: all, in sorted order)."),
    ] = None,
    labels: Annotated[
        list[str] | None,
        Option(help='Y-axis labels, PARAM=LABEL (e.g. "GLUC=glucose (mg/dL)").'),
    ] = None,
    scale: Annotated[
        LabScale,
        Option(
            help="Draw the value, its change or its percent change from baseline (ADaM AVAL, "
            "CHG, PCHG; the baseline as `survstat change-from-baseline` takes it)."
        ),
    ] = "value",
    reference_day: Annotated[
        float,
        Option(help="First dose day: the baseline is the last value on or before it."),
    ] = 1.0,
    mark: Annotated[
        str | None,
        Column(
            ("patients", "data"),
            help="Column of a day to mark per subject with a dashed line in its colour (e.g. "
            "the start of a concomitant drug).",
        ),
    ] = None,
    mark_label: Annotated[str, Option(help="What the marked day is, for the legend.")] = (
        "marked day"
    ),
    glucose: Annotated[
        str | None,
        Option(
            help="Parameter holding fasting glucose in mg/dL: its panel shows the CTCAE v4.03 "
            "hyperglycaemia grade boundaries (160, 250, 500) within its range."
        ),
    ] = None,
    uln: Annotated[
        list[str] | None,
        Option(help='Upper limits of normal to draw, PARAM=VALUE (e.g. "INSULIN=25").'),
    ] = None,
    xlabel: Annotated[str, Option(help="Label of the time axis.")] = "study day",
    title: Title = None,
) -> Any:
    """Lab results over time: one panel per parameter, one line per subject (the same colour
    in every panel), a dashed line at each subject's --mark day, optional CTCAE v4.03
    hyperglycaemia grades and upper limits of normal.

    DATA holds one result per subject, parameter and day (subject_id, PARAMCD, ADY, AVAL by
    default). With --scale change or percent-change the panels show CHG or PCHG from the
    baseline (the last value on or before --reference-day, drawn at 0) and the thresholds
    are not drawn; a subject whose change is undefined at every result of a parameter (no
    baseline; for percent change a baseline of 0 or below) has no line in that panel, a
    warning names it and why, and a subject drawn in no panel is not in the legend.

    Example: `survstat plot labs alpelisib_labs.parquet --patients
    alpelisib_patients.parquet --mark pioglitazone_day --mark-label "pioglitazone start"
    --glucose GLUC --uln INSULIN=25 -o labs.png`

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    import polars as pl

    from survstat.endpoints.change_from_baseline import change_from_baseline
    from survstat.errors import OptionError
    from survstat.plot_series.labs import (
        CTCAE_GLUCOSE,
        labs_figure,
        undrawn_series,
        warn_undrawn,
    )

    bds = change_from_baseline(
        data, subject=subject, param=param, day=day, value=value, reference_day=reference_day
    )
    present = sorted(bds.get_column(param).drop_nulls().unique().to_list())
    shown = params or present
    missing = [p for p in shown if p not in present]
    if missing:
        raise OptionError(
            f"`params` names {len(missing)} parameters not in `{param}` (first: "
            f"{missing[0]!r}); the parameters are {', '.join(map(str, present))}"
        )
    limits = _pairs(uln, "uln", "PARAM=VALUE")
    lines: dict[str, list[tuple[str, float]]] = {}
    if scale == "value":
        if glucose is not None:
            lines.setdefault(glucose, []).extend(CTCAE_GLUCOSE)
        for code, text in limits.items():
            try:
                at = float(text)
            except ValueError:
                raise OptionError(
                    f"`uln` must be PARAM=VALUE with a number; got {code}={text!r}"
                ) from None
            lines.setdefault(code, []).append((f"ULN ({at:g})", at))
    y = {"value": value, "change": "CHG", "percent-change": "PCHG"}[scale]
    suffix = {"value": "", "change": ": change", "percent-change": ": % change"}[scale]
    names = _pairs(labels, "labels", "PARAM=LABEL")
    drawn = pl.col(y).cast(pl.Float64)
    if scale != "value":  # each line starts from its baseline, drawn at 0
        undrawn = undrawn_series(bds, subject=subject, param=param, y=y, params=shown)
        what = {"change": "change", "percent-change": "percent change"}[scale]
        warn_undrawn(undrawn, subject=subject, param=param, what=f"{what} from baseline")
        # ... unless the change is undefined throughout: then nothing, not a lone point
        left_out = pl.struct(subject, param).is_in(
            undrawn.select(subject, param).to_struct().implode()
        )
        drawn = pl.when(pl.col("ABLFL") == "Y").then(0.0).otherwise(drawn)
        drawn = pl.when(left_out).then(None).otherwise(drawn)
    return labs_figure(
        bds.with_columns(drawn.alias(y)),
        subject=subject,
        param=param,
        day=day,
        y=y,
        params=shown,
        ylabels={p: names.get(p, p) + suffix for p in shown},
        marks=_marks(patients, bds, subject, mark),
        mark_label=mark_label,
        lines=lines,
        zero_line=scale != "value",
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
    Analysis("dose-intensity", dose_intensity_plot),
    Analysis("labs", labs_plot),
)
