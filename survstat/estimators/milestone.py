"""Milestone survival rates per arm and their differences against a reference arm.

The survival at a fixed time t per arm is the Kaplan–Meier estimate with its Greenwood
standard error (R ``summary(survfit(...), times = t)``). The difference arm − reference
(treatment minus control: positive when the arm survives better) has the standard error
sqrt(se_arm² + se_ref²) of independent arms, a normal interval and a two-sided Wald test
(Klein, Logan, Harhoff & Andersen 2007, Stat Med 26:4505-4519, the untransformed test).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from survstat._choices import ConfType
from survstat.data import SurvivalData, as_survival_data
from survstat.errors import InvalidValueError, OptionError
from survstat.estimators._confint import z_value
from survstat.io import FrameLike

#: Columns of :attr:`MilestoneResult.differences` after the arm column.
DIFFERENCE_COLUMNS = (
    "reference",
    "time",
    "difference",
    "std_error",
    "conf_low",
    "conf_high",
    "statistic",
    "p_value",
    "status",
)


@dataclass(frozen=True, slots=True)
class MilestoneResult:
    """Survival at milestone times per arm and the differences against the reference arm
    (:func:`milestone`).

    Attributes
    ----------
    rates
        One row per arm and time: the arm column, ``time, n_risk, survival, std_error,
        conf_low, conf_high, status`` (:meth:`KaplanMeierResult.at`; ``status`` is ``beyond
        follow-up``, with the survival null, for a time after the arm's last observed time
        while its curve is above 0).
    differences
        One row per non-reference arm and time: the arm column, then
        :data:`DIFFERENCE_COLUMNS`; ``difference`` is arm minus reference; the statistic and
        p-value are null when the standard error is 0 (both curves still at 1, or both at 0);
        everything is null, with ``status`` ``beyond follow-up``, past either arm's
        follow-up.
    by
        The arm column.
    """

    rates: pl.DataFrame
    differences: pl.DataFrame
    by: str


def milestone(
    data: FrameLike | SurvivalData,
    *,
    time: str | None = None,
    event: str | None = None,
    by: str | None = None,
    times: float | Sequence[float],
    reference: Any = None,
    conf_type: ConfType = "log-log",
    conf_level: float = 0.95,
    censor: str | None = None,
) -> MilestoneResult:
    """Kaplan–Meier survival at milestone times per arm, and each arm minus the reference.

    Parameters
    ----------
    data, time, event, censor
        Right-censored survival data, as :func:`survstat.kaplan_meier` takes them.
    by
        The arm column (not needed when ``data`` is a :class:`SurvivalData` with one ``by``
        column).
    times
        The milestone times (finite, non-negative).
    reference
        The reference arm (default: the first arm in sorted order).
    conf_type, conf_level
        Transform and level of the per-arm intervals; the level also of the differences'
        normal intervals.

    Returns
    -------
    MilestoneResult
        The rates per arm and the differences.

    References
    ----------
    .. [1] Klein JP, Logan B, Harhoff M, Andersen PK (2007). Analyzing survival curves at a
       fixed point in time. Stat Med 26:4505-4519.

    Examples
    --------
    >>> import survstat
    >>> ms = survstat.milestone(survstat.datasets.load("gbsg2"), time="time", event="cens",
    ...                         by="horTh", times=[1825])
    >>> round(ms.differences["difference"].item(), 4)
    0.1444
    """
    from survstat.estimators.kaplan_meier import kaplan_meier

    if isinstance(data, SurvivalData):
        sd = data
    else:
        sd = as_survival_data(data, time=time, event=event, by=by, censor=censor)
    if len(sd.by) != 1:
        raise OptionError(f"`by` must be one arm column; got {list(sd.by)}")
    arm = sd.by[0]
    km = kaplan_meier(sd, conf_type=conf_type, conf_level=conf_level)
    rates = within_follow_up(km.table, km.at(times), [arm])
    levels = rates.get_column(arm).unique(maintain_order=True).to_list()
    if len(levels) < 2:
        raise InvalidValueError(
            f"`{arm}` has one arm ({levels[0]!r}): no difference to estimate"
            if levels
            else f"`{arm}` has no arm"
        )
    ref = levels[0] if reference is None else reference
    if ref not in levels:
        matches = [v for v in levels if str(v) == str(ref)]
        if not matches:
            raise OptionError(f"reference {ref!r} is not an arm of `{arm}`; arms: {levels}")
        ref = matches[0]
    base = rates.filter(pl.col(arm) == ref).select(
        "time",
        pl.col("survival").alias("__s0"),
        pl.col("std_error").alias("__se0"),
        pl.col("status").alias("__st0"),
    )
    others = rates.filter(pl.col(arm) != ref).join(base, on="time", how="left")
    s1, s0 = others.get_column("survival").to_numpy(), others.get_column("__s0").to_numpy()
    se1 = others.get_column("std_error").to_numpy()
    se0 = others.get_column("__se0").to_numpy()
    diff = s1 - s0
    se = np.sqrt(se1**2 + se0**2)
    z = z_value(conf_level)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(se > 0, diff / se, np.nan)
    status = [
        "ok" if a == "ok" and b == "ok" else "beyond follow-up"
        for a, b in zip(
            others.get_column("status").to_list(), others.get_column("__st0").to_list(), strict=True
        )
    ]
    differences = pl.DataFrame(
        {
            arm: others.get_column(arm),
            "reference": pl.Series([ref] * others.height, dtype=rates.schema[arm]),
            "time": others.get_column("time"),
            "difference": diff,
            "std_error": se,
            "conf_low": diff - z * se,
            "conf_high": diff + z * se,
            "statistic": stat,
            "p_value": 2.0 * stats.norm.sf(np.abs(stat)),
            "status": status,
        },
        schema_overrides={c: pl.Float64 for c in DIFFERENCE_COLUMNS[2:-1]},
    ).fill_nan(None)
    return MilestoneResult(rates, differences, arm)


def within_follow_up(curve: pl.DataFrame, at: pl.DataFrame, groups: list[str]) -> pl.DataFrame:
    """Survival read at chosen times (:meth:`KaplanMeierResult.at`), made null where a time
    lies beyond a group's follow-up: after its last observed time while its curve is still
    above 0 (R's ``summary(fit, times=, extend=TRUE)`` carries the last value forward, but the
    survival there is unknown). Adds ``status``: ``ok`` or ``beyond follow-up``.

    Parameters
    ----------
    curve
        The Kaplan–Meier table (:attr:`KaplanMeierResult.table`) with the group columns.
    at
        Its values at the requested times, with the same group columns.
    groups
        The group columns (may be empty).

    Returns
    -------
    polars.DataFrame
        ``at`` with ``survival, std_error, conf_low, conf_high`` null beyond follow-up and the
        ``status`` column last.
    """
    keys = groups or None
    last = curve.group_by(keys or pl.lit(0).alias("__all"), maintain_order=True).agg(
        pl.col("time").max().alias("__last"), pl.col("survival").last().alias("__s_last")
    )
    joined = at.join(last, on=groups, how="left") if groups else at.join(last, how="cross")
    beyond = (pl.col("time") > pl.col("__last")) & (pl.col("__s_last") > 0)
    values = ["survival", "std_error", "conf_low", "conf_high"]
    return joined.with_columns(
        *(pl.when(beyond).then(None).otherwise(pl.col(c)).alias(c) for c in values),
        pl.when(beyond).then(pl.lit("beyond follow-up")).otherwise(pl.lit("ok")).alias("status"),
    ).select(*at.columns, "status")


__all__ = ["DIFFERENCE_COLUMNS", "MilestoneResult", "milestone", "within_follow_up"]
