"""Named analyses: the library call behind each CLI command and each job-file step.

An analysis is a function from its inputs (tables) and plain keyword parameters (text,
numbers, flags, lists) to an :class:`AnalysisOutput`: the table that is written to Parquet,
its title, and the tables printed beside it. Its typed signature is its declaration (see
:mod:`survstat.analyses._declare`): ``Literal`` choices, and ``Annotated`` help, the input
table each column option belongs to, command-line spelling and bounds. :data:`ANALYSES` maps
the names used on the command line and in job files (``"km"``, ``"cml response"``,
``"recist derive"``) to :class:`Analysis` records; the commands are generated from them and a
job file is checked against them before anything runs.

Examples
--------
>>> import survstat
>>> from survstat.analyses import ANALYSES
>>> out = ANALYSES["summary"].run(
...     survstat.datasets.load("gbsg2"), time="time", event="cens", by=["horTh"]
... )
>>> out.table.columns[:3]
['horTh', 'n', 'n_event']
"""

from __future__ import annotations

from survstat._lazy import lazy_submodules
from survstat.analyses._core import (
    Analysis,
    AnalysisOutput,
    Extra,
    Parameter,
)
from survstat.analyses.biomarkers import BIOMARKER_ANALYSES
from survstat.analyses.cml import CML_ANALYSES
from survstat.analyses.design import DESIGN_ANALYSES
from survstat.analyses.exposure import EXPOSURE_ANALYSES
from survstat.analyses.follow_up import FOLLOW_UP_ANALYSES
from survstat.analyses.meta import META_ANALYSES
from survstat.analyses.parametric import PARAMETRIC_ANALYSES
from survstat.analyses.rates import RATE_ANALYSES
from survstat.analyses.recist import RECIST_ANALYSES
from survstat.analyses.sdtm import SDTM_ANALYSES
from survstat.analyses.survival import SURVIVAL_ANALYSES
from survstat.analyses.tables import TABLE_ANALYSES

#: Every named analysis, by the name used on the command line and in job files.
ANALYSES: dict[str, Analysis[AnalysisOutput]] = {
    a.name: a
    for a in (
        *SURVIVAL_ANALYSES,
        *PARAMETRIC_ANALYSES,
        *FOLLOW_UP_ANALYSES,
        *BIOMARKER_ANALYSES,
        *META_ANALYSES,
        *RATE_ANALYSES,
        *CML_ANALYSES,
        *RECIST_ANALYSES,
        *SDTM_ANALYSES,
        *TABLE_ANALYSES,
        *DESIGN_ANALYSES,
        *EXPOSURE_ANALYSES,
    )
}

__all__ = ["ANALYSES", "Analysis", "AnalysisOutput", "Extra", "Parameter"]

# the modules that compose estimators into results load when first used
__getattr__, __dir__ = lazy_submodules(
    __name__, ("cml_response", "cml_tfr", "efficacy", "plots", "subgroups", "tte_table")
)
