"""The per-arm efficacy table of a breast cancer trial, from derived RECIST endpoints.

Composes the estimators (no statistics of its own): objective response and clinical benefit
rates with Clopper-Pearson intervals (:func:`survstat.proportion`), PFS medians with
Brookmeyer-Crowley intervals and PFS rates at chosen times (:func:`survstat.kaplan_meier`,
log(-log) intervals), the hazard ratio against the reference arm from a Cox model with Efron
ties (:func:`survstat.cox`, stratified when asked), and the log-rank p-value of each arm
against the reference (:func:`survstat.logrank`, stratified when asked).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from survstat.errors import ColumnNotFoundError, OptionError, SurvstatError
from survstat.io import FrameLike, scan


def efficacy_table(
    endpoints: FrameLike,
    *,
    by: str = "arm",
    reference: Any = None,
    strata: str | Sequence[str] | None = None,
    rate_times: Mapping[str, float] | None = None,
    time: str = "pfs_time",
    event: str = "pfs_event",
    conf_level: float = 0.95,
) -> pl.DataFrame:
    """One row per arm: response rates, PFS summaries and the comparison with the reference.

    Parameters
    ----------
    endpoints
        Per-subject table as made by
        :func:`survstat.endpoints.recist_tte.time_to_event_endpoints` joined with the arm (and
        strata) columns: ``objective_response``, ``clinical_benefit``, ``time``, ``event``.
    reference
        The reference arm (default: the first sorted level).
    rate_times
        Label -> time of the PFS rates, in the unit of ``time``; default
        ``{"6m": 182.625, "12m": 365.25}`` (6 and 12 months in days).

    Returns
    -------
    polars.DataFrame
        ``<by>, n, n_responders, orr, orr_conf_low, orr_conf_high, n_clinical_benefit, cbr,
        cbr_conf_low, cbr_conf_high, pfs_events, pfs_median, pfs_median_conf_low,
        pfs_median_conf_high``, then per rate label ``L``: ``pfs_rate_L, pfs_rate_L_conf_low,
        pfs_rate_L_conf_high``,
        then ``hazard_ratio, hr_conf_low, hr_conf_high, logrank_p_value`` (null on the reference
        row).
    """
    from survstat.estimators.cox import cox
    from survstat.estimators.kaplan_meier import kaplan_meier
    from survstat.estimators.logrank import logrank
    from survstat.estimators.proportions import proportion

    rate_times = dict(rate_times or {"6m": 182.625, "12m": 365.25})
    frame = scan(endpoints)[0].collect()
    strata_cols = [strata] if isinstance(strata, str) else list(strata or [])
    for name in (by, time, event, "objective_response", "clinical_benefit", *strata_cols):
        if name not in frame.columns:
            raise ColumnNotFoundError(name, frame.columns)
    levels = sorted(frame.get_column(by).drop_nulls().unique().to_list(), key=str)
    if len(levels) < 2:
        raise SurvstatError(f"`{by}` needs at least two arms; found {levels}")
    ref = levels[0] if reference is None else reference
    if ref not in levels:
        raise OptionError(f"reference arm {ref!r} not found in `{by}`; arms: {levels}")
    rates = {}
    for flag, name in (("objective_response", "orr"), ("clinical_benefit", "cbr")):
        t = proportion(frame, response=flag, by=by, conf_level=conf_level).table
        rates[name] = t.select(
            by,
            pl.col("n"),
            pl.col("n_responders").alias(f"n_{name}"),
            pl.col("rate").alias(name),
            pl.col("conf_low").alias(f"{name}_conf_low"),
            pl.col("conf_high").alias(f"{name}_conf_high"),
        )
    km = kaplan_meier(frame, time=time, event=event, by=by, conf_level=conf_level)
    events = km.table.group_by(by).agg(pl.col("n_event").sum().alias("pfs_events"))
    median = km.median().select(
        by,
        pl.col("time").alias("pfs_median"),
        pl.col("conf_low").alias("pfs_median_conf_low"),
        pl.col("conf_high").alias("pfs_median_conf_high"),
    )
    at = km.at(list(rate_times.values()))
    table = (
        rates["orr"]
        .join(rates["cbr"].drop("n"), on=by)
        .rename({"n_orr": "n_responders", "n_cbr": "n_clinical_benefit"})
        .join(events, on=by, how="left")
        .join(median, on=by, how="left")
    )
    for name, t in rate_times.items():
        label = f"pfs_rate_{name}"
        table = table.join(
            at.filter(pl.col("time") == float(t)).select(
                by,
                pl.col("survival").alias(label),
                pl.col("conf_low").alias(f"{label}_conf_low"),
                pl.col("conf_high").alias(f"{label}_conf_high"),
            ),
            on=by,
            how="left",
        )
    fit = cox(
        frame,
        time=time,
        event=event,
        covariates=[by],
        strata=strata_cols or None,
        reference={by: ref},
        conf_level=conf_level,
    )
    hr_rows = []
    for arm in levels:
        if arm == ref:
            continue
        row = fit.table.filter(pl.col("term") == f"{by}[{arm}]").row(0, named=True)
        pair = frame.filter(pl.col(by).is_in([arm, ref]))
        lr = logrank(pair, time=time, event=event, by=by, strata=strata_cols or None)
        hr_rows.append(
            {
                by: arm,
                "hazard_ratio": row["hazard_ratio"],
                "hr_conf_low": row["conf_low"],
                "hr_conf_high": row["conf_high"],
                "logrank_p_value": lr.table.get_column("p_value").item(),
            }
        )
    hr = pl.DataFrame(hr_rows, schema_overrides={by: frame.schema[by]})
    table = table.join(hr, on=by, how="left")
    return table.sort(pl.col(by) != ref, pl.col(by).cast(pl.String))


__all__ = ["efficacy_table"]
