r"""Exact designs for a response rate: single-stage (A'Hern), Simon two-stage, and their
operating characteristics.

A single-arm phase II trial tests H0: p <= p0 (a rate not worth pursuing) against p >= p1 (a
rate worth pursuing) with one-sided type I error at most ``alpha`` and power at least ``power``,
all computed from the binomial distribution, not a normal approximation.

**Single stage** (A'Hern 2001, Stat Med 20:859; R ``clinfun::ph2single``): with ``n`` patients
and ``k`` the critical number of responders, reject H0 when responders >= k, where k is the
smallest number with :math:`P(X \ge k \mid n, p_0) \le \alpha`; the power is
:math:`P(X \ge k \mid n, p_1)`. Because k jumps with n, power is not monotone in n: a design
may meet the targets at n and fail them at n + 1. Both answers are reported: the smallest n
that meets the targets, and the smallest n from which every larger n (up to ``max_n``) meets
them too.

**Simon two-stage** (Simon 1989, Control Clin Trials 10:1; R ``clinfun::ph2simon``): treat
``n1`` patients; stop for futility when responders <= ``r1``; otherwise treat ``n - n1`` more
and declare the treatment promising when the total number of responders is > ``r``. With
:math:`b_m(x; p)` the binomial probability and :math:`S_m(k; p) = P(X > k)`,

.. math::

    P(\text{promising} \mid p) = \sum_{x_1 = r_1 + 1}^{n_1} b_{n_1}(x_1; p)\,
        S_{n - n_1}(r - x_1; p), \qquad
    \mathrm{PET}(p_0) = P(X_1 \le r_1 \mid p_0), \qquad
    \mathrm{EN}(p_0) = n_1 + (1 - \mathrm{PET}(p_0))(n - n_1).

The search covers every n up to ``max_n``, every first stage ``1 <= n1 < n``, every futility
boundary ``0 <= r1 < n1`` and every final boundary ``r1 <= r < n`` (vectorised over r1 and r
for each (n, n1)). A design is feasible when P(promising | p0) <= alpha and P(promising |
p1) >= power. For each n the feasible design of smallest EN(p0) is kept (among final
boundaries of equal EN(p0), the largest r, with the smallest type I error, as ``ph2simon``
keeps). The **minimax** design has the smallest n (then the smallest EN(p0)); the **optimal**
design the smallest EN(p0). The **admissible** designs between them (Jung, Lee, Kim & George
2004, J Stat Plan Inference 123:181; ``clinfun::twostage.admissible``) are those that minimise
the expected loss :math:`q\,n + (1 - q)\,\mathrm{EN}(p_0)` for some weight q in [0, 1]: the
lower convex hull of (n, EN(p0)) from the minimax to the optimal design; ``q_low`` and
``q_high`` bound the weights for which each design is the best (not rounded, as clinfun's are
to three decimals).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from survstat.design._checks import max_n as _max_n
from survstat.design._checks import probability, rates, significance
from survstat.errors import OptionError

#: Columns of :attr:`SimonDesigns.table`.
SIMON_COLUMNS = ("design", "r1", "n1", "r", "n", "en0", "pet0", "alpha", "power", "q_low", "q_high")
#: Columns of :attr:`SingleStageDesigns.table`.
SINGLE_STAGE_COLUMNS = ("design", "n", "critical_responders", "alpha", "power")
#: Columns of :attr:`OperatingCharacteristics.table`.
OC_COLUMNS = ("true_rate", "p_success", "pet", "expected_n")
#: The largest ``max_n`` of a two-stage search (which grows as n^4).
MAX_N_LIMIT = 500
#: The largest ``max_n`` of a single-stage search.
SINGLE_STAGE_LIMIT = 2000


def _binomial_tables(n_max: int, p: float) -> tuple[np.ndarray, np.ndarray]:
    """``pmf[m, x] = P(X = x)`` and ``sf[m, k] = P(X > k)`` for ``X ~ Bin(m, p)``,
    ``0 <= m, x, k <= n_max`` (zero beyond m)."""
    from scipy.stats import binom

    m = np.arange(n_max + 1)[:, None]
    x = np.arange(n_max + 1)[None, :]
    pmf = np.where(x <= m, binom.pmf(x, m, p), 0.0)
    sf = np.where(x < m, binom.sf(x, m, p), 0.0)
    return pmf, sf


@dataclass(frozen=True, slots=True)
class SingleStageDesigns:
    """Exact single-stage designs (:func:`single_stage`).

    ``table`` has one row per answer (columns :data:`SINGLE_STAGE_COLUMNS`): ``design`` is
    ``smallest`` (the smallest n that meets the targets) and ``stable`` (the smallest n from
    which every larger n up to ``max_n`` meets them); ``critical_responders`` is the number of
    responders from which H0 is rejected; ``alpha`` and ``power`` are the exact values.
    """

    p0: float
    p1: float
    alpha: float
    power: float
    max_n: int
    table: pl.DataFrame


def single_stage(
    *, p0: float, p1: float, alpha: float = 0.05, power: float = 0.8, max_n: int = 100
) -> SingleStageDesigns:
    """Exact single-stage design for a response rate (A'Hern 2001; ``clinfun::ph2single``).

    Parameters
    ----------
    p0
        The response rate not worth pursuing (H0: p <= p0).
    p1
        The response rate worth pursuing, above ``p0``.
    alpha
        The largest one-sided type I error allowed.
    power
        The smallest power wanted at ``p1``.
    max_n
        The largest number of patients searched (at most :data:`SINGLE_STAGE_LIMIT`).

    Returns
    -------
    SingleStageDesigns
        The smallest n meeting the targets and the smallest n from which all larger n do.

    Raises
    ------
    OptionError
        For rates, alpha or power outside (0, 1), ``p1 <= p0``, or no n up to ``max_n`` that
        meets the targets.

    Examples
    --------
    >>> from survstat.design.binomial import single_stage
    >>> single_stage(p0=0.2, p1=0.4, alpha=0.05, power=0.8).table.row(0)[:3]
    ('smallest', 35, 12)
    """
    p0, p1 = rates(p0, p1)
    alpha, power = significance(alpha), probability(power, "--power")
    max_n = _max_n(max_n, SINGLE_STAGE_LIMIT)
    n = np.arange(1, max_n + 1)
    _, sf0 = _binomial_tables(max_n, p0)
    _, sf1 = _binomial_tables(max_n, p1)
    # at_least[n, k] = P(X >= k) = P(X > k - 1) for k = 1 .. n + 1 (k = 0 never tests)
    at_least0, at_least1 = sf0[1:, :], sf1[1:, :]
    # the smallest k with P(X >= k | p0) <= alpha (tails fall with k; k = n + 1 always does)
    k = np.argmax(at_least0 <= alpha, axis=1) + 1
    index = np.arange(max_n)
    size, reach = at_least0[index, k - 1], at_least1[index, k - 1]
    meets = (size <= alpha) & (reach >= power) & (k <= n)
    if not meets.any():
        raise OptionError(
            f"no single-stage design with at most {max_n} patients (`--max-n`) has type I error "
            f"<= {alpha:g} and power >= {power:g} for p0 = {p0:g}, p1 = {p1:g}"
        )
    first = int(np.argmax(meets))
    # the smallest index from which every larger one meets the targets
    failing = np.flatnonzero(~meets)
    stable = 0 if failing.size == 0 else int(failing[-1]) + 1
    rows = [("smallest", first)]
    if stable < max_n:
        rows.append(("stable", stable))
    table = pl.DataFrame(
        {
            "design": [name for name, _ in rows],
            "n": [int(n[i]) for _, i in rows],
            "critical_responders": [int(k[i]) for _, i in rows],
            "alpha": [float(size[i]) for _, i in rows],
            "power": [float(reach[i]) for _, i in rows],
        }
    )
    return SingleStageDesigns(p0, p1, alpha, power, max_n, table)


@dataclass(frozen=True, slots=True)
class SimonDesigns:
    """Simon two-stage designs (:func:`simon`).

    ``table`` (columns :data:`SIMON_COLUMNS`) lists the ``minimax`` design first, then the
    ``admissible`` ones by decreasing n, then the ``optimal`` design: stop after stage 1 when
    responders <= ``r1`` of ``n1``; declare the treatment promising when responders > ``r``
    of ``n``. ``alpha``, ``power``, ``en0`` (expected n under p0) and ``pet0`` (probability of
    early termination under p0) are exact. ``by_n`` holds, for every n with a feasible
    design, the one of smallest EN(p0) (as ``clinfun::ph2simon``'s ``out``).
    """

    p0: float
    p1: float
    alpha: float
    power: float
    max_n: int
    table: pl.DataFrame
    by_n: pl.DataFrame


#: Elements of one block of the vectorised two-stage search (n1 x x1 x r), to bound memory.
_BLOCK = 4_000_000


def _best_for_each_n(
    p0: float, p1: float, alpha: float, power: float, max_n: int
) -> list[tuple[int, int, int, int, float, float, float, float]]:
    """For each n, the feasible design of smallest EN(p0): (r1, n1, r, n, en0, pet0, alpha,
    power). Vectorised over (n1, r1, r) for each n, in blocks of first-stage sizes."""
    pmf0, sf0 = _binomial_tables(max_n, p0)
    pmf1, sf1 = _binomial_tables(max_n, p1)
    cdf0 = np.cumsum(pmf0, axis=1)
    # P(X2 > k) for k = -max_n .. max_n at column k + max_n: 1 below 0 (one gather, no tests)
    ones = np.ones((max_n + 1, max_n))
    tails = np.stack((np.hstack((ones, sf0)), np.hstack((ones, sf1))))
    pmfs = np.stack((pmf0, pmf1))
    sfs = np.stack((sf0, sf1))
    best: list[tuple[int, int, int, int, float, float, float, float]] = []
    for n in range(2, max_n + 1):
        # success needs more than r responders in all, so power >= target needs
        # P(X > r | n, p1) >= power: r <= top. Stage-1 counts above top then pass any r.
        top = int(np.count_nonzero(sf1[n, :n] >= power)) - 1
        if top < 0:
            continue
        size_r = top + 1
        # [r, x1]: final boundary by stage-1 responders (pmf is 0 beyond n1)
        k = np.arange(size_r)[:, None] - np.arange(size_r)[None, :] + max_n
        step = max(1, _BLOCK // (n * size_r))
        chosen: tuple[float, int, int, int, float, float] | None = None
        for start in range(1, n, step):
            n1 = np.arange(start, min(n, start + step))
            n2 = (n - n1)[:, None, None]
            # b(x1) P(X2 > r - x1) for p0 and p1: [p, n1, r, x1], x1 <= top
            terms = tails[:, n2, k[None]] * pmfs[:, n1, None, :size_r]
            # reject[p, n1, r, r1] = sum over r1 < x1 <= top, plus P(X1 > top)
            below = np.cumsum(terms, axis=-1)
            above = sfs[:, n1, top][:, :, None, None]
            reject = below[..., -1:] - below + above
            r1 = np.arange(size_r)[None, None, :]
            r = np.arange(size_r)[None, :, None]
            ok = (reject[0] <= alpha) & (reject[1] >= power)
            ok &= (r1 < n1[:, None, None]) & (r >= r1)
            feasible = ok.any(axis=1)  # [n1, r1]
            if not feasible.any():
                continue
            pet = cdf0[n1, :size_r]
            en0 = np.where(feasible, n1[:, None] + (1 - pet) * (n - n1)[:, None], np.inf)
            # the first smallest in the order clinfun searches: n1 up, r1 down
            flat = en0[:, ::-1].ravel()
            i = int(np.argmin(flat))
            if chosen is not None and not flat[i] < chosen[0]:
                continue
            row, col = divmod(i, size_r)
            futility = size_r - 1 - col
            final = int(np.flatnonzero(ok[row, :, futility])[-1])  # the largest feasible r
            size, reach = reject[0, row, final, futility], reject[1, row, final, futility]
            chosen = (float(flat[i]), int(n1[row]), futility, final, float(size), float(reach))
        if chosen is not None:
            en0_best, first_stage, futility, final, size, reach = chosen
            pet0 = float(cdf0[first_stage, futility])
            best.append((futility, first_stage, final, n, en0_best, pet0, size, reach))
    return best


def _admissible(en0: Sequence[float], n: Sequence[int]) -> list[tuple[int, float, float]]:
    """The admissible designs among the best per n, from the minimax (index 0) to the optimal:
    (index, q_low, q_high) along the lower convex hull of (n, EN0), as Jung et al. (2004)."""
    optimal = int(np.argmin(en0))
    hull = [0]
    while hull[-1] < optimal:
        start = hull[-1]
        slopes = [(en0[j] - en0[start]) / (n[j] - n[start]) for j in range(start + 1, optimal + 1)]
        hull.append(start + 1 + int(np.argmin(slopes)))
    weights = []
    for a, b in itertools.pairwise(hull):
        d_en, d_n = en0[b] - en0[a], n[b] - n[a]
        weights.append(d_en / (d_en - d_n))
    q_high = [1.0, *weights]
    q_low = [*weights, 0.0]
    return list(zip(hull, q_low, q_high, strict=True))


def simon(
    *, p0: float, p1: float, alpha: float = 0.05, power: float = 0.8, max_n: int = 100
) -> SimonDesigns:
    """Simon two-stage designs: minimax, admissible and optimal (Simon 1989; Jung et al. 2004).

    Matches R ``clinfun::ph2simon`` and the tables of Simon (1989), e.g. p0 = 0.2, p1 = 0.4,
    alpha = 0.05, power 0.8: optimal 3/13, 12/43, EN(p0) 20.58; minimax 4/18, 10/33.

    Parameters
    ----------
    p0
        The response rate not worth pursuing (H0: p <= p0).
    p1
        The response rate worth pursuing, above ``p0``.
    alpha
        The largest one-sided type I error allowed.
    power
        The smallest power wanted at ``p1``.
    max_n
        The largest total number of patients searched (at most :data:`MAX_N_LIMIT`).

    Returns
    -------
    SimonDesigns
        The minimax, admissible and optimal designs, and the best design for each n.

    Raises
    ------
    OptionError
        For rates, alpha or power outside (0, 1), ``p1 <= p0``, or no design up to ``max_n``.

    Examples
    --------
    >>> from survstat.design.binomial import simon
    >>> designs = simon(p0=0.2, p1=0.4, alpha=0.05, power=0.8).table
    >>> designs.select("design", "r1", "n1", "r", "n").rows()[::2]
    [('minimax', 4, 18, 10, 33), ('optimal', 3, 13, 12, 43)]
    """
    p0, p1 = rates(p0, p1)
    alpha, power = significance(alpha), probability(power, "--power")
    max_n = _max_n(max_n, MAX_N_LIMIT)
    best = _best_for_each_n(p0, p1, alpha, power, max_n)
    if not best:
        raise OptionError(
            f"no two-stage design with at most {max_n} patients (`--max-n`) has type I error "
            f"<= {alpha:g} and power >= {power:g} for p0 = {p0:g}, p1 = {p1:g}"
        )
    names = ("r1", "n1", "r", "n", "en0", "pet0", "alpha", "power")
    by_n = pl.DataFrame(best, schema=list(names), orient="row")
    hull = _admissible(by_n["en0"].to_list(), by_n["n"].to_list())
    rows = []
    for position, (i, q_low, q_high) in enumerate(hull):
        kind = "minimax" if position == 0 else "admissible"
        if position == len(hull) - 1 and position > 0:
            kind = "optimal"
        rows.append((kind, *best[i], q_low, q_high))
    if len(hull) == 1:  # the minimax design is also the optimal one
        rows = [("minimax", *best[0], 0.0, 1.0), ("optimal", *best[0], 0.0, 1.0)]
    table = pl.DataFrame(rows, schema=list(SIMON_COLUMNS), orient="row")
    return SimonDesigns(p0, p1, alpha, power, max_n, table, by_n)


@dataclass(frozen=True, slots=True)
class OperatingCharacteristics:
    """What a design does over a grid of true response rates (:func:`operating_characteristics`).

    ``table`` (columns :data:`OC_COLUMNS`): per ``true_rate``, the probability of declaring
    the treatment promising (``p_success``), of stopping after stage 1 (``pet``, 0 for a
    single-stage design) and the expected number of patients (``expected_n``).
    """

    r1: int | None
    n1: int | None
    r: int
    n: int
    table: pl.DataFrame


def operating_characteristics(
    *,
    n: int,
    r: int,
    n1: int | None = None,
    r1: int | None = None,
    rates: Sequence[float] | None = None,
) -> OperatingCharacteristics:
    """Probability of success, of early stopping and expected n over true response rates.

    A two-stage design (``n1`` and ``r1`` given) stops after ``n1`` patients when responders
    <= ``r1`` and succeeds when all responders > ``r`` of ``n``; a single-stage design (no
    ``n1``) succeeds when responders > ``r`` of ``n`` (``critical_responders - 1`` of
    :func:`single_stage`). Formulas as in the module docstring; R
    ``clinfun::oc.twostage.bdry``.

    Parameters
    ----------
    n
        The total number of patients.
    r
        The final boundary: success when responders > r.
    n1
        The first stage's number of patients, or None for a single-stage design.
    r1
        The futility boundary after stage 1 (stop when responders <= r1); with ``n1``.
    rates
        The true response rates; default 0, 0.05, ..., 1.

    Returns
    -------
    OperatingCharacteristics
        One row per true rate.

    Raises
    ------
    OptionError
        For boundaries that do not describe a design (``n1`` not below ``n``, ``r1`` given
        without ``n1``, negative numbers) or rates outside [0, 1].

    Examples
    --------
    >>> from survstat.design.binomial import operating_characteristics
    >>> oc = operating_characteristics(n=43, r=12, n1=13, r1=3, rates=[0.2, 0.4])
    >>> [round(v, 4) for v in oc.table["p_success"]]
    [0.0496, 0.8002]
    """
    from scipy.stats import binom

    if (n1 is None) != (r1 is None):
        raise OptionError("`--n1` and `--r1` go together: give both for a two-stage design")
    for flag, value in (("--n", n), ("--r", r), ("--n1", n1), ("--r1", r1)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise OptionError(f"`{flag}` must be a whole number; got {value!r}")
    if n < 1:
        raise OptionError(f"`--n` must be a whole number of at least 1; got {n}")
    if not 0 <= r < n:
        raise OptionError(f"`--r` must be from 0 to n - 1 = {n - 1} (n = {n}); got {r}")
    if n1 is not None and r1 is not None and (not 1 <= n1 < n or not 0 <= r1 < n1 or r1 > r):
        raise OptionError(
            f"the first stage needs 1 <= n1 < n and 0 <= r1 < n1, r1 <= r; got n1 = {n1}, "
            f"r1 = {r1} (n = {n}, r = {r})"
        )
    grid = np.round(np.arange(0, 21) / 20, 10) if rates is None else np.asarray(rates, float)
    if grid.size == 0 or not np.all((grid >= 0) & (grid <= 1)):
        shown = ", ".join(f"{float(v):g}" for v in grid)
        raise OptionError(f"`--rates` must be numbers in [0, 1]; got {shown or 'none'}")
    if n1 is None or r1 is None:
        success = binom.sf(r, n, grid)
        pet = np.zeros_like(grid)
        expected = np.full_like(grid, float(n))
    else:
        n2 = n - n1
        x1 = np.arange(r1 + 1, n1 + 1)[:, None]
        success = (binom.pmf(x1, n1, grid[None, :]) * binom.sf(r - x1, n2, grid[None, :])).sum(
            axis=0
        )
        pet = binom.cdf(r1, n1, grid)
        expected = n1 + (1 - pet) * n2
    table = pl.DataFrame(
        {
            "true_rate": grid.astype(float),
            "p_success": np.clip(success, 0.0, 1.0),
            "pet": pet.astype(float),
            "expected_n": expected.astype(float),
        }
    )
    return OperatingCharacteristics(r1, n1, r, n, table)


__all__ = [
    "MAX_N_LIMIT",
    "OC_COLUMNS",
    "SIMON_COLUMNS",
    "SINGLE_STAGE_COLUMNS",
    "SINGLE_STAGE_LIMIT",
    "OperatingCharacteristics",
    "SimonDesigns",
    "SingleStageDesigns",
    "operating_characteristics",
    "simon",
    "single_stage",
]
