"""Molecular response in chronic myeloid leukaemia: BCR-ABL1 results to patient endpoints.

The public names of the CML derivations, gathered in one place (``from
survstat.endpoints.cml import response_endpoints``); each job lives in its own module:

* :mod:`~survstat.endpoints.cml_input`: reading and validating the lab results and patient
  tables and the codings labs use;
* :mod:`~survstat.endpoints.cml_thresholds`: the level thresholds and copy floors, and the
  precision at which values are compared with them;
* :mod:`~survstat.endpoints.cml_levels`: classifying each result into the ELN 2020 / EUTOS
  levels (MMR, MR4, MR4.5, MR5; Hochhaus et al. 2020, Leukemia 34:966-984; Cross et al. 2015,
  Leukemia 29:999-1003), with the rules every CML function applies alike;
* :mod:`~survstat.endpoints.cml_endpoints`: per-patient time to response with competing
  events, and the response by and at a landmark;
* :mod:`~survstat.endpoints.cml_monitoring` (ELN milestones, loss of MMR, sustained response)
  and :mod:`~survstat.endpoints.cml_tfr` (treatment-free remission).

The estimates made from these endpoints ("MR4.5 by month 12": the cumulative incidence,
1 - Kaplan-Meier, landmark rate and arm comparisons) are an analysis:
:func:`survstat.analyses.cml_response.molecular_response`.
"""

from __future__ import annotations

from survstat.endpoints.cml_endpoints import CAUSES, PatientColumns, response_endpoints
from survstat.endpoints.cml_input import (
    DETECTED_CODES,
    SIGNIFICANT_DIGITS,
    Columns,
    Thresholds,
    compare,
)
from survstat.endpoints.cml_levels import (
    LEVELS,
    classified_results,
    classify_samples,
    level_rank,
    response_rank,
    usable,
)

__all__ = [
    "CAUSES",
    "DETECTED_CODES",
    "LEVELS",
    "SIGNIFICANT_DIGITS",
    "Columns",
    "PatientColumns",
    "Thresholds",
    "classified_results",
    "classify_samples",
    "compare",
    "level_rank",
    "response_endpoints",
    "response_rank",
    "usable",
]
