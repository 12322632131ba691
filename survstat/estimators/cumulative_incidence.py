r"""Cumulative incidence of competing risks (Aalen-Johansen).

For cause k, with S the Kaplan-Meier estimate for an event of any cause,

.. math::

    \hat F_k(t) = \sum_{t_j \le t} \hat S(t_j-) \frac{d_{kj}}{n_j}

(Kalbfleisch & Prentice 2002, sec. 8.2; Aalen & Johansen 1978). The variance is the one
R ``cmprsk::cuminc`` reports (Gray's Fortran routine ``cinc``, after Aalen 1978 and Dinse & Larson
1986): it changes only at event times of cause k and is carried forward between them, exactly as
``cmprsk::timepoints`` returns it. Pointwise intervals use by default the log(-log) transform as
``tidycmprsk`` does (Pintilie 2006, *Competing Risks: A Practical Perspective*, sec. 4.2.3):
F^exp(+-z se / (F log F)); plain, log, logit and arcsine intervals are those of R ``survfit``
for multi-state curves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from survstat._choices import VARIANCES, ConfType, IncidenceVariance
from survstat.data import SurvivalData, as_survival_data
from survstat.errors import OptionError, check_choice
from survstat.estimators._confint import CONF_TYPES, survival_interval, z_value
from survstat.estimators._robust import cif_robust_variance
from survstat.io import FrameLike
from survstat.risk import RiskTable, build_risk_table

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def _within_curve_previous(values: np.ndarray, rt: RiskTable, first: float) -> np.ndarray:
    """values[i - 1] within each curve, ``first`` on a curve's first row (left limits)."""
    out = np.empty_like(values)
    out[1:] = values[:-1]
    out[rt.segments.starts()] = first
    return out


def _forward_fill(values: np.ndarray, mask: np.ndarray, rt: RiskTable) -> np.ndarray:
    """At each row, ``values`` at the last row of the same curve where ``mask`` holds (else 0)."""
    idx = np.arange(len(values))
    last = np.maximum.accumulate(np.where(mask, idx, -1))
    own = last >= rt.segments.starts()[rt.curve]
    return np.where(own, values[np.clip(last, 0, None)], 0.0)


def cuminc_variance(
    n: np.ndarray, d: np.ndarray, dk: np.ndarray, surv: np.ndarray, cif: np.ndarray, rt: RiskTable
) -> np.ndarray:
    """Variance of the cumulative incidence of one cause as ``cmprsk::cuminc`` computes it.

    Parameters
    ----------
    n, d, dk
        Per risk-table row: the number at risk, the events of any cause and the events of
        the cause.
    surv
        The all-cause Kaplan-Meier estimate (right limits), per row.
    cif
        The cause's cumulative incidence, per row.
    rt
        The risk table the rows come from (its curves delimit the cumulative sums).

    Returns
    -------
    numpy.ndarray
        The variance per row, carried forward between the cause's event times.

    References
    ----------
    .. [1] Gray RJ (2022). cmprsk: Subdistribution Analysis of Competing Risks. R package
       (function ``cuminc``).
    """
    s_minus = _within_curve_previous(surv, rt, 1.0)
    other = d - dk
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_s = np.where(surv > 0, 1.0 / surv, 0.0)

        def tie(count: np.ndarray) -> np.ndarray:
            # Greenwood-type tie correction 1 - (d - 1) / (n - 1) for d tied events
            return np.where(count > 1, 1.0 - (count - 1.0) / (n - 1.0), 1.0)

        # events of the other causes (only while someone survives)
        w_other = np.where((other > 0) & (surv > 0), s_minus**2 * tie(other) * other / n**2, 0.0)
        t4 = cif * inv_s
        v1 = t4**2 * w_other
        v2 = inv_s * t4 * w_other
        v3 = inv_s**2 * w_other
        # events of the cause itself
        w_own = np.where(dk > 0, s_minus**2 * tie(dk) * dk / n**2, 0.0)
        t4 = 1.0 + inv_s * cif
        v1 += t4**2 * w_own
        v2 += inv_s * t4 * w_own
        v3 += inv_s**2 * w_own
    seg = rt.segments
    v1, v2, v3 = seg.cumsum(v1), seg.cumsum(v2), seg.cumsum(v3)
    at_events = v1 + cif**2 * v3 - 2.0 * cif * v2
    return _forward_fill(at_events, dk > 0, rt)


def delta_variance(
    n: np.ndarray,
    d: np.ndarray,
    dk: np.ndarray,
    s_minus: np.ndarray,
    cif: np.ndarray,
    rt: RiskTable,
) -> np.ndarray:
    """Delta-method variance of one cause's cumulative incidence (SAS LIFETEST ``ERROR=DELTA``).

    Var F_k(t) = sum_{t_j <= t} { [F_k(t) - F_k(t_j)]^2 d_j / (Y_j (Y_j - d_j))
    + S(t_j-)^2 d_kj (Y_j - d_kj) / Y_j^3 - 2 [F_k(t) - F_k(t_j)] S(t_j-) d_kj / Y_j^2 }
    (Marubini & Valsecchi 1995, *Analysing Survival Data from Clinical Trials and Observational
    Studies*, sec. 10.2): the cause-specific hazard increments at each time are multinomial and
    F_k(t) is differentiated through them. The square is expanded so that every piece is a
    cumulative sum over the curve.

    Parameters
    ----------
    n, d, dk
        Per risk-table row: the number at risk, the events of any cause and the events of
        the cause.
    s_minus
        The all-cause Kaplan-Meier estimate just before each row's time (left limits).
    cif
        The cause's cumulative incidence, per row.
    rt
        The risk table the rows come from (its curves delimit the cumulative sums).

    Returns
    -------
    numpy.ndarray
        The variance per row, never negative.

    References
    ----------
    .. [1] Marubini E, Valsecchi MG (1995). Analysing Survival Data from Clinical Trials and
       Observational Studies. Wiley, section 10.2.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        # where everyone at risk fails no later time exists, so F(t) - F(t_j) is 0 there
        a = np.where(n - d > 0, d / (n * (n - d)), 0.0)
        e = np.where(dk > 0, s_minus**2 * dk * (n - dk) / n**3, 0.0)
        g = np.where(dk > 0, s_minus * dk / n**2, 0.0)
    scan = rt.segments.cumsum
    f = cif
    var = (
        f**2 * scan(a)
        - 2.0 * f * scan(f * a)
        + scan(f**2 * a)
        + scan(e)
        - 2.0 * f * scan(g)
        + 2.0 * scan(f * g)
    )
    return np.maximum(var, 0.0)


def cif_interval(
    cif: np.ndarray, se: np.ndarray, conf_level: float, conf_type: ConfType = "log-log"
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise interval for F(t) from its standard error, transformed as R ``survfit`` does
    for multi-state curves (its ``conf.type``; cmprsk and tidycmprsk use log(-log)).

    ``log-log``: F^exp(-+z se / (F log F)), undefined where F is 0 or 1; ``plain``: F -+ z se
    clipped to [0, 1]; ``log``: F exp(-+z se / F), upper end at most 1; ``logit``, ``arcsine``
    as for survival curves, with se / F the standard error of log F.

    Parameters
    ----------
    cif
        The cumulative incidence estimates.
    se
        Their standard errors.
    conf_level
        Confidence level, e.g. 0.95.
    conf_type
        The transform (R ``conf.type``): ``"log-log"`` (default), ``"log"``, ``"plain"``,
        ``"logit"`` or ``"arcsine"``.

    Returns
    -------
    tuple of numpy.ndarray
        The lower and upper limits; NaN where undefined.
    """
    f = np.asarray(cif, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se_log = np.where(f > 0, np.asarray(se, dtype=float) / f, 0.0)
    return survival_interval(f, se_log, conf_type, conf_level)


@dataclass(frozen=True, slots=True)
class CumulativeIncidenceResult:
    """Cumulative incidence curves, one per group and cause.

    Attributes
    ----------
    table
        One row per group, cause and distinct time: the group columns, then ``cause, time,
        n_risk, n_event, cif, std_error, conf_low, conf_high``; ``n_event`` counts events of
        that cause, ``std_error`` is the standard error of the cumulative incidence. ``cif``
        lies in [0, 1] (a rounding excursion such as 1.0000000000000002 is 1); a limit that is
        undefined (log(-log) at F = 0 or 1) or not finite is null. With no event at all every
        declared cause has incidence 0 at every time; with no cause declared either there are
        no rows.
    causes, conf_level, conf_type, variance
        The causes in reporting order, the interval's level and transform, and the variance
        used.
    """

    table: pl.DataFrame
    causes: tuple[Any, ...]
    conf_level: float
    conf_type: ConfType
    variance: IncidenceVariance
    risk: RiskTable = field(repr=False)
    cif: np.ndarray = field(repr=False)
    std_error: np.ndarray = field(repr=False)

    def plot(self, ax: Axes | None = None, *, cause: Any = None, conf_int: bool = True) -> Axes:
        """Step plot of one cause's curves with pointwise bands
        (:func:`survstat.plot.plot_incidence_curves`).

        Parameters
        ----------
        ax
            The matplotlib Axes to draw on; None (default) opens a new figure.
        cause
            The cause to draw, one of :attr:`causes`; None (default) draws the first.
        conf_int
            Shade the pointwise confidence bands.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        from survstat.plot import plot_incidence_curves

        return plot_incidence_curves(self, ax=ax, cause=cause, conf_int=conf_int)

    def at(self, times: float | Sequence[float]) -> pl.DataFrame:
        """Cumulative incidence at chosen times, as ``cmprsk::timepoints``.

        One row per group, cause and requested time: the group columns, then ``cause, time,
        cif, std_error, conf_low, conf_high``. Before the first event the incidence is 0; after
        the group's last follow-up time it is unknown (null), as in ``timepoints``.

        Parameters
        ----------
        times
            One or more finite, non-negative times.

        Returns
        -------
        polars.DataFrame
            The incidence, its standard error and interval per group, cause and time.
        """
        req = np.atleast_1d(np.asarray(times, dtype=float))
        if req.size == 0 or np.any(~np.isfinite(req) | (req < 0)):
            raise OptionError(f"`times` must be finite and non-negative; got {list(req)}")
        rt = self.risk
        dtype = self.table.schema["cause"]
        # empty first pieces: no cause ever occurred (and none was declared) gives no rows
        curves, causes = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
        est, se = [np.zeros(0)], [np.zeros(0)]
        for c in range(rt.n_curves):
            lo, hi = rt.offsets[c], rt.offsets[c + 1]
            pos = np.searchsorted(rt.time[lo:hi], req, side="right") - 1
            found = pos >= 0
            beyond = req > rt.time[hi - 1]
            rows = lo + np.clip(pos, 0, None)
            for k in range(len(self.causes)):
                curves.append(np.full(len(req), c))
                causes.append(np.full(len(req), k))
                est.append(np.where(beyond, np.nan, np.where(found, self.cif[rows, k], 0.0)))
                se.append(np.where(beyond, np.nan, np.where(found, self.std_error[rows, k], 0.0)))
        est_a, se_a = np.concatenate(est), np.concatenate(se)
        low, high = cif_interval(est_a, se_a, self.conf_level, self.conf_type)
        body = pl.DataFrame(
            [
                pl.Series(
                    "cause",
                    [self.causes[k] for k in np.concatenate(causes)],
                    dtype=dtype,
                    strict=False,
                ),
                pl.Series("time", np.tile(req, rt.n_curves * len(self.causes))),
                pl.Series("cif", est_a, nan_to_null=True),
                pl.Series("std_error", se_a, nan_to_null=True),
                pl.Series("conf_low", low, nan_to_null=True),
                pl.Series("conf_high", high, nan_to_null=True),
            ]
        )
        return rt.expand_keys(body, np.concatenate(curves))


def cumulative_incidence(
    data: FrameLike | SurvivalData,
    *,
    time: str | None = None,
    cause: str | None = None,
    censor_value: Any = None,
    causes: Sequence[Any] | None = None,
    by: str | Sequence[str] | None = None,
    conf_level: float = 0.95,
    entry: str | None = None,
    weight: str | None = None,
    variance: IncidenceVariance = "auto",
    conf_type: ConfType = "log-log",
) -> CumulativeIncidenceResult:
    """Aalen-Johansen cumulative incidence per cause and group (R ``cmprsk::cuminc``).

    Parameters
    ----------
    data
        A competing-risks :class:`~survstat.data.SurvivalData`, or a frame / Parquet path with
        the column names.
    time, cause, censor_value, causes, by
        Column roles and cause coding (see :meth:`SurvivalData.competing_risks`).
    conf_level
        Level of the pointwise intervals.
    entry, weight
        Delayed-entry time and case-weight columns.
    variance
        ``"cuminc"``: the variance of ``cmprsk::cuminc``; ``"delta"``: the delta-method
        variance (SAS LIFETEST ``ERROR=DELTA``); ``"robust"``: the infinitesimal
        jackknife that R ``survfit`` reports for multi-state (Aalen-Johansen) curves;
        ``"auto"`` (default): ``cuminc`` for plain data, ``robust`` with weights or delayed
        entry (where ``cuminc``'s formula does not apply).
    conf_type
        Transform of the pointwise intervals: ``"log-log"`` (default, as cmprsk and
        tidycmprsk), ``"plain"``, ``"log"``, ``"logit"`` or ``"arcsine"`` (see
        :func:`cif_interval`).

    Returns
    -------
    CumulativeIncidenceResult
        The curves: one row per group, cause and event time, with standard errors and
        pointwise intervals.

    References
    ----------
    .. [1] Aalen OO, Johansen S (1978). An empirical transition matrix for non-homogeneous
       Markov chains based on censored observations. Scand J Stat 5:141-150.
    .. [2] Kalbfleisch JD, Prentice RL (2002). The Statistical Analysis of Failure Time Data,
       2nd ed. Wiley, section 8.2.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"t": [1.0, 2.0, 3.0, 4.0], "c": [1, 2, 0, 1]})
    >>> res = cumulative_incidence(df, time="t", cause="c")
    >>> res.table.filter(pl.col("cause") == 1).get_column("cif").to_list()
    [0.25, 0.25, 0.25, 0.75]
    """
    check_choice("variance", variance, VARIANCES)
    check_choice("conf_type", conf_type, CONF_TYPES)
    z_value(conf_level)
    sd = as_survival_data(
        data,
        competing=True,
        time=time,
        cause=cause,
        censor_value=censor_value,
        causes=causes,
        by=by,
        entry=entry,
        weight=weight,
    )
    extended = sd.weight is not None or sd.entry is not None
    if variance == "auto":
        variance = "robust" if extended else "cuminc"
    elif variance in ("cuminc", "delta") and extended:
        raise OptionError(
            f"the {variance} variance assumes unweighted data without delayed entry; "
            "use variance='robust'"
        )
    rt = build_risk_table(sd).exits_only()
    n, d = rt.n_risk, rt.n_event
    with np.errstate(divide="ignore", invalid="ignore"):
        # n is 0 only where zero-weight records leave: nothing happens there
        factor = np.where(n > 0, 1.0 - d / n, 1.0)
    surv = rt.segments.cumprod(np.where(factor < 1e-12, 0.0, factor))
    s_minus = _within_curve_previous(surv, rt, 1.0)
    n_causes = len(sd.causes)
    cif = np.zeros((len(n), n_causes))
    se = np.zeros_like(cif)
    for k in range(n_causes):
        dk = rt.n_event_by_cause[:, k]
        with np.errstate(divide="ignore", invalid="ignore"):
            jump = np.where(dk > 0, s_minus * dk / n, 0.0)
        # a sum of jumps of at most 1 - S; rounding may carry it past 1 by an ulp
        cif[:, k] = np.clip(rt.segments.cumsum(jump), 0.0, 1.0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if variance == "robust":
                var = cif_robust_variance(sd, rt, k + 1, surv, s_minus, cif[:, k])
            elif variance == "delta":
                var = delta_variance(n, d, dk, s_minus, cif[:, k], rt)
            else:
                var = cuminc_variance(n, d, dk, surv, cif[:, k], rt)
        se[:, k] = np.sqrt(np.maximum(var, 0.0))
    table = _table(rt, sd.causes, cif, se, conf_level, conf_type, _cause_dtype(sd))
    return CumulativeIncidenceResult(
        table=table,
        causes=sd.causes,
        conf_level=float(conf_level),
        conf_type=conf_type,
        variance=variance,
        risk=rt,
        cif=cif,
        std_error=se,
    )


def _cause_dtype(sd: SurvivalData) -> pl.DataType:
    """The dtype of the ``cause`` column: text labels come with a text censoring value."""
    return pl.String() if isinstance(sd.censor_value, str) else pl.Int64()


def _table(
    rt: RiskTable,
    causes: tuple[Any, ...],
    cif: np.ndarray,
    se: np.ndarray,
    conf_level: float,
    conf_type: ConfType,
    cause_dtype: pl.DataType,
) -> pl.DataFrame:
    """Rows ordered by group, then cause, then time (none when no cause ever occurs)."""
    n_rows, n_causes = cif.shape
    if n_causes == 0:
        body = pl.DataFrame(
            schema={"cause": cause_dtype}
            | dict.fromkeys(("time", "n_risk", "n_event", "cif", "std_error"), pl.Float64)
            | {"conf_low": pl.Float64, "conf_high": pl.Float64}
        )
        return rt.expand_keys(body, np.zeros(0, dtype=np.int64))
    row = np.tile(np.arange(n_rows), n_causes)
    k = np.repeat(np.arange(n_causes), n_rows)
    order = np.lexsort((row, k, rt.curve[row]))
    row, k = row[order], k[order]
    est, err = cif[row, k], se[row, k]
    low, high = cif_interval(est, err, conf_level, conf_type)
    body = pl.DataFrame(
        [
            pl.Series("cause", [causes[i] for i in k], dtype=cause_dtype, strict=False),
            pl.Series("time", rt.time[row]),
            pl.Series("n_risk", rt.n_risk[row]),
            pl.Series("n_event", rt.n_event_by_cause[row, k]),
            pl.Series("cif", est),
            pl.Series("std_error", err),
            pl.Series("conf_low", low, nan_to_null=True),
            pl.Series("conf_high", high, nan_to_null=True),
        ]
    )
    return rt.expand_keys(body, rt.curve[row])
