"""The per-arm efficacy table of a breast cancer trial, from derived RECIST endpoints.

Composes the estimators (no statistics of its own): objective response and clinical benefit
rates with Clopper-Pearson intervals (:func:`survstat.proportion`), PFS medians with
Brookmeyer-Crowley intervals and PFS rates at chosen times (:func:`survstat.kaplan_meier`,
log(-log) intervals), the hazard ratio against the reference arm from a Cox model with Efron
ties (:func:`survstat.cox`, stratified when asked), and the log-rank p-value of each arm
against the reference (:func:`survstat.logrank`, stratified when asked).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from scipy import stats

from survstat.errors import ColumnNotFoundError, OptionError, SurvstatError
from survstat.io import FrameLike, scan


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
    levels = sorted(frame.get_column(by).drop_nulls().unique().to_list(), key=str)
    if len(levels) < 2:
        raise SurvstatError(f"`{by}` needs at least two arms; found {levels}")
    ref = levels[0] if reference is None else reference
    if ref not in levels:
        raise OptionError(f"reference arm {ref!r} not found in `{by}`; arms: {levels}")
    return strata_cols, levels, ref


def _median_columns(km: Any, by: str) -> pl.DataFrame:
    """Median PFS per arm with its interval, under the table's column names."""
    return km.median().select(
        by,
        pl.col("time").alias("pfs_median"),
        pl.col("conf_low").alias("pfs_median_conf_low"),
        pl.col("conf_high").alias("pfs_median_conf_high"),
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
    conf_level: float = 0.95,
) -> pl.DataFrame:
    """One row per arm: response rates, PFS summaries and the comparison with the reference.

    Parameters
    ----------
    endpoints
        Per-subject table as made by
        :func:`survstat.endpoints.recist_tte.time_to_event_endpoints` joined with the arm (and
        strata) columns: ``objective_response``, ``clinical_benefit``, ``time``, ``event``.
    reference
        The reference arm (default: the first sorted level).
    rate_times
        Label -> time of the PFS rates, in the unit of ``time``; default
        ``{"6m": 182.625, "12m": 365.25}`` (6 and 12 months in days).

    Returns
    -------
    polars.DataFrame
        ``<by>, n, n_responders, orr, orr_conf_low, orr_conf_high, n_clinical_benefit, cbr,
        cbr_conf_low, cbr_conf_high, pfs_events, pfs_median, pfs_median_conf_low,
        pfs_median_conf_high``, then per rate label ``L``: ``pfs_rate_L, pfs_rate_L_conf_low,
        pfs_rate_L_conf_high``,
        then ``hazard_ratio, hr_conf_low, hr_conf_high, logrank_p_value`` (null on the reference
        row).
    """
    from survstat.estimators.cox import cox
    from survstat.estimators.kaplan_meier import kaplan_meier
    from survstat.estimators.logrank import logrank
    from survstat.estimators.proportions import proportion

    rate_times = dict(rate_times or {"6m": 182.625, "12m": 365.25})
    frame = scan(endpoints)[0].collect()
    strata_cols, levels, ref = _arms(
        frame, by, reference, strata, (time, event, "objective_response", "clinical_benefit")
    )
    rates = {}
    for flag, name in (("objective_response", "orr"), ("clinical_benefit", "cbr")):
        t = proportion(frame, response=flag, by=by, conf_level=conf_level).table
        rates[name] = t.select(
            by,
            pl.col("n"),
            pl.col("n_responders").alias(f"n_{name}"),
            pl.col("rate").alias(name),
            pl.col("conf_low").alias(f"{name}_conf_low"),
            pl.col("conf_high").alias(f"{name}_conf_high"),
        )
    km = kaplan_meier(frame, time=time, event=event, by=by, conf_level=conf_level)
    events = km.table.group_by(by).agg(pl.col("n_event").sum().alias("pfs_events"))
    median = _median_columns(km, by)
    at = km.at(list(rate_times.values()))
    table = (
        rates["orr"]
        .join(rates["cbr"].drop("n"), on=by)
        .rename({"n_orr": "n_responders", "n_cbr": "n_clinical_benefit"})
        .join(events, on=by, how="left")
        .join(median, on=by, how="left")
    )
    for name, t in rate_times.items():
        label = f"pfs_rate_{name}"
        table = table.join(
            at.filter(pl.col("time") == float(t)).select(
                by,
                pl.col("survival").alias(label),
                pl.col("conf_low").alias(f"{label}_conf_low"),
                pl.col("conf_high").alias(f"{label}_conf_high"),
            ),
            on=by,
            how="left",
        )
    fit = cox(
        frame,
        time=time,
        event=event,
        covariates=[by],
        strata=strata_cols or None,
        reference={by: ref},
        conf_level=conf_level,
    )
    hr_rows = []
    for arm in levels:
        if arm == ref:
            continue
        row = fit.table.filter(pl.col("term") == f"{by}[{arm}]").row(0, named=True)
        pair = frame.filter(pl.col(by).is_in([arm, ref]))
        lr = logrank(pair, time=time, event=event, by=by, strata=strata_cols or None)
        hr_rows.append(
            {
                by: arm,
                "hazard_ratio": row["hazard_ratio"],
                "hr_conf_low": row["conf_low"],
                "hr_conf_high": row["conf_high"],
                "logrank_p_value": lr.table.get_column("p_value").item(),
            }
        )
    hr = pl.DataFrame(hr_rows, schema_overrides={by: frame.schema[by]})
    table = table.join(hr, on=by, how="left")
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
    cut = float(frame.get_column(biomarker).median()) if cutpoint is None else float(cutpoint)
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
