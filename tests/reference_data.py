"""Access to the R reference values in ``tests/reference/r_reference.json``.

The JSON is written by ``tests/reference/make_reference.R`` (R ``survival`` 3.5); R's
``NA``/``NaN``/``Inf`` appear as strings there and become NaN/inf here.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

REFERENCE = Path(__file__).parent / "reference" / "r_reference.json"
_SPECIAL = {"NA": np.nan, "NaN": np.nan, "Inf": np.inf, "-Inf": -np.inf}


@cache
def reference() -> dict[str, Any]:
    return json.loads(REFERENCE.read_text())


def cases() -> list[dict[str, Any]]:
    return reference()["cases"]


def case(name: str) -> dict[str, Any]:
    for c in cases():
        if c["name"] == name:
            return c
    raise KeyError(name)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def num(value: Any) -> np.ndarray:
    """R numbers (scalar or vector, with "NA"/"Inf" strings) as a float array."""
    if isinstance(value, np.ndarray):
        return value.astype(float)
    return np.array(
        [_SPECIAL.get(v, v) if isinstance(v, str) else v for v in as_list(value)], float
    )


def frame(c: dict[str, Any]) -> pl.DataFrame:
    """The case's data with integer columns as Int64, other numbers as Float64, text as String."""
    cols = {}
    for name, values in c["data"].items():
        values = as_list(values)
        if all(isinstance(v, str) for v in values):
            cols[name] = pl.Series(name, values, dtype=pl.String)
        elif all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            cols[name] = pl.Series(name, values, dtype=pl.Int64)
        else:
            cols[name] = pl.Series(name, [float(v) for v in values], dtype=pl.Float64)
    return pl.DataFrame(cols)


def roles(c: dict[str, Any], *, keep_strata: bool = False) -> dict[str, str]:
    """Column roles of a case as keyword arguments (R's survfit curves are per ``by`` only)."""
    spec = c["spec"]
    out = {"time": spec["time"], "event": spec["event"]}
    for key in ("by", "entry", "weight") + (("strata",) if keep_strata else ()):
        if key in spec:
            out[key] = spec[key]
    return out


def curve_label(frame_row: dict[str, Any], groups: tuple[str, ...]) -> str:
    """R's strata label ("x=Maintained") of a result row; "all" without groups."""
    if not groups:
        return "all"
    return ", ".join(f"{g}={frame_row[g]}" for g in groups)


def to_array(series: pl.Series) -> np.ndarray:
    return series.cast(pl.Float64).fill_null(np.nan).to_numpy()
