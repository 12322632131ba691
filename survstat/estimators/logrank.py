r"""Log-rank family of K-sample tests, stratified, with weights and a trend test.

For each stratum and distinct event time t with n_k at risk and d_k events in group k
(n, d pooled), and a weight w(t):

.. math::

    U_k = \sum_t w(t) \Bigl(d_k - n_k \frac{d}{n}\Bigr), \qquad
    V_{kl} = \sum_t w(t)^2 \frac{d (n - d)}{n - 1} \frac{n_k}{n}
             \Bigl(\delta_{kl} - \frac{n_l}{n}\Bigr),

summed over strata; the statistic is U' V^- U on K - 1 degrees of freedom (groups with no
expected events are dropped, as R ``survdiff`` does). Weights:

* ``logrank``: w = 1 (Mantel 1966; R ``survdiff(rho=0)``);
* ``fleming-harrington``: w = S(t-)^rho (1 - S(t-))^gamma with S the pooled Kaplan-Meier within
  the stratum (Harrington & Fleming 1982, Biometrika 69:553-566); rho = 1, gamma = 0 is R
  ``survdiff(rho=1)`` (Peto-Peto/Prentice);
* ``gehan-breslow``: w = n (Gehan 1965; Breslow 1970);
* ``tarone-ware``: w = sqrt(n) (Tarone & Ware 1977, Biometrika 64:156-160).

The trend test for ordered groups with scores c is (c'U)^2 / (c'Vc) on 1 df (SAS PROC LIFETEST
``TEST ... / TREND``; Collett 2015, *Modelling Survival Data in Medical Research*, sec. 2.7).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy import stats

from survstat._choices import WEIGHTS, LogrankWeights
from survstat._segments import Segments
from survstat.data import SurvivalData, as_survival_data
from survstat.errors import EstimationError, OptionError, check_choice
from survstat.estimators._grid import GroupGrid, group_grid
from survstat.io import FrameLike
from survstat.risk import RiskTable, build_risk_table


@dataclass(frozen=True, slots=True)
class LogrankResult:
    """A K-sample log-rank-type test.

    Attributes
    ----------
    table
        One row: ``statistic, df, p_value, test, rho, gamma``; statistic and p-value are null
        (df 0) when fewer than two groups are at risk at an event time (e.g. no events).
    per_group
        One row per group: the ``by`` columns, then ``n, observed, expected, o_minus_e,
        variance`` (observed and expected are weighted, as R ``survdiff`` reports them).
    covariance
        The K x K variance matrix V of O - E (rows and columns in ``per_group`` order).
    """

    table: pl.DataFrame
    per_group: pl.DataFrame
    covariance: np.ndarray = field(repr=False)
    by: tuple[str, ...] = ()

    @property
    def statistic(self) -> float | None:
        """The chi-square statistic (None when undefined, see :attr:`table`)."""
        return self.table.get_column("statistic").item()

    @property
    def p_value(self) -> float | None:
        """Upper-tail p-value of the statistic (None when undefined)."""
        return self.table.get_column("p_value").item()

    def trend(self, scores: Sequence[float] | None = None) -> pl.DataFrame:
        """Test for a trend over the ordered groups.

        Parameters
        ----------
        scores
            One score per group in ``per_group`` order. Default: the group values when the
            single ``by`` column is numeric, else 1, 2, ..., K.

        Returns
        -------
        polars.DataFrame
            One row: ``statistic, df, p_value, z`` (z = c'U / sqrt(c'Vc)).
        """
        k = self.per_group.height
        if scores is None:
            col = self.per_group.get_column(self.by[0]) if len(self.by) == 1 else None
            if col is not None and col.dtype.is_numeric():
                c = col.cast(pl.Float64).to_numpy()
            else:
                c = np.arange(1.0, k + 1.0)
        else:
            c = np.asarray(scores, dtype=float)
            if c.shape != (k,) or not np.all(np.isfinite(c)):
                raise OptionError(f"`scores` must be {k} finite numbers, one per group")
        u = self.per_group.get_column("o_minus_e").to_numpy()
        num = float(c @ u)
        den = float(c @ self.covariance @ c)
        if den <= 0:
            raise EstimationError("trend test undefined: the scores have zero variance")
        z = num / np.sqrt(den)
        return pl.DataFrame(
            {"statistic": [z * z], "df": [1], "p_value": [float(stats.chi2.sf(z * z, 1))], "z": [z]}
        )


def _weights(
    kind: LogrankWeights,
    n: np.ndarray,
    d: np.ndarray,
    strata: Segments,
    rho: float,
    gamma: float,
) -> np.ndarray:
    if kind == "logrank":
        return np.ones_like(n)
    if kind == "gehan-breslow":
        return n.copy()
    if kind == "tarone-ware":
        return np.sqrt(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(d > 0, 1.0 - d / n, 1.0)
    surv = strata.cumprod(factor)
    # left-continuous: S(t-) is the product over earlier times of the same stratum
    s_minus = np.ones_like(surv)
    s_minus[1:] = surv[:-1]
    s_minus[strata.starts()] = 1.0
    return s_minus**rho * (1.0 - s_minus) ** gamma


def _weight_kind(weights: LogrankWeights, rho: float, gamma: float) -> LogrankWeights:
    """The weights to use: ``weights`` checked against ``rho`` and ``gamma``; plain log-rank
    weights with a non-zero exponent are Fleming-Harrington's."""
    check_choice("weights", weights, WEIGHTS)
    if (rho != 0 or gamma != 0) and weights in ("gehan-breslow", "tarone-ware"):
        raise OptionError(
            f"`rho` and `gamma` are Fleming-Harrington exponents; the {weights} weights have "
            f"none (got rho={rho:g}, gamma={gamma:g}): use weights='fleming-harrington' or "
            "leave them at 0"
        )
    kind: LogrankWeights = weights
    if (rho != 0 or gamma != 0) and kind == "logrank":
        kind = "fleming-harrington"
    if not (np.isfinite(rho) and np.isfinite(gamma)) or rho < 0 or gamma < 0:
        raise OptionError(f"`rho` and `gamma` must be finite and >= 0; got {rho}, {gamma}")
    return kind


def _observed_expected(
    grid: GroupGrid, rt: RiskTable, kind: LogrankWeights, rho: float, gamma: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted observed and expected events per group and the K x K variance matrix of
    O - E, summed over the event times of every stratum."""
    at_risk, events = grid.at_risk, grid.wide(rt.n_event)
    n = at_risk.sum(axis=1)
    d = events.sum(axis=1)
    w = _weights(kind, n, d, grid.strata, rho, gamma)
    has = d > 0
    n, d, w, at_risk, events = n[has], d[has], w[has], at_risk[has], events[has]
    p = at_risk / n[:, None]
    observed = (w[:, None] * events).sum(axis=0)
    expected = (w[:, None] * p * d[:, None]).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(n > 1, w**2 * d * (n - d) / (n - 1), 0.0)
    cov = np.diag((c[:, None] * p).sum(axis=0)) - (p * c[:, None]).T @ p
    return observed, expected, cov


def logrank(
    data: FrameLike | SurvivalData,
    *,
    time: str | None = None,
    event: str | None = None,
    by: str | Sequence[str] | None = None,
    strata: str | Sequence[str] | None = None,
    entry: str | None = None,
    weight: str | None = None,
    weights: LogrankWeights = "logrank",
    rho: float = 0.0,
    gamma: float = 0.0,
    censor: str | None = None,
) -> LogrankResult:
    """K-sample log-rank test and its weighted variants, optionally stratified.

    Parameters
    ----------
    data, time, event, by, strata, entry
        Data and column roles; ``by`` (the groups compared) is required.
    censor
        CDISC ADTTE ``CNSR``-style column (0 = event), in place of ``event``.
    weight
        Frequency weights (whole numbers); the hypergeometric variance has no meaning for
        fractional weights, so those are refused.
    weights
        ``"logrank"``, ``"fleming-harrington"``, ``"gehan-breslow"`` or ``"tarone-ware"``.
        Giving ``rho`` or ``gamma`` other than 0 with the default ``"logrank"`` selects
        ``"fleming-harrington"`` (as R ``survdiff(rho=1)``; the ``test`` column says so); with
        ``"gehan-breslow"`` or ``"tarone-ware"``, whose weights have no exponents, it is an
        error rather than being ignored.
    rho, gamma
        Fleming-Harrington exponents: w = S(t-)^rho (1 - S(t-))^gamma; default 0, 0 (the
        log-rank weights).

    Returns
    -------
    LogrankResult
        The test (statistic, degrees of freedom, p-value) and the observed and expected
        events per group.

    References
    ----------
    .. [1] Mantel N (1966). Evaluation of survival data and two new rank order statistics
       arising in its consideration. Cancer Chemother Rep 50:163-170.
    .. [2] Harrington DP, Fleming TR (1982). A class of rank test procedures for censored
       survival data. Biometrika 69:553-566.

    Examples
    --------
    >>> import survstat
    >>> res = survstat.logrank(survstat.datasets.load("gbsg2"), time="time", event="cens",
    ...                        by="horTh")
    >>> round(res.statistic, 4), round(res.p_value, 5)
    (8.5648, 0.00343)
    """
    kind = _weight_kind(weights, rho, gamma)
    sd = as_survival_data(
        data,
        time=time,
        event=event,
        by=by,
        strata=strata,
        entry=entry,
        weight=weight,
        censor=censor,
    )
    if not sd.by:
        raise OptionError("logrank needs a `by` column naming the groups to compare")
    rt = build_risk_table(sd)
    if rt.weighted and not rt.integer_weights:
        raise OptionError(
            f"`{sd.weight}`: log-rank tests take frequency weights (whole numbers) only; "
            "found fractional weights"
        )
    grid = group_grid(rt, sd.strata, sd.by)
    levels = grid.levels
    n_groups = levels.height
    observed, expected, cov = _observed_expected(grid, rt, kind, rho, gamma)
    u = observed - expected
    stat, df = _quadratic_form(u, cov, expected)
    # fewer than two groups at risk at any event time: the test is undefined
    stat_v = stat if df > 0 else None
    p_value = float(stats.chi2.sf(stat, df)) if df > 0 else None
    n_per_group = np.bincount(
        grid.group_of_curve, weights=rt.n_records.astype(float), minlength=n_groups
    )
    per_group = pl.concat(
        [
            levels,
            pl.DataFrame(
                {
                    "n": n_per_group,
                    "observed": observed,
                    "expected": expected,
                    "o_minus_e": u,
                    "variance": np.diag(cov).copy(),
                }
            ),
        ],
        how="horizontal",
    )
    table = pl.DataFrame(
        {
            "statistic": [stat_v],
            "df": [df],
            "p_value": [p_value],
            "test": [kind],
            "rho": [float(rho) if kind == "fleming-harrington" else None],
            "gamma": [float(gamma) if kind == "fleming-harrington" else None],
        },
        schema_overrides={
            "statistic": pl.Float64,
            "p_value": pl.Float64,
            "rho": pl.Float64,
            "gamma": pl.Float64,
        },
    )
    return LogrankResult(table=table, per_group=per_group, covariance=cov, by=sd.by)


def _quadratic_form(u: np.ndarray, cov: np.ndarray, expected: np.ndarray) -> tuple[float, int]:
    """U' V^- U over groups with expected > 0, dropping the first of them (as R survdiff)."""
    keep = np.flatnonzero(expected > 0)
    if len(keep) < 2:
        return 0.0, 0
    idx = keep[1:]
    v = cov[np.ix_(idx, idx)]
    try:
        sol = np.linalg.solve(v, u[idx])
        df = len(idx)
    except np.linalg.LinAlgError:
        sol = np.linalg.pinv(v) @ u[idx]
        df = int(np.linalg.matrix_rank(v))
    return float(u[idx] @ sol), df
