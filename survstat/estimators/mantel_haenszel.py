"""Stratified 2 x 2 tables (2 x 2 x K): Mantel-Haenszel estimates and the CMH test.

Each stratum is (x1, n1, x2, n2): responders and patients in the group, then in the reference
arm. The common odds ratio is Mantel-Haenszel's with the Robins-Breslow-Greenland interval, the
common risk difference Mantel-Haenszel's with Sato's or Greenland-Robins' variance, and the test
Cochran-Mantel-Haenszel's (R ``mantelhaen.test``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

from survstat._choices import MantelHaenszelVariance
from survstat.errors import check_choice
from survstat.estimators._confint import z_value


def cmh_test(
    strata: Sequence[tuple[int, int, int, int]], correct: bool = True
) -> tuple[float, float]:
    """Cochran-Mantel-Haenszel statistic and p-value for 2 x 2 x K tables (R ``mantelhaen.test``).

    Parameters
    ----------
    strata
        One (x1, n1, x2, n2) per stratum: responders and patients in the group, then in the
        reference arm.
    correct
        Apply the continuity correction (default, as R).

    Returns
    -------
    tuple of float
        The chi-square statistic (1 degree of freedom) and its p-value; both NaN when no
        stratum varies in both margins.

    References
    ----------
    .. [1] Mantel N, Haenszel W (1959). Statistical aspects of the analysis of data from
       retrospective studies of disease. J Natl Cancer Inst 22:719-748.
    """
    t = np.asarray(strata, dtype=float)
    a, n1, c, n2 = t[:, 0], t[:, 1], t[:, 2], t[:, 3]
    big_n = n1 + n2
    m1 = a + c
    m2 = big_n - m1
    delta = np.sum(a - n1 * m1 / big_n)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.where(big_n > 1, n1 * n2 * m1 * m2 / (big_n**2 * (big_n - 1)), 0.0)
    yates = 0.5 if correct and abs(delta) >= 0.5 else 0.0
    if not var.sum() > 0:
        # no stratum varies in both margins: the statistic is 0/0
        return float("nan"), float("nan")
    stat = (abs(delta) - yates) ** 2 / var.sum()
    return float(stat), float(stats.chi2.sf(stat, 1))


def mantel_haenszel_odds_ratio(
    strata: Sequence[tuple[int, int, int, int]], level: float
) -> tuple[float, float, float]:
    """Mantel-Haenszel common odds ratio with the Robins-Breslow-Greenland interval
    (Robins, Breslow & Greenland 1986, Biometrics 42:311-323; R ``mantelhaen.test``).

    Parameters
    ----------
    strata
        One (x1, n1, x2, n2) per stratum: responders and patients in the group, then in the
        reference arm.
    level
        Confidence level of the interval, e.g. 0.95.

    Returns
    -------
    tuple of float
        The common odds ratio, then the lower and upper limits; 0, inf or NaN (and NaN
        limits) when no stratum contributes to the numerator or the denominator.

    References
    ----------
    .. [1] Robins J, Breslow N, Greenland S (1986). Estimators of the Mantel-Haenszel variance
       consistent in both sparse data and large-strata limiting models. Biometrics 42:311-323.
    """
    t = np.asarray(strata, dtype=float)
    a, b, c, d = t[:, 0], t[:, 1] - t[:, 0], t[:, 2], t[:, 3] - t[:, 2]
    big_n = t[:, 1] + t[:, 3]
    r, s = a * d / big_n, b * c / big_n
    p, q = (a + d) / big_n, (b + c) / big_n
    rr, ss = r.sum(), s.sum()
    z = z_value(level)
    # with sum(a d / N) or sum(b c / N) = 0 the estimate is 0, infinite or 0/0 and the
    # interval undefined (NaN here, null in tables)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        odds = rr / ss
        var = (
            np.sum(p * r) / (2 * rr**2)
            + np.sum(p * s + q * r) / (2 * rr * ss)
            + np.sum(q * s) / (2 * ss**2)
        )
        half = z * np.sqrt(var)
        return float(odds), float(np.exp(np.log(odds) - half)), float(np.exp(np.log(odds) + half))


def mantel_haenszel_difference(
    strata: Sequence[tuple[int, int, int, int]],
    level: float,
    variance: MantelHaenszelVariance = "sato",
) -> tuple[float, float, float]:
    """Mantel-Haenszel common risk difference with a Wald interval.

    The estimate is d = sum_k w_k (p1k - p2k) / W with w_k = n1k n2k / N_k and W = sum_k w_k
    (Mantel & Haenszel 1959). ``variance="sato"`` (default) uses Sato's estimator, consistent
    both for many sparse strata and for few large ones (Sato 1989, Biometrics 45:1323-1324;
    SAS PROC FREQ ``COMMONRISKDIFF``; epiR ``ARisk.mh.sato``)::

        Var = (d sum_k P_k + sum_k Q_k) / W^2
        P_k = (n1k^2 c_k - n2k^2 a_k + n1k n2k (n2k - n1k) / 2) / N_k^2
        Q_k = (a_k (n2k - c_k) + c_k (n1k - a_k)) / (2 N_k)

    ``variance="greenland-robins"`` uses Greenland & Robins (1985, Biometrics 41:55-68), valid
    for few large strata: Var = sum_k (a_k b_k n2k^3 + c_k d_k n1k^3) / (n1k n2k N_k^2) / W^2.
    Each stratum is (a, n1, c, n2): responders and patients in the group, then the reference.

    Parameters
    ----------
    strata
        One (x1, n1, x2, n2) per stratum: responders and patients in the group, then in the
        reference arm.
    level
        Confidence level of the interval, e.g. 0.95.
    variance
        ``"sato"`` (default) or ``"greenland-robins"``.

    Returns
    -------
    tuple of float
        The common risk difference, then the lower and upper limits.

    References
    ----------
    .. [1] Sato T (1989). On the variance estimator for the Mantel-Haenszel risk difference.
       Biometrics 45:1323-1324.
    .. [2] Greenland S, Robins JM (1985). Estimation of a common effect parameter from sparse
       follow-up data. Biometrics 41:55-68.
    """
    check_choice("variance", variance, ("sato", "greenland-robins"))
    t = np.asarray(strata, dtype=float)
    a, n1, c, n2 = t.T
    big_n = n1 + n2
    w = n1 * n2 / big_n  # every stratum holds both arms, so N > 0 and w > 0
    big_w = w.sum()
    d = float(np.sum(w * (a / n1 - c / n2)) / big_w)
    if variance == "sato":
        p_sum = np.sum((n1**2 * c - n2**2 * a + n1 * n2 * (n2 - n1) / 2) / big_n**2)
        q_sum = np.sum((a * (n2 - c) + c * (n1 - a)) / (2 * big_n))
        var = (d * p_sum + q_sum) / big_w**2
    else:
        b, dd = n1 - a, n2 - c
        var = np.sum((a * b * n2**3 + c * dd * n1**3) / (n1 * n2 * big_n**2)) / big_w**2
    half = z_value(level) * np.sqrt(max(float(var), 0.0))
    return d, d - half, d + half
