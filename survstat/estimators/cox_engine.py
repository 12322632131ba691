"""The Cox model fitted where the rows live, from per-time sums (R ``survival::coxph``).

An engine that keeps its rows (:attr:`survstat.engines.Engine.row_level` false: Spark) never
hands them over, so :func:`survstat.estimators.cox.cox` comes here instead of collecting them.
The engine forms the design columns from the input columns (numeric and boolean as they are,
text as indicators of its distinct levels against a reference level), centred and scaled as
R's ``coxfit6`` does, from two aggregates of their weighted moments and ranges; each Newton
step is one GROUP BY (stratum, time) of the sums of :class:`~survstat.engines.CoxSums`, from
which this module forms the log partial likelihood, score and information for Efron's or
Breslow's handling of ties, vectorised over the distinct times (Therneau & Grambsch 2000,
*Modeling Survival Data*, sec. 3.3; Efron 1977, JASA 72:557-565). The iteration, aliasing,
infinite terms and tests are those of the in-memory fit (:mod:`survstat.estimators._regression`,
:mod:`survstat.estimators.cox`), so both give the same model to rounding; one difference:
when the iterations run out, R's rule that a linear predictor beyond 500 marks a diverging
coefficient is applied to the bound sum_j |β_j| max |x_j| from the columns' ranges, as the
rows' largest xβ would need one more pass.

The robust variance sums each row's weighted dfbeta residual (R ``coxscore2``) within
clusters: the per-time cumulative hazards and hazard-weighted means come from the sums at the
estimate (:func:`hazard_table`), the engine brings that small table to the rows and returns
the cross-products (Lin & Wei 1989, JASA 84:1074-1078; R ``coxph(cluster=)``).

What needs the rows themselves is not computed: the concordance (None, with a note),
survival curves, residuals, the proportional-hazards test and the fit's basis (their methods
raise :class:`~survstat.errors.EngineError`); delayed entry is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl

from survstat._choices import Ties
from survstat._validation import run_checks
from survstat.data import SurvivalData
from survstat.engines import Check, CoxSums, DesignColumn, Engine
from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    EngineError,
    EstimationError,
    InvalidValueError,
    MissingValueError,
    OptionError,
)
from survstat.estimators._regression import (
    Point,
    Scaling,
    cholesky2,
    chsolve2,
    information_floor,
    newton_raphson,
    unscale,
)
from survstat.estimators._term_table import term_table, terms_with, warn_status
from survstat.estimators.cox import MAX_ITER, CoxResult, _Fit, _status, _tests

#: Why the concordance of a fit on an engine that keeps its rows is null.
CONCORDANCE_NOTE = (
    "concordance not computed: it compares pairs of rows, which needs the rows in memory; "
    "run on the polars engine for it"
)


@dataclass(frozen=True, slots=True)
class EngineDesign:
    """The design columns an engine forms, with R's names and kinds of terms."""

    columns: tuple[DesignColumn, ...]
    terms: tuple[str, ...]
    indicator: tuple[bool, ...]


def _is_categorical(dtype: pl.DataType) -> bool:
    return dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)


def engine_design(
    rows: Engine,
    schema: pl.Schema,
    covariates: Sequence[str],
    reference: Mapping[str, Any] | None,
) -> EngineDesign:
    """The design of :func:`survstat.estimators._design.design_matrix`, as engine columns.

    The levels of a text column come from the engine (:meth:`Engine.distinct`), with the same
    reference rule and messages as in memory; every covariate is checked for missing and
    non-finite values in one pass of the engine.

    Parameters
    ----------
    rows
        The engine holding the rows.
    schema
        The rows' schema.
    covariates
        The covariate columns.
    reference
        Reference level per categorical covariate.

    Returns
    -------
    EngineDesign
        One :class:`DesignColumn` per term, named ``__x0``, ``__x1``, ...
    """
    reference = dict(reference or {})
    unknown = sorted(set(reference) - set(covariates))
    if unknown:
        raise OptionError(f"`reference` names columns that are not covariates: {unknown}")
    checks = []
    for col in covariates:
        checks.append(
            Check(col, "missing", MissingValueError, "must not be missing", "missing values", False)
        )
        if schema[col].is_float():
            checks.append(Check(col, "nan", InvalidValueError, "must be finite", "NaN values"))
            checks.append(
                Check(col, "infinite", InvalidValueError, "must be finite", "infinite values")
            )
    run_checks(rows, checks)
    sources: list[tuple[str, str | None]] = []
    indicator: list[bool] = []
    names: list[str] = []
    for col in covariates:
        dtype = schema[col]
        if _is_categorical(dtype):
            for level in _levels(rows, col, dtype, reference):
                sources.append((col, level))
                names.append(f"{col}[{level}]")
                indicator.append(True)
        elif dtype.is_numeric() or dtype == pl.Boolean:
            if col in reference:
                raise OptionError(
                    f"`reference` is for categorical covariates; `{col}` is {dtype} and enters "
                    "the model as it is"
                )
            sources.append((col, None))
            names.append(col)
            indicator.append(dtype == pl.Boolean)
        else:
            raise ColumnTypeError(
                f"`{col}` (covariate) must be numeric, boolean or categorical; found dtype {dtype}"
            )
    columns = tuple(DesignColumn(f"__x{j}", col, level) for j, (col, level) in enumerate(sources))
    return EngineDesign(columns, tuple(names), tuple(indicator))


def _levels(rows: Engine, col: str, dtype: pl.DataType, reference: Mapping[str, Any]) -> list[str]:
    """The levels of ``col`` that get an indicator (all but the reference), as R's treatment
    contrasts and :func:`survstat.estimators._design.design_matrix` choose them."""
    present = sorted(str(v) for v in rows.distinct(col) if v is not None)
    levels = dtype.categories.to_list() if isinstance(dtype, pl.Enum) else present
    ref = reference.get(col, next((lvl for lvl in levels if lvl in present), None))
    if ref not in levels:
        raise OptionError(f"reference level {ref!r} not found in `{col}`; levels: {levels}")
    if ref not in present:
        raise OptionError(
            f"reference level {ref!r} of `{col}` has no rows; levels with rows: {present}"
        )
    if len(levels) < 2:
        raise OptionError(
            f"`{col}` (covariate) has a single level {ref!r}: it cannot enter a model"
        )
    return [str(lvl) for lvl in levels if lvl != ref]


@dataclass(frozen=True, slots=True)
class Scaled:
    """The design on the fit's scale: the engine over it, R's scaling, and per column the
    largest absolute value a row can have after centring within the strata."""

    rows: Engine
    scaling: Scaling
    reach: np.ndarray
    n: int
    n_event: int
    fractional: bool


def _total(moments: pl.DataFrame, name: str) -> float:
    return float(moments.get_column(name).cast(pl.Float64).sum())


def scaled_design(sd: SurvivalData, design: EngineDesign) -> Scaled:
    """Centre and scale the design columns as R ``coxfit6`` does, and centre them again within
    each stratum (:func:`survstat.estimators._partial_likelihood.centre_within_strata`), by
    two aggregates of the engine; rows of weight 0 are left out.

    Parameters
    ----------
    sd
        The validated data.
    design
        The design columns.

    Returns
    -------
    Scaled
        The engine over the scaled rows, with the rows and events used.
    """
    strata = list(sd.strata)
    names = [c.name for c in design.columns]
    raw = sd.rows.with_design(design.columns, positive=sd.weight)
    first = raw.design_moments(sd, strata, names)
    _require_events(sd, first)
    total = _total(first, "__w")
    p = len(names)
    top = np.array(
        [float(np.max(np.abs(first.select(f"__min{j}", f"__max{j}").to_numpy()))) for j in range(p)]
    )
    _, expo = np.frexp(np.where(top > 0, top, 1.0))
    power = np.ldexp(1.0, expo)
    mean = np.array([_total(first, f"__sum{j}") for j in range(p)]) / power / total
    shifted = [
        replace(c, divisor=float(power[j]), shift=float(mean[j]))
        for j, c in enumerate(design.columns)
    ]
    second = sd.rows.with_design(shifted, positive=sd.weight).design_moments(sd, strata, names)
    spread = np.array([_total(second, f"__abs{j}") for j in range(p)])
    factor = np.where(spread > 0, total / np.where(spread > 0, spread, 1.0), 1.0)
    scaled = [replace(c, factor=float(factor[j])) for j, c in enumerate(shifted)]
    # per stratum: the constant where a column does not vary there, else its weighted mean
    low = second.select(pl.col(f"__min{j}") * factor[j] for j in range(p)).to_numpy()
    high = second.select(pl.col(f"__max{j}") * factor[j] for j in range(p)).to_numpy()
    w = second.get_column("__w").to_numpy()
    within = second.select(pl.col(f"__sum{j}") for j in range(p)).to_numpy() / w[:, None]
    centre = np.where(low == high, low, within * factor)
    centres = pl.concat(
        [
            second.select(strata),
            pl.DataFrame(
                [pl.Series(n, centre[:, j], dtype=pl.Float64) for j, n in enumerate(names)]
            ),
        ],
        how="horizontal",
    )
    rows = sd.rows.with_design(scaled, positive=sd.weight, strata=strata, centres=centres)
    reach = np.max(np.maximum(np.abs(low - centre), np.abs(high - centre)), axis=0)
    with np.errstate(over="ignore", under="ignore"):
        scaling = Scaling(mean * power, factor / power, top)
    return Scaled(
        rows,
        scaling,
        reach,
        int(_total(first, "__rows")),
        int(_total(first, "__events")),
        _total(first, "__fractional") > 0,
    )


def _require_events(sd: SurvivalData, moments: pl.DataFrame) -> None:
    """:func:`survstat.estimators.cox._require_events` from the moments of the rows used."""
    if _total(moments, "__events") > 0:
        return
    every = sd.rows.design_moments(sd, [], [])
    n_events = int(_total(every, "__events"))
    if n_events == 0:
        raise EstimationError(
            f"`{sd.event}` records no event: all {sd.n_rows} rows are censored; a Cox "
            "model has nothing to fit"
        )
    raise EstimationError(
        f"`{sd.event}` records no event among the rows with a positive `{sd.weight}`: "
        f"its {n_events} event(s) all have weight 0 (rows of weight 0 are left out); a Cox "
        "model has nothing to fit"
    )


def _risk_sets(values: np.ndarray, stratum: np.ndarray) -> np.ndarray:
    """Running sums within each stratum (rows by stratum, then decreasing time): the sums
    over each time's risk set."""
    out = np.cumsum(values, axis=0)
    starts = np.flatnonzero(np.r_[True, stratum[1:] != stratum[:-1]])
    before = np.concatenate([np.zeros((1, *values.shape[1:])), out[:-1]])[starts]
    size = np.diff(np.append(starts, len(stratum)))
    return out - np.repeat(before, size, axis=0)


def _suffix(values: np.ndarray, stratum: np.ndarray) -> np.ndarray:
    """Sums within each stratum from each row to the stratum's last row (its earliest time)."""
    reversed_ = _risk_sets(values[::-1], stratum[::-1])
    return reversed_[::-1]


#: Tied deaths expanded at once by :func:`tie_sums` (memory: a few arrays of this length).
BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class TieSums:
    """Per (stratum, time) row, sums over its tied deaths' steps k = 0, ..., m-1.

    Step k removes the fraction f = k/m of the deaths' risk (Efron; f = 0 and one step of the
    full weight under Breslow), with weight ω = D·share (D the deaths' weight, share 1/m) and
    denominator δ = S0 - f·d0. ``log`` is Σ ω log δ; ``a0``, ``a1`` are Σ ω/δ and Σ ω f/δ;
    ``g0``, ``g1``, ``g2`` are Σ ω f^i/δ² (i = 0, 1, 2); ``m0``, ``m1`` are Σ share/δ and
    Σ share f/δ. Every per-step term of the likelihood's derivatives, of the hazard and of
    the deaths' mean is a sum of these times S1, S2 and d1, d2 (see :func:`point_from_sums`).
    """

    log: np.ndarray
    a0: np.ndarray
    a1: np.ndarray
    g0: np.ndarray
    g1: np.ndarray
    g2: np.ndarray
    m0: np.ndarray
    m1: np.ndarray


def _steps(n_event: np.ndarray, rows: np.ndarray, ties: Ties) -> tuple[np.ndarray, np.ndarray]:
    """The time row and the fraction f of each tied-death step of ``rows``."""
    if ties != "efron":
        return rows, np.zeros(len(rows))
    reps = n_event[rows].astype(np.int64)
    g = np.repeat(rows, reps)
    k = np.arange(len(g)) - np.repeat(np.cumsum(reps) - reps, reps)
    return g, k / n_event[g]


def tie_sums(sums: CoxSums, s0: np.ndarray, ties: Ties) -> TieSums:
    """The per-time sums over tied deaths of :class:`TieSums`, expanding at most
    :data:`BLOCK` deaths at a time, so that memory follows the distinct times, not the
    deaths.

    Parameters
    ----------
    sums
        The engine's sums.
    s0
        The risk-set sums S0 of each row.
    ties
        ``efron`` or ``breslow``.

    Returns
    -------
    TieSums
        One value per row of ``sums`` (0 where no death).
    """
    n = len(s0)
    out = {name: np.zeros(n) for name in TieSums.__slots__}  # type: ignore[attr-defined]
    has = np.flatnonzero(sums.n_event > 0)
    steps = sums.n_event[has] if ties == "efron" else np.ones(len(has))
    ends = np.searchsorted(np.cumsum(steps), np.arange(BLOCK, steps.sum() + BLOCK, BLOCK))
    first = 0
    for last in np.unique(np.minimum(ends + 1, len(has))):
        g, f = _steps(sums.n_event, has[first:last], ties)
        first = last
        share = 1.0 / sums.n_event[g] if ties == "efron" else np.ones(len(g))
        wt = sums.w_event[g] * share
        den = s0[g] - f * sums.d0[g]
        inv, inv2 = 1.0 / den, 1.0 / (den * den)
        terms = {
            "log": wt * np.log(den),
            "a0": wt * inv,
            "a1": wt * f * inv,
            "g0": wt * inv2,
            "g1": wt * f * inv2,
            "g2": wt * f * f * inv2,
            "m0": share * inv,
            "m1": share * f * inv,
        }
        for name, values in terms.items():
            out[name] += np.bincount(g, weights=values, minlength=n)
    return TieSums(**out)


def point_from_sums(sums: CoxSums, ties: Ties) -> Point:
    """Log partial likelihood, score and information from per-time sums (R ``coxfit6_iter``
    over risk sets, vectorised over the distinct times).

    With S0, S1, S2 the risk-set sums at a time with m tied deaths of total weight D, Efron's
    k-th death (k = 0, ..., m-1) has the denominator δ = S0 - (k/m) d0 and weight ω = D/m;
    Breslow's one term has S0 and D. The log-likelihood is Σ w d xβ - Σ ω log δ, the score
    Σ w d x - Σ ω a with a = (S1 - f d1)/δ, and the information Σ ω (c - a aᵀ) with
    c = (S2 - f d2)/δ, each summed per time first (:func:`tie_sums`).

    Parameters
    ----------
    sums
        The engine's sums at β.
    ties
        ``efron`` or ``breslow``.

    Returns
    -------
    Point
        Log-likelihood, score and information at β.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        s0 = _risk_sets(sums.s0, sums.stratum)
        s1 = _risk_sets(sums.s1, sums.stratum)
        s2 = _risk_sets(sums.s2, sums.stratum)
        t = tie_sums(sums, s0, ties)
        d1, d2 = sums.d1, sums.d2
        loglik = float(np.sum(sums.w_eta_event) - np.sum(t.log))
        score = sums.wx_event.sum(axis=0) - (t.a0 @ s1 - t.a1 @ d1)
        second = np.einsum("g,gij->ij", t.a0, s2) - np.einsum("g,gij->ij", t.a1, d2)
        cross = np.einsum("g,gi,gj->ij", t.g1, s1, d1)
        outer = np.einsum("g,gi,gj->ij", t.g0, s1, s1) - cross - cross.T
        outer += np.einsum("g,gi,gj->ij", t.g2, d1, d1)
        info = second - outer
    return Point(loglik, score, info)


def hazard_table(sums: CoxSums, strata: Sequence[str], ties: Ties) -> pl.DataFrame:
    """Per (stratum, time) the pieces of the rows' score residuals (R ``coxscore2``).

    For a row leaving at time t: H, the cumulative hazard increments at times <= t, and HM,
    the same weighted by the risk sets' means; a death tied with others under Efron's method
    takes only its share (1 - k/m) of its own time's increments; m is the deaths' mean
    covariate at t (the mean over Efron's steps).

    Parameters
    ----------
    sums
        The engine's sums at the estimate.
    strata
        The stratum columns.
    ties
        ``efron`` or ``breslow``.

    Returns
    -------
    polars.DataFrame
        The table of :meth:`survstat.engines.Engine.cox_dfbeta`.
    """
    p = sums.s1.shape[1]
    s0 = _risk_sets(sums.s0, sums.stratum)
    s1 = _risk_sets(sums.s1, sums.stratum)
    d1 = sums.d1
    t = tie_sums(sums, s0, ties)
    # per time: the hazard increment Σ ω/δ and its mean-weighted Σ ω (S1 - f d1)/δ², for all
    # at risk and for the tied deaths (each taking 1 - f of its step)
    h_all, h_tie = t.a0, t.a0 - t.a1
    hm_all = t.g0[:, None] * s1 - t.g1[:, None] * d1
    hm_tie = (t.g0 - t.g1)[:, None] * s1 - (t.g1 - t.g2)[:, None] * d1
    m_tie = t.m0[:, None] * s1 - t.m1[:, None] * d1
    h_cum = _suffix(h_all, sums.stratum)
    hm_cum = _suffix(hm_all, sums.stratum)
    hm_event = hm_cum + hm_tie - hm_all
    pieces = pl.DataFrame(
        [
            pl.Series("__time", sums.time),
            pl.Series("__hc", h_cum),
            pl.Series("__he", h_cum + h_tie - h_all),
            *(pl.Series(f"__hmc{j}", hm_cum[:, j]) for j in range(p)),
            *(pl.Series(f"__hme{j}", hm_event[:, j]) for j in range(p)),
            *(pl.Series(f"__m{j}", m_tie[:, j]) for j in range(p)),
        ]
    )
    if not strata:
        return pieces
    return pl.concat([sums.levels[sums.stratum], pieces], how="horizontal")


def _newton(rows: Engine, sd: SurvivalData, names: list[str], ties: Ties) -> _Fit:
    """:func:`survstat.estimators.cox._newton` on the engine's sums."""
    strata = list(sd.strata)

    def evaluate(beta: np.ndarray) -> Point:
        return point_from_sums(rows.cox_sums(sd, strata, names, beta), ties)

    p = len(names)
    zero = np.zeros(p)
    sums = rows.cox_sums(sd, strata, names, zero)
    first = point_from_sums(sums, ties)
    if not first.finite:
        raise InvalidValueError("the partial likelihood is not finite at 0: check the case weights")
    factor, _ = cholesky2(first.information, floor=information_floor(float(sums.w_event.sum())))
    score_test = float(first.score @ chsolve2(factor, first.score))
    singular = np.diag(factor) == 0
    fit = newton_raphson(evaluate, zero, first, MAX_ITER, singular)
    return _Fit(
        fit.beta, first, fit.last, fit.var, score_test, fit.iterations, fit.converged, singular
    )


def cox_on_engine(
    sd: SurvivalData,
    covariates: list[str],
    *,
    cluster: str | None,
    ties: Ties,
    robust: bool | None,
    reference: Mapping[str, Any] | None,
    conf_level: float,
) -> CoxResult:
    """Fit a Cox model on the engine that holds the rows (see the module docstring).

    :func:`survstat.estimators.cox.cox` calls it, with its options checked, for data whose
    engine keeps its rows; the result is that of the in-memory fit, but for what needs the
    rows (concordance null with a note, no basis).

    Parameters
    ----------
    sd
        The validated data.
    covariates
        The covariate columns.
    cluster, ties, robust, reference, conf_level
        As in :func:`survstat.estimators.cox.cox`.

    Returns
    -------
    CoxResult
        The fitted model.

    Raises
    ------
    EngineError
        Delayed entry (``entry``), which needs the rows in memory.
    """
    if sd.entry is not None:
        raise EngineError(
            f"Cox models with delayed entry (`{sd.entry}`) need the rows in memory and do not "
            f"run on the {sd.engine} engine; run on the polars engine"
        )
    schema = sd.rows.schema()
    for col in [*covariates, *([cluster] if cluster else [])]:
        if col not in schema:
            role = "cluster" if col == cluster else "covariate"
            raise ColumnNotFoundError(col, schema.names(), role=role)
    if cluster is not None:
        run_checks(
            sd.rows,
            [Check(cluster, "missing", MissingValueError, "must not be missing", "missing values")],
        )
    design = engine_design(sd.rows, schema, covariates, reference)
    scaled = scaled_design(sd, design)
    names = [c.name for c in design.columns]
    fit = _newton(scaled.rows, sd, names, ties)
    status = _status(fit, lambda: float(scaled.reach @ np.abs(fit.beta)), design.terms, sd.strata)
    warn_status("Cox model", design.terms, status, fit.converged)
    use_robust = cluster is not None or scaled.fractional if robust is None else bool(robust)
    cov_s = fit.var
    if use_robust:
        sums = scaled.rows.cox_sums(sd, list(sd.strata), names, fit.beta)
        hazards = hazard_table(sums, sd.strata, ties)
        with np.errstate(over="ignore", invalid="ignore"):
            cov_s = scaled.rows.cox_dfbeta(
                sd, list(sd.strata), names, fit.beta, fit.var, hazards, cluster
            )
    beta, cov = unscale(fit.beta, cov_s, scaled.scaling, design.terms)
    _, naive = unscale(fit.beta, fit.var, scaled.scaling, design.terms)
    return CoxResult(
        table=term_table(design.terms, beta, cov, status, conf_level),
        tests=_tests(fit, cov_s, status),
        covariance=cov,
        naive_covariance=naive,
        loglik=(fit.first.loglik, fit.last.loglik),
        n=scaled.n,
        n_event=scaled.n_event,
        ties=ties,
        robust=use_robust,
        iterations=fit.iterations,
        converged=fit.converged,
        concordance=None,
        aliased=terms_with(design.terms, status, "aliased"),
        infinite=terms_with(design.terms, status, "infinite"),
        basis=None,
        engine=sd.engine,
        notes=(CONCORDANCE_NOTE,),
    )
