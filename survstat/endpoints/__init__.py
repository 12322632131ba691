"""Derivation of analysis-ready endpoints from raw longitudinal records.

Submodules (imported on first use): ``cml`` (the CML names in one place: BCR-ABL1 levels,
time to response, response by a landmark), with ``cml_input``, ``cml_thresholds``,
``cml_levels``, ``cml_endpoints`` and ``cml_patients`` behind it; ``cml_monitoring`` (ELN
milestones, loss of MMR, sustained response, the last from ``cml_sustained``); ``cml_tfr``
(treatment-free remission, with its eligibility in ``cml_tfr_eligibility``); ``dates``
(dates to study times); ``recist`` (best overall response) and ``recist_tte`` (PFS, TTP, OS,
DoR), with ``recist_input`` and ``recist_subjects`` (reading the assessment and subject
tables) behind them; ``pcr`` (pathological complete response); ``adam_tte`` (an ADaM ADTTE
parameter from dated event and censoring sources) and ``adam_datasets`` (ADaM ADRS and ADTTE
rows from the RECIST and CML derivations); ``dose_intensity`` (relative dose intensity from
exposure records) and ``change_from_baseline`` (ADaM BDS baseline, change and percent change
of lab results).

Endpoints only derive columns: nothing here calls an estimator. The analyses composed from
these endpoints and the estimators live in :mod:`survstat.analyses`: the per-arm efficacy
table (:mod:`survstat.analyses.efficacy`), biomarker subgroups
(:mod:`survstat.analyses.subgroups`) and the CML response by a landmark
(:mod:`survstat.analyses.cml_response`).
"""

from survstat._lazy import lazy_submodules

__getattr__, __dir__ = lazy_submodules(
    __name__,
    (
        "adam_datasets",
        "adam_tte",
        "change_from_baseline",
        "cml",
        "cml_endpoints",
        "cml_input",
        "cml_levels",
        "cml_monitoring",
        "cml_patients",
        "cml_sustained",
        "cml_tfr",
        "cml_tfr_eligibility",
        "cml_thresholds",
        "dates",
        "dose_intensity",
        "pcr",
        "recist",
        "recist_input",
        "recist_subjects",
        "recist_tte",
    ),
)
