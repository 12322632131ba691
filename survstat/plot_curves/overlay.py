"""Model-based survival curves drawn over the Kaplan-Meier curves of :func:`km_figure`: a
visual check of a Cox or parametric model against the data it was fitted on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from survstat.errors import OptionError

if TYPE_CHECKING:
    from survstat.estimators.cox import CoxResult
    from survstat.estimators.kaplan_meier import KaplanMeierResult
    from survstat.estimators.survreg import SurvregResult


@dataclass(frozen=True, slots=True)
class ModelCurves:
    """Survival curves of a model, one per Kaplan-Meier curve in the result's order.

    Attributes
    ----------
    time, survival
        Per curve, the step times (from 0) and the survival after each step.
    label
        The legend entry of the dashed lines (e.g. ``"Cox model"``).
    footnote
        What the curves are, written under the figure; None for none.
    """

    time: tuple[np.ndarray, ...]
    survival: tuple[np.ndarray, ...]
    label: str
    footnote: str | None = None


def _covariates(fit: CoxResult) -> list[str]:
    """The model's covariates, in the order of its terms."""
    assert fit.basis is not None  # checked by the caller
    return list(dict.fromkeys(column for column, _ in fit.basis.source))


def _held(fit: CoxResult, others: list[str]) -> tuple[dict[str, object], list[str]]:
    """The value each covariate other than the groups is held at, and how the footnote says
    it: a numeric covariate at its weighted mean, a text one at its reference level, a boolean
    one at false."""
    basis = fit.basis
    assert basis is not None
    references = dict(basis.references)
    values: dict[str, object] = {}
    said: list[str] = []
    for name in others:
        if name in references:
            values[name] = references[name]
            said.append(f"{name} at {references[name]} (reference)")
            continue
        j = [c for c, _ in basis.source].index(name)
        if basis.indicator[j]:
            values[name] = 0.0
            said.append(f"{name} false")
            continue
        mean = float(basis.weight @ basis.x[:, j] / basis.weight.sum())
        values[name] = mean
        said.append(f"{name} at its mean {mean:.4g}")
    return values, said


def cox_overlay(km: KaplanMeierResult, fit: CoxResult, *, label: str = "Cox model") -> ModelCurves:
    """The Cox model's survival curve of each Kaplan-Meier group (R ``survfit(fit, newdata)``).

    Each group's profile sets the group columns to the group's levels and holds the other
    covariates at their weighted mean (numeric), reference level (text) or false (boolean).

    Parameters
    ----------
    km
        The Kaplan-Meier curves, by one or more group columns.
    fit
        A Cox model whose covariates include every group column of ``km``, fitted without
        strata on the same data.
    label
        The legend entry of the model curves.

    Returns
    -------
    ModelCurves
        One curve per Kaplan-Meier curve, with a footnote saying how the other covariates
        are held.

    Raises
    ------
    OptionError
        ``km`` without groups, a group column that is not a covariate of the model, or a
        stratified model.

    Examples
    --------
    >>> import survstat
    >>> from survstat.plot_curves import cox_overlay, km_figure
    >>> gbsg = survstat.datasets.load("gbsg2")
    >>> km = survstat.kaplan_meier(gbsg, time="time", event="cens", by="horTh")
    >>> fit = survstat.cox(gbsg, time="time", event="cens", covariates=["horTh", "age"])
    >>> fig = km_figure(km, overlay=cox_overlay(km, fit))
    """
    groups = list(km.risk.groups)
    basis = fit.basis
    if not groups:
        raise OptionError("model curves over Kaplan-Meier curves need groups (--by)")
    if basis is None:
        raise OptionError(
            "this Cox fit keeps no data for survival curves; fit it with survstat.cox"
        )
    if basis.strata.width:
        raise OptionError(
            "model curves over Kaplan-Meier curves take a Cox model without strata; "
            f"this one is stratified by {', '.join(basis.strata.columns)}"
        )
    covariates = _covariates(fit)
    missing = [g for g in groups if g not in covariates]
    if missing:
        raise OptionError(
            f"the Cox model must include the group column(s) {', '.join(missing)} to draw a "
            f"curve per group; its covariates: {', '.join(covariates)}"
        )
    references = dict(basis.references)
    held, said = _held(fit, [c for c in covariates if c not in groups])
    profiles: list[dict[str, object]] = []
    for key in km.risk.keys.iter_rows(named=True):
        shown = {g: str(v) if g in references else float(v) for g, v in key.items()}
        profiles.append({**shown, **held})
    table = fit.survival(profiles).table  # type: ignore[arg-type]
    times, survival = [], []
    for i in range(len(profiles)):
        rows = table.filter(profile=i)
        times.append(np.concatenate([[0.0], rows.get_column("time").to_numpy()]))
        survival.append(np.concatenate([[1.0], rows.get_column("survival").to_numpy()]))
    model = " + ".join(covariates)
    footnote = f"Dashed lines: {label} ({model}) survival of each group"
    footnote += f", {', '.join(said)}." if said else "."
    return ModelCurves(tuple(times), tuple(survival), label, footnote)


def parametric_overlay(
    km: KaplanMeierResult, fit: SurvregResult, *, label: str | None = None, points: int = 400
) -> ModelCurves:
    """The parametric model's survival curve of each Kaplan-Meier group.

    S(t) of each group's profile (the group columns at the group's levels) on a grid of
    ``points`` times from 0 to the largest time of the Kaplan-Meier curves.

    Parameters
    ----------
    km
        The Kaplan-Meier curves (by any group columns, or none).
    fit
        A :func:`survstat.survreg` model without strata whose covariates are exactly the group
        columns of ``km`` (none for one curve), fitted on the same data.
    label
        The legend entry of the model curves (default: ``"<distribution> model"``).
    points
        Grid size of each curve.

    Returns
    -------
    ModelCurves
        One curve per Kaplan-Meier curve.

    Raises
    ------
    OptionError
        A stratified model, or one whose covariates are not the group columns.

    Examples
    --------
    >>> import survstat
    >>> from survstat.plot_curves import km_figure, parametric_overlay
    >>> gbsg = survstat.datasets.load("gbsg2")
    >>> km = survstat.kaplan_meier(gbsg, time="time", event="cens", by="horTh")
    >>> fit = survstat.survreg(gbsg, time="time", event="cens", covariates=["horTh"])
    >>> fig = km_figure(km, overlay=parametric_overlay(km, fit))
    """
    groups = list(km.risk.groups)
    basis = fit.basis
    if basis.strata:
        raise OptionError(
            "parametric curves over Kaplan-Meier curves take a model without strata; this one "
            f"has a scale per level of {', '.join(basis.strata)}"
        )
    covariates = list(dict.fromkeys(column for column, _ in basis.design.source))
    if sorted(covariates) != sorted(groups):
        raise OptionError(
            "the parametric model's covariates must be the Kaplan-Meier group column(s) "
            f"({', '.join(groups) or 'none'}) to draw a curve per group; its covariates: "
            f"{', '.join(covariates) or 'none'}"
        )
    references = dict(basis.design.references)
    profiles: list[dict[str, object]] = []
    for key in km.risk.keys.iter_rows(named=True) if groups else [{}]:
        profiles.append({g: str(v) if g in references else float(v) for g, v in key.items()})
    horizon = float(np.max(km.risk.time)) if len(km.risk.time) else 1.0
    grid = np.linspace(0.0, horizon, points)
    table = fit.survival(profiles, grid)
    survival = [
        table.filter(profile=i).get_column("survival").to_numpy() for i in range(len(profiles))
    ]
    names = {"weibull": "Weibull", "lognormal": "log-normal", "loglogistic": "log-logistic"}
    name = label or f"{names.get(fit.distribution, fit.distribution)} model"
    footnote = f"Dashed lines: {name} survival of each group" if groups else None
    return ModelCurves(
        tuple(grid for _ in profiles), tuple(survival), name, footnote and footnote + "."
    )


__all__ = ["ModelCurves", "cox_overlay", "parametric_overlay"]
