r"""Sample size for comparing two proportions (e.g. pCR by arm): normal approximation with and
without continuity correction, and exact power of Fisher's test by enumeration.

With control rate :math:`p_c`, treatment rate :math:`p_t` (given, or from an odds ratio
:math:`\psi`: :math:`p_t = \psi p_c / (1 - p_c + \psi p_c)`), allocation ratio
:math:`k = n_t / n_c`, :math:`\Delta = p_t - p_c`, :math:`\bar p = (p_c + k p_t) / (1 + k)`,
:math:`z_a = \Phi^{-1}(1 - \alpha / s)` for an s-sided test and
:math:`z_b = \Phi^{-1}(\text{power})`:

- **normal** (the pooled-variance test; R ``power.prop.test`` for k = 1):

  .. math:: n_c = \frac{\left(z_a \sqrt{\bar p (1 - \bar p)(1 + 1/k)} +
            z_b \sqrt{p_c (1 - p_c) + p_t (1 - p_t) / k}\right)^2}{\Delta^2}

- **normal-cc** (continuity-corrected, Fleiss, Tytun & Ury 1980, Biometrics 36:343):

  .. math:: n_c' = \frac{n_c}{4}\left(1 + \sqrt{1 + \frac{2 (k + 1)}{k\, n_c |\Delta|}}\right)^2

- **fisher**: the exact power of Fisher's exact test (two-sided as R ``fisher.test``: the
  tables no more likely than the one seen, with R's relative tolerance 1e-7; one-sided in the
  direction of :math:`\Delta`), summed over every pair of binomial outcomes,

  .. math:: \text{power}(n_c, n_t) = \sum_{x_c = 0}^{n_c} \sum_{x_t = 0}^{n_t}
            b_{n_c}(x_c; p_c)\, b_{n_t}(x_t; p_t)\, 1\{p_\text{Fisher}(x_c, x_t) \le \alpha\},

  and the smallest :math:`n_c` (with :math:`n_t = \lceil k n_c \rceil`) whose power reaches the
  target. Exact power is not monotone in n; like the single-arm design, the smallest n from
  which every larger n up to ``max_n`` reaches it is reported too.

Normal sizes are rounded up per arm: :math:`n_c = \lceil n_c^* \rceil`,
:math:`n_t = \lceil k\, n_c^* \rceil`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from survstat._choices import ProportionsMethod
from survstat.design._checks import max_n as check_max_n
from survstat.design._checks import positive, probability, significance
from survstat.design._checks import sided as check_sided
from survstat.errors import OptionError

#: Columns of :attr:`ProportionsDesign.table`.
PROPORTIONS_COLUMNS = (
    "design",
    "method",
    "p_control",
    "p_treatment",
    "n_control_exact",
    "n_control",
    "n_treatment",
    "n_total",
    "power",
)
#: The largest ``max_n`` per arm of the exact search.
FISHER_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class ProportionsDesign:
    """Two-arm sample sizes for proportions (:func:`two_proportions`).

    ``table`` (columns :data:`PROPORTIONS_COLUMNS`) has one row for the normal methods
    (``design`` = ``smallest``) and two for ``fisher`` (``smallest`` and ``stable``, as
    :func:`survstat.design.binomial.single_stage`). ``n_control_exact`` is the unrounded
    normal size (null for ``fisher``); ``power`` is the approximate power at the rounded
    sizes for the normal methods and the exact power for ``fisher``.
    """

    p_control: float
    p_treatment: float
    alpha: float
    sided: int
    power: float
    ratio: float
    method: ProportionsMethod
    table: pl.DataFrame


def _treatment_rate(p_control: float, p_treatment: float | None, odds_ratio: float | None) -> float:
    if (p_treatment is None) == (odds_ratio is None):
        raise OptionError("give one of `--p-treatment` and `--odds-ratio`")
    if p_treatment is not None:
        rate = probability(p_treatment, "--p-treatment")
    else:
        psi = positive(odds_ratio, "--odds-ratio")  # type: ignore[arg-type]
        rate = psi * p_control / (1 - p_control + psi * p_control)
    if rate == p_control:
        raise OptionError(
            f"the treatment rate equals the control rate ({p_control:g}): no sample size "
            "detects no difference"
        )
    return rate


def _normal_n(pc: float, pt: float, alpha: float, sides: int, power: float, k: float) -> float:
    from scipy.stats import norm

    za, zb = norm.ppf(1 - alpha / sides), norm.ppf(power)
    pbar = (pc + k * pt) / (1 + k)
    delta = abs(pt - pc)
    spread = za * math.sqrt(pbar * (1 - pbar) * (1 + 1 / k))
    spread += zb * math.sqrt(pc * (1 - pc) + pt * (1 - pt) / k)
    return float(spread**2 / delta**2)


def _normal_power(pc: float, pt: float, alpha: float, sides: int, nc: int, nt: int) -> float:
    """The approximate power of the pooled test at the rounded sizes (one tail)."""
    from scipy.stats import norm

    za = norm.ppf(1 - alpha / sides)
    pbar = (nc * pc + nt * pt) / (nc + nt)
    null_sd = math.sqrt(pbar * (1 - pbar) * (1 / nc + 1 / nt))
    alt_sd = math.sqrt(pc * (1 - pc) / nc + pt * (1 - pt) / nt)
    return float(norm.cdf((abs(pt - pc) - za * null_sd) / alt_sd))


def _xlogy(x: np.ndarray, p: float) -> np.ndarray:
    """x log p, 0 where x is 0 (so that p = 0 or 1 need no special case)."""
    from scipy.special import xlogy

    return xlogy(x, p)


def fisher_power(
    *,
    n_control: int,
    n_treatment: int,
    p_control: float,
    p_treatment: float,
    alpha: float,
    sided: int = 2,
) -> float:
    """The exact power of Fisher's exact test, by enumerating every pair of outcomes.

    Parameters
    ----------
    n_control, n_treatment
        Patients per arm.
    p_control, p_treatment
        The true response rates.
    alpha
        The significance level (in total over both sides when ``sided`` is 2).
    sided
        2 for R ``fisher.test``'s two-sided p-value; 1 for the one-sided test in the
        direction of ``p_treatment - p_control``.

    Returns
    -------
    float
        P(p-value <= alpha) under the true rates.
    """
    from scipy.special import gammaln

    nc, nt = n_control, n_treatment
    total = nc + nt
    log_fact = gammaln(np.arange(total + 2) + 1.0)
    t = np.arange(total + 1)[:, None]  # responders in all
    xc = np.arange(nc + 1)[None, :]  # responders on control
    xt = t - xc  # responders on treatment
    valid = (xt >= 0) & (xt <= nt)
    xt_c = np.clip(xt, 0, nt)
    # conditional law of the control count given the margins (hypergeometric), 0 outside
    log_d = (
        log_fact[nc]
        - log_fact[xc]
        - log_fact[nc - xc]
        + log_fact[nt]
        - log_fact[xt_c]
        - log_fact[nt - xt_c]
        - (log_fact[total] - log_fact[t] - log_fact[total - t])
    )
    d = np.where(valid, np.exp(log_d), 0.0)
    if sided == 2:
        # the tables no more likely than the one seen (R's relative tolerance 1e-7), by
        # sorting each row once and searching it
        order = np.sort(d, axis=1)
        below = np.cumsum(order, axis=1)
        shifted = order + 2.0 * t  # rows made disjoint so one search serves them all
        keys = (d * (1 + 1e-7) + 2.0 * t).ravel()
        pos = np.searchsorted(shifted.ravel(), keys, side="right").reshape(d.shape)
        pos -= (np.arange(total + 1) * (nc + 1))[:, None]
        rows = np.broadcast_to(np.arange(total + 1)[:, None], d.shape)
        p = np.where(pos > 0, below[rows, np.maximum(pos - 1, 0)], 0.0)
    elif p_treatment > p_control:  # few control responders given the total is evidence
        p = np.cumsum(d, axis=1)
    else:
        p = np.cumsum(d[:, ::-1], axis=1)[:, ::-1]
    reject = p <= alpha * (1 + 1e-7)
    # binomial probabilities of (xc, xt), in logs from the same factorials
    log_w = (
        log_d
        + (log_fact[total] - log_fact[t] - log_fact[total - t])
        + _xlogy(xc, p_control)
        + _xlogy(nc - xc, 1 - p_control)
        + _xlogy(xt_c, p_treatment)
        + _xlogy(nt - xt_c, 1 - p_treatment)
    )
    weight = np.exp(log_w)
    return float(np.clip(np.sum(np.where(valid & reject, weight, 0.0)), 0.0, 1.0))


def two_proportions(
    *,
    p_control: float,
    p_treatment: float | None = None,
    odds_ratio: float | None = None,
    alpha: float = 0.05,
    sided: int = 2,
    power: float = 0.8,
    ratio: float = 1.0,
    method: ProportionsMethod = "normal",
    max_n: int | None = None,
) -> ProportionsDesign:
    """Patients per arm to compare two proportions (formulas in the module docstring).

    Parameters
    ----------
    p_control
        The response rate on control.
    p_treatment
        The response rate on treatment; or give ``odds_ratio``.
    odds_ratio
        The odds ratio of response, treatment vs control, instead of ``p_treatment``.
    alpha
        The type I error, in total over both sides when ``sided`` is 2.
    sided
        1 or 2.
    power
        The power wanted.
    ratio
        Patients on treatment per patient on control.
    method
        ``normal``, ``normal-cc`` (continuity-corrected) or ``fisher`` (exact).
    max_n
        For ``fisher``: the largest number of control patients searched (at most
        :data:`FISHER_LIMIT`); default twice the continuity-corrected normal size, where the
        exact power is far above any usual target, so that the ``stable`` size is stable.

    Returns
    -------
    ProportionsDesign
        The sizes per arm and the power they give.

    Raises
    ------
    OptionError
        For rates, alpha or power outside (0, 1), both or neither of ``p_treatment`` and
        ``odds_ratio``, equal rates, ``sided`` not 1 or 2, or no exact design up to
        ``max_n``.

    Examples
    --------
    >>> from survstat.design.proportions import two_proportions
    >>> two_proportions(p_control=0.2, p_treatment=0.4).table["n_control"].item()
    82
    """
    pc = probability(p_control, "--p-control")
    pt = _treatment_rate(pc, p_treatment, odds_ratio)
    sides = check_sided(sided)
    alpha, power = significance(alpha, sides), probability(power, "--power")
    k = positive(ratio, "--ratio")
    if method in ("normal", "normal-cc"):
        exact = _normal_n(pc, pt, alpha, sides, power, k)
        if method == "normal-cc":
            exact = exact / 4 * (1 + math.sqrt(1 + 2 * (k + 1) / (k * exact * abs(pt - pc)))) ** 2
        nc, nt = math.ceil(exact - 1e-9 * exact), math.ceil(k * exact - 1e-9 * k * exact)
        reach = _normal_power(pc, pt, alpha, sides, nc, nt)
        rows = [("smallest", method, pc, pt, exact, nc, nt, nc + nt, reach)]
    elif method == "fisher":
        if max_n is None:
            normal = _normal_n(pc, pt, alpha, sides, power, k)
            cc = normal / 4 * (1 + math.sqrt(1 + 2 * (k + 1) / (k * normal * abs(pt - pc)))) ** 2
            max_n = min(FISHER_LIMIT, max(10, math.ceil(2 * cc)))
        rows = _fisher_rows(pc, pt, alpha, sides, power, k, check_max_n(max_n, FISHER_LIMIT))
    else:
        raise OptionError(f"`--method` must be normal, normal-cc or fisher; got {method!r}")
    table = pl.DataFrame(rows, schema=list(PROPORTIONS_COLUMNS), orient="row")
    return ProportionsDesign(pc, pt, alpha, sides, power, k, method, table)


def _fisher_rows(
    pc: float, pt: float, alpha: float, sides: int, power: float, k: float, max_n: int
) -> list[tuple[object, ...]]:
    """The smallest and the stable exact sizes, scanning every control size up to max_n."""
    sizes = np.arange(2, max_n + 1)
    treat = [math.ceil(k * n - 1e-9 * k * n) for n in sizes]
    reach = np.array(
        [
            fisher_power(
                n_control=int(n),
                n_treatment=m,
                p_control=pc,
                p_treatment=pt,
                alpha=alpha,
                sided=sides,
            )
            for n, m in zip(sizes, treat, strict=True)
        ]
    )
    meets = reach >= power
    if not meets.any():
        raise OptionError(
            f"no design with at most {max_n} control patients (`--max-n`) gives Fisher's exact "
            f"test power >= {power:g} for p_control = {pc:g}, p_treatment = {pt:g}"
        )
    first = int(np.argmax(meets))
    failing = np.flatnonzero(~meets)
    stable = 0 if failing.size == 0 else int(failing[-1]) + 1
    chosen = [("smallest", first)] + ([("stable", stable)] if stable < len(sizes) else [])
    return [
        (
            name,
            "fisher",
            pc,
            pt,
            None,
            int(sizes[i]),
            treat[i],
            int(sizes[i]) + treat[i],
            float(reach[i]),
        )
        for name, i in chosen
    ]


__all__ = [
    "FISHER_LIMIT",
    "PROPORTIONS_COLUMNS",
    "ProportionsDesign",
    "fisher_power",
    "two_proportions",
]
