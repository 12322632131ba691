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

Rules every CML function (:mod:`~survstat.endpoints.cml_endpoints`,
:mod:`~survstat.analyses.cml_response`, :mod:`~survstat.endpoints.cml_monitoring` and
:mod:`~survstat.endpoints.cml_tfr`) applies alike, since all of them read the results classified
here:

* **Precision.** Every comparison of an IS % value, an upper bound or a copy number with a
  threshold is made after rounding both to
  :data:`~survstat.endpoints.cml_input.SIGNIFICANT_DIGITS` (6) significant digits
  (:func:`~survstat.endpoints.cml_input.compare`). Labs report 2-4 digits, so no real result
  moves, while 0.1 stored as float32 (0.10000000149) or computed from copies (4 / 32,000 x 100
  x 0.8 = 0.010000000000000002) is the published threshold again and classifies as its level.
* **Evaluability** (Cross et al. 2015: MR4 needs undetectable disease in a sample with at least
  10,000 ABL1 or 24,000 GUSB copies): an undetectable result with fewer copies is *not evaluable*:
  it is no response, does not show MMR, extends or breaks no run, and is not a milestone result.
  :func:`classify_samples` decides it once (column ``evaluable``); every other function reads
  that column.
* **Pre-study results.** A negative time is a sample taken before the start of treatment (a
  baseline sample): it is classified, but never counts as a response, as the start of MMR, as
  part of a sustained response or as a milestone result. A sample at time 0 (the start) counts.
* **Codings.** ``detected`` may be boolean, 0/1, or text as labs report it (see
  :data:`~survstat.endpoints.cml_input.DETECTED_CODES`); the control gene is matched
  case-insensitively.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import polars as pl

from survstat._choices import CML_LEVELS
from survstat.endpoints.cml_input import (
    INTERNAL,
    Columns,
    Thresholds,
    compare,
    read_labs,
)
from survstat.errors import OptionError
from survstat.io import FrameLike

#: Response levels from shallowest to deepest; "none" is a detectable result above MMR.
LEVELS = CML_LEVELS


def classified_results(
    labs: FrameLike,
    *,
    columns: Columns | None = None,
    thresholds: Thresholds | None = None,
) -> pl.DataFrame:
    """Return the validated, classified lab results with the endpoints' internal columns.

    :func:`classify_samples` without dropping ``__t`` (time), ``__det`` (detected),
    ``__is``, ``__gene``, ``__copies``, ``__rank`` (depth of the level, null when not
    evaluable) and ``__upper`` (the IS % value, or for an evaluable undetectable result its
    upper bound ``mr4 x floor / copies``: 0.01% at 10,000 ABL1 copies, less with more).

    Parameters
    ----------
    labs
        BCR-ABL1 results, as for :func:`classify_samples`.
    columns, thresholds
        Column names; level thresholds and copy floors (ELN 2020 and EUTOS by default).

    Returns
    -------
    polars.DataFrame
        The columns of :func:`classify_samples` and the internal ones above.
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
    """Say why each result has its level.

    By IS %, by the copies of an undetectable result, or too few copies to be evaluable.
    """
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
        :class:`Columns`). ``detected`` may be boolean, 0/1 or text
        (:data:`~survstat.endpoints.cml_input.DETECTED_CODES`); IS % is needed for detected
        samples and must be positive; the control gene (ABL1 or GUSB, any case) and its copies
        are needed for undetectable ones.
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
    Thresholds are compared at :data:`~survstat.endpoints.cml_input.SIGNIFICANT_DIGITS`
    significant digits (see :func:`~survstat.endpoints.cml_input.compare`). A detected result
    with IS % 0 is an error rather than MR5 with an infinite log reduction: the lab meant
    undetectable, which needs the control-gene copies.

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
    """Return the results an endpoint may count: evaluable and not pre-study (time >= 0).

    Parameters
    ----------
    classified
        Results from :func:`classified_results`.

    Returns
    -------
    polars.DataFrame
        The evaluable results at time 0 or later.
    """
    return classified.filter(pl.col("evaluable") & (pl.col("__t") >= 0))


def level_rank(level: str) -> int:
    """Return the depth of a response level (0 = none ... 4 = MR5).

    Parameters
    ----------
    level
        One of :data:`LEVELS`; anything else is an :class:`~survstat.errors.OptionError`.

    Returns
    -------
    int
        The level's index in :data:`LEVELS`.
    """
    if level not in LEVELS:
        raise OptionError(f"level must be one of {', '.join(LEVELS[1:])}; got {level!r}")
    return LEVELS.index(level)


def response_rank(level: str) -> int:
    """Return the depth of a response level, refusing "none".

    Parameters
    ----------
    level
        MMR, MR4, MR4.5 or MR5; anything else is an :class:`~survstat.errors.OptionError`.

    Returns
    -------
    int
        The level's depth, 1 (MMR) to 4 (MR5).
    """
    rank = level_rank(level)
    if rank == 0:
        raise OptionError("level must be a response level: MMR, MR4, MR4.5 or MR5")
    return rank


__all__ = [
    "LEVELS",
    "classified_results",
    "classify_samples",
    "level_rank",
    "response_rank",
    "usable",
]
