"""Kaplan-Meier and cumulative incidence figures in the KMunicate layout (Morris et al. 2019).

:func:`km_figure` and :func:`cif_figure` draw the curves in the Okabe-Ito palette with a line
style per curve, the legend and annotation above the plot and the table of numbers at risk
(and cumulative events and censorings) under it, at the plot's own time ticks
(``figures.py``; the layout in ``_layout.py``, the table in ``_table.py``). ``style.py``
holds what every curve figure shares, the result's ``.plot()`` methods in
:mod:`survstat.plot` included: the palette, the line styles and the curves' names. The
figures are written with :func:`survstat.plot.save_figure`.
"""

from survstat.plot_curves.figures import cif_figure, km_figure
from survstat.plot_curves.overlay import ModelCurves, cox_overlay, parametric_overlay
from survstat.plot_curves.style import (
    DEFAULT_DPI,
    DPI_RANGE,
    LINESTYLES,
    OVERLAY_STYLE,
    PALETTE,
    SIZE_RANGE,
    curve_style,
    level_names,
)

__all__ = [
    "DEFAULT_DPI",
    "DPI_RANGE",
    "LINESTYLES",
    "OVERLAY_STYLE",
    "PALETTE",
    "SIZE_RANGE",
    "ModelCurves",
    "cif_figure",
    "cox_overlay",
    "curve_style",
    "km_figure",
    "level_names",
    "parametric_overlay",
]
