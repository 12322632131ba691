"""Plots of survival curves (matplotlib)."""

from __future__ import annotations

from typing import Any

import numpy as np


def plot_step_curves(
    result: Any, ax: Any = None, *, conf_int: bool = True, censor_marks: bool = True
) -> Any:
    """Draw each curve of a Kaplan-Meier result as a right-continuous step function.

    Curves start at (0, 1); pointwise intervals are shaded; ``+`` marks censoring times.
    Returns the matplotlib Axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    rt = result.risk
    labels = rt.curve_labels()
    for i in range(rt.n_curves):
        sl = slice(rt.offsets[i], rt.offsets[i + 1])
        t = np.concatenate([[0.0], rt.time[sl]])
        s = np.concatenate([[1.0], result.surv[sl]])
        (line,) = ax.step(t, s, where="post", label=labels[i])
        if conf_int:
            lo = np.concatenate([[1.0], result.conf_low[sl]])
            hi = np.concatenate([[1.0], result.conf_high[sl]])
            ax.fill_between(t, lo, hi, step="post", alpha=0.2, color=line.get_color(), lw=0)
        if censor_marks:
            cens = rt.n_censor[sl] > 0
            ax.plot(rt.time[sl][cens], result.surv[sl][cens], "+", color=line.get_color(), ms=6)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("time")
    ax.set_ylabel("survival probability")
    if rt.groups:
        ax.legend(frameon=False)
    return ax
