"""The precision of CML thresholds: levels, copy floors and the one comparison with them.

Every comparison of an IS % value, an upper bound, a copy number or a duration with a
threshold in the CML functions goes through :func:`compare`, at :data:`SIGNIFICANT_DIGITS`
significant digits, so that a threshold reached through float32 storage or arithmetic on copy
numbers is the threshold itself. :class:`Thresholds` holds the ELN 2020 levels (Hochhaus et
al. 2020, Leukemia 34:966-984) and the EUTOS copy floors (Cross et al. 2015, Leukemia
29:999-1003).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from survstat._choices import Comparison

#: Significant digits at which values are compared with thresholds (see :func:`compare`).
SIGNIFICANT_DIGITS = 6


_OPS: Mapping[Comparison, Callable[[Any, Any], Any]] = {
    "<=": operator.le,
    "<": operator.lt,
    ">": operator.gt,
    ">=": operator.ge,
}


def rounded(value: pl.Expr) -> pl.Expr:
    """``value`` as Float64 rounded to :data:`SIGNIFICANT_DIGITS` significant digits."""
    return value.cast(pl.Float64).round_sig_figs(SIGNIFICANT_DIGITS)


def _rounded_number(value: float) -> float:
    return float(pl.Series([float(value)]).round_sig_figs(SIGNIFICANT_DIGITS).item())


def compare(value: pl.Expr, op: Comparison, threshold: float | pl.Expr) -> pl.Expr:
    """Compare ``value`` with ``threshold`` at the stated precision.

    Both sides are rounded to :data:`SIGNIFICANT_DIGITS` significant digits first, so that a
    threshold reached through float32 storage (relative error 6e-8) or arithmetic on copy
    numbers is the threshold itself: ``compare(x, "<=", 0.0032)`` holds for x = float32(0.0032)
    = 0.0031999999. This is the only comparison with a threshold in the CML functions.

    Parameters
    ----------
    value
        An expression of IS % values, upper bounds, copy numbers or durations.
    op
        One of ``"<="``, ``"<"``, ``">"``, ``">="``.
    threshold
        The threshold (a level, an ELN cut-off, a copy floor, a duration), or an expression
        of one threshold per row.

    Returns
    -------
    polars.Expr
        The boolean comparison of the rounded values.
    """
    cut = rounded(threshold) if isinstance(threshold, pl.Expr) else _rounded_number(threshold)
    return _OPS[op](rounded(value), cut)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """IS % thresholds and the control-gene copies an undetectable sample needs per level.

    ``copies`` maps a control gene (matched case-insensitively) to the copies an undetectable
    result needs for MR4, MR4.5 and MR5 (EUTOS, Cross et al. 2015); fewer than the MR4
    floor make it not evaluable. ``inclusive`` (default True) reads each level as "at most"
    the threshold (ELN 2020), False as "below" it.
    """

    mmr: float = 0.1
    mr4: float = 0.01
    mr45: float = 0.0032
    mr5: float = 0.001
    inclusive: bool = True
    copies: Mapping[str, tuple[float, float, float]] = field(
        default_factory=lambda: {
            "ABL1": (10_000, 32_000, 100_000),
            "GUSB": (24_000, 77_000, 240_000),
        }
    )

    @property
    def level_op(self) -> Comparison:
        """The comparison that puts a value in a level: ``"<="`` or ``"<"``."""
        return "<=" if self.inclusive else "<"

    @property
    def beyond_op(self) -> Comparison:
        """The comparison that puts a value above a level: ``">"`` or ``">="``."""
        return ">" if self.inclusive else ">="

    def floors(self) -> dict[str, tuple[float, float, float]]:
        """Return the copy floors keyed by the upper-case gene name."""
        return {
            str(g).strip().upper(): (float(c[0]), float(c[1]), float(c[2]))
            for g, c in self.copies.items()
        }


__all__ = ["SIGNIFICANT_DIGITS", "Thresholds", "compare", "rounded"]
