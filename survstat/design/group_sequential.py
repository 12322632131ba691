"""Group-sequential efficacy boundaries by Lan–DeMets alpha spending.

A trial looks at its data ``K`` times, at information fractions
``0 < t_1 < ... < t_K = 1``. With a spending function ``alpha(t)`` (increasing, ``alpha(0) = 0``,
``alpha(1) = alpha``), the boundary ``c_k`` at look ``k`` is the value for which the probability
under the null hypothesis of crossing it at look ``k``, not having crossed before, equals
``alpha(t_k) - alpha(t_{k-1})`` (Lan & DeMets 1983). Those probabilities are computed by the
recursive numerical integration of Armitage, McPherson & Rowe (1969) over the canonical joint
distribution of the Z statistics, on the grid of Jennison & Turnbull (2000, ch. 19) with
Simpson weights, as ``gsDesign`` and ``rpact`` do; the boundary is then the root of a smooth,
decreasing function of ``c_k``. Optional non-binding futility boundaries spend beta the same way
under the drift that gives the design its power (Pampallona, Tsiatis & Kim 2001).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import polars as pl
from scipy import optimize, special, stats

from survstat._choices import SPENDINGS, Spending
from survstat.design._checks import probability, significance
from survstat.design._checks import sided as check_sided
from survstat.errors import OptionError, check_choice

#: Half the number of grid points per unit of the Jennison–Turnbull grid (their ``r``). They
#: report 1e-6 accuracy with r = 16; 64 brings the crossing probabilities to about 1e-11.
GRID_R = 64
#: Bracket of the boundary search on the Z scale.
_Z_LOW, _Z_HIGH = -40.0, 40.0
_XTOL = 1e-13


def _obrien_fleming(alpha: float, t: np.ndarray, gamma: float | None) -> np.ndarray:
    with np.errstate(divide="ignore"):  # t = 0 spends nothing: sf(inf) = 0
        return 2.0 * stats.norm.sf(stats.norm.isf(alpha / 2.0) / np.sqrt(t))


def _pocock(alpha: float, t: np.ndarray, gamma: float | None) -> np.ndarray:
    return alpha * np.log1p((math.e - 1.0) * t)


def _hwang_shih_decani(alpha: float, t: np.ndarray, gamma: float | None) -> np.ndarray:
    g = float(gamma or 0.0)
    if g == 0.0:
        return alpha * t
    return alpha * np.expm1(-g * t) / math.expm1(-g)


SPENDING_FUNCTIONS: dict[str, Callable[[float, np.ndarray, float | None], np.ndarray]] = {
    "obrien-fleming": _obrien_fleming,
    "pocock": _pocock,
    "hwang-shih-decani": _hwang_shih_decani,
}


def alpha_spending(
    *,
    spending: Spending,
    alpha: float,
    timing: Sequence[float] | np.ndarray,
    gamma: float | None = None,
    sided: int = 1,
) -> np.ndarray:
    """Cumulative alpha spent at each information fraction.

    A two-sided design spends ``alpha / 2`` in each tail by the family's function, as rpact
    and gsDesign do: for O'Brien–Fleming that is ``2 (2 - 2 Phi(z_{alpha/4} / sqrt(t)))``,
    not the ``2 - 2 Phi(z_{alpha/2} / sqrt(t))`` of Lan & DeMets' two-sided statement (the
    other families are linear in alpha, so both readings agree).

    Parameters
    ----------
    spending
        ``obrien-fleming``: ``2 - 2 Phi(z_{alpha/2} / sqrt(t))`` (Lan & DeMets 1983; rpact
        ``asOF``, for one- and two-sided designs alike); ``pocock``:
        ``alpha ln(1 + (e - 1) t)`` (rpact ``asP``); ``hwang-shih-decani``:
        ``alpha (1 - exp(-gamma t)) / (1 - exp(-gamma))``, and ``alpha t`` at ``gamma = 0``,
        its limit (Hwang, Shih & DeCani 1990; rpact ``asHSD``).
    alpha
        Total type I error, spent by ``t = 1``.
    timing
        Information fractions in ``[0, 1]``.
    gamma
        The Hwang–Shih–DeCani parameter, in [-10, 5] (rpact's range); required with that
        family and only there.
    sided
        1 or 2: the number of tails sharing ``alpha``.

    Returns
    -------
    numpy.ndarray
        ``alpha(t)`` at each fraction, both tails together.

    Raises
    ------
    OptionError
        When ``spending`` is unknown, ``gamma`` is missing with, or given without,
        Hwang–Shih–DeCani, or ``sided`` is not 1 or 2.
    """
    check_choice("--spending", spending, SPENDINGS)
    gamma = _check_gamma(spending, gamma)
    check_sided(sided)
    t = np.asarray(timing, dtype=float)
    return sided * SPENDING_FUNCTIONS[spending](alpha / sided, t, gamma)


@dataclass(frozen=True, slots=True)
class GroupSequentialBoundaries:
    """Lan–DeMets efficacy boundaries of a group-sequential design.

    Attributes
    ----------
    looks, alpha, sided, timing, spending, gamma, power, futility_spending, futility_gamma
        The inputs as given (``timing`` as a tuple, or None for equally spaced looks).
    drift
        The expected Z statistic at the final look (``theta sqrt(I_max)``) under which the
        design rejects with probability ``power``; rpact ``getDesignCharacteristics``'s
        ``sqrt(shift)``.
    inflation_factor
        The maximum information relative to that of the fixed design with the same alpha and
        power, ``(drift / (z_{alpha/sided} + z_{1 - power}))^2``; multiply a fixed design's
        sample size or events by it to size the group-sequential trial (rpact
        ``getDesignCharacteristics(design)$inflationFactor``).
    table
        One row per look: ``look``, ``information_fraction``, ``z_efficacy`` (the boundary on
        the Z scale; reject when Z >= it, or |Z| >= it when two-sided), ``nominal_p`` (the
        p-value threshold of the look, two-sided when ``sided = 2``), ``alpha_spent`` (at
        this look), ``cumulative_alpha``, ``z_futility`` (the futility boundary: stop for
        futility when Z <= it; equal to ``z_efficacy`` at the final look; null without
        ``futility_spending``).
    """

    looks: int
    alpha: float
    sided: int
    timing: tuple[float, ...] | None
    spending: str
    gamma: float | None
    power: float
    futility_spending: str | None
    futility_gamma: float | None
    drift: float
    inflation_factor: float
    table: pl.DataFrame


def _grid(mean: float, lower: float, upper: float, r: int) -> tuple[np.ndarray, np.ndarray]:
    """Jennison & Turnbull (2000, sec. 19.2) points and Simpson weights on (lower, upper)."""
    i = np.arange(1.0, 6 * r)
    x = np.empty(6 * r - 1)
    x[: r - 1] = mean - 3.0 - 4.0 * np.log(r / i[: r - 1])
    x[r - 1 : 5 * r] = mean - 3.0 + 3.0 * (i[r - 1 : 5 * r] - r) / (2 * r)
    x[5 * r :] = mean + 3.0 + 4.0 * np.log(r / (6 * r - i[5 * r :]))
    inner = x[(x > lower) & (x < upper)]
    ends_low = [lower] if lower > x[0] else []
    ends_high = [upper] if upper < x[-1] else []
    odd = np.concatenate([ends_low, inner, ends_high])
    z = np.empty(2 * odd.size - 1)
    z[0::2] = odd
    z[1::2] = (odd[:-1] + odd[1:]) / 2.0
    d = np.diff(odd)
    w = np.zeros(z.size)
    w[1::2] = 4.0 * d / 6.0
    w[0:-1:2] += d / 6.0
    w[2::2] += d / 6.0
    return z, w


class _Recursion:
    """The sub-density of Z_k on the continuation region of look k, look after look.

    On the Z scale with information fractions t and drift ``delta`` (the mean of Z at t = 1),
    Z_k sqrt(t_k) is a Brownian motion with drift ``delta`` observed at t_k.
    """

    def __init__(self, drift: float, r: int) -> None:
        self.drift = drift
        self.r = r
        self.t = 0.0
        self.z = np.zeros(1)
        self.h = np.ones(1)  # weighted sub-density; at t = 0, a unit mass at 0

    def _standardised(self, bound: float, t: float) -> np.ndarray:
        """(bound sqrt(t) - E[Z_t sqrt(t) | Z_prev]) / sd, at each grid point of the last look."""
        dt = t - self.t
        shift = self.z * math.sqrt(self.t) + self.drift * dt
        return (bound * math.sqrt(t) - shift) / math.sqrt(dt)

    def above(self, c: float, t: float) -> float:
        """Probability of Z >= c at fraction t, having stayed in the continuation regions."""
        return float(self.h @ special.ndtr(-self._standardised(c, t)))

    def below(self, a: float, t: float) -> float:
        """Probability of Z <= a at fraction t, having stayed in the continuation regions."""
        return float(self.h @ special.ndtr(self._standardised(a, t)))

    def advance(self, lower: float, upper: float, t: float) -> None:
        """Move to look t, keeping the paths that stay in (lower, upper) there."""
        dt = t - self.t
        st = math.sqrt(t)
        z, w = _grid(self.drift * st, lower, upper, self.r)
        arg = (z[:, None] * st - self.z[None, :] * math.sqrt(self.t) - self.drift * dt) / (
            math.sqrt(dt)
        )
        density = np.exp(-0.5 * arg * arg) @ self.h * (st / math.sqrt(2.0 * math.pi * dt))
        self.z, self.h, self.t = z, w * density, t


def _root(f: Callable[[float], float], a: float, b: float) -> float:
    """The root of ``f`` in [a, b] by Brent's method to 1e-13."""
    # without full_output brentq returns the root alone; its inferred type says otherwise
    return cast(float, optimize.brentq(f, a, b, xtol=_XTOL))


def _solve_bounds(increments: np.ndarray, timing: np.ndarray, sided: int, r: int) -> np.ndarray:
    """Boundaries spending ``increments`` of alpha at each look under the null hypothesis."""
    rec = _Recursion(0.0, r)
    bounds = np.empty(timing.size)
    for k, (spend, t) in enumerate(zip(increments, timing, strict=True)):

        def excess(c: float, t: float = t, spend: float = spend) -> float:
            lower = rec.below(-c, t) if sided == 2 else 0.0
            return rec.above(c, t) + lower - spend

        if excess(_Z_HIGH) >= 0:
            raise _too_little(k, float(t), float(spend), "alpha", "--spending", "below", _Z_HIGH)
        c = float(stats.norm.isf(spend / sided)) if k == 0 else _root(excess, _Z_LOW, _Z_HIGH)
        bounds[k] = c
        rec.advance(-c if sided == 2 else -math.inf, c, t)
    return bounds


def _too_little(
    k: int, t: float, spend: float, error: str, flag: str, side: str, z: float
) -> OptionError:
    return OptionError(
        f"`--timing` puts look {k + 1} at {t:g}, where `{flag}` spends {spend:.3g} of {error}: "
        f"too little for a boundary {side} z = {z:g}; move the look later or choose another "
        f"`{flag}`"
    )


def _futility_bounds(
    efficacy: np.ndarray, timing: np.ndarray, increments: np.ndarray, drift: float
) -> tuple[np.ndarray, float]:
    """Futility bounds spending ``increments`` of beta under ``drift`` (efficacy non-binding),
    and the beta spent in all, with the final futility bound at the efficacy bound."""
    rec = _Recursion(drift, GRID_R)
    bounds = efficacy.copy()
    last = timing.size - 1
    spent = 0.0
    for k in range(last):
        t, c, spend = float(timing[k]), float(efficacy[k]), float(increments[k])

        def excess(a: float, t: float = t, spend: float = spend) -> float:
            return rec.below(a, t) - spend

        below_c = excess(c) + spend
        if below_c <= spend:
            a, spend = c, below_c  # the spending cannot be met below the efficacy bound
        elif excess(_Z_LOW) >= 0:
            raise _too_little(k, t, spend, "beta", "--futility-spending", "above", _Z_LOW)
        else:
            a = _root(excess, _Z_LOW, c)
        bounds[k] = a
        spent += spend
        rec.advance(a, c, t)
    return bounds, spent + rec.below(float(efficacy[last]), float(timing[last]))


def _futility_design(
    efficacy: np.ndarray, timing: np.ndarray, increments: np.ndarray
) -> tuple[np.ndarray, float]:
    """The drift at which the final futility bound meets the final efficacy bound, and the
    futility bounds there."""

    def excess(drift: float) -> float:
        return _futility_bounds(efficacy, timing, increments, drift)[1] - increments.sum()

    drift = _root(excess, 0.0, 40.0)
    return _futility_bounds(efficacy, timing, increments, drift)[0], drift


def rejection_probability(
    *,
    bounds: Sequence[float] | np.ndarray,
    timing: Sequence[float] | np.ndarray,
    drift: float,
    sided: int = 1,
    futility: Sequence[float] | np.ndarray | None = None,
) -> np.ndarray:
    """Probability of crossing each efficacy boundary first at each look.

    Parameters
    ----------
    bounds
        Efficacy boundaries on the Z scale, one per look.
    timing
        Information fractions, increasing in (0, 1] and ending at 1.
    drift
        The mean of the Z statistic at information fraction 1 (0 under the null hypothesis).
    sided
        1: cross above the bound; 2: a two-sided design, which stops too below the negative
        bound.
    futility
        Futility boundaries (one-sided designs), one per look: the trial stops for futility
        when Z falls at or below it. None: no futility stop.

    Returns
    -------
    numpy.ndarray
        The probability of crossing the upper boundary first at each look: of rejecting in
        favour of the experimental arm. A two-sided design stops too when Z falls below the
        negative boundary; those paths count as not rejected here (rpact's power).

    Raises
    ------
    OptionError
        When ``timing`` does not give one fraction per bound, increasing in (0, 1] to 1, or
        ``sided`` is not 1 or 2.
    """
    check_sided(sided)
    timing = _check_timing(timing, len(bounds))
    upper = np.asarray(bounds, dtype=float)
    if futility is not None:
        lower = np.asarray(futility, dtype=float)
    else:
        lower = -upper if sided == 2 else np.full(upper.size, -math.inf)
    rec = _Recursion(float(drift), GRID_R)
    out = np.empty(upper.size)
    for k, t in enumerate(timing):
        out[k] = rec.above(float(upper[k]), float(t))
        if k + 1 < upper.size:
            rec.advance(float(lower[k]), float(upper[k]), float(t))
    return out


def _drift_for_power(bounds: np.ndarray, timing: np.ndarray, sided: int, power: float) -> float:
    def shortfall(drift: float) -> float:
        reject = rejection_probability(bounds=bounds, timing=timing, drift=drift, sided=sided)
        return float(reject.sum()) - power

    return _root(shortfall, 0.0, 40.0)


def _check_timing(timing: Sequence[float] | np.ndarray | None, looks: int) -> np.ndarray:
    if timing is None:
        return np.arange(1, looks + 1) / looks
    t = np.asarray(list(timing), dtype=float)
    shown = ", ".join(f"{v:g}" for v in t)
    if t.size != looks:
        raise OptionError(
            f"`--timing` must give one information fraction per look ({looks}); "
            f"got {t.size}: {shown}"
        )
    bad = ~np.isfinite(t) | (t <= 0) | (t > 1)
    bad[1:] |= np.diff(t) <= 0
    if bad.any():
        k = int(np.argmax(bad))
        n = int(bad.sum())
        raise OptionError(
            f"`--timing` must increase strictly within (0, 1]; found {n} bad "
            f"{'value' if n == 1 else 'values'} (first: {t[k]:g} at look {k + 1}) in {shown}"
        )
    if t[-1] != 1.0:
        raise OptionError(f"`--timing` must end at 1 (the final analysis); got {shown}")
    return t


def _check_gamma(
    spending: str, gamma: float | None, *, flag: str = "--spending", gamma_flag: str = "--gamma"
) -> float | None:
    if spending != "hwang-shih-decani":
        if gamma is not None:
            raise OptionError(
                f"`{gamma_flag}` applies to `{flag} hwang-shih-decani` only; got {gamma!r} "
                f"with {spending!r}"
            )
        return None
    if gamma is None:
        raise OptionError(f"`{gamma_flag}` is required with `{flag} hwang-shih-decani`; got none")
    if isinstance(gamma, bool) or not isinstance(gamma, int | float) or not -10 <= gamma <= 5:
        raise OptionError(f"`{gamma_flag}` must be a number in [-10, 5]; got {gamma!r}")
    return float(gamma)


def _check_futility(
    spending: str | None, gamma: float | None, sided: int
) -> tuple[Spending, float | None] | None:
    if spending is None:
        if gamma is not None:
            raise OptionError(
                f"`--futility-gamma` applies to `--futility-spending hwang-shih-decani` only; "
                f"got {gamma!r} without `--futility-spending`"
            )
        return None
    check_choice("--futility-spending", spending, SPENDINGS)
    if sided != 1:
        raise OptionError(
            f"`--futility-spending` needs a one-sided design (`--sided 1`); got `--sided {sided}`"
        )
    flags = {"flag": "--futility-spending", "gamma_flag": "--futility-gamma"}
    return cast(Spending, spending), _check_gamma(spending, gamma, **flags)


def boundaries(
    *,
    looks: int,
    alpha: float,
    sided: int = 1,
    timing: Sequence[float] | None = None,
    spending: Spending = "obrien-fleming",
    gamma: float | None = None,
    power: float = 0.8,
    futility_spending: Spending | None = None,
    futility_gamma: float | None = None,
) -> GroupSequentialBoundaries:
    """Lan–DeMets alpha-spending efficacy boundaries, as ``rpact::getDesignGroupSequential``.

    Parameters
    ----------
    looks
        Number of analyses ``K``, the last one final (at least 1; one look is the fixed design).
    alpha
        Type I error, in (0, 1): one-sided when ``sided = 1``, the total of both tails when
        ``sided = 2``.
    sided
        1: one-sided test, reject for large Z; 2: symmetric two-sided test, reject for large
        ``|Z|`` (rpact ``sided = 2``).
    timing
        Information fractions of the looks, increasing in (0, 1] and ending at 1; default
        equally spaced, ``k / K``.
    spending
        The alpha-spending family: ``obrien-fleming`` (Lan–DeMets O'Brien–Fleming type,
        rpact ``asOF``), ``pocock`` (Lan–DeMets Pocock type, rpact ``asP``) or
        ``hwang-shih-decani`` (rpact ``asHSD``, with ``gamma``). See :func:`alpha_spending`.
    gamma
        The Hwang–Shih–DeCani parameter (rpact ``gammaA``), in [-10, 5] as there; required
        with that family and only there. Negative values spend late (-4 is close to
        O'Brien–Fleming), positive early (1 is close to Pocock); 0 spends linearly, the
        family's limit.
    power
        Power at which the drift and the inflation factor are computed (rpact
        ``1 - beta``, default 0.8 as there). It does not change the efficacy boundaries; with
        ``futility_spending`` it sets the futility boundaries (beta = 1 - power is spent).
    futility_spending
        A beta-spending family for non-binding futility boundaries (one-sided designs; rpact
        ``typeBetaSpending`` ``bsOF``, ``bsP``, ``bsHSD``): the same families as
        ``spending``, applied to beta. None (default): no futility boundaries.
    futility_gamma
        The Hwang–Shih–DeCani parameter of the beta spending (rpact ``gammaB``), in
        [-10, 5]; required with that family and only there.

    Returns
    -------
    GroupSequentialBoundaries
        The boundaries (``.table``), the drift and the inflation factor.

    Raises
    ------
    OptionError
        When an option is out of range: ``alpha`` or ``power`` outside (0, 1), ``power`` not
        above the one-sided alpha, ``looks`` below 1, ``sided`` not 1 or 2, ``timing`` of the
        wrong length, not increasing in (0, 1] or not ending at 1, an unknown ``spending``,
        ``gamma`` missing with, or given without, Hwang–Shih–DeCani (and the same for
        ``futility_spending`` and ``futility_gamma``), futility with ``sided = 2``.

    See Also
    --------
    alpha_spending : the spending functions.
    rejection_probability : the probability of crossing each boundary under a drift.

    Notes
    -----
    With information fractions ``t_k`` the statistics ``Z_k`` are jointly normal with
    ``cov(Z_j, Z_k) = sqrt(t_j / t_k)`` (``j <= k``) and mean ``delta sqrt(t_k)``, where
    ``delta`` is the drift. The boundary ``c_1 = Phi^-1(1 - alpha(t_1) / sided)`` is closed
    form; each later ``c_k`` solves
    ``P_0(Z_k >= c_k [or Z_k <= -c_k], no earlier crossing) = alpha(t_k) - alpha(t_{k-1})``,
    the left side integrated recursively over the continuation region of the previous look
    (Armitage, McPherson & Rowe 1969) with the grid and Simpson weights of Jennison &
    Turnbull (2000, sec. 19.2; ``r = 64``). The drift solves
    ``sum_k P_delta(reject at look k) = power``; for a fixed design it is
    ``z_{alpha/sided} + z_{1-power}``. ``nominal_p`` is ``sided (1 - Phi(c_k))`` (rpact's
    ``stageLevels`` times ``sided``).

    Futility (beta spending, non-binding, as rpact's default ``bindingFutility = FALSE``): the
    efficacy boundaries are those without futility; for a drift ``delta`` each interim
    futility boundary ``a_k`` solves
    ``P_delta(Z_k <= a_k, a_j < Z_j < c_j for j < k) = beta(t_k) - beta(t_{k-1})``, and the
    drift is the one at which the final look spends the rest of beta with ``a_K = c_K``
    (Pampallona, Tsiatis & Kim 2001). The drift and inflation factor are then those of the
    design with futility stops. Where an interim spending cannot be met below ``c_k`` the
    futility boundary is set to ``c_k`` and the final look spends what is left of beta, so
    that the power is still ``power`` (rpact instead adjusts the spending, its
    ``betaAdjustment``; the designs differ only in that case).

    References
    ----------
    1. Lan KKG, DeMets DL (1983). Discrete sequential boundaries for clinical trials.
       Biometrika 70:659-663.
    2. Armitage P, McPherson CK, Rowe BC (1969). Repeated significance tests on accumulating
       data. J R Stat Soc A 132:235-244.
    3. Jennison C, Turnbull BW (2000). Group Sequential Methods with Applications to Clinical
       Trials, ch. 19. Chapman & Hall/CRC.
    4. Hwang IK, Shih WJ, DeCani JS (1990). Group sequential designs using a family of type I
       error probability spending functions. Stat Med 9:1439-1445.
    5. Pampallona S, Tsiatis AA, Kim K (2001). Interim monitoring of group sequential trials
       using spending functions for the type I and type II error probabilities. Drug Inf J
       35:1113-1121.

    Examples
    --------
    >>> from survstat.design.group_sequential import boundaries
    >>> design = boundaries(looks=3, alpha=0.025)
    >>> [round(z, 4) for z in design.table["z_efficacy"]]
    [3.7103, 2.5114, 1.993]
    >>> round(design.inflation_factor, 4)
    1.0128
    """
    if isinstance(looks, bool) or not isinstance(looks, int) or looks < 1:
        raise OptionError(f"`--looks` must be a whole number of at least 1; got {looks!r}")
    check_sided(sided)
    alpha = significance(alpha, sided)
    power = probability(power, "--power")
    if power <= alpha / sided:
        raise OptionError(
            f"`--power` must exceed the one-sided alpha ({alpha / sided:g}); got {power!r}"
        )
    check_choice("--spending", spending, SPENDINGS)
    gamma_value = _check_gamma(spending, gamma)
    t = _check_timing(timing, looks)
    futility = _check_futility(futility_spending, futility_gamma, sided)
    cumulative = alpha_spending(
        spending=spending, alpha=alpha, timing=t, gamma=gamma_value, sided=sided
    )
    cumulative[-1] = alpha
    spent = np.diff(cumulative, prepend=0.0)
    bounds = _solve_bounds(spent, t, sided, GRID_R)
    if futility is None:
        drift = _drift_for_power(bounds, t, sided, power)
        z_futility = np.full(looks, None)
    else:
        beta = alpha_spending(spending=futility[0], alpha=1.0 - power, timing=t, gamma=futility[1])
        beta[-1] = 1.0 - power
        z_futility, drift = _futility_design(bounds, t, np.diff(beta, prepend=0.0))
    fixed = float(stats.norm.isf(alpha / sided) + stats.norm.isf(1.0 - power))
    table = pl.DataFrame(
        {
            "look": np.arange(1, looks + 1),
            "information_fraction": t,
            "z_efficacy": bounds,
            "nominal_p": sided * stats.norm.sf(bounds),
            "alpha_spent": spent,
            "cumulative_alpha": cumulative,
            "z_futility": z_futility,
        },
        schema={
            "look": pl.Int64,
            "information_fraction": pl.Float64,
            "z_efficacy": pl.Float64,
            "nominal_p": pl.Float64,
            "alpha_spent": pl.Float64,
            "cumulative_alpha": pl.Float64,
            "z_futility": pl.Float64,
        },
    )
    return GroupSequentialBoundaries(
        looks=looks,
        alpha=alpha,
        sided=sided,
        timing=None if timing is None else tuple(float(v) for v in timing),
        spending=spending,
        gamma=gamma,
        power=power,
        futility_spending=futility_spending,
        futility_gamma=futility_gamma,
        drift=drift,
        inflation_factor=(drift / fixed) ** 2,
        table=table,
    )
