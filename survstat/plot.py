"""Plots of survival curves (matplotlib), and the one function that writes a figure.

The results' ``.plot()`` methods draw with :func:`plot_step_curves` and
:func:`plot_incidence_curves`; the KMunicate figures :func:`km_figure` and
:func:`cif_figure` live in :mod:`survstat.plot_curves` and are imported here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from survstat._choices import FORMATS
from survstat._clock import source_date_epoch
from survstat.errors import OptionError, OutputPathError
from survstat.io import write_atomically
from survstat.plot_curves import (
    DEFAULT_DPI,
    DPI_RANGE,
    LINESTYLES,
    PALETTE,
    SIZE_RANGE,
    cif_figure,
    km_figure,
    level_names,
)
from survstat.plot_curves.style import curve_style, literal, reading_order
from survstat.plot_forest import forest_figure as forest_figure  # moved; re-exported
from survstat.plot_forest import subgroups_forest_figure as subgroups_forest_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from survstat.estimators.cumulative_incidence import CumulativeIncidenceResult
    from survstat.estimators.kaplan_meier import KaplanMeierResult
    from survstat.risk import RiskTable

__all__ = [
    "DEFAULT_DPI",
    "DPI_RANGE",
    "LINESTYLES",
    "PALETTE",
    "SIZE_RANGE",
    "cif_figure",
    "forest_figure",
    "km_figure",
    "level_names",
    "plot_incidence_curves",
    "plot_step_curves",
    "save_figure",
    "subgroups_forest_figure",
]

#: Salt of the ids matplotlib gives SVG elements: fixed, so that the ids are the same each run.
_SVG_HASHSALT = "survstat"


def save_figure(fig: Figure, path: str | os.PathLike[str], *, dpi: float | None = None) -> Path:
    """Write ``fig`` to ``path`` atomically, with the same bytes for the same figure.

    Used by ``survstat plot ...`` and by job plot steps alike. The format comes from the
    file name (.png, .svg or .pdf). Reproducible bytes (https://reproducible-builds.org):
    SVG element ids are hashed with a fixed salt (matplotlib's ``svg.hashsalt``, random by
    default) and the date written into SVG (``Date``) and PDF (``CreationDate``) files is
    ``SOURCE_DATE_EPOCH`` when set, else none at all; PNG files carry no date.

    Parameters
    ----------
    fig
        A matplotlib Figure.
    path
        The file to write; missing parent folders are created.
    dpi
        Resolution of raster output (PNG) and of raster parts of vector files; None (default):
        the figure's own (150 for survstat's figures unless asked otherwise, enough for print
        at the size of a journal column), so that a PNG is the figure's size in inches times
        its dpi in pixels.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    OutputPathError
        When the file name does not end in .png, .svg or .pdf, or the file cannot be written.
    """
    import matplotlib

    target = Path(path)
    fmt = target.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        allowed = ", ".join("." + f for f in FORMATS)
        raise OutputPathError(f"figure file `{target}` must end in {allowed}")
    when = source_date_epoch()
    metadata: dict[str, Any] = {
        "png": {},
        "svg": {"Date": None if when is None else when.isoformat()},
        "pdf": {"CreationDate": when},
    }[fmt]
    with matplotlib.rc_context({"svg.hashsalt": _SVG_HASHSALT}):
        return write_atomically(
            target,
            lambda tmp: fig.savefig(
                tmp, format=fmt, dpi="figure" if dpi is None else dpi, metadata=metadata
            ),
        )


def plot_step_curves(
    result: KaplanMeierResult,
    ax: Axes | None = None,
    *,
    conf_int: bool = True,
    censor_marks: bool = True,
) -> Axes:
    """Draw each curve of a Kaplan-Meier result as a right-continuous step function.

    Curves start at (0, 1); pointwise intervals are shaded; ``+`` marks censoring times. The
    curves take the colours, line styles and names of :func:`km_figure` (the Okabe-Ito
    palette, the group levels), and the legend, titled with the group columns, sits above
    the plot, off the curves.

    Parameters
    ----------
    result
        The fitted curves.
    ax
        The matplotlib Axes to draw on; None (default) opens a new 7 x 4.5 inch figure.
    conf_int
        Shade the pointwise confidence bands.
    censor_marks
        Mark censoring times with ``+``.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.
    """
    rt = result.risk
    ax = _step_axes(ax)
    lines = []
    for i in range(rt.n_curves):
        sl = slice(rt.offsets[i], rt.offsets[i + 1])
        line = _step(
            ax,
            i,
            np.concatenate([[0.0], rt.time[sl]]),
            np.concatenate([[1.0], result.surv[sl]]),
            (
                (
                    np.concatenate([[1.0], result.conf_low[sl]]),
                    np.concatenate([[1.0], result.conf_high[sl]]),
                )
                if conf_int
                else None
            ),
        )
        if censor_marks:
            cens = rt.n_censor[sl] > 0
            ax.plot(rt.time[sl][cens], result.surv[sl][cens], "+", ms=6, **_mark(i))
        lines.append(line)
    ax.set_ylabel("survival probability")
    _step_legend(ax, rt, lines)
    return ax


def plot_incidence_curves(
    result: CumulativeIncidenceResult,
    ax: Axes | None = None,
    *,
    cause: object = None,
    conf_int: bool = True,
) -> Axes:
    """Draw the cumulative incidence of one cause, one step curve per group.

    Curves start at (0, 0); pointwise intervals are shaded. Colours, line styles, names and
    legend as :func:`plot_step_curves`.

    Parameters
    ----------
    result
        The fitted cumulative incidence curves.
    ax
        The matplotlib Axes to draw on; None (default) opens a new 7 x 4.5 inch figure.
    cause
        The cause to draw, one of ``result.causes``; None (default) draws the first.
    conf_int
        Shade the pointwise confidence bands.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Raises
    ------
    OptionError
        When ``cause`` is not one of the result's causes.
    """
    import polars as pl

    if cause is None:
        if not result.causes:
            raise OptionError("the cumulative incidence result has no cause to draw")
        cause = result.causes[0]
    if cause not in result.causes:
        raise OptionError(
            f"`cause` must be one of the result's causes "
            f"({', '.join(repr(c) for c in result.causes)}); got {cause!r}"
        )
    k = list(result.causes).index(cause)
    rt = result.risk
    rows = result.table.filter(pl.col("cause") == cause)
    ax = _step_axes(ax)
    lines = []
    for i in range(rt.n_curves):
        sl = slice(rt.offsets[i], rt.offsets[i + 1])
        part = rows
        if rt.groups:
            key = rt.keys.row(i, named=True)
            part = rows.filter(*(pl.col(g) == v for g, v in key.items()))
        band = [
            np.concatenate([[0.0], part.get_column(c).fill_null(np.nan).to_numpy()])
            for c in ("conf_low", "conf_high")
        ]
        time = np.concatenate([[0.0], rt.time[sl]])
        value = np.concatenate([[0.0], result.cif[sl, k]])
        lines.append(_step(ax, i, time, value, (band[0], band[1]) if conf_int else None))
    ax.set_ylabel(f"cumulative incidence ({cause})", parse_math=False)
    _step_legend(ax, rt, lines)
    return ax


def _step_axes(ax: Axes | None) -> Axes:
    """The Axes to draw on: ``ax``, or that of a new 7 x 4.5 inch figure laid out so that
    the legend above the plot stays inside."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("time")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


def _mark(i: int) -> dict[str, Any]:
    return {"color": curve_style(i)["color"], "ls": "none"}


def _step(
    ax: Axes,
    i: int,
    time: np.ndarray,
    value: np.ndarray,
    band: tuple[np.ndarray, np.ndarray] | None,
) -> Line2D:
    """Curve ``i`` as steps in its colour and line style, with its band shaded."""
    (line,) = ax.step(time, value, where="post", lw=1.5, **curve_style(i))
    if band is not None:
        ax.fill_between(
            time, band[0], band[1], step="post", alpha=0.15, lw=0, color=curve_style(i)["color"]
        )
    return line


def _step_legend(ax: Axes, rt: RiskTable, lines: list[Line2D]) -> None:
    """The curves' level names, titled with the group columns, above the plot: up to four
    to a row, read row by row in curve order."""
    if not rt.groups:
        return
    names = level_names(rt)
    ncols = min(rt.n_curves, 4)
    order = reading_order(rt.n_curves, ncols)
    legend = ax.legend(
        [lines[i] for i in order],
        [names[i] for i in order],
        title=", ".join(rt.groups),
        loc="lower left",
        bbox_to_anchor=(0.0, 1.01),
        borderaxespad=0.0,
        ncols=ncols,
        alignment="left",
        frameon=False,
        fontsize=9,
        title_fontsize=9,
        handlelength=3.0,
    )
    literal([*legend.get_texts(), legend.get_title()])
