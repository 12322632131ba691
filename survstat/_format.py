"""Formatting of table cells for the terminal and the HTML report."""

from __future__ import annotations

import math
from typing import Any


def format_value(value: Any) -> str:
    """A table cell as text: integers without decimals, 4 decimals, else 4 significant digits."""
    if value is None:
        return "—"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if value.is_integer() and abs(value) < 1e15:
            return f"{value:.0f}"
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e6):
            return f"{value:.4g}"
        return f"{value:.4f}"
    return str(value)
