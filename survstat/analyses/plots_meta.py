"""Forest plot of a meta-analysis: the library call behind ``survstat plot meta`` and job plot
steps (listed in :data:`survstat.analyses.plots.PLOTS`).

The figure reads the per-trial table, the same table and column options as ``survstat meta``,
and pools it with :func:`survstat.meta_analysis` before drawing, so a job's ``meta`` step and
its ``plot meta`` step name the same input and give the same numbers.

The layout is that of the forest plots of Cochrane reviews (Cochrane Handbook for Systematic
Reviews of Interventions, version 6.4, 2023, chapter 10). The random-effects diamond is
DerSimonian & Laird's (1986, Control Clin Trials 7:177) or REML's (Viechtbauer 2005, J Educ
Behav Stat 30:261), optionally with the Hartung & Knapp (2001, Stat Med 20:3875) adjustment;
the trials' weights are those of the model drawn, and the heterogeneity line gives tau², I²
and Cochran's Q (I² and H²: Higgins & Thompson 2002, Stat Med 21:1539).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from survstat._choices import MetaFixed, MetaMeasure, MetaRandom
from survstat.analyses._core import Analysis
from survstat.analyses._declare import Column, Data, Option
from survstat.analyses._options import ConfLevel, Dpi, Title

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: The pooled row (``method`` of :attr:`MetaAnalysisResult.pooled`) of each choice.
RANDOM_METHODS = {
    "reml": "REML",
    "dl": "DerSimonian-Laird",
    "reml-hk": "REML + Hartung-Knapp",
    "dl-hk": "DerSimonian-Laird + Hartung-Knapp",
}
FIXED_METHODS = {"mh": "Mantel-Haenszel", "iv": "inverse variance", "none": None}


def meta_plot(
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
    random: Annotated[
        MetaRandom,
        Option(
            help="Random-effects diamond and prediction interval: reml (default), dl "
            "(DerSimonian-Laird), or either with the Hartung-Knapp adjustment (reml-hk, dl-hk)."
        ),
    ] = "reml",
    fixed: Annotated[
        MetaFixed,
        Option(help="Fixed-effect diamond: mh (Mantel-Haenszel, default), iv or none."),
    ] = "mh",
    treatment: Annotated[str, Option(help="Header of the treatment arm's counts.")] = "Treatment",
    control: Annotated[str, Option(help="Header of the control arm's counts.")] = "Control",
    favours_left: Annotated[
        str | None,
        Option(
            help="Arm that an estimate left of the line of no effect favours, written under the "
            "axis (with --favours-right). For a ratio of treatment to control that is the "
            "treatment for a harmful outcome (death) and the control for a good one (pCR)."
        ),
    ] = None,
    favours_right: Annotated[
        str | None,
        Option(
            help="Arm that an estimate right of the line of no effect favours (with "
            "--favours-left)."
        ),
    ] = None,
    conf_level: ConfLevel = 0.95,
    title: Title = None,
    width: Annotated[
        float, Option(help="Figure width in inches; the height follows the trials.", min=6.0)
    ] = 9.0,
    dpi: Dpi = 150,
) -> Any:
    """Forest plot of a meta-analysis in the layout of Cochrane reviews: each trial's events
    and patients per arm, its weight in the random-effects model drawn (headed "Weight (REML)"
    or "Weight (DL)"), its estimate as a square sized by that weight with its interval, and
    its estimate as text; the pooled fixed-effect and random-effects estimates as diamonds,
    the random-effects prediction interval, and the heterogeneity (tau², I², Cochran's Q).

    DATA is the per-trial table `survstat meta` reads (one row per trial, events and patients
    per arm), named by the same options; the numbers drawn are those `survstat meta` writes.
    Ratios are drawn on a log axis, the risk difference on a linear one.

    Example: `survstat plot meta bcg_trials.parquet --study study --events-treatment
    tb_vaccinated --n-treatment n_vaccinated --events-control tb_control --n-control n_control
    --measure RR --treatment BCG -o meta_forest.png`

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    from survstat._choices import META_FIXED, META_RANDOM
    from survstat.errors import OptionError, check_choice
    from survstat.estimators.meta_analysis import meta_analysis
    from survstat.plot_series.meta import meta_forest_figure

    check_choice("random", random, META_RANDOM)
    check_choice("fixed", fixed, META_FIXED)
    if (favours_left is None) != (favours_right is None):
        raise OptionError(
            "`favours_left` and `favours_right` go together: give both or neither (got "
            f"favours_left={favours_left!r}, favours_right={favours_right!r})"
        )
    favours = (favours_left, favours_right) if favours_left and favours_right else None
    result = meta_analysis(
        data,
        events_treatment=events_treatment,
        n_treatment=n_treatment,
        events_control=events_control,
        n_control=n_control,
        study=study,
        measure=measure,
        conf_level=conf_level,
    )
    return meta_forest_figure(
        result,
        random=RANDOM_METHODS[random],
        fixed=FIXED_METHODS[fixed],
        treatment=treatment,
        control=control,
        title=title,
        favours=favours,
        width=width,
        dpi=dpi,
    )


#: The figures of a meta-analysis, by the name used in ``survstat plot NAME``.
META_PLOTS: tuple[Analysis[Figure], ...] = (Analysis("meta", meta_plot),)
