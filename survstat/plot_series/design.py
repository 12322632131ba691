"""The operating characteristics of a response-rate design as a figure.

Reads the table of ``survstat design oc``
(:func:`survstat.design.binomial.operating_characteristics`): the probability of declaring
the treatment promising and of stopping after stage 1 against the true response rate, with
the expected number of patients on a second axis, and the rates not worth and worth pursuing
marked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from survstat.errors import InvalidValueError, OptionError
from survstat.io import FrameLike
from survstat.plot_series._common import OKABE_ITO, frame_of, numbers, outside_legend

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: The columns the figure reads, with their roles.
OC_ROLES = {
    "true_rate": "true response rate",
    "p_success": "probability of success",
    "pet": "probability of early termination",
    "expected_n": "expected number of patients",
}


def oc_figure(
    data: FrameLike,
    *,
    p0: float | None = None,
    p1: float | None = None,
    title: str | None = None,
) -> Figure:
    """Probability of success, of early stopping and expected n against the true rate.

    Parameters
    ----------
    data
        The operating characteristics: ``true_rate, p_success, pet, expected_n`` (the table
        of ``survstat design oc``), one row per rate.
    p0, p1
        The rates not worth and worth pursuing, marked with dotted lines and the probability
        of success there; None for no mark.
    title
        The figure's title; None for none.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.

    Raises
    ------
    ColumnNotFoundError
        When a column is missing.
    InvalidValueError
        When a rate or probability is outside [0, 1], or the expected n is negative.
    OptionError
        When ``p0`` or ``p1`` is outside [0, 1], or ``p1`` is not above ``p0``.
    """
    import matplotlib.pyplot as plt

    from survstat.plot import DEFAULT_DPI

    frame = frame_of(data, OC_ROLES).sort("true_rate")
    values = {c: numbers(frame, c, role, nulls=False) for c, role in OC_ROLES.items()}
    for column in ("true_rate", "p_success", "pet"):
        bad = (values[column] < 0) | (values[column] > 1)
        if bad.any():
            i = bad.arg_true()[0]
            raise InvalidValueError(
                f"`{column}` ({OC_ROLES[column]}) must be in [0, 1]; found {bad.sum()} values "
                f"outside (first: {values[column][i]} at row {i})"
            )
    if (values["expected_n"] < 0).any():
        raise InvalidValueError("`expected_n` (expected number of patients) must be >= 0")
    for flag, rate in (("p0", p0), ("p1", p1)):
        if rate is not None and not 0 <= rate <= 1:
            raise OptionError(f"`--{flag}` must be in [0, 1]; got {rate!r}")
    if p0 is not None and p1 is not None and p1 <= p0:
        raise OptionError(
            f"`--p1` (the rate worth pursuing) must be above `--p0`; got p0 = {p0:g}, p1 = {p1:g}"
        )
    x = values["true_rate"].to_numpy()
    fig, ax = plt.subplots(figsize=(7.0, 4.2), dpi=DEFAULT_DPI, layout="constrained")
    ax.plot(x, values["p_success"].to_numpy(), color=OKABE_ITO[0], lw=2, label="P(success)")
    two_stage = bool((values["pet"] > 0).any())
    if two_stage:
        ax.plot(
            x,
            values["pet"].to_numpy(),
            color=OKABE_ITO[1],
            lw=1.6,
            ls="--",
            label="P(stop after stage 1)",
        )
    ax.set_xlabel("true response rate")
    ax.set_ylabel("probability")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(float(x.min()), float(x.max()))
    ax.grid(color="0.9", lw=0.6)
    right = ax.twinx()
    right.plot(
        x,
        values["expected_n"].to_numpy(),
        color=OKABE_ITO[2],
        lw=1.4,
        ls=":",
        label="expected patients",
    )
    right.set_ylabel("expected number of patients")
    top = float(values["expected_n"].to_numpy().max())
    right.set_ylim(0, top * 1.05 if top > 0 else 1)
    for rate, name in ((p0, "p0"), (p1, "p1")):
        if rate is not None:
            ax.axvline(rate, color="0.4", lw=0.8, ls=":")
            # the label sits above the plot, where no curve runs
            ax.annotate(
                f"{name} = {rate:g}",
                xy=(rate, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8,
                color="0.3",
                annotation_clip=False,
                parse_math=False,
            )
    # one legend for both axes
    for line in right.get_lines():
        ax.plot([], [], color=line.get_color(), ls=line.get_linestyle(), label=line.get_label())
    outside_legend(fig, ax)
    if title:
        ax.set_title(title, parse_math=False, pad=16)
    return fig


__all__ = ["OC_ROLES", "oc_figure"]
