"""Biomarker analyses: cutpoint, dichotomise, interaction, panel.

Each function is the declaration of its command (see :mod:`survstat.analyses._declare`); the
estimators load when it runs.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Annotated

from survstat._choices import CutpointPValue, PanelModel
from survstat.analyses._core import Analysis, AnalysisOutput, Extra, tte_subjects
from survstat.analyses._declare import Column, Data, Option
from survstat.analyses._options import (
    Adsl,
    Censor,
    ConfLevel,
    ConfType,
    Covariates,
    Param,
    ParamColumn,
    Population,
    Reference,
    TteEvent,
    TteTime,
)
from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidValueError,
    OptionError,
    SurvstatWarning,
    counted,
)

if TYPE_CHECKING:
    import polars as pl


def cutpoint_search(
    data: Data,
    adsl: Adsl = None,
    *,
    time: TteTime = None,
    event: TteEvent = None,
    censor: Censor = None,
    param: Param = None,
    param_column: ParamColumn = "PARAMCD",
    population: Population = None,
    marker: Annotated[str, Column("data", help="Numeric biomarker column.")],
    minprop: Annotated[
        float, Option(help="Smallest share of patients in the lower group.", min=0.0, max=1.0)
    ] = 0.1,
    maxprop: Annotated[
        float, Option(help="Largest share of patients in the lower group.", min=0.0, max=1.0)
    ] = 0.9,
    p_method: Annotated[
        CutpointPValue,
        Option(
            help="Adjusted p-value: Lau92 (Lausen & Schumacher) or Lau94 (improved Bonferroni)."
        ),
    ] = "Lau92",
    conf_type: ConfType = "log-log",
    conf_level: ConfLevel = 0.95,
) -> AnalysisOutput:
    """Cut-point of a biomarker by maximally selected log-rank statistics (R maxstat.test).

    One row: marker, cutpoint (low: marker <= cutpoint), statistic, p_value (adjusted for
    the search over cut-points), p_method, n_low, n_high, minprop, maxprop, hazard_ratio,
    conf_low, conf_high (Cox, high against low), note. Beside it: the two groups' Kaplan–Meier
    medians (groups) and every split's statistic (statistics). A cut-point chosen from the
    data needs validation in independent data; the output says so.

    Example: `survstat cutpoint gbsg2.parquet --time time --event cens --marker pnodes`

    Returns
    -------
    AnalysisOutput
        One row, with the ``groups`` and ``statistics`` extras.
    """
    from survstat.estimators.cutpoint import VALIDATION_NOTE, cutpoint

    sd, subjects = tte_subjects(
        data,
        adsl,
        time=time,
        event=event,
        censor=censor,
        param=param,
        param_column=param_column,
        population=population,
    )
    cp = cutpoint(
        sd,
        marker=marker,
        minprop=minprop,
        maxprop=maxprop,
        p_method=p_method,
        conf_type=conf_type,
        conf_level=conf_level,
    )
    return AnalysisOutput(
        cp.table,
        f"Maximally selected log-rank statistic for `{marker}` ({p_method} p-value)",
        sd.n_rows,
        extras=(
            Extra("groups", "Survival by the cut-point (Kaplan–Meier)", cp.groups),
            Extra("statistics", "Standardised log-rank statistic of every split", cp.statistics),
        ),
        notes=(*subjects.notes, f"warning: {VALIDATION_NOTE}"),
    )


def dichotomise(
    data: Data,
    *,
    marker: Annotated[str, Column("data", help="Numeric biomarker column.")],
    cutpoint: Annotated[
        float | None,
        Option(
            help="Low means at most this value (a finite number); leave out to find the "
            "cut-point by maximally selected log-rank statistics, as `survstat cutpoint` does."
        ),
    ] = None,
    time: Annotated[
        str | None, Column("data", help="Follow-up time column of the cut-point search.")
    ] = None,
    event: Annotated[
        str | None, Column("data", help="Event column (0/1 or boolean) of the search.")
    ] = None,
    censor: Censor = None,
    search_population: Annotated[
        str | None,
        Column(
            "data",
            help='Search the cut-point among the rows whose flag is "Y" (e.g. the patients '
            "of one arm); every row gets its group.",
        ),
    ] = None,
    minprop: Annotated[
        float,
        Option(
            help="Smallest share of the searched patients in the lower group.", min=0.0, max=1.0
        ),
    ] = 0.1,
    maxprop: Annotated[
        float,
        Option(help="Largest share of the searched patients in the lower group.", min=0.0, max=1.0),
    ] = 0.9,
    p_method: Annotated[
        CutpointPValue, Option(help="Adjusted p-value of the search: Lau92 or Lau94.")
    ] = "Lau92",
    group_column: Annotated[
        str | None,
        Option(help="Name of the group column added (default: MARKER_group)."),
    ] = None,
) -> AnalysisOutput:
    """Every row with its biomarker group (low: at most the cut-point; high: above it).

    The cut-point is given, or found as `survstat cutpoint` finds it (maximally selected
    log-rank statistics, R maxstat.test), among all rows or those of --search-population;
    every row then gets its group, so that later job steps (Kaplan–Meier, Cox, interaction,
    subgroups) can use it. A row without a marker value (null or NaN) has a null group; an
    infinite marker value is an error. A given cut-point that leaves the low or high group
    empty (outside the marker's range) warns, and the count table shows the empty group with
    n = 0. A searched cut-point overstates the separation it gives and needs validation in
    independent data.

    Example: `survstat dichotomise gbsg2.parquet --marker pnodes --time time --event cens`

    Returns
    -------
    AnalysisOutput
        The input rows with the group column (shown as counts per group: low and high,
        then the rows without a group, each with the marker's range), and the
        ``cutpoint`` extra (the search's row, as `survstat cutpoint` writes it) when searched.
    """
    import polars as pl

    from survstat.estimators.cutpoint import VALIDATION_NOTE, marker_groups
    from survstat.estimators.cutpoint import cutpoint as search
    from survstat.io import scan

    if cutpoint is not None and not math.isfinite(cutpoint):
        raise OptionError(f"`cutpoint` must be a finite number; got {cutpoint}")
    frame = scan(data)[0].collect()
    column = group_column or f"{marker}_group"
    if marker not in frame.columns:
        raise ColumnNotFoundError(marker, frame.columns, role="marker")
    if not frame.schema[marker].is_numeric():
        raise ColumnTypeError(
            f"`{marker}` (marker) must be numeric; found dtype {frame.schema[marker]}"
        )
    if column in frame.columns:
        raise OptionError(
            f"`{column}` (group column) is already a column of the data; name another with "
            "--group-column"
        )
    _require_finite(frame, marker)
    extras: tuple[Extra, ...] = ()
    notes: tuple[str, ...] = ()
    if cutpoint is None and (time is None or (event is None and censor is None)):
        raise OptionError(
            "give --cutpoint, or the --time and --event (or --censor) columns to search for it"
        )
    if cutpoint is None:
        value = pl.col(marker).cast(pl.Float64)
        sd, subjects = tte_subjects(
            frame.filter(value.is_not_null() & value.is_not_nan()),
            None,
            time=time,
            event=event,
            censor=censor,
            param=None,
            param_column="PARAMCD",
            population=search_population,
        )
        found = search(sd, marker=marker, minprop=minprop, maxprop=maxprop, p_method=p_method)
        row = found.table.row(0, named=True)
        cut = float(row["cutpoint"])
        extras = (Extra("cutpoint", "The cut-point search", found.table),)
        notes = (
            *(f"cut-point search: {note}" for note in subjects.notes),
            f"cut-point {cut:g} by maximally selected log-rank statistics (M = "
            f"{row['statistic']:.3g}, {p_method} p = {row['p_value']:.3g})",
            f"warning: {VALIDATION_NOTE}",
        )
    else:
        if search_population is not None:
            raise OptionError("--search-population needs a search: leave out --cutpoint")
        cut = float(cutpoint)
        notes = (f"cut-point {cut:g} (given)",)
    grouped = marker_groups(frame, marker, cut, column)
    counts = _group_counts(grouped, marker, column)
    empty = _empty_group(counts, marker, column, cut)
    if empty is not None:
        warnings.warn(empty, SurvstatWarning, stacklevel=2)
        notes = (*notes, f"warning: {empty}")
    missing = grouped.get_column(column).null_count()
    if missing:
        notes = (
            *notes,
            f"{counted(missing, 'row')} without a `{marker}` value "
            + ("has a null group (and is" if missing == 1 else "have a null group (and are")
            + " not searched)",
        )
    return AnalysisOutput(
        grouped,
        f"`{marker}` low (<= {cut:g}) or high, in `{column}`",
        frame.height,
        extras=extras,
        notes=notes,
        display=Extra("groups", "Rows per group", counts),
    )


def _require_finite(frame: pl.DataFrame, marker: str) -> None:
    """An error naming the marker, the count and the first row of its infinite values (a
    missing or NaN value only leaves its row without a group)."""
    import polars as pl

    value = pl.col(marker).cast(pl.Float64)
    bad = frame.select(value.is_infinite().fill_null(False).arg_true()).to_series()
    if bad.len():
        row = int(bad[0])
        n = bad.len()
        raise InvalidValueError(
            f"`{marker}` (marker) must be finite; found {n} infinite value{'s' * (n != 1)} "
            f"(first: {frame.item(row, marker)} at row {row})"
        )


def _group_counts(grouped: pl.DataFrame, marker: str, column: str) -> pl.DataFrame:
    """Rows per group (both levels, an empty one with n = 0 and null range, then the rows
    without a group, if any) with the marker's range in each."""
    import polars as pl

    from survstat.estimators.cutpoint import GROUP_LEVELS

    value = pl.col(marker).cast(pl.Float64).fill_nan(None)
    found = grouped.group_by(column).agg(
        pl.len().cast(pl.Int64).alias("n"),
        value.min().alias("marker_min"),
        value.max().alias("marker_max"),
    )
    levels = pl.DataFrame({column: GROUP_LEVELS.categories}, schema={column: GROUP_LEVELS})
    both = levels.join(found, on=column, how="left").with_columns(pl.col("n").fill_null(0))
    return pl.concat([both, found.filter(pl.col(column).is_null())])


def _empty_group(counts: pl.DataFrame, marker: str, column: str, cut: float) -> str | None:
    """What a cut-point that leaves the low or high group empty does, or None if it does
    not: the cut, the marker's range and the empty group."""
    import polars as pl

    levels = counts.filter(pl.col(column).is_not_null())
    empty = levels.filter(pl.col("n") == 0).get_column(column).cast(pl.String).to_list()
    if not empty:
        return None
    low, high = levels.select(pl.col("marker_min").min(), pl.col("marker_max").max()).row(0)
    if low is None:
        return f"`{marker}` has no value: at cut-point {cut:g} both groups are empty"
    return (
        f"cut-point {cut:g} leaves the {' and '.join(empty)} group empty: `{marker}` ranges "
        f"from {low:g} to {high:g}; a comparison of the groups is not possible"
    )


def interaction(
    data: Data,
    adsl: Adsl = None,
    *,
    time: TteTime = None,
    event: TteEvent = None,
    censor: Censor = None,
    param: Param = None,
    param_column: ParamColumn = "PARAMCD",
    population: Population = None,
    treatment: Annotated[str, Column("data", help="Treatment (arm) column.")],
    markers: Covariates,
    reference: Reference = None,
    conf_level: ConfLevel = 0.95,
) -> AnalysisOutput:
    """Treatment-by-biomarker interaction tests across a panel, Holm and BH adjusted.

    One row per biomarker: marker, n, n_event (patients with a value), interaction_hr,
    conf_low, conf_high (two arms and a numeric or binary biomarker: the ratio of hazard
    ratios per unit), statistic, df, p_value (Cox likelihood-ratio test of the interaction,
    R anova of treatment + marker against treatment * marker), p_holm, p_bh (R p.adjust
    across the panel), status.

    Example: `survstat interaction gbsg2.parquet --time time --event cens --treatment horTh
    --markers age,pnodes,tsize,progrec,estrec`

    Returns
    -------
    AnalysisOutput
        One row per biomarker.
    """
    from survstat.estimators.interaction import interaction_tests

    sd, subjects = tte_subjects(
        data,
        adsl,
        time=time,
        event=event,
        censor=censor,
        param=param,
        param_column=param_column,
        population=population,
    )
    res = interaction_tests(
        sd, treatment=treatment, markers=markers, reference=reference, conf_level=conf_level
    )
    return AnalysisOutput(
        res.table,
        f"Interaction of `{treatment}` (reference {res.reference}) with each biomarker",
        sd.n_rows,
        notes=subjects.notes,
    )


def panel(
    data: Data,
    adsl: Adsl = None,
    *,
    time: TteTime = None,
    event: TteEvent = None,
    censor: Censor = None,
    param: Param = None,
    param_column: ParamColumn = "PARAMCD",
    population: Population = None,
    markers: Covariates,
    model: Annotated[
        PanelModel, Option(help="coxnet (elastic-net Cox) or rsf (random survival forest).")
    ] = "coxnet",
    folds: Annotated[int, Option(help="Cross-validation folds.", min=2, max=20)] = 5,
    seed: Annotated[int, Option(help="Seed of the folds and the forest.")] = 2026,
    times: Annotated[
        list[float] | None,
        Option(help="Times of the AUC and Brier score (default: event-time quartiles)."),
    ] = None,
    l1_ratio: Annotated[
        float, Option(help="Elastic-net mix: 1 lasso, towards 0 ridge.", min=0.0, max=1.0)
    ] = 0.5,
    n_trees: Annotated[int, Option(help="Trees of the forest.", min=1)] = 200,
    min_leaf: Annotated[int, Option(help="Smallest leaf of the forest's trees.", min=1)] = 10,
) -> AnalysisOutput:
    """Prognostic model of a biomarker panel, judged by K-fold cross-validation.

    One row per metric: metric (harrell_c, uno_c, mean_auc, integrated_brier), mean, std,
    min, max over the folds. Beside it: per-fold metrics (folds), the time-dependent AUC per
    fold and time (auc) and, for coxnet, the coefficients of the model fitted to all patients
    on the standardised markers (coefficients; 0: not selected).

    Example: `survstat panel gbsg2.parquet --time time --event cens --markers
    age,tsize,pnodes,progrec,estrec --folds 3`

    Returns
    -------
    AnalysisOutput
        The summary, with the ``folds``, ``auc`` and ``coefficients`` extras.
    """
    from survstat.estimators.panel import panel_model

    sd, subjects = tte_subjects(
        data,
        adsl,
        time=time,
        event=event,
        censor=censor,
        param=param,
        param_column=param_column,
        population=population,
    )
    res = panel_model(
        sd,
        markers=markers,
        model=model,
        folds=folds,
        seed=seed,
        times=times,
        l1_ratio=l1_ratio,
        n_trees=n_trees,
        min_leaf=min_leaf,
    )
    alpha = "" if res.alpha is None else f", penalty {res.alpha:.4g}"
    return AnalysisOutput(
        res.summary,
        f"{model} on {len(markers)} markers: {folds}-fold cross-validated performance{alpha}",
        sd.n_rows,
        extras=(
            Extra("folds", "Per fold", res.folds),
            Extra("auc", "Time-dependent AUC per fold", res.auc),
            Extra("coefficients", "Model on all patients (standardised markers)", res.coefficients),
        ),
        notes=(
            *subjects.notes,
            f"evaluation times {', '.join(f'{v:g}' for v in res.times)}; Uno's C up to {res.tau:g}",
        ),
    )


BIOMARKER_ANALYSES = (
    Analysis("cutpoint", cutpoint_search),
    Analysis("dichotomise", dichotomise),
    Analysis("interaction", interaction),
    Analysis("panel", panel),
)
