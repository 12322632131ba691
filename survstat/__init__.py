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
    survstat.fine_gray(data, time=..., cause=..., covariates=[...], failcode=1)
    survstat.proportion(data, response=..., responder_values=None, by=None, null_rate=None)
    survstat.datasets.load("gbsg2")
"""

from survstat import datasets
from survstat._version import __version__
from survstat.data import SurvivalData
from survstat.errors import SurvstatError
from survstat.estimators.compare_rates import ComparisonResult, compare_proportions
from survstat.estimators.cox import CoxResult, cox
from survstat.estimators.cumulative_incidence import (
    CumulativeIncidenceResult,
    cumulative_incidence,
)
from survstat.estimators.fine_gray import FineGrayResult, fine_gray
from survstat.estimators.gray import GrayTestResult, gray_test
from survstat.estimators.kaplan_meier import KaplanMeierResult, kaplan_meier
from survstat.estimators.logrank import LogrankResult, logrank
from survstat.estimators.nelson_aalen import NelsonAalenResult, nelson_aalen
from survstat.estimators.proportions import ProportionResult, proportion
from survstat.io import read_metadata, write_parquet
from survstat.risk import RiskTable, risk_table

__all__ = [
    "ComparisonResult",
    "CoxResult",
    "CumulativeIncidenceResult",
    "FineGrayResult",
    "GrayTestResult",
    "KaplanMeierResult",
    "LogrankResult",
    "NelsonAalenResult",
    "ProportionResult",
    "RiskTable",
    "SurvivalData",
    "SurvstatError",
    "__version__",
    "compare_proportions",
    "cox",
    "cumulative_incidence",
    "datasets",
    "fine_gray",
    "gray_test",
    "kaplan_meier",
    "logrank",
    "nelson_aalen",
    "proportion",
    "read_metadata",
    "risk_table",
    "write_parquet",
]
