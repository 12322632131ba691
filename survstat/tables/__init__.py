"""Summary tables of trials as analysis results data (ARD), the one source of their displays.

Each table is computed by a named analysis (:mod:`survstat.analyses`) and returned as a frozen
result whose ``.ard`` is a long-form polars DataFrame with fixed column and statistic names
(documented in the README's "Output schemas"); a renderer reads that and nothing else.

- :func:`tte_table`: the time-to-event summary of one endpoint (TTET01): per arm N, events,
  censorings, median and quartiles with intervals, range of follow-up, event-free rates at
  chosen times and their differences, hazard ratio and log-rank p-value against the reference.
- :func:`response_table`: the response-rate table of one response parameter (RSPT01): per arm
  N, responders and the rate with its interval, the rate difference, odds ratio and test
  against the reference (also stratified), and the distribution of the response categories.
- :func:`subgroups_table`: the table beside a forest plot (tern's TTE forest): for all
  patients and per level of each subgroup variable, per arm N, events and median, the hazard
  ratio against the reference, and per variable the arm-by-subgroup interaction test.
"""

from __future__ import annotations

from survstat.analyses.response_table import ARD_COLUMNS as RESPONSE_ARD_COLUMNS
from survstat.analyses.response_table import RECIST_CATEGORIES, ResponseTable, response_table
from survstat.analyses.subgroups_table import ALL_PATIENTS, SubgroupsTable, subgroups_table
from survstat.analyses.tte_table import ARD_COLUMNS, TteTable, tte_table

__all__ = [
    "ALL_PATIENTS",
    "ARD_COLUMNS",
    "RECIST_CATEGORIES",
    "RESPONSE_ARD_COLUMNS",
    "ResponseTable",
    "SubgroupsTable",
    "TteTable",
    "response_table",
    "subgroups_table",
    "tte_table",
]
