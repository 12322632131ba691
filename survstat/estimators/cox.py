"""Cox proportional hazards regression (R ``survival::coxph``).

The partial likelihood with Efron's (default) or Breslow's handling of tied event times,
stratified baseline hazards and case weights (:mod:`survstat.estimators._partial_likelihood`),
or the discrete (R ``ties="exact"``, SAS ``TIES=DISCRETE``) or marginal (SAS ``TIES=EXACT``)
likelihood of the tied times (:mod:`survstat.estimators._exact_ties`),
maximised by Newton-Raphson with step halving exactly as R's ``coxfit6`` does (survival 3.5):
covariates centred and scaled (and centred again within each stratum, which changes no
estimate but makes a covariate nested in the strata exactly 0 there, so it is found aliased at
any size), convergence when the log partial likelihood changes by less than 1e-9 relatively,
at most 20 iterations, and a Cholesky decomposition that finds aliased (linearly dependent)
columns, whose coefficients are reported as undefined, as R's ``NA`` (see
:mod:`survstat.estimators._regression`). A monotone likelihood (e.g. no events in one arm) is
detected by R's rule and its coefficient reported as infinite. Robust (sandwich) standard
errors sum the weighted dfbeta residuals within clusters (Lin & Wei 1989, JASA 84:1074-1078;
R ``coxph(..., cluster=)``). Counting-process data, R's ``Surv(start, stop, event)``
(``entry=``), put each row at risk on (entry, time] only (R ``agreg.fit``; Andersen & Gill
1982, Ann Stat 10:1100-1120; Therneau & Grambsch 2000, sec. 3.7). References: Cox 1972,
JRSS B 34:187-220; Efron 1977, JASA 72:557-565; Therneau & Grambsch 2000, *Modeling Survival
Data*, ch. 3.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from scipy import stats

from survstat._choices import TIES, ConfType, ResidualType, Ties, ZphTransform
from survstat.data import SurvivalData, as_survival_data
from survstat.errors import (
    ColumnNotFoundError,
    EngineError,
    EstimationError,
    InvalidValueError,
    OptionError,
    check_choice,
)
from survstat.estimators._confint import z_value
from survstat.estimators._design import covariate_list, design_matrix
from survstat.estimators._exact_ties import EXACT_TIES
from survstat.estimators._partial_likelihood import (
    Layout,
    layout,
    linear_predictor,
    robust_covariance,
    terms,
)
from survstat.estimators._regression import (
    EPS,
    Point,
    cholesky2,
    chsolve2,
    infinite_terms,
    information_floor,
    newton_raphson,
    quadratic_form,
    unscale,
)
from survstat.estimators._term_table import (
    TERM_COLUMNS,
    term_status,
    term_table,
    terms_with,
    warn_status,
)
from survstat.estimators.concordance import Concordance, TimeGroups, concordance_counts
from survstat.io import FrameLike

if TYPE_CHECKING:
    from survstat.estimators.cox_survival import CoxSurvival
    from survstat.estimators.cox_zph import CoxZph

#: R ``coxph.control()``'s ``iter.max``.
MAX_ITER = 20
TABLE_COLUMNS = TERM_COLUMNS


@dataclass(frozen=True, slots=True)
class _Fit:
    """Where R's ``coxfit6`` loop stops (all on the scaled covariates)."""

    beta: np.ndarray
    first: Point  # at beta = 0
    last: Point  # at beta
    var: np.ndarray  # inverse information, zero rows and columns for singular terms
    score_test: float
    iterations: int
    converged: bool
    aliased: np.ndarray  # singular at 0, with the floor: no information in the design


def _newton(lay: Layout, ties: Ties, p: int, max_iter: int | None = None) -> _Fit:
    """R ``coxfit6``: Newton-Raphson from 0 (:func:`newton_raphson`), at most ``MAX_ITER``
    iterations; aliased columns (at 0 with :func:`information_floor`, and at the estimate by
    R's rule) are skipped by the Cholesky solve, so their coefficients stay 0. The score test
    is the first step's U' I^-1 U at 0."""
    max_iter = MAX_ITER if max_iter is None else max_iter
    floor = information_floor(float(lay.w @ lay.event))
    zero = np.zeros(p)
    first = terms(zero, lay, ties)
    if not first.finite:
        raise InvalidValueError("the partial likelihood is not finite at 0: check the case weights")
    factor, _ = cholesky2(first.information, floor=floor)
    score_test = float(first.score @ chsolve2(factor, first.score))
    singular = np.diag(factor) == 0
    fit = newton_raphson(lambda b: terms(b, lay, ties), zero, first, max_iter, singular)
    return _Fit(
        fit.beta, first, fit.last, fit.var, score_test, fit.iterations, fit.converged, singular
    )


@dataclass(frozen=True, slots=True)
class CoxBasis:
    """What survival curves after a fit need (:mod:`survstat.estimators.cox_survival`): the
    rows used (weight above 0), in input order, with their design matrix on the covariates' own
    scale, stratum keys, and the coefficients (0 for aliased terms, as R drops them)."""

    time: np.ndarray
    event: np.ndarray
    weight: np.ndarray
    x: np.ndarray
    strata: pl.DataFrame  # one row per record: the stratum columns (no columns: one stratum)
    terms: tuple[str, ...]
    beta: np.ndarray
    indicator: tuple[bool, ...] = ()
    source: tuple[tuple[str, str | None], ...] = ()
    references: tuple[tuple[str, str], ...] = ()
    #: The fit's own layout (rows sorted by stratum and decreasing time, covariates centred
    #: and scaled), the input row of each layout row, each column's scale factor and the
    #: coefficients on that scale: what the residuals are computed from.
    layout: Layout | None = None
    order: np.ndarray | None = None
    factor: np.ndarray | None = None
    beta_scaled: np.ndarray | None = None
    #: Entry times of counting-process data (rows at risk on (entry, time]), None without.
    entry: np.ndarray | None = None

    def stratum_codes(self) -> np.ndarray:
        """Each record's stratum as 0, 1, ... in the strata's sorted order.

        Returns
        -------
        numpy.ndarray
            One code per record (all 0 without strata).
        """
        if not self.strata.width:
            return np.zeros(len(self.time), dtype=np.int64)
        rank = self.strata.select(pl.struct(self.strata.columns).rank("dense")).to_series()
        return rank.to_numpy().astype(np.int64) - 1

    def event_order(self) -> np.ndarray:
        """The records with an event, by stratum, time, then input order.

        Returns
        -------
        numpy.ndarray
            Their positions, in the order of R's Schoenfeld residuals (strata, time,
            -status).
        """
        code = self.stratum_codes()
        index = np.flatnonzero(self.event)
        return index[np.lexsort((index, self.time[index], code[index]))]

    @property
    def means(self) -> np.ndarray:
        """R ``coxph``'s ``means``: each term's weighted mean, 0 for a term R does not centre
        (an indicator, or any column whose values are all -1, 0 or 1: ``nocenter``)."""
        mean = (self.weight @ self.x) / self.weight.sum()
        no_centre = np.all(np.isin(self.x, (-1.0, 0.0, 1.0)), axis=0)
        no_centre |= np.array(self.indicator, dtype=bool)
        return np.where(no_centre, 0.0, mean)


@dataclass(frozen=True, slots=True)
class CoxResult:
    """A fitted Cox model.

    Attributes
    ----------
    table
        One row per term: ``term, coef, std_error, hazard_ratio, conf_low, conf_high, z,
        p_value, status`` (robust standard errors when a cluster was given or
        ``robust=True``). ``status`` says why a row is (partly) null: ``ok`` (an estimate),
        ``aliased`` (a linear combination of earlier terms, a constant, an Enum level with no
        rows, or a covariate that does not vary within the strata: every column null, R's
        ``NA``), ``infinite`` (monotone likelihood: the estimate
        diverges; ``coef`` is where the iterations stopped, as R reports it, its sign the
        direction; no hazard ratio, interval or p-value) or ``not converged`` (``coef`` from
        the last iteration; no hazard ratio, interval or p-value).
    tests
        ``test, statistic, df, p_value, status`` for the likelihood-ratio, Wald and score tests
        on the non-aliased terms. The Wald statistic is null when a coefficient is infinite
        (status ``infinite``: Wald tests break down at the boundary) and the likelihood-ratio
        and Wald statistics when the fit did not converge (``not converged``).
    covariance, naive_covariance
        Variance matrix of the coefficients (robust when requested) and the inverse of the
        information; rows and columns of aliased terms are 0, as R's ``fit$var``.
    loglik
        Log partial likelihood at 0 and at the estimate.
    n, n_event
        Rows used (rows with weight 0 are left out, as SAS PHREG does; R refuses them) and
        the number of events among them (unweighted, as R's ``nevent``).
    iterations, converged
        Newton-Raphson iterations (at most 20; R's ``iter`` reads 21 when it runs out) and
        whether the log partial likelihood converged (the absence of R's "Ran out of
        iterations" warning).
    aliased, infinite
        The aliased terms and those whose coefficient may be infinite.
    concordance
        Harrell's concordance of the linear predictor, within strata and with case weights,
        as R reports it for a ``coxph`` fit (pair counts and ``.value``; ``.value`` is None
        when no pair is comparable); with an entry column, only pairs whose longer-lasting
        row is at risk at the other's event time count, as R's; None for a fit on an engine
        that keeps its rows (Spark: the pairs need the rows in memory), as ``notes`` says.
    basis
        The rows and design the fit used, for survival curves after it
        (:func:`survstat.estimators.cox_survival.cox_survival`); None for a fit on an engine
        that keeps its rows.
    engine
        The engine that kept the rows, for a fit made where they live
        (:mod:`survstat.estimators.cox_engine`); None: the rows were in memory. Survival
        curves, residuals and the proportional-hazards test need them, and refuse such a fit.
    notes
        What was not computed, and why.
    """

    table: pl.DataFrame
    tests: pl.DataFrame
    covariance: np.ndarray = field(repr=False)
    naive_covariance: np.ndarray = field(repr=False)
    loglik: tuple[float, float]
    n: int
    n_event: int
    ties: Ties
    robust: bool
    iterations: int
    converged: bool
    concordance: Concordance | None
    aliased: tuple[str, ...] = ()
    infinite: tuple[str, ...] = ()
    basis: CoxBasis | None = field(default=None, repr=False)
    engine: str | None = None
    notes: tuple[str, ...] = ()

    def require_rows(self, what: str) -> None:
        """Refuse ``what`` for a fit made on an engine that keeps its rows.

        Parameters
        ----------
        what
            What needs the rows, as the message names it (e.g. ``"fit.survival"``).

        Raises
        ------
        EngineError
            The fit was made where the rows live (:attr:`engine` is set).
        """
        if self.engine is not None:
            raise EngineError(
                f"{what} needs the rows in memory, which the {self.engine} engine keeps; run "
                "the Cox model on the polars engine"
            )

    def survival(
        self,
        profiles: Sequence[Mapping[str, float]] | Mapping[str, float] | None = None,
        *,
        conf_type: ConfType = "log",
        conf_level: float = 0.95,
    ) -> CoxSurvival:
        """Survival curves of covariate profiles (R ``survfit(fit, newdata)``).

        Parameters
        ----------
        profiles
            Each profile maps every term to its value (``{"horTh[yes]": 1, "age": 50}``);
            None: one curve at R's ``means``.
        conf_type
            Interval transform of S (``log`` by default, as ``survfit.coxph``).
        conf_level
            Confidence level.

        Returns
        -------
        CoxSurvival
            See :func:`survstat.estimators.cox_survival.cox_survival`.
        """
        from survstat.estimators.cox_survival import cox_survival

        self.require_rows("fit.survival")
        return cox_survival(self, profiles, conf_type=conf_type, conf_level=conf_level)

    def baseline_hazard(self, *, centered: bool = True) -> pl.DataFrame:
        """The baseline cumulative hazard (R ``basehaz(fit, centered=)``).

        Parameters
        ----------
        centered
            At R's ``means`` (True, R's default) or at every term 0.

        Returns
        -------
        polars.DataFrame
            The stratum columns, ``time`` and ``cumhaz``.
        """
        from survstat.estimators.cox_survival import baseline_hazard

        self.require_rows("fit.baseline_hazard")
        return baseline_hazard(self, centered=centered)

    def residuals(
        self, type: ResidualType = "martingale", *, weighted: bool | None = None
    ) -> pl.DataFrame:
        """Residuals of the fit (R ``residuals(fit, type=)``).

        Parameters
        ----------
        type
            ``martingale``, ``deviance``, ``score``, ``schoenfeld``, ``scaledsch``,
            ``dfbeta`` or ``dfbetas``.
        weighted
            Multiply by the case weights; default as R (only dfbeta and dfbetas).

        Returns
        -------
        polars.DataFrame
            See :func:`survstat.estimators.cox_residuals.cox_residuals`.
        """
        from survstat.estimators.cox_residuals import cox_residuals

        self.require_rows("fit.residuals")
        return cox_residuals(self, type, weighted=weighted)

    def zph(self, *, transform: ZphTransform = "km", terms: bool = True) -> CoxZph:
        """Test proportional hazards per covariate and globally (R ``cox.zph``).

        Parameters
        ----------
        transform
            ``km`` (default), ``rank``, ``identity`` or ``log``.
        terms
            One test per covariate (True) or per model column.

        Returns
        -------
        CoxZph
            See :func:`survstat.estimators.cox_zph.cox_zph`.
        """
        from survstat.estimators.cox_zph import cox_zph

        self.require_rows("fit.zph")
        return cox_zph(self, transform=transform, terms=terms)

    @property
    def model(self) -> pl.DataFrame:
        """One row: ``n, n_event, concordance, concordance_std_error, loglik_null, loglik,
        iterations, converged, aliased, infinite`` (the last two: comma-separated terms, ""
        when none). The concordance is Harrell's C of the linear predictor and its standard
        error the infinitesimal-jackknife one, summed within clusters when the fit has them
        (R ``coxph``'s ``concordance`` and ``std``)."""
        return pl.DataFrame(
            {
                "n": [self.n],
                "n_event": [self.n_event],
                "concordance": pl.Series(
                    [None if self.concordance is None else self.concordance.value],
                    dtype=pl.Float64,
                ),
                "concordance_std_error": pl.Series(
                    [None if self.concordance is None else self.concordance.std_error],
                    dtype=pl.Float64,
                ),
                "loglik_null": [self.loglik[0]],
                "loglik": [self.loglik[1]],
                "iterations": [self.iterations],
                "converged": [self.converged],
                "aliased": [", ".join(self.aliased)],
                "infinite": [", ".join(self.infinite)],
            }
        )


def cox(
    data: FrameLike | SurvivalData,
    *,
    time: str | None = None,
    event: str | None = None,
    covariates: Sequence[str],
    strata: str | Sequence[str] | None = None,
    weight: str | None = None,
    cluster: str | None = None,
    ties: Ties = "efron",
    robust: bool | None = None,
    reference: Mapping[str, Any] | None = None,
    conf_level: float = 0.95,
    censor: str | None = None,
    entry: str | None = None,
) -> CoxResult:
    """Fit a Cox proportional hazards model (R ``coxph``).

    Parameters
    ----------
    data, time, event, strata, weight
        Data and column roles (see :meth:`SurvivalData.right_censored`); strata get separate
        baseline hazards. Rows with weight 0 are left out of the fit (SAS PHREG's rule).
    censor
        CDISC ADTTE ``CNSR``-style column (0 = event), in place of ``event``.
    entry
        Start of each row's time at risk: the row is at risk on (entry, time], R's
        ``Surv(entry, time, event)``. Counting-process data (time-varying covariates as
        several rows per subject, each over its own interval; give the subject as
        ``cluster`` for a robust variance summed per subject) or delayed entry (left
        truncation: one row per subject, entering the risk sets at ``entry``). It must be
        non-negative and below ``time`` on every row. Residuals, survival curves, the
        baseline hazard, the proportional-hazards test and the concordance follow R for such
        data.
    covariates
        Columns of the linear predictor: numeric/boolean as they are, text/categorical as
        indicators against a reference level (terms named ``arm[B]``). A covariate on a scale
        where its coefficient's variance falls outside double precision (values near 1e300)
        is an error naming it; any other scale gives the same fit as R.
    cluster
        Column identifying clusters for robust standard errors (implies ``robust=True``; giving
        it with ``robust=False`` is an error, since the cluster would be ignored).
    ties
        Handling of tied event times: ``"efron"`` (default, as R), ``"breslow"`` (SAS PHREG's
        default), ``"discrete"`` or ``"exact"``. The names differ between packages:
        survstat ``"discrete"`` is R ``coxph(ties="exact")`` and SAS ``TIES=DISCRETE`` (the
        conditional logistic likelihood of a discrete-time model); survstat ``"exact"`` is
        SAS ``TIES=EXACT`` (Kalbfleisch & Prentice's marginal likelihood of a continuous-time
        model whose ties come from rounding), which R does not offer. Without tied event
        times all four are the same likelihood. Ties are equal values of ``time`` (R's
        ``timefix`` also merges times that differ by floating-point rounding; survstat does
        not), so round times to the unit they were recorded in. With ``"discrete"`` and
        ``"exact"`` a case weight counts rows and must be a whole number (R refuses every
        case weight there); delayed entry and a robust variance (``cluster``,
        ``robust=True``) are refused, as are residuals other than martingale and deviance;
        survival curves, the baseline hazard and :meth:`CoxResult.zph` use Breslow's
        increments, as R after ``coxph(ties="exact")``.
    robust
        Sandwich variance; default as R ``coxph``: when ``cluster`` is given or the case
        weights are not all whole numbers (sampling weights such as IPTW), else the model
        variance.
    reference
        Reference level per categorical covariate, e.g. ``{"arm": "placebo"}``; naming a
        numeric covariate is an error.
    conf_level
        Level of the hazard-ratio intervals.

    Returns
    -------
    CoxResult
        The coefficient table (hazard ratios with intervals and Wald tests), the model's
        global tests and its convergence and aliasing status.

    Raises
    ------
    EstimationError
        No events, or no term that can be estimated (every covariate constant or aliased).
    OptionError
        ``cluster`` with ``robust=False``; with ``ties="discrete"`` or ``"exact"``, a robust
        variance, delayed entry or case weights that are not whole numbers.
    InvalidValueError
        A covariate on a scale outside double precision.

    Warns
    -----
    SurvstatWarning
        Aliased terms, infinite coefficients, or no convergence (the same three things R warns
        about); each is also in the ``status`` column and in :attr:`CoxResult.model`.

    References
    ----------
    .. [1] Cox DR (1972). Regression models and life-tables. J R Stat Soc B 34:187-220.
    .. [2] Efron B (1977). The efficiency of Cox's likelihood function for censored data.
       J Am Stat Assoc 72:557-565.
    .. [3] Therneau TM, Grambsch PM (2000). Modeling Survival Data: Extending the Cox Model.
       Springer.
    .. [4] Kalbfleisch JD, Prentice RL (1973). Marginal likelihoods based on Cox's regression
       and life model. Biometrika 60:267-278.
    .. [5] Gail MH, Lubin JH, Rubinstein LV (1981). Likelihood calculations for matched
       case-control studies and survival studies with tied death times. Biometrika
       68:703-707.
    .. [6] DeLong DM, Guirguis GH, So YC (1994). Efficient computation of subset selection
       probabilities with application to Cox regression. Biometrika 81:607-611.

    Examples
    --------
    >>> import survstat
    >>> fit = survstat.cox(survstat.datasets.load("gbsg2"), time="time", event="cens",
    ...                    covariates=["horTh", "age"])
    >>> fit.table.get_column("term").to_list()
    ['horTh[yes]', 'age']
    """
    check_choice("ties", ties, TIES)
    z_value(conf_level)  # validate before any work
    if cluster is not None and robust is False:
        raise OptionError(
            "`cluster` gives robust standard errors; with robust=False it would be ignored"
        )
    covariates = covariate_list(covariates)
    sd = as_survival_data(
        data, time=time, event=event, entry=entry, strata=strata, weight=weight, censor=censor
    )
    _check_exact_ties(ties, sd, cluster, robust)
    if not sd.rows.row_level:
        if ties in EXACT_TIES:
            raise EngineError(
                f'ties="{ties}" needs the rows in memory (its risk-set sums are not per-time '
                f"sums) and does not run on the {sd.engine} engine; use the polars engine or "
                'ties="efron" or "breslow"'
            )
        # the rows stay where they live: the model is fitted from the engine's per-time sums
        from survstat.estimators.cox_engine import cox_on_engine

        return cox_on_engine(
            sd,
            covariates,
            cluster=cluster,
            ties=ties,
            robust=robust,
            reference=reference,
            conf_level=conf_level,
        )
    cols = [
        *sd.strata,
        *([sd.entry] if sd.entry else []),
        sd.time,
        sd.event,
        *([sd.weight] if sd.weight else []),
    ]
    extra = [c for c in [*covariates, *([cluster] if cluster else [])] if c not in cols]
    available = sd.frame.collect_schema().names()
    for col in extra:
        if col not in available:
            role = "cluster" if col == cluster else "covariate"
            raise ColumnNotFoundError(col, available, role=role)
    frame = sd.frame.select(*cols, *extra).collect()
    _require_events(frame, sd)
    if ties in EXACT_TIES and sd.weight is not None:
        _require_whole_weights(frame, sd.weight, ties)
    if sd.weight is not None:
        frame = frame.filter(pl.col(sd.weight) > 0)
    design = design_matrix(frame, covariates, reference)
    lay, order, scaling = layout(frame, sd, design.matrix)
    fit = _newton(lay, ties, design.matrix.shape[1])
    status = _status(fit, lambda: float(np.max(np.abs(lay.x @ fit.beta))), design.terms, sd.strata)
    warn_status("Cox model", design.terms, status, fit.converged)
    if robust is None:
        # R coxph's rule: robust with clusters, or with case weights that are not all whole
        # numbers (sampling weights such as IPTW, for which the model variance is wrong)
        fractional = sd.weight is not None and bool(
            np.any(np.mod(frame.get_column(sd.weight).to_numpy(), 1.0) != 0)
        )
        use_robust = cluster is not None or fractional
    else:
        use_robust = bool(robust)
    cov_s = fit.var
    if use_robust:
        ids = None if cluster is None else frame.get_column(cluster).to_numpy()[order]
        cov_s = robust_covariance(fit.beta, fit.var, lay, ties, ids)
    beta, cov = unscale(fit.beta, cov_s, scaling, design.terms)
    _, naive = unscale(fit.beta, fit.var, scaling, design.terms)
    return CoxResult(
        table=term_table(design.terms, beta, cov, status, conf_level),
        tests=_tests(fit, cov_s, status),
        covariance=cov,
        naive_covariance=naive,
        loglik=(fit.first.loglik, fit.last.loglik),
        n=frame.height,
        n_event=int(np.sum(lay.event)),
        ties=ties,
        robust=use_robust,
        iterations=fit.iterations,
        converged=fit.converged,
        concordance=_concordance(
            lay,
            linear_predictor(lay.x, fit.beta),
            None if cluster is None else frame.get_column(cluster).to_numpy()[order],
        ),
        aliased=terms_with(design.terms, status, "aliased"),
        infinite=terms_with(design.terms, status, "infinite"),
        basis=CoxBasis(
            time=frame.get_column(sd.time).cast(pl.Float64).to_numpy(),
            event=frame.get_column(sd.event).cast(pl.Int8).to_numpy().astype(bool),
            weight=(
                frame.get_column(sd.weight).cast(pl.Float64).to_numpy()
                if sd.weight
                else np.ones(frame.height)
            ),
            entry=(frame.get_column(sd.entry).cast(pl.Float64).to_numpy() if sd.entry else None),
            x=design.matrix,
            strata=frame.select(sd.strata),
            terms=design.terms,
            beta=np.where(np.isfinite(beta), beta, 0.0),
            indicator=design.indicator,
            source=design.source,
            references=design.references,
            layout=lay,
            order=order,
            factor=scaling.factor,
            beta_scaled=fit.beta,
        ),
    )


def _check_exact_ties(
    ties: Ties, sd: SurvivalData, cluster: str | None, robust: bool | None
) -> None:
    """Refuse what ``ties="discrete"`` and ``ties="exact"`` do not define: delayed entry, and
    a robust variance (R refuses the dfbeta residuals it needs after ``ties="exact"``)."""
    if ties not in EXACT_TIES:
        return
    if sd.entry is not None:
        raise OptionError(
            f'ties="{ties}" is not available with delayed entry (`{sd.entry}`); use '
            'ties="efron" or "breslow"'
        )
    if cluster is not None or robust:
        given = f"cluster `{cluster}`" if cluster is not None else "robust=True"
        raise OptionError(
            f'ties="{ties}" has no robust variance ({given}): its score residuals are not '
            'defined (R refuses them after coxph(ties="exact")); use ties="efron" or "breslow"'
        )


def _require_whole_weights(frame: pl.DataFrame, weight: str, ties: Ties) -> None:
    """With ``ties="discrete"`` or ``"exact"`` a case weight counts rows, so it must be a
    whole number (R refuses every case weight with ``ties="exact"``)."""
    values = frame.get_column(weight).cast(pl.Float64).to_numpy()
    bad = np.flatnonzero(np.mod(values, 1.0) != 0)
    if len(bad):
        noun = "value" if len(bad) == 1 else "values"
        raise OptionError(
            f'`{weight}` (weight) must be whole numbers with ties="{ties}", where a case weight '
            f"counts rows; found {len(bad)} non-integer {noun} of {len(values)} rows (first: "
            f'{values[bad[0]]} at row {bad[0]}); use ties="efron" or "breslow" for '
            "sampling weights"
        )


def _concordance(lay: Layout, eta: np.ndarray, clusters: np.ndarray | None) -> Concordance:
    """Harrell's concordance of the linear predictor as R reports it for a ``coxph`` fit,
    with its infinitesimal-jackknife variance (summed within ``clusters``, in layout order,
    when the fit has them).

    With an entry column a pair is comparable only where the longer-lasting row is at risk at
    the other's event time (entry < t <= time: R's counting-process concordance). Each row
    then also enters as a record censored at its entry time with the opposite weight, which
    takes away exactly the pairs whose row entered at or after the event time; the two
    records of a row are one cluster, so the variance is that of the rows.
    """
    if lay.entry is None:
        # the layout's tied-time groups are the concordance's: rows at risk to their stratum's
        # earliest time
        groups = TimeGroups(lay.row_group, lay.group_first, lay.span_end[lay.group_start])
        return concordance_counts(
            lay.time,
            lay.event,
            eta,
            lay.w,
            lay.stratum_start,
            variance=True,
            cluster=clusters,
            groups=groups,
        )
    ids = np.arange(len(lay.time)) if clusters is None else clusters
    return concordance_counts(
        np.concatenate([lay.time, lay.entry]),
        np.concatenate([lay.event, np.zeros_like(lay.event)]),
        np.concatenate([eta, eta]),
        np.concatenate([lay.w, -lay.w]),
        np.concatenate([lay.stratum_start, lay.stratum_start]),
        variance=True,
        cluster=np.concatenate([ids, ids]),
    )


def _require_events(frame: pl.DataFrame, sd: SurvivalData) -> None:
    """An error when no row that enters the fit (weight above 0) records an event: the partial
    likelihood has no term (R ``coxph`` stops with "No (non-missing) observations")."""
    events = frame.get_column(sd.event).cast(pl.Int64)
    n_events = int(events.sum())
    if n_events == 0:
        raise EstimationError(
            f"`{sd.event}` records no event: all {frame.height} rows are censored; a Cox "
            "model has nothing to fit"
        )
    if sd.weight is None:
        return
    if not (events.filter(frame.get_column(sd.weight) > 0) > 0).any():
        raise EstimationError(
            f"`{sd.event}` records no event among the rows with a positive `{sd.weight}`: "
            f"its {n_events} event(s) all have weight 0 (rows of weight 0 are left out); a Cox "
            "model has nothing to fit"
        )


def _status(
    fit: _Fit, largest_lp: Callable[[], float], terms: tuple[str, ...], strata: tuple[str, ...]
) -> list[str]:
    """Aliased terms and infinite ones; an error when no term is left.

    Aliased: the zero pivots of the Cholesky decomposition of the information at 0, with
    :func:`information_floor` (R's ``which.sing`` takes them at the estimate, the same columns
    except below). Infinite: R ``coxph.fit``'s test, and a term whose information has fallen
    to a zero pivot along the way though it had information at 0: its likelihood has become
    flat in a diverging direction (R reports such a term as ``NA``, or, alone, fails to flag
    it; it is neither aliased nor estimable). ``largest_lp`` gives the largest absolute
    linear predictor at the estimate (or a bound on it), asked only when the fit did not
    converge.
    """
    aliased = fit.aliased
    collapsed = (np.diag(fit.var) == 0) & ~aliased
    if aliased.all():
        nested = ""
        if strata:
            listed = ", ".join(f"`{s}`" for s in strata)
            nested = f" (with strata {listed}, so is one that never varies within a stratum)"
        raise EstimationError(
            f"no term can be estimated: every covariate is constant within the risk sets{nested} "
            f"or a combination of the others ({', '.join(terms)})"
        )
    infinite = infinite_terms(fit.last.score, fit.var, fit.beta, ~aliased)
    if not fit.converged:
        # out of iterations, a large step means a diverging coefficient only where the
        # likelihood has stopped rising (the gain of a further Newton step, U'VU / 2, is within
        # the tolerance: step halving at a flat limit is why R runs out), or where R says so:
        # a linear predictor beyond 500 or a step that is not finite
        with np.errstate(over="ignore", invalid="ignore"):
            step = fit.last.score @ fit.var
            flat = 0.5 * float(step @ fit.last.score) <= EPS * abs(fit.last.loglik)
        lp = largest_lp()
        infinite &= flat or lp > 500 or not np.isfinite(step).all()
    return term_status(aliased, infinite | collapsed, fit.converged)


def _tests(fit: _Fit, cov_s: np.ndarray, status: list[str]) -> pl.DataFrame:
    """Likelihood-ratio, Wald and score tests on the non-aliased terms (R ``summary.coxph``)."""
    used = np.array([s != "aliased" for s in status])
    df = int(used.sum())
    stalled = not fit.converged and "infinite" not in status
    lr = None if stalled else 2.0 * (fit.last.loglik - fit.first.loglik)
    wald = None
    if not stalled and "infinite" not in status:
        wald = quadratic_form(fit.beta[used], cov_s[np.ix_(used, used)])
    wald_status = "not converged" if stalled else "infinite" if "infinite" in status else "ok"
    values = [lr, wald, fit.score_test]
    return pl.DataFrame(
        {
            "test": ["likelihood ratio", "wald", "score"],
            "statistic": pl.Series(values, dtype=pl.Float64),
            "df": [df, df, df],
            "p_value": pl.Series(
                [None if v is None else float(stats.chi2.sf(v, df)) for v in values],
                dtype=pl.Float64,
            ),
            "status": ["not converged" if stalled else "ok", wald_status, "ok"],
        }
    )
