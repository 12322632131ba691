"""Seeded generator of the synthetic ACTIM cohort as SDTM DM and LB (clearly not real patients).

ACTIM (Rousselot et al. 2017, Cancer 123:1791-1799) added pioglitazone to imatinib in 24
chronic-phase CML patients who had been on imatinib for at least 2 years, in major molecular
response (MMR) but not in MR4.5. It reported the cumulative incidence of MR4.5 by month 12 as
56% (95% CI 37-76), against 23% expected on imatinib alone; one patient stopped after 1.9
months; and 88% of the 17 patients still on imatinib at month 48 had reached MR4.5 by then.

:func:`actim_sdtm` draws a cohort built to those figures, with BCR-ABL1 every 3 months for 48
months. The outcomes are fixed (they are what the published figures require); the
trajectories are drawn around them:

* one patient stops at 1.9 months, before the first on-treatment sample (end of
  participation, so censored there);
* 13 of the other 23 first reach MR4.5 by month 12 (3, 4, 3 and 3 at months 3, 6, 9 and 12),
  so 1 - Kaplan-Meier by month 12 is 13/23 and the exact rate 13/24;
* 17 patients are followed in the study to month 48 (RFPENDTC at or after it; they stand for
  the paper's 17 still on imatinib, which DM cannot record), 15 of them in MR4.5 by then (11
  from the first year, 4 later); 6 leave between months 12 and 48 (2 responders of the first
  year, one later responder, 3 who never respond).

Which patient has which outcome is drawn (seeded). Each trajectory is a straight line on the
log10 IS scale (the slow phase of the BCR-ABL1 decline on long-term imatinib: Michor et al.
2005, Nature 435:1267-1270) from an entry level between MMR (0.1%) and MR4.5 (0.0032%) to
below MR4.5 at the patient's first MR4.5 visit, measured with 0.15 log10 qPCR noise and
Poisson detection from log-normal ABL1 copies around 50,000 (Cross et al. 2015, Leukemia
29:999-1003), as in :mod:`survstat.datasets.synthetic`. Draws are repeated until each sample
shows what its visit requires: MMR without MR4.5 at entry and before the first MR4.5 visit (a
detected result between 0.0035% and 0.09%) and MR4.5 at it (a detected result at most
0.0028%, or undetectable with at least 32,000 ABL1 copies); later samples are as drawn.
Samples are taken up to 10 days before each scheduled visit (month m is day round(m x 365.25 /
12)), the baseline sample 1 to 14 days before the start.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl

from survstat.datasets.synthetic import _dm

#: The reference start date (RFSTDTC) of the first ACTIM subject (the others every 3 days).
ACTIM_FIRST_START = dt.date(2010, 3, 1)
#: Days per month of the time scale (as :data:`survstat.endpoints.dates.DAYS_PER_UNIT`).
_DAYS_PER_MONTH = 365.25 / 12.0
_STUDY = "ACTIM"
_ARM = "IMATINIB + PIOGLITAZONE"
#: log10 IS % of the MR4.5 threshold, 0.0032%.
_MR45 = float(np.log10(0.0032))

#: The outcomes: (first MR4.5 month or None, month the patient leaves or None = followed to 48).
_OUTCOMES: tuple[tuple[float | None, float | None], ...] = (
    *((3.0, None),) * 3,
    *((6.0, None),) * 3,
    *((9.0, None),) * 3,
    *((12.0, None),) * 2,
    (6.0, 22.0),  # responders of the first year who leave before month 48
    (12.0, 31.0),
    (15.0, None),  # later responders followed to month 48
    (21.0, None),
    (27.0, None),
    (36.0, None),
    (18.0, 26.0),  # a later responder who leaves
    (None, None),  # never in MR4.5, followed to month 48
    (None, None),
    (None, 16.0),  # never in MR4.5, leave
    (None, 28.0),
    (None, 40.0),
    (None, 1.9),  # stops before the first on-treatment sample
)


def _sample(rng: np.random.Generator, mean: float, need: str) -> tuple[float | None, bool, float]:
    """One qPCR result around the true log10 level ``mean`` that shows what ``need`` says.

    ``need`` is ``"above"`` (detected, in MMR but above MR4.5), ``"mr45"`` (in MR4.5) or
    ``"any"``.
    Returns (IS % rounded to 3 significant digits or None when undetectable, detected, ABL1
    copies).
    """
    while True:
        abl1 = float(np.round(np.exp(rng.normal(np.log(50_000), 0.45))))
        measured = min(mean + rng.normal(0, 0.15), 0.0)
        detected = bool(rng.poisson(abl1 * 10**measured / 100) > 0)
        value = float(f"{10**measured:.3g}") if detected else None
        if need == "above" and not (detected and -2.45 <= measured <= -1.05):
            continue
        if need == "mr45" and not (measured <= -2.55 if detected else abl1 >= 32_000):
            continue
        return value, detected, abl1


def _patient(
    rng: np.random.Generator, first: float | None, leave: float | None
) -> tuple[list[tuple[int, float | None, bool, float]], int]:
    """The samples (day, IS %, detected, ABL1) and the last day of one patient."""
    start = rng.uniform(-2.3, -1.2)
    end = round((48.0 if leave is None else leave) * _DAYS_PER_MONTH)
    slope = rng.uniform(-0.012, 0.0) if first is None else (-2.75 - start) / first
    floor = rng.uniform(-3.6, -2.9)
    samples = []
    day = -int(rng.integers(1, 15))
    samples.append((day, *_sample(rng, start, "above")))
    for month in range(3, 49, 3):
        day = round(month * _DAYS_PER_MONTH) - int(rng.integers(0, 11))
        if day > end:
            break
        true = max(start + slope * month, floor)
        if first is None or month < first:
            need, mean = "above", max(true, -2.3)
        elif month == first:
            need, mean = "mr45", min(true, -2.75)
        else:
            need, mean = "any", true
        samples.append((day, *_sample(rng, mean, need)))
    return samples, end


def actim_sdtm(seed: int = 2017) -> tuple[pl.DataFrame, pl.DataFrame]:
    """SDTM DM and LB of the synthetic ACTIM cohort (24 patients, 48 months).

    Patient k (from 0) starts on :data:`ACTIM_FIRST_START` + 3k days (RFSTDTC); RFPENDTC is
    the end of participation: month 48 (day 1,461) for the patients followed to then, else
    the day the patient left. Each sample (``LBREFID``) has two LB rows, as
    :func:`survstat.datasets.synthetic.cml_two_arm_sdtm` writes them: ``LBTESTCD =
    "BCRABL1"``, the BCR-ABL1 ratio on the International Scale in % (``LBSTRESC = "NOT
    DETECTED"`` and no number when no transcript was found), and ``LBTESTCD = "ABL1"``, the
    control-gene copies. Synthetic: not real patients.

    Parameters
    ----------
    seed
        Seed of the draws (which patient has which outcome, levels, noise, copies, dates).

    Returns
    -------
    tuple of polars.DataFrame
        DM (one row per patient) and LB (two rows per sample).
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(_OUTCOMES))
    ids = [f"ACTIM-{i + 1:02d}" for i in range(len(_OUTCOMES))]
    rows, ends = [], []
    for pid, k in zip(ids, order, strict=True):
        samples, end = _patient(rng, *_OUTCOMES[int(k)])
        ends.append(end)
        rows += [(pid, n + 1, *s) for n, s in enumerate(samples)]
    dm = _dm(
        pl.DataFrame(
            {"subject": ids, "arm": [_ARM] * len(ids), "end_day": ends, "death_day": None},
            schema_overrides={"end_day": pl.Int64, "death_day": pl.Int64},
        ),
        _STUDY,
        ACTIM_FIRST_START,
    )
    return dm, _lb(rows, dm)


def _lb(rows: list[tuple], dm: pl.DataFrame) -> pl.DataFrame:
    """LB rows (BCR-ABL1 and ABL1 per specimen) of the samples ``(id, n, day, IS, det, ABL1)``."""
    samples = pl.DataFrame(
        rows,
        schema={
            "USUBJID": pl.String,
            "__n": pl.Int64,
            "__day": pl.Int64,
            "__is": pl.Float64,
            "__detected": pl.Boolean,
            "__abl1": pl.Float64,
        },
        orient="row",
    ).join(dm.select("USUBJID", pl.col("RFSTDTC").str.to_date().alias("__start")), on="USUBJID")
    common = [
        pl.lit(_STUDY).alias("STUDYID"),
        pl.lit("LB").alias("DOMAIN"),
        "USUBJID",
        pl.format("{}-S{}", "USUBJID", pl.col("__n").cast(pl.String).str.zfill(3)).alias("LBREFID"),
    ]
    dates = [
        (pl.col("__start") + pl.duration(days="__day")).dt.strftime("%Y-%m-%d").alias("LBDTC"),
        pl.when(pl.col("__day") >= 0)
        .then(pl.col("__day") + 1)
        .otherwise(pl.col("__day"))
        .alias("LBDY"),
    ]
    bcr = samples.select(
        *common,
        pl.lit("BCRABL1").alias("LBTESTCD"),
        pl.lit("BCR-ABL1/ABL1 International Scale").alias("LBTEST"),
        pl.when("__detected")
        .then(pl.col("__is").cast(pl.String))
        .otherwise(pl.lit("NOT DETECTED"))
        .alias("LBSTRESC"),
        pl.col("__is").alias("LBSTRESN"),
        pl.lit("%").alias("LBSTRESU"),
        *dates,
    )
    control = samples.select(
        *common,
        pl.lit("ABL1").alias("LBTESTCD"),
        pl.lit("ABL1 Copies").alias("LBTEST"),
        pl.col("__abl1").cast(pl.Int64).cast(pl.String).alias("LBSTRESC"),
        pl.col("__abl1").alias("LBSTRESN"),
        pl.lit("copies").alias("LBSTRESU"),
        *dates,
    )
    lb = pl.concat([bcr, control]).sort(
        "USUBJID", "LBREFID", "LBTESTCD", descending=[False, False, True]
    )
    return lb.with_columns((pl.int_range(pl.len()).over("USUBJID") + 1).alias("LBSEQ"))


#: Bundled name -> (SAS dataset name, dataset label) of the files :func:`write_bundled` writes.
BUNDLED = {
    "actim_dm": ("DM", "Demographics (synthetic)"),
    "actim_lb": ("LB", "Laboratory Test Results (synthetic)"),
}


def write_bundled(folder: str | Path) -> None:
    """Write ``actim_dm.xpt`` and ``actim_lb.xpt`` into ``folder`` (SAS transport v5 with the
    SDTM labels), the bundled files.

    Parameters
    ----------
    folder
        Where to write them.
    """
    from survstat.datasets.synthetic import SDTM_LABELS
    from survstat.io import write_xpt

    for name, frame in zip(BUNDLED, actim_sdtm(), strict=True):
        dataset, label = BUNDLED[name]
        labels = {c: SDTM_LABELS[c] for c in frame.columns}
        write_xpt(frame, Path(folder) / f"{name}.xpt", labels=labels, name=dataset, label=label)


__all__ = ["ACTIM_FIRST_START", "BUNDLED", "actim_sdtm", "write_bundled"]
