"""Response by a landmark estimated four ways, one row each: the analysis ``cml estimators``.

Single-arm CML trials report "MR4.5 by month 12" as whichever of these their authors chose:
1 - Kaplan-Meier (patients who stop are censored), the cumulative incidence with competing
events (Aalen-Johansen), the proportion of all patients (intention to treat) or the proportion
of the patients still followed at the landmark. :func:`response_estimators` puts the four side
by side in one long table, from one call of
:func:`~survstat.analyses.cml_response.molecular_response`, so that a published figure can be
matched to the estimator behind it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, cast

import polars as pl

from survstat._choices import Alternative, ConfType, RateMethod, ResponseLevel
from survstat.analyses._core import AnalysisOutput
from survstat.analyses._declare import Column, Data, Option
from survstat.analyses._options import (
    ConfLevel,
    FromDates,
    Landmark,
    Level,
    Patients,
    Unit,
    Window,
)
from survstat.analyses._options import ConfType as ConfTypeOption

if TYPE_CHECKING:
    from survstat.analyses.cml_response import MolecularResponseResult
    from survstat.io import FrameLike

#: The columns of the table, after the ``by`` column.
COLUMNS = (
    "level",
    "landmark",
    "window",
    "evaluated_at",
    "estimator",
    "population",
    "n",
    "n_responders",
    "estimate",
    "conf_low",
    "conf_high",
    "interval",
    "null_rate",
    "alternative",
    "p_value",
    "reason",
)


def response_estimators(
    labs: FrameLike,
    patients: FrameLike,
    *,
    level: ResponseLevel = "MR4.5",
    landmark: float = 12.0,
    window: float = 0.0,
    by: str | None = None,
    null_rate: float | None = None,
    alternative: Alternative = "two-sided",
    conf_level: float = 0.95,
    conf_type: ConfType = "log-log",
    rate_method: RateMethod = "clopper-pearson",
) -> pl.DataFrame:
    """Response by ``landmark + window``: four estimators, one row each (per group).

    Parameters
    ----------
    labs, patients
        Lab results and patient table, as for
        :func:`~survstat.endpoints.cml_endpoints.response_endpoints`.
    level
        The response: MMR, MR4, MR4.5 (default) or MR5.
    landmark, window
        Response by ``landmark + window`` (defaults 12 and 0).
    by
        Patient-table column of the arms (one set of four rows per arm).
    null_rate, alternative
        Reference rate and direction of the exact binomial test of the two rates.
    conf_level, conf_type
        Level of every interval; transform of the 1 - Kaplan-Meier and incidence intervals
        (default log-log).
    rate_method
        Interval of the two rates (default Clopper-Pearson).

    Returns
    -------
    polars.DataFrame
        The ``by`` column, then ``level, landmark, window, evaluated_at, estimator,
        population, n, n_responders, estimate, conf_low, conf_high, interval, null_rate,
        alternative, p_value, reason``. ``estimator`` is, in this order:
        ``one_minus_km`` (1 - Kaplan-Meier, discontinuation, progression and death
        censored), ``cumulative_incidence`` (Aalen-Johansen, those events competing), ``rate``
        over ``population`` ``all`` (every patient; one who stopped counts as not responding)
        and ``rate`` over ``population`` ``followed`` (the patients followed on treatment to
        ``evaluated_at``, :func:`~survstat.endpoints.cml_endpoints.followed_to`). ``n`` is
        the number of patients in the population and ``n_responders`` those who responded by
        ``evaluated_at``; ``interval`` is the transform or the rate's method; ``p_value`` is
        the exact test of the rate against ``null_rate`` (null for the curves and without a
        null rate); ``reason`` says why an estimate is null.

    Notes
    -----
    The curves are those of :func:`~survstat.analyses.cml_response.molecular_response`
    (R ``survfit``, ``conf.type="log-log"`` by default, and ``cmprsk::cuminc``); the rates
    are :func:`survstat.proportion` (R ``binom.test``). Without censoring before
    ``evaluated_at`` 1 - Kaplan-Meier and the incidence equal the rate over all patients;
    each patient censored early (stopped, censored at the stop) raises 1 - Kaplan-Meier above
    the rate, which counts that patient as not responding.

    Examples
    --------
    >>> import polars as pl
    >>> labs = pl.DataFrame({"patient_id": ["a", "b", "c"], "time": [6.0, 6.0, 6.0],
    ...     "is_percent": [0.002, 0.05, 0.05], "detected": [True] * 3,
    ...     "control_gene": ["ABL1"] * 3, "control_copies": [5e4] * 3})
    >>> patients = pl.DataFrame({"patient_id": ["a", "b", "c"],
    ...     "last_follow_up": [12.0, 12.0, 7.0]})
    >>> t = response_estimators(labs, patients, landmark=12)
    >>> t.select("estimator", "population", "n", "n_responders").rows()[2:]
    [('rate', 'all', 3, 1), ('rate', 'followed', 2, 1)]
    """
    from survstat.analyses.cml_response import molecular_response

    res = molecular_response(
        labs,
        patients,
        level=level,
        landmark=landmark,
        window=window,
        by=by,
        null_rate=null_rate,
        alternative=alternative,
        conf_level=conf_level,
        conf_type=conf_type,
        rate_method=rate_method,
        compare=False,
    )
    keys = [by] if by else []
    at = float(landmark) + float(window)
    ends = res.endpoints
    parts = [
        _curve(res, keys, "one_minus_km", conf_type),
        _curve(res, keys, "cumulative_incidence", conf_type),
        _rate(ends, keys, "all", ends, null_rate, alternative, conf_level, rate_method),
        _followed_rate(res, keys, at, rate_method, null_rate, alternative, conf_level),
    ]
    head = res.incidence.select(*keys, "level", "landmark", "window", "evaluated_at")
    body = pl.concat(
        [p.with_columns(pl.lit(i).alias("__part")) for i, p in enumerate(parts)],
        how="vertical_relaxed",
    )
    if keys:
        head = head.with_row_index("__group")
        body = head.join(body, on=keys, nulls_equal=True).sort("__group", "__part")
    else:
        body = head.join(body.sort("__part"), how="cross")
    return body.select(*keys, *COLUMNS)


def _counts(ends: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Patients and responders by the landmark per group."""
    aggs = (
        pl.len().cast(pl.Int64).alias("n"),
        pl.col("responded_by_landmark").sum().cast(pl.Int64).alias("n_responders"),
    )
    if keys:
        return ends.group_by(keys, maintain_order=True).agg(*aggs)
    return ends.select(*aggs)


def _curve(
    res: MolecularResponseResult, keys: list[str], estimator: str, conf_type: str
) -> pl.DataFrame:
    """The rows of 1 - Kaplan-Meier or of the cumulative incidence."""
    table = res.one_minus_km if estimator == "one_minus_km" else res.incidence
    value = "estimate" if estimator == "one_minus_km" else "cif"
    curve = table.select(
        *keys,
        pl.lit(estimator).alias("estimator"),
        pl.lit("all").alias("population"),
        pl.col(value).alias("estimate"),
        "conf_low",
        "conf_high",
        pl.lit(conf_type).alias("interval"),
        pl.lit(None, dtype=pl.Float64).alias("null_rate"),
        pl.lit(None, dtype=pl.String).alias("alternative"),
        pl.lit(None, dtype=pl.Float64).alias("p_value"),
        "reason",
    )
    counts = _counts(res.endpoints, keys)
    joined = curve.join(counts, on=keys, nulls_equal=True) if keys else curve.hstack(counts)
    return joined.select(*keys, *COLUMNS[4:])


def _rate(
    ends: pl.DataFrame,
    keys: list[str],
    population: str,
    every: pl.DataFrame,
    null_rate: float | None,
    alternative: str,
    conf_level: float,
    method: str = "clopper-pearson",
    reason: str | None = None,
) -> pl.DataFrame:
    """The rows of the rate over ``ends`` (the patients of ``population``), one per group of
    ``every``; a group with no patient in ``ends`` has a null rate with ``reason``."""
    from survstat.estimators.proportions import proportion

    groups = every.select(keys).unique(maintain_order=True).rows() if keys else [()]
    rows = []
    for group in groups:
        part = ends
        for key, value in zip(keys, group, strict=True):
            part = part.filter(pl.col(key).eq_missing(value))
        row: dict[str, Any] = dict(zip(keys, group, strict=True))
        row |= {"estimator": "rate", "population": population, "n": part.height}
        row |= {"interval": method, "null_rate": null_rate}
        row["alternative"] = alternative if null_rate is not None else None
        if part.height == 0:
            row |= {"n_responders": 0, "reason": reason}
            rows.append(row)
            continue
        fit = proportion(
            part,
            response="responded_by_landmark",
            method=cast("RateMethod", method),
            null_rate=null_rate,
            alternative=cast("Alternative", alternative),
            conf_level=conf_level,
        ).table.row(0, named=True)
        row |= {"n_responders": fit["n_responders"], "estimate": fit["rate"]}
        row |= {"conf_low": fit["conf_low"], "conf_high": fit["conf_high"]}
        row |= {"p_value": fit.get("p_value"), "reason": None}
        rows.append(row)
    schema = {k: every.schema[k] for k in keys} | _SCHEMA
    return pl.DataFrame(rows, schema=schema).select(*keys, *COLUMNS[4:])


#: Types of the estimator columns.
_SCHEMA: dict[str, Any] = {
    "estimator": pl.String,
    "population": pl.String,
    "n": pl.Int64,
    "n_responders": pl.Int64,
    "estimate": pl.Float64,
    "conf_low": pl.Float64,
    "conf_high": pl.Float64,
    "interval": pl.String,
    "null_rate": pl.Float64,
    "alternative": pl.String,
    "p_value": pl.Float64,
    "reason": pl.String,
}


def _followed_rate(
    res: MolecularResponseResult,
    keys: list[str],
    at: float,
    method: str,
    null_rate: float | None,
    alternative: str,
    conf_level: float,
) -> pl.DataFrame:
    """The rows of the rate over the patients followed to ``at``."""
    from survstat.endpoints.cml_endpoints import followed_to

    ends = res.endpoints
    followed = ends.filter(followed_to(ends, at))
    reason = f"not estimable: no patient followed to landmark + window = {at:g}"
    return _rate(
        followed, keys, "followed", ends, null_rate, alternative, conf_level, method, reason
    )


def estimators(
    data: Data,
    patients: Patients,
    *,
    level: Level = "MR4.5",
    landmark: Landmark = 12.0,
    window: Window = 0.0,
    by: Annotated[str | None, Column("patients", help="Arm column of the patient table.")] = None,
    null_rate: Annotated[
        float | None, Option(help="Reference rate of the exact test of the two rates.")
    ] = None,
    alternative: Annotated[Alternative, Option(help="two-sided, greater or less.")] = "two-sided",
    conf_type: ConfTypeOption = "log-log",
    rate_method: Annotated[
        RateMethod,
        Option(
            help="Interval of the two rates: clopper-pearson (default: exact, as binom.test), "
            "wilson, wilson-cc, jeffreys, agresti-coull, mid-p or wald."
        ),
    ] = "clopper-pearson",
    conf_level: ConfLevel = 0.95,
    from_dates: FromDates = False,
    unit: Unit = "months",
) -> AnalysisOutput:
    """Response by a landmark four ways: 1 − KM, incidence, rate of all and of the followed.

    One row per estimator (per --by group), all by landmark + window: 1 − Kaplan–Meier
    (discontinuation, progression and death censored; the estimator of many single-arm
    papers), the cumulative incidence (Aalen–Johansen, those events competing), the rate over
    all patients (a patient who stopped counts as not responding) and the rate over the
    patients followed on treatment to landmark + window (last follow-up at or after it, no
    discontinuation, progression or death before it: the "evaluable" patients). Columns:
    level, landmark, window, evaluated_at, estimator (one_minus_km, cumulative_incidence,
    rate), population (all, followed), n, n_responders, estimate, conf_low, conf_high,
    interval, null_rate, alternative, p_value (exact test of the rates against --null-rate),
    reason (why an estimate is null).

    Example: `survstat cml estimators actim_like_labs.parquet --patients
    actim_like_patients.parquet --landmark 12 --null-rate 0.23 --alternative greater`

    Returns
    -------
    AnalysisOutput
        Four rows per group.
    """
    from survstat.analyses.cml import _by, _on_time_scale

    labs, pts = _on_time_scale(data, patients, from_dates, unit)
    table = response_estimators(
        labs,
        pts,
        level=level,
        landmark=landmark,
        window=window,
        by=by,
        null_rate=null_rate,
        alternative=alternative,
        conf_level=conf_level,
        conf_type=conf_type,
        rate_method=rate_method,
    )
    everyone = (pl.col("estimator") == "rate") & (pl.col("population") == "all")
    n = table.select(pl.col("n").filter(everyone).sum()).item()
    title = f"{_by(level, landmark, float(window))}: four estimators"
    return AnalysisOutput(table, title, int(n))


__all__ = ["COLUMNS", "estimators", "response_estimators"]
