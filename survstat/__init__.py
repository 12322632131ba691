"""survstat: survival, competing-risks and response statistics for oncology trials.

The public API::

    survstat.SurvivalData.right_censored(data, time=..., event=..., ...)
    survstat.kaplan_meier(data, time=..., event=..., by=None, ...)
    survstat.nelson_aalen(data, time=..., event=..., ...)
    survstat.logrank(data, time=..., event=..., by=..., strata=None, weights="logrank")
    survstat.risk_table(data, time=..., event=..., ...)
    survstat.SurvivalData.competing_risks(data, time=..., cause=..., censor_value=0, ...)
    survstat.cumulative_incidence(data, time=..., cause=..., by=None)
    survstat.gray_test(data, time=..., cause=..., by=..., strata=None, rho=0)
    survstat.cox(data, time=..., event=..., covariates=[...], strata=None, ties="efron")
    survstat.concordance(data, time=..., event=..., score=..., reverse=False)
    survstat.cutpoint(data, time=..., event=..., marker=..., minprop=0.1, maxprop=0.9)
    survstat.interaction_tests(data, time=..., event=..., treatment=..., markers=[...])
    survstat.panel_model(data, time=..., event=..., markers=[...], model="coxnet")
    survstat.fine_gray(data, time=..., cause=..., covariates=[...], failcode=1)
    survstat.survreg(data, time=..., event=..., covariates=[...], distribution="weibull")
    survstat.survreg_compare(data, time=..., event=..., distributions=[...])
    survstat.flexible_survreg(data, time=..., event=..., distribution="gengamma")
    survstat.follow_up(data, time=..., event=..., by=None)
    survstat.landmark(data, time=..., event=..., landmark=12, response_time=...)
    survstat.conditional_survival(data, time=..., event=..., given=12, times=[...])
    survstat.milestone(data, time=..., event=..., by=..., times=[...])
    survstat.meta_analysis(trials, events_treatment=..., n_treatment=..., events_control=..., ...)
    survstat.proportion(data, response=..., responder_values=None, by=None, null_rate=None)
    survstat.datasets.load("gbsg2")

and the submodules ``survstat.endpoints`` (CML, RECIST, pCR derivations), ``survstat.analyses``
(the named analyses behind the CLI and job files), ``survstat.batch`` (job files),
``survstat.plot`` (publication figures) and ``survstat.datasets``.

Names are imported on first use (PEP 562), so ``import survstat`` is quick and a command-line
call loads only the estimators it runs.

Examples
--------
>>> import survstat
>>> survstat.kaplan_meier(survstat.datasets.load("gbsg2"), time="time", event="cens").table.height
574
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from survstat._version import __version__
from survstat.errors import SurvstatError

#: Public name -> the module that defines it.
_NAMES = {
    "ComparisonResult": "survstat.estimators.compare_rates",
    "compare_proportions": "survstat.estimators.compare_rates",
    "ConcordanceResult": "survstat.estimators.concordance",
    "concordance": "survstat.estimators.concordance",
    "CoxResult": "survstat.estimators.cox",
    "cox": "survstat.estimators.cox",
    "CutpointResult": "survstat.estimators.cutpoint",
    "cutpoint": "survstat.estimators.cutpoint",
    "CumulativeIncidenceResult": "survstat.estimators.cumulative_incidence",
    "cumulative_incidence": "survstat.estimators.cumulative_incidence",
    "FineGrayResult": "survstat.estimators.fine_gray",
    "FollowUpResult": "survstat.estimators.follow_up",
    "follow_up": "survstat.estimators.follow_up",
    "LandmarkResult": "survstat.estimators.landmark",
    "landmark": "survstat.estimators.landmark",
    "conditional_survival": "survstat.estimators.landmark",
    "MilestoneResult": "survstat.estimators.milestone",
    "milestone": "survstat.estimators.milestone",
    "fine_gray": "survstat.estimators.fine_gray",
    "GrayTestResult": "survstat.estimators.gray",
    "InteractionResult": "survstat.estimators.interaction",
    "interaction_tests": "survstat.estimators.interaction",
    "gray_test": "survstat.estimators.gray",
    "KaplanMeierResult": "survstat.estimators.kaplan_meier",
    "kaplan_meier": "survstat.estimators.kaplan_meier",
    "LogrankResult": "survstat.estimators.logrank",
    "MetaAnalysisResult": "survstat.estimators.meta_analysis",
    "meta_analysis": "survstat.estimators.meta_analysis",
    "logrank": "survstat.estimators.logrank",
    "NelsonAalenResult": "survstat.estimators.nelson_aalen",
    "PanelResult": "survstat.estimators.panel",
    "panel_model": "survstat.estimators.panel",
    "nelson_aalen": "survstat.estimators.nelson_aalen",
    "ProportionResult": "survstat.estimators.proportions",
    "proportion": "survstat.estimators.proportions",
    "FlexibleResult": "survstat.estimators.flexible",
    "flexible_survreg": "survstat.estimators.flexible",
    "SurvregResult": "survstat.estimators.survreg",
    "survreg": "survstat.estimators.survreg",
    "survreg_compare": "survstat.estimators.survreg_compare",
    "SurvivalData": "survstat.data",
    "read_metadata": "survstat.io",
    "write_parquet": "survstat.io",
    "RiskTable": "survstat.risk",
    "risk_table": "survstat.risk",
}
#: Submodules reachable as attributes of the package.
_SUBMODULES = (
    "analyses",
    "batch",
    "datasets",
    "endpoints",
    "estimators",
    "io",
    "plot",
    "tables",
)

if TYPE_CHECKING:  # the names as type checkers and IDEs see them
    from survstat import analyses, batch, datasets, endpoints, estimators, io, plot, tables
    from survstat.data import SurvivalData
    from survstat.estimators.compare_rates import ComparisonResult, compare_proportions
    from survstat.estimators.concordance import ConcordanceResult, concordance
    from survstat.estimators.cox import CoxResult, cox
    from survstat.estimators.cumulative_incidence import (
        CumulativeIncidenceResult,
        cumulative_incidence,
    )
    from survstat.estimators.cutpoint import CutpointResult, cutpoint
    from survstat.estimators.fine_gray import FineGrayResult, fine_gray
    from survstat.estimators.flexible import FlexibleResult, flexible_survreg
    from survstat.estimators.follow_up import FollowUpResult, follow_up
    from survstat.estimators.gray import GrayTestResult, gray_test
    from survstat.estimators.interaction import InteractionResult, interaction_tests
    from survstat.estimators.kaplan_meier import KaplanMeierResult, kaplan_meier
    from survstat.estimators.landmark import LandmarkResult, conditional_survival, landmark
    from survstat.estimators.logrank import LogrankResult, logrank
    from survstat.estimators.meta_analysis import MetaAnalysisResult, meta_analysis
    from survstat.estimators.milestone import MilestoneResult, milestone
    from survstat.estimators.nelson_aalen import NelsonAalenResult, nelson_aalen
    from survstat.estimators.panel import PanelResult, panel_model
    from survstat.estimators.proportions import ProportionResult, proportion
    from survstat.estimators.survreg import SurvregResult, survreg
    from survstat.estimators.survreg_compare import survreg_compare
    from survstat.io import read_metadata, write_parquet
    from survstat.risk import RiskTable, risk_table


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        value = getattr(importlib.import_module(_NAMES[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"survstat.{name}")
    else:
        raise AttributeError(f"module 'survstat' has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_NAMES, *_SUBMODULES})


__all__ = [
    "ComparisonResult",
    "ConcordanceResult",
    "CoxResult",
    "CumulativeIncidenceResult",
    "CutpointResult",
    "FineGrayResult",
    "FlexibleResult",
    "FollowUpResult",
    "GrayTestResult",
    "InteractionResult",
    "KaplanMeierResult",
    "LandmarkResult",
    "LogrankResult",
    "MetaAnalysisResult",
    "MilestoneResult",
    "NelsonAalenResult",
    "PanelResult",
    "ProportionResult",
    "RiskTable",
    "SurvivalData",
    "SurvregResult",
    "SurvstatError",
    "__version__",
    "analyses",
    "batch",
    "compare_proportions",
    "concordance",
    "conditional_survival",
    "cox",
    "cumulative_incidence",
    "cutpoint",
    "datasets",
    "endpoints",
    "estimators",
    "fine_gray",
    "flexible_survreg",
    "follow_up",
    "gray_test",
    "interaction_tests",
    "io",
    "kaplan_meier",
    "landmark",
    "logrank",
    "meta_analysis",
    "milestone",
    "nelson_aalen",
    "panel_model",
    "plot",
    "proportion",
    "read_metadata",
    "risk_table",
    "survreg",
    "survreg_compare",
    "tables",
    "write_parquet",
]
