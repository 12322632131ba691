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
)


@dataclass(frozen=True, slots=True)
class Design:
    """A model matrix and the names of its columns (terms)."""

    matrix: np.ndarray
    terms: tuple[str, ...]


def _is_categorical(dtype: pl.DataType) -> bool:
    return dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)


def design_matrix(
    frame: pl.DataFrame, covariates: Sequence[str], reference: Mapping[str, Any] | None = None
) -> Design:
    """Build the model matrix for ``covariates`` of ``frame``.

    Numeric and boolean columns enter as they are. Text, Categorical and Enum columns get one
    indicator per level except the reference level (the first sorted level, Enum order for
    Enums, or ``reference[column]``).
    """
    reference = dict(reference or {})
    unknown = sorted(set(reference) - set(covariates))
    if unknown:
        raise OptionError(f"`reference` names columns that are not covariates: {unknown}")
    blocks, names = [], []
    for col in covariates:
        if col not in frame.columns:
            raise ColumnNotFoundError(col, frame.columns, role="covariate")
        series = frame.get_column(col)
        n_null = series.null_count()
        if n_null:
            first = int(series.is_null().arg_true()[0])
            raise MissingValueError(
                f"`{col}` must not be missing; found {n_null} missing values of {len(series)} "
                f"rows (first at row {first})"
            )
        dtype = series.dtype
        if _is_categorical(dtype):
            levels = (
                series.unique().sort().to_list()
                if not isinstance(dtype, pl.Enum)
                else [
                    lvl
                    for lvl in dtype.categories.to_list()
                    if lvl in set(series.unique().to_list())
                ]
            )
            ref = reference.get(col, levels[0])
            if ref not in levels:
                raise OptionError(f"reference level {ref!r} not found in `{col}`; levels: {levels}")
            values = series.cast(pl.String).to_numpy()
            for lvl in levels:
                if lvl == ref:
                    continue
                blocks.append((values == str(lvl)).astype(float))
                names.append(f"{col}[{lvl}]")
        elif dtype.is_numeric() or dtype == pl.Boolean:
            x = series.cast(pl.Float64).to_numpy()
            bad = ~np.isfinite(x)
            if bad.any():
                raise InvalidValueError(
                    f"`{col}` must be finite; found {int(bad.sum())} non-finite values of "
                    f"{len(x)} rows (first: {x[bad][0]} at row {int(np.flatnonzero(bad)[0])})"
                )
            blocks.append(x)
            names.append(col)
        else:
            raise ColumnTypeError(
                f"`{col}` (covariate) must be numeric, boolean or categorical; found dtype {dtype}"
            )
    if not blocks:
        raise OptionError("give at least one covariate")
    return Design(np.column_stack(blocks), tuple(names))


def hazard_ratio_table(
    terms: tuple[str, ...], beta: np.ndarray, covariance: np.ndarray, conf_level: float
) -> pl.DataFrame:
    """``term, coef, std_error, hazard_ratio, conf_low, conf_high, z, p_value`` (Wald)."""
    from scipy import stats

    from survstat.estimators._confint import z_value

    z = z_value(conf_level)
    se = np.sqrt(np.diag(covariance))
    zval = beta / se
    return pl.DataFrame(
        {
            "term": list(terms),
            "coef": beta,
            "std_error": se,
            "hazard_ratio": np.exp(beta),
            "conf_low": np.exp(beta - z * se),
            "conf_high": np.exp(beta + z * se),
            "z": zval,
            "p_value": 2.0 * stats.norm.sf(np.abs(zval)),
        }
    )
