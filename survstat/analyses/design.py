"""Trial designs: design simon, single-arm, oc, events, proportions, boundaries and survival.

Each function is the declaration of its command (see :mod:`survstat.analyses._declare`); the
designs (:mod:`survstat.design`) load when it runs. A design reads no table: its inputs are
the targets, and its output table is the design (columns in the README's "Output schemas").
"""

from __future__ import annotations

from typing import Annotated

from survstat._choices import EventsMethod, ProportionsMethod, Spending
from survstat.analyses._core import Analysis, AnalysisOutput
from survstat.analyses._declare import Option

P0 = Annotated[float, Option(help="The response rate not worth pursuing (H0: p <= p0).")]
P1 = Annotated[float, Option(help="The response rate worth pursuing, above --p0.")]
Alpha = Annotated[float, Option(help="Type I error (one-sided for response-rate designs).")]
Power = Annotated[float, Option(help="Power wanted.")]
MaxN = Annotated[int, Option(help="The largest number of patients searched.")]
Sided = Annotated[int, Option(help="1 or 2: a one- or two-sided test (alpha in total).")]
Ratio = Annotated[float, Option(help="Allocation ratio: patients on treatment per control.")]


def design_simon(
    *, p0: P0, p1: P1, alpha: Alpha = 0.05, power: Power = 0.8, max_n: MaxN = 100
) -> AnalysisOutput:
    """Simon two-stage designs for a response rate: minimax, admissible and optimal.

    Stop after stage 1 when responders <= r1 of n1; declare the treatment promising when
    responders > r of n. One row per design: design, r1, n1, r, n, en0 (expected n under
    p0), pet0 (probability of early termination under p0), alpha and power (exact), q_low and
    q_high (the weights for which an admissible design is best, Jung et al. 2004). Exact
    binomial search of every design up to --max-n, as R clinfun::ph2simon
    (survstat.design.binomial.simon(...).by_n holds the best design for each n).

    Example: `survstat design simon --p0 0.2 --p1 0.4 --alpha 0.05 --power 0.8 -o simon.parquet`

    Returns
    -------
    AnalysisOutput
        The designs.
    """
    from survstat.design.binomial import simon

    result = simon(p0=p0, p1=p1, alpha=alpha, power=power, max_n=max_n)
    title = f"Simon two-stage designs: p0 {p0:g}, p1 {p1:g}, alpha {alpha:g}, power {power:g}"
    return AnalysisOutput(result.table, title, 0)


def design_single_arm(
    *, p0: P0, p1: P1, alpha: Alpha = 0.05, power: Power = 0.8, max_n: MaxN = 200
) -> AnalysisOutput:
    """Exact single-stage design for a response rate (A'Hern 2001).

    Reject H0 when responders >= critical_responders of n. Power is not monotone in n, so two
    rows: smallest (the smallest n that meets the targets) and stable (the smallest n from
    which every larger n up to --max-n meets them). Columns: design, n, critical_responders,
    alpha and power (exact binomial).

    Example: `survstat design single-arm --p0 0.23 --p1 0.45 --alpha 0.05 --power 0.8`

    Returns
    -------
    AnalysisOutput
        One row per answer.
    """
    from survstat.design.binomial import single_stage

    result = single_stage(p0=p0, p1=p1, alpha=alpha, power=power, max_n=max_n)
    title = f"Single-stage exact design: p0 {p0:g}, p1 {p1:g}, alpha {alpha:g}, power {power:g}"
    return AnalysisOutput(result.table, title, 0)


def design_oc(
    *,
    n: Annotated[int, Option(help="Total number of patients.")],
    r: Annotated[int, Option(help="Success when responders > r of n.")],
    n1: Annotated[int | None, Option(help="Stage-1 patients (two-stage designs).")] = None,
    r1: Annotated[int | None, Option(help="Stop after stage 1 when responders <= r1.")] = None,
    rates: Annotated[
        list[float] | None,
        Option(help="True response rates, e.g. 0.1,0.2,0.3 (default 0-1 by 0.05)."),
    ] = None,
) -> AnalysisOutput:
    """Operating characteristics of a single- or two-stage design over true response rates.

    One row per true_rate: p_success (probability of declaring the treatment promising), pet
    (probability of stopping after stage 1) and expected_n. Exact binomial, as R
    clinfun::oc.twostage.bdry.

    Example: `survstat design oc --n 43 --r 12 --n1 13 --r1 3 -o simon_oc.parquet`

    Returns
    -------
    AnalysisOutput
        One row per true rate.
    """
    from survstat.design.binomial import operating_characteristics

    result = operating_characteristics(n=n, r=r, n1=n1, r1=r1, rates=rates)
    stages = f"{r1}/{n1}, {r}/{n}" if n1 is not None else f"{r}/{n}"
    return AnalysisOutput(result.table, f"Operating characteristics of {stages}", 0)


def design_events(
    *,
    hazard_ratio: Annotated[float, Option(help="Hazard ratio to detect (treatment vs control).")],
    alpha: Alpha = 0.05,
    sided: Sided = 2,
    power: Power = 0.8,
    ratio: Ratio = 1.0,
    method: Annotated[EventsMethod, Option(help="schoenfeld or freedman.")] = "schoenfeld",
) -> AnalysisOutput:
    """Events needed to detect a hazard ratio with a log-rank test (Schoenfeld, Freedman).

    One row: the targets, events_exact (unrounded) and events (rounded up). As R
    rpact::getSampleSizeSurvival(typeOfComputation = "Schoenfeld" | "Freedman").

    Example: `survstat design events --hazard-ratio 0.7 --alpha 0.025 --sided 1 --power 0.8`

    Returns
    -------
    AnalysisOutput
        One row.
    """
    from survstat.design.events import events

    result = events(
        hazard_ratio=hazard_ratio, alpha=alpha, sided=sided, power=power, ratio=ratio, method=method
    )
    title = f"Events to detect HR {hazard_ratio:g} ({method})"
    return AnalysisOutput(result.table, title, 0)


def design_proportions(
    *,
    p_control: Annotated[float, Option(help="Response rate on control.")],
    p_treatment: Annotated[float | None, Option(help="Response rate on treatment.")] = None,
    odds_ratio: Annotated[
        float | None, Option(help="Odds ratio of response (instead of --p-treatment).")
    ] = None,
    alpha: Alpha = 0.05,
    sided: Sided = 2,
    power: Power = 0.8,
    ratio: Ratio = 1.0,
    method: Annotated[
        ProportionsMethod,
        Option(help="normal, normal-cc (continuity-corrected) or fisher (exact power)."),
    ] = "normal",
    max_n: Annotated[
        int | None,
        Option(help="fisher: the largest control size searched (default twice normal-cc's)."),
    ] = None,
) -> AnalysisOutput:
    """Patients per arm to compare two proportions, such as pCR by arm.

    Columns: design, method, p_control, p_treatment, n_control_exact (unrounded normal size),
    n_control, n_treatment, n_total, power. normal is R power.prop.test; normal-cc adds the
    Fleiss-Tytun-Ury continuity correction; fisher finds the smallest sizes whose exact power
    of Fisher's test (every pair of outcomes enumerated) reaches --power, and the smallest
    from which every larger size does.

    Example: `survstat design proportions --p-control 0.2 --p-treatment 0.4 --method fisher`

    Returns
    -------
    AnalysisOutput
        The sizes.
    """
    from survstat.design.proportions import two_proportions

    result = two_proportions(
        p_control=p_control,
        p_treatment=p_treatment,
        odds_ratio=odds_ratio,
        alpha=alpha,
        sided=sided,
        power=power,
        ratio=ratio,
        method=method,
        max_n=max_n,
    )
    title = (
        f"Two-arm sizes ({method}): p_control {result.p_control:g}, p_treatment "
        f"{result.p_treatment:.4g}, alpha {alpha:g} ({sided}-sided), power {power:g}"
    )
    return AnalysisOutput(result.table, title, 0)


def design_boundaries(
    *,
    looks: Annotated[int, Option(help="Number of analyses, the last one final.")],
    alpha: Annotated[
        float, Option(help="Type I error (one-sided, or both tails in total with --sided 2).")
    ] = 0.025,
    sided: Sided = 1,
    timing: Annotated[
        list[float] | None,
        Option(help="Information fractions of the looks, e.g. 0.33,0.67,1 (default equal)."),
    ] = None,
    spending: Annotated[
        Spending, Option(help="obrien-fleming, pocock or hwang-shih-decani (with --gamma).")
    ] = "obrien-fleming",
    gamma: Annotated[float | None, Option(help="Hwang-Shih-DeCani parameter, in [-10, 5].")] = None,
    power: Annotated[
        float, Option(help="Power for the drift, the inflation factor and futility bounds.")
    ] = 0.8,
    futility_spending: Annotated[
        Spending | None,
        Option(help="Also non-binding futility bounds, spending beta with this family."),
    ] = None,
    futility_gamma: Annotated[
        float | None, Option(help="Hwang-Shih-DeCani parameter of the futility spending.")
    ] = None,
) -> AnalysisOutput:
    """Lan-DeMets alpha-spending boundaries of a group-sequential design (rpact).

    One row per look: look, information_fraction, z_efficacy (reject when Z >= it; |Z| when
    two-sided), nominal_p, alpha_spent, cumulative_alpha, z_futility (null without
    --futility-spending). Computed by the recursive numerical integration of Armitage,
    McPherson & Rowe, as rpact::getDesignGroupSequential. The inflation factor (maximum
    information over the fixed design's) is in the title: multiply a fixed design's events by
    it.

    Example: `survstat design boundaries --looks 3 --alpha 0.025 --spending obrien-fleming
    -o bounds.parquet`

    Returns
    -------
    AnalysisOutput
        One row per look.
    """
    from survstat.design.group_sequential import boundaries

    result = boundaries(
        looks=looks,
        alpha=alpha,
        sided=sided,
        timing=timing,
        spending=spending,
        gamma=gamma,
        power=power,
        futility_spending=futility_spending,
        futility_gamma=futility_gamma,
    )
    title = (
        f"{spending} boundaries, {looks} looks, alpha {alpha:g} ({sided}-sided); inflation "
        f"factor {result.inflation_factor:.4f}"
    )
    return AnalysisOutput(result.table, title, 0)


def design_survival(
    *,
    hazard_control: Annotated[float | None, Option(help="Event hazard on control.")] = None,
    median_control: Annotated[
        float | None, Option(help="Median event time on control (instead of the hazard).")
    ] = None,
    hazard_treatment: Annotated[float | None, Option(help="Event hazard on treatment.")] = None,
    hazard_ratio: Annotated[
        float | None, Option(help="Hazard ratio, treatment over control.")
    ] = None,
    median_treatment: Annotated[
        float | None, Option(help="Median event time on treatment.")
    ] = None,
    dropout_hazard: Annotated[float, Option(help="Dropout hazard (both arms).")] = 0.0,
    accrual_time: Annotated[
        float | None, Option(help="Accrual duration (uniform accrual).")
    ] = None,
    study_duration: Annotated[
        float | None, Option(help="Study duration from the first patient in.")
    ] = None,
    accrual_rate: Annotated[
        float | None, Option(help="Patients per unit of time, instead of --accrual-time.")
    ] = None,
    follow_up: Annotated[
        float | None, Option(help="Follow-up after accrual ends, with --accrual-rate.")
    ] = None,
    alpha: Annotated[float, Option(help="Type I error (in total with --sided 2).")] = 0.025,
    sided: Sided = 1,
    power: Annotated[float, Option(help="Power wanted.")] = 0.9,
    ratio: Ratio = 1.0,
) -> AnalysisOutput:
    """Sample size and events of a two-arm survival trial (Lachin-Foulkes, gsDesign nSurvival).

    Exponential event and dropout times, uniform accrual over --accrual-time and follow-up to
    --study-duration (or --accrual-rate and --follow-up). One row: accrual_time,
    study_duration, hazards and hazard ratio, the probabilities of an event per arm, n and
    events unrounded and rounded up (n per arm too).

    Example: `survstat design survival --median-control 12 --hazard-ratio 0.7
    --accrual-time 24 --study-duration 36 -o survival_n.parquet`

    Returns
    -------
    AnalysisOutput
        One row.
    """
    from survstat.design.survival import lachin_foulkes

    result = lachin_foulkes(
        hazard_control=hazard_control,
        hazard_treatment=hazard_treatment,
        hazard_ratio=hazard_ratio,
        median_control=median_control,
        median_treatment=median_treatment,
        dropout_hazard=dropout_hazard,
        accrual_time=accrual_time,
        study_duration=study_duration,
        accrual_rate=accrual_rate,
        follow_up=follow_up,
        alpha=alpha,
        sided=sided,
        power=power,
        ratio=ratio,
    )
    title = f"Lachin-Foulkes sample size: n {result.n:.1f}, events {result.events:.1f}"
    return AnalysisOutput(result.table, title, 0)


DESIGN_ANALYSES = (
    Analysis("design simon", design_simon),
    Analysis("design single-arm", design_single_arm),
    Analysis("design oc", design_oc),
    Analysis("design events", design_events),
    Analysis("design proportions", design_proportions),
    Analysis("design boundaries", design_boundaries),
    Analysis("design survival", design_survival),
)
