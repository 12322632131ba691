"""Per-subject figures of small series and phase I studies: swimmer, waterfall, spider and
BCR-ABL1 trajectory plots.

Each figure is a function of a table (one row per subject, or per subject and assessment) that
returns a matplotlib Figure; colours are the Okabe–Ito palette, which readers with the common
colour-vision deficiencies tell apart (Okabe & Ito 2008, https://jfly.uni-koeln.de/color/).
The input is checked first: a missing column, a column of the wrong type or a value out of
range is a one-line :class:`~survstat.errors.SurvstatError` naming the column. The figures sit
beside :mod:`survstat.plot` (curves of estimator results) and are written with its
:func:`~survstat.plot.save_figure`.
"""

from __future__ import annotations

from survstat.plot_series._common import OKABE_ITO, RECIST_PD, RECIST_PR, RESPONSE_COLOURS
from survstat.plot_series.cml import ELN_LEVELS, cml_trajectories_figure
from survstat.plot_series.swimmer import swimmer_figure
from survstat.plot_series.tumour import best_change, spider_figure, waterfall_figure

__all__ = [
    "ELN_LEVELS",
    "OKABE_ITO",
    "RECIST_PD",
    "RECIST_PR",
    "RESPONSE_COLOURS",
    "best_change",
    "cml_trajectories_figure",
    "spider_figure",
    "swimmer_figure",
    "waterfall_figure",
]
