"""What every curve figure shares: the Okabe-Ito palette and line styles, the curves' names,
and the bounds of a figure's size and resolution."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from survstat.errors import OptionError

if TYPE_CHECKING:
    from matplotlib.text import Text

    from survstat.risk import RiskTable

#: Okabe & Ito's colour-blind-safe palette (Okabe M, Ito K. Color Universal Design, 2008),
#: in the order the curves take it; yellow, too pale for a line on white, is left out.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
)
#: Line styles taken with the colours, so that curves differ in print and to every reader.
LINESTYLES: tuple[Any, ...] = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)))
#: How model curves over the Kaplan-Meier curves are drawn: thin dashes in their colours.
OVERLAY_STYLE: dict[str, Any] = {"ls": (0, (2.5, 2.0)), "lw": 1.1}

#: Bounds of the figure's size (inches) and resolution (dots per inch).
SIZE_RANGE = (3.0, 30.0)
DPI_RANGE = (50, 1200)
#: The resolution figures are drawn and saved at unless one is given (pixels per inch).
DEFAULT_DPI = 150


def curve_style(i: int) -> dict[str, Any]:
    """The colour and line style of curve ``i`` (0-based), as matplotlib keywords.

    Parameters
    ----------
    i
        The curve's position; past the palette's end the colours and styles start again.

    Returns
    -------
    dict
        ``{"color": ..., "ls": ...}`` from :data:`PALETTE` and :data:`LINESTYLES`.
    """
    return {"color": PALETTE[i % len(PALETTE)], "ls": LINESTYLES[i % len(LINESTYLES)]}


def reading_order(n: int, ncols: int) -> list[int]:
    """The order to hand legend entries to matplotlib so that they read row by row.

    matplotlib fills a legend's columns top to bottom, the first ``n % ncols`` columns one
    entry longer; handed in this order, the entries read left to right, row by row, in curve
    order, as the rows of the table under a figure do.

    Parameters
    ----------
    n
        The number of entries.
    ncols
        The number of columns of the legend.

    Returns
    -------
    list of int
        The entries' positions (0-based, in curve order) in the order to hand them over.
    """
    rows = -(-n // ncols)
    return [r * ncols + c for c in range(ncols) for r in range(rows) if r * ncols + c < n]


def level_names(rt: RiskTable, labels: Mapping[str, str] | None = None) -> list[str]:
    """The name of each curve of a risk table: its group level(s), or a display label.

    Parameters
    ----------
    rt
        The risk table of the curves.
    labels
        Display labels by level name (e.g. ``{"A": "Arm A"}``); levels not named keep their
        own name.

    Returns
    -------
    list of str
        One name per curve, in curve order: the levels of the group columns joined by
        ``", "``, or ``"All"`` without groups.

    Raises
    ------
    OptionError
        When ``labels`` names a level that no curve has.
    """
    if not rt.groups:
        names = ["All"]
    else:
        names = [", ".join(str(v) for v in row) for row in rt.keys.iter_rows()]
    unknown = [k for k in labels or {} if k not in names]
    if unknown:
        raise OptionError(
            f"`labels` names {len(unknown)} level(s) that no curve has (first: {unknown[0]!r}); "
            f"the levels are {', '.join(repr(n) for n in names)}"
        )
    return [(labels or {}).get(n, n) for n in names]


def check_size(width: float | None, height: float | None, dpi: float) -> None:
    """Check a figure's size and resolution against :data:`SIZE_RANGE` and :data:`DPI_RANGE`.

    Parameters
    ----------
    width, height
        Size in inches; None: the figure's default.
    dpi
        Resolution in dots per inch.

    Raises
    ------
    OptionError
        When a value is out of its range.
    """
    for name, value in (("width", width), ("height", height)):
        if value is not None and not (SIZE_RANGE[0] <= value <= SIZE_RANGE[1]):
            raise OptionError(
                f"`{name}` must be between {SIZE_RANGE[0]:g} and {SIZE_RANGE[1]:g} inches; "
                f"got {value:g}"
            )
    if not (DPI_RANGE[0] <= dpi <= DPI_RANGE[1]):
        raise OptionError(f"`dpi` must be between {DPI_RANGE[0]} and {DPI_RANGE[1]}; got {dpi:g}")


def literal(texts: Iterable[Text]) -> None:
    """Show text from the data (group levels, model terms) as written, not as mathtext.

    A level such as ``$5-$10`` would otherwise be read as matplotlib mathtext.

    Parameters
    ----------
    texts
        The matplotlib texts to mark.
    """
    for text in texts:
        text.set_parse_math(False)
