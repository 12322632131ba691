r"""The test of proportional hazards after a Cox fit (R ``cox.zph``, survival 3).

For each model term the test asks whether its coefficient changes with a function
:math:`g(t)` of time: it is the score test of :math:`\theta = 0` in the model with the extra
covariates :math:`x\,g(t)`, at :math:`(\hat\beta, 0)` (Grambsch & Therneau 1994, Biometrika
81:515; the form R has used since survival 3.0). With :math:`U(t)` and :math:`I(t)` the
score and information contributions of the event time :math:`t` (Breslow, or Efron's
average over the tied deaths, as the fit used; Breslow's after ``ties="discrete"`` or
``"exact"``, as R's ``cox.zph`` after ``coxph(ties="exact")``), the augmented score is
:math:`(0, \sum_t g(t) U(t))` and the augmented information has the blocks
:math:`\sum_t I(t)`, :math:`\sum_t g(t) I(t)` and :math:`\sum_t g(t)^2 I(t)`. A term's
statistic is :math:`u^\top I^{-1} u` over the original coefficients and the term's extra
ones, chi-squared with the term's number of columns; the global test takes every extra
covariate at once. :math:`g` is the time transform centred at its mean over the events:
``km`` (R's default: 1 − the Kaplan–Meier estimate of all records, left-continuous),
``rank`` (the times' ranks, ties averaged), ``identity`` or ``log``. Aliased terms are left
out, as R leaves out coefficients that are ``NA``. With counting-process data (an entry
column) the risk sets and the Kaplan–Meier of ``km`` hold the records with entry < t <= time,
as R's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from survstat._choices import ZPH_TRANSFORMS, ZphTransform
from survstat.errors import EstimationError, OptionError
from survstat.estimators.cox import CoxBasis, CoxResult

#: Columns of :attr:`CoxZph.table`.
ZPH_COLUMNS = ("term", "statistic", "df", "p_value")


@dataclass(frozen=True, slots=True)
class CoxZph:
    """The proportional-hazards tests of a Cox fit (:func:`cox_zph`).

    ``table`` (columns :data:`ZPH_COLUMNS`): one row per covariate (all the columns of a
    categorical covariate together, as R's terms) and a last row ``GLOBAL``; ``statistic`` is
    chi-squared with ``df`` degrees of freedom; ``p_value`` its upper tail.
    """

    transform: ZphTransform
    table: pl.DataFrame


def _at_risk(
    entry: np.ndarray | None, times: np.ndarray, inv: np.ndarray
) -> Callable[[np.ndarray], np.ndarray]:
    """The sums of per-record values over the records at risk at each of ``times`` (the
    distinct times, ``inv`` each record's place there): time >= t, and entry < t."""
    k = len(times)
    left = None if entry is None else np.searchsorted(times, entry, side="right") - 1

    def by_time(index: np.ndarray, values: np.ndarray) -> np.ndarray:
        out = np.zeros((k, *values.shape[1:]))
        np.add.at(out, index, values)
        return np.cumsum(out[::-1], axis=0)[::-1]

    def at_risk(values: np.ndarray) -> np.ndarray:
        total = by_time(inv, values)
        if left is None:
            return total
        out = left >= 0
        return total - by_time(left[out], values[out])

    return at_risk


def _transform(
    time: np.ndarray, event: np.ndarray, transform: ZphTransform, entry: np.ndarray | None = None
) -> np.ndarray:
    """g(t) for every record before centring: R ``cox.zph``'s ``ttimes`` (with entry times,
    the Kaplan-Meier of ``km`` counts a record at risk on (entry, time], as R)."""
    from scipy.stats import rankdata

    if transform == "identity":
        return time.copy()
    if transform == "log":
        if np.any(time <= 0):
            raise OptionError("transform `log` needs times above 0; use `km`, `rank` or `identity`")
        return np.log(time)
    if transform == "rank":
        return rankdata(time)
    # 1 - KM(t-) of all records, unweighted and unstratified, as R's survfitKM there
    times, inv = np.unique(time, return_inverse=True)
    deaths = np.bincount(inv, weights=event.astype(float))
    at_risk = _at_risk(entry, times, inv)(np.ones(len(time)))
    surv = np.cumprod(1.0 - deaths / at_risk)
    before = np.concatenate([[1.0], surv[:-1]])  # left-continuous: S just before each time
    return 1.0 - before[inv]


def _contributions(
    time: np.ndarray,
    event: np.ndarray,
    w: np.ndarray,
    x: np.ndarray,
    eta: np.ndarray,
    efron: bool,
    entry: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per distinct event time of one stratum: the time, the score contribution U(t) (p) and
    the information contribution I(t) (p x p); with entry times over the records at risk on
    (entry, time] (R's ``zph2``)."""
    p = x.shape[1]
    risk = w * np.exp(eta)
    times, inv = np.unique(time, return_inverse=True)
    k = len(times)
    at_risk = _at_risk(entry, times, inv)

    def by_time(values: np.ndarray) -> np.ndarray:  # sums per time, any trailing shape
        out = np.zeros((k, *values.shape[1:]))
        np.add.at(out, inv, values)
        return out

    xx = x[:, :, None] * x[:, None, :]
    s0 = at_risk(risk)
    s1 = at_risk(risk[:, None] * x)
    s2 = at_risk(risk[:, None, None] * xx)
    dead = event.astype(bool)
    deaths = np.bincount(inv[dead], minlength=k)
    keep = deaths > 0
    e0 = by_time(risk * dead)
    e1 = by_time((risk * dead)[:, None] * x)
    e2 = by_time((risk * dead)[:, None, None] * xx)
    death_w = by_time(w * dead)
    death_x = by_time((w * dead)[:, None] * x)
    idx = np.flatnonzero(keep)
    if efron:
        # one row per tied death: its time and place j among the m deaths there
        m = deaths[idx]
        at = np.repeat(idx, m)
        j = np.arange(len(at)) - np.repeat(np.cumsum(m) - m, m)
        frac = j / deaths[at]
        weight = death_w[at] / deaths[at]  # each term carries the deaths' mean weight
    else:
        at, frac, weight = idx, np.zeros(len(idx)), death_w[idx]
    a0 = s0[at] - frac * e0[at]
    a1 = s1[at] - frac[:, None] * e1[at]
    a2 = s2[at] - frac[:, None, None] * e2[at]
    mean = a1 / a0[:, None]
    info_rows = weight[:, None, None] * (
        a2 / a0[:, None, None] - mean[:, :, None] * mean[:, None, :]
    )
    info = np.zeros((k, p, p))
    np.add.at(info, at, info_rows)
    expected = np.zeros((k, p))
    np.add.at(expected, at, weight[:, None] * mean)
    score = death_x - expected
    return times[idx], score[idx], info[idx]


def cox_zph(fit: CoxResult, *, transform: ZphTransform = "km", terms: bool = True) -> CoxZph:
    """Test proportional hazards per covariate and globally (R ``cox.zph(fit, transform=)``).

    Parameters
    ----------
    fit
        A fit of :func:`survstat.cox`.
    transform
        The function of time the coefficients may follow: ``km`` (default, as R), ``rank``,
        ``identity`` or ``log``.
    terms
        True: one test per covariate (the columns of a categorical covariate together, as R's
        default); False: one test per model column.

    Returns
    -------
    CoxZph
        One row per covariate (or column) and the global test.

    Raises
    ------
    OptionError
        An unknown transform, ``log`` with a time of 0, or a fit without its basis.
    EstimationError
        When the augmented information is singular (a covariate constant over the event
        times within the risk sets).

    Examples
    --------
    >>> import survstat
    >>> from survstat.estimators.cox_zph import cox_zph
    >>> fit = survstat.cox(survstat.datasets.load("gbsg2"), time="time", event="cens",
    ...                    covariates=["horTh", "age", "tgrade"])
    >>> cox_zph(fit).table.select("term", "df").rows()
    [('horTh', 1), ('age', 1), ('tgrade', 2), ('GLOBAL', 4)]
    """
    from scipy.stats import chi2

    if transform not in ZPH_TRANSFORMS:
        raise OptionError(
            f"`transform` must be one of {', '.join(ZPH_TRANSFORMS)}; got {transform!r}"
        )
    basis = _basis(fit)
    status = dict(fit.table.select("term", "status").rows())
    keep = np.array([status.get(t) != "aliased" for t in basis.terms])
    x = basis.x[:, keep]
    beta = basis.beta[keep]
    names = [t for t, k in zip(basis.terms, keep, strict=True) if k]
    groups = [c for (c, _), k in zip(basis.source, keep, strict=True) if k] if terms else names
    eta = x @ beta
    eta = eta - eta.mean()
    g = _transform(basis.time, basis.event, transform, basis.entry)
    g = g - g[basis.event].mean()
    p = x.shape[1]
    score2 = np.zeros(p)
    info = np.zeros((2 * p, 2 * p))
    codes = basis.stratum_codes()
    for s in np.unique(codes):
        rows = codes == s
        times, u, i_t = _contributions(
            basis.time[rows],
            basis.event[rows],
            basis.weight[rows],
            x[rows],
            eta[rows],
            fit.ties == "efron",
            None if basis.entry is None else basis.entry[rows],
        )
        # g is a function of time: read it at each event time from a record there
        g_of = dict(
            zip(basis.time[rows][basis.event[rows]], g[rows][basis.event[rows]], strict=False)
        )
        gt = np.array([g_of[t] for t in times])
        score2 += gt @ u
        info[:p, :p] += i_t.sum(axis=0)
        info[:p, p:] += np.einsum("t,tij->ij", gt, i_t)
        info[p:, p:] += np.einsum("t,tij->ij", gt**2, i_t)
    info[p:, :p] = info[:p, p:].T
    order = list(dict.fromkeys(groups))
    rows_out = []
    for name in [*order, "GLOBAL"]:
        cols = (
            [j for j, grp in enumerate(groups) if grp == name]
            if name != "GLOBAL"
            else list(range(p))
        )
        kk = [*range(p), *(p + j for j in cols)]
        u = np.concatenate([np.zeros(p), score2[cols]])
        try:
            stat = float(u @ np.linalg.solve(info[np.ix_(kk, kk)], u))
        except np.linalg.LinAlgError:
            raise EstimationError(
                f"the proportional-hazards test of `{name}` has a singular information matrix"
            ) from None
        rows_out.append((name, stat, len(cols), float(chi2.sf(stat, len(cols)))))
    table = pl.DataFrame(rows_out, schema=list(ZPH_COLUMNS), orient="row")
    return CoxZph(transform, table)


def _basis(fit: CoxResult) -> CoxBasis:
    fit.require_rows("the proportional-hazards test")
    if fit.basis is None:
        raise OptionError("this Cox fit keeps no data for the test; fit it with survstat.cox")
    return fit.basis


def _natural_spline_basis(
    x: np.ndarray, knots: np.ndarray, boundary: tuple[float, float]
) -> np.ndarray:
    """A basis of the natural cubic splines with these interior knots and boundary knots,
    intercept included (the space of R ``splines::ns(x, knots=, Boundary.knots=,
    intercept=TRUE)``; Hastie, Tibshirani & Friedman 2009, eq. 5.4-5.5)."""
    lo, hi = boundary
    span = hi - lo if hi > lo else 1.0
    u = (x - lo) / span  # the space is the same on a rescaled axis; this keeps it well scaled
    k = np.concatenate([[0.0], (np.asarray(knots) - lo) / span, [1.0]])
    last = len(k) - 1

    def d(j: int) -> np.ndarray:
        return (np.maximum(u - k[j], 0.0) ** 3 - np.maximum(u - k[last], 0.0) ** 3) / (
            k[last] - k[j]
        )

    columns = [np.ones_like(u), u] + [d(j) - d(last - 1) for j in range(last - 1)]
    return np.column_stack(columns)


def zph_smooth(
    fit: CoxResult, *, transform: ZphTransform = "km", df: int = 4, points: int = 40
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The scaled Schoenfeld residuals of each model column against transformed time, and
    their smooth with a band (R ``plot(cox.zph(fit, transform=, terms=FALSE))``).

    The smooth is the least-squares fit of a natural cubic spline with ``df`` degrees of
    freedom (interior knots at the quantiles of the grid and the event times together, as
    ``plot.cox.zph`` places them with ``ns``), evaluated on ``points`` equally spaced values
    of the transformed time; the band is the smooth ± 2 sqrt(d V_jj s(x)) with d the number
    of events, V the coefficients' model-based covariance and s(x) the spline's leverage at
    x, as there. A
    coefficient constant in time is a flat smooth at its estimate. For an unstratified fit
    the residuals are R's ``cox.zph(fit, terms=FALSE)$y``.

    Parameters
    ----------
    fit
        A fit of :func:`survstat.cox`.
    transform
        The time scale of the x axis: ``km`` (default), ``rank``, ``identity`` or ``log``.
    df
        Degrees of freedom of the spline (at least 2).
    points
        Number of points of the smooth.

    Returns
    -------
    tuple of polars.DataFrame
        The residuals (``term, time, x, residual``: one row per event and term) and the
        smooth (``term, x, estimate, conf_low, conf_high``).

    Raises
    ------
    OptionError
        A bad transform, ``df`` below 2 or ``points`` below 2, or a fit without its data.
    EstimationError
        When the spline cannot be fitted (fewer distinct event times than ``df``).
    """
    from survstat.estimators.cox_residuals import cox_residuals

    if transform not in ZPH_TRANSFORMS:
        raise OptionError(
            f"`transform` must be one of {', '.join(ZPH_TRANSFORMS)}; got {transform!r}"
        )
    for name, value in (("df", df), ("points", points)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 2:
            raise OptionError(f"`{name}` must be a whole number of at least 2; got {value!r}")
    basis = _basis(fit)
    resid = cox_residuals(fit, "scaledsch")
    status = dict(fit.table.select("term", "status").rows())
    terms = [t for t in basis.terms if status.get(t) != "aliased"]
    g = _transform(basis.time, basis.event, transform, basis.entry)
    index = basis.event_order()  # the events in the residuals' order
    x = g[index]
    grid = np.linspace(x.min(), x.max(), points)
    both = np.concatenate([grid, x])
    knots = np.quantile(both, np.arange(1, df - 1) / (df - 1))  # R quantile type 7
    boundary = (float(both.min()), float(both.max()))
    design = _natural_spline_basis(x, knots, boundary)
    predict = _natural_spline_basis(grid, knots, boundary)
    q, r = np.linalg.qr(design)
    if np.linalg.matrix_rank(r) < df:
        raise EstimationError(
            f"the smooth of the residuals with {df} degrees of freedom is singular: too few "
            "distinct event times"
        )
    r_inv = np.linalg.inv(r)
    leverage = np.einsum("ij,jk,ik->i", predict, r_inv @ r_inv.T, predict)
    residual_rows, smooth_rows = [], []
    for term in terms:
        y = resid.get_column(term).to_numpy().astype(float)
        coef = r_inv @ (q.T @ y)
        estimate = predict @ coef
        j = basis.terms.index(term)
        # cox.zph's var is that of the scaled residuals: d V with d the number of events
        half = 2.0 * np.sqrt(len(index) * fit.naive_covariance[j, j] * leverage)
        smooth_rows.append(
            pl.DataFrame(
                {
                    "term": term,
                    "x": grid,
                    "estimate": estimate,
                    "conf_low": estimate - half,
                    "conf_high": estimate + half,
                }
            )
        )
        residual_rows.append(
            pl.DataFrame({"term": term, "time": basis.time[index], "x": x, "residual": y})
        )
    return pl.concat(residual_rows), pl.concat(smooth_rows)


__all__ = ["ZPH_COLUMNS", "CoxZph", "cox_zph", "zph_smooth"]
