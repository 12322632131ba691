"""Treatment-free remission (TFR) in CML: eligibility to stop and molecular relapse after stopping.

ELN 2020 (Hochhaus et al. 2020, Leukemia 34:966-984, table 7) lets a patient attempt TFR after
more than 5 years of TKI therapy with a deep molecular response (MR4 or deeper) sustained for
more than 2 years; only these molecular and duration criteria can be derived from lab data (the
clinical ones, such as no prior resistance, are the investigator's). After stopping, molecular
relapse is loss of MMR (a single result above 0.1%), the trigger to restart therapy; TFR
survival counts relapse, restart of treatment without relapse and death as failures (as in
EURO-SKI, Saussele et al. 2018, Lancet Oncol 19:747-757).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from survstat.endpoints.cml import Columns, Thresholds, classify_samples
from survstat.endpoints.cml_monitoring import mmr_status, sustained_response
from survstat.errors import ColumnNotFoundError, InvalidValueError, OptionError, check_unique_ids
from survstat.io import FrameLike, scan

#: Cause codes of the TFR endpoint.
TFR_CAUSES = {0: "censored", 1: "molecular relapse", 2: "restart without relapse", 3: "death"}


@dataclass(frozen=True, slots=True)
class TfrColumns:
    """Patient-table columns, as times since the start of TKI therapy (null when not
    applicable)."""

    patient: str = "patient_id"
    tki_stop: str = "tki_stop"
    tki_restart: str = "tki_restart"
    death: str = "death"
    last_follow_up: str = "last_follow_up"


def _patients(patients: FrameLike, pcols: TfrColumns, roles: tuple[str, ...]) -> pl.DataFrame:
    pts = scan(patients)[0].collect()
    for role in roles:
        name = getattr(pcols, role)
        if name not in pts.columns:
            raise ColumnNotFoundError(name, pts.columns, role=role)
    check_unique_ids(pts, pcols.patient, "patient table")
    return pts.with_columns(
        pl.col(getattr(pcols, r)).cast(pl.Float64) for r in roles if r != "patient"
    )


def _check_order(pts: pl.DataFrame, pcols: TfrColumns, early: str, late: str) -> None:
    bad = pts.filter(pl.col(late) < pl.col(early))
    if bad.height:
        row = bad.row(0, named=True)
        raise InvalidValueError(
            f"`{late}` before `{early}` for {bad.height} of {pts.height} patients (first: "
            f"patient {row[pcols.patient]!r}, {row[late]} < {row[early]})"
        )


def tfr_eligibility(
    labs: FrameLike,
    patients: FrameLike,
    *,
    min_treatment: float = 60.0,
    min_deep_duration: float = 24.0,
    level: str = "MR4",
    columns: Columns | None = None,
    patient_columns: TfrColumns | None = None,
    thresholds: Thresholds | None = None,
) -> pl.DataFrame:
    """ELN 2020 molecular eligibility for a TFR attempt, at the stop or the last follow-up.

    Eligible when TKI therapy lasted more than ``min_treatment`` (default 60 months) and the
    current run of results at ``level`` or deeper (see :func:`sustained_response`) spans more
    than ``min_deep_duration`` (default 24 months), both judged at ``tki_stop`` when the
    patient stopped, else at the last follow-up.

    Returns one row per patient: ``<patient>, evaluation_time, stopped, treatment_duration,
    deep_start, deep_duration, eligible, reason``.
    """
    cols = columns or Columns()
    pcols = patient_columns or TfrColumns()
    if not (min_treatment >= 0 and min_deep_duration >= 0):
        raise OptionError(
            "`min_treatment` and `min_deep_duration` must be >= 0; got "
            f"{min_treatment}, {min_deep_duration}"
        )
    pts = _patients(patients, pcols, ("patient", "tki_stop", "last_follow_up"))
    _check_order(pts, pcols, pcols.tki_stop, pcols.last_follow_up)
    pts = pts.with_columns(
        pl.col(pcols.tki_stop).is_not_null().alias("stopped"),
        pl.coalesce(pcols.tki_stop, pcols.last_follow_up).alias("evaluation_time"),
    )
    classified = classify_samples(labs, columns=cols, thresholds=thresholds)
    until = classified.join(
        pts.select(pl.col(pcols.patient).alias(cols.patient), "evaluation_time"),
        on=cols.patient,
        how="inner",
    ).filter(pl.col(cols.time).cast(pl.Float64) <= pl.col("evaluation_time"))
    runs = sustained_response(
        until.drop("evaluation_time", "level", "log_reduction", "evaluable", "reason"),
        level=level,
        columns=cols,
        thresholds=thresholds,
    ).select(
        pl.col(cols.patient).alias(pcols.patient),
        pl.col("current_start").alias("deep_start"),
        pl.col("current_duration").alias("deep_duration"),
    )
    out = pts.join(runs, on=pcols.patient, how="left").with_columns(
        pl.col("evaluation_time").alias("treatment_duration")
    )
    long_enough = pl.col("treatment_duration") > min_treatment
    deep_enough = pl.col("deep_duration").fill_null(-1.0) > min_deep_duration
    reason = (
        pl.when(long_enough & deep_enough)
        .then(pl.lit("eligible"))
        .when(~long_enough & ~deep_enough)
        .then(pl.lit("treatment too short; deep response not sustained long enough"))
        .when(~long_enough)
        .then(pl.lit(f"treatment not longer than {min_treatment:g}"))
        .when(pl.col("deep_duration").is_null())
        .then(pl.lit(f"not in {level} at the last result"))
        .otherwise(pl.lit(f"{level} not sustained longer than {min_deep_duration:g}"))
    )
    return out.select(
        pcols.patient,
        "evaluation_time",
        "stopped",
        "treatment_duration",
        "deep_start",
        "deep_duration",
        (long_enough & deep_enough).alias("eligible"),
        reason.alias("reason"),
    )


def tfr_endpoints(
    labs: FrameLike,
    patients: FrameLike,
    *,
    columns: Columns | None = None,
    patient_columns: TfrColumns | None = None,
    thresholds: Thresholds | None = None,
) -> pl.DataFrame:
    """Per-patient time from stopping TKI therapy to the end of treatment-free remission.

    Molecular relapse is the first result after the stop above the MMR threshold (loss of MMR).
    A restart of therapy before any relapse and death are the other failures; a relapse found on
    the day of the restart is the relapse. Patients with none are censored at their last
    follow-up. Only patients who stopped (non-null ``tki_stop``) are returned.

    Returns ``<patient>, tki_stop, time`` (since the stop), ``cause`` (see
    :data:`TFR_CAUSES`), ``cause_label, tfr_failure`` (any failure: the event of TFR survival)
    and ``relapse``.
    """
    cols = columns or Columns()
    pcols = patient_columns or TfrColumns()
    thr = thresholds or Thresholds()
    roles = ("patient", "tki_stop", "tki_restart", "death", "last_follow_up")
    pts = _patients(patients, pcols, roles).filter(pl.col(pcols.tki_stop).is_not_null())
    for later in (pcols.tki_restart, pcols.death, pcols.last_follow_up):
        _check_order(pts, pcols, pcols.tki_stop, later)
    # molecular relapse is loss of MMR by the same rule as on treatment
    relapse = (
        mmr_status(labs, cols, thr)
        .join(
            pts.select(pl.col(pcols.patient).alias(cols.patient), pcols.tki_stop),
            on=cols.patient,
        )
        .filter(pl.col("__above") & (pl.col("__t") > pl.col(pcols.tki_stop)))
        .group_by(cols.patient)
        .agg(pl.col("__t").min().alias("__relapse"))
    )
    out = pts.join(relapse, left_on=pcols.patient, right_on=cols.patient, how="left")
    stop = out.get_column(pcols.tki_stop).to_numpy()

    def since_stop(name: str) -> np.ndarray:
        v = out.get_column(name).cast(pl.Float64).fill_null(np.inf).to_numpy()
        return v - stop

    rel, restart, death = (
        since_stop("__relapse"),
        since_stop(pcols.tki_restart),
        since_stop(pcols.death),
    )
    last = out.get_column(pcols.last_follow_up).to_numpy() - stop
    if np.any(np.isnan(last)):
        bad = out.get_column(pcols.patient).filter(pl.Series(np.isnan(last)))[0]
        raise InvalidValueError(f"`{pcols.last_follow_up}` is missing (first: patient {bad!r})")
    rel = np.where(rel <= last, rel, np.inf)
    candidates = np.column_stack([rel, restart, death])
    first = candidates.min(axis=1)
    # argmin keeps the first column on ties: relapse before restart before death
    cause = np.where(np.isfinite(first) & (first <= last), np.argmin(candidates, axis=1) + 1, 0)
    time = np.where(cause > 0, first, last)
    return out.select(
        pcols.patient,
        pcols.tki_stop,
        pl.Series("time", time),
        pl.Series("cause", cause.astype(np.int64)),
        pl.Series("cause_label", [TFR_CAUSES[c] for c in cause]),
        pl.Series("tfr_failure", cause > 0),
        pl.Series("relapse", cause == 1),
    )


__all__ = ["TFR_CAUSES", "TfrColumns", "tfr_eligibility", "tfr_endpoints"]
