"""Trial design: sample sizes, events and stopping boundaries, exact where the field is.

Each design is a pure function of its targets (rates, hazard ratio, alpha, power, timing) that
returns a frozen result whose ``.table`` is a polars DataFrame with documented, stable
columns (README "Output schemas"); the ``survstat design ...`` commands write that table.
Submodules are imported on first use.

- :mod:`survstat.design.binomial`: exact single-stage and Simon two-stage designs for a
  response rate, and their operating characteristics.
- :mod:`survstat.design.events`: events for a hazard ratio (Schoenfeld, Freedman).
- :mod:`survstat.design.survival`: sample size and events for survival with accrual and
  dropout (Lachin–Foulkes, as ``gsDesign::nSurvival``).
- :mod:`survstat.design.group_sequential`: Lan–DeMets alpha-spending boundaries by recursive
  numerical integration (Armitage, McPherson & Rowe), as ``rpact::getDesignGroupSequential``.
- :mod:`survstat.design.proportions`: two-arm sample sizes for a difference in proportions
  or an odds ratio, normal approximation and exact (Fisher) power.
"""

from survstat._lazy import lazy_submodules

__getattr__, __dir__ = lazy_submodules(
    __name__, ("binomial", "events", "group_sequential", "proportions", "survival")
)
