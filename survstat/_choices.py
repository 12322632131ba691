"""The values each choice option accepts, named once.

A light module (no numpy, scipy or polars) so that the command line can declare its options
without loading the estimators. The estimators look their methods up by these names; a test
checks that each estimator's table of methods has exactly these keys.
"""

from __future__ import annotations

from typing import Literal, get_args

#: Pointwise interval transforms for survival and incidence (R ``conf.type``).
ConfType = Literal["log-log", "log", "plain", "logit", "arcsine"]
CONF_TYPES: tuple[str, ...] = get_args(ConfType)

#: Weights of the log-rank family (R ``survdiff``'s rho, and its weighted generalisations).
LogrankWeights = Literal["logrank", "fleming-harrington", "gehan-breslow", "tarone-ware"]
WEIGHTS: tuple[str, ...] = get_args(LogrankWeights)

#: Handling of tied event times in Cox models.
Ties = Literal["efron", "breslow", "discrete", "exact"]
TIES: tuple[str, ...] = get_args(Ties)

#: Variance of the cumulative incidence.
IncidenceVariance = Literal["auto", "cuminc", "delta", "robust"]
VARIANCES: tuple[str, ...] = get_args(IncidenceVariance)

#: Error distributions of parametric (AFT) survival models (R ``survreg``'s ``dist``).
SurvregDistribution = Literal[
    "exponential", "weibull", "lognormal", "loglogistic", "gaussian", "logistic"
]
SURVREG_DISTRIBUTIONS: tuple[str, ...] = get_args(SurvregDistribution)

#: Binomial interval methods.
RateMethod = Literal[
    "clopper-pearson", "wilson", "wilson-cc", "jeffreys", "agresti-coull", "mid-p", "wald"
]
RATE_METHODS: tuple[str, ...] = get_args(RateMethod)

#: Alternative hypotheses of one-sample and two-sample tests.
Alternative = Literal["two-sided", "greater", "less"]
ALTERNATIVES: tuple[str, ...] = get_args(Alternative)

#: How a missing response counts.
Missing = Literal["nonresponder", "exclude"]
MISSING: tuple[str, ...] = get_args(Missing)

#: Figure file formats.
FigureFormat = Literal["png", "svg", "pdf"]
FORMATS: tuple[str, ...] = get_args(FigureFormat)

# survstat/estimators/compare_rates.py

#: Interval of the difference of two response rates: unstratified (Newcombe's hybrid score,
#: Miettinen-Nurminen) and, with strata, the Mantel-Haenszel difference's variance.
DifferenceMethod = Literal["newcombe", "miettinen-nurminen", "mh-sato", "mh-greenland-robins"]
DIFFERENCE_METHODS: tuple[str, ...] = get_args(DifferenceMethod)

#: Variance of the Mantel-Haenszel risk difference.
MantelHaenszelVariance = Literal["sato", "greenland-robins"]
MH_VARIANCES: tuple[str, ...] = get_args(MantelHaenszelVariance)

#: Odds ratio of a 2 x 2 table (unstratified).
OddsRatioMethod = Literal["exact", "woolf"]
ODDS_RATIO_METHODS: tuple[str, ...] = get_args(OddsRatioMethod)

#: Test of two response rates: unstratified, then Cochran-Mantel-Haenszel with strata.
RateTest = Literal["fisher", "chi-square", "chi-square-uncorrected", "cmh", "cmh-uncorrected"]
RATE_TESTS: tuple[str, ...] = get_args(RateTest)

# survstat/estimators/kaplan_meier.py, nelson_aalen.py (result attributes)

#: Variance behind a Kaplan-Meier curve's intervals.
SurvivalVariance = Literal["greenwood", "robust"]
SURVIVAL_VARIANCES: tuple[str, ...] = get_args(SurvivalVariance)

#: Variance behind a Nelson-Aalen curve's intervals.
HazardVariance = Literal["aalen", "robust"]
HAZARD_VARIANCES: tuple[str, ...] = get_args(HazardVariance)

# survstat/endpoints (and the analyses that pass these options on)

#: Molecular response levels in CML (ELN 2020, EUTOS), from none to the deepest.
CmlLevel = Literal["none", "MMR", "MR4", "MR4.5", "MR5"]
CML_LEVELS: tuple[str, ...] = get_args(CmlLevel)

#: The CML levels a response endpoint can ask for (every level but "none").
ResponseLevel = Literal["MMR", "MR4", "MR4.5", "MR5"]
RESPONSE_LEVELS: tuple[str, ...] = get_args(ResponseLevel)

#: Comparisons of a CML value with a threshold.
Comparison = Literal["<=", "<", ">", ">="]
COMPARISONS: tuple[str, ...] = get_args(Comparison)

#: How far a partial SDTM ``--DTC`` date may be completed (admiral's ``highest_imputation``):
#: not at all, the day, or the month and day.
HighestImputation = Literal["none", "D", "M"]
HIGHEST_IMPUTATIONS: tuple[str, ...] = get_args(HighestImputation)

#: Where in its possible period a partial date is put (admiral's ``date_imputation``).
DateImputation = Literal["first", "mid", "last"]
DATE_IMPUTATIONS: tuple[str, ...] = get_args(DateImputation)

#: Time units of times converted from dates (a month is 365.25 / 12 days).
TimeUnit = Literal["days", "weeks", "months", "years"]
TIME_UNITS: tuple[str, ...] = get_args(TimeUnit)

#: Definitions of pathological complete response (FDA's, the default, first).
PcrDefinition = Literal["ypT0/is ypN0", "ypT0 ypN0", "ypT0/is"]
PCR_DEFINITIONS: tuple[str, ...] = get_args(PcrDefinition)

#: Where an assessment on the day a new anticancer therapy starts falls: before it or after.
SameDay = Literal["before", "after"]
SAME_DAY: tuple[str, ...] = get_args(SameDay)

#: The file format of the ADaM datasets a derivation writes (``--adam DIR``).
AdamFormat = Literal["parquet", "xpt"]
ADAM_FORMATS: tuple[str, ...] = get_args(AdamFormat)

#: The residuals of a Cox fit (survstat.estimators.cox_residuals), R's names.
ResidualType = Literal[
    "martingale", "deviance", "score", "schoenfeld", "scaledsch", "dfbeta", "dfbetas"
]
RESIDUAL_TYPES: tuple[str, ...] = get_args(ResidualType)

#: The time transforms of the proportional-hazards test (survstat.estimators.cox_zph).
ZphTransform = Literal["km", "rank", "identity", "log"]
ZPH_TRANSFORMS: tuple[str, ...] = get_args(ZphTransform)

#: Lan-DeMets spending families of group-sequential boundaries (survstat.design).
Spending = Literal["obrien-fleming", "pocock", "hwang-shih-decani"]
SPENDINGS: tuple[str, ...] = get_args(Spending)

#: How events for a hazard ratio are computed (survstat.design.events).
EventsMethod = Literal["schoenfeld", "freedman"]
EVENTS_METHODS: tuple[str, ...] = get_args(EventsMethod)

#: How two-arm sizes for proportions are computed (survstat.design.proportions).
ProportionsMethod = Literal["normal", "normal-cc", "fisher"]
PROPORTIONS_METHODS: tuple[str, ...] = get_args(ProportionsMethod)

# survstat/analyses and the command line

#: Where the risk table is computed.
EngineName = Literal["polars", "spark"]
ENGINES: tuple[str, ...] = get_args(EngineName)
#: Adjusted p-values of a maximally selected statistic: Lausen & Schumacher 1992, Lausen,
#: Sauerbrei & Schumacher 1994 (R maxstat's "Lau92", "Lau94").
CutpointPValue = Literal["Lau92", "Lau94"]
CUTPOINT_P_VALUES: tuple[str, ...] = get_args(CutpointPValue)
#: Models of a biomarker panel: elastic-net Cox, random survival forest.
PanelModel = Literal["coxnet", "rsf"]
PANEL_MODELS: tuple[str, ...] = get_args(PanelModel)
#: Effect measures of a meta-analysis of two-arm binary outcomes.
MetaMeasure = Literal["OR", "RR", "RD"]
META_MEASURES: tuple[str, ...] = get_args(MetaMeasure)
#: The random-effects model of a meta-analysis forest plot: REML or DerSimonian-Laird, each
#: with or without the Hartung-Knapp adjustment.
MetaRandom = Literal["reml", "dl", "reml-hk", "dl-hk"]
META_RANDOM: tuple[str, ...] = get_args(MetaRandom)
#: The fixed-effect model of a meta-analysis forest plot: Mantel-Haenszel, inverse variance, none.
MetaFixed = Literal["mh", "iv", "none"]
META_FIXED: tuple[str, ...] = get_args(MetaFixed)

#: What a lab-trajectory figure draws: the value, its change or its percent change from
#: baseline (ADaM AVAL, CHG, PCHG).
LabScale = Literal["value", "change", "percent-change"]
LAB_SCALES: tuple[str, ...] = get_args(LabScale)
