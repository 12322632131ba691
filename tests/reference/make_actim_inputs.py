"""Rewrite the ACTIM case study's bundled SDTM files and the per-patient times R reads.

Run from the repository root after a deliberate change to
:mod:`survstat.datasets.synthetic_actim`::

    python tests/reference/make_actim_inputs.py
    Rscript tests/reference/make_reference_actim.R

It writes ``survstat/datasets/actim_dm.xpt`` and ``actim_lb.xpt`` (the generator's output) and
``tests/reference/data/actim_endpoints.csv`` (the per-patient time to MR4.5 and last follow-up
of that cohort, the input of ``make_reference_actim.R``). ``tests/test_case_study_actim.py``
checks that all three equal what this script would write.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[2]
#: The per-patient times R reads.
ENDPOINTS_CSV = ROOT / "tests" / "reference" / "data" / "actim_endpoints.csv"


def actim_endpoints() -> pl.DataFrame:
    """The per-patient time to MR4.5 (cause 1, else censored) and last follow-up R reads.

    Returns
    -------
    polars.DataFrame
        ``patient_id, time, cause, last_follow_up`` of the bundled ACTIM cohort, from SDTM
        through ``sdtm lb``, ``sdtm cml-patients`` and the MR4.5 endpoints.
    """
    from survstat.datasets.synthetic_actim import actim_sdtm
    from survstat.endpoints.cml_endpoints import response_endpoints
    from survstat.endpoints.sdtm_lb import dm_cml_patients, lb_labs

    dm, lb = actim_sdtm()
    ends = response_endpoints(lb_labs(lb, dm), dm_cml_patients(dm), level="MR4.5", landmark=12)
    return ends.select("patient_id", "time", "cause", "last_follow_up")


def main() -> None:
    """Write the bundled files and the CSV."""
    from survstat.datasets.synthetic_actim import write_bundled

    write_bundled(ROOT / "survstat" / "datasets")
    actim_endpoints().write_csv(ENDPOINTS_CSV)


if __name__ == "__main__":
    main()
