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
- :func:`ae_table`: the adverse-event summary of a safety analysis (AET01, AET04): per arm
  the subjects with any adverse event, by worst CTCAE grade, grade 3 or higher, serious,
  leading to discontinuation and with a DLT in cycle 1, and by system organ class and
  preferred term at their worst grade.
- :func:`subgroups_table`: the table beside a forest plot (tern's TTE forest): for all
  patients and per level of each subgroup variable, per arm N, events and median, the hazard
  ratio against the reference, and per variable the arm-by-subgroup interaction test.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from survstat.analyses.ae_table import ARD_COLUMNS as AE_ARD_COLUMNS
    from survstat.analyses.ae_table import AeTable, ae_table
    from survstat.analyses.response_table import ARD_COLUMNS as RESPONSE_ARD_COLUMNS
    from survstat.analyses.response_table import (
        RECIST_CATEGORIES,
        ResponseTable,
        response_table,
    )
    from survstat.analyses.subgroups_table import ALL_PATIENTS, SubgroupsTable, subgroups_table
    from survstat.analyses.tte_table import ARD_COLUMNS, TteTable, tte_table

#: Where each public name lives: imported on first use (PEP 562), so that the light
#: submodules (:mod:`survstat.tables.registry`) cost nothing at start-up.
_PUBLIC = {
    "AE_ARD_COLUMNS": ("survstat.analyses.ae_table", "ARD_COLUMNS"),
    "AeTable": ("survstat.analyses.ae_table", "AeTable"),
    "ae_table": ("survstat.analyses.ae_table", "ae_table"),
    "ALL_PATIENTS": ("survstat.analyses.subgroups_table", "ALL_PATIENTS"),
    "ARD_COLUMNS": ("survstat.analyses.tte_table", "ARD_COLUMNS"),
    "RECIST_CATEGORIES": ("survstat.analyses.response_table", "RECIST_CATEGORIES"),
    "RESPONSE_ARD_COLUMNS": ("survstat.analyses.response_table", "ARD_COLUMNS"),
    "ResponseTable": ("survstat.analyses.response_table", "ResponseTable"),
    "SubgroupsTable": ("survstat.analyses.subgroups_table", "SubgroupsTable"),
    "TteTable": ("survstat.analyses.tte_table", "TteTable"),
    "response_table": ("survstat.analyses.response_table", "response_table"),
    "subgroups_table": ("survstat.analyses.subgroups_table", "subgroups_table"),
    "tte_table": ("survstat.analyses.tte_table", "tte_table"),
}


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'survstat.tables' has no attribute {name!r}")
    module, attribute = _PUBLIC[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})


__all__ = [
    "AE_ARD_COLUMNS",
    "ALL_PATIENTS",
    "ARD_COLUMNS",
    "RECIST_CATEGORIES",
    "RESPONSE_ARD_COLUMNS",
    "AeTable",
    "ResponseTable",
    "SubgroupsTable",
    "TteTable",
    "ae_table",
    "response_table",
    "subgroups_table",
    "tte_table",
]
