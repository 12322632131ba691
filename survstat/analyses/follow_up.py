"""Follow-up, landmark, conditional-survival, milestone and RMST analyses: followup, landmark,
conditional, milestone, rmst.

Each function is the declaration of its command (see :mod:`survstat.analyses._declare`); the
estimators load when it runs.
"""

from __future__ import annotations

from typing import Annotated

from survstat.analyses._core import Analysis, AnalysisOutput, Extra, names, tte_subjects
from survstat.analyses._declare import Column, Data, Option
from survstat.analyses._options import (
    Adsl,
    By,
    Censor,
    ConfLevel,
    ConfType,
    Param,
    ParamColumn,
    Population,
    Reference,
    TteArm,
    TteEvent,
    TteTime,
)


def followup(
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
    conf_type: ConfType = "log-log",
    conf_level: ConfLevel = 0.95,
) -> AnalysisOutput:
    """Median follow-up by the reverse Kaplan–Meier method, per group (Schemper & Smith 1996).

    One row per group: `<by>`, n, n_event, n_censor, median_follow_up, conf_low, conf_high
    (the reverse Kaplan–Meier median, R survfit(Surv(time, 1 - status))), median_observation
    (all patients: time to last contact or event), median_censored (censored patients only),
    min_time, max_time.

    Example: `survstat followup gbsg2.parquet --time time --event cens --by horTh`

    Returns
    -------
    AnalysisOutput
        One row per group.
    """
    from survstat.estimators.follow_up import follow_up

    sd, subjects = tte_subjects(
        data,
        adsl,
        time=time,
        event=event,
        censor=censor,
        param=param,
        param_column=param_column,
        population=population,
        by=names(by),
    )
    fu = follow_up(sd, conf_type=conf_type, conf_level=conf_level)
    title = f"Median follow-up (reverse Kaplan–Meier, {conf_type} {conf_level:g} CI)"
    return AnalysisOutput(fu.table, title, sd.n_rows, notes=subjects.notes)


def landmark_analysis(
    data: Data,
    adsl: Adsl = None,
    *,
    time: TteTime = None,
    event: TteEvent = None,
    censor: Censor = None,
    param: Param = None,
    param_column: ParamColumn = "PARAMCD",
    population: Population = None,
    landmark: Annotated[float, Option(help="The landmark time, on the scale of --time.", min=0.0)],
    status: Annotated[
        str | None,
        Column("data", help="Column with each patient's status at the landmark (the groups)."),
    ] = None,
    status_time: Annotated[
        str | None,
        Column("data", help="Column with the time the status was reached (missing: never)."),
    ] = None,
    status_event: Annotated[
        str | None,
        Column("data", help="0/1 column: 1 where --status-time is the time it was reached."),
    ] = None,
    reference: Reference = None,
    conf_type: ConfType = "log-log",
    conf_level: ConfLevel = 0.95,
) -> AnalysisOutput:
    """Survival from a landmark by the status reached before it (Anderson et al. 1983).

    Patients with an event or censoring at or before the landmark are left out; the others
    are grouped by their status at the landmark (--status, or reached when --status-time is at
    or before it) and compared from the landmark on. One row per group: group, n, n_event,
    median, conf_low, conf_high (time from the landmark). Beside it: the hazard ratios against
    the reference with the log-rank test (comparison) and who was left out (excluded).

    Example: `survstat landmark mgus2.parquet --time futime --event death --landmark 12
    --status-time ptime --status-event pstat`

    Returns
    -------
    AnalysisOutput
        One row per group, with the ``comparison`` and ``excluded`` extras.
    """
    from survstat.estimators.landmark import landmark as fit_landmark

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
    lm = fit_landmark(
        sd,
        landmark=landmark,
        status=status,
        status_time=status_time,
        status_event=status_event,
        reference=reference,
        conf_type=conf_type,
        conf_level=conf_level,
    )
    return AnalysisOutput(
        lm.table,
        f"Landmark analysis at {landmark:g}: survival from the landmark by `{lm.group}`",
        sd.n_rows,
        extras=(
            Extra("comparison", "Hazard ratios (Cox) and the log-rank test", lm.comparison),
            Extra("excluded", "Left out: no follow-up after the landmark", lm.excluded),
        ),
        notes=subjects.notes,
    )


def conditional(
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
    given: Annotated[float, Option(help="The time already survived.", min=0.0)],
    at: Annotated[list[float], Option(help="Times to report, not before --given.")],
    conf_type: ConfType = "log-log",
    conf_level: ConfLevel = 0.95,
) -> AnalysisOutput:
    """Conditional survival S(t | s) = S(t) / S(s) per group, with its interval.

    One row per group and time: `<by>`, given, time, n_risk, survival, std_error, conf_low,
    conf_high (the Kaplan–Meier estimate of the patients at risk after --given; Zabor et al.
    2013).

    Example: `survstat conditional gbsg2.parquet --time time --event cens --by horTh --given
    365 --at 1095,1825`

    Returns
    -------
    AnalysisOutput
        One row per group and time.
    """
    from survstat.estimators.landmark import conditional_survival

    sd, subjects = tte_subjects(
        data,
        adsl,
        time=time,
        event=event,
        censor=censor,
        param=param,
        param_column=param_column,
        population=population,
        by=names(by),
    )
    table = conditional_survival(
        sd, given=given, times=at, conf_type=conf_type, conf_level=conf_level
    )
    title = f"Conditional survival given survival to {given:g} ({conf_type} {conf_level:g} CI)"
    return AnalysisOutput(table, title, sd.n_rows, notes=subjects.notes)


def milestone_rates(
    data: Data,
    adsl: Adsl = None,
    *,
    time: TteTime = None,
    event: TteEvent = None,
    censor: Censor = None,
    param: Param = None,
    param_column: ParamColumn = "PARAMCD",
    population: Population = None,
    by: TteArm,
    at: Annotated[list[float], Option(help="Milestone times (comma-separated).")],
    reference: Reference = None,
    conf_type: ConfType = "log-log",
    conf_level: ConfLevel = 0.95,
) -> AnalysisOutput:
    """Kaplan–Meier survival at milestone times per arm, and each arm minus the reference.

    One row per arm and time: `<arm>`, time, n_risk, survival, std_error, conf_low,
    conf_high. Beside it (differences): `<arm>`, reference, time, difference (arm minus
    reference), std_error, conf_low, conf_high, statistic, p_value (Wald, Greenwood standard
    errors; Klein et al. 2007).

    Example: `survstat milestone gbsg2.parquet --time time --event cens --by horTh --at
    365,1825`

    Returns
    -------
    AnalysisOutput
        The rates, with the ``differences`` extra.
    """
    from survstat.estimators.milestone import milestone

    sd, subjects = tte_subjects(
        data,
        adsl,
        time=time,
        event=event,
        censor=censor,
        param=param,
        param_column=param_column,
        population=population,
        by=[by],
    )
    ms = milestone(sd, times=at, reference=reference, conf_type=conf_type, conf_level=conf_level)
    return AnalysisOutput(
        ms.rates,
        f"Survival at milestones ({conf_type} {conf_level:g} CI)",
        sd.n_rows,
        extras=(Extra("differences", "Arm minus reference (Wald)", ms.differences),),
        notes=subjects.notes,
    )


def rmst(
    data: Data,
    adsl: Adsl = None,
    *,
    time: TteTime = None,
    event: TteEvent = None,
    censor: Censor = None,
    param: Param = None,
    param_column: ParamColumn = "PARAMCD",
    population: Population = None,
    by: TteArm,
    tau: Annotated[float, Option(help="Truncation time of the restricted mean.", min=0.0)],
    reference: Reference = None,
    conf_level: ConfLevel = 0.95,
) -> AnalysisOutput:
    """Restricted mean survival time up to --tau per arm, its difference and its ratio.

    One row per arm: `<arm>`, tau, rmst, std_error, conf_low, conf_high (R print(fit,
    rmean=tau)). Beside it: difference (arm minus reference, Wald) and ratio (arm over
    reference, interval and test on the log scale; Uno et al. 2014).

    Example: `survstat rmst gbsg2.parquet --time time --event cens --by horTh --tau 1825`

    Returns
    -------
    AnalysisOutput
        One row per arm, with the ``difference`` and ``ratio`` extras.
    """
    from survstat.analyses._arms import reference_level, sorted_levels
    from survstat.estimators.kaplan_meier import kaplan_meier

    sd, subjects = tte_subjects(
        data,
        adsl,
        time=time,
        event=event,
        censor=censor,
        param=param,
        param_column=param_column,
        population=population,
        by=[by],
    )
    km = kaplan_meier(sd, conf_level=conf_level)
    levels = sorted_levels(km.table.get_column(by))
    ref = reference_level(reference, levels, by)
    per_arm, difference, ratio = km.rmst_comparison(tau, ref)
    return AnalysisOutput(
        per_arm,
        f"Restricted mean survival time up to {tau:g}",
        sd.n_rows,
        extras=(
            Extra("difference", "Arm minus reference", difference),
            Extra("ratio", "Arm over reference (log scale)", ratio),
        ),
        notes=subjects.notes,
    )


FOLLOW_UP_ANALYSES = (
    Analysis("followup", followup),
    Analysis("landmark", landmark_analysis),
    Analysis("conditional", conditional),
    Analysis("milestone", milestone_rates),
    Analysis("rmst", rmst),
)
