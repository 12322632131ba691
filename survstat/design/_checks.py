"""Checks of design targets, each failing with one line that names the option and value."""

from __future__ import annotations

import math

from survstat.errors import OptionError


def probability(value: float, flag: str) -> float:
    """``value`` if it is a number strictly between 0 and 1, else an error naming ``flag``."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or not 0 < value < 1:
        raise OptionError(f"`{flag}` must be in (0, 1); got {value!r}")
    return float(value)


def significance(value: float, sided: int = 1) -> float:
    """``--alpha`` if it is in (0, 1) and leaves each tail below one half (a test at one-sided
    level 0.5 or more rejects more often than chance would), else an error."""
    alpha = probability(value, "--alpha")
    if alpha / sided >= 0.5:
        tail = "a one-sided test" if sided == 1 else "each tail of a two-sided test"
        raise OptionError(f"`--alpha` must leave {tail} below 0.5; got {value!r}")
    return alpha


def positive(value: float, flag: str) -> float:
    """``value`` if it is a finite number above 0, else an error naming ``flag``."""
    if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise OptionError(f"`{flag}` must be a number above 0; got {value!r}")
    return float(value)


def sided(value: int) -> int:
    """``value`` if it is 1 or 2 (a one- or two-sided test), else an error."""
    if isinstance(value, bool) or value not in (1, 2):
        raise OptionError(f"`--sided` must be 1 or 2; got {value!r}")
    return int(value)


def rates(p0: float, p1: float) -> tuple[float, float]:
    """The uninteresting and the target response rates, the target above the other."""
    p0, p1 = probability(p0, "--p0"), probability(p1, "--p1")
    if p1 <= p0:
        raise OptionError(
            f"`--p1` (the rate worth pursuing) must be above `--p0` (the rate not worth "
            f"pursuing); got p0 = {p0:g}, p1 = {p1:g}"
        )
    return p0, p1


def max_n(value: int, limit: int) -> int:
    """A largest sample size to search, from 1 to ``limit``."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
        raise OptionError(f"`--max-n` must be a whole number from 1 to {limit}; got {value!r}")
    return value
