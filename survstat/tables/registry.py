"""Which analyses have a display, and where its builder lives.

Shared by the command line (``-o OUT.docx``) and the batch layer (job ``display`` files and
the report), so that a table's display is found in one place. Builders are named, not
imported, so that reading this registry costs nothing at start-up: :func:`display_builder`
imports one when a display is written.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from survstat.tables.display import DisplayTable

#: The analyses whose tables have a display (HTML, LaTeX, RTF, DOCX, XLSX), with the module
#: and function that build it from their table and options, called as
#: ``builder(ard, parameters, source=path)``.
DISPLAY_BUILDERS: Mapping[str, tuple[str, str]] = {
    "table tte": ("survstat.tables.display", "run_display"),
    "table response": ("survstat.tables.response_display", "run_response_display"),
    "table subgroups": ("survstat.tables.subgroups_display", "run_subgroups_display"),
    "table ae": ("survstat.tables.ae_display", "run_ae_display"),
}
DISPLAY_ANALYSES = tuple(DISPLAY_BUILDERS)
#: The display files :func:`survstat.tables.render.write_display` writes, by extension.
DISPLAY_OUTPUTS = (".html", ".tex", ".rtf", ".docx", ".xlsx")


def display_builder(
    analysis: str,
) -> Callable[..., DisplayTable]:
    """The function that builds the display of ``analysis``'s table.

    Parameters
    ----------
    analysis
        A name in :data:`DISPLAY_ANALYSES`, e.g. ``"table tte"``.

    Returns
    -------
    Callable
        ``builder(ard, parameters, source=path) -> DisplayTable``.
    """
    module, function = DISPLAY_BUILDERS[analysis]
    return getattr(importlib.import_module(module), function)


def build_display(
    analysis: str, table: pl.DataFrame, parameters: Mapping[str, Any], *, source: str | None
) -> DisplayTable:
    """The display of ``analysis``'s ``table``, given the options it was run with.

    Parameters
    ----------
    analysis
        A name in :data:`DISPLAY_ANALYSES`.
    table
        The analysis' ARD.
    parameters
        The options the analysis was run with, as its provenance records them.
    source
        The input's path, for the source footnote; None for none.

    Returns
    -------
    DisplayTable
        The display, ready for :func:`survstat.tables.render.write_display`.
    """
    return display_builder(analysis)(table, dict(parameters), source=source)


__all__ = [
    "DISPLAY_ANALYSES",
    "DISPLAY_BUILDERS",
    "DISPLAY_OUTPUTS",
    "build_display",
    "display_builder",
]
