"""Summary tables as ARD: ``table tte``, ``table response``, ``table subgroups``, ``table ae``.

Each function is the declaration of its command (see :mod:`survstat.analyses._declare`); the
table is computed by :mod:`survstat.analyses.tte_table`,
:mod:`survstat.analyses.response_table`, :mod:`survstat.analyses.subgroups_table` or
:mod:`survstat.analyses.ae_table` when it runs, and a display is rendered from its ARD.
"""

from __future__ import annotations

from typing import Annotated

import polars as pl

from survstat._choices import DifferenceMethod, OddsRatioMethod, RateMethod, RateTest, TimeUnit
from survstat.analyses._core import Analysis, AnalysisOutput
from survstat.analyses._declare import Column, Data, Frame, Input, Option
from survstat.analyses._options import (
    Adsl,
    Censor,
    ConfLevel,
    ConfType,
    Param,
    ParamColumn,
    Population,
    Reference,
    Strata,
    TteArm,
    TteEvent,
    TteTime,
)
from survstat.analyses.rates import MissingAs, RateParam, RateResponse, ResponderValues


def table_tte(
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
    reference: Reference = None,
    strata: Strata = None,
    timepoints: Annotated[
        list[float] | None,
        Option(help="Times of the event-free rates and their differences (comma-separated)."),
    ] = None,
    conf_type: ConfType = "log-log",
    conf_level: ConfLevel = 0.95,
    time_unit: Annotated[
        TimeUnit | None,
        Option(
            help="Unit of --time for the display's labels only (6 months, Median (days)); "
            "recorded in the provenance, the ARD is unchanged."
        ),
    ] = None,
) -> AnalysisOutput:
    """Time-to-event summary table per arm (TTET01) as analysis results data.

    One row per arm and statistic: `<by>`, statistic, time, estimate, std_error, conf_low,
    conf_high, censored, note. Per arm: n, n_event, n_censor; median, q1, q3 with
    Brookmeyer–Crowley CIs (--conf-type); min_time and max_time (censored: no event at that
    time); n_risk and event_free_rate at each --timepoints time. On the other arms, against
    --reference (pairwise, on the two arms alone): event_free_rate_difference (normal CI, Greenwood
    standard errors), hazard_ratio (Cox, Efron ties, Wald CI), logrank_p_value, and with
    --strata hazard_ratio_stratified and logrank_p_value_stratified. A null value has its
    reason in note. With -o ending in .docx, .rtf, .html, .tex or .xlsx, the display of
    that ARD (TTET01 layout) is written instead; --time-unit names the unit of its time
    labels.

    Example: `survstat table tte breast_trial_adtte.parquet --param PFS
    --adsl breast_trial_adsl.parquet --population ITTFL --by TRT01P
    --reference "B: aromatase inhibitor + AKTi" --timepoints 182.625,365.25 -o pfs_table.parquet`

    Returns
    -------
    AnalysisOutput
        The ARD, one row per arm and statistic.
    """
    from survstat.adsl import with_adsl
    from survstat.analyses.tte_table import tte_table
    from survstat.data import tte_roles

    data, time, event = tte_roles(
        data, time=time, event=event, censor=censor, param=param, param_column=param_column
    )
    subjects = with_adsl(data, adsl, population=population)
    result = tte_table(
        subjects.data,
        by=by,
        time=time,
        event=event,
        reference=reference,
        strata=strata,
        timepoints=timepoints or (),
        conf_type=conf_type,
        conf_level=conf_level,
    )
    n_rows = int(result.ard.filter(statistic="n").get_column("estimate").sum())
    title = (
        f"Time-to-event summary vs {result.reference} ({conf_type} {conf_level:g} CI for the "
        "quantiles and rates)"
    )
    return AnalysisOutput(result.ard, title, n_rows, notes=subjects.notes)


def table_response(
    data: Data,
    adsl: Adsl = None,
    *,
    response: RateResponse = None,
    param: RateParam = None,
    param_column: ParamColumn = "PARAMCD",
    population: Population = None,
    responder_values: ResponderValues = None,
    by: TteArm,
    reference: Reference = None,
    strata: Strata = None,
    method: Annotated[RateMethod, Option(help="Interval of the rates.")] = "clopper-pearson",
    difference_method: Annotated[
        DifferenceMethod,
        Option(help="Interval of the rate difference: newcombe or miettinen-nurminen."),
    ] = "newcombe",
    odds_ratio_method: Annotated[
        OddsRatioMethod, Option(help="Odds ratio: exact (as fisher.test) or woolf.")
    ] = "exact",
    test: Annotated[
        RateTest, Option(help="Test: fisher, chi-square or chi-square-uncorrected.")
    ] = "fisher",
    stratified_difference_method: Annotated[
        DifferenceMethod,
        Option(
            help="With --strata, the Mantel-Haenszel difference: mh-sato or mh-greenland-robins."
        ),
    ] = "mh-sato",
    stratified_test: Annotated[
        RateTest, Option(help="With --strata, the test: cmh or cmh-uncorrected.")
    ] = "cmh",
    missing: MissingAs = "nonresponder",
    conf_level: ConfLevel = 0.95,
) -> AnalysisOutput:
    """Response-rate table per arm (RSPT01) as analysis results data.

    One row per arm and statistic: `<by>`, statistic, time, estimate, std_error, conf_low,
    conf_high, censored, note, category. Per arm: n, n_responders, rate (--method interval,
    Clopper-Pearson by default); on the other arms, against --reference: rate_difference,
    odds_ratio, p_value, and with --strata rate_difference_stratified, odds_ratio_stratified,
    p_value_stratified; then per arm category_n and category_rate of each response category
    (CR, PR, SD, NON-CR/NON-PD, PD, NE, then others, then missing as a null category). A
    null value has its reason in note. With -o ending in .docx, .rtf, .html, .tex or .xlsx,
    the display of that ARD (RSPT01 layout) is written instead.

    Example: `survstat table response breast_trial_adrs.parquet --param CBOR
    --adsl breast_trial_adsl.parquet --population ITTFL --responder-values CR,PR --by TRT01P
    --reference "B: aromatase inhibitor + AKTi" -o orr_table.parquet`

    Returns
    -------
    AnalysisOutput
        The ARD, one row per arm and statistic.
    """
    from survstat.adsl import with_adsl
    from survstat.analyses.response_table import response_table
    from survstat.data import response_roles

    data, response = response_roles(data, response=response, param=param, param_column=param_column)
    subjects = with_adsl(data, adsl, population=population)
    result = response_table(
        subjects.data,
        by=by,
        response=response,
        responder_values=responder_values,
        reference=reference,
        strata=strata,
        method=method,
        difference_method=difference_method,
        odds_ratio_method=odds_ratio_method,
        test=test,
        stratified_difference_method=stratified_difference_method,
        stratified_test=stratified_test,
        missing=missing,
        conf_level=conf_level,
    )
    totals = result.ard.filter(statistic="category_n").get_column("estimate").sum()
    title = f"Response rate vs {result.reference} ({method} {conf_level:g} CI for the rates)"
    return AnalysisOutput(result.ard, title, int(totals), notes=subjects.notes)


def table_subgroups(
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
    reference: Reference = None,
    subgroups: Annotated[
        list[str],
        Column(
            "data",
            help="Subgroup variables (categorical columns), comma-separated: one block per "
            "level and an interaction test per variable.",
        ),
    ],
    strata: Strata = None,
    conf_level: ConfLevel = 0.95,
) -> AnalysisOutput:
    """Hazard ratios by subgroup with the interaction tests (TTE forest) as analysis results data.

    One block for all patients, then one per level of each --subgroups variable:
    subgroup (null for all patients), level, `<by>`, statistic, time, estimate, std_error,
    conf_low, conf_high, censored, note. Per arm: n, n_event, median (Kaplan-Meier, log-log
    Brookmeyer-Crowley CI); on the other arms, against --reference on the two arms alone:
    hazard_ratio (Cox, Efron ties, Wald CI; stratified with --strata). Per subgroup variable:
    interaction_p_value, the likelihood-ratio test of arm x variable (R anova of two coxph
    fits). A null value has its reason in note. With -o ending in .docx, .rtf, .html, .tex
    or .xlsx, the display of that ARD (tern's TTE forest table: total n, per arm n, events
    and median, hazard ratio with its CI, interaction p-value; subgroup variables headed by
    their labels when the input has them) is written instead.

    Example: `survstat table subgroups gbsg2.parquet --time time --event cens --by horTh
    --reference no --subgroups menostat,tgrade -o subgroups_table.parquet`

    Returns
    -------
    AnalysisOutput
        The ARD, one row per block, arm and statistic.
    """
    from survstat.adsl import with_adsl
    from survstat.analyses.subgroups_table import subgroups_table
    from survstat.data import tte_roles

    data, time, event = tte_roles(
        data, time=time, event=event, censor=censor, param=param, param_column=param_column
    )
    subjects = with_adsl(data, adsl, population=population)
    result = subgroups_table(
        subjects.data,
        by=by,
        subgroups=subgroups,
        time=time,
        event=event,
        reference=reference,
        strata=strata,
        conf_level=conf_level,
    )
    everyone = result.ard.filter(pl.col("subgroup").is_null(), pl.col("statistic") == "n")
    n_rows = int(everyone.get_column("estimate").sum())
    title = f"Hazard ratios by subgroup vs {result.reference} ({conf_level:g} CI)"
    return AnalysisOutput(result.ard, title, n_rows, notes=subjects.notes)


def table_ae(
    data: Data,
    adsl: Annotated[
        Frame,
        Input(
            "ADaM ADSL subject table (Parquet, .csv, .xpt or .sas7bdat): one row per subject, "
            "the denominators (subjects without adverse events count too).",
            flag="--adsl",
        ),
    ],
    *,
    by: Annotated[
        str,
        Column(
            "adsl",
            help="Arm column of --adsl (e.g. TRT01A, actual treatment); a missing arm is an error.",
            flag="--by",
        ),
    ],
    population: Annotated[
        str | None,
        Column(
            "adsl",
            help='ADSL flag of the analysis population (e.g. SAFFL): its "Y" subjects are the '
            "denominators, the adverse events of the others are left out.",
        ),
    ] = None,
    term: Annotated[str, Column("data", help="Preferred term column (MedDRA).")] = "AEDECOD",
    soc: Annotated[
        str, Column("data", help="System organ class column (MedDRA primary SOC).")
    ] = "AEBODSYS",
    grade: Annotated[
        str, Column("data", help="CTCAE v5.0 grade column: 1 to 5, as numbers or text.")
    ] = "AETOXGR",
    serious: Annotated[
        str | None,
        Column("data", help='Seriousness flag column ("Y"/"N", e.g. AESER): adds serious.'),
    ] = None,
    discontinuation: Annotated[
        str | None,
        Column(
            "data",
            help="Action taken with study treatment (AEACN: DRUG WITHDRAWN counts) or a Y/N "
            "flag of an AE leading to discontinuation: adds discontinuation.",
        ),
    ] = None,
    treatment_emergent: Annotated[
        str | None,
        Column("data", help='Treatment-emergent flag column (TRTEMFL): only its "Y" rows count.'),
    ] = None,
    dlt: Annotated[
        str | None,
        Column("data", help='Dose-limiting toxicity flag column ("Y"/"N"): adds dlt.'),
    ] = None,
    dlt_cycle: Annotated[
        str | None,
        Column("data", help="Cycle in which the AE started: a DLT counts in cycle 1 only."),
    ] = None,
    dlt_population: Annotated[
        str | None,
        Column("adsl", help="ADSL flag of the DLT-evaluable subjects, the DLT denominator."),
    ] = None,
    method: Annotated[RateMethod, Option(help="Interval of the rates.")] = "clopper-pearson",
    conf_level: ConfLevel = 0.95,
) -> AnalysisOutput:
    """Adverse events per arm (AET01, AET04) as analysis results data.

    One row per arm and statistic: `<by>`, statistic, soc, term, grade, n, denominator,
    rate, conf_low, conf_high, note; subjects counted over the --adsl subjects of the arm
    (--population), each with the --method interval (Clopper-Pearson by default). Per arm:
    any_ae, worst_grade (grade 1 to 5: each subject at the worst CTCAE grade of their
    events), grade_3_plus, serious (--serious), discontinuation (--discontinuation), dlt
    (--dlt; over the --dlt-population subjects, cycle 1 with --dlt-cycle); then per system
    organ class (soc) and preferred term (term) the subjects in each grade row of tern AET04
    (any, 1-2, 1, 2, 3-4, 3, 4, 5), once per row at their worst grade. Every arm of --by is
    kept (N = 0 and null rates, with the reason in note, when none of its subjects is in
    --population). A grade outside 1-5, an event without USUBJID, a subject of DATA not in
    --adsl, a missing arm and a DLT of a subject not DLT-evaluable are errors. With -o
    ending in .docx, .rtf, .html, .tex or .xlsx, the display of that ARD is written instead.

    Example: `survstat table ae ipatasertib_adae.parquet --adsl ipatasertib_adsl.parquet --by TRT01A
    --population SAFFL --serious AESER --discontinuation AEACN --treatment-emergent TRTEMFL
    --dlt DLTFL --dlt-cycle ACYCLE --dlt-population DLTEVLFL -o ae_table.parquet`

    Returns
    -------
    AnalysisOutput
        The ARD, one row per arm and statistic.
    """
    from survstat.analyses.ae_table import ae_table

    result = ae_table(
        data,
        adsl,
        by=by,
        population=population,
        term=term,
        soc=soc,
        grade=grade,
        serious=serious,
        discontinuation=discontinuation,
        treatment_emergent=treatment_emergent,
        dlt=dlt,
        dlt_cycle=dlt_cycle,
        dlt_population=dlt_population,
        method=method,
        conf_level=conf_level,
    )
    n_events = int(result.ard.filter(statistic="any_ae").get_column("denominator").sum())
    title = f"Adverse events by {by} ({method} {conf_level:g} CI)"
    return AnalysisOutput(result.ard, title, n_events, notes=result.notes)


TABLE_ANALYSES = (
    Analysis("table tte", table_tte),
    Analysis("table response", table_response),
    Analysis("table subgroups", table_subgroups),
    Analysis("table ae", table_ae),
)
