"""Model matrices from covariate columns: numeric columns as they are, categorical ones as
treatment (dummy) contrasts against a reference level, with terms named like ``arm[B]``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidValueError,
    MissingValueError,
    OptionError,
    counted,
)


@dataclass(frozen=True, slots=True)
class Design:
    """A model matrix and the names of its columns (terms)."""

    matrix: np.ndarray
    terms: tuple[str, ...]
    #: Per term, whether it is an indicator (a level of a categorical covariate, or a boolean
    #: covariate): R centres only the other terms (``coxph``'s ``means`` are 0 for them).
    indicator: tuple[bool, ...] = ()
    #: Per term, its covariate and, for a level of a categorical covariate, the level.
    source: tuple[tuple[str, str | None], ...] = ()
    #: The reference level of each categorical covariate.
    references: tuple[tuple[str, str], ...] = ()


def _is_categorical(dtype: pl.DataType) -> bool:
    return dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)


def covariate_list(covariates: str | Sequence[str]) -> list[str]:
    """``covariates`` as a list; a covariate listed twice is an :class:`OptionError`."""
    names = [covariates] if isinstance(covariates, str) else list(covariates)
    repeated = sorted({c for c in names if names.count(c) > 1})
    if repeated:
        raise OptionError(f"covariate(s) listed more than once: {repeated}")
    return names


def design_matrix(
    frame: pl.DataFrame, covariates: Sequence[str], reference: Mapping[str, Any] | None = None
) -> Design:
    """Build the model matrix for ``covariates`` of ``frame``.

    Numeric and boolean columns enter as they are. Text, Categorical and Enum columns get one
    indicator per level except the reference level (the first sorted level with rows, Enum
    order for Enums, or ``reference[column]``), as R's treatment contrasts. An Enum level with
    no rows still gets its (all-zero) indicator, as an unused factor level does in R's
    ``model.matrix``; the model then reports it as aliased.

    Raises :class:`OptionError` when a covariate is listed twice, when ``reference`` names a
    column that is not a categorical covariate (a numeric covariate has no reference level), or
    a level that is not in the column or has no rows.
    """
    reference = dict(reference or {})
    unknown = sorted(set(reference) - set(covariates))
    if unknown:
        raise OptionError(f"`reference` names columns that are not covariates: {unknown}")
    covariates = covariate_list(covariates)
    blocks, names, indicator = [], [], []
    source: list[tuple[str, str | None]] = []
    references: list[tuple[str, str]] = []
    for col in covariates:
        if col not in frame.columns:
            raise ColumnNotFoundError(col, frame.columns, role="covariate")
        series = frame.get_column(col)
        n_null = series.null_count()
        if n_null:
            first = int(series.is_null().arg_true()[0])
            raise MissingValueError(
                f"`{col}` must not be missing; found {counted(n_null, 'missing value')} of "
                f"{counted(len(series), 'row')} (first at row {first})"
            )
        dtype = series.dtype
        if _is_categorical(dtype):
            present = series.unique().sort().to_list()
            levels = dtype.categories.to_list() if isinstance(dtype, pl.Enum) else present
            ref = reference.get(col, next((lvl for lvl in levels if lvl in present), None))
            if ref not in levels:
                raise OptionError(f"reference level {ref!r} not found in `{col}`; levels: {levels}")
            if ref not in present:
                raise OptionError(
                    f"reference level {ref!r} of `{col}` has no rows; levels with rows: {present}"
                )
            if len(levels) < 2:
                raise OptionError(
                    f"`{col}` (covariate) has a single level {ref!r}: it cannot enter a model"
                )
            values = series.cast(pl.String).to_numpy()
            references.append((col, str(ref)))
            for lvl in levels:
                if lvl == ref:
                    continue
                blocks.append((values == str(lvl)).astype(float))
                names.append(f"{col}[{lvl}]")
                indicator.append(True)
                source.append((col, str(lvl)))
        elif dtype.is_numeric() or dtype == pl.Boolean:
            if col in reference:
                raise OptionError(
                    f"`reference` is for categorical covariates; `{col}` is {dtype} and enters "
                    "the model as it is"
                )
            x = series.cast(pl.Float64).to_numpy()
            bad = ~np.isfinite(x)
            if bad.any():
                raise InvalidValueError(
                    f"`{col}` must be finite; found {counted(bad.sum(), 'non-finite value')} of "
                    f"{counted(len(x), 'row')} (first: {x[bad][0]} at row "
                    f"{int(np.flatnonzero(bad)[0])})"
                )
            blocks.append(x)
            names.append(col)
            indicator.append(dtype == pl.Boolean)
            source.append((col, None))
        else:
            raise ColumnTypeError(
                f"`{col}` (covariate) must be numeric, boolean or categorical; found dtype {dtype}"
            )
    if not blocks:
        raise OptionError("give at least one covariate")
    return Design(
        np.column_stack(blocks), tuple(names), tuple(indicator), tuple(source), tuple(references)
    )
