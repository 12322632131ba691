"""The subgroup table beside a forest plot (tern's TTE forest) as analysis results data.

Composes the estimators (no statistics of its own): for all patients and within each level of
each subgroup variable, per arm the number of patients, events and the Kaplan-Meier median
(:func:`survstat.kaplan_meier`), and each non-reference arm's hazard ratio against the
reference arm on those two arms alone (:func:`survstat.cox`, Efron ties, Wald interval, as
``table tte`` does); per subgroup variable the likelihood-ratio test of the arm-by-variable
interaction, as R's ``anova(coxph(~ arm + var), coxph(~ arm * var))``.

The layout is that of tern's ``extract_survival_subgroups`` and
``tabulate_survival_subgroups``; the result is long-form analysis results data (ARD).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy import stats
from scipy.stats import norm

from survstat.analyses._arms import arm_labels, cox_by_arm, read_arms, sorted_levels
from survstat.analyses.subgroups import _likelihood_ratio, _warnings_about
from survstat.analyses.tte_table import _quantile_note
from survstat.endpoints.recist_input import counted
from survstat.errors import InvalidValueError, MissingValueError, OptionError, SurvstatWarning
from survstat.io import FrameLike

#: The ARD's columns around the arm column, in order: ``subgroup, level, <by>, ...``.
ARD_COLUMNS = (
    "statistic",
    "time",
    "estimate",
    "std_error",
    "conf_low",
    "conf_high",
    "censored",
    "note",
)
#: The ``level`` of the all-patients block (its ``subgroup`` is null).
ALL_PATIENTS = "All patients"
_SCHEMA = {
    "statistic": pl.String,
    "time": pl.Float64,
    "estimate": pl.Float64,
    "std_error": pl.Float64,
    "conf_low": pl.Float64,
    "conf_high": pl.Float64,
    "censored": pl.Boolean,
    "note": pl.String,
}

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SubgroupsTable:
    """Hazard ratios by subgroup with the interaction tests, as analysis results data.

    Attributes
    ----------
    ard
        The long-form table: ``subgroup, level, <by>, statistic, time, estimate, std_error,
        conf_low, conf_high, censored, note`` (see :func:`subgroups_table`).
    by
        The arm column.
    reference
        The reference arm.
    arms
        The arms in table order: the reference first, then the others sorted.
    subgroups
        The subgroup variables, in the order given.
    strata
        The stratification columns of the Cox models (empty: none).
    conf_level
        The level of every interval.
    """

    ard: pl.DataFrame
    by: str
    reference: Any
    arms: tuple[Any, ...]
    subgroups: tuple[str, ...]
    strata: tuple[str, ...]
    conf_level: float


def _check_subgroups(
    frame: pl.DataFrame, by: str, subgroups: Sequence[str], strata: list[str]
) -> list[str]:
    """The subgroup variables, after checking their roles, missing values and level sizes."""
    names = list(subgroups)
    if not names:
        raise OptionError("`subgroups` needs at least one column")
    repeated = sorted({s for s in names if names.count(s) > 1})
    if repeated:
        raise OptionError(f"subgroup column `{repeated[0]}` is given twice")
    for name in names:
        if name == by:
            raise OptionError(
                f"column `{by}` is the arm (`by`) and cannot also be a subgroup: the arms "
                "cannot be compared within levels of the arm"
            )
        if name in strata:
            raise OptionError(
                f"column `{name}` is both a subgroup and a stratum: the arm-by-`{name}` "
                "interaction cannot be tested within strata of it; drop it from `strata`"
            )
    for name in (by, *strata):
        if name in ("subgroup", "level"):
            raise OptionError(f"`{name}` names a column of the table's output: rename the column")
    for name in names:
        missing = pl.col(name).is_null()
        if frame.schema[name].is_float():
            missing = missing | pl.col(name).is_nan()
        rows = frame.with_row_index("__r").filter(missing)["__r"]
        if rows.len():
            raise MissingValueError(
                f"subgroup column `{name}` is missing for {rows.len()} of "
                f"{counted(frame.height, 'row')} (first: row {rows[0]})"
            )
        sizes = frame.group_by(name).len().filter(pl.col("len") < 2)
        if sizes.height:
            level = sorted_levels(sizes.get_column(name))[0]
            raise InvalidValueError(
                f"subgroup column `{name}` has {counted(sizes.height, 'level')} with a single "
                f"row (e.g. {level!r}); a level needs at least 2 rows: group the rare levels"
            )
    return names


def _block(
    part: pl.DataFrame,
    arms: list[Any],
    strata: list[str],
    options: dict[str, Any],
    where: str,
) -> list[Row]:
    """Rows of one block (all patients or one level): per arm n, n_event, median, HR."""
    from survstat.estimators.kaplan_meier import kaplan_meier

    by, time, event, conf_level = (options[k] for k in ("by", "time", "event", "conf_level"))
    ref = arms[0]
    counts = {
        r[by]: (r["n"], r["e"])
        for r in part.group_by(by)
        .agg(pl.len().alias("n"), pl.col(event).cast(pl.Int64).sum().alias("e"))
        .iter_rows(named=True)
    }
    medians = {}
    if part.height:
        km = kaplan_meier(part, time=time, event=event, by=by, conf_level=conf_level)
        medians = {r[by]: r for r in km.median().iter_rows(named=True)}
    z = float(norm.ppf(0.5 + conf_level / 2.0))
    rows: list[Row] = []
    for arm in arms:
        n, e = counts.get(arm, (0, 0))
        rows.append({by: arm, "statistic": "n", "estimate": float(n)})
        rows.append({by: arm, "statistic": "n_event", "estimate": float(e)})
        if arm in medians:
            m = medians[arm]
            row = {
                "statistic": "median",
                "estimate": m["time"],
                "conf_low": m["conf_low"],
                "conf_high": m["conf_high"],
            }
            row["note"] = _quantile_note("median", 0.5, row)
        else:
            row = {"statistic": "median", "note": f"no patients in arm {arm!r}{where}"}
        rows.append({by: arm, **row})
        if arm == ref:
            continue
        pair = part.filter(pl.col(by).is_in([ref, arm]))
        with _warnings_about(f"hazard ratio of arm {arm!r}{where or ' in all patients'}"):
            hr, low, high, note = cox_by_arm(
                pair, by, [ref, arm], ref, strata, time, event, conf_level, where
            )[arm]
        se = None if low is None or high is None else (math.log(high) - math.log(low)) / (2 * z)
        rows.append(
            {
                by: arm,
                "statistic": "hazard_ratio",
                "estimate": hr,
                "std_error": se,
                "conf_low": low,
                "conf_high": high,
                "note": note,
            }
        )
    return rows


def _interaction_p_value(
    frame: pl.DataFrame,
    arms: list[Any],
    variable: str,
    levels: list[Any],
    strata: list[str],
    options: dict[str, Any],
) -> Row:
    """The likelihood-ratio test of the arm-by-``variable`` interaction, as one ARD row.

    The models are ``arm + variable`` and ``arm + variable + arm:variable`` (treatment
    contrasts against the reference arm and the first level; Efron ties; stratified when
    asked); df is the difference in the number of coefficients that can be estimated, as R's
    ``anova(coxph(...), coxph(...))`` counts it.
    """
    from survstat.estimators.cox import cox

    by, time, event = options["by"], options["time"], options["event"]
    label = arm_labels(frame, by)
    arm_terms = {f"{by}[{label[a]}]": a for a in arms[1:]}
    level_terms = {f"{variable}[{lv}]": lv for lv in levels[1:]}
    products = {
        f"{at}:{lt}": (a, lv) for at, a in arm_terms.items() for lt, lv in level_terms.items()
    }
    keep = [time, event, *strata]
    names = [*keep, *arm_terms, *level_terms, *products]
    if len(set(names)) != len(names):
        raise OptionError(
            f"the time, event or strata columns ({', '.join(keep)}) clash with the names of "
            f"the interaction model's terms ({', '.join(names[len(keep) :])}); rename them"
        )
    arm_is = {a: (pl.col(by) == a).cast(pl.Float64) for a in arms[1:]}
    level_is = {lv: (pl.col(variable) == lv).cast(pl.Float64) for lv in levels[1:]}
    design = frame.select(
        *keep,
        *[arm_is[a].alias(t) for t, a in arm_terms.items()],
        *[level_is[lv].alias(t) for t, lv in level_terms.items()],
        *[(arm_is[a] * level_is[lv]).alias(t) for t, (a, lv) in products.items()],
    )
    main = [*arm_terms, *level_terms]
    common = {"time": time, "event": event, "strata": strata or None}
    with (
        warnings.catch_warnings(),
        np.errstate(over="ignore", divide="ignore", invalid="ignore"),
    ):  # the row's note says what went wrong
        warnings.simplefilter("ignore", SurvstatWarning)
        reduced = cox(design, covariates=main, **common)
        full = cox(design, covariates=[*main, *products], **common)
    used = {t: s != "aliased" for t, s in full.table.select("term", "status").iter_rows()}
    df = sum(used.values()) - sum(s != "aliased" for s in reduced.table.get_column("status"))
    aliased = [t for t in products if not used[t]]
    statistic, _status, why = _likelihood_ratio(reduced, full, df, bool(aliased))
    notes = [f"interaction terms not estimable: {', '.join(aliased)}"] if aliased else []
    notes += [why] if why else []
    p = None if statistic is None else float(stats.chi2.sf(statistic, df))
    return {
        by: None,
        "statistic": "interaction_p_value",
        "estimate": p,
        "note": "; ".join(notes) or None,
    }


def subgroups_table(
    data: FrameLike,
    *,
    by: str,
    subgroups: str | Sequence[str],
    time: str | None = None,
    event: str | None = None,
    censor: str | None = None,
    reference: Any = None,
    strata: str | Sequence[str] | None = None,
    conf_level: float = 0.95,
) -> SubgroupsTable:
    """Hazard ratios by subgroup with the interaction tests (tern's TTE forest) as ARD.

    Parameters
    ----------
    data
        One row per subject: a polars DataFrame or LazyFrame, pyarrow Table, pandas DataFrame
        or a path, already restricted to the endpoint (e.g. ``PARAMCD == "PFS"``).
    by
        The arm column (no missing values, at least two arms), compared as categories; its
        values and type are kept in the ARD.
    subgroups
        The subgroup variable(s): categorical columns (text, integer codes or booleans) with
        no missing values and at least 2 rows in each level; not ``by`` nor a stratum.
    time
        Follow-up time column: numeric, finite, non-negative.
    event, censor
        The event column (0/1 or boolean), or CDISC ADaM ``CNSR`` (0 = event, positive =
        censored): exactly one of them.
    reference
        The reference arm, as a value of ``by`` or its text (default: the first arm).
    strata
        Stratification column(s) of every Cox model (hazard ratios and interaction tests).
    conf_level
        Level of every interval (0.95).

    Returns
    -------
    SubgroupsTable
        ``.ard``: columns ``subgroup, level, <by>, statistic, time, estimate, std_error,
        conf_low, conf_high, censored, note``; see the Notes.

    Notes
    -----
    The first block is all patients (``subgroup`` null, ``level`` "All patients"), then for
    each subgroup variable, in the order given, one block per level (sorted: numbers by value,
    others as text; ``level`` holds its text). In each block, per arm (reference first):

    - ``n``, ``n_event``: patients and events (0 when the arm has no patient in the level);
    - ``median``: the Kaplan-Meier median with its Brookmeyer-Crowley interval (log-log
      transform, R ``quantile(survfit(..., conf.type = "log-log"))``), null with a note when
      not reached;

    and on each non-reference arm's rows ``hazard_ratio`` against the reference arm: Cox
    model with Efron ties on those two arms alone within the level (tern's
    ``s_coxph_pairwise``; stratified with ``strata``), Wald interval exp(b ± z se),
    ``std_error`` that of log(HR). It is null with the reason in ``note``, never infinite,
    when an arm has no patients or no events in the level or the fit gives no finite
    estimate. Last in each variable's blocks, one ``interaction_p_value`` row (``<by>`` and
    ``level`` null): the likelihood-ratio test of the arm-by-variable interaction terms of
    ``arm * variable`` against ``arm + variable`` on all patients (R ``anova(coxph(...),
    coxph(...))``; df the interaction terms that can be estimated); null with the reason
    when no term can be estimated or a model does not converge.

    ``time`` and ``censored`` are always null; counts are floats in ``estimate``.

    References
    ----------
    1. Efron B. The efficiency of Cox's likelihood function for censored data. J Am Stat Assoc
       1977;72:557-565.
    2. Brookmeyer R, Crowley J. A confidence interval for the median survival time.
       Biometrics 1982;38:29-41.
    3. tern (Roche): ``extract_survival_subgroups``, ``tabulate_survival_subgroups``.

    Examples
    --------
    >>> import survstat
    >>> from survstat.tables import subgroups_table
    >>> t = subgroups_table(survstat.datasets.load("gbsg2"), time="time", event="cens",
    ...                     by="horTh", reference="no", subgroups=["menostat"])
    >>> t.ard.filter(statistic="hazard_ratio").get_column("estimate").round(3).to_list()
    [0.695, 0.667, 0.691]
    """
    from survstat.data import SurvivalData, tte_roles
    from survstat.io import scan

    data, time, event = tte_roles(data, time=time, event=event, censor=censor)
    names = [subgroups] if isinstance(subgroups, str) else list(subgroups)
    raw = scan(data)[0].collect()
    strata_cols, levels, ref = read_arms(raw, by, reference, strata, (time, event, *names))
    names = _check_subgroups(raw, by, names, strata_cols)
    frame = SurvivalData.right_censored(raw, time=time, event=event).frame.collect()
    arms = [ref] + [a for a in levels if a != ref]
    options = {"by": by, "time": time, "event": event, "conf_level": conf_level}
    rows: list[Row] = [
        {"subgroup": None, "level": ALL_PATIENTS, **r}
        for r in _block(frame, arms, strata_cols, options, "")
    ]
    for name in names:
        values = sorted_levels(frame.get_column(name))
        for value in values:
            part = frame.filter(pl.col(name) == value)
            where = f" in {name} = {value}"
            block = _block(part, arms, strata_cols, options, where)
            rows += [{"subgroup": name, "level": str(value), **r} for r in block]
        test = _interaction_p_value(frame, arms, name, values, strata_cols, options)
        rows.append({"subgroup": name, "level": None, **test})
    schema = {"subgroup": pl.String, "level": pl.String, by: frame.schema[by], **_SCHEMA}
    ard = pl.from_dicts(rows, schema=schema)
    return SubgroupsTable(
        ard=ard,
        by=by,
        reference=ref,
        arms=tuple(arms),
        subgroups=tuple(names),
        strata=tuple(strata_cols),
        conf_level=conf_level,
    )


__all__ = ["ALL_PATIENTS", "ARD_COLUMNS", "SubgroupsTable", "subgroups_table"]
