"""How long patients were followed: the median follow-up by the reverse Kaplan–Meier method and
the simpler definitions trial reports also give.

The reverse Kaplan–Meier estimate swaps the roles of events and censorings: a censoring is the
"event" and an event censors the time to censoring, so deaths no longer shorten follow-up
(Schemper & Smith 1996, Control Clin Trials 17:343-346). Its median with the Brookmeyer–Crowley
interval is R ``survfit(Surv(time, 1 - status) ~ group)``'s median. Beside it: the median
observation time of all patients (time to last contact or event) and of the censored patients
only, which Schemper & Smith show to understate and overstate follow-up when events are
frequent; with few events the three agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from survstat._choices import ConfType
from survstat.data import SurvivalData, as_survival_data
from survstat.io import FrameLike

#: Columns of :attr:`FollowUpResult.table` after the group columns.
FOLLOW_UP_COLUMNS = (
    "n",
    "n_event",
    "n_censor",
    "median_follow_up",
    "conf_low",
    "conf_high",
    "median_observation",
    "median_censored",
    "min_time",
    "max_time",
)

_REVERSED = "__censoring"


@dataclass(frozen=True, slots=True)
class FollowUpResult:
    """Median follow-up per group (:func:`follow_up`).

    ``table`` has the group columns, then :data:`FOLLOW_UP_COLUMNS`:

    - ``median_follow_up``, ``conf_low``, ``conf_high``: the reverse Kaplan–Meier median and its
      interval (null when the reverse curve does not reach 0.5: more than half of the patients
      had an event before any censoring could be observed);
    - ``median_observation``: the median observation time of all patients (time to last
      contact, or to the event);
    - ``median_censored``: the median observation time of the censored patients (null without
      censored patients);
    - ``min_time``, ``max_time``: the range of observation times.
    """

    table: pl.DataFrame
    by: tuple[str, ...]
    conf_type: ConfType
    conf_level: float


def follow_up(
    data: FrameLike | SurvivalData,
    *,
    time: str | None = None,
    event: str | None = None,
    by: str | Sequence[str] | None = None,
    conf_type: ConfType = "log-log",
    conf_level: float = 0.95,
    censor: str | None = None,
) -> FollowUpResult:
    """Median follow-up by the reverse Kaplan–Meier method, per group, with the observation
    time of all and of the censored patients.

    Parameters
    ----------
    data, time, event, by, censor
        Right-censored data and its columns, as :func:`survstat.kaplan_meier` takes them
        (``censor``: a CDISC ``CNSR``-style column in place of ``event``).
    conf_type, conf_level
        Transform and level of the reverse Kaplan–Meier curve's pointwise interval, from which
        the median's interval is read (Brookmeyer & Crowley 1982).

    Returns
    -------
    FollowUpResult
        One row per group.

    References
    ----------
    .. [1] Schemper M, Smith TL (1996). A note on quantifying follow-up in studies of failure
       time. Control Clin Trials 17:343-346.
    .. [2] Brookmeyer R, Crowley J (1982). A confidence interval for the median survival time.
       Biometrics 38:29-41.

    Examples
    --------
    >>> import survstat
    >>> fu = survstat.follow_up(survstat.datasets.load("gbsg2"), time="time", event="cens",
    ...                         by="horTh")
    >>> fu.table.select("horTh", "median_follow_up").rows()
    [('no', 1582.0), ('yes', 1729.0)]
    """
    from survstat.estimators.kaplan_meier import kaplan_meier

    sd = as_survival_data(data, time=time, event=event, by=by, censor=censor)
    sd.require_rows("follow-up")
    by_cols = list(sd.by)
    frame = sd.frame.select(*by_cols, sd.time, sd.event).collect()
    event_int = pl.col(sd.event).cast(pl.Int8)
    reversed_frame = frame.with_columns((1 - event_int).alias(_REVERSED))
    reverse = kaplan_meier(
        SurvivalData.right_censored(
            reversed_frame, time=sd.time, event=_REVERSED, by=by_cols or None
        ),
        conf_type=conf_type,
        conf_level=conf_level,
    )
    median = reverse.median().rename({"time": "median_follow_up"})
    t = pl.col(sd.time).cast(pl.Float64)
    observed = frame.group_by(by_cols or pl.lit(0).alias("__all")).agg(
        pl.len().cast(pl.Int64).alias("n"),
        event_int.cast(pl.Int64).sum().alias("n_event"),
        (1 - event_int).cast(pl.Int64).sum().alias("n_censor"),
        t.median().alias("median_observation"),
        t.filter(event_int == 0).median().alias("median_censored"),
        t.min().alias("min_time"),
        t.max().alias("max_time"),
    )
    if by_cols:
        table = observed.join(median, on=by_cols, how="left", nulls_equal=True)
        table = table.sort(by_cols)
    else:
        table = pl.concat([observed.drop("__all"), median], how="horizontal")
    table = table.select(*by_cols, *FOLLOW_UP_COLUMNS)
    return FollowUpResult(table, tuple(by_cols), conf_type, conf_level)


__all__ = ["FOLLOW_UP_COLUMNS", "FollowUpResult", "follow_up"]
