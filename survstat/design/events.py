r"""The number of events a two-arm time-to-event trial needs to detect a hazard ratio.

With allocation ratio :math:`R = n_\text{treatment} / n_\text{control}`, hazard ratio
:math:`\Delta` (treatment vs control), :math:`z_a = \Phi^{-1}(1 - \alpha / s)` for an
s-sided test and :math:`z_b = \Phi^{-1}(\text{power})`:

- **Schoenfeld** (1983, Biometrika 70:499), the log-rank test's variance under the null:

  .. math:: d = \frac{(z_a + z_b)^2 (1 + R)^2}{R\,(\ln \Delta)^2}

- **Freedman** (1982, Stat Med 1:121):

  .. math:: d = \frac{(z_a + z_b)^2 (1 + R\,\Delta)^2}{R\,(1 - \Delta)^2}

Both match R ``rpact::getSampleSizeSurvival(typeOfComputation = "Schoenfeld" | "Freedman")``
(``eventsFixed``) and, for Schoenfeld, ``gsDesign::nEvents``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from survstat._choices import EventsMethod
from survstat.design._checks import positive, probability, significance
from survstat.design._checks import sided as check_sided
from survstat.errors import OptionError

#: Columns of :attr:`EventsDesign.table`.
EVENTS_COLUMNS = (
    "method",
    "hazard_ratio",
    "alpha",
    "sided",
    "power",
    "ratio",
    "events_exact",
    "events",
)


@dataclass(frozen=True, slots=True)
class EventsDesign:
    """The events needed (:func:`events`).

    ``table`` has one row (columns :data:`EVENTS_COLUMNS`): the targets as given,
    ``events_exact`` (unrounded) and ``events`` (rounded up).
    """

    method: EventsMethod
    hazard_ratio: float
    alpha: float
    sided: int
    power: float
    ratio: float
    events_exact: float
    events: int
    table: pl.DataFrame


def events(
    *,
    hazard_ratio: float,
    alpha: float = 0.05,
    sided: int = 2,
    power: float = 0.8,
    ratio: float = 1.0,
    method: EventsMethod = "schoenfeld",
) -> EventsDesign:
    """Events needed to detect ``hazard_ratio`` with a log-rank test (Schoenfeld, Freedman).

    Parameters
    ----------
    hazard_ratio
        The hazard ratio to detect (treatment vs control), above 0 and not 1.
    alpha
        The type I error, in total over both sides when ``sided`` is 2.
    sided
        1 or 2: a one- or two-sided test.
    power
        The power wanted.
    ratio
        The allocation ratio, patients on treatment per patient on control.
    method
        ``schoenfeld`` or ``freedman`` (formulas in the module docstring).

    Returns
    -------
    EventsDesign
        The unrounded and rounded-up events.

    Raises
    ------
    OptionError
        For alpha or power outside (0, 1), ``sided`` not 1 or 2, a hazard ratio of 1 or not
        above 0, a ratio not above 0, or an unknown method.

    Examples
    --------
    >>> from survstat.design.events import events
    >>> events(hazard_ratio=0.7, alpha=0.025, sided=1, power=0.8).events
    247
    """
    from scipy.stats import norm

    hr = positive(hazard_ratio, "--hazard-ratio")
    if hr == 1:
        raise OptionError("`--hazard-ratio` must differ from 1: no number of events detects 1")
    sides = check_sided(sided)
    alpha, power = significance(alpha, sides), probability(power, "--power")
    r = positive(ratio, "--ratio")
    z = float(norm.ppf(1 - alpha / sides) + norm.ppf(power))
    if method == "schoenfeld":
        exact = z**2 * (1 + r) ** 2 / (r * math.log(hr) ** 2)
    elif method == "freedman":
        exact = z**2 * (1 + r * hr) ** 2 / (r * (1 - hr) ** 2)
    else:
        raise OptionError(f"`--method` must be schoenfeld or freedman; got {method!r}")
    # a value a hair above a whole number from rounding in the quantiles is that number
    rounded = math.ceil(exact - 1e-9 * max(1.0, exact))
    table = pl.DataFrame(
        {
            "method": [method],
            "hazard_ratio": [hr],
            "alpha": [alpha],
            "sided": [sides],
            "power": [power],
            "ratio": [r],
            "events_exact": [exact],
            "events": [rounded],
        }
    )
    return EventsDesign(method, hr, alpha, sides, power, r, exact, rounded, table)


__all__ = ["EVENTS_COLUMNS", "EventsDesign", "events"]
