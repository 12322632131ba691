"""Sample size and events of a two-arm survival trial with accrual and dropout (Lachin–Foulkes).

Subjects enter uniformly over the accrual period ``[0, R]`` and are followed to the end of the
study at ``T >= R``; event times and dropout times are exponential. The method of Lachin &
Foulkes (1986) sizes the trial for the log-rank test of a hazard ratio from each arm's
probability of an event by ``T``, with the variance of the log hazard ratio under the null
hypothesis (at the average hazard) and under the alternative, as ``gsDesign::nSurvival`` does
(its ``type = "rr"``, ``entry = "unif"``). Accrual is given by its length and the study's, or by
a rate and a minimum follow-up, the accrual time then solved as ``gsDesign::nSurv`` does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

import numpy as np
import polars as pl
from scipy import optimize, stats

from survstat.design._checks import probability, significance
from survstat.design._checks import sided as check_sided
from survstat.errors import OptionError

#: Columns of :attr:`SurvivalSampleSize.table`, in order.
COLUMNS = (
    "accrual_time",
    "study_duration",
    "hazard_control",
    "hazard_treatment",
    "hazard_ratio",
    "probability_event_control",
    "probability_event_treatment",
    "n",
    "n_rounded",
    "n_control",
    "n_treatment",
    "n_control_rounded",
    "n_treatment_rounded",
    "events",
    "events_rounded",
)


@dataclass(frozen=True, slots=True)
class SurvivalSampleSize:
    """Sample size and events of a two-arm survival trial (Lachin–Foulkes).

    Attributes
    ----------
    hazard_control, hazard_treatment, hazard_ratio, median_control, median_treatment
        The event-rate inputs as given (None where not given).
    dropout_hazard, accrual_time, study_duration, accrual_rate, follow_up
        The accrual and dropout inputs as given (None where not given).
    alpha, sided, power, ratio
        The other inputs as given.
    n, events
        Total sample size and expected number of events, unrounded.
    table
        One row: ``accrual_time`` and ``study_duration`` (as given, or solved from the accrual
        rate), ``hazard_control``, ``hazard_treatment`` and ``hazard_ratio`` (as used, from
        hazards or medians), ``probability_event_control`` and
        ``probability_event_treatment`` (of an event by the end of the study),
        ``n`` (total, unrounded), ``n_rounded`` (the sum of the arms' rounded sizes),
        ``n_control``, ``n_treatment`` (unrounded), ``n_control_rounded`` and
        ``n_treatment_rounded`` (each rounded up), ``events`` (expected, unrounded) and
        ``events_rounded`` (rounded up).
    """

    hazard_control: float | None
    hazard_treatment: float | None
    hazard_ratio: float | None
    median_control: float | None
    median_treatment: float | None
    dropout_hazard: float
    accrual_time: float | None
    study_duration: float | None
    accrual_rate: float | None
    follow_up: float | None
    alpha: float
    sided: int
    power: float
    ratio: float
    n: float
    events: float
    table: pl.DataFrame


def probability_of_event(
    *, hazard: float, dropout_hazard: float, accrual_time: float, study_duration: float
) -> float:
    """Probability that a subject has an event by the end of the study (Lachin–Foulkes).

    Parameters
    ----------
    hazard
        Exponential event hazard ``lambda``.
    dropout_hazard
        Exponential dropout hazard ``eta`` (0: censored only at the end of the study).
    accrual_time
        Length ``R`` of the uniform accrual period.
    study_duration
        Time ``T`` from the first entry to the end of the study (``T >= R``).

    Returns
    -------
    float
        ``lambda / (lambda + eta) (1 - (exp(-(lambda + eta)(T - R)) - exp(-(lambda + eta) T))
        / ((lambda + eta) R))``: Lachin & Foulkes (1986) eq. for uniform entry; gsDesign's
        internal ``pe()``.

    Raises
    ------
    OptionError
        When a hazard or duration is not a finite positive number (the dropout hazard:
        negative), or the study is shorter than its accrual.
    """
    hazard = _positive("--hazard", hazard)
    dropout, accrual, duration = _check_times(dropout_hazard, accrual_time, study_duration)
    return _probability_of_event(hazard, dropout, accrual, duration)


def _probability_of_event(hazard: float, dropout: float, accrual: float, duration: float) -> float:
    a = hazard + dropout
    ar = a * accrual
    if ar < 1.0:
        # exp(-a(T - R)) - exp(-aT) = exp(-aT) expm1(aR), without cancellation for small aR
        lost = math.exp(-a * duration) * math.expm1(ar)
    else:
        lost = math.exp(-a * (duration - accrual)) - math.exp(-a * duration)
    return hazard / a * (1.0 - lost / ar)


def _check_times(
    dropout_hazard: object, accrual_time: object, study_duration: object
) -> tuple[float, float, float]:
    dropout = _positive("--dropout-hazard", dropout_hazard, zero=True)
    accrual = _positive("--accrual-time", accrual_time)
    duration = _positive("--study-duration", study_duration)
    if duration < accrual:
        raise OptionError(
            f"`--study-duration` must be at least `--accrual-time` ({accrual:g}); "
            f"got {study_duration!r}"
        )
    return dropout, accrual, duration


def _number(value: object) -> float:
    """``value`` as a float, or NaN when it is not a real number (rejected by the callers)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return math.nan


def _positive(name: str, value: object, *, zero: bool = False) -> float:
    x = _number(value)
    if not math.isfinite(x) or (x < 0 if zero else x <= 0):
        rule = "non-negative" if zero else "positive"
        raise OptionError(f"`{name}` must be a finite {rule} number; got {value!r}")
    return x


def _one_of(given: dict[str, float | None], what: str) -> tuple[str, float]:
    named = {name: value for name, value in given.items() if value is not None}
    flags = " or ".join(f"`{name}`" for name in given)
    if len(named) != 1:
        got = ", ".join(f"`{n}` {v!r}" for n, v in named.items()) or "none"
        raise OptionError(f"give the {what} by exactly one of {flags}; got {got}")
    name, value = next(iter(named.items()))
    return name, _positive(name, value)


def _hazards(
    hazard_control: float | None,
    hazard_treatment: float | None,
    hazard_ratio: float | None,
    median_control: float | None,
    median_treatment: float | None,
) -> tuple[float, float]:
    name, value = _one_of(
        {"--hazard-control": hazard_control, "--median-control": median_control},
        "control arm's event rate",
    )
    control = value if name == "--hazard-control" else math.log(2.0) / value
    options = {
        "--hazard-treatment": hazard_treatment,
        "--hazard-ratio": hazard_ratio,
        "--median-treatment": median_treatment,
    }
    name, value = _one_of(options, "treatment arm's event rate")
    if name == "--hazard-treatment":
        treatment = value
    elif name == "--hazard-ratio":
        treatment = control * value
    else:
        treatment = math.log(2.0) / value
    if treatment == control:
        given = options[name]
        if name == "--hazard-ratio":
            raise OptionError(f"`--hazard-ratio` must differ from 1; got {given!r}")
        raise OptionError(
            f"`{name}` gives the control arm's hazard ({control:g}), a hazard ratio of 1; "
            f"got {given!r}"
        )
    return control, treatment


@dataclass(frozen=True, slots=True)
class _LachinFoulkes:
    """The checked targets of a design; ``n`` gives its size for an accrual and duration."""

    control: float
    treatment: float
    dropout: float
    alpha: float  # one-sided
    power: float
    allocation: float

    def n(self, accrual: float, duration: float) -> tuple[float, float, float]:
        """Total sample size and each arm's probability of an event."""
        xi_c = 1.0 / (1.0 + self.allocation)
        xi_t = self.allocation / (1.0 + self.allocation)
        p_c = _probability_of_event(self.control, self.dropout, accrual, duration)
        p_t = _probability_of_event(self.treatment, self.dropout, accrual, duration)
        average = xi_c * self.control + xi_t * self.treatment
        p_bar = _probability_of_event(average, self.dropout, accrual, duration)
        z_alpha = float(stats.norm.isf(self.alpha))
        z_beta = float(stats.norm.isf(1.0 - self.power))
        root_n = z_alpha / math.sqrt(p_bar * xi_c * xi_t) + z_beta * math.sqrt(
            1.0 / (xi_c * p_c) + 1.0 / (xi_t * p_t)
        )
        return (root_n / math.log(self.control / self.treatment)) ** 2, p_c, p_t


def _accrual_for_rate(design: _LachinFoulkes, rate: float, follow: float) -> float:
    """The accrual time R at which ``rate R`` subjects are what the design needs."""

    def surplus(accrual: float) -> float:
        return rate * accrual - design.n(accrual, accrual + follow)[0]

    high = max(design.n(1.0, 1.0 + follow)[0] / rate, 1e-6)
    while surplus(high) <= 0:
        high *= 2.0
    low = high / 2.0
    while surplus(low) > 0:
        low /= 2.0
    root = optimize.brentq(surplus, low, high, xtol=high * 1e-15)
    return cast(float, root)  # without full_output brentq returns the root alone


def lachin_foulkes(
    *,
    hazard_control: float | None = None,
    hazard_treatment: float | None = None,
    hazard_ratio: float | None = None,
    median_control: float | None = None,
    median_treatment: float | None = None,
    dropout_hazard: float = 0.0,
    accrual_time: float | None = None,
    study_duration: float | None = None,
    accrual_rate: float | None = None,
    follow_up: float | None = None,
    alpha: float = 0.025,
    sided: int = 1,
    power: float = 0.9,
    ratio: float = 1.0,
) -> SurvivalSampleSize:
    """Sample size and events for a log-rank test with uniform accrual and exponential dropout.

    Parameters
    ----------
    hazard_control
        Event hazard of the control arm (events per unit of time); or give
        ``median_control``.
    hazard_treatment
        Event hazard of the experimental arm; or give ``hazard_ratio`` or
        ``median_treatment`` (exactly one of the three).
    hazard_ratio
        Hazard ratio, experimental over control (not 1).
    median_control, median_treatment
        Median event times, for exponential times: ``hazard = ln 2 / median``.
    dropout_hazard
        Exponential dropout hazard, the same in both arms (gsDesign ``eta``); 0, the default,
        censors only at the end of the study.
    accrual_time
        Length of the uniform accrual period (gsDesign ``Tr``), in the hazards' time unit.
    study_duration
        Time from the first entry to the end of the study (gsDesign ``Ts``), at least
        ``accrual_time``; the minimum follow-up is their difference.
    accrual_rate
        Subjects entering per unit of time; with ``follow_up`` instead of ``accrual_time``
        and ``study_duration``: the accrual time ``R`` is then solved so that
        ``accrual_rate R`` subjects are the ``n`` the design needs with a study of
        ``R + follow_up`` (as ``gsDesign::nSurv`` does when its ``R`` is not given).
    follow_up
        Minimum follow-up, from the last entry to the end of the study (0 or more); with
        ``accrual_rate``.
    alpha
        Type I error, in (0, 1); one-sided when ``sided = 1``, the total of both tails when
        ``sided = 2`` (the test uses ``z_{alpha/sided}``).
    sided
        1 or 2.
    power
        Power, in (0, 1) (gsDesign ``1 - beta``).
    ratio
        Randomisation ratio, experimental to control subjects (gsDesign ``ratio``; 2 puts two
        experimental subjects for each control).

    Returns
    -------
    SurvivalSampleSize
        The total and per-arm sample sizes and the expected events, unrounded and rounded up.

    Raises
    ------
    OptionError
        When a hazard, median, duration, rate or ratio is not a finite positive number
        (dropout, follow-up: negative), the study is shorter than its accrual, the accrual is
        given by other than ``accrual_time`` and ``study_duration`` or ``accrual_rate`` and
        ``follow_up``, ``alpha`` or ``power`` is outside
        (0, 1), ``sided`` is not 1 or 2, the arms' hazards are equal (a hazard ratio of 1),
        or an arm's event rate is given in none or more than one way.

    See Also
    --------
    probability_of_event : the probability of an event by the end of the study.

    Notes
    -----
    With allocation fractions ``xi_c = 1 / (1 + ratio)`` and ``xi_t = ratio / (1 + ratio)``,
    event probabilities ``P_c``, ``P_t`` (:func:`probability_of_event`) and ``P_bar``, the
    probability at the average hazard ``xi_c lambda_c + xi_t lambda_t``,

    ``n = (z_{alpha/sided} / sqrt(P_bar xi_c xi_t)
    + z_{1-power} sqrt(1 / (xi_c P_c) + 1 / (xi_t P_t)))^2 / ln(lambda_c / lambda_t)^2``

    and the expected events ``n (xi_c P_c + xi_t P_t)``: Lachin & Foulkes (1986), as
    ``gsDesign::nSurvival(type = "rr", entry = "unif")``. Each arm's size ``xi n`` is rounded
    up and ``n_rounded`` is their sum, so each arm gets at least its required size;
    ``events_rounded`` rounds the expected events up, as ``print.nSurvival`` does.

    Given an accrual rate ``a`` and follow-up ``F``, ``a R - n(R, R + F)`` increases with
    ``R`` (longer accrual, longer follow-up, fewer subjects needed) from below 0, so its root
    is unique; it is found by Brent's method to about 1e-15 relative.

    References
    ----------
    1. Lachin JM, Foulkes MA (1986). Evaluation of sample size and power for analyses of
       survival with allowance for nonuniform patient entry, losses to follow-up,
       noncompliance, and stratification. Biometrics 42:507-519.
    2. Anderson KM. gsDesign: Group Sequential Design, ``nSurvival``. R package.

    Examples
    --------
    >>> from survstat.design.survival import lachin_foulkes
    >>> design = lachin_foulkes(
    ...     hazard_control=0.2, hazard_treatment=0.1, dropout_hazard=0.1,
    ...     accrual_time=0.5, study_duration=2,
    ... )
    >>> round(design.n, 4), round(design.events, 4)
    (429.6189, 90.0987)
    >>> design.table.select("n_rounded", "events_rounded").row(0)
    (430, 91)
    """
    control, treatment = _hazards(
        hazard_control, hazard_treatment, hazard_ratio, median_control, median_treatment
    )
    dropout = _positive("--dropout-hazard", dropout_hazard, zero=True)
    check_sided(sided)
    alpha = significance(alpha, sided)
    power = probability(power, "--power")
    allocation = _positive("--ratio", ratio)
    given = {
        "--accrual-time": accrual_time,
        "--study-duration": study_duration,
        "--accrual-rate": accrual_rate,
        "--follow-up": follow_up,
    }
    named = {k for k, v in given.items() if v is not None}
    design = _LachinFoulkes(control, treatment, dropout, alpha / sided, power, allocation)
    if named == {"--accrual-time", "--study-duration"}:
        _, accrual, duration = _check_times(dropout, accrual_time, study_duration)
    elif named == {"--accrual-rate", "--follow-up"}:
        rate = _positive("--accrual-rate", accrual_rate)
        follow = _positive("--follow-up", follow_up, zero=True)
        accrual = _accrual_for_rate(design, rate, follow)
        duration = accrual + follow
    else:
        got = ", ".join(f"`{k}` {v!r}" for k, v in given.items() if v is not None) or "none"
        raise OptionError(
            "give the accrual by `--accrual-time` and `--study-duration`, or by "
            f"`--accrual-rate` and `--follow-up`; got {got}"
        )
    n, p_c, p_t = design.n(accrual, duration)
    xi_c = 1.0 / (1.0 + allocation)
    xi_t = allocation / (1.0 + allocation)
    events = n * (xi_c * p_c + xi_t * p_t)
    n_c, n_t = xi_c * n, xi_t * n
    arms_rounded = np.ceil([n_c, n_t]).astype(np.int64)
    row = {
        "accrual_time": accrual,
        "study_duration": duration,
        "hazard_control": control,
        "hazard_treatment": treatment,
        "hazard_ratio": treatment / control,
        "probability_event_control": p_c,
        "probability_event_treatment": p_t,
        "n": n,
        "n_rounded": int(arms_rounded.sum()),
        "n_control": n_c,
        "n_treatment": n_t,
        "n_control_rounded": int(arms_rounded[0]),
        "n_treatment_rounded": int(arms_rounded[1]),
        "events": events,
        "events_rounded": math.ceil(events),
    }
    schema = {c: pl.Int64 if c.endswith("_rounded") else pl.Float64 for c in COLUMNS}
    return SurvivalSampleSize(
        hazard_control=hazard_control,
        hazard_treatment=hazard_treatment,
        hazard_ratio=hazard_ratio,
        median_control=median_control,
        median_treatment=median_treatment,
        dropout_hazard=dropout_hazard,
        accrual_time=accrual_time,
        study_duration=study_duration,
        accrual_rate=accrual_rate,
        follow_up=follow_up,
        alpha=alpha,
        sided=sided,
        power=power,
        ratio=ratio,
        n=n,
        events=events,
        table=pl.DataFrame([row], schema=schema),
    )
