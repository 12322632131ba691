"""Treatment effect within biomarker subgroups and the treatment-by-biomarker interaction.

The subgroups (e.g. phospho-AKT high vs low) are made from derived RECIST endpoints.

Within each subgroup: PFS events and median per arm and each arm's hazard ratio against the
reference (:func:`survstat.cox`, Efron ties, stratified when asked); across subgroups: the
likelihood-ratio test of the arm-by-subgroup interaction terms of a Cox model with arm,
subgroup and their interaction, its degrees of freedom counting the interaction terms that can
be estimated, as R's ``anova(coxph(...), coxph(...))`` does.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from scipy import stats

from survstat.analyses._arms import (
    arm_labels,
    cox_by_arm,
    in_arm_order,
    median_columns,
    read_arms,
)
from survstat.endpoints.recist_input import counted
from survstat.errors import (
    InvalidValueError,
    MissingValueError,
    OptionError,
    SurvstatWarning,
)
from survstat.io import FrameLike, scan

if TYPE_CHECKING:
    from survstat.estimators.cox import CoxResult


@dataclass(frozen=True, slots=True)
class SubgroupResult:
    """Treatment effect within biomarker subgroups and the treatment-by-biomarker interaction.

    Attributes
    ----------
    table
        One row per subgroup and arm (every arm in both subgroups): ``subgroup`` (low /
        high), the arm column, then ``n, pfs_events, pfs_median, pfs_median_conf_low,
        pfs_median_conf_high, hazard_ratio, hr_conf_low, hr_conf_high`` (the hazard ratio
        against the reference arm within the subgroup; null on the reference rows) and
        ``hr_note``: why a non-reference arm's hazard ratio is null (no patients or no events
        in the subgroup, or the status cox() gives its term), else null.
    interaction
        One row: ``test, statistic, df, p_value`` of the likelihood-ratio test of the
        arm-by-subgroup interaction terms in a Cox model with arm, subgroup and their
        interaction, then ``status`` (``ok``; ``infinite`` when a coefficient of either model
        may be infinite, the statistic still reported as R does; ``not converged`` or
        ``aliased`` when no interaction term can be estimated, the statistic then null),
        ``reduced_converged`` and ``full_converged`` (whether each Cox model converged),
        ``aliased`` and ``infinite`` (the full model's terms of that status, comma-separated,
        "" when none) and ``note`` (why df is below the number of arms - 1 or the test is
        null, else null).
    cutpoint
        The cut-point used: "high" means strictly above it.
    n_excluded
        Rows left out because the biomarker was missing.
    """

    table: pl.DataFrame
    interaction: pl.DataFrame
    cutpoint: float
    n_excluded: int


@contextlib.contextmanager
def _warnings_about(context: str) -> Iterator[None]:
    """Re-issue the warnings of the Cox fits inside with ``context`` (which subgroup) first."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        ours = issubclass(w.category, SurvstatWarning)
        warnings.warn(f"{context}: {w.message}" if ours else w.message, w.category, stacklevel=4)


def _cut(frame: pl.DataFrame, biomarker: str, cutpoint: float | None) -> tuple[pl.DataFrame, float]:
    """Split the patients with a biomarker value: ``__subgroup`` low / high, and the cut."""
    if not frame.schema[biomarker].is_numeric():
        raise OptionError(
            f"`{biomarker}` must be numeric to split at a cut-point; found "
            f"{frame.schema[biomarker]}"
        )
    n_all = frame.height
    frame = frame.filter(pl.col(biomarker).is_not_null() & pl.col(biomarker).is_not_nan())
    if cutpoint is None:
        median = frame.get_column(biomarker).median()
        if not isinstance(median, int | float):  # None: no patient has a value
            raise MissingValueError(
                f"`{biomarker}` (biomarker) needs values for the median cut-point; found "
                f"{counted(n_all - frame.height, 'missing value')} in {counted(n_all, 'row')}"
            )
        cut = float(median)
    else:
        cut = float(cutpoint)
        if not math.isfinite(cut):
            # NaN would put every patient in "low" (NaN sorts above every value)
            raise OptionError(f"`cutpoint` must be a finite number; got {cutpoint}")
    high = pl.when(pl.col(biomarker) > cut).then(pl.lit("high")).otherwise(pl.lit("low"))
    return frame.with_columns(high.alias("__subgroup")), cut


def _subgroup_rows(
    part: pl.DataFrame,
    sub: str,
    levels: list[Any],
    ref: Any,
    strata_cols: list[str],
    options: dict[str, Any],
) -> pl.DataFrame:
    """Every arm's row of one subgroup: counts, median PFS, hazard ratio and ``hr_note``."""
    from survstat.estimators.kaplan_meier import kaplan_meier

    by, time, event, conf_level = (options[k] for k in ("by", "time", "event", "conf_level"))
    where = f" in the biomarker-{sub} subgroup"
    km = kaplan_meier(part, time=time, event=event, by=by, conf_level=conf_level)
    with _warnings_about(f"PFS hazard ratios{where}"):
        hazard = cox_by_arm(part, by, levels, ref, strata_cols, time, event, conf_level, where)
    hr = pl.DataFrame(
        [(arm, *hazard[arm]) for arm in levels if arm != ref],
        schema={
            by: part.schema[by],
            "hazard_ratio": pl.Float64,
            "hr_conf_low": pl.Float64,
            "hr_conf_high": pl.Float64,
            "hr_note": pl.String,
        },
        orient="row",
    )
    every_arm = pl.DataFrame({by: pl.Series(levels, dtype=part.schema[by])})
    rows = (
        every_arm.join(
            part.group_by(by).agg(
                pl.len().cast(pl.Int64).alias("n"),
                pl.col(event).cast(pl.Int64).sum().alias("pfs_events"),
            ),
            on=by,
            how="left",
        )
        .join(median_columns(km, by), on=by, how="left")
        .join(hr, on=by, how="left")
        .with_columns(pl.col("n", "pfs_events").fill_null(0), pl.lit(sub).alias("subgroup"))
    )
    return in_arm_order(rows, by, [ref] + [a for a in levels if a != ref])


def _interaction_terms(
    frame: pl.DataFrame, by: str, others: list[Any], biomarker: str, keep: list[str]
) -> tuple[pl.DataFrame, list[str], dict[str, Any]]:
    """Build the design of the interaction test.

    Its columns are ``keep``, one indicator per non-reference arm (``arm[B]``), the high
    subgroup (``<biomarker>-high``) and their products (``arm[B]:<biomarker>-high``); the
    arm of each product term comes with it.
    """
    label = arm_labels(frame, by)
    high = f"{biomarker}-high"
    arm_terms = [f"{by}[{label[a]}]" for a in others]
    products = {f"{t}:{high}": a for t, a in zip(arm_terms, others, strict=True)}
    names = [*keep, *arm_terms, high, *products]
    if len(set(names)) != len(names):
        raise OptionError(
            f"the time, event or strata columns ({', '.join(keep)}) clash with the names of "
            f"the interaction model's terms ({', '.join(names[len(keep) :])}); rename them"
        )
    is_high = (pl.col("__subgroup") == "high").cast(pl.Float64)
    arm_is = {a: (pl.col(by) == a).cast(pl.Float64) for a in others}
    design = frame.select(
        *keep,
        *[arm_is[a].alias(t) for t, a in zip(arm_terms, others, strict=True)],
        is_high.alias(high),
        *[(arm_is[a] * is_high).alias(t) for t, a in products.items()],
    )
    return design, [*arm_terms, high], products


def _why_aliased(frame: pl.DataFrame, by: str, arm: Any) -> str:
    """Why the interaction of ``arm`` with the high subgroup cannot be estimated."""
    subgroups = set(frame.filter(pl.col(by) == arm).get_column("__subgroup").to_list())
    missing = [s for s in ("low", "high") if s not in subgroups]
    if missing:
        return f"arm {arm!r} has no patients in the biomarker-{missing[0]} subgroup"
    return f"arm {arm!r} is a combination of the other terms (or the strata) in the model"


def _interaction(
    frame: pl.DataFrame,
    by: str,
    others: list[Any],
    biomarker: str,
    time: str,
    event: str,
    strata_cols: list[str],
) -> pl.DataFrame:
    """Test the arm-by-subgroup interaction by the likelihood ratio of two Cox models.

    df is the number of interaction terms that can be estimated (R ``anova(coxph(~arm +
    high), coxph(~arm * high))``: the difference in non-aliased coefficients).
    """
    from survstat.estimators.cox import cox

    keep = [time, event, *strata_cols]
    design, main, products = _interaction_terms(frame, by, others, biomarker, keep)
    common = {"time": time, "event": event, "strata": strata_cols or None}
    with (
        warnings.catch_warnings(),
        np.errstate(over="ignore", divide="ignore", invalid="ignore"),
    ):  # each problem is named (by arm and subgroup) in the table and warned of below
        warnings.simplefilter("ignore", SurvstatWarning)
        reduced = cox(design, covariates=main, **common)
        full = cox(design, covariates=[*main, *products], **common)
    used = {t: s != "aliased" for t, s in full.table.select("term", "status").iter_rows()}
    df = sum(used.values()) - sum(s != "aliased" for s in reduced.table.get_column("status"))
    notes = [
        f"the interaction of arm {arm!r} with the biomarker-high subgroup cannot be estimated: "
        f"{_why_aliased(frame, by, arm)}"
        for term, arm in products.items()
        if not used[term]
    ]
    statistic, status, why = _likelihood_ratio(reduced, full, df, bool(notes))
    note = "; ".join([*notes, *([why] if why else [])]) or None
    if note is not None:
        warnings.warn(f"arm-by-{biomarker} interaction test: {note}", SurvstatWarning, stacklevel=3)
    return pl.DataFrame(
        {
            "test": ["likelihood-ratio"],
            "statistic": [statistic],
            "df": [df],
            "p_value": [None if statistic is None else float(stats.chi2.sf(statistic, df))],
            "status": [status],
            "reduced_converged": [reduced.converged],
            "full_converged": [full.converged],
            "aliased": [", ".join(full.aliased)],
            "infinite": [", ".join(full.infinite)],
            "note": [note],
        },
        schema_overrides={"statistic": pl.Float64, "p_value": pl.Float64, "note": pl.String},
    )


def _likelihood_ratio(
    reduced: CoxResult, full: CoxResult, df: int, aliased: bool
) -> tuple[float | None, str, str | None]:
    """Return the likelihood-ratio statistic, its status and why it is what it is.

    The statistic is null when either model did not converge (status ``not converged``) or
    no interaction term can be estimated (``aliased``); with a coefficient that may be
    infinite it is that of the converged log-likelihoods, as R reports it (``infinite``).
    ``aliased`` says whether some interaction terms could not be estimated, so that the
    note then explains df.
    """
    stalled = [
        name
        for name, fit in (("without", reduced), ("with", full))
        if not fit.converged and not fit.infinite
    ]
    statistic = 2.0 * (full.loglik[1] - reduced.loglik[1])
    if stalled:
        why = f"the Cox model {' and '.join(stalled)} the interaction did not converge: no test"
        return None, "not converged", why
    if df == 0:
        return None, "aliased", "no interaction term can be estimated: no test"
    if reduced.infinite or full.infinite:
        why = (
            "a coefficient may be infinite (monotone likelihood: "
            f"{', '.join((*reduced.infinite, *full.infinite))}); the likelihood ratio is "
            "that of the converged log-likelihoods, as R reports it"
        )
        return statistic, "infinite", why
    if aliased:
        return (
            statistic,
            "ok",
            f"df = {df}, the interaction terms that can be estimated (as R's anova)",
        )
    return statistic, "ok", None


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

    Parameters
    ----------
    endpoints
        Per-subject table with the arm, PFS time and event and the biomarker (as made by
        :func:`survstat.endpoints.recist_tte.time_to_event_endpoints`).
    biomarker
        Numeric biomarker column; patients without a value (null or NaN) are left out.
    cutpoint
        "High" means strictly above it (default: the median of the biomarker over the
        patients with a value).
    by
        The arm column, of any type (text, integer codes, boolean): it enters the Cox models
        as categorical and keeps its values and type in the output.
    reference
        The reference arm, as a value of ``by`` or its text (default: the first arm).
    strata
        Stratification column(s) of the Cox models; ``by`` cannot be one of them.
    time, event
        PFS time and event columns.
    conf_level
        Level of the intervals.

    Returns
    -------
    SubgroupResult

    Notes
    -----
    The interaction is tested by the likelihood ratio of the Cox model ``arm + high +
    arm:high`` against ``arm + high`` (Efron ties, stratified when ``strata`` is given). Its
    df is the number of interaction terms that can be estimated, as R's
    ``anova(coxph(...), coxph(...))`` counts them: arms - 1, less one for each arm that
    has no patients in one of the subgroups (its interaction term is aliased). The
    interaction table says which terms were aliased and whether both models converged.

    References
    ----------
    1. Efron B. The efficiency of Cox's likelihood function for censored data. J Am Stat Assoc
       1977;72:557-565.
    2. Brookmeyer R, Crowley J. A confidence interval for the median survival time. Biometrics
       1982;38:29-41.
    """
    frame = scan(endpoints)[0].collect()
    strata_cols, levels, ref = read_arms(frame, by, reference, strata, (time, event, biomarker))
    if "subgroup" in (by, *strata_cols):
        raise OptionError("`subgroup` names the output's subgroup column: rename the column")
    n_all = frame.height
    frame, cut = _cut(frame, biomarker, cutpoint)
    options = {"by": by, "time": time, "event": event, "conf_level": conf_level}
    parts = []
    for sub in ("low", "high"):
        part = frame.filter(pl.col("__subgroup") == sub)
        arms = set(part.get_column(by).to_list())
        if ref not in arms or len(arms) < 2:
            raise InvalidValueError(
                f"the biomarker-{sub} subgroup ({counted(part.height, 'patient')} at cut-point "
                f"{cut:g}) does not hold the reference arm {ref!r} and another arm"
            )
        parts.append(_subgroup_rows(part, sub, levels, ref, strata_cols, options))
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
        "hr_note",
    )
    others = [a for a in levels if a != ref]
    interaction = _interaction(frame, by, others, biomarker, time, event, strata_cols)
    return SubgroupResult(
        table=table, interaction=interaction, cutpoint=cut, n_excluded=n_all - frame.height
    )


__all__ = ["SubgroupResult", "biomarker_subgroups"]
