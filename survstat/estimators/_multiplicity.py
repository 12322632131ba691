"""Multiplicity adjustment of a family of p-values (R ``p.adjust``).

Holm's step-down adjustment controls the family-wise error rate (Holm 1979, Scand J Stat
6:65-70); Benjamini & Hochberg's step-up adjustment controls the false discovery rate
(Benjamini & Hochberg 1995, J R Stat Soc B 57:289-300). Missing p-values (None) stay missing
and do not count towards the family size, as ``p.adjust(..., n = sum(!is.na(p)))``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _present(p: Sequence[float | None]) -> tuple[np.ndarray, np.ndarray]:
    values = np.array([np.nan if v is None else float(v) for v in p], dtype=float)
    return values, np.flatnonzero(~np.isnan(values))


def holm(p: Sequence[float | None]) -> list[float | None]:
    """Holm's adjusted p-values: the i-th smallest of m becomes the running maximum of
    min(1, (m - i + 1) p_(i)) (R ``p.adjust(p, "holm")``).

    Parameters
    ----------
    p
        The p-values (None: missing).

    Returns
    -------
    list of float or None
        The adjusted p-values in the input order.
    """
    values, idx = _present(p)
    out: list[float | None] = [None] * len(values)
    m = len(idx)
    if m == 0:
        return out
    order = idx[np.argsort(values[idx], kind="stable")]
    scaled = (m - np.arange(m)) * values[order]
    adjusted = np.minimum(1.0, np.maximum.accumulate(scaled))
    for i, v in zip(order, adjusted, strict=True):
        out[int(i)] = float(v)
    return out


def benjamini_hochberg(p: Sequence[float | None]) -> list[float | None]:
    """Benjamini & Hochberg's adjusted p-values: the i-th smallest of m becomes the running
    minimum from the largest of min(1, m p_(i) / i) (R ``p.adjust(p, "BH")``).

    Parameters
    ----------
    p
        The p-values (None: missing).

    Returns
    -------
    list of float or None
        The adjusted p-values in the input order.
    """
    values, idx = _present(p)
    out: list[float | None] = [None] * len(values)
    m = len(idx)
    if m == 0:
        return out
    order = idx[np.argsort(-values[idx], kind="stable")]  # largest first
    rank = m - np.arange(m)
    adjusted = np.minimum(1.0, np.minimum.accumulate(m / rank * values[order]))
    for i, v in zip(order, adjusted, strict=True):
        out[int(i)] = float(v)
    return out
