r"""Restricted mean survival time (RMST).

RMST(tau) is the area under the Kaplan-Meier curve from 0 to tau. Its standard error is the one
R prints with ``print(survfit(...), rmean=tau)`` (survival 3.5 ``survmean``):

.. math::

    \widehat{\mathrm{Var}} = \sum_{t_j \le \tau} A(t_j, \tau)^2
        \frac{d_j}{n_j (n_j - d_j)},

where :math:`A(t_j, \tau)` is the area under the curve between :math:`t_j` and tau and terms with
:math:`n_j = d_j` are taken as 0 (Miller 1981, *Survival Analysis*, pp. 195-196;
Klein & Moeschberger 2003, sec. 4.5).
"""

from __future__ import annotations

import numpy as np


def rmst_curve(
    time: np.ndarray,
    surv: np.ndarray,
    n_risk: np.ndarray,
    n_event: np.ndarray,
    tau: float,
    start: float = 0.0,
) -> tuple[float, float]:
    """RMST up to ``tau`` and its standard error for one Kaplan-Meier curve.

    Parameters
    ----------
    time
        The curve's distinct times, increasing.
    surv
        The survival estimate at each time.
    n_risk, n_event
        The number at risk and the events at each time.
    tau
        The truncation time.
    start
        The time at which the curve starts at 1 (0 by default); the area is counted from it.

    Returns
    -------
    tuple of float
        The restricted mean and its standard error.
    """
    keep = time <= tau
    with np.errstate(divide="ignore", invalid="ignore"):
        hh = np.where(n_risk - n_event == 0, 0.0, n_event / (n_risk * (n_risk - n_event)))
    if not keep.any():
        return float(tau), 0.0
    t = np.append(time[keep], tau)
    s = np.append(surv[keep], surv[keep][-1])
    h = np.append(hh[keep], 0.0)
    widths = np.diff(np.concatenate([[start], t]))
    rect = widths * np.concatenate([[1.0], s[:-1]])
    # area from each step time to tau, for the steps after the first rectangle
    tail = np.cumsum(rect[1:][::-1])
    var = float(np.sum(tail**2 * h[::-1][1:]))
    return float(np.sum(rect) + start), float(np.sqrt(var))
