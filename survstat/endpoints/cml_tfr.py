"""Treatment-free remission (TFR) in CML: eligibility to stop and molecular relapse after stopping.

ELN 2020 (Hochhaus et al. 2020, Leukemia 34:966-984, table 7) lets a patient attempt TFR after
more than 5 years of TKI therapy with a deep molecular response (MR4 or deeper) sustained for
more than 2 years; only these molecular and duration criteria can be derived from lab data (the
clinical ones, such as no prior resistance, are the investigator's). After stopping, molecular
relapse is loss of MMR (a single result above 0.1%), the trigger to restart therapy; TFR
survival counts relapse, restart of treatment without relapse and death as failures (as in
EURO-SKI, Saussele et al. 2018, Lancet Oncol 19:747-757).

"More than" is judged in one of two ways, stated in :func:`tfr_eligibility`: in calendar terms
when the inputs hold dates (a stop on the 5th anniversary of the start is not more than 5
years), and on times at the precision of :func:`~survstat.endpoints.cml.compare` otherwise.

The eligibility lives in :mod:`~survstat.endpoints.cml_tfr_eligibility` and the patient-table
columns (:class:`TfrColumns`) in :mod:`~survstat.endpoints.cml_patients`; both are imported
here, so ``from survstat.endpoints.cml_tfr import TfrColumns, tfr_eligibility, tfr_endpoints``
gives the whole TFR analysis.
"""

from __future__ import annotations

import polars as pl

from survstat.endpoints.cml_input import (
    Columns,
    Thresholds,
)
from survstat.endpoints.cml_levels import classified_results
from survstat.endpoints.cml_monitoring import mmr_status
from survstat.endpoints.cml_patients import (
    TfrColumns,
    check_events_in_follow_up,
    check_order,
    check_patient_ids,
    patient_key,
    read_patients,
    time_or_never,
    warn_late_results,
)
from survstat.endpoints.cml_tfr_eligibility import tfr_eligibility
from survstat.io import FrameLike

#: Cause codes of the TFR endpoint.
TFR_CAUSES = {0: "censored", 1: "molecular relapse", 2: "restart without relapse", 3: "death"}


def tfr_endpoints(
    labs: FrameLike,
    patients: FrameLike,
    *,
    columns: Columns | None = None,
    patient_columns: TfrColumns | None = None,
    thresholds: Thresholds | None = None,
) -> pl.DataFrame:
    """Per-patient time from stopping TKI therapy to the end of treatment-free remission.

    Parameters
    ----------
    labs
        BCR-ABL1 results, as for :func:`~survstat.endpoints.cml.classify_samples`.
    patients
        One row per patient: ``tki_stop`` (null when therapy goes on), ``last_follow_up`` and,
        optionally, ``tki_restart`` and ``death`` (null, or an absent column, when it did not
        happen), all times since the start of therapy.
    columns, patient_columns, thresholds
        Column names; level thresholds and copy floors.

    Returns
    -------
    polars.DataFrame
        ``<patient>, tki_stop, time`` (since the stop), ``cause`` (see :data:`TFR_CAUSES`),
        ``cause_label, tfr_failure`` (any failure: the event of TFR survival) and
        ``relapse``; only patients who stopped (non-null ``tki_stop``).

    Notes
    -----
    Molecular relapse is the first result after the stop above the MMR threshold (loss of
    MMR, compared at the precision of :func:`~survstat.endpoints.cml.compare`). A restart of
    therapy before any relapse and death are the other failures; a relapse found on the day
    of the restart is the relapse. Patients with none are censored at their last follow-up.

    The last follow-up ends each patient's record, as in
    :func:`~survstat.endpoints.cml.response_endpoints`: a restart or a death after it is an
    error naming the patient, the column and both times; a lab result after it does not
    count, and a :class:`~survstat.errors.SurvstatWarning` names the first such patient, the
    sample time and the last follow-up.

    References
    ----------
    1. Hochhaus A et al. European LeukemiaNet 2020 recommendations for treating chronic myeloid
       leukemia. Leukemia 2020;34:966-984.
    2. Saussele S et al. Discontinuation of tyrosine kinase inhibitor therapy in chronic myeloid
       leukaemia (EURO-SKI): a prespecified interim analysis of a prospective, multicentre,
       non-randomised, trial. Lancet Oncol 2018;19:747-757.
    """
    cols = columns or Columns()
    pcols = patient_columns or TfrColumns()
    thr = thresholds or Thresholds()
    classified = classified_results(labs, columns=cols, thresholds=thr)
    pts = _stop_and_follow_up(patients, pcols)
    classified = check_patient_ids(classified, cols.patient, pts, pcols.patient)
    classified = classified.with_columns(patient_key(classified, cols.patient))
    warn_late_results(classified, cols, pts, pcols.last_follow_up)
    stopped = pts.filter(pl.col(pcols.tki_stop).is_not_null())
    # molecular relapse is loss of MMR by the same rule as on treatment
    relapse = (
        mmr_status(classified, thr)
        .join(stopped.select("__pid", pcols.tki_stop), on="__pid")
        .filter(pl.col("__above") & (pl.col("__t") > pl.col(pcols.tki_stop)))
        .group_by("__pid")
        .agg(pl.col("__t").min().alias("__relapse"))
    )
    stop = pl.col(pcols.tki_stop)
    out = stopped.join(relapse, on="__pid", how="left", maintain_order="left").with_columns(
        (pl.col(pcols.last_follow_up) - stop).alias("__last"),
        (pl.col("__relapse") - stop).alias("__rel"),
        (time_or_never(stopped, pcols.tki_restart) - stop).alias("__restart"),
        (time_or_never(stopped, pcols.death) - stop).alias("__death"),
    )
    return _tfr_table(out, pcols)


def _stop_and_follow_up(patients: FrameLike, pcols: TfrColumns) -> pl.DataFrame:
    """Read and validate the TFR patient table, adding ``__pid``.

    Times become Float64; the restart, death and last follow-up must not be before the stop,
    and no restart or death may come after the last follow-up.
    """
    roles = {
        pcols.tki_stop: "tki_stop",
        pcols.tki_restart: "tki_restart",
        pcols.death: "death",
        pcols.last_follow_up: "last_follow_up",
    }
    pts = read_patients(
        patients,
        pcols.patient,
        roles,
        complete=[pcols.last_follow_up],
        optional=[pcols.tki_restart, pcols.death],
    )
    for later in (pcols.tki_restart, pcols.death, pcols.last_follow_up):
        check_order(pts, pcols.patient, pcols.tki_stop, later)
    events = (pcols.tki_restart, pcols.death)
    check_events_in_follow_up(pts, pcols.patient, events, pcols.last_follow_up)
    return pts.with_columns(patient_key(pts, pcols.patient))


def _tfr_table(out: pl.DataFrame, pcols: TfrColumns) -> pl.DataFrame:
    """Derive the TFR endpoint from the times since the stop.

    From ``__rel`` (relapse), ``__restart``, ``__death`` and ``__last`` (last follow-up): the
    first failure, relapse before restart before death on a tie, else censored at the last
    follow-up (EURO-SKI, Saussele et al. 2018, Lancet Oncol 19:747-757).
    """
    last = pl.col("__last")
    # results after the last follow-up do not count; restart and death are never after it
    first = pl.min_horizontal(
        pl.when(pl.col("__rel") <= last).then(pl.col("__rel")), "__restart", "__death"
    )
    failed = first.is_not_null()
    cause = (
        pl.when(failed & (pl.col("__rel") == first))
        .then(1)
        .when(failed & (pl.col("__restart") == first))
        .then(2)
        .when(failed & (pl.col("__death") == first))
        .then(3)
        .otherwise(0)
        .cast(pl.Int64)
    )
    out = out.with_columns(cause.alias("cause"), first.alias("__first"))
    c = pl.col("cause")
    return out.select(
        pcols.patient,
        pcols.tki_stop,
        pl.when(c > 0).then(pl.col("__first")).otherwise(last).alias("time"),
        c,
        c.replace_strict(TFR_CAUSES, return_dtype=pl.String).alias("cause_label"),
        (c > 0).alias("tfr_failure"),
        (c == 1).alias("relapse"),
    )


__all__ = ["TFR_CAUSES", "TfrColumns", "tfr_eligibility", "tfr_endpoints"]
