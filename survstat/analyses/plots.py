"""Named figures: the library call behind ``survstat plot km|cif|forest`` and job plot steps.

Each function returns a matplotlib Figure; :data:`PLOTS` holds them as :class:`Analysis`
records so that job files check their parameters and columns as for any analysis.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any

from survstat._choices import FORMATS as FORMATS  # file formats of figures, re-exported
from survstat._choices import SurvregDistribution
from survstat.analyses._core import Analysis, names
from survstat.analyses._declare import Column, Data, Option
from survstat.analyses._options import (
    Adsl,
    Annotate,
    AtRiskTimes,
    By,
    Cause,
    Censor,
    CensorValue,
    ConfInt,
    ConfLevel,
    ConfType,
    CumulativeCensored,
    CumulativeEvents,
    Dpi,
    Entry,
    Footnote,
    Height,
    Labels,
    MedianLines,
    Param,
    ParamColumn,
    Population,
    Time,
    Title,
    TteEvent,
    TteTime,
    Weight,
    Width,
    XLabel,
    YLabel,
)
from survstat.analyses.plots_meta import META_PLOTS
from survstat.analyses.plots_models import MODEL_PLOTS
from survstat.analyses.plots_series import SERIES_PLOTS
from survstat.errors import OptionError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from survstat.data import SurvivalData


def _labels(
    pairs: list[str] | str | None, option: str = "labels", form: str = "LEVEL=LABEL"
) -> dict[str, str] | None:
    """Display labels from ``LEVEL=LABEL`` pairs (split at the first ``=``)."""
    from survstat.errors import OptionError

    if pairs is None:
        return None
    pairs = [pairs] if isinstance(pairs, str) else pairs
    bad = [p for p in pairs if "=" not in p]
    if bad:
        raise OptionError(
            f"`{option}` must be {form} pairs; found {len(bad)} without `=` (first: {bad[0]!r})"
        )
    return dict(p.split("=", 1) for p in pairs)


def _p(value: float) -> str:
    return "p < 0.0001" if value < 1e-4 else f"p = {value:.4f}"


def _logrank_annotation(
    sd: SurvivalData, levels: list[str], conf_level: float, shown: dict[str, str] | None = None
) -> str:
    """Log-rank p and, for two groups, the unadjusted Cox hazard ratio of the second level
    against the first, saying what it is: ``HR (Cox, unadjusted), B vs A: 0.69 (95% CI
    0.45–1.05); log-rank p = 0.0900``, the levels by their ``shown`` labels if given."""
    from survstat.errors import SurvstatError
    from survstat.estimators.cox import cox
    from survstat.estimators.logrank import logrank

    p = logrank(sd).table.get_column("p_value").item()
    parts = [f"log-rank {_p(p)}" if p is not None else "log-rank test undefined"]
    if len(sd.by) == 1 and len(levels) == 2:
        try:
            fit = cox(sd, covariates=list(sd.by), conf_level=conf_level)
        except SurvstatError:  # e.g. no event at all: the curves stand, the HR does not
            return "; ".join(["HR (Cox, unadjusted) not estimable", *parts])
        # an infinite or aliased hazard ratio has no estimate to print
        if fit.table.height == 1 and fit.table.get_column("status").item() == "ok":
            term, hr, lo, hi = fit.table.select(
                "term", "hazard_ratio", "conf_low", "conf_high"
            ).row(0)
            compared = term[len(sd.by[0]) + 1 : -1]
            reference = levels[0] if compared == levels[1] else levels[1]
            compared, reference = ((shown or {}).get(v, v) for v in (compared, reference))
            parts.insert(
                0,
                f"HR (Cox, unadjusted), {compared} vs {reference}: {hr:.2f} "
                f"({conf_level * 100:g}% CI {lo:.2f}–{hi:.2f})",
            )
        else:
            parts.insert(0, "HR (Cox, unadjusted) not estimable")
    return "; ".join(parts)


def km_plot(
    data: Data,
    adsl: Adsl = None,
    *,
    time: TteTime = None,
    event: TteEvent = None,
    censor: Censor = None,
    param: Param = None,
    param_column: ParamColumn = "PARAMCD",
    population: Population = None,
    by: By = None,
    entry: Entry = None,
    weight: Weight = None,
    conf_type: ConfType = "log-log",
    conf_level: ConfLevel = 0.95,
    at_risk_times: AtRiskTimes = None,
    median_lines: MedianLines = True,
    conf_int: ConfInt = True,
    cumulative_events: CumulativeEvents = False,
    cumulative_censored: CumulativeCensored = False,
    labels: Labels = None,
    annotate: Annotate = True,
    xlabel: XLabel = "time",
    ylabel: YLabel = None,
    title: Title = None,
    footnote: Footnote = None,
    width: Width = None,
    height: Height = None,
    dpi: Dpi = 150,
    cox_covariates: Annotated[
        list[str] | None,
        Column(
            "data",
            help="Draw over each group's Kaplan–Meier curve, dashed in its colour, its survival "
            "curve under a Cox model on the --by column(s) and these covariates "
            "(comma-separated): numeric ones at their mean, text ones at their reference "
            "level, as the footnote says. Needs --by; not with --entry.",
        ),
    ] = None,
    parametric: Annotated[
        SurvregDistribution | None,
        Option(
            help="Draw over each group's Kaplan–Meier curve, dashed in its colour, its survival "
            "curve under this parametric model (R survreg) on the --by column(s) (one curve "
            "without --by). Not with --entry or --cox-covariates."
        ),
    ] = None,
) -> Any:
    """Kaplan–Meier curves with CI bands, censoring marks, median lines and numbers at risk;
    the log-rank p-value, and for two groups the Cox hazard ratio, on the plot.

    The hazard ratio is that of the second group against the first (one --by column, no
    --entry or --weight). --cox-covariates overlays a Cox model's curve per group (R
    survfit(fit, newdata)), a visual check of the model; --parametric a parametric model's
    (e.g. weibull: the fit behind an extrapolation).

    Example: `survstat plot km gbsg2.parquet --time time --event cens --by horTh
    --at-risk-times 0,500,1000,1500,2000 -o km.png`

    Example: `survstat plot km gbsg2.parquet --time time --event cens --by tgrade
    --cox-covariates age,horTh -o km_cox.png`

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    from survstat.adsl import with_adsl
    from survstat.data import SurvivalData, tte_roles
    from survstat.estimators.kaplan_meier import kaplan_meier
    from survstat.plot import km_figure, level_names

    data, time, event = tte_roles(
        data, time=time, event=event, censor=censor, param=param, param_column=param_column
    )
    rows = with_adsl(data, adsl, population=population).data
    sd = SurvivalData.right_censored(
        rows, time=time, event=event, by=names(by), entry=entry, weight=weight
    )
    fit = kaplan_meier(sd, conf_type=conf_type, conf_level=conf_level)
    overlay = None
    if cox_covariates is not None and parametric is not None:
        raise OptionError(
            "give one model to draw over the curves: --cox-covariates or --parametric"
        )
    if cox_covariates is not None:
        overlay = _cox_overlay(fit, rows, sd, cox_covariates)
    if parametric is not None:
        overlay = _parametric_overlay(fit, rows, sd, parametric)
    # the log-rank test and Cox model here take neither delayed entry nor case weights
    plain = entry is None and weight is None
    shown = _labels(labels)
    levels = level_names(fit.risk)
    note = (
        _logrank_annotation(sd, levels, conf_level, shown) if annotate and sd.by and plain else None
    )
    return km_figure(
        fit,
        at_risk_times=at_risk_times,
        median_lines=median_lines,
        annotation=note,
        conf_int=conf_int,
        xlabel=xlabel,
        ylabel=ylabel,
        title=title,
        cumulative_events=cumulative_events,
        cumulative_censored=cumulative_censored,
        labels=shown,
        width=width,
        height=height,
        dpi=dpi,
        overlay=overlay,
        footnote=footnote,
    )


def _cox_overlay(fit: Any, rows: Any, sd: SurvivalData, covariates: list[str]) -> Any:
    """The Cox model curve of each group of ``fit`` (:func:`survstat.plot_curves.cox_overlay`),
    the model on the group columns, each as categories, and ``covariates``."""
    import polars as pl

    from survstat.errors import OptionError
    from survstat.estimators.cox import cox
    from survstat.io import scan
    from survstat.plot_curves import cox_overlay

    if not sd.by:
        raise OptionError("`cox_covariates` draws a Cox model curve per group: give --by too")
    if sd.entry is not None:
        raise OptionError(
            "`cox_covariates` takes no --entry: Cox models with delayed entry are not available yet"
        )
    groups = [g for g in sd.by if g not in covariates]
    frame = scan(rows)[0]
    schema = frame.collect_schema()
    text = [g for g in groups if schema[g].is_numeric()]  # a level is a category, not a number
    frame = frame.with_columns(pl.col(text).cast(pl.String))
    model = cox(
        frame, time=sd.time, event=sd.event, covariates=[*groups, *covariates], weight=sd.weight
    )
    return cox_overlay(fit, model)


def _parametric_overlay(
    fit: Any, rows: Any, sd: SurvivalData, distribution: SurvregDistribution
) -> Any:
    """The parametric model curve of each group of ``fit``
    (:func:`survstat.plot_curves.parametric_overlay`), the model on the group columns, each as
    categories."""
    import polars as pl

    from survstat.estimators.survreg import survreg
    from survstat.io import scan
    from survstat.plot_curves import parametric_overlay

    if sd.entry is not None:
        raise OptionError(
            "`parametric` takes no --entry: parametric models with delayed entry are not "
            "available yet"
        )
    groups = list(sd.by)
    frame = scan(rows)[0]
    schema = frame.collect_schema()
    text = [g for g in groups if schema[g].is_numeric()]  # a level is a category, not a number
    frame = frame.with_columns(pl.col(text).cast(pl.String))
    model = survreg(
        frame,
        time=sd.time,
        event=sd.event,
        covariates=groups,
        distribution=distribution,
        weight=sd.weight,
    )
    return parametric_overlay(fit, model)


def cif_plot(
    data: Data,
    adsl: Adsl = None,
    *,
    time: Time,
    cause: Cause,
    param: Param = None,
    param_column: ParamColumn = "PARAMCD",
    population: Population = None,
    of_interest: Annotated[
        str | int | None, Option(help="The cause to draw (default: the first).", code=True)
    ] = None,
    by: By = None,
    censor_value: CensorValue = None,
    conf_type: ConfType = "log-log",
    conf_level: ConfLevel = 0.95,
    at_risk_times: AtRiskTimes = None,
    conf_int: ConfInt = True,
    cumulative_events: CumulativeEvents = False,
    cumulative_censored: CumulativeCensored = False,
    labels: Labels = None,
    annotate: Annotate = True,
    xlabel: XLabel = "time",
    ylabel: YLabel = None,
    title: Title = None,
    footnote: Footnote = None,
    width: Width = None,
    height: Height = None,
    dpi: Dpi = 150,
) -> Any:
    """Cumulative incidence of one cause per group with CI bands and numbers at risk;
    Gray's test p-value on the plot.

    Example: `survstat plot cif cml_endpoints.parquet --time time --cause cause --of-interest 1
    --by arm -o cif.pdf` (the output of the `survstat cml endpoints` example)

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    from survstat.adsl import with_adsl
    from survstat.data import SurvivalData, keep_param
    from survstat.errors import EmptyDataError
    from survstat.estimators.cumulative_incidence import cumulative_incidence
    from survstat.estimators.gray import gray_test
    from survstat.plot import cif_figure

    subjects = with_adsl(keep_param(data, param, param_column), adsl, population=population)
    sd = SurvivalData.competing_risks(
        subjects.data, time=time, cause=cause, by=names(by), censor_value=censor_value
    )
    fit = cumulative_incidence(sd, conf_type=conf_type, conf_level=conf_level)
    if not fit.causes:
        raise EmptyDataError(
            f"`{cause}` records no event of any cause: every incidence is 0, there is no curve "
            "to draw"
        )
    chosen = fit.causes[0] if of_interest is None else of_interest
    note = None
    if annotate and sd.by:
        gray = gray_test(sd).table
        p = gray.filter(gray.get_column("cause") == chosen).get_column("p_value")
        if p.len() == 1:  # null when the test is undefined (no event of the cause)
            note = "Gray's test undefined" if p.item() is None else f"Gray's test {_p(p.item())}"
    return cif_figure(
        fit,
        cause=chosen,
        at_risk_times=at_risk_times,
        annotation=note,
        conf_int=conf_int,
        xlabel=xlabel,
        ylabel=ylabel,
        title=title,
        cumulative_events=cumulative_events,
        cumulative_censored=cumulative_censored,
        labels=_labels(labels),
        width=width,
        height=height,
        dpi=dpi,
        footnote=footnote,
    )


def _subgroups_ard(frame: Any) -> bool:
    """Whether ``frame`` is the ARD of ``table subgroups``: ``subgroup, level``, the arm
    column, then the ARD's columns (README "Output schemas")."""
    from survstat.analyses.subgroups_table import ARD_COLUMNS

    columns = list(frame.columns)
    return columns[:2] == ["subgroup", "level"] and columns[3:] == list(ARD_COLUMNS)


def _recorded(data: Any) -> tuple[float, dict[str, str]]:
    """The confidence level a ``table subgroups`` output was computed with, and the column
    labels of its input files (data and ``--adsl``), from the provenance it was written with."""
    import json
    import os
    from pathlib import Path

    from survstat.io import read_labels, read_metadata

    if not isinstance(data, str | os.PathLike) or not Path(data).is_file():
        return 0.95, {}
    record = read_metadata(data) if Path(data).suffix.lower() in (".parquet", ".xpt") else {}
    if record.get("analysis") != "table subgroups":
        return 0.95, {}
    parameters = record.get("parameters") or {}
    inputs = record.get("input")
    if isinstance(inputs, str) and inputs.startswith("{"):  # a job step's inputs by role
        inputs = list(json.loads(inputs).values())
    labels: dict[str, str] = {}
    for raw in [*(inputs if isinstance(inputs, list) else [inputs]), parameters.get("adsl")]:
        path = Path(raw) if isinstance(raw, str) else None
        if path and path.suffix.lower() in (".xpt", ".sas7bdat", ".parquet") and path.is_file():
            labels |= read_labels(path)
    return float(parameters.get("conf_level") or 0.95), labels


def forest_plot(
    data: Data,
    *,
    label: Annotated[
        list[str] | None,
        Column(
            "data",
            help="Column(s) of row labels of a wide table; leave out for the ARD of "
            "`table subgroups`.",
        ),
    ] = None,
    estimate: Annotated[str, Column("data", help="Estimate column.")] = "hazard_ratio",
    low: Annotated[str, Column("data", help="Lower confidence limit column.")] = "conf_low",
    high: Annotated[str, Column("data", help="Upper confidence limit column.")] = "conf_high",
    reference_line: Annotated[float, Option(help="Where to draw the no-effect line.")] = 1.0,
    xlabel: XLabel = "hazard ratio (95% CI)",
    title: Title = None,
    subgroup_labels: Annotated[
        list[str] | None,
        Option(
            help="With a `table subgroups` ARD: labels of the subgroup variables, VAR=LABEL "
            'comma-separated (e.g. "tgrade=Tumour grade"); default: the labels of the '
            "columns in the table's input files, else their names."
        ),
    ] = None,
    favours: Annotated[
        bool,
        Option(
            help="With a `table subgroups` ARD: write which arm each side of 1 favours under "
            "the axis.",
            off="--no-favours",
        ),
    ] = True,
    width: Annotated[
        float | None,
        Option(
            help="With a `table subgroups` ARD: figure width in inches (default: the table's "
            "width and a 2.4-inch plot).",
            min=3.0,
            max=30.0,
        ),
    ] = None,
    dpi: Dpi = 150,
) -> Any:
    """Forest plot of estimates with confidence intervals on a log axis: the subgroup forest
    plot of a `table subgroups` output, or one line per row of a wide table (e.g. the output
    of `survstat cox -o`).

    A `table subgroups` output (recognised by its columns: subgroup, level, the arm, then
    the ARD's) draws tern's forest plot: the subgroups with N and events per arm on the left,
    each other arm's hazard ratio against the reference with its CI in the middle (one
    coloured line per arm with 3 or 4 arms), the HR (95% CI) and interaction p-values on the
    right; a null hazard ratio reads NE. Any other table needs --label: a row's label joins
    its --label columns (e.g. `subgroup,arm` for the output of `survstat recist subgroups`).

    Example: `survstat plot forest cox.parquet --label term -o forest.svg` (the output of the
    `survstat cox` example)

    Example: `survstat plot forest subgroups_table.parquet -o subgroups_forest.png` (the
    output of the `survstat table subgroups` example)

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    import polars as pl

    from survstat.errors import ColumnNotFoundError, ColumnTypeError, OptionError
    from survstat.io import scan
    from survstat.plot import forest_figure, subgroups_forest_figure

    columns = names(label) or []
    frame = scan(data)[0].collect()
    if not (0 < reference_line < math.inf):
        raise OptionError(f"`reference_line` must be positive (a log axis); got {reference_line}")
    if not columns and _subgroups_ard(frame):
        conf_level, found = _recorded(data)
        default_xlabel = xlabel == "hazard ratio (95% CI)"
        return subgroups_forest_figure(
            frame,
            labels={**found, **(_labels(subgroup_labels, "subgroup_labels", "VAR=LABEL") or {})},
            favours=favours,
            reference_line=reference_line,
            conf_level=conf_level,
            xlabel=None if default_xlabel else xlabel,
            title=title,
            width=width,
            dpi=dpi,
        )
    if not columns:
        raise OptionError(
            "`label` is needed: name the column(s) of the row labels (only the output of "
            "`table subgroups` is drawn without it); the table's columns are "
            f"{', '.join(frame.columns)}"
        )
    for column, role in [
        *((c, "label") for c in columns),
        (estimate, "estimate"),
        (low, "low"),
        (high, "high"),
    ]:
        if column not in frame.columns:
            raise ColumnNotFoundError(column, frame.columns, role=role)
        dtype = frame.schema[column]
        if role != "label" and not (dtype.is_numeric() or dtype == pl.Null):
            raise ColumnTypeError(f"`{column}` ({role}) must be numeric; found dtype {dtype}")
    text = pl.concat_str([pl.col(c).cast(pl.String) for c in columns], separator=" · ")
    return forest_figure(
        frame.with_columns(text.alias("_label")),
        label="_label",
        estimate=estimate,
        low=low,
        high=high,
        reference_line=reference_line,
        xlabel=xlabel,
        title=title,
    )


#: Every named figure, by the name used in ``survstat plot NAME`` and in job plot steps.
PLOTS: dict[str, Analysis[Figure]] = {
    a.name: a
    for a in (
        Analysis("km", km_plot),
        Analysis("cif", cif_plot),
        Analysis("forest", forest_plot),
        *MODEL_PLOTS,
        *META_PLOTS,
        *SERIES_PLOTS,
    )
}
