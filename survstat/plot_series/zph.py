"""Scaled Schoenfeld residuals against time with their smooth: how each coefficient of a Cox
fit drifts (R ``plot(cox.zph(fit, terms=FALSE))``).

One panel per model column: the residuals as points, the natural-spline smooth and its ±2
standard-error band (:func:`survstat.estimators.cox_zph.zph_smooth`), the estimate as a
dashed line (a flat smooth along it is what proportional hazards look like) and the test's
p-value in the title. For the ``km`` and ``rank`` time scales the axis is labelled in the
original times, as R labels it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from survstat._choices import ZphTransform
from survstat.plot_series._common import OKABE_ITO

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from survstat.estimators.cox import CoxResult


def _time_ticks(x: np.ndarray, time: np.ndarray) -> tuple[list[float], list[str]]:
    """Ticks on the transformed axis labelled with rounded original times, picked as R picks
    them (8 points equally spaced inside the axis, times rounded to 2 significant digits),
    less those that rounding brought too close to the one before."""
    order = np.argsort(x, kind="stable")
    xs, ts = x[order], time[order]
    keep = np.r_[True, np.diff(xs) > 0]
    xs, ts = xs[keep], ts[keep]
    if len(xs) < 2:
        return [], []
    inside = np.linspace(xs.min(), xs.max(), 17)[1::2][:8]
    times = np.interp(inside, xs, ts)
    rounded = [float(f"{t:.2g}") for t in times]
    at = np.interp(rounded, ts, xs)
    # rounding can bring two ticks together: keep those at least 1/7 of the axis apart
    gap = (xs.max() - xs.min()) / 7
    kept: list[tuple[float, str]] = []
    for a, t in zip(at, rounded, strict=True):
        if not kept or a - kept[-1][0] >= gap:
            kept.append((float(a), f"{t:g}"))
    return [a for a, _ in kept], [label for _, label in kept]


def zph_figure(
    fit: CoxResult,
    *,
    transform: ZphTransform = "km",
    df: int = 4,
    xlabel: str = "Time",
    title: str | None = None,
    width: float | None = None,
    dpi: float | None = None,
) -> Figure:
    """Scaled Schoenfeld residuals of each model column against time, with their smooth.

    Parameters
    ----------
    fit
        A fit of :func:`survstat.cox`.
    transform
        The time scale: ``km`` (default), ``rank``, ``identity`` or ``log``.
    df
        Degrees of freedom of the smooth (4 as R).
    xlabel
        Label of the time axes.
    title
        The figure's title; None for none.
    width
        Width of the figure in inches; None: 4.6 per panel column (two columns at most).
        The height follows in proportion.
    dpi
        Resolution (dots per inch) :func:`survstat.plot.save_figure` writes PNG files at;
        None: 150.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per model column.

    Raises
    ------
    OptionError
        A width or resolution out of :data:`~survstat.plot_curves.style.SIZE_RANGE` or
        :data:`~survstat.plot_curves.style.DPI_RANGE`.
    """
    import matplotlib.pyplot as plt

    from survstat.estimators.cox_zph import cox_zph, zph_smooth
    from survstat.plot import DEFAULT_DPI
    from survstat.plot_curves.style import check_size

    dpi = DEFAULT_DPI if dpi is None else dpi
    check_size(width, None, dpi)

    residuals, smooth = zph_smooth(fit, transform=transform, df=df)
    tests = dict(
        cox_zph(fit, transform=transform, terms=False).table.select("term", "p_value").rows()
    )
    coefs = dict(fit.table.select("term", "coef").rows())
    terms = list(dict.fromkeys(residuals["term"].to_list()))
    cols = min(2, len(terms))
    rows = math.ceil(len(terms) / cols)
    scale = 1.0 if width is None else width / (4.6 * cols)
    fig, axes = plt.subplots(
        rows,
        cols,
        figsize=(4.6 * cols * scale, 3.4 * rows * scale),
        dpi=dpi,
        layout="constrained",
        squeeze=False,
    )
    for ax, term in zip(axes.flat, terms, strict=False):
        r = residuals.filter(term=term)
        s = smooth.filter(term=term)
        x, t = r["x"].to_numpy(), r["time"].to_numpy()
        ax.scatter(x, r["residual"].to_numpy(), s=9, color="0.55", alpha=0.6, lw=0)
        ax.plot(s["x"].to_numpy(), s["estimate"].to_numpy(), color=OKABE_ITO[0], lw=1.8)
        ax.fill_between(
            s["x"].to_numpy(),
            s["conf_low"].to_numpy(),
            s["conf_high"].to_numpy(),
            color=OKABE_ITO[0],
            alpha=0.15,
            lw=0,
        )
        coef = coefs.get(term)
        if coef is not None:
            ax.axhline(coef, color="0.3", ls="--", lw=0.9)
        if transform in ("km", "rank"):
            at, labels = _time_ticks(x, t)
            ax.set_xticks(at, labels)
        elif transform == "log":
            ax.set_xticks(ax.get_xticks(), [f"{math.exp(v):.3g}" for v in ax.get_xticks()])
            ax.set_xlim(float(x.min()), float(x.max()))
        ax.set_xlabel(xlabel, parse_math=False)
        ax.set_ylabel(f"Beta(t) for {term}", parse_math=False)
        p = tests.get(term)
        ax.set_title(
            f"{term}: p = {p:.3g}" if p is not None else term, fontsize=9, parse_math=False
        )
    for ax in list(axes.flat)[len(terms) :]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, parse_math=False)
    return fig


__all__ = ["zph_figure"]
