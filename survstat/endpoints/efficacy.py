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
estimated, with the reason in ``hr_note`` (no events in an arm, or the ``status`` cox() gives
the arm's term: ``infinite``, ``aliased`` or ``not converged``).

The arm column may hold text, integer codes or booleans: it enters every Cox model as
categorical (one indicator per arm against the reference, R's treatment contrasts) and keeps
its values and type in the output.
"""

from __future__ import annotations

import contextlib
import functools
import numbers
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from survstat.endpoints.recist import counted
from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    EmptyDataError,
    InvalidValueError,
    MissingValueError,
    OptionError,
    SurvstatError,
    SurvstatWarning,
)
from survstat.io import FrameLike, scan

#: Default PFS/OS rate times: 6 and 12 months in days.
RATE_TIMES = {"6m": 182.625, "12m": 365.25}


def check_roles(by: str, strata: str | Sequence[str] | None) -> list[str]:
    """The strata columns as a list, after checking that the arm column is not one of them.

    A hazard ratio or log-rank test of the arms within strata of the arm itself compares
    nothing, so giving ``by`` as a stratum is an error before any model is fitted.
    """
    strata_cols = [strata] if isinstance(strata, str) else list(strata or [])
    if by in strata_cols:
        raise OptionError(
            f"column `{by}` is used both as the arm (`by`) and as strata; arms cannot be "
            "compared within strata of the arm: drop it from `strata`"
        )
    return strata_cols


def _sorted_levels(column: pl.Series) -> list[Any]:
    """The arms in order: numeric and boolean arms by value (1, 2, 10), others as text."""
    values = column.unique().to_list()
    if column.dtype.is_numeric() or column.dtype == pl.Boolean:
        return sorted(values)
    return sorted(values, key=str)


def _reference_level(reference: Any, levels: list[Any], by: str) -> Any:
    """The level ``reference`` names: the level itself, or its text (``"2"`` for the integer
    arm 2, ``"true"`` for True), as a command line or job file gives it."""
    if reference is None:
        return levels[0]
    if reference in levels:
        return levels[levels.index(reference)]
    text = str(reference).strip()
    for level in levels:
        if isinstance(level, bool):
            same = text.lower() == str(level).lower()
        elif isinstance(level, int | float):
            try:
                same = float(text) == level
            except ValueError:
                same = False
        else:
            same = text == str(level)
        if same:
            return level
    raise OptionError(f"reference arm {reference!r} not found in `{by}`; arms: {levels}")


def _arms(
    frame: pl.DataFrame,
    by: str,
    reference: Any,
    strata: str | Sequence[str] | None,
    needed: Sequence[str],
) -> tuple[list[str], list[Any], Any]:
    """Strata columns, sorted arms and the reference arm, after checking the columns exist."""
    strata_cols = check_roles(by, strata)
    for name in (by, *needed, *strata_cols):
        if name not in frame.columns:
            raise ColumnNotFoundError(name, frame.columns)
    if frame.height == 0:
        raise EmptyDataError("the endpoint table has no rows")
    for name in (by, *strata_cols):
        missing = pl.col(name).is_null()
        if frame.schema[name].is_float():
            missing = missing | pl.col(name).is_nan()
        rows = frame.with_row_index("__r").filter(missing)["__r"]
        if rows.len():
            raise MissingValueError(
                f"`{name}` is missing for {rows.len()} of {counted(frame.height, 'row')} "
                f"(first: row {rows[0]})"
            )
    levels = _sorted_levels(frame.get_column(by))
    if len(levels) < 2:
        raise SurvstatError(f"`{by}` needs at least two arms; found {levels}")
    return strata_cols, levels, _reference_level(reference, levels, by)


def _in_arm_order(table: pl.DataFrame, by: str, order: Sequence[Any]) -> pl.DataFrame:
    """``table`` with its rows in the order of the arms in ``order``."""
    key = pl.DataFrame(
        {by: pl.Series(list(order), dtype=table.schema[by]), "__order": range(len(order))}
    )
    return table.join(key, on=by, how="left").sort("__order", maintain_order=True).drop("__order")


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


def _first_of(rows: pl.DataFrame, subject: str) -> str:
    """'subject 'p1'' of the first of ``rows`` (or its row of the endpoint table)."""
    row = rows.row(0, named=True)
    return f"subject {row[subject]!r}" if subject in rows.columns else f"row {row['__row']}"


def _check_duration_columns(responders: pl.DataFrame, time: str, event: str, subject: str) -> None:
    """The responders' duration of response must be known, finite and >= 0 with a 0/1 or
    boolean event; each failure names the column, the count, the first value and subject."""
    n = responders.height
    for name in (time, event):
        dtype = responders.schema[name]
        if not (dtype.is_numeric() or dtype in (pl.Boolean, pl.Null)):
            raise ColumnTypeError(f"`{name}` must be numeric or boolean; found {dtype}")
    for name in (time, event):
        rows = responders.filter(pl.col(name).is_null())
        if rows.height:
            raise InvalidValueError(
                f"`{name}` is missing for {rows.height} of {counted(n, 'objective responder')} "
                f"(first: {_first_of(rows, subject)}); derive it with time_to_event_endpoints"
            )
    days = pl.col(time).cast(pl.Float64)
    checks = (
        (time, ~days.is_finite(), "must be finite", "NaN or infinite value"),
        (time, days < 0, "must be non-negative", "negative value"),
        (event, ~pl.col(event).cast(pl.Float64).is_in([0.0, 1.0]), "must be 0/1 or true/false",
         "other value"),
    )  # fmt: skip
    for name, bad, rule, what in checks:
        rows = responders.filter(bad)
        if rows.height:
            raise InvalidValueError(
                f"`{name}` {rule}; found {counted(rows.height, what)} in "
                f"{counted(n, 'objective responder')} (first: {rows[name][0]} for "
                f"{_first_of(rows, subject)})"
            )


def _duration_of_response(
    frame: pl.DataFrame, by: str, time: str, event: str, conf_level: float, subject: str
) -> pl.DataFrame:
    """``n_dor, dor_events, dor_median, ...`` per arm among the objective responders."""
    responders = frame.with_row_index("__row").filter(pl.col("objective_response").fill_null(False))
    _check_duration_columns(responders, time, event, subject)
    counts = responders.group_by(by).agg(pl.len().cast(pl.Int64).alias("n_dor"))
    if responders.height == 0:
        return counts
    return counts.join(_survival(responders, by, time, event, "dor", {}, conf_level), on=by)


#: Why a hazard ratio is not shown, by the status cox() gives its term.
_COX_STATUS = {
    "infinite": "hazard ratio infinite (monotone likelihood: every event in one arm comes "
    "first): not estimable",
    "aliased": "arm aliased with the strata in the Cox model: not estimable",
}

#: A hazard ratio with its interval and, when it is null, why (else None).
_HazardRatio = tuple[float | None, float | None, float | None, str | None]


def _arm_labels(frame: pl.DataFrame, by: str) -> dict[Any, str]:
    """Each arm's text, under which the Cox model names its term (``arm[2]``, ``arm[true]``)."""
    pairs = frame.select(pl.col(by), pl.col(by).cast(pl.String).alias("__label")).unique()
    return dict(pairs.iter_rows())


def _cox_by_arm(
    frame: pl.DataFrame,
    by: str,
    levels: Sequence[Any],
    ref: Any,
    strata_cols: list[str],
    time: str,
    event: str,
    conf_level: float,
    where: str = "",
) -> dict[Any, _HazardRatio]:
    """Hazard ratio of each non-reference arm against ``ref`` from one Cox model with the arms
    as indicators (Efron ties, stratified when asked); null with the reason when an arm has
    no rows or no events (``where`` says where, e.g. " in the biomarker-high subgroup"), or
    when cox() gives its term a status other than ``ok``.

    The arm column enters the model as text whatever its type, so that integer codes (1, 2,
    3) and booleans are arms, not a numeric covariate.
    """
    from survstat.estimators.cox import cox

    n_events = dict(
        frame.group_by(by).agg(pl.col(event).cast(pl.Int64).sum().alias("e")).iter_rows()
    )
    notes: dict[Any, str] = {}
    for arm in (a for a in levels if a != ref):
        if arm not in n_events:
            notes[arm] = f"no patients in arm {arm!r}{where}: not estimable"
        elif not n_events.get(ref):
            notes[arm] = f"no events in the reference arm {ref!r}{where}: not estimable"
        elif not n_events[arm]:
            notes[arm] = f"no events in arm {arm!r}{where}: not estimable"
    others = [a for a in levels if a != ref]
    fitted = [ref] + [a for a in others if a not in notes]
    out: dict[Any, _HazardRatio] = {a: (None, None, None, notes[a]) for a in notes}
    if len(fitted) < 2:
        return out
    part = frame.filter(pl.col(by).is_in(fitted))
    label = _arm_labels(part, by)
    try:
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            fit = cox(
                part.with_columns(pl.col(by).cast(pl.String)),
                time=time,
                event=event,
                covariates=[by],
                strata=strata_cols or None,
                reference={by: label[ref]},
                conf_level=conf_level,
            )
    except SurvstatError as exc:
        out.update({a: (None, None, None, f"Cox fit failed: {exc}") for a in fitted[1:]})
        return out
    terms = {r["term"]: r for r in fit.table.iter_rows(named=True)}
    for arm in fitted[1:]:
        row = terms.get(f"{by}[{label[arm]}]")
        if row is None:  # pragma: no cover - cox() gives every level but the reference a term
            out[arm] = (None, None, None, "no Cox term for this arm: not estimable")
            continue
        values = (row["hazard_ratio"], row["conf_low"], row["conf_high"])
        # cox() leaves an infinite, aliased or not converged term's estimate null: say why
        if row["status"] == "not converged":
            why = f"Cox fit did not converge in {fit.iterations} iterations: not reported"
        elif row["status"] != "ok":
            why = _COX_STATUS.get(row["status"], f"Cox term {row['status']}: not reported")
        elif any(v is None or not np.isfinite(v) for v in values):
            why = "hazard ratio or its interval not finite: not reported"
        else:
            out[arm] = (*values, None)
            continue
        out[arm] = (None, None, None, why)
    return out


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
    from survstat.estimators.logrank import logrank

    hazard = _cox_by_arm(frame, by, levels, ref, strata_cols, time, event, conf_level)
    rows = []
    for arm in (a for a in levels if a != ref):
        pair = frame.filter(pl.col(by).is_in([arm, ref]))
        lr = logrank(pair, time=time, event=event, by=by, strata=strata_cols or None)
        hr, low, high, note = hazard[arm]
        rows.append((arm, hr, low, high, lr.table.get_column("p_value").item(), note))
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
    subject: str = "subject_id",
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
        The arm column (no missing values). Any type: text, categorical, integer codes
        (e.g. TRT01PN 1, 2, 3) or boolean; it enters the Cox model as categorical (one
        indicator per arm against the reference) and keeps its values and type in the output.
    reference
        The reference arm, as a value of ``by`` or its text (``"2"`` for the integer arm 2);
        default: the first arm, numeric and boolean arms sorted by value, others as text.
    strata
        Stratification column(s) of the hazard ratio and the log-rank test; ``by`` cannot be
        one of them (an error, raised before anything is fitted).
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
    subject
        Subject id column, named in error messages (the row number when the table has no
        such column).

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
        ``hr_note`` (why the hazard ratio is null, else null). The reference arm comes
        first, then the others in order.

    Notes
    -----
    A hazard ratio is null, with the reason in ``hr_note``, when an arm (or the reference
    arm) has no events, and otherwise whenever :func:`survstat.cox` gives its term a status
    other than ``ok``: ``infinite`` (monotone likelihood), ``aliased`` (the arm is a
    combination of the strata) or ``not converged``. With a monotone likelihood the other
    arms' estimates are their limits and are reported, as R ``coxph`` reports them.
    """
    check_roles(by, strata)
    rate_times = dict(RATE_TIMES if rate_times is None else rate_times)
    for name, t in rate_times.items():
        ok = isinstance(t, numbers.Real) and not isinstance(t, bool) and 0 <= t < np.inf
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
    dor = _duration_of_response(frame, by, dor_time, dor_event, conf_level, subject)
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
    return _in_arm_order(table, by, [ref] + [a for a in levels if a != ref])


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
    """The patients with a biomarker value, ``__subgroup`` low / high, and the cut-point."""
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
        hazard = _cox_by_arm(part, by, levels, ref, strata_cols, time, event, conf_level, where)
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
        .join(_median_columns(km, by), on=by, how="left")
        .join(hr, on=by, how="left")
        .with_columns(pl.col("n", "pfs_events").fill_null(0), pl.lit(sub).alias("subgroup"))
    )
    return _in_arm_order(rows, by, [ref] + [a for a in levels if a != ref])


def _interaction_terms(
    frame: pl.DataFrame, by: str, others: list[Any], biomarker: str, keep: list[str]
) -> tuple[pl.DataFrame, list[str], dict[str, Any]]:
    """The design of the interaction test: ``keep`` columns, one indicator per non-reference
    arm (``arm[B]``), the high subgroup (``<biomarker>-high``) and their products
    (``arm[B]:<biomarker>-high``), with the arm of each product term."""
    label = _arm_labels(frame, by)
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
    """The likelihood-ratio test of the arm-by-subgroup interaction; df is the number of
    interaction terms that can be estimated (R ``anova(coxph(~arm + high), coxph(~arm *
    high))``: the difference in non-aliased coefficients)."""
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
    stalled = [
        name
        for name, fit in (("without", reduced), ("with", full))
        if not fit.converged and not fit.infinite
    ]
    statistic: float | None = 2.0 * (full.loglik[1] - reduced.loglik[1])
    status = "infinite" if reduced.infinite or full.infinite else "ok"
    if stalled:
        statistic, status = None, "not converged"
        notes.append(
            f"the Cox model {' and '.join(stalled)} the interaction did not converge: no test"
        )
    elif df == 0:
        statistic, status = None, "aliased"
        notes.append("no interaction term can be estimated: no test")
    elif status == "infinite":
        notes.append(
            "a coefficient may be infinite (monotone likelihood: "
            f"{', '.join((*reduced.infinite, *full.infinite))}); the likelihood ratio is "
            "that of the converged log-likelihoods, as R reports it"
        )
    elif notes:
        notes.append(f"df = {df}, the interaction terms that can be estimated (as R's anova)")
    note = "; ".join(notes) or None
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
    """
    frame = scan(endpoints)[0].collect()
    strata_cols, levels, ref = _arms(frame, by, reference, strata, (time, event, biomarker))
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
            raise SurvstatError(
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


__all__ = ["SubgroupResult", "biomarker_subgroups", "check_roles", "efficacy_table"]
