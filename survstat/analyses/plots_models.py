"""Figures of a fitted model's diagnostics: the library call behind ``survstat plot zph`` and
job plot steps (listed in :data:`survstat.analyses.plots.PLOTS`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from survstat._choices import Ties, ZphTransform
from survstat.analyses._core import Analysis, names
from survstat.analyses._declare import Data, Option
from survstat.analyses._options import (
    Adsl,
    Censor,
    Covariates,
    Dpi,
    Param,
    ParamColumn,
    Population,
    Strata,
    Title,
    TteEvent,
    TteTime,
    Weight,
    XLabel,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def zph_plot(
    data: Data,
    adsl: Adsl = None,
    *,
    time: TteTime = None,
    event: TteEvent = None,
    censor: Censor = None,
    param: Param = None,
    param_column: ParamColumn = "PARAMCD",
    population: Population = None,
    covariates: Covariates,
    strata: Strata = None,
    ties: Annotated[Ties, Option(help="Tie handling of the Cox fit: efron or breslow.")] = "efron",
    weight: Weight = None,
    transform: Annotated[
        ZphTransform,
        Option(
            help="Time scale of the residuals and the test: km (default, R cox.zph's), rank, "
            "identity or log."
        ),
    ] = "km",
    xlabel: XLabel = "time",
    title: Title = None,
    width: Annotated[
        float | None,
        Option(
            help="Figure width in inches (default 4.6 per panel column, two columns at most); "
            "the height follows in proportion.",
            min=3.0,
            max=30.0,
        ),
    ] = None,
    dpi: Dpi = 150,
) -> Any:
    """Scaled Schoenfeld residuals of a Cox fit against time, per model column, with their
    natural-spline smooth and ±2 standard-error band (R plot(cox.zph(fit))): a smooth that
    stays flat along the dashed estimate is what proportional hazards look like. Each panel's
    title gives the column's cox.zph test p-value.

    Example: `survstat plot zph gbsg2.parquet --time time --event cens --covariates
    horTh,age,tgrade -o zph.png`

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    from survstat.adsl import with_adsl
    from survstat.data import SurvivalData, tte_roles
    from survstat.estimators.cox import cox
    from survstat.plot_series.zph import zph_figure

    data, time, event = tte_roles(
        data, time=time, event=event, censor=censor, param=param, param_column=param_column
    )
    sd = SurvivalData.right_censored(
        with_adsl(data, adsl, population=population).data,
        time=time,
        event=event,
        strata=names(strata),
        weight=weight,
    )
    fit = cox(sd, covariates=covariates, ties=ties)
    return zph_figure(fit, transform=transform, xlabel=xlabel, title=title, width=width, dpi=dpi)


#: The figures of a model's diagnostics, by the name used in ``survstat plot NAME``.
MODEL_PLOTS: tuple[Analysis[Figure], ...] = (Analysis("zph", zph_plot),)
