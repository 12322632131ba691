"""The arms of a trial in efficacy tables.

Which arms, in what order, the reference arm, and each arm's hazard ratio against it from one
Cox model.

Shared by the per-arm efficacy table (:mod:`survstat.analyses.efficacy`) and the biomarker
subgroups (:mod:`survstat.analyses.subgroups`). The arm column may hold text, integer codes or
booleans: it enters every Cox model as categorical (one indicator per arm against the
reference, R's treatment contrasts) and keeps its values and type in the output.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from survstat.endpoints.recist_input import counted
from survstat.errors import (
    ColumnNotFoundError,
    EmptyDataError,
    InvalidValueError,
    MissingValueError,
    OptionError,
    SurvstatError,
)


def check_roles(by: str, strata: str | Sequence[str] | None) -> list[str]:
    """Return the strata columns as a list, after checking that the arm is not one of them.

    A hazard ratio or log-rank test of the arms within strata of the arm itself compares
    nothing, so giving ``by`` as a stratum is an error before any model is fitted.
    """
    strata_cols = [strata] if isinstance(strata, str) else list(strata or [])
    if by in strata_cols:
        raise OptionError(
            f"column `{by}` is used both as the arm (`by`) and as strata; arms cannot be "
            "compared within strata of the arm: drop it from `strata`"
        )
    return strata_cols


def sorted_levels(column: pl.Series) -> list[Any]:
    """Return the arms in order: numeric and boolean arms by value (1, 2, 10), others as text."""
    values = column.unique().to_list()
    if column.dtype.is_numeric() or column.dtype == pl.Boolean:
        return sorted(values)
    return sorted(values, key=str)


def reference_level(reference: Any, levels: list[Any], by: str) -> Any:
    """Return the level that ``reference`` names.

    ``reference`` is the level itself, or its text (``"2"`` for the integer arm 2, ``"true"``
    for True), as a command line or job file gives it.
    """
    if reference is None:
        return levels[0]
    if reference in levels:
        return levels[levels.index(reference)]
    text = str(reference).strip()
    for level in levels:
        if isinstance(level, bool):
            same = text.lower() == str(level).lower()
        elif isinstance(level, int | float):
            try:
                same = float(text) == level
            except ValueError:
                same = False
        else:
            same = text == str(level)
        if same:
            return level
    raise OptionError(f"reference arm {reference!r} not found in `{by}`; arms: {levels}")


def read_arms(
    frame: pl.DataFrame,
    by: str,
    reference: Any,
    strata: str | Sequence[str] | None,
    needed: Sequence[str],
) -> tuple[list[str], list[Any], Any]:
    """Strata columns, sorted arms and the reference arm, after checking the columns exist."""
    strata_cols = check_roles(by, strata)
    for name in (by, *needed, *strata_cols):
        if name not in frame.columns:
            raise ColumnNotFoundError(name, frame.columns)
    if frame.height == 0:
        raise EmptyDataError("the endpoint table has no rows")
    for name in (by, *strata_cols):
        missing = pl.col(name).is_null()
        if frame.schema[name].is_float():
            missing = missing | pl.col(name).is_nan()
        rows = frame.with_row_index("__r").filter(missing)["__r"]
        if rows.len():
            raise MissingValueError(
                f"`{name}` is missing for {rows.len()} of {counted(frame.height, 'row')} "
                f"(first: row {rows[0]})"
            )
    levels = sorted_levels(frame.get_column(by))
    if len(levels) < 2:
        raise InvalidValueError(f"`{by}` needs at least two arms; found {levels}")
    return strata_cols, levels, reference_level(reference, levels, by)


def in_arm_order(table: pl.DataFrame, by: str, order: Sequence[Any]) -> pl.DataFrame:
    """``table`` with its rows in the order of the arms in ``order``."""
    key = pl.DataFrame(
        {by: pl.Series(list(order), dtype=table.schema[by]), "__order": range(len(order))}
    )
    return table.join(key, on=by, how="left").sort("__order", maintain_order=True).drop("__order")


def median_columns(km: Any, by: str, prefix: str = "pfs") -> pl.DataFrame:
    """Median per arm with its interval, under the table's column names."""
    return km.median().select(
        by,
        pl.col("time").alias(f"{prefix}_median"),
        pl.col("conf_low").alias(f"{prefix}_median_conf_low"),
        pl.col("conf_high").alias(f"{prefix}_median_conf_high"),
    )


#: Why a hazard ratio is not shown, by the status cox() gives its term.
COX_STATUS = {
    "infinite": "hazard ratio infinite (monotone likelihood: every event in one arm comes "
    "first): not estimable",
    "aliased": "arm aliased with the strata in the Cox model: not estimable",
}

#: A hazard ratio with its interval and, when it is null, why (else None).
HazardRatio = tuple[float | None, float | None, float | None, str | None]


def arm_labels(frame: pl.DataFrame, by: str) -> dict[Any, str]:
    """Each arm's text, under which the Cox model names its term (``arm[2]``, ``arm[true]``)."""
    pairs = frame.select(pl.col(by), pl.col(by).cast(pl.String).alias("__label")).unique()
    return dict(pairs.iter_rows())


def cox_by_arm(
    frame: pl.DataFrame,
    by: str,
    levels: Sequence[Any],
    ref: Any,
    strata_cols: list[str],
    time: str,
    event: str,
    conf_level: float,
    where: str = "",
) -> dict[Any, HazardRatio]:
    """Estimate the hazard ratio of each non-reference arm against ``ref`` in one Cox model.

    The arms enter as indicators (Efron ties, stratified when asked); a hazard ratio is null
    with the reason when an arm has no rows or no events (``where`` says where, e.g. " in the
    biomarker-high subgroup"), or when cox() gives its term a status other than ``ok``.

    The arm column enters the model as text whatever its type, so that integer codes (1, 2,
    3) and booleans are arms, not a numeric covariate.
    """
    from survstat.estimators.cox import cox

    n_events = dict(
        frame.group_by(by).agg(pl.col(event).cast(pl.Int64).sum().alias("e")).iter_rows()
    )
    notes: dict[Any, str] = {}
    for arm in (a for a in levels if a != ref):
        if arm not in n_events:
            notes[arm] = f"no patients in arm {arm!r}{where}: not estimable"
        elif not n_events.get(ref):
            notes[arm] = f"no events in the reference arm {ref!r}{where}: not estimable"
        elif not n_events[arm]:
            notes[arm] = f"no events in arm {arm!r}{where}: not estimable"
    others = [a for a in levels if a != ref]
    fitted = [ref] + [a for a in others if a not in notes]
    out: dict[Any, HazardRatio] = {a: (None, None, None, notes[a]) for a in notes}
    if len(fitted) < 2:
        return out
    part = frame.filter(pl.col(by).is_in(fitted))
    label = arm_labels(part, by)
    try:
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            fit = cox(
                part.with_columns(pl.col(by).cast(pl.String)),
                time=time,
                event=event,
                covariates=[by],
                strata=strata_cols or None,
                reference={by: label[ref]},
                conf_level=conf_level,
            )
    except SurvstatError as exc:
        out.update({a: (None, None, None, f"Cox fit failed: {exc}") for a in fitted[1:]})
        return out
    terms = {r["term"]: r for r in fit.table.iter_rows(named=True)}
    for arm in fitted[1:]:
        row = terms.get(f"{by}[{label[arm]}]")
        if row is None:  # pragma: no cover - cox() gives every level but the reference a term
            out[arm] = (None, None, None, "no Cox term for this arm: not estimable")
            continue
        values = (row["hazard_ratio"], row["conf_low"], row["conf_high"])
        # cox() leaves an infinite, aliased or not converged term's estimate null: say why
        if row["status"] == "not converged":
            why = f"Cox fit did not converge in {fit.iterations} iterations: not reported"
        elif row["status"] != "ok":
            why = COX_STATUS.get(row["status"], f"Cox term {row['status']}: not reported")
        elif any(v is None or not np.isfinite(v) for v in values):
            why = "hazard ratio or its interval not finite: not reported"
        else:
            out[arm] = (*values, None)
            continue
        out[arm] = (None, None, None, why)
    return out
