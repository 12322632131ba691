"""Prognostic models of a biomarker panel, evaluated out of sample (scikit-survival).

Two models that suit many correlated biomarkers and few events: the elastic-net penalised Cox
model (``CoxnetSurvivalAnalysis``; Simon et al. 2011, J Stat Softw 39(5)), whose penalty is
chosen by an inner cross-validation on Harrell's C, and the random survival forest
(``RandomSurvivalForest``; Ishwaran et al. 2008, Ann Appl Stat 2:841-860). Markers are
standardised on each training fold (text markers become indicators against their first level)
and the model is judged on the patients it did not see, by K-fold cross-validation:

- Harrell's C of the predicted risk (Harrell et al. 1982);
- Uno's C, weighted by the inverse probability of censoring up to ``tau`` (Uno et al. 2011,
  Stat Med 30:1105-1117);
- the cumulative/dynamic time-dependent AUC at chosen times and its mean (Uno et al. 2007,
  JASA 102:1234-1251; Lambert & Chevret 2016);
- the integrated Brier score over the same times, with inverse-probability-of-censoring weights
  (Graf et al. 1999, Stat Med 18:2529-2545).

The censoring distribution of these weights is estimated on the training fold, so the
evaluation times must lie within every fold's follow-up; they default to the 25%, 50% and 75%
quantiles of the event times within it, and ``tau`` to the largest of them. The folds are
drawn with a seeded generator, stratified by event status, so a rerun gives the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from survstat._choices import PANEL_MODELS, PanelModel
from survstat.data import SurvivalData, as_survival_data
from survstat.errors import ColumnNotFoundError, EstimationError, InvalidValueError, OptionError
from survstat.io import FrameLike

#: Columns of :attr:`PanelResult.folds`.
FOLD_COLUMNS = (
    "fold",
    "n_train",
    "n_test",
    "n_event_test",
    "harrell_c",
    "uno_c",
    "mean_auc",
    "integrated_brier",
)
#: Columns of :attr:`PanelResult.summary`.
SUMMARY_COLUMNS = ("metric", "mean", "std", "min", "max")


@dataclass(frozen=True, slots=True)
class PanelResult:
    """A biomarker panel model and its cross-validated performance (:func:`panel_model`).

    Attributes
    ----------
    folds
        One row per fold (:data:`FOLD_COLUMNS`): the test fold's size and events and the
        model's Harrell's C, Uno's C (up to ``tau``), mean time-dependent AUC and integrated
        Brier score on it.
    summary
        One row per metric (:data:`SUMMARY_COLUMNS`): mean, standard deviation, min and max
        over the folds.
    auc
        One row per fold and evaluation time: ``fold, time, auc``.
    coefficients
        The model fitted to all patients: for ``coxnet``, ``term, coef`` (on the standardised
        markers; 0: not selected) and the chosen penalty in ``alpha``; for ``rsf``, no rows.
    times, tau
        The evaluation times and Uno's C truncation time.
    """

    folds: pl.DataFrame
    summary: pl.DataFrame
    auc: pl.DataFrame
    coefficients: pl.DataFrame
    times: tuple[float, ...]
    tau: float
    model: PanelModel
    alpha: float | None


def panel_model(
    data: FrameLike | SurvivalData,
    *,
    time: str | None = None,
    event: str | None = None,
    markers: Sequence[str],
    model: PanelModel = "coxnet",
    folds: int = 5,
    seed: int = 2026,
    times: Sequence[float] | None = None,
    l1_ratio: float = 0.5,
    n_trees: int = 200,
    min_leaf: int = 10,
    censor: str | None = None,
) -> PanelResult:
    """Fit a penalised Cox model or a random survival forest to a biomarker panel and judge it
    by K-fold cross-validation.

    Parameters
    ----------
    data, time, event, censor
        Right-censored survival data, as :func:`survstat.cox` takes them.
    markers
        The biomarker columns: numeric or boolean, or text (indicators against the first
        level). Rows with a missing marker are an error (impute or drop them first).
    model
        ``"coxnet"`` (elastic-net Cox, penalty by inner 3-fold cross-validation on Harrell's
        C) or ``"rsf"`` (random survival forest).
    folds
        Number of cross-validation folds (2 to 20).
    seed
        Seed of the folds and the forest.
    times
        Evaluation times of the AUC and Brier score (default: the 25%, 50% and 75% quantiles
        of the event times within every fold's follow-up).
    l1_ratio
        The elastic net's mix of lasso (1) and ridge (0) penalty, in (0, 1].
    n_trees, min_leaf
        The forest's number of trees and smallest leaf.

    Returns
    -------
    PanelResult
        Per-fold and summary metrics and the model fitted to all patients.

    References
    ----------
    .. [1] Simon N, Friedman J, Hastie T, Tibshirani R (2011). Regularization paths for Cox's
       proportional hazards model via coordinate descent. J Stat Softw 39(5).
    .. [2] Ishwaran H, Kogalur UB, Blackstone EH, Lauer MS (2008). Random survival forests.
       Ann Appl Stat 2:841-860.
    .. [3] Uno H, Cai T, Pencina MJ, D'Agostino RB, Wei LJ (2011). On the C-statistics for
       evaluating overall adequacy of risk prediction procedures with censored survival data.
       Stat Med 30:1105-1117.
    .. [4] Graf E, Schmoor C, Sauerbrei W, Schumacher M (1999). Assessment and comparison of
       prognostic classification schemes for survival data. Stat Med 18:2529-2545.

    Examples
    --------
    >>> import survstat
    >>> res = survstat.panel_model(survstat.datasets.load("gbsg2"), time="time", event="cens",
    ...                            markers=["age", "tsize", "pnodes", "progrec", "estrec"])
    >>> res.summary.get_column("metric").to_list()
    ['harrell_c', 'uno_c', 'mean_auc', 'integrated_brier']
    """
    from survstat.errors import check_choice

    check_choice("model", model, PANEL_MODELS)
    if not (2 <= folds <= 20):
        raise OptionError(f"`folds` must be between 2 and 20; got {folds}")
    if not (0 < l1_ratio <= 1):
        raise OptionError(f"`l1_ratio` must be in (0, 1]; got {l1_ratio}")
    if n_trees < 1 or min_leaf < 1:
        raise OptionError("`n_trees` and `min_leaf` must be at least 1")
    markers = list(dict.fromkeys(markers))
    if not markers:
        raise OptionError("`markers` must name at least one biomarker column")
    sd = as_survival_data(data, time=time, event=event, censor=censor)
    sd.require_rows("biomarker panel models")
    available = sd.frame.collect_schema().names()
    for m in markers:
        if m not in available:
            raise ColumnNotFoundError(m, available, role="marker")
    frame = sd.frame.select(sd.time, sd.event, *markers).collect()
    x, names = _design(frame, markers)
    t = frame.get_column(sd.time).cast(pl.Float64).to_numpy()
    d = frame.get_column(sd.event).cast(pl.Boolean).to_numpy()
    if d.sum() < 2 * folds:
        raise EstimationError(
            f"{int(d.sum())} events are too few for {folds}-fold cross-validation (at least "
            f"{2 * folds}: two per fold)"
        )
    fold_of = _folds(d, folds, seed)
    eval_times = _times(t, d, times, fold_of, folds)
    tau = float(max(eval_times))
    rows, auc_rows = [], []
    for k in range(folds):
        test = fold_of == k
        train = ~test
        risk, surv = _fit_predict(
            model,
            x[train],
            t[train],
            d[train],
            x[test],
            eval_times,
            l1_ratio,
            n_trees,
            min_leaf,
            seed,
        )
        metrics, auc = _metrics(t[train], d[train], t[test], d[test], risk, surv, eval_times, tau)
        rows.append((k + 1, int(train.sum()), int(test.sum()), int(d[test].sum()), *metrics))
        auc_rows += [(k + 1, float(tt), float(a)) for tt, a in zip(eval_times, auc, strict=True)]
    fold_table = pl.DataFrame(rows, schema=list(FOLD_COLUMNS), orient="row")
    summary = pl.DataFrame(
        [
            (m, *_describe(fold_table.get_column(m).to_numpy()))
            for m in ("harrell_c", "uno_c", "mean_auc", "integrated_brier")
        ],
        schema=list(SUMMARY_COLUMNS),
        orient="row",
    )
    coefficients, alpha = _final(model, x, t, d, names, l1_ratio, seed)
    return PanelResult(
        fold_table,
        summary,
        pl.DataFrame(auc_rows, schema=["fold", "time", "auc"], orient="row"),
        coefficients,
        tuple(float(v) for v in eval_times),
        tau,
        model,
        alpha,
    )


def _describe(values: np.ndarray) -> tuple[float, float, float, float]:
    return (
        float(values.mean()),
        float(values.std(ddof=1)) if len(values) > 1 else 0.0,
        float(values.min()),
        float(values.max()),
    )


def _design(frame: pl.DataFrame, markers: list[str]) -> tuple[np.ndarray, list[str]]:
    """The markers as a numeric matrix (text as indicators against the first level); an
    error naming the first missing value."""
    columns, names = [], []
    for m in markers:
        col = frame.get_column(m)
        if col.null_count():
            row = col.is_null().arg_true()[0]
            raise InvalidValueError(
                f"`{m}` (marker) has {col.null_count()} missing values (first at row {row}); "
                "impute or drop them before fitting a panel model"
            )
        if col.dtype == pl.Boolean or col.dtype.is_numeric():
            values = col.cast(pl.Float64).to_numpy()
            bad = np.flatnonzero(~np.isfinite(values))
            if bad.size:
                raise InvalidValueError(
                    f"`{m}` (marker) has {bad.size} non-finite values (first: {values[bad[0]]} "
                    f"at row {bad[0]})"
                )
            columns.append(values)
            names.append(m)
        else:
            text = col.cast(pl.String)
            levels = text.unique().sort().to_list()
            for level in levels[1:]:
                columns.append((text == level).cast(pl.Float64).to_numpy())
                names.append(f"{m}[{level}]")
    if not columns:
        raise InvalidValueError("the markers give no column that varies")
    return np.column_stack(columns), names


def _folds(event: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Fold of each patient: events and censored patients dealt out separately in a seeded
    random order, so that every fold has its share of events."""
    rng = np.random.default_rng(seed)
    fold = np.empty(len(event), dtype=np.int64)
    for group in (np.flatnonzero(event), np.flatnonzero(~event)):
        order = rng.permutation(group)
        fold[order] = np.arange(len(order)) % k
    return fold


def _times(
    t: np.ndarray, d: np.ndarray, times: Sequence[float] | None, fold_of: np.ndarray, k: int
) -> np.ndarray:
    """The evaluation times: within every test fold's follow-up (from its first to before its
    last time, which the time-dependent AUC and Brier score need) and before every training
    fold's last time (where the censoring weights are estimated). By default the quartiles of
    the event times inside that window."""
    first = max(float(t[fold_of == j].min()) for j in range(k))
    limit = min(min(float(t[fold_of == j].max()), float(t[fold_of != j].max())) for j in range(k))
    if times is None:
        inside = t[d & (t >= first) & (t < limit)]
        if inside.size == 0:
            raise EstimationError(
                f"no event time lies within every fold's follow-up (from {first:g} to below "
                f"{limit:g}): too few patients for {k}-fold cross-validation"
            )
        chosen = np.quantile(inside, [0.25, 0.5, 0.75], method="inverted_cdf")
    else:
        chosen = np.asarray(list(times), dtype=float)
    chosen = np.unique(chosen)
    if chosen.size == 0 or not np.all(np.isfinite(chosen)) or np.any(chosen <= 0):
        raise OptionError(f"`times` must be positive and finite; got {list(chosen)}")
    if chosen.max() >= limit or chosen.min() < first:
        raise OptionError(
            f"`times` must lie within every fold's follow-up, from {first:g} to below {limit:g}; "
            f"got {chosen.tolist()}"
        )
    return chosen


def _scale(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standardise both by the training fold's means and standard deviations."""
    mean = train.mean(axis=0)
    sd = train.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return (train - mean) / sd, (test - mean) / sd


def _surv(t: np.ndarray, d: np.ndarray) -> Any:
    from sksurv.util import Surv

    return Surv.from_arrays(event=d, time=t)


def _coxnet_alpha(x: np.ndarray, t: np.ndarray, d: np.ndarray, l1_ratio: float, seed: int):
    """The elastic net's penalty by inner 3-fold cross-validation on Harrell's C, and the
    model fitted at it to all of ``x``."""
    from sksurv.linear_model import CoxnetSurvivalAnalysis
    from sksurv.metrics import concordance_index_censored

    ratio: Any = 0.01  # the smallest penalty of the path, relative to the largest
    path = CoxnetSurvivalAnalysis(l1_ratio=l1_ratio, alpha_min_ratio=ratio, n_alphas=30)
    path.fit(x, _surv(t, d))
    alphas = path.alphas_
    inner = _folds(d, 3, seed + 1)
    score = np.zeros(len(alphas))
    for j in range(3):
        tr, te = inner != j, inner == j
        xtr, xte = _scale(x[tr], x[te])
        fit = CoxnetSurvivalAnalysis(l1_ratio=l1_ratio, alphas=alphas)
        fit.fit(xtr, _surv(t[tr], d[tr]))
        for i, a in enumerate(alphas):
            risk = fit.predict(xte, alpha=a)
            score[i] += concordance_index_censored(d[te], t[te], risk)[0]
    best = float(alphas[int(np.argmax(score))])
    final = CoxnetSurvivalAnalysis(l1_ratio=l1_ratio, alphas=[best], fit_baseline_model=True)
    final.fit(x, _surv(t, d))
    return best, final


def _fit_predict(
    model: str,
    xtr: np.ndarray,
    ttr: np.ndarray,
    dtr: np.ndarray,
    xte: np.ndarray,
    times: np.ndarray,
    l1_ratio: float,
    n_trees: int,
    min_leaf: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Fit on the training fold; the test fold's risk scores and survival at ``times``."""
    xtr, xte = _scale(xtr, xte)
    if model == "coxnet":
        _, fit = _coxnet_alpha(xtr, ttr, dtr, l1_ratio, seed)
    else:
        from sksurv.ensemble import RandomSurvivalForest

        fit = RandomSurvivalForest(
            n_estimators=n_trees, min_samples_leaf=min_leaf, random_state=seed, n_jobs=1
        )
        fit.fit(xtr, _surv(ttr, dtr))
    risk = np.asarray(fit.predict(xte), dtype=float)
    functions: Any = fit.predict_survival_function(xte)  # step functions, one per patient
    surv = np.vstack([fn(times) for fn in functions])
    return risk, surv


def _metrics(
    ttr: np.ndarray,
    dtr: np.ndarray,
    tte: np.ndarray,
    dte: np.ndarray,
    risk: np.ndarray,
    surv: np.ndarray,
    times: np.ndarray,
    tau: float,
) -> tuple[tuple[float, float, float, float], np.ndarray]:
    """Harrell's C, Uno's C, mean AUC and integrated Brier score on one test fold, and the AUC
    at each time."""
    from sksurv.metrics import (
        concordance_index_censored,
        concordance_index_ipcw,
        cumulative_dynamic_auc,
        integrated_brier_score,
    )

    train, test = _surv(ttr, dtr), _surv(tte, dte)
    harrell = float(concordance_index_censored(dte, tte, risk)[0])
    uno = float(concordance_index_ipcw(train, test, risk, tau=tau)[0])
    auc, mean_auc = cumulative_dynamic_auc(train, test, risk, times)
    if len(times) > 1:
        ibs = float(integrated_brier_score(train, test, surv, times))
    else:  # one time: the Brier score there
        from sksurv.metrics import brier_score

        ibs = float(brier_score(train, test, surv, times)[1][0])
    return (harrell, uno, float(mean_auc), ibs), np.asarray(auc, dtype=float)


def _final(
    model: str,
    x: np.ndarray,
    t: np.ndarray,
    d: np.ndarray,
    names: list[str],
    l1_ratio: float,
    seed: int,
) -> tuple[pl.DataFrame, float | None]:
    """The model fitted to all patients: coxnet's coefficients on the standardised markers."""
    if model != "coxnet":
        return pl.DataFrame(schema={"term": pl.String, "coef": pl.Float64}), None
    xs, _ = _scale(x, x)
    alpha, fit = _coxnet_alpha(xs, t, d, l1_ratio, seed)
    coef = np.asarray(fit.coef_, dtype=float).reshape(len(names), -1)[:, 0]
    return pl.DataFrame({"term": names, "coef": coef}), alpha


__all__ = ["FOLD_COLUMNS", "SUMMARY_COLUMNS", "PanelResult", "panel_model"]
