"""Risk tables laid out as (stratum, time) rows by group columns, for K-sample tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from survstat._segments import Segments
from survstat.errors import InvalidValueError
from survstat.risk import RiskTable


def group_codes(keys: pl.DataFrame, cols: Sequence[str]) -> tuple[np.ndarray, pl.DataFrame]:
    """Integer code per key row for the combination of ``cols``, and the sorted levels."""
    if not cols:
        return np.zeros(keys.height, dtype=np.int64), pl.DataFrame()
    levels = keys.select(cols).unique().sort(list(cols)).with_row_index("__code")
    codes = keys.select(cols).join(levels, on=list(cols), how="left", maintain_order="left")
    return codes.get_column("__code").to_numpy().astype(np.int64), levels.drop("__code")


@dataclass(frozen=True, slots=True)
class GroupGrid:
    """One row per (stratum, distinct time), one column per compared group.

    Attributes
    ----------
    levels
        The compared groups (``by`` levels), in column order.
    strata
        Row layout: stratum ``s`` owns rows ``strata.offsets[s]:strata.offsets[s + 1]``.
    at_risk
        (rows, groups) number at risk just before each row's time.
    group_of_curve
        Column index of each risk-table curve.
    """

    levels: pl.DataFrame
    strata: Segments
    at_risk: np.ndarray
    group_of_curve: np.ndarray
    _flat: np.ndarray
    _shape: tuple[int, int]

    def wide(self, values: np.ndarray) -> np.ndarray:
        """Spread a per-risk-table-row quantity over the (rows, groups) grid."""
        out = np.bincount(self._flat, weights=values, minlength=self._shape[0] * self._shape[1])
        return out.reshape(self._shape)

    def scan(self, matrix: np.ndarray) -> np.ndarray:
        """Cumulative sums down the rows of each stratum, column by column."""
        return np.column_stack([self.strata.cumsum(matrix[:, j]) for j in range(self._shape[1])])


def group_grid(rt: RiskTable, strata: Sequence[str], by: Sequence[str]) -> GroupGrid:
    """Lay ``rt`` (built with groups = strata + by) out for comparing the ``by`` groups."""
    s_code, _ = group_codes(rt.keys, strata)
    k_code, levels = group_codes(rt.keys, by)
    n_groups = levels.height
    if n_groups < 2:
        raise InvalidValueError(f"`{', '.join(by)}` has a single group; nothing to compare")
    rows = pl.DataFrame({"s": s_code[rt.curve], "time": rt.time})
    cells = rows.unique(maintain_order=False).sort(["s", "time"]).with_row_index("r")
    r = rows.join(cells, on=["s", "time"], how="left", maintain_order="left").get_column("r")
    n_rows = cells.height
    flat = r.to_numpy().astype(np.int64) * n_groups + k_code[rt.curve]
    row_s = cells.get_column("s").to_numpy().astype(np.int64)
    segs = Segments(np.append(np.flatnonzero(np.r_[True, row_s[1:] != row_s[:-1]]), n_rows))
    grid = GroupGrid(levels, segs, np.empty(0), k_code, flat, (n_rows, n_groups))
    exits = grid.wide(rt.n_event + rt.n_censor)
    exited_before = grid.scan(exits) - exits
    if rt.has_entry:
        entries = grid.wide(rt.n_entry)
        at_risk = grid.scan(entries) - entries - exited_before
    else:
        totals = np.add.reduceat(exits, segs.starts(), axis=0)
        at_risk = totals[segs.curve] - exited_before
    return GroupGrid(levels, segs, at_risk, k_code, flat, (n_rows, n_groups))
