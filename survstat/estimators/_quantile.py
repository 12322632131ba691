"""Quantiles of a step survival curve, with the midpoint rule on flat segments.

This follows the construction of R ``quantile.survfit`` (survival 3.5): the p-quantile is the
first time at which 1 - S(t) reaches p; if 1 - S(t) equals p (within sqrt(machine epsilon)) on a
flat segment, the quantile is the midpoint of that segment, and a flat segment at the end of
follow-up ends at the last observed time. Confidence limits for a quantile are the same
construction applied to the pointwise confidence limits of S(t) (Brookmeyer & Crowley 1982,
Biometrics 38:29-41).
"""

from __future__ import annotations

import numpy as np

TOLERANCE = float(np.sqrt(np.finfo(float).eps))


def _first_reaching(ys: np.ndarray, idx: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Index of the first point with ``ys >= p`` (constant interpolation, right-hand value)."""
    order = np.argsort(ys, kind="stable")
    ys, idx = ys[order], idx[order]
    j = np.searchsorted(ys, p, side="left")
    out = np.full(p.shape, -1, dtype=np.int64)
    inside = (j < len(ys)) & ~((j == 0) & (ys[0] > p))
    out[inside] = idx[j[inside]]
    return out


def step_quantiles(
    time: np.ndarray, surv: np.ndarray, probs: np.ndarray, start: float = 0.0
) -> np.ndarray:
    """Quantiles of one step curve; NaN where the curve never reaches 1 - p.

    Parameters
    ----------
    time
        The curve's times (event and censoring times), increasing.
    surv
        S(t) at those times; NaN entries (undefined confidence limits) are skipped.
    probs
        Probabilities p in [0, 1]; the p-quantile is where 1 - S reaches p.
    start
        The curve's origin (the 0-quantile).
    """
    probs = np.asarray(probs, dtype=float)
    x = np.concatenate([[start], np.asarray(time, float)])
    y = np.concatenate([[0.0], 1.0 - np.asarray(surv, float)])
    out = np.full(probs.shape, np.nan)
    finite = ~np.isnan(y)
    if not finite.any() or y[finite].max() < probs.min():
        return out
    xmax = x[-1]
    # drop repeated levels (censoring times); all NaNs count as one level, as in R's duplicated()
    key = np.where(np.isnan(y), np.inf, y)
    _, first = np.unique(key, return_index=True)
    first.sort()
    x, y = x[first], y[first]
    keep = ~np.isnan(y)
    idx = np.flatnonzero(keep)
    yk = y[keep]
    i1 = _first_reaching(yk + TOLERANCE, idx, probs)
    i2 = _first_reaching(yk - TOLERANCE, idx, probs)
    ok = (i1 >= 0) & (i2 >= 0)
    out[ok] = (x[i1[ok]] + x[i2[ok]]) / 2.0
    out[probs == 0] = x[0]
    if not np.isnan(y[-1]):
        last = (np.abs(probs - y[-1]) < TOLERANCE) & (i1 >= 0)
        out[last] = (x[i1[last]] + xmax) / 2.0
    return out
