r"""Kaplan-Meier survival curves.

.. math::

    \hat S(t) = \prod_{t_j \le t} \Bigl(1 - \frac{d_j}{n_j}\Bigr), \qquad
    \widehat{\mathrm{Var}}\{\log \hat S(t)\} = \sum_{t_j \le t} \frac{d_j}{n_j (n_j - d_j)}

(Kaplan & Meier 1958, JASA 53:457-481; Greenwood 1926). With delayed entry n_j counts records
with entry < t_j <= time; with case weights d_j and n_j are weighted sums. With non-integer
weights the variance is the infinitesimal jackknife, as R ``survfit`` does by default. Results
match R ``survival::survfit`` (3.5) and ``summary.survfit`` / ``quantile.survfit`` /
``print.survfit(rmean=)``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from scipy import stats

from survstat._choices import ConfType, SurvivalVariance
from survstat.data import SurvivalData, as_survival_data
from survstat.errors import OptionError, SurvstatWarning, check_probability
from survstat.estimators._confint import CONF_TYPES, survival_interval, z_value
from survstat.estimators._quantile import step_quantiles
from survstat.estimators._robust import robust_variance
from survstat.estimators.rmst import rmst_curve
from survstat.io import FrameLike
from survstat.risk import RiskTable, build_risk_table

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: Columns of :attr:`KaplanMeierResult.table` after the group columns.
TABLE_COLUMNS = (
    "time",
    "n_risk",
    "n_event",
    "n_censor",
    "survival",
    "std_error",
    "conf_low",
    "conf_high",
)


def _nan_to_null(frame: pl.DataFrame) -> pl.DataFrame:
    """Undefined (NaN) and non-finite values as null: a statistic divided by a standard error
    of 0 is undefined, not infinite."""
    floats = [c for c, t in frame.schema.items() if t.is_float()]
    if not floats:
        return frame
    return frame.with_columns(
        pl.when(pl.col(c).is_finite()).then(pl.col(c)).otherwise(None).alias(c) for c in floats
    )


def _as_times(values: float | Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    if arr.ndim != 1 or arr.size == 0:
        raise OptionError(f"`{name}` must be one or more numbers")
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        raise OptionError(
            f"`{name}` must be finite and non-negative; found {int(bad.sum())} bad value(s) "
            f"(first: {arr[bad][0]})"
        )
    return arr


@dataclass(frozen=True, slots=True)
class KaplanMeierResult:
    """Kaplan-Meier curves, one per group.

    Attributes
    ----------
    table
        One row per group and distinct time: the group columns, then ``time, n_risk, n_event,
        n_censor, survival, std_error, conf_low, conf_high``. ``std_error`` is the standard error
        of the survival probability; undefined values (e.g. where S = 0) are null.
    conf_type, conf_level
        The pointwise interval's transform and level.
    variance
        ``"greenwood"`` or ``"robust"`` (infinitesimal jackknife, used with non-integer weights).
    risk
        The risk table restricted to exit times (the curves' steps).
    """

    table: pl.DataFrame
    conf_type: ConfType
    conf_level: float
    variance: SurvivalVariance
    risk: RiskTable = field(repr=False)
    surv: np.ndarray = field(repr=False)
    std_error: np.ndarray = field(repr=False)
    se_log: np.ndarray = field(repr=False)
    conf_low: np.ndarray = field(repr=False)
    conf_high: np.ndarray = field(repr=False)

    @property
    def groups(self) -> tuple[str, ...]:
        """Group column names (strata, then by)."""
        return self.risk.groups

    def _curve_slices(self):
        off = self.risk.offsets
        for i in range(self.risk.n_curves):
            yield i, slice(off[i], off[i + 1])

    def at(self, times: float | Sequence[float]) -> pl.DataFrame:
        """Survival at chosen times, as R ``summary(fit, times=, extend=TRUE)``.

        Before the first observed time S = 1 with a zero-width interval; after the last one
        the curve is carried forward and ``n_risk`` is 0.

        Parameters
        ----------
        times
            One or more finite, non-negative times.

        Returns
        -------
        polars.DataFrame
            One row per group and requested time: the group columns, then ``time, n_risk,
            survival, std_error, conf_low, conf_high``.
        """
        req = _as_times(times, "times")
        rt = self.risk
        parts: dict[str, list[np.ndarray]] = {
            k: [] for k in ("time", "n_risk", "survival", "std_error", "conf_low", "conf_high")
        }
        curves = []
        for i, sl in self._curve_slices():
            t = rt.time[sl]
            pos = np.searchsorted(t, req, side="right") - 1
            nxt = np.searchsorted(t, req, side="left")
            before = pos < 0
            p = np.clip(pos, 0, None) + sl.start
            parts["time"].append(req)
            n_risk = np.append(rt.n_risk[sl], 0.0)[nxt]
            parts["n_risk"].append(n_risk)
            for name, arr, fill in (
                ("survival", self.surv, 1.0),
                ("std_error", self.std_error, 0.0),
                ("conf_low", self.conf_low, 1.0),
                ("conf_high", self.conf_high, 1.0),
            ):
                parts[name].append(np.where(before, fill, arr[p]))
            curves.append(np.full(len(req), i))
        body = pl.DataFrame({k: np.concatenate(v) for k, v in parts.items()})
        return _nan_to_null(rt.expand_keys(body, np.concatenate(curves)))

    def quantile(self, probs: float | Sequence[float] = (0.25, 0.5, 0.75)) -> pl.DataFrame:
        """Quantiles of the survival time with confidence limits, as R ``quantile.survfit``.

        The p-quantile is the first time with S(t) <= 1 - p, with the midpoint rule where S(t)
        equals 1 - p over an interval; limits come from the pointwise interval's curves
        (Brookmeyer & Crowley 1982).

        Parameters
        ----------
        probs
            One or more probabilities in [0, 1] (default: the quartiles).

        Returns
        -------
        polars.DataFrame
            One row per group and probability: the group columns, then ``prob, time,
            conf_low, conf_high`` (null when not reached).

        References
        ----------
        .. [1] Brookmeyer R, Crowley J (1982). A confidence interval for the median survival
           time. Biometrics 38:29-41.
        """
        p = np.atleast_1d(np.asarray(probs, dtype=float))
        if p.size == 0 or np.any(~np.isfinite(p) | (p < 0) | (p > 1)):
            raise OptionError(f"`probs` must lie in [0, 1]; got {list(np.atleast_1d(probs))}")
        rows: dict[str, list[np.ndarray]] = {
            "prob": [],
            "time": [],
            "conf_low": [],
            "conf_high": [],
        }
        curves = []
        t_all = self.risk.time
        for i, sl in self._curve_slices():
            t = t_all[sl]
            rows["prob"].append(p)
            rows["time"].append(step_quantiles(t, self.surv[sl], p))
            rows["conf_low"].append(step_quantiles(t, self.conf_low[sl], p))
            rows["conf_high"].append(step_quantiles(t, self.conf_high[sl], p))
            curves.append(np.full(len(p), i))
        body = pl.DataFrame({k: np.concatenate(v) for k, v in rows.items()})
        return _nan_to_null(self.risk.expand_keys(body, np.concatenate(curves)))

    def median(self) -> pl.DataFrame:
        """Median survival time with its confidence interval (see :meth:`quantile`).

        Returns
        -------
        polars.DataFrame
            One row per group: the group columns, then ``time, conf_low, conf_high`` (null
            when not reached).
        """
        return self.quantile(0.5).drop("prob")

    def rmst(self, tau: float) -> pl.DataFrame:
        """Restricted mean survival time up to ``tau`` per group, as R ``print(fit, rmean=tau)``.

        ``tau`` beyond a group's last follow-up time, where its curve has not reached 0, gives
        a warning naming the groups: the curve is unknown there and its last value is carried
        to ``tau``, as R's ``rmean`` does (survRM2 refuses such a tau; Uno et al. 2014, J Clin
        Oncol 32:2380-2385, recommend tau within the follow-up of every group).

        Parameters
        ----------
        tau
            The truncation time, positive.

        Returns
        -------
        polars.DataFrame
            The group columns, then ``tau, rmst, std_error, conf_low, conf_high`` (normal
            interval at the result's ``conf_level``).

        References
        ----------
        .. [1] Uno H, Claggett B, Tian L, et al. (2014). Moving beyond the hazard ratio in
           quantifying the between-group difference in survival analysis. J Clin Oncol
           32:2380-2385.
        """
        tau_v = float(_as_times(tau, "tau")[0])
        if tau_v <= 0:
            raise OptionError(f"`tau` must be positive; got {tau}")
        rt = self.risk
        labels = rt.curve_labels()
        short = [
            f"{labels[i]} (last follow-up {rt.time[sl][-1]:g}, survival {self.surv[sl][-1]:.4g})"
            for i, sl in self._curve_slices()
            if tau_v > rt.time[sl][-1] and self.surv[sl][-1] > 0
        ]
        if short:
            warnings.warn(
                f"`tau` = {tau_v:g} is beyond the follow-up of {'; '.join(short)}: the curve is "
                "unknown there and its last value is carried to tau (as R's rmean); choose tau "
                "within the shortest follow-up to avoid this",
                SurvstatWarning,
                stacklevel=2,
            )
        est, se = [], []
        for _, sl in self._curve_slices():
            m, s = rmst_curve(rt.time[sl], self.surv[sl], rt.n_risk[sl], rt.n_event[sl], tau_v)
            est.append(m)
            se.append(s)
        est_a, se_a = np.array(est), np.array(se)
        z = z_value(self.conf_level)
        body = pl.DataFrame(
            {
                "tau": np.full(rt.n_curves, tau_v),
                "rmst": est_a,
                "std_error": se_a,
                "conf_low": est_a - z * se_a,
                "conf_high": est_a + z * se_a,
            }
        )
        return _nan_to_null(rt.expand_keys(body, np.arange(rt.n_curves)))

    def rmst_difference(self, tau: float, reference: Any = None) -> pl.DataFrame:
        """Difference in RMST between each group and a reference group.

        difference = RMST(group) - RMST(reference), standard error
        sqrt(se_group^2 + se_reference^2) (independent groups), a normal interval at the
        result's ``conf_level`` and a two-sided Wald p-value (Royston & Parmar 2013,
        BMC Med Res Methodol 13:152). Requires exactly one group column.

        Parameters
        ----------
        tau
            The truncation time, positive.
        reference
            The reference level of the group column (default: the first group).

        Returns
        -------
        polars.DataFrame
            ``<by>, reference, tau, difference, std_error, conf_low, conf_high, statistic,
            p_value``, one row per non-reference group; statistic and p-value are null
            (undefined) when the standard error is 0.

        References
        ----------
        .. [1] Royston P, Parmar MKB (2013). Restricted mean survival time: an alternative to
           the hazard ratio for the design and analysis of randomized trials with a
           time-to-event outcome. BMC Med Res Methodol 13:152.
        """
        return self.rmst_comparison(tau, reference)[1]

    def rmst_ratio(self, tau: float, reference: Any = None) -> pl.DataFrame:
        """Ratio of RMST between each group and a reference group.

        ratio = RMST(group) / RMST(reference), with the interval and Wald test on the log
        scale: se(log ratio) = sqrt((se_group / RMST_group)^2 + (se_ref / RMST_ref)^2) by the
        delta method (independent groups; Uno et al. 2014, as R ``survRM2::rmst2`` reports the
        ratio). Requires exactly one group column.

        Parameters
        ----------
        tau
            The truncation time, positive.
        reference
            The reference level of the group column (default: the first group).

        Returns
        -------
        polars.DataFrame
            ``<by>, reference, tau, ratio, log_std_error, conf_low, conf_high, statistic,
            p_value``, one row per non-reference group; null where the log standard error is
            0 or undefined (an RMST of 0).

        References
        ----------
        .. [1] Uno H, Claggett B, Tian L, et al. (2014). Moving beyond the hazard ratio in
           quantifying the between-group difference in survival analysis. J Clin Oncol
           32:2380-2385.
        """
        return self.rmst_comparison(tau, reference)[2]

    def rmst_comparison(
        self, tau: float, reference: Any = None
    ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        """The RMST per group (:meth:`rmst`), each group's difference from the reference
        (:meth:`rmst_difference`) and its ratio to it (:meth:`rmst_ratio`), from one
        computation of the restricted means (so a ``tau`` beyond follow-up warns once).

        Parameters
        ----------
        tau
            The truncation time, positive.
        reference
            The reference level of the group column (default: the first group).

        Returns
        -------
        tuple of polars.DataFrame
            The per-group, difference and ratio tables.
        """
        if len(self.groups) != 1:
            raise OptionError(
                "rmst_difference needs exactly one group column; "
                f"this result has {len(self.groups)}"
            )
        col = self.groups[0]
        per = self.rmst(tau)
        levels = per.get_column(col).to_list()
        ref = levels[0] if reference is None else reference
        if ref not in levels:
            raise OptionError(f"reference level {ref!r} not found in `{col}`; levels: {levels}")
        ref_row = per.filter(pl.col(col) == ref)
        others = per.filter(pl.col(col) != ref)
        m0, s0 = ref_row.get_column("rmst").item(), ref_row.get_column("std_error").item()
        m1 = others.get_column("rmst").to_numpy()
        s1 = others.get_column("std_error").to_numpy()
        z = z_value(self.conf_level)
        keys = {
            col: others.get_column(col),
            "reference": pl.Series([ref] * others.height, dtype=per.schema[col]),
            "tau": others.get_column("tau"),
        }
        diff = m1 - m0
        se = np.sqrt(s1**2 + s0**2)
        with np.errstate(divide="ignore", invalid="ignore"):
            # with a standard error of 0 the statistic (and its p-value) is undefined
            stat = np.where(se > 0, diff / se, np.nan)
            ratio = np.where((m0 > 0) & (m1 > 0), m1 / m0, np.nan)
            log_se = np.sqrt((s1 / m1) ** 2 + (s0 / m0) ** 2)
            log_se = np.where(np.isfinite(ratio) & np.isfinite(log_se), log_se, np.nan)
            log_stat = np.where(log_se > 0, np.log(ratio) / log_se, np.nan)
        difference = pl.DataFrame(
            {
                **keys,
                "difference": diff,
                "std_error": se,
                "conf_low": diff - z * se,
                "conf_high": diff + z * se,
                "statistic": stat,
                "p_value": 2.0 * stats.norm.sf(np.abs(stat)),
            }
        )
        ratios = pl.DataFrame(
            {
                **keys,
                "ratio": ratio,
                "log_std_error": log_se,
                "conf_low": ratio * np.exp(-z * log_se),
                "conf_high": ratio * np.exp(z * log_se),
                "statistic": log_stat,
                "p_value": 2.0 * stats.norm.sf(np.abs(log_stat)),
            }
        )
        return per, _nan_to_null(difference), _nan_to_null(ratios)

    def summary(self, tau: float | None = None) -> pl.DataFrame:
        """Median survival per group with its interval, and the RMST up to ``tau``.

        Parameters
        ----------
        tau
            Truncation time of the restricted mean; None (default) leaves it out.

        Returns
        -------
        polars.DataFrame
            One row per group: the group columns, then ``n, n_event, median, conf_low,
            conf_high`` (median CI), plus ``rmst, rmst_std_error`` when ``tau`` is given.
        """
        rt = self.risk
        n_event = np.add.reduceat(rt.n_event, rt.offsets[:-1])
        med = self.median()
        body = pl.DataFrame(
            {
                "n": rt.n_records,
                "n_event": n_event,
                "median": med.get_column("time"),
                "conf_low": med.get_column("conf_low"),
                "conf_high": med.get_column("conf_high"),
            }
        )
        if tau is not None:
            r = self.rmst(tau)
            body = body.with_columns(
                rmst=r.get_column("rmst"), rmst_std_error=r.get_column("std_error")
            )
        return rt.expand_keys(body, np.arange(rt.n_curves))

    def plot(
        self, ax: Axes | None = None, *, conf_int: bool = True, censor_marks: bool = True
    ) -> Axes:
        """Step plot of the curves with pointwise bands (:func:`survstat.plot.plot_step_curves`).

        Parameters
        ----------
        ax
            The matplotlib Axes to draw on; None (default) opens a new figure.
        conf_int
            Shade the pointwise confidence bands.
        censor_marks
            Mark censoring times with ``+``.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        from survstat.plot import plot_step_curves

        return plot_step_curves(self, ax=ax, conf_int=conf_int, censor_marks=censor_marks)


def kaplan_meier(
    data: FrameLike | SurvivalData,
    *,
    time: str | None = None,
    event: str | None = None,
    by: str | Sequence[str] | None = None,
    entry: str | None = None,
    weight: str | None = None,
    strata: str | Sequence[str] | None = None,
    conf_type: ConfType = "log-log",
    conf_level: float = 0.95,
    robust: bool | None = None,
    censor: str | None = None,
) -> KaplanMeierResult:
    """Kaplan-Meier estimate of the survival function, per group.

    Parameters
    ----------
    data
        A :class:`~survstat.data.SurvivalData`, or a frame / Parquet path with the column names.
    time, event, by, entry, weight, strata
        Column roles (see :meth:`SurvivalData.right_censored`).
    censor
        CDISC ADTTE ``CNSR``-style column (0 = event, positive = censored), in place of
        ``event``: ``kaplan_meier(adtte, time="AVAL", censor="CNSR")``.
    conf_type
        Pointwise interval transform: ``"log-log"`` (default, as SAS and lifelines), ``"log"``
        (R's default), ``"plain"``, ``"logit"`` or ``"arcsine"``.
    conf_level
        Confidence level.
    robust
        Use the infinitesimal-jackknife variance. Default (None) follows R ``survfit``: robust
        only when case weights are not all whole numbers.

    Returns
    -------
    KaplanMeierResult
        The curves (one row per group and distinct time), with Greenwood (or robust)
        standard errors and pointwise intervals.

    References
    ----------
    .. [1] Kaplan EL, Meier P (1958). Nonparametric estimation from incomplete observations.
       J Am Stat Assoc 53:457-481.
    .. [2] Greenwood M (1926). The natural duration of cancer. Reports on Public Health and
       Medical Subjects 33. HMSO, London.

    Examples
    --------
    >>> import survstat
    >>> gbsg = survstat.datasets.load("gbsg2")
    >>> km = survstat.kaplan_meier(gbsg, time="time", event="cens", by="horTh")
    >>> km.median().select("horTh", "time").rows()
    [('no', 1528.0), ('yes', 2018.0)]
    """
    if conf_type not in CONF_TYPES:
        raise OptionError(
            f"`conf_type` must be one of {', '.join(map(repr, CONF_TYPES))}; got {conf_type!r}"
        )
    check_probability("conf_level", conf_level)
    if robust is not None and not isinstance(robust, bool):
        raise OptionError(f"`robust` must be True, False or None; got {robust!r}")
    sd = as_survival_data(
        data,
        time=time,
        event=event,
        by=by,
        entry=entry,
        weight=weight,
        strata=strata,
        censor=censor,
    )
    rt = build_risk_table(sd).exits_only()
    n, d = rt.n_risk, rt.n_event
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = d / n
        empty = n == 0  # only zero-weight records leave here
        if empty.any():
            hazard[empty] = 0.0
        factor = 1.0 - hazard
        # Weighted risk sets are running sums of entries minus exits; when every record at risk
        # fails, 1 - d/n can come out as +-1e-16 instead of 0. Survival is then exactly 0.
        d_all = factor < 1e-12
        factor[d_all] = 0.0
        use_robust = (not rt.integer_weights) if robust is None else bool(robust)
        # Greenwood's increment d / (n (n - d)), infinite where everyone at risk fails
        term = hazard / (n - d)
        term[d_all] = np.inf
        term[hazard == 0] = 0.0
        surv = rt.segments.cumprod(factor)
        if use_robust:
            g = np.where(d_all, np.inf, 1.0 / (n - d))
            var_s = np.where(surv == 0, 0.0, surv**2 * robust_variance(sd, rt, term, g))
            std_error = np.sqrt(var_s)
            se_log = np.where(std_error == 0, 0.0, std_error / surv)
        else:
            se_log = np.sqrt(rt.segments.cumsum(term))
            # Greenwood's variance is undefined once S reaches 0 (R reports NaN)
            std_error = surv * se_log
            std_error[surv == 0] = np.nan
    lower, upper = survival_interval(surv, se_log, conf_type, conf_level)
    body = pl.DataFrame(
        [
            pl.Series("time", rt.time),
            pl.Series("n_risk", n),
            pl.Series("n_event", d),
            pl.Series("n_censor", rt.n_censor),
            pl.Series("survival", surv),
            pl.Series("std_error", std_error, nan_to_null=True),
            pl.Series("conf_low", lower, nan_to_null=True),
            pl.Series("conf_high", upper, nan_to_null=True),
        ]
    )
    return KaplanMeierResult(
        table=rt.expand_keys(body),
        conf_type=conf_type,
        conf_level=float(conf_level),
        variance="robust" if use_robust else "greenwood",
        risk=rt,
        surv=surv,
        std_error=std_error,
        se_log=se_log,
        conf_low=lower,
        conf_high=upper,
    )
