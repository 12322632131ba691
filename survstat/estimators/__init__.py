"""Estimators and tests computed from risk tables (submodules imported on first use)."""

from survstat._lazy import lazy_submodules

__getattr__, __dir__ = lazy_submodules(
    __name__,
    (
        "compare_rates",
        "concordance",
        "cox",
        "cumulative_incidence",
        "fine_gray",
        "flexible",
        "gray",
        "kaplan_meier",
        "logrank",
        "mantel_haenszel",
        "nelson_aalen",
        "proportions",
        "rmst",
        "survreg",
        "survreg_compare",
        "survreg_predict",
        "two_by_two",
    ),
)
