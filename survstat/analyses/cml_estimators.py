"""Response by a landmark estimated four ways, one row each: the analysis ``cml estimators``.

Single-arm CML trials report "MR4.5 by month 12" as whichever of these their authors chose:
1 - Kaplan-Meier (patients who stop are censored), the cumulative incidence with competing
events (Aalen-Johansen), the proportion of all patients (intention to treat) or the proportion
of the patients still followed at the landmark. :func:`response_estimators` puts the four side
by side in one long table, from one call of
:func:`~survstat.analyses.cml_response.molecular_response`, so that a published figure can be
matched to the estimator behind it, as the ACTIM case study matches its primary endpoint
(Rousselot et al. 2017). The response levels are those of ELN 2020 (Hochhaus et al. 2020).

References
----------
1. Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. J Am Stat
   Assoc 1958;53:457-481.
2. Aalen OO, Johansen S. An empirical transition matrix for non-homogeneous Markov chains
   based on censored observations. Scand J Stat 1978;5:141-150; the variance of Gray's R
   package cmprsk (``cuminc``).
3. Clopper CJ, Pearson ES. The use of confidence or fiducial limits illustrated in the case
   of the binomial. Biometrika 1934;26:404-413.
4. Rousselot P et al. Pioglitazone together with imatinib in chronic myeloid leukemia: a
   proof of concept study. Cancer 2017;123:1791-1799 (ACTIM).
5. Hochhaus A et al. European LeukemiaNet 2020 recommendations for treating chronic myeloid
   leukemia. Leukemia 2020;34:966-984.
"""

from __future__ import annotations

from collections.abc import Callable
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
        and ``rate`` over ``population`` ``followed`` (the patients followed in the study to
        ``evaluated_at`` with no discontinuation, progression or death before it,
        :func:`~survstat.endpoints.cml_endpoints.followed_to`). ``n`` is the number of
        patients in the population and ``n_responders`` those who responded by
        ``evaluated_at``; ``interval`` is the transform or the rate's method; ``p_value`` is
        the exact test of the rate against ``null_rate`` (null for the curves and without a
        null rate); ``reason`` says why an estimate, or an estimate's confidence limits, is
        null.

    Notes
    -----
    The curves are those of :func:`~survstat.analyses.cml_response.molecular_response`:
    1 - Kaplan-Meier [1]_ with Greenwood's variance (R ``survfit``, ``conf.type="log-log"``
    by default) and the Aalen-Johansen incidence [2]_ (R ``cmprsk::cuminc`` and its
    variance); the rates are :func:`survstat.proportion` (Clopper-Pearson [3]_ by default,
    R ``binom.test``). Without censoring before ``evaluated_at`` 1 - Kaplan-Meier and the
    incidence equal the rate over all patients; each patient censored early (stopped,
    censored at the stop) raises 1 - Kaplan-Meier above the rate, which counts that patient
    as not responding. ACTIM [4]_ reported MR4.5 (ELN 2020 [5]_) by month 12 as 56% (95% CI
    37-76), 1 - Kaplan-Meier with a log(-log) interval, truncated; and by month 48 as the
    rate of the 17 evaluable patients.

    Undefined results are null with a ``reason``. A curve is null where the follow-up ends
    before ``evaluated_at`` in a censoring, and its limits are null at an estimate of 0 or
    1, where the interval is undefined (R gives NA too). The rate of all is null when no
    patient's last follow-up reaches ``evaluated_at`` and some patient was censored before
    it: counting those as not responding would give a rate by the end of follow-up, not by
    ``evaluated_at``. It stays defined when every outcome by then is known (each patient
    responded or had a competing event before it). The rate of the followed is null when no
    patient is followed to ``evaluated_at``.

    References
    ----------
    .. [1] Kaplan EL, Meier P. J Am Stat Assoc 1958;53:457-481.
    .. [2] Aalen OO, Johansen S. Scand J Stat 1978;5:141-150; Gray RJ, R package cmprsk.
    .. [3] Clopper CJ, Pearson ES. Biometrika 1934;26:404-413.
    .. [4] Rousselot P et al. Cancer 2017;123:1791-1799 (ACTIM).
    .. [5] Hochhaus A et al. Leukemia 2020;34:966-984 (ELN 2020).

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
        _rate(
            ends,
            keys,
            "all",
            ends,
            null_rate,
            alternative,
            conf_level,
            rate_method,
            _not_reached(at),
        ),
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
        pl.coalesce("reason", _no_limits(pl.col(value), conf_type)).alias("reason"),
    )
    counts = _counts(res.endpoints, keys)
    joined = curve.join(counts, on=keys, nulls_equal=True) if keys else curve.hstack(counts)
    return joined.select(*keys, *COLUMNS[4:])


def _no_limits(estimate: pl.Expr, conf_type: str) -> pl.Expr:
    """Why a curve's estimate has no confidence limits (null where it has them).

    At an estimate of 1 (no patient left at risk without a response) Greenwood's variance is
    infinite, and at 0 (no response yet) the log(-log), logit and arcsine transforms are
    undefined (as is the incidence's ``F^exp(+-z se / (F log F))``); R's ``survfit`` gives NA
    limits there too.
    """
    missing = pl.col("conf_low").is_null() | pl.col("conf_high").is_null()
    why = (
        pl.when(estimate == 1.0)
        .then(pl.lit("the estimate is 1 (no patient left at risk without a response)"))
        .when(estimate == 0.0)
        .then(pl.lit("the estimate is 0 (no response by then)"))
        .otherwise(pl.format("at an estimate of {}", estimate))
    )
    text = pl.format(
        f"confidence interval not defined: {{}}, where the {conf_type} interval has no limits", why
    )
    return pl.when(estimate.is_not_null() & missing).then(text)


def _rate(
    ends: pl.DataFrame,
    keys: list[str],
    population: str,
    every: pl.DataFrame,
    null_rate: float | None,
    alternative: str,
    conf_level: float,
    method: str,
    why_null: Callable[[pl.DataFrame], str | None],
) -> pl.DataFrame:
    """The rows of the rate over ``ends`` (the patients of ``population``), one per group of
    ``every``; the rate is null where ``why_null`` of the group's patients gives a reason."""
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
        reason = why_null(part)
        if reason is not None:
            responders = int(part.get_column("responded_by_landmark").sum())
            row |= {"n_responders": responders, "reason": reason}
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


def _not_reached(at: float) -> Callable[[pl.DataFrame], str | None]:
    """Why the rate of all patients by ``at`` is undefined: nobody's follow-up reaches it.

    The rate of all counts a patient censored before ``at`` without a response as not
    responding, the intention-to-treat convention, which presumes the study followed its
    patients to ``at``. When no patient's last follow-up reaches ``at`` (compared at 6
    significant digits, as :func:`~survstat.endpoints.cml_endpoints.followed_to`) and some
    patient's outcome by ``at`` is unknown (censored before it), the count is a count by the
    end of follow-up, not by ``at``: the rate is null with this reason. It stays defined
    when every outcome by ``at`` is known (each patient responded or had a competing event
    before it).
    """
    from survstat.endpoints.cml_thresholds import compare

    def why(part: pl.DataFrame) -> str | None:
        reached = part.select(compare(pl.col("last_follow_up"), ">=", at).any()).item()
        unknown = part.filter((pl.col("cause") == 0) & compare(pl.col("time"), "<", at)).height
        if reached or not unknown:
            return None
        last = part.get_column("last_follow_up").max()
        return (
            f"not estimable: follow-up ends at {last:.6g}, before landmark + window = {at:g}; "
            f"{unknown} of {part.height} patients, censored before it, would count as not "
            "responding"
        )

    return why


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
        followed,
        keys,
        "followed",
        ends,
        null_rate,
        alternative,
        conf_level,
        method,
        lambda part: None if part.height else reason,
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
    all patients (a patient who stopped counts as not responding; null when nobody's
    follow-up reaches landmark + window) and the rate over the patients followed in the study
    to landmark + window (last follow-up at or after it, no discontinuation, progression or
    death before it: the "evaluable" patients; from DM alone the last follow-up is the end of
    participation, RFPENDTC, which cannot say the patient was still on treatment). Columns:
    level, landmark, window, evaluated_at, estimator (one_minus_km, cumulative_incidence,
    rate), population (all, followed), n, n_responders, estimate, conf_low, conf_high,
    interval, null_rate, alternative, p_value (exact test of the rates against --null-rate),
    reason (why an estimate or its confidence limits are null).

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
