"""Sustained molecular response in CML: runs of consecutive results at a level or deeper.

How long a deep response has lasted is what ELN 2020 (Hochhaus et al. 2020, Leukemia
34:966-984, table 7) asks of a patient before treatment-free remission: MR4 or deeper
sustained for more than 2 years. The results used are those
:func:`~survstat.endpoints.cml.classify_samples` finds evaluable, at time 0 or later; an
evaluable undetectable result counts at the depth its control-gene copies allow (EUTOS, Cross
et al. 2015, Leukemia 29:999-1003).
"""

from __future__ import annotations

import polars as pl

from survstat._choices import ResponseLevel
from survstat.endpoints.cml_input import Columns, Thresholds, number_option
from survstat.endpoints.cml_levels import classified_results, response_rank, usable
from survstat.io import FrameLike


def deep_runs(samples: pl.DataFrame, patient: str, rank: int) -> pl.DataFrame:
    """Find the runs of consecutive results of depth ``rank`` or deeper.

    Parameters
    ----------
    samples
        Usable, classified results (see :func:`~survstat.endpoints.cml_levels.usable`).
    patient
        The patient id column.
    rank
        The depth a result needs to be part of a run (see
        :func:`~survstat.endpoints.cml_levels.response_rank`).

    Returns
    -------
    polars.DataFrame
        One row per patient: ``<patient>, n_results, longest_start, longest_end,
        longest_duration, current_start, current_duration, last_result_time``.
    """
    deep = pl.col("__rank") >= rank
    samples = (
        samples.sort(patient, "__t")
        .with_columns(deep.alias("__deep"))
        .with_columns(
            (pl.col("__deep") != pl.col("__deep").shift(1))
            .fill_null(True)
            .cum_sum()
            .over(patient)
            .alias("__run")
        )
    )
    per_patient = samples.group_by(patient, maintain_order=True).agg(
        pl.len().alias("n_results"),
        pl.col("__t").max().alias("last_result_time"),
        pl.col("__run").last().alias("__last_run"),
    )
    runs = (
        samples.filter(pl.col("__deep"))
        .group_by(patient, "__run", maintain_order=True)
        .agg(pl.col("__t").min().alias("__start"), pl.col("__t").max().alias("__end"))
        .with_columns((pl.col("__end") - pl.col("__start")).alias("__dur"))
    )
    longest = (
        runs.sort(patient, pl.col("__dur"), "__start", descending=[False, True, False])
        .group_by(patient, maintain_order=True)
        .first()
        .select(
            patient,
            pl.col("__start").alias("longest_start"),
            pl.col("__end").alias("longest_end"),
            pl.col("__dur").alias("longest_duration"),
        )
    )
    current = runs.select(
        patient,
        "__run",
        pl.col("__start").alias("current_start"),
        pl.col("__dur").alias("current_duration"),
    )
    out = per_patient.join(longest, on=patient, how="left", maintain_order="left").join(
        current,
        left_on=[patient, "__last_run"],
        right_on=[patient, "__run"],
        how="left",
        maintain_order="left",
    )
    return out.select(
        patient,
        "n_results",
        "longest_start",
        "longest_end",
        "longest_duration",
        "current_start",
        "current_duration",
        "last_result_time",
    )


def sustained_response(
    labs: FrameLike,
    *,
    level: ResponseLevel = "MR4",
    until: float | None = None,
    columns: Columns | None = None,
    thresholds: Thresholds | None = None,
) -> pl.DataFrame:
    """Find each patient's longest and current run of results at ``level`` or deeper.

    Parameters
    ----------
    labs
        BCR-ABL1 results, as for :func:`~survstat.endpoints.cml.classify_samples`.
    level
        MMR, MR4 (default; the depth ELN 2020 asks of TFR candidates), MR4.5 or MR5.
    until
        Only results at or before this time count (e.g. the time treatment stopped); default
        all.
    columns, thresholds
        Column names; level thresholds and copy floors.

    Returns
    -------
    polars.DataFrame
        One row per patient with a usable result: ``<patient>, level, n_results,
        longest_start, longest_end, longest_duration, current_start, current_duration`` (the
        run holding the patient's last usable result; null when that result is shallower
        than the level) and ``last_result_time``.

    Notes
    -----
    A run is a maximal sequence of consecutive usable results (evaluable, time >= 0) at the
    level or deeper; its duration is the time from its first to its last result (the span
    over which the response was observed to be sustained). Results that are not evaluable
    (undetectable with too few control-gene copies) and pre-study results neither extend nor
    break a run.

    References
    ----------
    1. Hochhaus A et al. European LeukemiaNet 2020 recommendations for treating chronic myeloid
       leukemia. Leukemia 2020;34:966-984.
    2. Cross NCP et al. Laboratory recommendations for scoring deep molecular responses
       following treatment for chronic myeloid leukemia. Leukemia 2015;29:999-1003.

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
    rank = response_rank(level)
    if until is not None:
        until = number_option("until", until, minimum=-float("inf"))
    samples = usable(classified_results(labs, columns=cols, thresholds=thresholds))
    if until is not None:
        samples = samples.filter(pl.col("__t") <= until)
    runs = deep_runs(samples, cols.patient, rank).with_columns(pl.lit(level).alias("level"))
    return runs.select(cols.patient, "level", pl.exclude(cols.patient, "level")).sort(
        cols.patient, maintain_order=True
    )


__all__ = ["deep_runs", "sustained_response"]
