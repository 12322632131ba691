"""Derivation of analysis-ready endpoints from raw longitudinal records.

Submodules (imported on first use): ``cml`` (the CML names in one place: BCR-ABL1 levels,
time to response, response by a landmark), with ``cml_levels``, ``cml_endpoints``,
``cml_response`` and ``cml_patients`` behind it; ``cml_monitoring`` (ELN milestones, loss of
MMR, sustained response); ``cml_tfr`` (treatment-free remission); ``dates`` (dates to study
times); ``recist`` (best overall response); ``recist_tte`` (PFS, TTP, OS, DoR); ``pcr``
(pathological complete response); ``efficacy`` (per-arm efficacy tables) and ``subgroups``
(biomarker subgroups).
"""

from survstat._lazy import lazy_submodules

__getattr__, __dir__ = lazy_submodules(
    __name__,
    (
        "cml",
        "cml_endpoints",
        "cml_levels",
        "cml_monitoring",
        "cml_patients",
        "cml_response",
        "cml_tfr",
        "dates",
        "efficacy",
        "pcr",
        "recist",
        "recist_tte",
        "subgroups",
    ),
)
