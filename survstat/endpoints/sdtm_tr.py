"""SDTM TR to the sum of target-lesion diameters per visit and its change from baseline.

TR (tumour results, SDTM IG 3.4 section 6.3.17) holds one row per lesion and measurement:
the longest diameter of a target lesion is ``TRTESTCD = "LDIAM"`` (the short axis of a target
lymph node is ``"SAXIS"``) with ``TRGRPID`` or ``TRLNKGRP`` naming the target group, and some
sponsors also collect the sum directly (``TRTESTCD = "SUMDIAM"``). RECIST 1.1 (Eisenhauer et
al. 2009, section 4.3) compares the sum of the target diameters with the baseline sum; the
per-visit sums and percent changes are the input of waterfall and spider plots.
"""

from __future__ import annotations

import polars as pl

from survstat.endpoints.sdtm import Imputation, complete_dates, read_dm, read_domain
from survstat.endpoints.sdtm_dates import study_day
from survstat.errors import EmptyDataError, InvalidValueError, counted
from survstat.io import FrameLike

#: Per-lesion diameter tests summed over the target lesions (RECIST 1.1: the longest diameter
#: of non-nodal lesions, the short axis of nodal ones).
LESION_TESTS = ("LDIAM", "SAXIS")


def _targets(frame: pl.DataFrame) -> pl.DataFrame:
    """The target-lesion diameters, or the collected sums when TR holds SUMDIAM rows."""
    if frame.filter(pl.col("TRTESTCD") == "SUMDIAM").height:
        return frame.filter(pl.col("TRTESTCD") == "SUMDIAM")
    group = [c for c in ("TRGRPID", "TRLNKGRP") if c in frame.columns]
    is_target = (
        pl.any_horizontal(pl.col(c).str.to_uppercase().str.starts_with("TARGET") for c in group)
        if group
        else pl.lit(True)
    )
    return frame.filter(pl.col("TRTESTCD").is_in(LESION_TESTS) & is_target.fill_null(False))


def tr_target_sums(tr: FrameLike, dm: FrameLike) -> pl.DataFrame:
    """Per subject and assessment date: the sum of target-lesion diameters and its percent
    change from baseline.

    The target rows are the ``SUMDIAM`` rows when TR has any, else the ``LDIAM`` and ``SAXIS``
    rows whose ``TRGRPID`` (or ``TRLNKGRP``) starts with ``TARGET`` (all of them when TR has
    neither column). Rows of one subject and date (TRDTC, a complete date) are summed; the
    sum is null (not evaluable) when a measurement of that date is missing (``TRSTAT = "NOT
    DONE"`` or no ``TRSTRESN``) or fewer lesions were measured than at baseline. The
    baseline is the last assessment on or before the reference start date (DM ``RFSTDTC``,
    study day 1 or less) with an evaluable sum. Diameters are non-negative millimetres
    (``TRSTRESU``).

    Parameters
    ----------
    tr
        The TR domain: USUBJID, TRTESTCD, TRSTRESN, TRDTC; TRGRPID or TRLNKGRP, TRSTRESU,
        TRSTAT, VISIT when present.
    dm
        The DM domain (USUBJID, RFSTDTC): the reference start of each subject.

    Returns
    -------
    polars.DataFrame
        One row per subject and assessment date: subject_id, visit (when TR has VISIT),
        assessment_date, study_day, baseline (whether the row is the baseline), n_lesions,
        sum_diameters (mm), baseline_sum, percent_change (100 x (sum - baseline) / baseline;
        null without a baseline, at a non-evaluable sum or when the baseline sum is 0).

    Raises
    ------
    InvalidValueError
        Units other than mm, invalid or partial dates, subjects missing from DM.
    EmptyDataError
        No target-lesion rows.
    """
    frame = read_domain(tr, "TR", ("USUBJID", "TRTESTCD", "TRSTRESN", "TRDTC"))
    frame = _targets(frame)
    if frame.height == 0:
        raise EmptyDataError("TR has no target-lesion rows (TRTESTCD LDIAM, SAXIS or SUMDIAM)")
    if "TRSTRESU" in frame.columns:
        bad = frame.filter(pl.col("TRSTRESN").is_not_null() & (pl.col("TRSTRESU") != "mm"))
        if bad.height:
            raise InvalidValueError(
                f"TR `TRSTRESU` must be mm for target diameters; found "
                f"{counted(bad.height, 'row')} in "
                f"{sorted(set(bad['TRSTRESU'].cast(pl.String).to_list()))[:4]} (first: USUBJID "
                f"{bad['USUBJID'][0]!r})"
            )
    negative = frame.filter(pl.col("TRSTRESN") < 0)
    if negative.height:
        raise InvalidValueError(
            f"TR `TRSTRESN` must be non-negative for target diameters; found "
            f"{counted(negative.height, 'negative value')} "
            f"(first: USUBJID {negative['USUBJID'][0]!r}, "
            f"{negative['TRSTRESN'][0]})"
        )
    frame = complete_dates(frame, "TRDTC", "TR", Imputation())
    subjects = read_dm(dm).select("USUBJID", "RFSTDT")
    frame = frame.join(subjects, on="USUBJID", how="left")
    orphans = frame.filter(pl.col("RFSTDT").is_null())
    if orphans.height:
        raise InvalidValueError(
            f"TR: {orphans.height} rows belong to subjects missing from DM (first: USUBJID "
            f"{orphans['USUBJID'][0]!r})"
        )
    done = pl.col("TRSTRESN").is_not_null()
    if "TRSTAT" in frame.columns:
        done = done & (pl.col("TRSTAT").is_null() | (pl.col("TRSTAT") != "NOT DONE"))
    frame = frame.with_columns(done.alias("__done"))
    visit = [pl.col("VISIT").first().alias("visit")] if "VISIT" in frame.columns else []
    sums = (
        frame.group_by("USUBJID", "TRDT", maintain_order=True)
        .agg(
            *visit,
            pl.col("RFSTDT").first(),
            pl.col("__done").sum().cast(pl.Int64).alias("n_lesions"),
            pl.when(pl.col("__done").all()).then(pl.col("TRSTRESN").sum()).alias("sum_diameters"),
        )
        .sort("USUBJID", "TRDT")
        .with_columns(study_day(pl.col("TRDT"), pl.col("RFSTDT")).alias("study_day"))
    )
    return _change(sums)


def _change(sums: pl.DataFrame) -> pl.DataFrame:
    """Mark the baseline and add the percent change from it."""
    candidate = (pl.col("study_day") <= 1) & pl.col("sum_diameters").is_not_null()
    last_before = pl.col("TRDT").filter(candidate).max().over("USUBJID")
    sums = sums.with_columns((candidate & (pl.col("TRDT") == last_before)).alias("baseline"))
    base = sums.filter("baseline").select(
        "USUBJID",
        pl.col("sum_diameters").alias("baseline_sum"),
        pl.col("n_lesions").alias("__base_n"),
    )
    sums = sums.join(base, on="USUBJID", how="left").with_columns(
        pl.when(pl.col("n_lesions") >= pl.col("__base_n").fill_null(0))
        .then(pl.col("sum_diameters"))
        .alias("sum_diameters")
    )
    change = 100.0 * (pl.col("sum_diameters") - pl.col("baseline_sum")) / pl.col("baseline_sum")
    visit = ["visit"] if "visit" in sums.columns else []
    return sums.select(
        pl.col("USUBJID").alias("subject_id"),
        *visit,
        pl.col("TRDT").alias("assessment_date"),
        "study_day",
        "baseline",
        "n_lesions",
        "sum_diameters",
        "baseline_sum",
        pl.when(pl.col("baseline_sum") > 0).then(change).alias("percent_change"),
    )


__all__ = ["LESION_TESTS", "tr_target_sums"]
