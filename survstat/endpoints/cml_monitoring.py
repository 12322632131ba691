"""Monitoring CML on treatment: ELN 2020 milestones and loss of major molecular response.

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

An undetectable result shows only that BCR-ABL1 is below what the sample could detect. Its upper
bound is taken as the MR4 threshold scaled by the control-gene copies, ``mr4 * floor / copies``
(0.01% at 10,000 ABL1 copies, 0.0032% at 32,000: the EUTOS floors of Cross et al. 2015), and the
sample counts only where that bound settles the question: as optimal when the bound is within
the optimal range, as "in MMR" when it is at most 0.1%; otherwise it is left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from survstat.endpoints.cml import Columns, Thresholds, classify_samples, level_depth, level_rank
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


def _with_upper_bound(labs: FrameLike, cols: Columns, thr: Thresholds) -> pl.DataFrame:
    """Classified samples with ``__upper``: the IS % value, or its bound when undetectable."""
    classified = classify_samples(labs, columns=cols, thresholds=thr)
    floors = {gene: float(c[0]) for gene, c in thr.copies.items()}
    bound = (
        thr.mr4
        * pl.col(cols.control_gene).cast(pl.String).replace_strict(floors, default=None)
        / pl.col(cols.control_copies).cast(pl.Float64)
    )
    return classified.with_columns(
        pl.when(pl.col(cols.detected))
        .then(pl.col(cols.is_percent).cast(pl.Float64))
        .otherwise(bound)
        .alias("__upper"),
        pl.col(cols.time).cast(pl.Float64).alias("__t"),
    )


def mmr_status(labs: FrameLike, cols: Columns, thr: Thresholds) -> pl.DataFrame:
    """Results that settle whether the patient is in MMR: ``__in`` (at or below the threshold,
    an undetectable result by its bound) or ``__above`` (detected above it), with ``__t``."""
    upper = pl.col("__upper")
    in_mmr = (upper <= thr.mmr) if thr.inclusive else (upper < thr.mmr)
    return (
        _with_upper_bound(labs, cols, thr)
        .filter(upper.is_not_null())
        .with_columns(in_mmr.alias("__in"), (pl.col(cols.detected) & ~in_mmr).alias("__above"))
        # undetectable results too insensitive to show MMR say nothing about it
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

    The milestone sample is the informative result closest to the milestone within +-
    ``window`` (the earlier one on a tie); undetectable results are informative only when
    their upper bound is within the optimal range.

    Returns one row per (patient, milestone): ``<patient>, milestone, sample_time, is_percent``
    (the value, or the bound of an undetectable result), ``detected, category`` (optimal,
    warning, failure; null without a sample), ``confirmation_time`` (the later result that
    confirmed a failure) and ``reason``.

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
    thr = thresholds or Thresholds()
    if not (window >= 0):
        raise OptionError(f"`window` must be >= 0; got {window}")
    if not milestones:
        raise OptionError("`milestones` must not be empty")
    samples = _with_upper_bound(labs, cols, thr).filter(pl.col("__upper").is_not_null())
    patients = samples.select(cols.patient).unique(maintain_order=True)
    parts = []
    for m in milestones:
        informative = pl.col(cols.detected) | (pl.col("__upper") <= m.optimal)
        nearest = (
            samples.filter(informative & ((pl.col("__t") - m.time).abs() <= window))
            .sort([cols.patient, (pl.col("__t") - m.time).abs(), "__t"])
            .group_by(cols.patient, maintain_order=True)
            .first()
            .select(cols.patient, "__t", "__upper", cols.detected)
        )
        rows = patients.join(nearest, on=cols.patient, how="left")
        if m.confirm is not None:
            lo, hi = m.confirm
            later = samples.filter(pl.col(cols.detected) & (pl.col("__upper") > m.failure))
            confirmed = (
                rows.filter(pl.col("__upper") > m.failure)
                .join(later.select(cols.patient, pl.col("__t").alias("__c")), on=cols.patient)
                .filter(pl.col("__c").is_between(pl.col("__t") + lo, pl.col("__t") + hi))
                .group_by(cols.patient)
                .agg(pl.col("__c").min().alias("confirmation_time"))
            )
            rows = rows.join(confirmed, on=cols.patient, how="left")
            failed = pl.col("confirmation_time").is_not_null()
        else:
            rows = rows.with_columns(pl.lit(None, dtype=pl.Float64).alias("confirmation_time"))
            failed = pl.lit(True)
        value = pl.col("__upper")
        category = (
            pl.when(value.is_null())
            .then(None)
            .when(value <= m.optimal)
            .then(pl.lit("optimal"))
            .when((value > m.failure) & failed)
            .then(pl.lit("failure"))
            .otherwise(pl.lit("warning"))
        )
        reason = (
            pl.when(value.is_null())
            .then(pl.lit(f"no informative result within +-{window:g} of {m.time:g}"))
            .when(value <= m.optimal)
            .then(pl.lit(f"<= {m.optimal:g}%"))
            .when((value > m.failure) & failed)
            .then(
                pl.lit(f"> {m.failure:g}%")
                + pl.when(pl.col("confirmation_time").is_not_null())
                .then(pl.lit(", confirmed"))
                .otherwise(pl.lit(""))
            )
            .when(value > m.failure)
            .then(pl.lit(f"> {m.failure:g}%, not confirmed"))
            .otherwise(pl.lit(f"> {m.optimal:g}% and <= {m.failure:g}%"))
        )
        parts.append(
            rows.select(
                cols.patient,
                pl.lit(m.time, dtype=pl.Float64).alias("milestone"),
                pl.col("__t").alias("sample_time"),
                value.alias("is_percent"),
                pl.col(cols.detected).alias("detected"),
                category.cast(pl.Enum(list(CATEGORIES))).alias("category"),
                pl.col("confirmation_time").cast(pl.Float64),
                reason.alias("reason"),
            )
        )
    return pl.concat(parts).sort(cols.patient, "milestone", maintain_order=True)


def loss_of_mmr(
    labs: FrameLike,
    *,
    confirmed: bool = False,
    columns: Columns | None = None,
    thresholds: Thresholds | None = None,
) -> pl.DataFrame:
    """Per-patient loss of major molecular response (MMR), ready for Kaplan-Meier.

    MMR is reached at the first result at or below the MMR threshold (an undetectable result
    counts when its upper bound is). Loss is the first later result above it; with
    ``confirmed=True`` (ELN 2013) the first of two consecutive results above the threshold, one
    of them at least 1%. The loss is dated at the first abnormal result. Patients who never lost
    MMR are censored at their last informative result.

    Returns one row per patient who reached MMR: ``<patient>, mmr_time, loss_of_mmr``
    (event indicator), ``loss_time`` (null without loss), ``end_time`` (loss or censoring) and
    ``duration = end_time - mmr_time`` (the duration of MMR).

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
    samples = mmr_status(labs, cols, thresholds or Thresholds()).sort(cols.patient, "__t")
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
            & (pl.max_horizontal("__upper", "__next_upper") >= 1.0)
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


def sustained_response(
    labs: FrameLike,
    *,
    level: str = "MR4",
    until: float | None = None,
    columns: Columns | None = None,
    thresholds: Thresholds | None = None,
) -> pl.DataFrame:
    """Runs of consecutive results at ``level`` or deeper: the longest and the current one.

    A run is a maximal sequence of consecutive evaluable results at the level or deeper; its
    duration is the time from its first to its last result (the span over which the response
    was observed to be sustained). Results that are not evaluable (undetectable with too few
    control-gene copies) neither extend nor break a run. With ``until``, only results at or
    before that time count (e.g. the date treatment stopped).

    Returns one row per patient with an evaluable result: ``<patient>, level, n_results,
    longest_start, longest_end, longest_duration, current_start, current_duration`` (the run
    holding the patient's last evaluable result; null when that result is shallower than the
    level) and ``last_result_time``.

    Examples
    --------
    >>> import polars as pl
    >>> labs = pl.DataFrame({"patient_id": ["a"] * 5, "time": [0.0, 6.0, 12.0, 18.0, 30.0],
    ...     "is_percent": [0.005, 0.008, 0.05, 0.009, 0.002], "detected": [True] * 5,
    ...     "control_gene": ["ABL1"] * 5, "control_copies": [5e4] * 5})
    >>> sustained_response(labs).select("longest_duration", "current_duration").row(0)
    (12.0, 12.0)
    """
    cols = columns or Columns()
    rank = level_rank(level)
    if rank == 0:
        raise OptionError("level must be a response level: MMR, MR4, MR4.5 or MR5")
    t = pl.col(cols.time).cast(pl.Float64)
    samples = classify_samples(labs, columns=cols, thresholds=thresholds).filter(
        pl.col("evaluable")
    )
    if until is not None:
        samples = samples.filter(t <= until)
    deep = level_depth() >= rank
    samples = (
        samples.sort(cols.patient, cols.time)
        .with_columns(t.alias("__t"), deep.alias("__deep"))
        .with_columns(
            (pl.col("__deep") != pl.col("__deep").shift(1))
            .fill_null(True)
            .cum_sum()
            .over(cols.patient)
            .alias("__run")
        )
    )
    per_patient = samples.group_by(cols.patient, maintain_order=True).agg(
        pl.len().alias("n_results"),
        pl.col("__t").max().alias("last_result_time"),
        pl.col("__run").last().alias("__last_run"),
    )
    runs = (
        samples.filter(pl.col("__deep"))
        .group_by(cols.patient, "__run", maintain_order=True)
        .agg(pl.col("__t").min().alias("__start"), pl.col("__t").max().alias("__end"))
        .with_columns((pl.col("__end") - pl.col("__start")).alias("__dur"))
    )
    longest = (
        runs.sort(cols.patient, pl.col("__dur"), "__start", descending=[False, True, False])
        .group_by(cols.patient, maintain_order=True)
        .first()
        .select(
            cols.patient,
            pl.col("__start").alias("longest_start"),
            pl.col("__end").alias("longest_end"),
            pl.col("__dur").alias("longest_duration"),
        )
    )
    current = runs.select(
        cols.patient,
        "__run",
        pl.col("__start").alias("current_start"),
        pl.col("__dur").alias("current_duration"),
    )
    out = (
        per_patient.join(longest, on=cols.patient, how="left")
        .join(
            current,
            left_on=[cols.patient, "__last_run"],
            right_on=[cols.patient, "__run"],
            how="left",
        )
        .with_columns(pl.lit(level).alias("level"))
    )
    return out.select(
        cols.patient,
        "level",
        "n_results",
        "longest_start",
        "longest_end",
        "longest_duration",
        "current_start",
        "current_duration",
        "last_result_time",
    ).sort(cols.patient, maintain_order=True)


__all__ = [
    "CATEGORIES",
    "ELN_2020",
    "Milestone",
    "eln_milestones",
    "loss_of_mmr",
    "sustained_response",
]
