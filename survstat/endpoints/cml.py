"""Molecular response in chronic myeloid leukaemia: classifying BCR-ABL1 results.

Levels on the International Scale (IS %), as defined by the European LeukemiaNet (Hochhaus et
al. 2020, Leukemia 34:966-984) and the EUTOS laboratory recommendations (Cross et al. 2015,
Leukemia 29:999-1003):

=========  ============  =====================================================
level      IS %          undetectable BCR-ABL1 needs at least (ABL1 / GUSB copies)
=========  ============  =====================================================
MMR (MR3)  <= 0.1        —
MR4        <= 0.01       10,000 / 24,000
MR4.5      <= 0.0032     32,000 / 77,000
MR5        <= 0.001      100,000 / 240,000
=========  ============  =====================================================

A detectable result is classified by its IS value; log reduction = log10(100 / IS %). An
undetectable result is classified by the sensitivity of the sample, i.e. the control-gene copies
in the same volume; undetectable with fewer copies than the MR4 floor is *not evaluable*, never a
response. Sources differ on <= versus < at the thresholds: <= is the default.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidValueError,
    MissingValueError,
    OptionError,
    SurvstatWarning,
)
from survstat.io import FrameLike, scan

#: Response levels from shallowest to deepest; "none" is a detectable result above MMR.
LEVELS = ("none", "MMR", "MR4", "MR4.5", "MR5")


@dataclass(frozen=True, slots=True)
class Thresholds:
    """IS % thresholds and the control-gene copies an undetectable sample needs per level."""

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


@dataclass(frozen=True, slots=True)
class Columns:
    """Names of the lab-result columns."""

    patient: str = "patient_id"
    time: str = "time"
    is_percent: str = "is_percent"
    detected: str = "detected"
    control_gene: str = "control_gene"
    control_copies: str = "control_copies"


def _first(frame: pl.DataFrame, mask: np.ndarray, cols: Columns) -> str:
    i = int(np.flatnonzero(mask)[0])
    return f"patient {frame[cols.patient][i]!r} at {cols.time} {frame[cols.time][i]}"


def classify_samples(
    labs: FrameLike,
    *,
    columns: Columns | None = None,
    thresholds: Thresholds | None = None,
) -> pl.DataFrame:
    """Classify each BCR-ABL1 result: MR level, log reduction, evaluable flag and reason.

    Returns the input columns followed by ``level`` (one of :data:`LEVELS`, null when not
    evaluable), ``log_reduction`` (null for undetectable samples), ``evaluable`` and ``reason``.

    Examples
    --------
    >>> import polars as pl
    >>> labs = pl.DataFrame({"patient_id": ["a", "a", "b"], "time": [3.0, 6.0, 3.0],
    ...     "is_percent": [0.05, None, None], "detected": [True, False, False],
    ...     "control_gene": ["ABL1"] * 3, "control_copies": [50_000, 40_000, 9_000]})
    >>> classify_samples(labs).get_column("level").to_list()
    ['MMR', 'MR4.5', None]
    """
    cols = columns or Columns()
    thr = thresholds or Thresholds()
    lazy, _ = scan(labs)
    schema = lazy.collect_schema()
    for role in ("patient", "time", "is_percent", "detected", "control_gene", "control_copies"):
        name = getattr(cols, role)
        if name not in schema:
            raise ColumnNotFoundError(name, schema.names(), role=role)
    if schema[cols.detected] != pl.Boolean:
        raise ColumnTypeError(
            f"`{cols.detected}` (detected) must be boolean; found {schema[cols.detected]}"
        )
    frame = lazy.collect()
    detected = frame.get_column(cols.detected).to_numpy()
    is_pct = frame.get_column(cols.is_percent).cast(pl.Float64).to_numpy()
    copies = frame.get_column(cols.control_copies).cast(pl.Float64).to_numpy()
    gene = frame.get_column(cols.control_gene).cast(pl.String).to_numpy()
    _validate(frame, cols, thr, detected, is_pct, copies, gene)
    n = frame.height
    level = np.full(n, None, dtype=object)
    reason = np.full(n, "", dtype=object)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_red = np.where(detected, np.log10(100.0 / is_pct), np.nan)
    le = np.less_equal if thr.inclusive else np.less
    det = detected.astype(bool)
    for name, cut in (("MR5", thr.mr5), ("MR4.5", thr.mr45), ("MR4", thr.mr4), ("MMR", thr.mmr)):
        hit = det & (level == None) & le(is_pct, cut)  # noqa: E711
        level[hit] = name
    level[det & (level == None)] = "none"  # noqa: E711
    reason[det] = "detectable: classified by IS %"
    for g, (c4, c45, c5) in thr.copies.items():
        und = ~det & (gene == g)
        for name, floor in (("MR5", c5), ("MR4.5", c45), ("MR4", c4)):
            hit = und & (level == None) & (copies >= floor)  # noqa: E711
            level[hit] = name
            reason[hit] = f"undetectable with {g} >= {floor:,.0f} copies"
        low = und & (level == None)  # noqa: E711
        reason[low] = [
            f"undetectable with only {c:,.0f} {g} copies (< {c4:,.0f}): sensitivity too low"
            for c in copies[low]
        ]
    evaluable = level != None  # noqa: E711
    return frame.with_columns(
        pl.Series("level", level.tolist(), dtype=pl.Enum(list(LEVELS))),
        pl.Series("log_reduction", log_red, nan_to_null=True),
        pl.Series("evaluable", evaluable.astype(bool)),
        pl.Series("reason", reason.tolist(), dtype=pl.String),
    )


def _validate(frame, cols, thr, detected, is_pct, copies, gene) -> None:
    n = frame.height
    if frame.get_column(cols.detected).null_count():
        raise MissingValueError(f"`{cols.detected}` must not be missing")
    det = detected.astype(bool)
    neg = det & (is_pct < 0)
    if neg.any():
        raise InvalidValueError(
            f"`{cols.is_percent}` must not be negative; found {int(neg.sum())} of {n} rows "
            f"(first: {is_pct[neg][0]} for {_first(frame, neg, cols)})"
        )
    missing = det & ~np.isfinite(is_pct)
    if missing.any():
        raise MissingValueError(
            f"`{cols.is_percent}` is missing for {int(missing.sum())} detected samples "
            f"(first: {_first(frame, missing, cols)})"
        )
    above = det & (is_pct > 100)
    if above.any():
        warnings.warn(
            f"`{cols.is_percent}` above 100% in {int(above.sum())} samples (first: "
            f"{is_pct[above][0]} for {_first(frame, above, cols)}); check the IS conversion",
            SurvstatWarning,
            stacklevel=3,
        )
    no_copies = ~det & ~np.isfinite(copies)
    if no_copies.any():
        raise MissingValueError(
            f"`{cols.control_copies}` is needed for undetectable samples; missing in "
            f"{int(no_copies.sum())} (first: {_first(frame, no_copies, cols)})"
        )
    unknown = ~det & ~np.isin(gene, list(thr.copies))
    if unknown.any():
        raise InvalidValueError(
            f"`{cols.control_gene}` must be one of {sorted(thr.copies)} for undetectable samples; "
            f"found {sorted(set(gene[unknown].tolist()), key=str)[:5]} "
            f"(first: {_first(frame, unknown, cols)})"
        )
    dup = frame.select(pl.struct(cols.patient, cols.time).is_duplicated()).to_series().to_numpy()
    if dup.any():
        raise InvalidValueError(
            f"duplicated samples: {int(dup.sum())} rows share a ({cols.patient}, {cols.time}) "
            f"(first: {_first(frame, dup, cols)})"
        )


def level_rank(level: str) -> int:
    """Depth of a response level (0 = none ... 4 = MR5)."""
    if level not in LEVELS:
        raise OptionError(f"level must be one of {', '.join(LEVELS[1:])}; got {level!r}")
    return LEVELS.index(level)


__all__ = ["LEVELS", "Columns", "Thresholds", "classify_samples", "level_rank"]
