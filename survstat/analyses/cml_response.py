"""The response at a CML level by a landmark, an analysis of the CML endpoints.

The cumulative incidence, 1 - Kaplan-Meier, the landmark rate and the tests between arms.

:func:`molecular_response` turns the per-patient endpoints of
:func:`~survstat.endpoints.cml_endpoints.response_endpoints` into the numbers CML papers report
for "MR4.5 by month 12" (ELN 2020, Hochhaus et al. 2020, Leukemia 34:966-984): the cumulative
incidence with competing events (Aalen-Johansen, with Gray's test between arms: Gray 1988, Ann
Stat 16:1141-1154), 1 - Kaplan-Meier as a sensitivity analysis, and the landmark rate with its
exact interval.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

import polars as pl

from survstat._choices import Alternative, ConfType, RateMethod, ResponseLevel
from survstat.endpoints.cml_endpoints import PatientColumns, response_endpoints
from survstat.endpoints.cml_input import Columns, Thresholds
from survstat.errors import SurvstatWarning
from survstat.io import FrameLike


@dataclass(frozen=True, slots=True)
class MolecularResponseResult:
    """Response at a level by a landmark, estimated three ways.

    Every estimate answers the same question: response by ``evaluated_at = landmark +
    window``, the time up to which
    :func:`~survstat.endpoints.cml_endpoints.response_endpoints` counts a response as
    ``responded_by_landmark``.

    Attributes
    ----------
    endpoints
        The per-patient table from
        :func:`~survstat.endpoints.cml_endpoints.response_endpoints`.
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
    """Read a curve's value at ``at`` per group, null with a ``reason`` where it is unknown.

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
    level: ResponseLevel = "MR4.5",
    landmark: float = 12.0,
    window: float = 0.0,
    by: str | None = None,
    null_rate: float | None = None,
    alternative: Alternative = "two-sided",
    conf_level: float = 0.95,
    conf_type: ConfType = "log-log",
    rate_method: RateMethod = "clopper-pearson",
    reference: Any = None,
    columns: Columns | None = None,
    patient_columns: PatientColumns | None = None,
    thresholds: Thresholds | None = None,
    compare: bool = True,
) -> MolecularResponseResult:
    """From raw BCR-ABL1 results to "MR4.5 by month 12": incidence, rate and tests.

    Parameters
    ----------
    labs, patients
        Lab results and patient table, as for
        :func:`~survstat.endpoints.cml_endpoints.response_endpoints`.
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
    compare
        With ``by``, compare the arms (Gray's test and the difference in rates; they need two
        arms or more); False estimates per arm only, leaving ``gray`` and ``comparison`` None.

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

    References
    ----------
    1. Hochhaus A et al. European LeukemiaNet 2020 recommendations for treating chronic myeloid
       leukemia. Leukemia 2020;34:966-984.
    2. Aalen OO, Johansen S. An empirical transition matrix for non-homogeneous Markov chains
       based on censored observations. Scand J Stat 1978;5:141-150.
    3. Gray RJ. A class of K-sample tests for comparing the cumulative incidence of a competing
       risk. Ann Stat 1988;16:1141-1154.
    4. Clopper CJ, Pearson ES. The use of confidence or fiducial limits illustrated in the case
       of the binomial. Biometrika 1934;26:404-413.
    5. Newcombe RG. Interval estimation for the difference between independent proportions:
       comparison of eleven methods. Stat Med 1998;17:873-890.

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

    def table(estimates: pl.DataFrame, values: tuple[str, ...]) -> pl.DataFrame:
        return estimates.select(
            *([by] if by else []),
            pl.lit(level).alias("level"),
            pl.lit(landmark).alias("landmark"),
            *values,
            pl.lit(window).alias("window"),
            pl.lit(at).alias("evaluated_at"),
            "reason",
        )

    incidence = _incidence(ends, by, at, conf_level, conf_type)
    one_minus_km = _one_minus_km(ends, by, at, conf_level, conf_type)
    gray, comparison = None, None
    if by is not None and compare:
        gray, comparison = _arm_tests(ends, by, reference, conf_level)
    return MolecularResponseResult(
        endpoints=ends,
        incidence=table(incidence, ("cif", "std_error", "conf_low", "conf_high")),
        rate=_landmark_rate(ends, by, rate_method, null_rate, alternative, conf_level),
        gray=gray,
        one_minus_km=table(one_minus_km, ("estimate", "conf_low", "conf_high")),
        comparison=comparison,
    )


def _incidence(
    ends: pl.DataFrame, by: str | None, at: float, conf_level: float, conf_type: str
) -> pl.DataFrame:
    """Estimate the cumulative incidence of the response at ``at`` per group.

    The competing events are causes 2-4 (Aalen-Johansen, as ``cmprsk::cuminc``); the
    incidence is null with a reason where it is unknown.
    """
    from survstat.estimators.cumulative_incidence import cumulative_incidence

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
            conf_type=cast("ConfType", conf_type),
        )
    values = ("cif", "std_error", "conf_low", "conf_high")
    return _at_landmark(
        lambda times: cif.at(times).filter(pl.col("cause") == 1),
        ends,
        [by] if by else [],
        at,
        [pl.col(v) for v in values],
        values,
        censored=pl.col("cause") == 0,
    )


def _one_minus_km(
    ends: pl.DataFrame, by: str | None, at: float, conf_level: float, conf_type: str
) -> pl.DataFrame:
    """Estimate 1 - Kaplan-Meier of the response at ``at`` per group.

    The competing events are censored; the estimate is null with a reason where unknown.
    """
    from survstat.estimators.kaplan_meier import kaplan_meier

    km = kaplan_meier(
        ends.with_columns((pl.col("cause") == 1).alias("__response")),
        time="time",
        event="__response",
        by=by,
        conf_type=cast("ConfType", conf_type),
        conf_level=conf_level,
    )
    return _at_landmark(
        km.at,
        ends,
        [by] if by else [],
        at,
        [
            (1.0 - pl.col("survival")).alias("estimate"),
            (1.0 - pl.col("conf_high")).alias("conf_low"),
            (1.0 - pl.col("conf_low")).alias("conf_high"),
        ],
        ("estimate", "conf_low", "conf_high"),
        censored=pl.col("cause") != 1,
    )


def _landmark_rate(
    ends: pl.DataFrame,
    by: str | None,
    method: str,
    null_rate: float | None,
    alternative: str,
    conf_level: float,
) -> pl.DataFrame:
    """Estimate the proportion of all patients (intention to treat) responding by the landmark."""
    from survstat.estimators.proportions import proportion

    return proportion(
        ends,
        response="responded_by_landmark",
        by=by,
        method=cast("RateMethod", method),
        null_rate=null_rate,
        alternative=cast("Alternative", alternative),
        conf_level=conf_level,
    ).table


def _arm_tests(
    ends: pl.DataFrame, by: str, reference: Any, conf_level: float
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Compare the arms of ``by``: Gray's test and the difference in landmark rates.

    The rates are compared against the ``reference`` arm; without any response the test is
    undefined (null statistic) and there is no comparison.
    """
    from survstat.estimators.compare_rates import compare_proportions
    from survstat.estimators.gray import gray_test

    if not (ends.get_column("cause") == 1).any():
        # no response at all: the test is undefined, as for any cause that never occurs
        gray = pl.DataFrame(
            {"cause": [1], "statistic": [None], "df": [ends.get_column(by).n_unique() - 1]},
            schema={"cause": pl.Int64, "statistic": pl.Float64, "df": pl.Int64},
        ).with_columns(pl.lit(None, dtype=pl.Float64).alias("p_value"))
        return _finite(gray), None
    # Gray's test for the response sees the other causes only as competing events
    competing = ends.with_columns(pl.col("cause").clip(upper_bound=2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SurvstatWarning)
        gray = gray_test(competing, time="time", cause="cause", causes=[1, 2], by=by).table
    comparison = compare_proportions(
        ends,
        response="responded_by_landmark",
        by=by,
        reference=reference,
        conf_level=conf_level,
    ).table
    return _finite(gray.filter(pl.col("cause") == 1)), _finite(comparison)


def _finite(table: pl.DataFrame) -> pl.DataFrame:
    """Return ``table`` with NaN and infinite values as null (undefined).

    The arm comparison of a degenerate 2 x 2 table (no responders, say) has an unbounded
    odds-ratio limit, which ``fisher.test`` reports as Inf.
    """
    return table.with_columns(
        pl.when(pl.col(c).is_finite()).then(pl.col(c)).alias(c)
        for c, dtype in table.schema.items()
        if dtype.is_float()
    )


__all__ = ["MolecularResponseResult", "molecular_response"]
