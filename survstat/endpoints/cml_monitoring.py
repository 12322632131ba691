"""Monitoring CML on treatment: ELN 2020 milestones, loss of MMR and sustained response.

Sustained response (runs of deep results) lives in :mod:`~survstat.endpoints.cml_sustained`
and is imported here.

Milestones follow the European LeukemiaNet 2020 recommendations (Hochhaus et al. 2020,
Leukemia 34:966-984, table 5) for BCR-ABL1 on the International Scale:

=========  =========  ==================  ===========================================
milestone  optimal    warning             failure
=========  =========  ==================  ===========================================
3 months   <= 10%     > 10%               > 10% if confirmed within 1-3 months
6 months   <= 1%      > 1-10%             > 10%
12 months  <= 0.1%    > 0.1-1%            > 1%
=========  =========  ==================  ===========================================

Loss of MMR is a result above 0.1% after MMR was reached; the confirmed definition of ELN 2013
(Baccarani et al. 2013, Blood 122:872-884) needs two consecutive results above 0.1%, one of them
at least 1%.

The results used are those :func:`~survstat.endpoints.cml.classify_samples` finds evaluable, at
time 0 or later (pre-study results never count). An evaluable undetectable result shows only
that BCR-ABL1 is below what the sample could detect: its upper bound is the MR4 threshold scaled
by the control-gene copies, ``mr4 * floor / copies`` (0.01% at 10,000 ABL1 copies, 0.0032% at
32,000: the EUTOS floors of Cross et al. 2015), which puts it in MMR and in the optimal range
of every ELN milestone. An undetectable result with fewer copies than the MR4 floor is not
evaluable and is left out everywhere. Every comparison with a threshold is made at the stated
precision of :func:`~survstat.endpoints.cml.compare`.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from survstat.endpoints.cml_input import Columns, Thresholds, compare, number_option
from survstat.endpoints.cml_levels import classified_results, usable
from survstat.endpoints.cml_sustained import sustained_response
from survstat.errors import OptionError
from survstat.io import FrameLike

#: Milestone categories, best first.
CATEGORIES = ("optimal", "warning", "failure")


@dataclass(frozen=True, slots=True)
class Milestone:
    """One response milestone: its time, the IS % bounds and the failure confirmation rule.

    ``optimal``: at most this IS % is optimal; ``failure``: above it is failure, between the two
    warning. With ``confirm`` (from, to), failure also needs a later result above ``failure``
    ``from``-``to`` time units after the milestone sample; unconfirmed it is a warning.
    """

    time: float
    optimal: float
    failure: float
    confirm: tuple[float, float] | None = None


#: ELN 2020 milestones, times in months since the start of therapy.
ELN_2020 = (
    Milestone(3.0, 10.0, 10.0, confirm=(1.0, 3.0)),
    Milestone(6.0, 1.0, 10.0),
    Milestone(12.0, 0.1, 1.0),
)


def mmr_status(classified: pl.DataFrame, thr: Thresholds) -> pl.DataFrame:
    """Return the usable results with their MMR status.

    The usable results (see :func:`~survstat.endpoints.cml.usable`) get ``__in`` (in MMR: the
    value, or an undetectable result's bound, at or below the MMR threshold) and ``__above``
    (detected above it).
    """
    upper = pl.col("__upper")
    return (
        usable(classified)
        .with_columns(
            compare(upper, thr.level_op, thr.mmr).alias("__in"),
            (pl.col("__det") & compare(upper, thr.beyond_op, thr.mmr)).alias("__above"),
        )
        .filter(pl.col("__in") | pl.col("__above"))
    )


def eln_milestones(
    labs: FrameLike,
    *,
    milestones: tuple[Milestone, ...] = ELN_2020,
    window: float = 1.0,
    columns: Columns | None = None,
    thresholds: Thresholds | None = None,
) -> pl.DataFrame:
    """ELN 2020 response category of each patient at each milestone.

    Parameters
    ----------
    labs
        BCR-ABL1 results, as for :func:`~survstat.endpoints.cml.classify_samples`.
    milestones
        The milestones, default :data:`ELN_2020` (3, 6 and 12 months).
    window
        Visit window around each milestone (default 1, a month either side).
    columns, thresholds
        Column names; level thresholds and copy floors.

    Returns
    -------
    polars.DataFrame
        One row per (patient, milestone): ``<patient>, milestone, sample_time, is_percent``
        (the value, or the bound of an undetectable result), ``detected, category``
        (optimal, warning, failure; null without a sample), ``confirmation_time`` (the later
        result that confirmed a failure) and ``reason``.

    Notes
    -----
    The milestone sample is the informative result closest to the milestone within +-
    ``window`` (the earlier one on a tie); an evaluable undetectable result is informative
    when its upper bound is within the optimal range. Every patient of the lab results gets
    a row per milestone, with a null category when no result qualifies.

    References
    ----------
    1. Hochhaus A et al. European LeukemiaNet 2020 recommendations for treating chronic myeloid
       leukemia. Leukemia 2020;34:966-984.

    Examples
    --------
    >>> import polars as pl
    >>> labs = pl.DataFrame({"patient_id": ["a", "a", "a"], "time": [3.0, 4.5, 12.5],
    ...     "is_percent": [20.0, 15.0, 0.5], "detected": [True] * 3,
    ...     "control_gene": ["ABL1"] * 3, "control_copies": [5e4] * 3})
    >>> eln_milestones(labs).get_column("category").to_list()
    ['failure', None, 'warning']
    """
    cols = columns or Columns()
    window = number_option("window", window)
    if not milestones:
        raise OptionError("`milestones` must not be empty")
    classified = classified_results(labs, columns=cols, thresholds=thresholds)
    samples = usable(classified)
    patients = classified.select(cols.patient).unique(maintain_order=True)
    parts = [_at_milestone(samples, patients, m, window, cols.patient) for m in milestones]
    return pl.concat(parts).sort(cols.patient, "milestone", maintain_order=True)


def _milestone_results(
    samples: pl.DataFrame, patients: pl.DataFrame, m: Milestone, window: float, patient: str
) -> pl.DataFrame:
    """Find each patient's result at milestone ``m`` and its confirmation.

    Every patient with ``__t, __upper, __det`` of their milestone result (the informative
    result nearest ``m.time`` within +- ``window``, the earlier on a tie; null without one)
    and ``confirmation_time``: the first later detected result above ``m.failure``
    ``m.confirm`` time units after it (null when not confirmed or not asked for).
    """
    upper, t = pl.col("__upper"), pl.col("__t")
    informative = pl.col("__det") | compare(upper, "<=", m.optimal)
    nearest = (
        samples.filter(informative & ((t - m.time).abs() <= window))
        .sort([patient, (t - m.time).abs(), "__t"])
        .group_by(patient, maintain_order=True)
        .first()
        .select(patient, "__t", "__upper", "__det")
    )
    rows = patients.join(nearest, on=patient, how="left", maintain_order="left")
    if m.confirm is None:
        return rows.with_columns(pl.lit(None, dtype=pl.Float64).alias("confirmation_time"))
    lo, hi = m.confirm
    over = compare(upper, ">", m.failure)
    later = samples.filter(pl.col("__det") & over)
    confirmed = (
        rows.filter(over)
        .join(later.select(patient, pl.col("__t").alias("__c")), on=patient)
        .filter(pl.col("__c").is_between(t + lo, t + hi))
        .group_by(patient)
        .agg(pl.col("__c").min().alias("confirmation_time"))
    )
    return rows.join(confirmed, on=patient, how="left", maintain_order="left")


def _at_milestone(
    samples: pl.DataFrame, patients: pl.DataFrame, m: Milestone, window: float, patient: str
) -> pl.DataFrame:
    """Categorise each patient at milestone ``m``: the rows of :func:`eln_milestones`.

    Each patient's category by the ELN 2020 bounds of ``m`` (Hochhaus et al. 2020,
    Leukemia 34:966-984, table 5) and the reason.
    """
    rows = _milestone_results(samples, patients, m, window, patient)
    upper = pl.col("__upper")
    over = compare(upper, ">", m.failure)
    # failure needs the confirmation when the milestone asks for one (3 months)
    failed = pl.lit(True) if m.confirm is None else pl.col("confirmation_time").is_not_null()
    optimal = compare(upper, "<=", m.optimal)
    category = (
        pl.when(upper.is_null())
        .then(None)
        .when(optimal)
        .then(pl.lit("optimal"))
        .when(over & failed)
        .then(pl.lit("failure"))
        .otherwise(pl.lit("warning"))
    )
    reason = (
        pl.when(upper.is_null())
        .then(pl.lit(f"no informative result within +-{window:g} of {m.time:g}"))
        .when(optimal)
        .then(pl.lit(f"<= {m.optimal:g}%"))
        .when(over & failed)
        .then(
            pl.lit(f"> {m.failure:g}%")
            + pl.when(pl.col("confirmation_time").is_not_null())
            .then(pl.lit(", confirmed"))
            .otherwise(pl.lit(""))
        )
        .when(over)
        .then(pl.lit(f"> {m.failure:g}%, not confirmed"))
        .otherwise(pl.lit(f"> {m.optimal:g}% and <= {m.failure:g}%"))
    )
    return rows.select(
        patient,
        pl.lit(m.time, dtype=pl.Float64).alias("milestone"),
        pl.col("__t").alias("sample_time"),
        upper.alias("is_percent"),
        pl.col("__det").alias("detected"),
        category.cast(pl.Enum(list(CATEGORIES))).alias("category"),
        pl.col("confirmation_time").cast(pl.Float64),
        reason.alias("reason"),
    )


def loss_of_mmr(
    labs: FrameLike,
    *,
    confirmed: bool = False,
    columns: Columns | None = None,
    thresholds: Thresholds | None = None,
) -> pl.DataFrame:
    """Per-patient loss of major molecular response (MMR), ready for Kaplan-Meier.

    Parameters
    ----------
    labs
        BCR-ABL1 results, as for :func:`~survstat.endpoints.cml.classify_samples`.
    confirmed
        False (default): loss is a single result above 0.1% (ELN 2020's trigger to act).
        True: the ELN 2013 confirmed loss, two consecutive results above 0.1%, one of them at
        least 1%.
    columns, thresholds
        Column names; level thresholds and copy floors.

    Returns
    -------
    polars.DataFrame
        One row per patient who reached MMR: ``<patient>, mmr_time, loss_of_mmr`` (event
        indicator), ``loss_time`` (null without loss), ``end_time`` (loss or censoring) and
        ``duration = end_time - mmr_time`` (the duration of MMR).

    Notes
    -----
    MMR is reached at the first usable result (evaluable, time >= 0) at or below the MMR
    threshold (an undetectable result counts when it is evaluable: its bound is then at most
    0.01%). Loss is the first later result above it, dated at the first abnormal result.
    Patients who never lost MMR are censored at their last usable result.

    References
    ----------
    1. Hochhaus A et al. European LeukemiaNet 2020 recommendations for treating chronic myeloid
       leukemia. Leukemia 2020;34:966-984.
    2. Baccarani M et al. European LeukemiaNet recommendations for the management of chronic
       myeloid leukemia: 2013. Blood 2013;122:872-884.

    Examples
    --------
    >>> import polars as pl
    >>> labs = pl.DataFrame({"patient_id": ["a"] * 4, "time": [3.0, 6.0, 9.0, 12.0],
    ...     "is_percent": [0.5, 0.05, 0.3, 2.0], "detected": [True] * 4,
    ...     "control_gene": ["ABL1"] * 4, "control_copies": [5e4] * 4})
    >>> loss_of_mmr(labs, confirmed=True).select("mmr_time", "loss_time", "duration").row(0)
    (6.0, 9.0, 3.0)
    """
    cols = columns or Columns()
    thr = thresholds or Thresholds()
    classified = classified_results(labs, columns=cols, thresholds=thr)
    samples = mmr_status(classified, thr).sort(cols.patient, "__t")
    by_patient = samples.with_columns(
        pl.col("__in").cum_max().over(cols.patient).alias("__reached"),
        pl.col("__above").shift(-1).over(cols.patient).alias("__next_above"),
        pl.col("__upper").shift(-1).over(cols.patient).alias("__next_upper"),
    )
    loss = pl.col("__above") & pl.col("__reached")
    if confirmed:
        loss = (
            loss
            & pl.col("__next_above").fill_null(False)
            & compare(pl.max_horizontal("__upper", "__next_upper"), ">=", 1.0)
        )
    out = (
        by_patient.filter(pl.col("__reached"))
        .group_by(cols.patient, maintain_order=True)
        .agg(
            pl.col("__t").filter(pl.col("__in")).min().alias("mmr_time"),
            pl.col("__t").filter(loss).min().alias("loss_time"),
            pl.col("__t").max().alias("__last"),
        )
        .with_columns(
            pl.col("loss_time").is_not_null().alias("loss_of_mmr"),
            pl.coalesce("loss_time", "__last").alias("end_time"),
        )
        .with_columns((pl.col("end_time") - pl.col("mmr_time")).alias("duration"))
    )
    return out.select(
        cols.patient, "mmr_time", "loss_of_mmr", "loss_time", "end_time", "duration"
    ).sort(cols.patient, maintain_order=True)


__all__ = [
    "CATEGORIES",
    "ELN_2020",
    "Milestone",
    "eln_milestones",
    "loss_of_mmr",
    "sustained_response",
]
