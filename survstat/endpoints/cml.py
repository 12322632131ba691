"""Molecular response in chronic myeloid leukaemia: classifying BCR-ABL1 results.

Levels on the International Scale (IS %), as defined by the European LeukemiaNet (Hochhaus et
al. 2020, Leukemia 34:966-984) and the EUTOS laboratory recommendations (Cross et al. 2015,
Leukemia 29:999-1003):

=========  ============  =====================================================
level      IS %          undetectable BCR-ABL1 needs at least (ABL1 / GUSB copies)
=========  ============  =====================================================
MMR (MR3)  <= 0.1        —
MR4        <= 0.01       10,000 / 24,000
MR4.5      <= 0.0032     32,000 / 77,000
MR5        <= 0.001      100,000 / 240,000
=========  ============  =====================================================

A detectable result is classified by its IS value; log reduction = log10(100 / IS %). An
undetectable result is classified by the sensitivity of the sample, i.e. the control-gene copies
in the same volume. Sources differ on <= versus < at the thresholds: <= is the default.

Rules every CML function here and in :mod:`~survstat.endpoints.cml_monitoring` and
:mod:`~survstat.endpoints.cml_tfr` applies alike:

* **Precision.** Every comparison of an IS % value, an upper bound or a copy number with a
  threshold is made after rounding both to :data:`SIGNIFICANT_DIGITS` (6) significant digits
  (:func:`compare`). Labs report 2-4 digits, so no real result moves, while 0.1 stored as float32
  (0.10000000149) or computed from copies (4 / 32,000 x 100 x 0.8 = 0.010000000000000002) is
  the published threshold again and classifies as its level.
* **Evaluability** (Cross et al. 2015: MR4 needs undetectable disease in a sample with at least
  10,000 ABL1 or 24,000 GUSB copies): an undetectable result with fewer copies is *not evaluable*:
  it is no response, does not show MMR, extends or breaks no run, and is not a milestone result.
  :func:`classify_samples` decides it once (column ``evaluable``); every other function reads
  that column.
* **Pre-study results.** A negative time is a sample taken before the start of treatment (a
  baseline sample): it is classified, but never counts as a response, as the start of MMR, as
  part of a sustained response or as a milestone result. A sample at time 0 (the start) counts.
* **Codings.** ``detected`` may be boolean, 0/1, or text as labs report it (see
  :data:`DETECTED_CODES`); the control gene is matched case-insensitively.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from survstat.endpoints.cml_input import (
    DETECTED_CODES,
    INTERNAL,
    SIGNIFICANT_DIGITS,
    Columns,
    Thresholds,
    check_events_in_follow_up,
    check_patient_ids,
    compare,
    number_option,
    patient_key,
    read_labs,
    read_patients,
    time_or_never,
    warn_late_results,
)
from survstat.errors import InvalidValueError, OptionError, SurvstatWarning
from survstat.io import FrameLike

#: Response levels from shallowest to deepest; "none" is a detectable result above MMR.
LEVELS = ("none", "MMR", "MR4", "MR4.5", "MR5")


def classified_results(
    labs: FrameLike,
    *,
    columns: Columns | None = None,
    thresholds: Thresholds | None = None,
) -> pl.DataFrame:
    """Validated, classified lab results with the internal columns the endpoints use.

    :func:`classify_samples` without dropping ``__t`` (time), ``__det`` (detected),
    ``__is``, ``__gene``, ``__copies``, ``__rank`` (depth of the level, null when not
    evaluable) and ``__upper`` (the IS % value, or for an evaluable undetectable result its
    upper bound ``mr4 x floor / copies``: 0.01% at 10,000 ABL1 copies, less with more).
    """
    cols = columns or Columns()
    thr = thresholds or Thresholds()
    frame = read_labs(labs, cols, thr)
    floors = thr.floors()
    det, value, copies, gene = (pl.col(c) for c in ("__det", "__is", "__copies", "__gene"))

    def floor(k: int) -> pl.Expr:
        return gene.replace_strict(
            {g: c[k] for g, c in floors.items()}, default=None, return_dtype=pl.Float64
        )

    op = thr.level_op
    detected_rank = (
        pl.when(compare(value, op, thr.mr5))
        .then(4)
        .when(compare(value, op, thr.mr45))
        .then(3)
        .when(compare(value, op, thr.mr4))
        .then(2)
        .when(compare(value, op, thr.mmr))
        .then(1)
        .otherwise(0)
    )
    undetected_rank = (
        pl.when(compare(copies, ">=", floor(2)))
        .then(4)
        .when(compare(copies, ">=", floor(1)))
        .then(3)
        .when(compare(copies, ">=", floor(0)))
        .then(2)
    )
    rank = pl.when(det).then(detected_rank).otherwise(undetected_rank).cast(pl.Int64)
    out = frame.with_columns(rank.alias("__rank")).with_columns(
        pl.when(det)
        .then(value)
        .when(pl.col("__rank").is_not_null())
        .then(thr.mr4 * floor(0) / copies)
        .alias("__upper"),
        pl.col("__rank")
        .replace_strict(dict(enumerate(LEVELS)), default=None, return_dtype=pl.String)
        .cast(pl.Enum(list(LEVELS)))
        .alias("level"),
        # 2 - log10(IS) = log10(100 / IS) without overflow for IS near the smallest float
        pl.when(det).then(2.0 - value.log10()).alias("log_reduction"),
        pl.col("__rank").is_not_null().alias("evaluable"),
    )
    return out.with_columns(_reasons(out, floors))


def _reasons(frame: pl.DataFrame, floors: Mapping[str, tuple[float, float, float]]) -> pl.Series:
    """Why each result has its level: by IS %, by the copies of an undetectable result, or
    too few copies to be evaluable."""
    reason = np.full(frame.height, "detectable: classified by IS %", dtype=object)
    det = frame.get_column("__det").to_numpy()
    rank = frame.get_column("__rank").to_numpy()
    genes = frame.get_column("__gene").to_list()
    copies = frame.get_column("__copies").to_numpy()
    names = ("MR4", "MR4.5", "MR5")
    for i in np.flatnonzero(~det):
        g, c = genes[i], copies[i]
        if np.isnan(rank[i]):
            reason[i] = (
                f"undetectable with only {c:,.0f} {g} copies (< {floors[g][0]:,.0f}): "
                "sensitivity too low"
            )
        else:
            k = int(rank[i]) - 2
            reason[i] = f"undetectable with {g} >= {floors[g][k]:,.0f} copies ({names[k]})"
    return pl.Series("reason", reason.tolist(), dtype=pl.String)


def classify_samples(
    labs: FrameLike,
    *,
    columns: Columns | None = None,
    thresholds: Thresholds | None = None,
) -> pl.DataFrame:
    """Classify each BCR-ABL1 result: MR level, log reduction, evaluable flag and reason.

    Parameters
    ----------
    labs
        One row per sample: patient id, time since the start of treatment (negative for a
        pre-study sample), IS %, detected flag, control gene and its copies (see
        :class:`Columns`). ``detected`` may be boolean, 0/1 or text (:data:`DETECTED_CODES`);
        IS % is needed for detected samples and must be positive; the control gene (ABL1 or
        GUSB, any case) and its copies are needed for undetectable ones.
    columns
        Column names, default :class:`Columns`.
    thresholds
        Level thresholds and copy floors, default :class:`Thresholds` (ELN 2020 / EUTOS).

    Returns
    -------
    polars.DataFrame
        The input columns (a NaN IS % or copy count, which means "not reported", as null)
        followed by ``level`` (one of :data:`LEVELS`, null when not
        evaluable), ``log_reduction`` (null for undetectable samples), ``evaluable`` and
        ``reason``.

    Raises
    ------
    SurvstatError
        A missing column, a wrong type, no rows, a missing patient id or time, a NaN or
        infinite time, an unknown ``detected`` coding, a detected sample without a positive
        IS %, an undetectable one without copies or with an unknown control gene, or two
        results of a patient at the same time, each named with its first patient and time.

    Notes
    -----
    Thresholds are compared at :data:`SIGNIFICANT_DIGITS` significant digits (see
    :func:`compare`). A detected result with IS % 0 is an error rather than MR5 with an
    infinite log reduction: the lab meant undetectable, which needs the control-gene copies.

    References
    ----------
    1. Hochhaus A et al. European LeukemiaNet 2020 recommendations for treating chronic myeloid
       leukemia. Leukemia 2020;34:966-984.
    2. Cross NCP et al. Laboratory recommendations for scoring deep molecular responses
       following treatment for chronic myeloid leukemia. Leukemia 2015;29:999-1003.

    Examples
    --------
    >>> import polars as pl
    >>> labs = pl.DataFrame({"patient_id": ["a", "a", "b"], "time": [3.0, 6.0, 3.0],
    ...     "is_percent": [0.05, None, None], "detected": ["DETECTED", "NOT DETECTED", "N"],
    ...     "control_gene": ["ABL1", "abl1", "Abl1"], "control_copies": [50_000, 40_000, 9_000]})
    >>> classify_samples(labs).get_column("level").to_list()
    ['MMR', 'MR4.5', None]
    """
    cols = columns or Columns()
    out = classified_results(labs, columns=columns, thresholds=thresholds)
    # NaN in a result column means "not reported": shown as null, never as NaN
    measured = [
        pl.col(c).fill_nan(None)
        for c in (cols.is_percent, cols.control_copies)
        if out.schema[c].is_float()
    ]
    return out.drop(*(c for c in INTERNAL if c in out.columns)).with_columns(measured)


def usable(classified: pl.DataFrame) -> pl.DataFrame:
    """The results an endpoint may count: evaluable and not pre-study (time >= 0)."""
    return classified.filter(pl.col("evaluable") & (pl.col("__t") >= 0))


def level_rank(level: str) -> int:
    """Depth of a response level (0 = none ... 4 = MR5)."""
    if level not in LEVELS:
        raise OptionError(f"level must be one of {', '.join(LEVELS[1:])}; got {level!r}")
    return LEVELS.index(level)


def response_rank(level: str) -> int:
    """Depth of a response level, refusing "none"."""
    rank = level_rank(level)
    if rank == 0:
        raise OptionError("level must be a response level: MMR, MR4, MR4.5 or MR5")
    return rank


#: Cause codes of the time-to-response endpoint.
CAUSES = {0: "censored", 1: "response", 2: "discontinuation", 3: "progression", 4: "death"}


@dataclass(frozen=True, slots=True)
class PatientColumns:
    """Names of the patient-table columns; event times are on the same scale as sample times
    (time since start of treatment) and null when the event did not happen. The event columns
    (discontinuation, progression, death) may be absent: an absent column is an event that
    never happened."""

    patient: str = "patient_id"
    last_follow_up: str = "last_follow_up"
    discontinuation: str = "discontinuation"
    progression: str = "progression"
    death: str = "death"


#: Columns :func:`response_endpoints` adds to the patient table.
_ENDPOINT_COLUMNS = (
    "time",
    "cause",
    "cause_label",
    "first_response_time",
    "responded_by_landmark",
    "response_at_landmark",
    "best_level",
)


def response_endpoints(
    labs: FrameLike,
    patients: FrameLike,
    *,
    level: str = "MR4.5",
    landmark: float = 12.0,
    window: float = 0.0,
    columns: Columns | None = None,
    patient_columns: PatientColumns | None = None,
    thresholds: Thresholds | None = None,
) -> pl.DataFrame:
    """Per-patient time to first response at ``level`` or deeper, with competing events.

    Parameters
    ----------
    labs
        BCR-ABL1 results, as for :func:`classify_samples`.
    patients
        One row per patient: ``last_follow_up`` and, optionally, the times of
        ``discontinuation``, ``progression`` and ``death`` (null, or an absent column, when the
        event did not happen); other columns, such as the arm, are kept.
    level
        The response: MMR, MR4, MR4.5 (default) or MR5.
    landmark
        The landmark time (default 12, months in ELN 2020's milestones).
    window
        Visit window (default 0): a result up to ``landmark + window`` counts as a response by
        the landmark (a month-12 visit a few days late is the month-12 visit), and the result
        nearest the landmark within +- ``window`` is the landmark result.
    columns, patient_columns
        Column names of the two tables.
    thresholds
        Level thresholds and copy floors.

    Returns
    -------
    polars.DataFrame
        The patient columns, then ``time, cause, cause_label, first_response_time,
        responded_by_landmark, response_at_landmark, best_level``.
        ``responded_by_landmark``: a response at or before ``landmark + window``;
        ``response_at_landmark``: the counted result nearest the landmark within +-
        ``window`` shows the level (null when there is none).

    Notes
    -----
    The results that count are the evaluable ones (see :func:`classify_samples`) from time 0
    (pre-study results, at negative times, never count) up to the first competing event or
    the last follow-up, whichever comes first; a result on the day of a competing event
    counts. The event time is the first counted result showing the level (the response
    happened between that visit and the previous one: an interval-censored time, reported at
    the visit, as trials do). Discontinuation, progression and death before the response are
    competing events (cause 2, 3, 4; on a tie in that order); patients with neither are
    censored at their last follow-up (cause 0). ``best_level`` is the deepest counted result.
    The levels are those of ELN 2020 (Hochhaus et al. 2020) and EUTOS (Cross et al. 2015).

    The last follow-up ends each patient's record. A discontinuation, progression or death
    after it contradicts it and is an error naming the patient, the column and both times. A
    lab result after it does not count and a :class:`~survstat.errors.SurvstatWarning` names
    the first such patient, the sample time and the last follow-up: a sample taken after the
    last clinic visit is common in lab exports, and whether the last follow-up should move to
    it is the data manager's decision, not the analysis's.

    Examples
    --------
    >>> import polars as pl
    >>> labs = pl.DataFrame({"patient_id": ["a", "a"], "time": [-1.0, 6.0],
    ...     "is_percent": [0.002, 0.002], "detected": [1, 1],
    ...     "control_gene": ["ABL1"] * 2, "control_copies": [5e4] * 2})
    >>> patients = pl.DataFrame({"patient_id": ["a"], "last_follow_up": [12.0]})
    >>> response_endpoints(labs, patients).select("time", "cause_label").row(0)
    (6.0, 'response')
    """
    cols = columns or Columns()
    pcols = patient_columns or PatientColumns()
    rank = response_rank(level)
    landmark = number_option("landmark", landmark, strict=True)
    window = number_option("window", window)
    classified = classified_results(labs, columns=cols, thresholds=thresholds)
    events = (pcols.discontinuation, pcols.progression, pcols.death)
    pts = read_patients(
        patients,
        pcols.patient,
        {pcols.last_follow_up: "last_follow_up", **{e: e for e in events}},
        complete=[pcols.last_follow_up],
        optional=events,
    )
    classified = check_patient_ids(classified, cols.patient, pts, pcols.patient)
    clash = [c for c in pts.columns if c in _ENDPOINT_COLUMNS or c.startswith("__")]
    if clash:
        raise InvalidValueError(
            f"the patient table has columns named as output columns ({', '.join(clash)}); "
            "rename them first"
        )
    check_events_in_follow_up(pts, pcols.patient, events, pcols.last_follow_up)
    classified = classified.with_columns(patient_key(classified, cols.patient))
    warn_late_results(
        classified, cols, pts.with_columns(patient_key(pts, pcols.patient)), pcols.last_follow_up
    )
    last = pl.col(pcols.last_follow_up)
    timed = pts.with_columns(
        patient_key(pts, pcols.patient),
        *(time_or_never(pts, e).alias(f"__e{k}") for k, e in enumerate(events)),
    ).with_columns(pl.min_horizontal("__e0", "__e1", "__e2").alias("__comp"))
    timed = timed.with_columns(pl.min_horizontal("__comp", last).alias("__end"))
    # the results that count: evaluable, from time 0 to the first competing event or the
    # last follow-up, whichever comes first (a result on the day of the event counts)
    samples = (
        usable(classified)
        .join(timed.select("__pid", "__end"), on="__pid")
        .filter(pl.col("__t") <= pl.col("__end"))
    )
    t = pl.col("__t")
    first = (
        samples.filter(pl.col("__rank") >= rank)
        .group_by("__pid")
        .agg(t.min().alias("first_response_time"))
    )
    best = samples.group_by("__pid").agg(pl.col("__rank").max().alias("__best"))
    dist = (t - landmark).abs()
    near = (
        samples.filter(dist <= window)
        .sort("__pid", dist, "__t")
        .group_by("__pid", maintain_order=True)
        .agg(pl.col("__rank").first().alias("__at_rank"))
    )
    out = (
        timed.join(first, on="__pid", how="left", maintain_order="left")
        .join(best, on="__pid", how="left", maintain_order="left")
        .join(near, on="__pid", how="left", maintain_order="left")
    )
    resp, comp = pl.col("first_response_time"), pl.col("__comp")
    competing = comp.is_not_null()  # never after the last follow-up (checked above)
    cause = (
        pl.when(resp.is_not_null())
        .then(1)
        .when(competing & (pl.col("__e0") == comp))
        .then(2)
        .when(competing & (pl.col("__e1") == comp))
        .then(3)
        .when(competing & (pl.col("__e2") == comp))
        .then(4)
        .otherwise(0)
        .cast(pl.Int64)
    )
    out = out.with_columns(cause.alias("cause"))
    cause_col = pl.col("cause")
    return out.select(
        *pts.columns,
        pl.when(cause_col == 1)
        .then(resp)
        .when(cause_col >= 2)
        .then(comp)
        .otherwise(last)
        .alias("time"),
        cause_col,
        cause_col.replace_strict(CAUSES, return_dtype=pl.String).alias("cause_label"),
        resp,
        ((cause_col == 1) & (resp <= landmark + window)).alias("responded_by_landmark"),
        (pl.col("__at_rank") >= rank).alias("response_at_landmark"),
        pl.col("__best")
        .replace_strict(dict(enumerate(LEVELS)), default=None, return_dtype=pl.String)
        .cast(pl.Enum(list(LEVELS)))
        .alias("best_level"),
    )


__all__ = [
    "CAUSES",
    "DETECTED_CODES",
    "LEVELS",
    "SIGNIFICANT_DIGITS",
    "Columns",
    "PatientColumns",
    "Thresholds",
    "classify_samples",
    "compare",
    "level_rank",
    "molecular_response",
    "response_endpoints",
]


@dataclass(frozen=True, slots=True)
class MolecularResponseResult:
    """Response at a level by a landmark, estimated three ways.

    Every estimate answers the same question: response by ``evaluated_at = landmark +
    window``, the time up to which :func:`response_endpoints` counts a response as
    ``responded_by_landmark``.

    Attributes
    ----------
    endpoints
        The per-patient table from :func:`response_endpoints`.
    incidence
        Cumulative incidence of the response at ``evaluated_at`` with competing
        discontinuation, progression and death (Aalen-Johansen): the ``by`` columns, then
        ``level, landmark, cif, std_error, conf_low, conf_high, window, evaluated_at, reason``
        (``reason`` says why the estimate is null, e.g. when follow-up ends before
        ``evaluated_at``; null otherwise).
    rate
        Proportion responding by ``evaluated_at`` with an exact interval (and the test against
        ``null_rate``), as :func:`survstat.proportion`.
    gray
        Gray's test between the ``by`` groups for the response (None without ``by``).
    one_minus_km
        Sensitivity analysis: 1 - Kaplan-Meier at ``evaluated_at`` with competing events
        censored (it overstates the incidence when competing events occur): the ``by``
        columns, then ``level, landmark, estimate, conf_low, conf_high, window, evaluated_at,
        reason`` (null where the follow-up ends before ``evaluated_at`` in anything but a
        response: for the Kaplan-Meier a competing event is a censoring).
    comparison
        The landmark rate of each arm against the reference arm, as
        :func:`survstat.compare_proportions` (None without ``by``); a limit that is undefined
        or unbounded (a degenerate table) is null.
    """

    endpoints: pl.DataFrame
    incidence: pl.DataFrame
    rate: pl.DataFrame
    gray: pl.DataFrame | None
    one_minus_km: pl.DataFrame
    comparison: pl.DataFrame | None


def _at_landmark(
    curve_at: Callable[[list[float]], pl.DataFrame],
    ends: pl.DataFrame,
    groups: list[str],
    at: float,
    columns: Iterable[pl.Expr],
    values: tuple[str, ...],
    censored: pl.Expr,
) -> pl.DataFrame:
    """A curve's value at ``at`` per group, null with a ``reason`` where it is unknown.

    After a group's last time nobody is at risk. When that time ends in events only, the
    curve is complete (no one is left whose event could come later) and keeps its last
    value, which is the value at ``at``; when it is a censoring, what happens later is
    unknown and the value is null, with the reason. ``censored`` says which rows of ``ends``
    the curve treats as censorings: ``cause == 0`` for the cumulative incidence, and
    ``cause != 1`` for 1 - Kaplan-Meier of the response, which censors the competing events
    too (a group whose follow-up ends in a discontinuation has an unknown Kaplan-Meier
    beyond it).
    """
    grouped = ends.group_by(groups, maintain_order=True) if groups else None
    last = pl.col("time").max()
    aggs = (
        last.alias("__last"),
        censored.filter(pl.col("time") == last).any().alias("__censored"),
    )
    info = grouped.agg(*aggs) if grouped is not None else ends.select(*aggs)
    if groups:  # in the curve's order of groups
        order = curve_at([at]).select(groups)
        info = order.join(info, on=groups, how="left", maintain_order="left", nulls_equal=True)
    early = pl.col("__last") < at
    info = info.with_columns(
        pl.when(~early)
        .then(pl.lit(at))
        .when(~pl.col("__censored"))
        .then(pl.col("__last"))
        .alias("__eval"),
        pl.when(early & pl.col("__censored"))
        .then(
            pl.format(
                "not estimable: follow-up ends at {} (censored), before landmark + window = {}",
                pl.col("__last").round(6),
                pl.lit(at),
            )
        )
        .alias("reason"),
    )
    times = sorted({at, *info.get_column("__eval").drop_nulls().to_list()})
    curve = curve_at(times).select(*groups, pl.col("time").alias("__eval"), *columns)
    joined = info.with_columns(pl.coalesce("__eval", pl.lit(at)).alias("__eval")).join(
        curve, on=[*groups, "__eval"], how="left", maintain_order="left", nulls_equal=True
    )
    return joined.select(
        *groups,
        *(pl.when(pl.col("reason").is_null()).then(pl.col(v)).alias(v) for v in values),
        "reason",
    )


def molecular_response(
    labs: FrameLike,
    patients: FrameLike,
    *,
    level: str = "MR4.5",
    landmark: float = 12.0,
    window: float = 0.0,
    by: str | None = None,
    null_rate: float | None = None,
    alternative: str = "two-sided",
    conf_level: float = 0.95,
    conf_type: str = "log-log",
    rate_method: str = "clopper-pearson",
    reference: Any = None,
    columns: Columns | None = None,
    patient_columns: PatientColumns | None = None,
    thresholds: Thresholds | None = None,
) -> MolecularResponseResult:
    """From raw BCR-ABL1 results to "MR4.5 by month 12": incidence, rate and tests.

    Parameters
    ----------
    labs, patients
        Lab results and patient table, as for :func:`response_endpoints`.
    level
        The response: MMR, MR4, MR4.5 (default) or MR5.
    landmark, window
        Response by ``landmark + window`` (defaults 12 and 0): with a visit window, the
        incidence, 1 - Kaplan-Meier and the rate are all evaluated at ``landmark + window``, so
        that one row answers one question.
    by
        Patient-table column of the arms (Gray's test and the rate comparison).
    null_rate, alternative
        Reference rate and direction of the exact binomial test of the landmark rate.
    conf_level, conf_type
        Level and transform of the incidence and 1 - Kaplan-Meier intervals (default
        log-log, as cmprsk; ``"plain"`` is the symmetric interval many papers print).
    rate_method
        Interval of the landmark rate (default Clopper-Pearson).
    reference
        Reference arm of the rate comparison (default: the first level).
    columns, patient_columns, thresholds
        Column names, level thresholds and copy floors.

    Returns
    -------
    MolecularResponseResult

    Notes
    -----
    The cumulative incidence treats discontinuation, progression and death as competing events
    (the analysis ELN and CML papers report), with pointwise intervals of ``conf_type`` (see
    :func:`survstat.cumulative_incidence`); 1 - Kaplan-Meier, censoring the competing events,
    is reported beside it as a sensitivity analysis. Where a group's follow-up ends before
    ``landmark + window`` in a censoring both are null with a ``reason`` (the curves are
    unknown there, as ``cmprsk::timepoints`` reports); where it ends in competing events only,
    the incidence is complete (all-cause survival is 0) and keeps its last value, while the
    Kaplan-Meier, for which those events are censorings, is unknown and null with the same
    reason (as R's ``summary(survfit(...), times=, extend=FALSE)`` gives no value past the
    last time). The landmark rate counts patients who responded by
    ``landmark + window`` among all patients (intention to treat). With ``by``, Gray's test
    and the difference in landmark rates against the ``reference`` arm (Newcombe interval,
    Fisher's exact test) compare the arms.

    Examples
    --------
    >>> import polars as pl
    >>> labs = pl.DataFrame({"patient_id": ["a", "a", "b", "b"], "time": [6.0, 12.0, 6.0, 12.0],
    ...     "is_percent": [0.002, None, 0.05, 0.04], "detected": [True, False, True, True],
    ...     "control_gene": ["ABL1"] * 4, "control_copies": [5e4, 4e4, 5e4, 5e4]})
    >>> patients = pl.DataFrame({"patient_id": ["a", "b"], "last_follow_up": [12.0, 12.0]})
    >>> res = molecular_response(labs, patients, level="MR4.5", landmark=12)
    >>> res.rate.select("n", "n_responders").row(0)
    (2, 1)
    """
    from survstat.estimators.compare_rates import compare_proportions
    from survstat.estimators.cumulative_incidence import cumulative_incidence
    from survstat.estimators.gray import gray_test
    from survstat.estimators.kaplan_meier import kaplan_meier
    from survstat.estimators.proportions import proportion

    ends = response_endpoints(
        labs,
        patients,
        level=level,
        landmark=landmark,
        window=window,
        columns=columns,
        patient_columns=patient_columns,
        thresholds=thresholds,
    )
    landmark, window = float(landmark), float(window)
    at = landmark + window
    groups = [by] if by else []
    with warnings.catch_warnings():
        # the cause coding is survstat's own: causes that never occur are expected here
        warnings.simplefilter("ignore", SurvstatWarning)
        cif = cumulative_incidence(
            ends,
            time="time",
            cause="cause",
            causes=[1, 2, 3, 4],
            by=by,
            conf_level=conf_level,
            conf_type=conf_type,
        )
    head = (pl.lit(level).alias("level"), pl.lit(landmark).alias("landmark"))
    tail = (pl.lit(window).alias("window"), pl.lit(at).alias("evaluated_at"), "reason")
    values = ("cif", "std_error", "conf_low", "conf_high")
    incidence = _at_landmark(
        lambda times: cif.at(times).filter(pl.col("cause") == 1),
        ends,
        groups,
        at,
        [pl.col(v) for v in values],
        values,
        censored=pl.col("cause") == 0,
    ).select(*groups, *head, *values, *tail)
    km = kaplan_meier(
        ends.with_columns((pl.col("cause") == 1).alias("__response")),
        time="time",
        event="__response",
        by=by,
        conf_type=conf_type,
        conf_level=conf_level,
    )
    values = ("estimate", "conf_low", "conf_high")
    one_minus_km = _at_landmark(
        km.at,
        ends,
        groups,
        at,
        [
            (1.0 - pl.col("survival")).alias("estimate"),
            (1.0 - pl.col("conf_high")).alias("conf_low"),
            (1.0 - pl.col("conf_low")).alias("conf_high"),
        ],
        values,
        censored=pl.col("cause") != 1,
    ).select(*groups, *head, *values, *tail)
    rate = proportion(
        ends,
        response="responded_by_landmark",
        by=by,
        method=rate_method,
        null_rate=null_rate,
        alternative=alternative,
        conf_level=conf_level,
    ).table
    gray = comparison = None
    if by and not (ends.get_column("cause") == 1).any():
        # no response at all: the test is undefined, as for any cause that never occurs
        gray = pl.DataFrame(
            {"cause": [1], "statistic": [None], "df": [ends.get_column(by).n_unique() - 1]},
            schema={"cause": pl.Int64, "statistic": pl.Float64, "df": pl.Int64},
        ).with_columns(pl.lit(None, dtype=pl.Float64).alias("p_value"))
    elif by:
        # Gray's test for the response sees the other causes only as competing events
        competing = ends.with_columns(pl.col("cause").clip(upper_bound=2))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SurvstatWarning)
            gray = gray_test(competing, time="time", cause="cause", causes=[1, 2], by=by).table
        gray = gray.filter(pl.col("cause") == 1)
        comparison = compare_proportions(
            ends,
            response="responded_by_landmark",
            by=by,
            reference=reference,
            conf_level=conf_level,
        ).table
    return MolecularResponseResult(
        endpoints=ends,
        incidence=incidence,
        rate=rate,
        gray=None if gray is None else _finite(gray),
        one_minus_km=one_minus_km,
        comparison=None if comparison is None else _finite(comparison),
    )


def _finite(table: pl.DataFrame) -> pl.DataFrame:
    """``table`` with NaN and infinite values as null (undefined): the arm comparison of a
    degenerate 2 x 2 table (no responders, say) has an unbounded odds-ratio limit, which
    ``fisher.test`` reports as Inf."""
    return table.with_columns(
        pl.when(pl.col(c).is_finite()).then(pl.col(c)).alias(c)
        for c, dtype in table.schema.items()
        if dtype.is_float()
    )
