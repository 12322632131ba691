"""The per-arm efficacy table of a breast cancer trial, from derived RECIST endpoints.

Composes the estimators (no statistics of its own): objective response, clinical benefit and
disease control rates with Clopper-Pearson intervals (:func:`survstat.proportion`); PFS and
OS medians with Brookmeyer-Crowley intervals and PFS and OS rates at chosen times
(:func:`survstat.kaplan_meier`, log(-log) intervals); the median duration of response among
the confirmed responders (Kaplan-Meier of ``dor_time``, RECIST 1.1 section 4.6.2; FDA 2018
endpoints guidance, "duration of response"); the PFS hazard ratio against the reference arm
from a Cox model with Efron ties (:func:`survstat.cox`, stratified when asked), and the
log-rank p-value of each arm against the reference (:func:`survstat.logrank`, stratified when
asked).

Undefined values are null: a median not reached, a rate at a time beyond the arm's follow-up
(the Kaplan-Meier curve is not defined past its last observation unless it reached 0), a
duration of response in an arm without responders, and a hazard ratio that cannot be
estimated, with the reason in ``hr_note`` (no events in an arm, or a Cox fit that did not
converge).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from survstat.errors import (
    ColumnNotFoundError,
    EmptyDataError,
    InvalidValueError,
    MissingValueError,
    OptionError,
    SurvstatError,
)
from survstat.io import FrameLike, scan

#: Default PFS/OS rate times: 6 and 12 months in days.
RATE_TIMES = {"6m": 182.625, "12m": 365.25}


def _arms(
    frame: pl.DataFrame,
    by: str,
    reference: Any,
    strata: str | Sequence[str] | None,
    needed: Sequence[str],
) -> tuple[list[str], list[Any], Any]:
    """Strata columns, sorted arms and the reference arm, after checking the columns exist."""
    strata_cols = [strata] if isinstance(strata, str) else list(strata or [])
    for name in (by, *needed, *strata_cols):
        if name not in frame.columns:
            raise ColumnNotFoundError(name, frame.columns)
    if frame.height == 0:
        raise EmptyDataError("the endpoint table has no rows")
    for name in (by, *strata_cols):
        n_null = frame.get_column(name).null_count()
        if n_null:
            raise MissingValueError(
                f"`{name}` is missing for {n_null} of {frame.height} rows (first: row "
                f"{frame.with_row_index('__r').filter(pl.col(name).is_null())['__r'][0]})"
            )
    levels = sorted(frame.get_column(by).unique().to_list(), key=str)
    if len(levels) < 2:
        raise SurvstatError(f"`{by}` needs at least two arms; found {levels}")
    ref = levels[0] if reference is None else reference
    if ref not in levels:
        raise OptionError(f"reference arm {ref!r} not found in `{by}`; arms: {levels}")
    return strata_cols, levels, ref


def _median_columns(km: Any, by: str, prefix: str = "pfs") -> pl.DataFrame:
    """Median per arm with its interval, under the table's column names."""
    return km.median().select(
        by,
        pl.col("time").alias(f"{prefix}_median"),
        pl.col("conf_low").alias(f"{prefix}_median_conf_low"),
        pl.col("conf_high").alias(f"{prefix}_median_conf_high"),
    )


def _rates(
    frame: pl.DataFrame, by: str, flags: Sequence[tuple[str, str]], conf_level: float
) -> pl.DataFrame:
    """Clopper-Pearson rate per arm of each boolean flag, as ``n_<name>, <name>, ...``."""
    from survstat.estimators.proportions import proportion

    tables = [
        proportion(frame, response=flag, by=by, conf_level=conf_level).table.select(
            by,
            pl.col("n"),
            pl.col("n_responders").alias(f"n_{name}"),
            pl.col("rate").alias(name),
            pl.col("conf_low").alias(f"{name}_conf_low"),
            pl.col("conf_high").alias(f"{name}_conf_high"),
        )
        for flag, name in flags
    ]
    return functools.reduce(lambda a, b: a.join(b.drop("n"), on=by), tables)


def _survival(
    frame: pl.DataFrame,
    by: str,
    time: str,
    event: str,
    prefix: str,
    rate_times: Mapping[str, float],
    conf_level: float,
) -> pl.DataFrame:
    """Events, median with its interval and rates at ``rate_times`` per arm; a rate past the
    arm's last observation (where the curve is above 0) is null."""
    from survstat.estimators.kaplan_meier import kaplan_meier

    km = kaplan_meier(frame, time=time, event=event, by=by, conf_level=conf_level)
    table = (
        km.table.group_by(by)
        .agg(
            pl.col("n_event").sum().alias(f"{prefix}_events"),
            pl.col("time").max().alias("__last"),
        )
        .join(_median_columns(km, by, prefix), on=by, how="left")
    )
    if not rate_times:
        return table.drop("__last")
    at = km.at(list(rate_times.values())).join(table.select(by, "__last"), on=by)
    defined = (pl.col("time") <= pl.col("__last")) | (pl.col("survival") == 0.0)
    for name, t in rate_times.items():
        label = f"{prefix}_rate_{name}"
        table = table.join(
            at.filter(pl.col("time") == float(t)).select(
                by,
                *[
                    pl.when(defined).then(pl.col(c)).alias(alias)
                    for c, alias in (
                        ("survival", label),
                        ("conf_low", f"{label}_conf_low"),
                        ("conf_high", f"{label}_conf_high"),
                    )
                ],
            ),
            on=by,
            how="left",
        )
    return table.drop("__last")


def _duration_of_response(
    frame: pl.DataFrame, by: str, time: str, event: str, conf_level: float
) -> pl.DataFrame:
    """``n_dor, dor_events, dor_median, ...`` per arm among the objective responders."""
    responders = frame.filter(pl.col("objective_response").fill_null(False))
    no_time = responders.filter(pl.col(time).is_null() | pl.col(event).is_null())
    if no_time.height:
        raise InvalidValueError(
            f"`{time}`/`{event}` are missing for {no_time.height} of {responders.height} "
            "objective responders; derive them with time_to_event_endpoints"
        )
    counts = responders.group_by(by).agg(pl.len().cast(pl.Int64).alias("n_dor"))
    if responders.height == 0:
        return counts
    return counts.join(_survival(responders, by, time, event, "dor", {}, conf_level), on=by)


#: Why a hazard ratio is not shown, by the status cox() gives its term.
_COX_STATUS = {
    "infinite": "hazard ratio infinite (monotone likelihood: every event in one arm comes "
    "first): not estimable",
    "aliased": "arm aliased with the strata in the Cox model: not estimable",
    "not converged": "Cox fit did not converge: not reported",
}


def _hazard_ratios(
    frame: pl.DataFrame,
    by: str,
    levels: list[Any],
    ref: Any,
    strata_cols: list[str],
    time: str,
    event: str,
    conf_level: float,
) -> pl.DataFrame:
    """PFS hazard ratio (Cox, arms as indicators against ``ref``) and log-rank p-value of
    each arm against the reference; null with a reason in ``hr_note`` when not estimable."""
    from survstat.estimators.cox import cox
    from survstat.estimators.logrank import logrank

    n_events = dict(
        frame.group_by(by).agg(pl.col(event).cast(pl.Int64).sum().alias("e")).iter_rows()
    )
    others = [a for a in levels if a != ref]
    notes: dict[Any, str] = {}
    if not n_events.get(ref):
        notes = {a: f"no events in the reference arm {ref!r}: not estimable" for a in others}
    else:
        notes = {a: f"no events in arm {a!r}: not estimable" for a in others if not n_events[a]}
    fitted = [ref] + [a for a in others if a not in notes]
    terms: dict[str, dict[str, Any]] = {}
    if len(fitted) >= 2:
        try:
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                fit = cox(
                    frame.filter(pl.col(by).is_in(fitted)),
                    time=time,
                    event=event,
                    covariates=[by],
                    strata=strata_cols or None,
                    reference={by: ref},
                    conf_level=conf_level,
                )
        except SurvstatError as exc:
            notes.update({a: f"Cox fit failed: {exc}" for a in fitted[1:]})
        else:
            terms = {r["term"]: r for r in fit.table.iter_rows(named=True)}
            if not fit.converged:
                why = f"Cox fit did not converge in {fit.iterations} iterations: not reported"
                notes.update({a: why for a in fitted[1:]})
    rows = []
    for arm in others:
        row = terms.get(f"{by}[{arm}]")
        values = None if row is None else (row["hazard_ratio"], row["conf_low"], row["conf_high"])
        if arm not in notes and row is not None and row["status"] != "ok":
            # cox() leaves an infinite or aliased term's estimate null and says why
            notes[arm] = _COX_STATUS.get(row["status"], f"Cox term {row['status']}: not reported")
        elif arm not in notes and (
            values is None or any(v is None or not np.isfinite(v) for v in values)
        ):
            notes[arm] = "hazard ratio or its interval not finite: not reported"
        if arm in notes or values is None:  # no row (None) always comes with a note
            values = (None, None, None)
        pair = frame.filter(pl.col(by).is_in([arm, ref]))
        lr = logrank(pair, time=time, event=event, by=by, strata=strata_cols or None)
        p = lr.table.get_column("p_value").item()
        rows.append((arm, *values, p, notes.get(arm)))
    return pl.DataFrame(
        rows,
        schema={
            by: frame.schema[by],
            "hazard_ratio": pl.Float64,
            "hr_conf_low": pl.Float64,
            "hr_conf_high": pl.Float64,
            "logrank_p_value": pl.Float64,
            "hr_note": pl.String,
        },
        orient="row",
    )


def efficacy_table(
    endpoints: FrameLike,
    *,
    by: str = "arm",
    reference: Any = None,
    strata: str | Sequence[str] | None = None,
    rate_times: Mapping[str, float] | None = None,
    time: str = "pfs_time",
    event: str = "pfs_event",
    os_time: str = "os_time",
    os_event: str = "os_event",
    dor_time: str = "dor_time",
    dor_event: str = "dor_event",
    conf_level: float = 0.95,
) -> pl.DataFrame:
    """One row per arm: response rates, PFS, OS and DoR summaries, and the comparison with the
    reference arm.

    Parameters
    ----------
    endpoints
        Per-subject table as made by
        :func:`survstat.endpoints.recist_tte.time_to_event_endpoints` with the arm (and
        strata) columns: ``objective_response``, ``clinical_benefit``, ``disease_control``
        and the PFS, OS and DoR times and events.
    by
        The arm column (no missing values).
    reference
        The reference arm (default: the first sorted level).
    strata
        Stratification column(s) of the hazard ratio and the log-rank test.
    rate_times
        Label -> time of the PFS and OS rates, in the unit of ``time``; default
        ``{"6m": 182.625, "12m": 365.25}`` (6 and 12 months in days).
    time, event
        PFS time and event columns.
    os_time, os_event
        OS time and event columns.
    dor_time, dor_event
        Duration-of-response time and event columns, used for the rows with
        ``objective_response`` (the confirmed responders, when derived with confirmation).
    conf_level
        Level of every interval (0.95).

    Returns
    -------
    polars.DataFrame
        ``<by>, n, n_responders, orr, orr_conf_low, orr_conf_high, n_clinical_benefit, cbr,
        cbr_conf_low, cbr_conf_high, pfs_events, pfs_median, pfs_median_conf_low,
        pfs_median_conf_high``, then per rate label ``L``: ``pfs_rate_L, pfs_rate_L_conf_low,
        pfs_rate_L_conf_high``, then ``hazard_ratio, hr_conf_low, hr_conf_high,
        logrank_p_value`` (null on the reference row), then ``n_disease_control, dcr,
        dcr_conf_low, dcr_conf_high, os_events, os_median, os_median_conf_low,
        os_median_conf_high``, per rate label ``os_rate_L, os_rate_L_conf_low,
        os_rate_L_conf_high``, then ``n_dor`` (the responders the duration of response rests
        on), ``dor_events, dor_median, dor_median_conf_low, dor_median_conf_high`` and
        ``hr_note`` (why the hazard ratio is null, else null).
    """
    rate_times = dict(RATE_TIMES if rate_times is None else rate_times)
    for name, t in rate_times.items():
        ok = isinstance(t, int | float) and not isinstance(t, bool) and 0 <= t < np.inf
        if not ok:
            raise OptionError(f"`rate_times` must be finite times >= 0; got {name!r}: {t!r}")
    frame = scan(endpoints)[0].collect()
    flags = ("objective_response", "clinical_benefit", "disease_control")
    needed = (*flags, time, event, os_time, os_event, dor_time, dor_event)
    strata_cols, levels, ref = _arms(frame, by, reference, strata, needed)
    rates = _rates(
        frame,
        by,
        (("objective_response", "orr"), ("clinical_benefit", "cbr"), ("disease_control", "dcr")),
        conf_level,
    ).rename({"n_orr": "n_responders", "n_cbr": "n_clinical_benefit", "n_dcr": "n_disease_control"})
    pfs = _survival(frame, by, time, event, "pfs", rate_times, conf_level)
    os_ = _survival(frame, by, os_time, os_event, "os", rate_times, conf_level)
    dor = _duration_of_response(frame, by, dor_time, dor_event, conf_level)
    hr = _hazard_ratios(frame, by, levels, ref, strata_cols, time, event, conf_level)
    table = (
        rates.select(pl.exclude("^dcr.*$", "n_disease_control"))
        .join(pfs, on=by, how="left")
        .join(hr.drop("hr_note"), on=by, how="left")
        .join(rates.select(by, "n_disease_control", "^dcr.*$"), on=by, how="left")
        .join(os_, on=by, how="left")
        .join(dor, on=by, how="left")
        .with_columns(pl.col("n_dor").fill_null(0))
    )
    for column in ("dor_events", "dor_median", "dor_median_conf_low", "dor_median_conf_high"):
        if column not in table.columns:
            table = table.with_columns(pl.lit(None, dtype=pl.Float64).alias(column))
    table = table.join(hr.select(by, "hr_note"), on=by, how="left")
    return table.sort(pl.col(by) != ref, pl.col(by).cast(pl.String))


@dataclass(frozen=True, slots=True)
class SubgroupResult:
    """Treatment effect within biomarker subgroups and the treatment-by-biomarker interaction.

    Attributes
    ----------
    table
        One row per subgroup and arm: ``subgroup`` (low / high), the arm column, then ``n,
        pfs_events, pfs_median, pfs_median_conf_low, pfs_median_conf_high, hazard_ratio,
        hr_conf_low, hr_conf_high`` (the hazard ratio against the reference arm within the
        subgroup; null on the reference rows).
    interaction
        ``test, statistic, df, p_value``: the likelihood-ratio test of the arm-by-subgroup
        interaction terms in a Cox model with arm, subgroup and their interaction.
    cutpoint
        The cut-point used: "high" means strictly above it.
    n_excluded
        Rows left out because the biomarker was missing.
    """

    table: pl.DataFrame
    interaction: pl.DataFrame
    cutpoint: float
    n_excluded: int


def biomarker_subgroups(
    endpoints: FrameLike,
    *,
    biomarker: str,
    cutpoint: float | None = None,
    by: str = "arm",
    reference: Any = None,
    strata: str | Sequence[str] | None = None,
    time: str = "pfs_time",
    event: str = "pfs_event",
    conf_level: float = 0.95,
) -> SubgroupResult:
    """PFS by arm within biomarker-high and -low subgroups, and the interaction test.

    The subgroups split at ``cutpoint`` (default: the median of the biomarker over the
    patients with a value); "high" is strictly above it. The interaction is tested by the
    likelihood ratio of the Cox model ``arm + high + arm:high`` against ``arm + high`` (df =
    number of arms - 1), stratified when ``strata`` is given.
    """
    from survstat.estimators.cox import cox
    from survstat.estimators.kaplan_meier import kaplan_meier

    frame = scan(endpoints)[0].collect()
    strata_cols, levels, ref = _arms(frame, by, reference, strata, (time, event, biomarker))
    if not frame.schema[biomarker].is_numeric():
        raise OptionError(
            f"`{biomarker}` must be numeric to split at a cut-point; found "
            f"{frame.schema[biomarker]}"
        )
    n_all = frame.height
    frame = frame.filter(pl.col(biomarker).is_not_null() & pl.col(biomarker).is_not_nan())
    n_excluded = n_all - frame.height
    if cutpoint is None:
        median = frame.get_column(biomarker).median()
        if not isinstance(median, int | float):  # None: no patient has a value
            raise MissingValueError(
                f"`{biomarker}` (biomarker) needs values for the median cut-point; found "
                f"{n_excluded} missing values in {n_all} rows"
            )
        cut = float(median)
    else:
        cut = float(cutpoint)
    frame = frame.with_columns(
        pl.when(pl.col(biomarker) > cut)
        .then(pl.lit("high"))
        .otherwise(pl.lit("low"))
        .alias("subgroup")
    )
    parts = []
    for sub in ("low", "high"):
        part = frame.filter(pl.col("subgroup") == sub)
        arms = set(part.get_column(by).to_list())
        if ref not in arms or len(arms) < 2:
            raise SurvstatError(
                f"the biomarker-{sub} subgroup ({part.height} patients at cut-point {cut:g}) "
                f"does not hold the reference arm {ref!r} and another arm"
            )
        km = kaplan_meier(part, time=time, event=event, by=by, conf_level=conf_level)
        summary = (
            part.group_by(by)
            .agg(pl.len().alias("n"), pl.col(event).cast(pl.Int64).sum().alias("pfs_events"))
            .join(_median_columns(km, by), on=by)
        )
        fit = cox(
            part,
            time=time,
            event=event,
            covariates=[by],
            strata=strata_cols or None,
            reference={by: ref},
            conf_level=conf_level,
        )
        hr = fit.table.select(
            pl.col("term").str.slice(len(by) + 1).str.strip_suffix("]").alias(by),
            "hazard_ratio",
            pl.col("conf_low").alias("hr_conf_low"),
            pl.col("conf_high").alias("hr_conf_high"),
        ).with_columns(pl.col(by).cast(frame.schema[by]))
        parts.append(
            summary.join(hr, on=by, how="left")
            .with_columns(pl.lit(sub).alias("subgroup"))
            .sort(pl.col(by) != ref, pl.col(by).cast(pl.String))
        )
    table = pl.concat(parts).select(
        "subgroup",
        by,
        "n",
        "pfs_events",
        "pfs_median",
        "pfs_median_conf_low",
        "pfs_median_conf_high",
        "hazard_ratio",
        "hr_conf_low",
        "hr_conf_high",
    )
    others = [a for a in levels if a != ref]
    design = frame.with_columns(
        (pl.col("subgroup") == "high").cast(pl.Float64).alias("__high"),
        *[(pl.col(by) == a).cast(pl.Float64).alias(f"__arm{i}") for i, a in enumerate(others)],
    ).with_columns(
        *[(pl.col(f"__arm{i}") * pl.col("__high")).alias(f"__x{i}") for i in range(len(others))]
    )
    main = [f"__arm{i}" for i in range(len(others))] + ["__high"]
    inter = [f"__x{i}" for i in range(len(others))]
    common = {"time": time, "event": event, "strata": strata_cols or None}
    reduced = cox(design, covariates=main, **common)
    full = cox(design, covariates=main + inter, **common)
    stat = 2.0 * (full.loglik[1] - reduced.loglik[1])
    interaction = pl.DataFrame(
        {
            "test": ["likelihood-ratio"],
            "statistic": [stat],
            "df": [len(inter)],
            "p_value": [float(stats.chi2.sf(stat, len(inter)))],
        }
    )
    return SubgroupResult(table=table, interaction=interaction, cutpoint=cut, n_excluded=n_excluded)


__all__ = ["SubgroupResult", "biomarker_subgroups", "efficacy_table"]
