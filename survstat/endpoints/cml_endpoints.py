"""Time to molecular response in CML, with competing events, per patient.

From classified BCR-ABL1 results (see :mod:`~survstat.endpoints.cml_levels`, ELN 2020 levels of
Hochhaus et al. 2020, Leukemia 34:966-984, and EUTOS sensitivity rules of Cross et al. 2015,
Leukemia 29:999-1003) and a one-row-per-patient table, :func:`response_endpoints` derives the
time to the first visit showing a response level, with discontinuation, progression and death
as competing events, and the response by and at a landmark: the input of the cumulative
incidence and landmark rates of :func:`~survstat.analyses.cml_response.molecular_response`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from survstat._choices import ResponseLevel
from survstat.endpoints.cml_input import Columns, Thresholds, number_option
from survstat.endpoints.cml_levels import LEVELS, classified_results, response_rank, usable
from survstat.endpoints.cml_patients import (
    check_events_in_follow_up,
    check_patient_ids,
    patient_key,
    read_patients,
    time_or_never,
    warn_late_results,
)
from survstat.endpoints.cml_thresholds import compare
from survstat.errors import InvalidValueError
from survstat.io import FrameLike

#: Cause codes of the time-to-response endpoint.
CAUSES = {0: "censored", 1: "response", 2: "discontinuation", 3: "progression", 4: "death"}


@dataclass(frozen=True, slots=True)
class PatientColumns:
    """Names of the patient-table columns.

    Event times are on the same scale as sample times (time since start of treatment) and
    null when the event did not happen. The event columns
    (discontinuation, progression, death) may be absent: an absent column is an event that
    never happened.
    """

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
    level: ResponseLevel = "MR4.5",
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
        BCR-ABL1 results, as for :func:`~survstat.endpoints.cml_levels.classify_samples`.
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
    The results that count are the evaluable ones (see
    :func:`~survstat.endpoints.cml_levels.classify_samples`) from time 0 (pre-study results,
    at negative times, never count) up to the first competing event or the last follow-up,
    whichever comes first; a result on the day of a competing event counts. The event time is
    the first counted result showing the level (the response happened between that visit and
    the previous one: an interval-censored time, reported at the visit, as trials do).
    Discontinuation, progression and death before the response are competing events (cause
    2, 3, 4; on a tie in that order); patients with neither are censored at their last
    follow-up (cause 0). ``best_level`` is the deepest counted result.
    The levels are those of ELN 2020 (Hochhaus et al. 2020) and EUTOS (Cross et al. 2015).

    The last follow-up ends each patient's record. A discontinuation, progression or death
    after it contradicts it and is an error naming the patient, the column and both times. A
    lab result after it does not count and a :class:`~survstat.errors.SurvstatWarning` names
    the first such patient, the sample time and the last follow-up: a sample taken after the
    last clinic visit is common in lab exports, and whether the last follow-up should move to
    it is the data manager's decision, not the analysis's.

    References
    ----------
    1. Hochhaus A et al. European LeukemiaNet 2020 recommendations for treating chronic myeloid
       leukemia. Leukemia 2020;34:966-984.
    2. Cross NCP et al. Laboratory recommendations for scoring deep molecular responses
       following treatment for chronic myeloid leukemia. Leukemia 2015;29:999-1003.

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
    pts = _read_patient_table(patients, pcols)
    classified = check_patient_ids(classified, cols.patient, pts, pcols.patient)
    classified = classified.with_columns(patient_key(classified, cols.patient))
    timed = _follow_up(pts, pcols)
    warn_late_results(classified, cols, timed, pcols.last_follow_up)
    counted = _counted_results(classified, timed, rank, landmark, window)
    out = timed.join(counted, on="__pid", how="left", maintain_order="left")
    return _endpoint_columns(out, pts.columns, pcols.last_follow_up, rank, landmark + window)


def _read_patient_table(patients: FrameLike, pcols: PatientColumns) -> pl.DataFrame:
    """Read and validate the patient table.

    Times become Float64; no column may bear an output column's name, and no competing event
    may come after the last follow-up.
    """
    events = (pcols.discontinuation, pcols.progression, pcols.death)
    pts = read_patients(
        patients,
        pcols.patient,
        {pcols.last_follow_up: "last_follow_up", **{e: e for e in events}},
        complete=[pcols.last_follow_up],
        optional=events,
    )
    clash = [c for c in pts.columns if c in _ENDPOINT_COLUMNS or c.startswith("__")]
    if clash:
        raise InvalidValueError(
            f"the patient table has columns named as output columns ({', '.join(clash)}); "
            "rename them first"
        )
    check_events_in_follow_up(pts, pcols.patient, events, pcols.last_follow_up)
    return pts


def _follow_up(pts: pl.DataFrame, pcols: PatientColumns) -> pl.DataFrame:
    """Add each patient's competing events and the end of their counted results.

    Adds ``__pid``, the competing-event times ``__e0, __e1, __e2`` (discontinuation,
    progression, death; null: never), the first of them ``__comp`` and the end of the
    counted results ``__end`` (the first competing event or the last follow-up).
    """
    events = (pcols.discontinuation, pcols.progression, pcols.death)
    timed = pts.with_columns(
        patient_key(pts, pcols.patient),
        *(time_or_never(pts, e).alias(f"__e{k}") for k, e in enumerate(events)),
    ).with_columns(pl.min_horizontal("__e0", "__e1", "__e2").alias("__comp"))
    return timed.with_columns(pl.min_horizontal("__comp", pcols.last_follow_up).alias("__end"))


def _counted_results(
    classified: pl.DataFrame, timed: pl.DataFrame, rank: int, landmark: float, window: float
) -> pl.DataFrame:
    """Summarise the counted results of each patient who has any.

    ``first_response_time`` (the first result at depth ``rank`` or deeper), ``__best`` (the
    deepest depth) and ``__at_rank`` (the depth of the result nearest the landmark within +-
    ``window``, the earlier on a tie).
    """
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
    return best.join(first, on="__pid", how="left").join(near, on="__pid", how="left")


def _endpoint_columns(
    out: pl.DataFrame, columns: Iterable[str], last_follow_up: str, rank: int, by: float
) -> pl.DataFrame:
    """Derive the endpoint columns after the patient ``columns``.

    The response (cause 1) when a counted result shows it, else the first competing event
    (cause 2, 3, 4 for discontinuation, progression, death; on a tie in that order), else
    censored at the last follow-up (cause 0); the response counts as by the landmark up to
    ``by``.
    """
    resp, comp = pl.col("first_response_time"), pl.col("__comp")
    competing = comp.is_not_null()  # never after the last follow-up (checked on reading)
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
        *columns,
        pl.when(cause_col == 1)
        .then(resp)
        .when(cause_col >= 2)
        .then(comp)
        .otherwise(pl.col(last_follow_up))
        .alias("time"),
        cause_col,
        cause_col.replace_strict(CAUSES, return_dtype=pl.String).alias("cause_label"),
        resp,
        ((cause_col == 1) & (resp <= by)).alias("responded_by_landmark"),
        (pl.col("__at_rank") >= rank).alias("response_at_landmark"),
        pl.col("__best")
        .replace_strict(dict(enumerate(LEVELS)), default=None, return_dtype=pl.String)
        .cast(pl.Enum(list(LEVELS)))
        .alias("best_level"),
    )


def followed_to(
    endpoints: pl.DataFrame, at: float, patient_columns: PatientColumns | None = None
) -> pl.Series:
    """Whether each patient was followed in the study to ``at``: the evaluable patients.

    A patient is followed to ``at`` when the last follow-up is at or after ``at`` and no
    discontinuation, progression or death comes before it (an event at ``at`` itself still
    leaves the patient followed to ``at``): the patients whose response by a landmark is
    known, as ACTIM counted the patients evaluable at month 48 (Rousselot et al. 2017, Cancer
    123:1791-1799: 15 of 17 "evaluable patients who were still on imatinib"). The patients
    are still on treatment at ``at`` only when the table gives the treatment's
    discontinuation: a patient table from SDTM DM alone (``sdtm cml-patients``) has the end
    of participation (RFPENDTC) as the last follow-up and no discontinuation, so it can say
    who was still in the study, not who was still on treatment. Times are compared at 6
    significant digits, as every CML threshold (see
    :func:`~survstat.endpoints.cml_thresholds.compare`).

    Parameters
    ----------
    endpoints
        The per-patient table of :func:`response_endpoints` (or any table with the patient
        columns).
    at
        The time (landmark + window).
    patient_columns
        Names of the last follow-up and competing-event columns (absent event columns are
        events that never happened).

    Returns
    -------
    polars.Series
        Boolean, ``followed``, one value per row of ``endpoints``.

    Examples
    --------
    >>> import polars as pl
    >>> ends = pl.DataFrame({"last_follow_up": [48.0, 48.0, 30.0],
    ...     "discontinuation": [None, 20.0, None]})
    >>> followed_to(ends, 48.0).to_list()
    [True, False, False]
    """
    pcols = patient_columns or PatientColumns()
    events = (pcols.discontinuation, pcols.progression, pcols.death)
    ended = [compare(pl.col(c), "<", at) for c in events if c in endpoints.columns]
    early = pl.any_horizontal(*(e.fill_null(False) for e in ended)) if ended else pl.lit(False)
    followed = compare(pl.col(pcols.last_follow_up), ">=", at) & ~early
    return endpoints.select(followed.fill_null(False).alias("followed")).to_series()


__all__ = ["CAUSES", "PatientColumns", "followed_to", "response_endpoints"]
