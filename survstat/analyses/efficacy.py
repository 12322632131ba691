"""The per-arm efficacy table of a breast cancer trial, from derived RECIST endpoints.

Composes the estimators (no statistics of its own): objective response, clinical benefit and
disease control rates with Clopper-Pearson intervals (:func:`survstat.proportion`); PFS and
OS medians with Brookmeyer-Crowley intervals and PFS and OS rates at chosen times
(:func:`survstat.kaplan_meier`, log(-log) intervals); the median duration of response among
the confirmed responders (Kaplan-Meier of ``dor_time``, RECIST 1.1 section 4.6.2; FDA 2018
endpoints guidance, "duration of response"); the PFS hazard ratio against the reference arm
from a Cox model with Efron ties (:func:`survstat.cox`, stratified when asked), and the
log-rank p-value of each arm against the reference (:func:`survstat.logrank`, stratified when
asked).

Undefined values are null: a median not reached, a rate at a time beyond the arm's follow-up
(the Kaplan-Meier curve is not defined past its last observation unless it reached 0), a
duration of response in an arm without responders, and a hazard ratio that cannot be
estimated, with the reason in ``hr_note`` (no events in an arm, or the ``status`` cox() gives
the arm's term: ``infinite``, ``aliased`` or ``not converged``).

The arm column may hold text, integer codes or booleans: it enters every Cox model as
categorical (one indicator per arm against the reference, R's treatment contrasts) and keeps
its values and type in the output.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from survstat.analyses._arms import (
    check_roles,
    cox_by_arm,
    in_arm_order,
    median_columns,
    read_arms,
)
from survstat.endpoints.recist_input import counted
from survstat.errors import (
    ColumnTypeError,
    InvalidValueError,
    OptionError,
)
from survstat.io import FrameLike, scan

#: Default PFS/OS rate times: 6 and 12 months in days.
RATE_TIMES = {"6m": 182.625, "12m": 365.25}


def _rates(
    frame: pl.DataFrame, by: str, flags: Sequence[tuple[str, str]], conf_level: float
) -> pl.DataFrame:
    """Clopper-Pearson rate per arm of each boolean flag, as ``n_<name>, <name>, ...``."""
    from survstat.estimators.proportions import proportion

    tables = [
        proportion(frame, response=flag, by=by, conf_level=conf_level).table.select(
            by,
            pl.col("n"),
            pl.col("n_responders").alias(f"n_{name}"),
            pl.col("rate").alias(name),
            pl.col("conf_low").alias(f"{name}_conf_low"),
            pl.col("conf_high").alias(f"{name}_conf_high"),
        )
        for flag, name in flags
    ]
    return functools.reduce(lambda a, b: a.join(b.drop("n"), on=by), tables)


def _survival(
    frame: pl.DataFrame,
    by: str,
    time: str,
    event: str,
    prefix: str,
    rate_times: Mapping[str, float],
    conf_level: float,
) -> pl.DataFrame:
    """Summarise survival per arm: events, median with its interval, rates at ``rate_times``.

    A rate past the arm's last observation (where the curve is above 0) is null.
    """
    from survstat.estimators.kaplan_meier import kaplan_meier

    km = kaplan_meier(frame, time=time, event=event, by=by, conf_level=conf_level)
    table = (
        km.table.group_by(by)
        .agg(
            pl.col("n_event").sum().alias(f"{prefix}_events"),
            pl.col("time").max().alias("__last"),
        )
        .join(median_columns(km, by, prefix), on=by, how="left")
    )
    if not rate_times:
        return table.drop("__last")
    at = km.at(list(rate_times.values())).join(table.select(by, "__last"), on=by)
    defined = (pl.col("time") <= pl.col("__last")) | (pl.col("survival") == 0.0)
    for name, t in rate_times.items():
        label = f"{prefix}_rate_{name}"
        table = table.join(
            at.filter(pl.col("time") == float(t)).select(
                by,
                *[
                    pl.when(defined).then(pl.col(c)).alias(alias)
                    for c, alias in (
                        ("survival", label),
                        ("conf_low", f"{label}_conf_low"),
                        ("conf_high", f"{label}_conf_high"),
                    )
                ],
            ),
            on=by,
            how="left",
        )
    return table.drop("__last")


def _first_of(rows: pl.DataFrame, subject: str) -> str:
    """'subject 'p1'' of the first of ``rows`` (or its row of the endpoint table)."""
    row = rows.row(0, named=True)
    return f"subject {row[subject]!r}" if subject in rows.columns else f"row {row['__row']}"


def _check_duration_columns(responders: pl.DataFrame, time: str, event: str, subject: str) -> None:
    """Check the responders' duration of response.

    It must be known, finite and >= 0, with a 0/1 or boolean event; each failure names the
    column, the count, the first value and subject.
    """
    n = responders.height
    for name in (time, event):
        dtype = responders.schema[name]
        if not (dtype.is_numeric() or dtype in (pl.Boolean, pl.Null)):
            raise ColumnTypeError(f"`{name}` must be numeric or boolean; found {dtype}")
    for name in (time, event):
        rows = responders.filter(pl.col(name).is_null())
        if rows.height:
            raise InvalidValueError(
                f"`{name}` is missing for {rows.height} of {counted(n, 'objective responder')} "
                f"(first: {_first_of(rows, subject)}); derive it with time_to_event_endpoints"
            )
    days = pl.col(time).cast(pl.Float64)
    checks = (
        (time, ~days.is_finite(), "must be finite", "NaN or infinite value"),
        (time, days < 0, "must be non-negative", "negative value"),
        (event, ~pl.col(event).cast(pl.Float64).is_in([0.0, 1.0]), "must be 0/1 or true/false",
         "other value"),
    )  # fmt: skip
    for name, bad, rule, what in checks:
        rows = responders.filter(bad)
        if rows.height:
            raise InvalidValueError(
                f"`{name}` {rule}; found {counted(rows.height, what)} in "
                f"{counted(n, 'objective responder')} (first: {rows[name][0]} for "
                f"{_first_of(rows, subject)})"
            )


def _duration_of_response(
    frame: pl.DataFrame, by: str, time: str, event: str, conf_level: float, subject: str
) -> pl.DataFrame:
    """``n_dor, dor_events, dor_median, ...`` per arm among the objective responders."""
    responders = frame.with_row_index("__row").filter(pl.col("objective_response").fill_null(False))
    _check_duration_columns(responders, time, event, subject)
    counts = responders.group_by(by).agg(pl.len().cast(pl.Int64).alias("n_dor"))
    if responders.height == 0:
        return counts
    return counts.join(_survival(responders, by, time, event, "dor", {}, conf_level), on=by)


def _hazard_ratios(
    frame: pl.DataFrame,
    by: str,
    levels: list[Any],
    ref: Any,
    strata_cols: list[str],
    time: str,
    event: str,
    conf_level: float,
) -> pl.DataFrame:
    """Compare each arm with the reference: PFS hazard ratio and log-rank p-value.

    The hazard ratio comes from a Cox model with the arms as indicators against ``ref``; it
    is null with a reason in ``hr_note`` when not estimable.
    """
    from survstat.estimators.logrank import logrank

    hazard = cox_by_arm(frame, by, levels, ref, strata_cols, time, event, conf_level)
    rows = []
    for arm in (a for a in levels if a != ref):
        pair = frame.filter(pl.col(by).is_in([arm, ref]))
        lr = logrank(pair, time=time, event=event, by=by, strata=strata_cols or None)
        hr, low, high, note = hazard[arm]
        rows.append((arm, hr, low, high, lr.table.get_column("p_value").item(), note))
    return pl.DataFrame(
        rows,
        schema={
            by: frame.schema[by],
            "hazard_ratio": pl.Float64,
            "hr_conf_low": pl.Float64,
            "hr_conf_high": pl.Float64,
            "logrank_p_value": pl.Float64,
            "hr_note": pl.String,
        },
        orient="row",
    )


def efficacy_table(
    endpoints: FrameLike,
    *,
    by: str = "arm",
    reference: Any = None,
    strata: str | Sequence[str] | None = None,
    rate_times: Mapping[str, float] | None = None,
    time: str = "pfs_time",
    event: str = "pfs_event",
    os_time: str = "os_time",
    os_event: str = "os_event",
    dor_time: str = "dor_time",
    dor_event: str = "dor_event",
    conf_level: float = 0.95,
    subject: str = "subject_id",
) -> pl.DataFrame:
    """Tabulate efficacy per arm: response rates, PFS, OS and DoR, and the reference comparison.

    Parameters
    ----------
    endpoints
        Per-subject table as made by
        :func:`survstat.endpoints.recist_tte.time_to_event_endpoints` with the arm (and
        strata) columns: ``objective_response``, ``clinical_benefit``, ``disease_control``
        and the PFS, OS and DoR times and events.
    by
        The arm column (no missing values). Any type: text, categorical, integer codes
        (e.g. TRT01PN 1, 2, 3) or boolean; it enters the Cox model as categorical (one
        indicator per arm against the reference) and keeps its values and type in the output.
    reference
        The reference arm, as a value of ``by`` or its text (``"2"`` for the integer arm 2);
        default: the first arm, numeric and boolean arms sorted by value, others as text.
    strata
        Stratification column(s) of the hazard ratio and the log-rank test; ``by`` cannot be
        one of them (an error, raised before anything is fitted).
    rate_times
        Label -> time of the PFS and OS rates, in the unit of ``time``; default
        ``{"6m": 182.625, "12m": 365.25}`` (6 and 12 months in days).
    time, event
        PFS time and event columns.
    os_time, os_event
        OS time and event columns.
    dor_time, dor_event
        Duration-of-response time and event columns, used for the rows with
        ``objective_response`` (the confirmed responders, when derived with confirmation).
    conf_level
        Level of every interval (0.95).
    subject
        Subject id column, named in error messages (the row number when the table has no
        such column).

    Returns
    -------
    polars.DataFrame
        ``<by>, n, n_responders, orr, orr_conf_low, orr_conf_high, n_clinical_benefit, cbr,
        cbr_conf_low, cbr_conf_high, pfs_events, pfs_median, pfs_median_conf_low,
        pfs_median_conf_high``, then per rate label ``L``: ``pfs_rate_L, pfs_rate_L_conf_low,
        pfs_rate_L_conf_high``, then ``hazard_ratio, hr_conf_low, hr_conf_high,
        logrank_p_value`` (null on the reference row), then ``n_disease_control, dcr,
        dcr_conf_low, dcr_conf_high, os_events, os_median, os_median_conf_low,
        os_median_conf_high``, per rate label ``os_rate_L, os_rate_L_conf_low,
        os_rate_L_conf_high``, then ``n_dor`` (the responders the duration of response rests
        on), ``dor_events, dor_median, dor_median_conf_low, dor_median_conf_high`` and
        ``hr_note`` (why the hazard ratio is null, else null). The reference arm comes
        first, then the others in order.

    Notes
    -----
    A hazard ratio is null, with the reason in ``hr_note``, when an arm (or the reference
    arm) has no events, and otherwise whenever :func:`survstat.cox` gives its term a status
    other than ``ok``: ``infinite`` (monotone likelihood), ``aliased`` (the arm is a
    combination of the strata) or ``not converged``. With a monotone likelihood the other
    arms' estimates are their limits and are reported, as R ``coxph`` reports them.

    References
    ----------
    1. Eisenhauer EA et al. New response evaluation criteria in solid tumours: revised RECIST
       guideline (version 1.1). Eur J Cancer 2009;45:228-247.
    2. U.S. Food and Drug Administration. Clinical trial endpoints for the approval of cancer
       drugs and biologics: guidance for industry. December 2018.
    3. Clopper CJ, Pearson ES. The use of confidence or fiducial limits illustrated in the case
       of the binomial. Biometrika 1934;26:404-413.
    4. Brookmeyer R, Crowley J. A confidence interval for the median survival time. Biometrics
       1982;38:29-41.
    5. Efron B. The efficiency of Cox's likelihood function for censored data. J Am Stat Assoc
       1977;72:557-565.
    """
    check_roles(by, strata)
    rate_times = dict(RATE_TIMES if rate_times is None else rate_times)
    for name, t in rate_times.items():
        ok = isinstance(t, numbers.Real) and not isinstance(t, bool) and 0 <= t < np.inf
        if not ok:
            raise OptionError(f"`rate_times` must be finite times >= 0; got {name!r}: {t!r}")
    frame = scan(endpoints)[0].collect()
    flags = ("objective_response", "clinical_benefit", "disease_control")
    needed = (*flags, time, event, os_time, os_event, dor_time, dor_event)
    strata_cols, levels, ref = read_arms(frame, by, reference, strata, needed)
    rates = _rates(
        frame,
        by,
        (("objective_response", "orr"), ("clinical_benefit", "cbr"), ("disease_control", "dcr")),
        conf_level,
    ).rename({"n_orr": "n_responders", "n_cbr": "n_clinical_benefit", "n_dcr": "n_disease_control"})
    pfs = _survival(frame, by, time, event, "pfs", rate_times, conf_level)
    os_ = _survival(frame, by, os_time, os_event, "os", rate_times, conf_level)
    dor = _duration_of_response(frame, by, dor_time, dor_event, conf_level, subject)
    hr = _hazard_ratios(frame, by, levels, ref, strata_cols, time, event, conf_level)
    table = (
        rates.select(pl.exclude("^dcr.*$", "n_disease_control"))
        .join(pfs, on=by, how="left")
        .join(hr.drop("hr_note"), on=by, how="left")
        .join(rates.select(by, "n_disease_control", "^dcr.*$"), on=by, how="left")
        .join(os_, on=by, how="left")
        .join(dor, on=by, how="left")
        .with_columns(pl.col("n_dor").fill_null(0))
    )
    for column in ("dor_events", "dor_median", "dor_median_conf_low", "dor_median_conf_high"):
        if column not in table.columns:
            table = table.with_columns(pl.lit(None, dtype=pl.Float64).alias(column))
    table = table.join(hr.select(by, "hr_note"), on=by, how="left")
    return in_arm_order(table, by, [ref] + [a for a in levels if a != ref])


__all__ = ["RATE_TIMES", "efficacy_table"]
