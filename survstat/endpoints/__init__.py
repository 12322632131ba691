"""Derivation of analysis-ready endpoints from raw longitudinal records.

Submodules (imported on first use): ``cml`` (BCR-ABL1 levels, time to response),
``cml_monitoring`` (ELN milestones, loss of MMR, sustained response), ``cml_tfr``
(treatment-free remission), ``dates`` (dates to study times), ``recist`` (best overall
response), ``recist_tte`` (PFS, TTP, OS, DoR), ``pcr`` (pathological complete response) and
``efficacy`` (per-arm efficacy tables) and ``subgroups`` (biomarker subgroups).
"""

from survstat._lazy import lazy_submodules

__getattr__, __dir__ = lazy_submodules(
    __name__,
    (
        "cml",
        "cml_monitoring",
        "cml_tfr",
        "dates",
        "efficacy",
        "pcr",
        "recist",
        "recist_tte",
        "subgroups",
    ),
)
