"""The response-rate table (RSPT01) as analysis results data.

Composes the rate estimators (no statistics of its own) into the statistics of the
objective-response table of oncology trials, the layout of tern's RSPT01
(``estimate_proportion``, ``estimate_proportion_diff``, ``estimate_odds_ratio``,
``test_proportion_diff``, ``estimate_multinomial_response``): per arm the number of patients
and of responders and the response rate with its interval (:func:`survstat.proportion`); on
each other arm, against the reference arm, the difference of the rates, the odds ratio and a
test (:func:`survstat.estimators.compare_rates.compare_proportions`), unstratified and, with
strata, Mantel-Haenszel and Cochran-Mantel-Haenszel; and the distribution of the response
categories (CR, PR, SD, NON-CR/NON-PD, PD, NE, missing).

The result is analysis results data (ARD) in long form with the columns of
:func:`survstat.tables.tte_table` and a ``category`` column last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from survstat._choices import DifferenceMethod, Missing, OddsRatioMethod, RateMethod, RateTest
from survstat.analyses.tte_table import ARD_COLUMNS as TTE_COLUMNS
from survstat.errors import EstimationError, InvalidValueError, OptionError
from survstat.io import FrameLike, scan

#: The ARD's columns after the arm column, in order: those of ``table tte``, then ``category``.
ARD_COLUMNS = (*TTE_COLUMNS, "category")
_SCHEMA = {
    "statistic": pl.String,
    "time": pl.Float64,
    "estimate": pl.Float64,
    "std_error": pl.Float64,
    "conf_low": pl.Float64,
    "conf_high": pl.Float64,
    "censored": pl.Boolean,
    "note": pl.String,
    "category": pl.String,
}
#: RECIST 1.1 best overall response categories, in display order (CDISC ADaM ADRS ``AVALC``).
RECIST_CATEGORIES = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE")
_UNSTRATIFIED = {"difference": ("newcombe", "miettinen-nurminen"),
                 "test": ("fisher", "chi-square", "chi-square-uncorrected")}  # fmt: skip
_STRATIFIED = {"difference": ("mh-sato", "mh-greenland-robins"),
               "test": ("cmh", "cmh-uncorrected")}  # fmt: skip

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ResponseTable:
    """The response-rate table of one response parameter, as analysis results data.

    Attributes
    ----------
    ard
        The long-form table: ``<by>, statistic, time, estimate, std_error, conf_low,
        conf_high, censored, note, category`` (see :func:`response_table`).
    by
        The arm column.
    reference
        The reference arm.
    arms
        The arms in table order: the reference first, then the others sorted.
    categories
        The response categories in table order (None: a missing response).
    strata
        The stratification columns of the stratified comparisons (empty: none).
    method, difference_method, stratified_difference_method, test, stratified_test
        The interval of the rates, the methods of the comparisons (the stratified ones None
        without strata).
    conf_level
        The level of every interval.
    """

    ard: pl.DataFrame
    by: str
    reference: Any
    arms: tuple[Any, ...]
    categories: tuple[str | None, ...]
    strata: tuple[str, ...]
    method: RateMethod
    difference_method: DifferenceMethod
    stratified_difference_method: DifferenceMethod | None
    test: RateTest
    stratified_test: RateTest | None
    conf_level: float


def _row(statistic: str, estimate: Any = None, **values: Any) -> Row:
    return {"statistic": statistic, "estimate": estimate, **values}


def _check_method(name: str, value: Any, allowed: tuple[str, ...], stratified: bool) -> None:
    if value not in allowed:
        kind = "with --strata, the stratified" if stratified else "the unstratified"
        raise OptionError(f"`{name}` is {kind} method: one of {', '.join(allowed)}; got {value!r}")


def _present_values(data: FrameLike, response: str) -> list[str]:
    """The response's non-missing values as text, sorted."""
    frame, _ = scan(data)
    values = frame.select(pl.col(response).cast(pl.String).drop_nulls().unique()).collect()
    return sorted(values.get_column(response).to_list())


def _check_responders(response: str, responders: Sequence[Any] | None, present: list[str]):
    """A responder value that does not occur is an error unless it is a RECIST category (a
    trial may have no CR, or no responder at all): a typo would count nobody as responding."""
    if responders is None:
        return
    values = [str(v) for v in responders]
    unknown = [v for v in values if v not in present and v not in RECIST_CATEGORIES]
    if unknown:
        raise InvalidValueError(
            f"responder value {unknown[0]!r} does not occur in `{response}` "
            f"({len(unknown)} of {len(values)} responder values do not); values present: "
            f"{', '.join(present) or 'none'}"
        )


def _categories(present: list[str]) -> list[str | None]:
    """RECIST categories first (all of them when any occurs), then the other values, then None
    for a missing response."""
    if set(present) & set(RECIST_CATEGORIES):
        known = list(RECIST_CATEGORIES)
        return [*known, *(v for v in present if v not in known), None]
    return [*present, None]


def _distribution(
    data: FrameLike,
    response: str,
    by: str,
    categories: list[str | None],
    method: RateMethod,
    conf_level: float,
) -> dict[Any, list[Row]]:
    """category_n and category_rate per arm and category; the rate's denominator is every
    patient of the arm, missing responses included."""
    from survstat.estimators.proportions import binomial_interval

    frame, _ = scan(data)
    counts = (
        frame.group_by(by, pl.col(response).cast(pl.String).alias("__category")).len().collect()
    )
    totals = dict(counts.group_by(by).agg(pl.col("len").sum()).iter_rows())
    out: dict[Any, list[Row]] = {}
    for arm, total in totals.items():
        part = counts.filter(pl.col(by) == arm)
        found = dict(zip(part.get_column("__category"), part.get_column("len"), strict=True))
        x = np.array([int(found.get(cat, 0)) for cat in categories])
        lo, hi = binomial_interval(x, np.full(len(x), int(total)), method, conf_level)
        rows = out.setdefault(arm, [])
        for i, cat in enumerate(categories):
            rate = _row("category_rate", float(x[i] / total), category=cat)
            rate.update(conf_low=float(lo[i]), conf_high=float(hi[i]))
            rows += [_row("category_n", float(x[i]), category=cat), rate]
    return out


def _null_note(name: str, row: Row, counts: tuple[int, int, int, int]) -> str | None:
    """Why a comparison or one of its limits is null (None when nothing is)."""
    columns = ("estimate",) if name.startswith("p_value") else ("estimate", "conf_low", "conf_high")
    missing = [c for c in columns if row.get(c) is None]
    if not missing:
        return None
    x1, n1, x2, n2 = counts
    if x1 + x2 == 0:
        why = "no responders in either arm"
    elif x1 + x2 == n1 + n2:
        why = "every patient responded in both arms"
    elif name.startswith("odds_ratio") and (x1 in (0, n1) or x2 in (0, n2)):
        why = (
            "an arm with no responders or no non-responders (the odds ratio or a limit is infinite)"
        )
    else:
        why = "undefined for these counts"
    what = "value" if "estimate" in missing else " and ".join(missing)
    return f"{name} {what} not estimable: {why}"


def _comparison_rows(row: Row, suffix: str) -> list[Row]:
    """rate_difference, odds_ratio and p_value from one row of compare_proportions' table."""
    counts = (row["n_responders"], row["n"], row["reference_n_responders"], row["reference_n"])
    out = []
    for name, column in (("rate_difference", "difference"), ("odds_ratio", "odds_ratio")):
        r = _row(
            name + suffix,
            row[column],
            conf_low=row[f"{column}_conf_low"],
            conf_high=row[f"{column}_conf_high"],
        )
        r["note"] = _null_note(name + suffix, r, counts)
        out.append(r)
    p = _row("p_value" + suffix, row["p_value"])
    p["note"] = _null_note(f"p_value{suffix} ({row['test']})", p, counts)
    out.append(p)
    return out


def _failed_rows(suffix: str, exc: EstimationError) -> list[Row]:
    note = f"not computable: {exc}"
    return [_row(name + suffix, note=note) for name in ("rate_difference", "odds_ratio", "p_value")]


def response_table(
    data: FrameLike,
    *,
    by: str,
    response: str,
    responder_values: Sequence[Any] | None = None,
    reference: Any = None,
    strata: str | Sequence[str] | None = None,
    method: RateMethod = "clopper-pearson",
    difference_method: DifferenceMethod = "newcombe",
    odds_ratio_method: OddsRatioMethod = "exact",
    test: RateTest = "fisher",
    stratified_difference_method: DifferenceMethod = "mh-sato",
    stratified_test: RateTest = "cmh",
    missing: Missing = "nonresponder",
    conf_level: float = 0.95,
) -> ResponseTable:
    """Summarise one response parameter per arm as analysis results data (RSPT01).

    Parameters
    ----------
    data
        One row per subject: a polars DataFrame or LazyFrame, pyarrow Table, pandas DataFrame
        or a path, already restricted to the parameter (e.g. ADaM ADRS ``PARAMCD == "CBOR"``).
    by
        The arm column (no missing values, at least two arms).
    response
        The response column: 0/1 or boolean, or categorical with ``responder_values`` (ADRS
        ``AVALC``). A missing value is a missing response.
    responder_values
        The values that count as a response (e.g. ``["CR", "PR"]``). A value that does not
        occur in ``response`` is an error listing the values present, unless it is a RECIST
        category (CR, PR, SD, NON-CR/NON-PD, PD, NE: a trial may have no CR, or no responder;
        :func:`survstat.proportion` warns when none of them occurs).
    reference
        The reference arm, matched as text (default: the first arm sorted as text); an arm
        that is not in ``by`` is an error listing the arms.
    strata
        Stratification column(s): adds the ``_stratified`` comparisons.
    method
        Interval of the response rates and category rates (``"clopper-pearson"``, R
        ``binom.test``, by default; see :func:`survstat.proportion`).
    difference_method
        Interval of the unstratified difference: ``"newcombe"`` (hybrid score, as R
        ``prop.test``'s Wilson limits combine; default) or ``"miettinen-nurminen"``.
    odds_ratio_method
        ``"exact"`` (conditional MLE and exact interval, R ``fisher.test``; default) or
        ``"woolf"``.
    test
        Unstratified test: ``"fisher"`` (R ``fisher.test``; default), ``"chi-square"`` (Yates
        corrected, R ``prop.test``) or ``"chi-square-uncorrected"``.
    stratified_difference_method
        With ``strata``: variance of the Mantel-Haenszel difference, ``"mh-sato"`` (default)
        or ``"mh-greenland-robins"``.
    stratified_test
        With ``strata``: ``"cmh"`` (continuity corrected, R ``mantelhaen.test``; default) or
        ``"cmh-uncorrected"``.
    missing
        ``"nonresponder"`` (intention to treat, default): a missing response counts in ``n``
        as a non-responder; ``"exclude"``: it is left out of ``n``.
    conf_level
        Level of every interval (0.95).

    Returns
    -------
    ResponseTable
        ``.ard``: one row per arm and statistic (and category), the reference arm first, with
        columns ``<by>, statistic, time, estimate, std_error, conf_low, conf_high, censored,
        note, category``; see the Notes.

    Raises
    ------
    OptionError
        An unknown reference arm; a method of the wrong kind (a stratified one as
        ``difference_method``, say); ``by`` among ``strata``.
    InvalidValueError
        A single arm; a responder value that does not occur (see ``responder_values``).

    Notes
    -----
    The statistics, in order, per arm:

    - ``n``, ``n_responders``: patients counted and responders (``n`` leaves out missing
      responses with ``missing="exclude"``);
    - ``rate``: ``n_responders / n`` with the ``method`` interval;

    on the rows of each non-reference arm, against the reference arm (each 2 x 2 table holds
    those two arms alone):

    - ``rate_difference``: this arm's rate minus the reference's, with the
      ``difference_method`` interval;
    - ``odds_ratio``: this arm's odds of response over the reference's, ``odds_ratio_method``;
    - ``p_value``: the ``test`` of equal rates (``estimate`` holds the p-value);
    - with ``strata``, ``rate_difference_stratified`` (Mantel-Haenszel risk difference, Wald
      interval), ``odds_ratio_stratified`` (Mantel-Haenszel, Robins-Breslow-Greenland
      interval) and ``p_value_stratified`` (Cochran-Mantel-Haenszel);

    and last, per arm, the distribution of the response categories (``category`` set):

    - ``category_n`` and ``category_rate`` per category with the ``method`` interval: the
      RECIST categories CR, PR, SD, NON-CR/NON-PD, PD, NE (all of them, 0 when absent, when
      any occurs), then any other value present sorted as text, then a missing response
      (``category`` null). Their denominator is every patient of the arm, missing responses
      included (tern ``estimate_multinomial_response``), so the rates add up to 1.

    ``time`` and ``censored`` are always null (the columns of :func:`tte_table`); counts are
    stored as floats in ``estimate``; ``std_error`` is null. An undefined value is null with
    the reason in ``note`` (an odds ratio with no responders in an arm, a chi-square test
    with no responders at all).

    References
    ----------
    1. Clopper CJ, Pearson ES. The use of confidence or fiducial limits illustrated in the case
       of the binomial. Biometrika 1934;26:404-413.
    2. Newcombe RG. Interval estimation for the difference between independent proportions:
       comparison of eleven methods. Stat Med 1998;17:873-890.
    3. Eisenhauer EA et al. New response evaluation criteria in solid tumours: revised RECIST
       guideline (version 1.1). Eur J Cancer 2009;45:228-247.
    4. tern (Roche), RSPT01: ``estimate_proportion``, ``estimate_proportion_diff``,
       ``estimate_odds_ratio``, ``test_proportion_diff``, ``estimate_multinomial_response``.

    Examples
    --------
    >>> import polars as pl
    >>> from survstat.tables import response_table
    >>> df = pl.DataFrame({"bor": ["PR"] * 13 + ["SD"] * 11 + ["CR"] * 5 + ["PD"] * 17,
    ...                    "arm": ["new"] * 24 + ["ctl"] * 22})
    >>> t = response_table(df, by="arm", response="bor", responder_values=["CR", "PR"],
    ...                    reference="ctl")
    >>> round(t.ard.filter(statistic="p_value").get_column("estimate").item(), 4)
    0.038
    """
    from survstat.estimators.compare_rates import compare_proportions
    from survstat.estimators.proportions import proportion

    strata_cols = [strata] if isinstance(strata, str) else list(strata or [])
    _check_method("difference_method", difference_method, _UNSTRATIFIED["difference"], False)
    _check_method("test", test, _UNSTRATIFIED["test"], False)
    _check_method("stratified_difference_method", stratified_difference_method,
                  _STRATIFIED["difference"], True)  # fmt: skip
    _check_method("stratified_test", stratified_test, _STRATIFIED["test"], True)
    frame, _ = scan(data)
    frame = frame.collect()
    present = _present_values(frame, response) if response in frame.columns else []
    _check_responders(response, responder_values, present)
    common = {"response": response, "responder_values": responder_values, "missing": missing}
    rates = proportion(frame, by=by, method=method, conf_level=conf_level, **common).table
    comparison = compare_proportions(
        frame, by=by, reference=reference, conf_level=conf_level,
        difference_method=difference_method, odds_ratio_method=odds_ratio_method, test=test,
        **common,
    ).table  # fmt: skip
    ref = comparison.get_column("reference")[0]
    arms = [ref, *(a for a in rates.get_column(by).to_list() if a != ref)]
    compared = {r[by]: _comparison_rows(r, "") for r in comparison.iter_rows(named=True)}
    for arm in arms[1:] if strata_cols else ():
        # each arm against the reference on those two arms alone, so that one arm without a
        # shared stratum leaves the others' stratified comparisons intact
        pair = frame.filter(pl.col(by).is_in([arm, ref]))
        try:
            stratified = compare_proportions(
                pair, by=by, reference=ref, conf_level=conf_level, strata=strata_cols,
                difference_method=stratified_difference_method, test=stratified_test,
                **common,
            ).table  # fmt: skip
            compared[arm] += _comparison_rows(stratified.row(0, named=True), "_stratified")
        except EstimationError as exc:
            compared[arm] += _failed_rows("_stratified", exc)
    categories = _categories(present)
    distribution = _distribution(frame, response, by, categories, method, conf_level)
    rows: list[Row] = []
    for arm in arms:
        r = rates.filter(pl.col(by) == arm).row(0, named=True)
        arm_rows = [
            _row("n", float(r["n"])),
            _row("n_responders", float(r["n_responders"])),
            _row("rate", r["rate"], conf_low=r["conf_low"], conf_high=r["conf_high"]),
            *compared.get(arm, []),
            *distribution[arm],
        ]
        rows += [{by: arm, **row} for row in arm_rows]
    ard = pl.from_dicts(rows, schema={by: rates.schema[by], **_SCHEMA})
    return ResponseTable(
        ard=ard,
        by=by,
        reference=ref,
        arms=tuple(arms),
        categories=tuple(categories),
        strata=tuple(strata_cols),
        method=method,
        difference_method=difference_method,
        stratified_difference_method=stratified_difference_method if strata_cols else None,
        test=test,
        stratified_test=stratified_test if strata_cols else None,
        conf_level=conf_level,
    )


__all__ = ["ARD_COLUMNS", "RECIST_CATEGORIES", "ResponseTable", "response_table"]
