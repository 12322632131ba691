"""Meta-analysis across trials: meta.

The function is the declaration of its command (see :mod:`survstat.analyses._declare`); the
estimator loads when it runs.
"""

from __future__ import annotations

from typing import Annotated

from survstat._choices import MetaMeasure
from survstat.analyses._core import Analysis, AnalysisOutput, Extra
from survstat.analyses._declare import Column, Data, Option
from survstat.analyses._options import ConfLevel


def meta(
    data: Data,
    *,
    events_treatment: Annotated[str, Column("data", help="Events in the treatment arm.")],
    n_treatment: Annotated[str, Column("data", help="Patients in the treatment arm.")],
    events_control: Annotated[str, Column("data", help="Events in the control arm.")],
    n_control: Annotated[str, Column("data", help="Patients in the control arm.")],
    study: Annotated[str | None, Column("data", help="Column naming the trials.")] = None,
    measure: Annotated[
        MetaMeasure, Option(help="OR (odds ratio), RR (risk ratio) or RD (risk difference).")
    ] = "OR",
    conf_level: ConfLevel = 0.95,
) -> AnalysisOutput:
    """Meta-analysis of a two-arm binary outcome across trials (R metafor rma.mh and rma).

    One row per method: model, method (Mantel-Haenszel, inverse variance, DerSimonian-Laird,
    REML, the last two also with Hartung-Knapp), k, estimate, conf_low, conf_high, statistic,
    df, p_value, pi_low, pi_high (prediction interval), tau2, i2, h2, q, q_df, q_p_value.
    Beside it (studies): each trial's counts, effect (yi, vi, estimate with its interval) and
    weights in the fixed- and random-effects (REML) models.

    Example: `survstat meta bcg_trials.parquet --study study --events-treatment tb_vaccinated
    --n-treatment n_vaccinated --events-control tb_control --n-control n_control --measure RR`

    Returns
    -------
    AnalysisOutput
        The pooled estimates, with the ``studies`` extra.
    """
    from survstat.estimators.meta_analysis import meta_analysis

    res = meta_analysis(
        data,
        events_treatment=events_treatment,
        n_treatment=n_treatment,
        events_control=events_control,
        n_control=n_control,
        study=study,
        measure=measure,
        conf_level=conf_level,
    )
    return AnalysisOutput(
        res.pooled,
        f"Meta-analysis of {res.studies.height} trials ({measure})",
        res.studies.height,
        extras=(Extra("studies", "Trials: effects and weights", res.studies),),
    )


META_ANALYSES = (Analysis("meta", meta),)
