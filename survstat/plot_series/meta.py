"""Forest plot of a meta-analysis (:func:`survstat.meta_analysis`), in the layout of Cochrane
reviews (RevMan; Cochrane Handbook, chapter 10): per trial its events and patients in each arm
and its weight on the left, its estimate as a square sized by that weight with the interval in
the middle, the estimate and interval as text on the right; under the trials the pooled
estimates as diamonds, the random-effects prediction interval as a line, and the heterogeneity
statistics.

The weights shown are those of the random-effects model drawn, 1 / (v_i + tau^2) with its
tau^2 (DerSimonian & Laird 1986, or REML: Viechtbauer 2005; the Hartung & Knapp 2001
adjustment changes the interval, not the weights), and the header names that model.

References
----------
1. Higgins JPT, Thomas J, Chandler J, et al. (eds). Cochrane Handbook for Systematic Reviews
   of Interventions, version 6.4, 2023, chapter 10.
2. DerSimonian R, Laird N. Meta-analysis in clinical trials. Control Clin Trials
   1986;7:177-188.
3. Viechtbauer W. Bias and efficiency of meta-analytic variance estimators in the
   random-effects model. J Educ Behav Stat 2005;30:261-293.
4. Hartung J, Knapp G. A refined method for the meta-analysis of controlled clinical trials
   with binary outcome. Stat Med 2001;20:3875-3889.
5. Higgins JPT, Thompson SG. Quantifying heterogeneity in a meta-analysis. Stat Med
   2002;21:1539-1558 (I², H²).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from survstat.errors import OptionError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from survstat.estimators.meta_analysis import MetaAnalysisResult

_MEASURE_LABEL = {"OR": "odds ratio", "RR": "risk ratio", "RD": "risk difference"}
_ROW = 0.24  # inches per line
_FONT = 8.0
#: The short name of each random-effects model in the header of the weights.
_WEIGHT_MODEL = {"REML": "REML", "DerSimonian-Laird": "DL"}


def random_weights(result: MetaAnalysisResult, method: str) -> list[float]:
    """The trials' percentage weights in the random-effects model of the pooled row ``method``.

    Parameters
    ----------
    result
        The meta-analysis (:func:`survstat.meta_analysis`).
    method
        A random-effects row of :attr:`MetaAnalysisResult.pooled` (``"REML"``,
        ``"DerSimonian-Laird"``, or either with ``" + Hartung-Knapp"``, which has the same
        weights).

    Returns
    -------
    list of float
        Per trial, 100 w_i / sum w with w_i = 1 / (v_i + tau^2) and the row's tau^2: R
        ``weights()`` of ``rma(method = "REML")`` or ``rma(method = "DL")``.
    """
    if method.split(" + ")[0] == "REML":  # the result's own random-effects weights
        return [float(w) for w in result.studies.get_column("weight_random")]
    rows = [r for r in result.pooled.iter_rows(named=True) if r["method"] == method]
    tau2 = rows[0]["tau2"] if rows else None
    if tau2 is None:
        return [math.nan] * result.studies.height
    inverse = [1.0 / (v + tau2) for v in result.studies.get_column("vi")]
    return [100.0 * w / sum(inverse) for w in inverse]


def _number(value: float | None, measure: str) -> str:
    if value is None or not math.isfinite(value):
        return "NE"
    return f"{value:.2f}" if measure != "RD" else f"{value:+.3f}"


def _interval(est: float | None, low: float | None, high: float | None, measure: str) -> str:
    if est is None:
        return "not estimable"
    return f"{_number(est, measure)} [{_number(low, measure)}, {_number(high, measure)}]"


def _p_text(p: float | None) -> str:
    if p is None:
        return "NE"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def meta_forest_figure(
    result: MetaAnalysisResult,
    *,
    random: str = "REML",
    fixed: str | None = "Mantel-Haenszel",
    treatment: str = "Treatment",
    control: str = "Control",
    title: str | None = None,
    favours: tuple[str, str] | None = None,
    width: float = 9.0,
    dpi: float = 100.0,
) -> Figure:
    """Forest plot of a meta-analysis: the trials, the pooled fixed- and random-effects
    estimates as diamonds, the prediction interval and the heterogeneity.

    Ratios are drawn on a log axis, the risk difference on a linear one; the line of no
    effect is dashed. Squares have an area proportional to the trial's weight in the
    random-effects model drawn (:func:`random_weights`); the header of the weights names that
    model ("Weight (REML)", "Weight (DL)").

    Parameters
    ----------
    result
        The meta-analysis (:func:`survstat.meta_analysis`).
    random
        The random-effects row of :attr:`MetaAnalysisResult.pooled` to draw (its ``method``:
        ``"REML"``, ``"DerSimonian-Laird"``, or either with ``" + Hartung-Knapp"``); its
        prediction interval is drawn under its diamond.
    fixed
        The fixed-effect row to draw too (``"Mantel-Haenszel"`` or ``"inverse variance"``);
        None for none.
    treatment, control
        Column headers of the two arms.
    title
        Title of the figure; None for none.
    favours
        The arms that the left and the right side of the line of no effect favour, written
        under the axis as "← favours LEFT" and "favours RIGHT →"; None for none. Which arm a
        side favours depends on the outcome: with a ratio of treatment to control, a ratio
        below 1 favours the treatment for a harmful outcome (death, toxicity) and the control
        for a good one (pCR, response).
    width
        Width of the figure in inches.
    dpi
        Resolution of the figure in dots per inch (of a PNG file written from it).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.

    Raises
    ------
    OptionError
        A ``random`` or ``fixed`` method that the result does not have, or a ``random`` row
        that is not a random-effects one.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    pooled = {r["method"]: r for r in result.pooled.iter_rows(named=True)}
    methods = [m for m in (fixed, random) if m is not None]
    for m in methods:
        if m not in pooled:
            raise OptionError(f"no pooled row {m!r}; methods: {list(pooled)}")
    if pooled[random]["model"] != "random":
        raise OptionError(f"{random!r} is not a random-effects row; methods: {list(pooled)}")
    weights = random_weights(result, random)
    model = _WEIGHT_MODEL.get(random.split(" + ")[0], random)
    measure = result.measure
    log = measure != "RD"
    studies = result.studies.to_dicts()
    label_column = result.studies.columns[0]
    # rows top down: the header, the trials, the pooled rows (a random-effects row with its
    # prediction interval under it), the heterogeneity line
    n_pi = sum(1 for m in methods if pooled[m]["model"] == "random" and pooled[m]["pi_low"])
    top = 1.3 + len(studies) + 0.4 + len(methods) + 0.8 * n_pi + 0.2
    bottom = -0.8  # room for the heterogeneity line
    # inches: the x axis, its label and the favours line under it; the title
    lower, upper = 0.62 + (0.17 if favours else 0.0), 0.45 if title else 0.15
    height = _ROW * (top - bottom + 0.5) + lower + upper
    fig = plt.figure(figsize=(width, height), dpi=dpi)
    left, plot_w = 0.47, 0.27
    y0, y1 = lower / height, 1 - upper / height
    ax = fig.add_axes((left, y0, plot_w, y1 - y0))
    ax.set_ylim(bottom, top + 0.5)
    y_header = top

    def text(x: float, y: float, s: str, **kw: Any) -> None:
        frac = (y - bottom) / (top + 0.5 - bottom)
        fig.text(x, y0 + (y1 - y0) * frac, s, fontsize=_FONT, va="center", **kw)

    cols = (0.01, left - 0.20, left - 0.12, left - 0.015)
    text(cols[0], y_header, label_column.capitalize(), weight="bold")
    text(cols[1], y_header, f"{treatment}\nevents/N", ha="right", weight="bold")
    text(cols[2], y_header, f"{control}\nevents/N", ha="right", weight="bold")
    text(cols[3], y_header, f"Weight\n({model})", ha="right", weight="bold")
    level = f"{result.conf_level * 100:g}%"
    text(left + plot_w + 0.015, y_header, f"{measure} [{level} CI]", weight="bold")
    points: list[float] = []
    y = top - 1.3
    heaviest = max((w if math.isfinite(w) else 0.0) for w in weights) or 1.0
    for s, w in zip(studies, weights, strict=True):
        text(cols[0], y, str(s[label_column]))
        text(cols[1], y, f"{s['events_treatment']}/{s['n_treatment']}", ha="right")
        text(cols[2], y, f"{s['events_control']}/{s['n_control']}", ha="right")
        text(cols[3], y, f"{w:.1f}%" if math.isfinite(w) else "NE", ha="right")
        text(
            left + plot_w + 0.015,
            y,
            _interval(s["estimate"], s["conf_low"], s["conf_high"], measure),
        )
        ax.plot([s["conf_low"], s["conf_high"]], [y, y], color="0.2", lw=0.9)
        size = 4 + 80 * (w if math.isfinite(w) else 0.0) / heaviest
        ax.scatter([s["estimate"]], [y], marker="s", s=size, color="0.2", zorder=3)
        points += [s["conf_low"], s["conf_high"]]
        y -= 1
    y -= 0.4
    for m in methods:
        row = pooled[m]
        label = ("Random effects, " if row["model"] == "random" else "Fixed effect, ") + m
        text(cols[0], y, label, weight="bold")
        est, low, high = row["estimate"], row["conf_low"], row["conf_high"]
        text(left + plot_w + 0.015, y, _interval(est, low, high, measure), weight="bold")
        if est is not None and low is not None and high is not None:
            colour = "#0072B2" if row["model"] == "random" else "#D55E00"
            ax.fill([low, est, high, est], [y, y + 0.32, y, y - 0.32], color=colour, zorder=3)
            points += [low, high]
        if row["model"] == "random" and row["pi_low"] is not None:
            y -= 0.8
            text(cols[0], y, "   prediction interval")
            text(
                left + plot_w + 0.015,
                y,
                f"[{_number(row['pi_low'], measure)}, {_number(row['pi_high'], measure)}]",
            )
            ax.plot([row["pi_low"], row["pi_high"]], [y, y], color="#0072B2", lw=2.2)
            points += [row["pi_low"], row["pi_high"]]
        y -= 1
    het = pooled[random]
    text(
        cols[0],
        y + 0.2,
        f"Heterogeneity: τ² = {het['tau2']:.3f}; I² = {het['i2']:.0f}%; "
        f"Q = {het['q']:.2f} (df = {het['q_df']}), {_p_text(het['q_p_value'])}",
    )
    finite = [p for p in points if p is not None and math.isfinite(p) and (p > 0 or not log)]
    null = 1.0 if log else 0.0
    lo, hi = min([*finite, null]), max([*finite, null])
    if log:
        ax.set_xscale("log")
        ax.set_xlim(lo / 1.15, hi * 1.15)
    else:
        pad = 0.05 * (hi - lo or 1.0)
        ax.set_xlim(lo - pad, hi + pad)
    ax.axvline(null, color="0.4", ls="--", lw=0.8)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="x", labelsize=_FONT)
    ax.set_xlabel(f"{_MEASURE_LABEL[measure]} ({level} CI)", fontsize=_FONT)
    if log:
        from matplotlib.ticker import FixedLocator, FuncFormatter

        # the usual forest-plot ticks (0.1, 0.2, 0.5, 1, 2, 5, 10, ...) inside the axis
        low, high = ax.get_xlim()
        ticks = [m * 10.0**e for e in range(-4, 5) for m in (1, 2, 5)]
        inside = [t for t in ticks if low <= t <= high]
        if len(inside) > 9:  # a wide axis: decades only, so that the labels do not collide
            inside = [t for t in inside if f"{t:g}".lstrip("0.").startswith("1")]
        ax.xaxis.set_major_locator(FixedLocator(inside))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    if favours:
        y_favours = 0.06 / height
        fig.text(left, y_favours, f"← favours {favours[0]}", fontsize=_FONT, va="bottom")
        fig.text(
            left + plot_w,
            y_favours,
            f"favours {favours[1]} →",
            fontsize=_FONT,
            va="bottom",
            ha="right",
        )
    if title:
        fig.suptitle(title, fontsize=_FONT + 2, x=0.01, ha="left", y=1 - 0.12 / height)
    return fig


__all__ = ["meta_forest_figure", "random_weights"]
