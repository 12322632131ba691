"""Treatment-by-biomarker interaction tests across a panel of biomarkers, with multiplicity
adjustment.

For each biomarker, two Cox models on the patients with a value for it: treatment and
biomarker main effects, and the same with their interaction (every treatment indicator times
every biomarker column). The likelihood-ratio test of the interaction terms (R
``anova(coxph(Surv(time, event) ~ treatment * marker), coxph(... ~ treatment + marker))``)
asks whether the treatment effect depends on the biomarker: a predictive, not a prognostic,
biomarker. Across the panel the p-values are adjusted by Holm's method (family-wise error) and
by Benjamini & Hochberg's (false discovery rate), as R ``p.adjust``. With two arms and a
numeric or binary biomarker the interaction is one coefficient, reported as a ratio of hazard
ratios per unit of the biomarker with its Wald interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from survstat.data import SurvivalData, as_survival_data
from survstat.errors import (
    ColumnNotFoundError,
    EstimationError,
    InvalidValueError,
    OptionError,
)
from survstat.estimators._multiplicity import benjamini_hochberg, holm
from survstat.io import FrameLike

#: Columns of :attr:`InteractionResult.table`.
INTERACTION_COLUMNS = (
    "marker",
    "n",
    "n_event",
    "interaction_hr",
    "conf_low",
    "conf_high",
    "statistic",
    "df",
    "p_value",
    "p_holm",
    "p_bh",
    "status",
)


@dataclass(frozen=True, slots=True)
class InteractionResult:
    """Treatment-by-biomarker interaction tests (:func:`interaction_tests`).

    ``table`` has one row per biomarker (:data:`INTERACTION_COLUMNS`): the patients and events
    with a value for it; for two arms and a numeric or binary biomarker, the interaction as a
    ratio of hazard ratios per unit with its Wald interval (else null); the likelihood-ratio
    statistic, its degrees of freedom and p-value; the Holm and Benjamini–Hochberg adjusted
    p-values across the panel; and ``status``: ``ok``, or why the test is null (a model that
    did not converge or has an infinite or aliased interaction term).
    """

    table: pl.DataFrame
    treatment: str
    reference: Any


def interaction_tests(
    data: FrameLike | SurvivalData,
    *,
    time: str | None = None,
    event: str | None = None,
    treatment: str,
    markers: Sequence[str],
    reference: Any = None,
    censor: str | None = None,
    conf_level: float = 0.95,
) -> InteractionResult:
    """Test each biomarker of a panel for an interaction with treatment (Cox likelihood
    ratio), with Holm and Benjamini–Hochberg adjustment.

    Parameters
    ----------
    data, time, event, censor
        Right-censored survival data, as :func:`survstat.cox` takes them.
    treatment
        The treatment (arm) column, taken as categories.
    markers
        The biomarker columns: numeric, boolean (one term each) or text (indicators against
        the first level: the first in sorted order, or in the categories' order for an Enum
        such as the group column of ``survstat dichotomise``).
    reference
        The reference arm (default: the first in sorted order).
    conf_level
        Level of the interaction's Wald interval.

    Returns
    -------
    InteractionResult
        One row per biomarker.

    References
    ----------
    .. [1] Holm S (1979). A simple sequentially rejective multiple test procedure. Scand J
       Stat 6:65-70.
    .. [2] Benjamini Y, Hochberg Y (1995). Controlling the false discovery rate. J R Stat Soc
       B 57:289-300.
    .. [3] Therneau TM, Grambsch PM (2000). Modeling Survival Data: Extending the Cox Model.
       Springer (likelihood-ratio tests of nested models).

    Examples
    --------
    >>> import survstat
    >>> res = survstat.interaction_tests(
    ...     survstat.datasets.load("gbsg2"), time="time", event="cens", treatment="horTh",
    ...     markers=["age", "pnodes"])
    >>> res.table.select("marker", "df").rows()
    [('age', 1), ('pnodes', 1)]
    """
    from survstat.estimators._confint import z_value

    z = z_value(conf_level)
    markers = list(markers)
    if not markers:
        raise OptionError("`markers` must name at least one biomarker column")
    if treatment in markers:
        raise OptionError(f"`{treatment}` is the treatment; it cannot also be a marker")
    sd = as_survival_data(data, time=time, event=event, censor=censor)
    sd.require_rows("interaction tests")
    available = sd.frame.collect_schema().names()
    for col, role in ((treatment, "treatment"), *((m, "marker") for m in markers)):
        if col not in available:
            raise ColumnNotFoundError(col, available, role=role)
    frame = sd.frame.select(sd.time, sd.event, treatment, *dict.fromkeys(markers)).collect()
    if frame.get_column(treatment).null_count():
        rows = frame.get_column(treatment).is_null().arg_true().to_list()
        raise InvalidValueError(
            f"`{treatment}` (treatment) has {len(rows)} missing values (first at row {rows[0]})"
        )
    arms = frame.get_column(treatment).unique().sort().to_list()
    if len(arms) < 2:
        raise InvalidValueError(f"`{treatment}` has one arm ({arms[0]!r}): nothing to compare")
    ref = arms[0] if reference is None else _level(arms, reference, treatment)
    arm_columns = []
    for arm in arms:
        if arm == ref:
            continue
        name = f"__arm[{arm}]"
        frame = frame.with_columns((pl.col(treatment) == arm).cast(pl.Float64).alias(name))
        arm_columns.append((arm, name))
    rows = [_one(frame, sd, m, [c for _, c in arm_columns], z) for m in markers]
    table = pl.DataFrame(rows, schema=_SCHEMA, orient="row")
    p = table.get_column("p_value").to_list()
    table = table.with_columns(
        pl.Series("p_holm", holm(p), dtype=pl.Float64),
        pl.Series("p_bh", benjamini_hochberg(p), dtype=pl.Float64),
    ).select(INTERACTION_COLUMNS)
    return InteractionResult(table, treatment, ref)


_SCHEMA = {
    "marker": pl.String,
    "n": pl.Int64,
    "n_event": pl.Int64,
    "interaction_hr": pl.Float64,
    "conf_low": pl.Float64,
    "conf_high": pl.Float64,
    "statistic": pl.Float64,
    "df": pl.Int64,
    "p_value": pl.Float64,
    "status": pl.String,
}


def _level(levels: list[Any], value: Any, column: str) -> Any:
    for level in levels:
        if level == value or str(level) == str(value):
            return level
    raise OptionError(f"reference {value!r} is not a level of `{column}`; levels: {levels}")


def _marker_columns(frame: pl.DataFrame, marker: str) -> tuple[pl.DataFrame, list[str]]:
    """The biomarker as numeric design columns (indicators against the first level for
    text), on the rows with a value."""
    kept = frame.with_row_index("__input_row").filter(pl.col(marker).is_not_null())
    column = kept.get_column(marker)
    if column.dtype == pl.Boolean or column.dtype.is_numeric():
        values = column.cast(pl.Float64)
        if values.is_nan().any() or values.is_infinite().any():
            bad = (values.is_nan() | values.is_infinite()).arg_true()
            row = kept.get_column("__input_row")[bad[0]]
            raise InvalidValueError(
                f"`{marker}` (marker) has {len(bad)} non-finite values (first: "
                f"{values[bad[0]]} at row {row})"
            )
        return kept.with_columns(values.alias(f"__m[{marker}]")), [f"__m[{marker}]"]
    present = column.cast(pl.String).unique().sort().to_list()
    if isinstance(column.dtype, pl.Enum):  # its own order, as R's factor levels
        present = [c for c in column.dtype.categories.to_list() if c in present]
    levels = present
    names = []
    for level in levels[1:]:
        name = f"__m[{marker}={level}]"
        kept = kept.with_columns(
            (pl.col(marker).cast(pl.String) == level).cast(pl.Float64).alias(name)
        )
        names.append(name)
    return kept, names


def _one(
    frame: pl.DataFrame, sd: SurvivalData, marker: str, arm_columns: list[str], z: float
) -> tuple[Any, ...]:
    """One biomarker's row: the main-effects and interaction Cox models and their LR test."""
    import warnings

    from survstat.estimators.cox import cox

    kept, marker_columns = _marker_columns(frame, marker)
    inter = []
    for a in arm_columns:
        for m in marker_columns:
            name = f"{a}x{m}"
            kept = kept.with_columns((pl.col(a) * pl.col(m)).alias(name))
            inter.append(name)
    n, n_event = kept.height, int(kept.get_column(sd.event).cast(pl.Int64).sum())
    why = None
    if n == 0:
        why = "no patient has a value"
    elif not marker_columns:
        why = "marker has one level"
    elif n_event == 0:
        why = "no events"
    if why is not None:
        return (marker, n, n_event, None, None, None, None, len(inter), None, why)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the status column says what went wrong
            main = cox(
                kept, time=sd.time, event=sd.event, covariates=[*arm_columns, *marker_columns]
            )
            full = cox(
                kept,
                time=sd.time,
                event=sd.event,
                covariates=[*arm_columns, *marker_columns, *inter],
            )
    except (EstimationError, InvalidValueError) as error:
        # one marker that cannot be modelled (e.g. recorded in one arm only) leaves the
        # others' tests standing; its row says why
        reason = str(error).split(";")[0]
        return (marker, n, n_event, None, None, None, None, len(inter), None, reason)
    status = "ok"
    if not (main.converged and full.converged):
        status = "not converged"
    terms = full.table.filter(pl.col("term").is_in(inter))
    bad = terms.filter(pl.col("status") != "ok")
    if bad.height:
        status = f"interaction {bad.get_column('status')[0]}"
    statistic = p_value = None
    df = len(inter) - (terms.get_column("status") == "aliased").sum()
    if status == "ok":
        statistic = max(0.0, 2.0 * (full.loglik[1] - main.loglik[1]))
        p_value = float(stats.chi2.sf(statistic, df))
    hr = low = high = None
    if len(inter) == 1 and status == "ok":
        row = terms.row(0, named=True)
        coef, se = row["coef"], row["std_error"]
        hr, low, high = (
            float(np.exp(coef)),
            float(np.exp(coef - z * se)),
            float(np.exp(coef + z * se)),
        )
    return (marker, n, n_event, hr, low, high, statistic, int(df), p_value, status)


__all__ = ["INTERACTION_COLUMNS", "InteractionResult", "interaction_tests"]
