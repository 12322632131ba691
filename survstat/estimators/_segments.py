"""Scans within curves.

Risk-table rows are sorted by curve, then time; cumulative sums and products must restart at
each curve. polars' window expressions do that exactly (no cross-curve rounding, and an
infinite term in one curve cannot leak into the next).
"""

from __future__ import annotations

import numpy as np
import polars as pl


def _scan(values: np.ndarray, curve: np.ndarray, n_curves: int, op: str) -> np.ndarray:
    if n_curves <= 1:
        return np.cumsum(values) if op == "sum" else np.cumprod(values)
    frame = pl.DataFrame({"c": curve, "x": values})
    expr = pl.col("x").cum_sum() if op == "sum" else pl.col("x").cum_prod()
    return frame.select(expr.over("c")).to_series().to_numpy()


def cumsum(values: np.ndarray, curve: np.ndarray, n_curves: int) -> np.ndarray:
    """Cumulative sum of ``values`` restarting at every curve."""
    return _scan(values, curve, n_curves, "sum")


def cumprod(values: np.ndarray, curve: np.ndarray, n_curves: int) -> np.ndarray:
    """Cumulative product of ``values`` restarting at every curve."""
    return _scan(values, curve, n_curves, "prod")


def curve_of(offsets: np.ndarray) -> np.ndarray:
    """Curve index of each row from curve start offsets (``len(offsets) == n_curves + 1``)."""
    return np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
