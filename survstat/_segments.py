"""Scans within curves.

Risk-table rows are sorted by curve, then time; cumulative sums and products must restart at
each curve and stay exact within it (no rounding carried over from earlier curves, and an
infinite term in one curve must not leak into the next). When curves have similar lengths the
rows are laid out as a padded (curves x longest curve) grid and scanned along its rows, which
is cache-friendly and vectorised; otherwise polars' window expressions do the scan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

#: Largest padded grid, as a multiple of the number of rows, worth laying out.
_MAX_PADDING = 4


@dataclass(frozen=True, slots=True, init=False)
class Segments:
    """Row layout of consecutive curves: curve ``i`` owns rows ``offsets[i]:offsets[i+1]``.

    ``curve`` (the curve index of every row) is derived from ``offsets`` when not given.
    """

    offsets: np.ndarray
    curve: np.ndarray = field(repr=False)
    _flat: np.ndarray | None = field(repr=False)
    _width: int = field(repr=False)

    def __init__(self, offsets: np.ndarray, curve: np.ndarray | None = None) -> None:
        offsets = np.asarray(offsets, dtype=np.int64)
        lengths = np.diff(offsets)
        n_rows = int(offsets[-1]) if len(offsets) else 0
        if curve is None:
            curve = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        width = int(lengths.max(initial=0))
        flat = None
        if len(lengths) > 1 and len(lengths) * width <= max(_MAX_PADDING * n_rows, 1 << 16):
            flat = np.arange(n_rows, dtype=np.int64) + (curve * width - offsets[:-1][curve])
        object.__setattr__(self, "offsets", offsets)
        object.__setattr__(self, "curve", curve)
        object.__setattr__(self, "_flat", flat)
        object.__setattr__(self, "_width", width)

    @property
    def n_curves(self) -> int:
        return len(self.offsets) - 1

    def _scan(self, values: np.ndarray, op: str) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        scan = np.cumsum if op == "sum" else np.cumprod
        if self.n_curves <= 1:
            return scan(values)
        if self._flat is not None:
            grid = np.full(self.n_curves * self._width, 0.0 if op == "sum" else 1.0)
            grid[self._flat] = values
            rows = grid.reshape(self.n_curves, self._width)
            scan(rows, axis=1, out=rows)
            return grid[self._flat]
        frame = pl.DataFrame({"c": self.curve, "x": values})
        expr = pl.col("x").cum_sum() if op == "sum" else pl.col("x").cum_prod()
        return frame.select(expr.over("c")).to_series().to_numpy()

    def cumsum(self, values: np.ndarray) -> np.ndarray:
        """Cumulative sum restarting at every curve."""
        return self._scan(values, "sum")

    def reverse_cumsum(self, values: np.ndarray) -> np.ndarray:
        """Sum from each row to the end of its curve."""
        values = np.asarray(values, dtype=float)
        reverse = Segments(len(values) - self.offsets[::-1])
        return reverse.cumsum(values[::-1])[::-1]

    def cumprod(self, values: np.ndarray) -> np.ndarray:
        """Cumulative product restarting at every curve."""
        return self._scan(values, "prod")

    def starts(self) -> np.ndarray:
        """Index of each curve's first row."""
        return self.offsets[:-1]
