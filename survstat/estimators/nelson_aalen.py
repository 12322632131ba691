r"""Nelson-Aalen cumulative hazard.

.. math::

    \hat H(t) = \sum_{t_j \le t} \frac{d_j}{n_j}, \qquad
    \widehat{\mathrm{Var}}\{\hat H(t)\} = \sum_{t_j \le t} \frac{d_j}{n_j^2}

(Nelson 1972, Technometrics 14:945-966; Aalen 1978, Ann. Statist. 6:701-726). This is the
``cumhaz`` / ``std.chaz`` of R ``survival::survfit`` (3.5), including the infinitesimal-jackknife
variance R uses when case weights are not whole numbers. Intervals: ``log`` (default),
H exp(+-z se/H), or ``plain``, H +- z se truncated at 0 (Klein & Moeschberger 2003, sec. 4.3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from survstat._choices import ConfType, HazardVariance
from survstat.data import SurvivalData, as_survival_data
from survstat.errors import OptionError, check_choice
from survstat.estimators._confint import z_value
from survstat.estimators._robust import robust_variance
from survstat.io import FrameLike
from survstat.risk import RiskTable, build_risk_table

CONF_TYPES = ("log", "plain")


@dataclass(frozen=True, slots=True)
class NelsonAalenResult:
    """Nelson-Aalen cumulative hazard per group.

    Attributes
    ----------
    table
        Group columns, then ``time, n_risk, n_event, n_censor, cumhaz, std_error, conf_low,
        conf_high``; ``std_error`` is the standard error of the cumulative hazard. A value that
        is undefined or not finite (a ``log`` limit whose exponent overflows) is null.
    conf_type, conf_level, variance
        Interval transform and level; ``"aalen"`` or ``"robust"`` variance.
    """

    table: pl.DataFrame
    conf_type: ConfType
    conf_level: float
    variance: HazardVariance
    risk: RiskTable = field(repr=False)


def nelson_aalen(
    data: FrameLike | SurvivalData,
    *,
    time: str | None = None,
    event: str | None = None,
    by: str | Sequence[str] | None = None,
    entry: str | None = None,
    weight: str | None = None,
    strata: str | Sequence[str] | None = None,
    conf_type: ConfType = "log",
    conf_level: float = 0.95,
    robust: bool | None = None,
) -> NelsonAalenResult:
    """Nelson-Aalen estimate of the cumulative hazard, per group.

    Parameters
    ----------
    data
        A :class:`~survstat.data.SurvivalData`, or a frame / Parquet path with the column names.
    time, event, by, entry, weight, strata
        Column roles (see :meth:`SurvivalData.right_censored`).
    conf_type
        Pointwise interval transform: ``"log"`` (default) or ``"plain"``.
    conf_level
        Confidence level.
    robust
        Use the infinitesimal-jackknife variance. Default (None): robust only when case
        weights are not all whole numbers, as :func:`survstat.kaplan_meier`.

    Returns
    -------
    NelsonAalenResult
        The cumulative hazard per group and distinct time, with standard errors and
        pointwise intervals.

    References
    ----------
    .. [1] Nelson W (1972). Theory and applications of hazard plotting for censored failure
       data. Technometrics 14:945-966.
    .. [2] Aalen O (1978). Nonparametric inference for a family of counting processes. Ann Stat
       6:701-726.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"t": [1, 2, 2, 3], "d": [1, 1, 0, 1]})
    >>> nelson_aalen(df, time="t", event="d").table.get_column("cumhaz").to_list()
    [0.25, 0.5833333333333333, 1.5833333333333333]
    """
    check_choice("conf_type", conf_type, CONF_TYPES)
    z = z_value(conf_level)
    if robust is not None and not isinstance(robust, bool):
        raise OptionError(f"`robust` must be True, False or None; got {robust!r}")
    sd = as_survival_data(
        data, time=time, event=event, by=by, entry=entry, weight=weight, strata=strata
    )
    rt = build_risk_table(sd).exits_only()
    n, d = rt.n_risk, rt.n_event
    use_robust = (not rt.integer_weights) if robust is None else bool(robust)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        inc = np.where(d > 0, d / n, 0.0)
        cumhaz = rt.segments.cumsum(inc)
        if use_robust:
            var = robust_variance(sd, rt, np.where(d > 0, d / n**2, 0.0), 1.0 / n)
        else:
            var = rt.segments.cumsum(np.where(d > 0, d / n**2, 0.0))
        se = np.sqrt(var)
        if conf_type == "log":
            spread = np.exp(z * np.where(cumhaz > 0, se / cumhaz, 0.0))
            low, high = cumhaz / spread, cumhaz * spread
        else:
            low, high = np.maximum(cumhaz - z * se, 0.0), cumhaz + z * se
    body = pl.DataFrame(
        {
            "time": rt.time,
            "n_risk": n,
            "n_event": d,
            "n_censor": rt.n_censor,
            "cumhaz": cumhaz,
            "std_error": se,
            "conf_low": low,
            "conf_high": high,
        }
    )
    table = rt.expand_keys(body)
    # undefined or overflowing limits (se / H beyond exp's range) are null
    table = table.with_columns(
        pl.when(pl.col(c).is_finite()).then(pl.col(c)).otherwise(None).alias(c)
        for c in ("std_error", "conf_low", "conf_high")
    )
    return NelsonAalenResult(
        table=table,
        conf_type=conf_type,
        conf_level=float(conf_level),
        variance="robust" if use_robust else "aalen",
        risk=rt,
    )
