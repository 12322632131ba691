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
in the same volume; undetectable with fewer copies than the MR4 floor is *not evaluable*, never a
response. Sources differ on <= versus < at the thresholds: <= is the default.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidValueError,
    MissingValueError,
    OptionError,
    SurvstatWarning,
    check_unique_ids,
)
from survstat.io import FrameLike, scan

#: Response levels from shallowest to deepest; "none" is a detectable result above MMR.
LEVELS = ("none", "MMR", "MR4", "MR4.5", "MR5")


@dataclass(frozen=True, slots=True)
class Thresholds:
    """IS % thresholds and the control-gene copies an undetectable sample needs per level."""

    mmr: float = 0.1
    mr4: float = 0.01
    mr45: float = 0.0032
    mr5: float = 0.001
    inclusive: bool = True
    copies: Mapping[str, tuple[float, float, float]] = field(
        default_factory=lambda: {
            "ABL1": (10_000, 32_000, 100_000),
            "GUSB": (24_000, 77_000, 240_000),
        }
    )


@dataclass(frozen=True, slots=True)
class Columns:
    """Names of the lab-result columns."""

    patient: str = "patient_id"
    time: str = "time"
    is_percent: str = "is_percent"
    detected: str = "detected"
    control_gene: str = "control_gene"
    control_copies: str = "control_copies"


def _first(frame: pl.DataFrame, mask: np.ndarray, cols: Columns) -> str:
    i = int(np.flatnonzero(mask)[0])
    return f"patient {frame[cols.patient][i]!r} at {cols.time} {frame[cols.time][i]}"


def classify_samples(
    labs: FrameLike,
    *,
    columns: Columns | None = None,
    thresholds: Thresholds | None = None,
) -> pl.DataFrame:
    """Classify each BCR-ABL1 result: MR level, log reduction, evaluable flag and reason.

    Returns the input columns followed by ``level`` (one of :data:`LEVELS`, null when not
    evaluable), ``log_reduction`` (null for undetectable samples), ``evaluable`` and ``reason``.

    Examples
    --------
    >>> import polars as pl
    >>> labs = pl.DataFrame({"patient_id": ["a", "a", "b"], "time": [3.0, 6.0, 3.0],
    ...     "is_percent": [0.05, None, None], "detected": [True, False, False],
    ...     "control_gene": ["ABL1"] * 3, "control_copies": [50_000, 40_000, 9_000]})
    >>> classify_samples(labs).get_column("level").to_list()
    ['MMR', 'MR4.5', None]
    """
    cols = columns or Columns()
    thr = thresholds or Thresholds()
    lazy, _ = scan(labs)
    schema = lazy.collect_schema()
    for role in ("patient", "time", "is_percent", "detected", "control_gene", "control_copies"):
        name = getattr(cols, role)
        if name not in schema:
            raise ColumnNotFoundError(name, schema.names(), role=role)
    if schema[cols.detected] != pl.Boolean:
        raise ColumnTypeError(
            f"`{cols.detected}` (detected) must be boolean; found {schema[cols.detected]}"
        )
    frame = lazy.collect()
    detected = frame.get_column(cols.detected).to_numpy()
    is_pct = frame.get_column(cols.is_percent).cast(pl.Float64).to_numpy()
    copies = frame.get_column(cols.control_copies).cast(pl.Float64).to_numpy()
    gene = frame.get_column(cols.control_gene).cast(pl.String).to_numpy()
    _validate(frame, cols, thr, detected, is_pct, copies, gene)
    n = frame.height
    level = np.full(n, None, dtype=object)
    reason = np.full(n, "", dtype=object)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_red = np.where(detected, np.log10(100.0 / is_pct), np.nan)
    le = np.less_equal if thr.inclusive else np.less
    det = detected.astype(bool)
    for name, cut in (("MR5", thr.mr5), ("MR4.5", thr.mr45), ("MR4", thr.mr4), ("MMR", thr.mmr)):
        hit = det & (level == None) & le(is_pct, cut)  # noqa: E711
        level[hit] = name
    level[det & (level == None)] = "none"  # noqa: E711
    reason[det] = "detectable: classified by IS %"
    for g, (c4, c45, c5) in thr.copies.items():
        und = ~det & (gene == g)
        for name, floor in (("MR5", c5), ("MR4.5", c45), ("MR4", c4)):
            hit = und & (level == None) & (copies >= floor)  # noqa: E711
            level[hit] = name
            reason[hit] = f"undetectable with {g} >= {floor:,.0f} copies"
        low = und & (level == None)  # noqa: E711
        reason[low] = [
            f"undetectable with only {c:,.0f} {g} copies (< {c4:,.0f}): sensitivity too low"
            for c in copies[low]
        ]
    evaluable = level != None  # noqa: E711
    return frame.with_columns(
        pl.Series("level", level.tolist(), dtype=pl.Enum(list(LEVELS))),
        pl.Series("log_reduction", log_red, nan_to_null=True),
        pl.Series("evaluable", evaluable.astype(bool)),
        pl.Series("reason", reason.tolist(), dtype=pl.String),
    )


def _validate(frame, cols, thr, detected, is_pct, copies, gene) -> None:
    n = frame.height
    if frame.get_column(cols.detected).null_count():
        raise MissingValueError(f"`{cols.detected}` must not be missing")
    det = detected.astype(bool)
    neg = det & (is_pct < 0)
    if neg.any():
        raise InvalidValueError(
            f"`{cols.is_percent}` must not be negative; found {int(neg.sum())} of {n} rows "
            f"(first: {is_pct[neg][0]} for {_first(frame, neg, cols)})"
        )
    missing = det & ~np.isfinite(is_pct)
    if missing.any():
        raise MissingValueError(
            f"`{cols.is_percent}` is missing for {int(missing.sum())} detected samples "
            f"(first: {_first(frame, missing, cols)})"
        )
    above = det & (is_pct > 100)
    if above.any():
        warnings.warn(
            f"`{cols.is_percent}` above 100% in {int(above.sum())} samples (first: "
            f"{is_pct[above][0]} for {_first(frame, above, cols)}); check the IS conversion",
            SurvstatWarning,
            stacklevel=3,
        )
    no_copies = ~det & ~np.isfinite(copies)
    if no_copies.any():
        raise MissingValueError(
            f"`{cols.control_copies}` is needed for undetectable samples; missing in "
            f"{int(no_copies.sum())} (first: {_first(frame, no_copies, cols)})"
        )
    unknown = ~det & ~np.isin(gene, list(thr.copies))
    if unknown.any():
        raise InvalidValueError(
            f"`{cols.control_gene}` must be one of {sorted(thr.copies)} for undetectable samples; "
            f"found {sorted(set(gene[unknown].tolist()), key=str)[:5]} "
            f"(first: {_first(frame, unknown, cols)})"
        )
    dup = frame.select(pl.struct(cols.patient, cols.time).is_duplicated()).to_series().to_numpy()
    if dup.any():
        raise InvalidValueError(
            f"duplicated samples: {int(dup.sum())} rows share a ({cols.patient}, {cols.time}) "
            f"(first: {_first(frame, dup, cols)})"
        )


def level_depth(column: str = "level") -> pl.Expr:
    """Depth of the classified level column as an integer (0 = none ... 4 = MR5)."""
    depth = {name: i for i, name in enumerate(LEVELS)}
    return pl.col(column).cast(pl.String).replace_strict(depth, return_dtype=pl.Int64)


def level_rank(level: str) -> int:
    """Depth of a response level (0 = none ... 4 = MR5)."""
    if level not in LEVELS:
        raise OptionError(f"level must be one of {', '.join(LEVELS[1:])}; got {level!r}")
    return LEVELS.index(level)


#: Cause codes of the time-to-response endpoint.
CAUSES = {0: "censored", 1: "response", 2: "discontinuation", 3: "progression", 4: "death"}


@dataclass(frozen=True, slots=True)
class PatientColumns:
    """Names of the patient-table columns; event times are on the same scale as sample times
    (time since start of treatment) and null when the event did not happen."""

    patient: str = "patient_id"
    last_follow_up: str = "last_follow_up"
    discontinuation: str = "discontinuation"
    progression: str = "progression"
    death: str = "death"


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

    The event time is the first evaluable sample showing the level (the response happened
    between that visit and the previous one: an interval-censored time, reported at the visit, as
    trials do). Discontinuation, progression and death before the response are competing events
    (cause 2, 3, 4); a response on the same day as a competing event counts. Patients with
    neither are censored at their last follow-up (cause 0).

    Returns the patient columns (extra patient columns such as the arm are kept), then
    ``time, cause, cause_label, first_response_time, responded_by_landmark,
    response_at_landmark, best_level``. ``responded_by_landmark``: a response at or before
    ``landmark + window``; ``response_at_landmark``: the evaluable sample closest to the
    landmark within +- ``window`` shows the level (null when there is none).
    """
    cols = columns or Columns()
    pcols = patient_columns or PatientColumns()
    rank = level_rank(level)
    if rank == 0:
        raise OptionError("level must be a response level: MMR, MR4, MR4.5 or MR5")
    if not (np.isfinite(landmark) and landmark > 0 and np.isfinite(window) and window >= 0):
        raise OptionError(
            f"`landmark` must be positive and `window` >= 0; got {landmark}, {window}"
        )
    classified = classify_samples(labs, columns=cols, thresholds=thresholds)
    pts, _ = scan(patients)
    pts = pts.collect()
    for role in ("patient", "last_follow_up", "discontinuation", "progression", "death"):
        name = getattr(pcols, role)
        if name not in pts.columns:
            raise ColumnNotFoundError(name, pts.columns, role=role)
    check_unique_ids(pts, pcols.patient, "patient table")
    samples = classified.filter(pl.col("evaluable")).with_columns(level_depth().alias("__rank"))
    t = pl.col(cols.time).cast(pl.Float64)
    hit = samples.filter(pl.col("__rank") >= rank)
    first = hit.group_by(cols.patient).agg(t.min().alias("first_response_time"))
    best = samples.group_by(cols.patient).agg(pl.col("__rank").max().alias("__best"))
    near = (
        samples.filter((t - landmark).abs() <= window)
        .with_columns((t - landmark).abs().alias("__dist"))
        .sort([cols.patient, "__dist", cols.time])
        .group_by(cols.patient, maintain_order=True)
        .agg(pl.col("__rank").first().alias("__at_rank"))
    )
    unknown = (
        classified.select(cols.patient)
        .unique()
        .join(pts.select(pcols.patient), left_on=cols.patient, right_on=pcols.patient, how="anti")
    )
    if unknown.height:
        raise InvalidValueError(
            f"{unknown.height} patients have lab results but no row in the patient table "
            f"(first: {unknown.get_column(cols.patient)[0]!r})"
        )
    out = (
        pts.join(first, left_on=pcols.patient, right_on=cols.patient, how="left")
        .join(best, left_on=pcols.patient, right_on=cols.patient, how="left")
        .join(near, left_on=pcols.patient, right_on=cols.patient, how="left")
    )
    resp = out.get_column("first_response_time").cast(pl.Float64).to_numpy()
    resp = np.where(np.isnan(resp), np.inf, resp)
    comp = np.column_stack(
        [
            out.get_column(c).cast(pl.Float64).fill_null(np.inf).to_numpy()
            for c in (pcols.discontinuation, pcols.progression, pcols.death)
        ]
    )
    last = out.get_column(pcols.last_follow_up).cast(pl.Float64).to_numpy()
    if np.any(~np.isfinite(last)):
        bad = out.get_column(pcols.patient).filter(pl.Series(~np.isfinite(last)))[0]
        raise MissingValueError(f"`{pcols.last_follow_up}` is missing (first: patient {bad!r})")
    first_comp = comp.min(axis=1)
    comp_cause = np.argmin(comp, axis=1) + 2
    cause = np.where(
        (resp <= first_comp) & (resp <= last) & np.isfinite(resp),
        1,
        np.where(np.isfinite(first_comp) & (first_comp <= last), comp_cause, 0),
    )
    time = np.where(cause == 1, resp, np.where(cause >= 2, first_comp, last))
    labels = [CAUSES[c] for c in cause]
    at_rank = out.get_column("__at_rank").to_numpy()
    at_landmark = pl.Series(
        "response_at_landmark",
        [
            None if r is None or (isinstance(r, float) and np.isnan(r)) else bool(r >= rank)
            for r in at_rank.tolist()
        ],
        dtype=pl.Boolean,
    )
    best_level = [None if b is None else LEVELS[int(b)] for b in out.get_column("__best").to_list()]
    return out.drop("__best", "__at_rank").with_columns(
        pl.Series("time", time),
        pl.Series("cause", cause.astype(np.int64)),
        pl.Series("cause_label", labels),
        pl.Series("responded_by_landmark", (cause == 1) & (resp <= landmark + window)),
        at_landmark,
        pl.Series("best_level", best_level, dtype=pl.Enum(list(LEVELS))),
    )


__all__ = [
    "CAUSES",
    "LEVELS",
    "Columns",
    "PatientColumns",
    "Thresholds",
    "classify_samples",
    "level_rank",
    "molecular_response",
    "response_endpoints",
]


@dataclass(frozen=True, slots=True)
class MolecularResponseResult:
    """Response at a level by a landmark, estimated three ways.

    Attributes
    ----------
    endpoints
        The per-patient table from :func:`response_endpoints`.
    incidence
        Cumulative incidence of the response at the landmark with competing discontinuation,
        progression and death (Aalen-Johansen): the ``by`` columns, then ``level, landmark,
        cif, std_error, conf_low, conf_high``.
    rate
        Proportion responding by the landmark with an exact interval (and the test against
        ``null_rate``), as :func:`survstat.proportion`.
    gray
        Gray's test between the ``by`` groups for the response (None without ``by``).
    one_minus_km
        Sensitivity analysis: 1 - Kaplan-Meier at the landmark with competing events censored
        (it overstates the incidence when competing events occur): the ``by`` columns, then
        ``level, landmark, estimate, conf_low, conf_high``.
    comparison
        The landmark rate of each arm against the reference arm, as
        :func:`survstat.compare_proportions` (None without ``by``).
    """

    endpoints: pl.DataFrame
    incidence: pl.DataFrame
    rate: pl.DataFrame
    gray: pl.DataFrame | None
    one_minus_km: pl.DataFrame
    comparison: pl.DataFrame | None


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
) -> MolecularResponseResult:
    """From raw BCR-ABL1 results to "MR4.5 by month 12": incidence, rate and tests.

    The cumulative incidence treats discontinuation, progression and death as competing events
    (the analysis ELN and CML papers report), with pointwise intervals of ``conf_type`` (see
    :func:`survstat.cumulative_incidence`; ``"plain"`` is the symmetric interval many papers
    print); 1 - Kaplan-Meier, censoring the competing events, is reported beside it as a
    sensitivity analysis. The landmark rate counts patients who responded by the landmark among
    all patients (intention to treat) with an interval of ``rate_method`` (Clopper-Pearson by
    default) and, given ``null_rate``, the exact binomial test. With ``by``, Gray's test and the
    difference in landmark rates against the ``reference`` arm (Newcombe interval, Fisher's
    exact test) compare the arms.

    Examples
    --------
    >>> import polars as pl
    >>> labs = pl.DataFrame({"patient_id": ["a", "a", "b", "b"], "time": [6.0, 12.0, 6.0, 12.0],
    ...     "is_percent": [0.002, None, 0.05, 0.04], "detected": [True, False, True, True],
    ...     "control_gene": ["ABL1"] * 4, "control_copies": [5e4, 4e4, 5e4, 5e4]})
    >>> patients = pl.DataFrame({"patient_id": ["a", "b"], "last_follow_up": [12.0, 12.0],
    ...     "discontinuation": [None, None], "progression": [None, None], "death": [None, None]},
    ...     schema_overrides={c: pl.Float64 for c in ("discontinuation", "progression", "death")})
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
    )
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
    at = cif.at([landmark]).filter(pl.col("cause") == 1).drop("cause")
    groups = [by] if by else []
    incidence = at.select(
        *groups,
        pl.lit(level).alias("level"),
        pl.col("time").alias("landmark"),
        "cif",
        "std_error",
        "conf_low",
        "conf_high",
    )
    km = kaplan_meier(
        ends.with_columns((pl.col("cause") == 1).alias("__response")),
        time="time",
        event="__response",
        by=by,
        conf_type=conf_type,
        conf_level=conf_level,
    ).at([landmark])
    one_minus_km = km.select(
        *groups,
        pl.lit(level).alias("level"),
        pl.col("time").alias("landmark"),
        (1.0 - pl.col("survival")).alias("estimate"),
        (1.0 - pl.col("conf_high")).alias("conf_low"),
        (1.0 - pl.col("conf_low")).alias("conf_high"),
    )
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
    if by:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SurvstatWarning)
            gray = gray_test(ends, time="time", cause="cause", causes=[1, 2, 3, 4], by=by).table
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
        gray=gray,
        one_minus_km=one_minus_km,
        comparison=comparison,
    )
