"""The tables `survstat cox` writes beside the model on request: survival curves of covariate
profiles (R ``survfit(fit, newdata)``), the baseline cumulative hazard (R ``basehaz``) and the
residuals (R ``residuals.coxph``) keyed to the input rows.

The numbers are those of :class:`survstat.estimators.cox.CoxResult`'s methods; this module
reads the command line's spelling of the profiles and joins the residuals to the rows they
belong to.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from survstat._choices import ResidualType
from survstat.errors import ColumnNotFoundError, OptionError

if TYPE_CHECKING:
    from survstat.data import SurvivalData
    from survstat.estimators.cox import CoxResult

#: The column numbering the input rows (from 0) while the analysis runs.
INPUT_ROW = "__input_row"
#: The time column of :func:`row_keys`, which checks the rows against the fit's.
_TIME = "__time"
#: The subject id column the residuals carry when the data has it and no --id is given.
DEFAULT_ID = "USUBJID"
#: How the command line writes profiles, for the messages.
_FORM = "COVARIATE=VALUE pairs, comma-separated, profiles separated by `;`"
#: Text a boolean covariate's value may be written as.
_BOOLEAN = {"true": 1.0, "false": 0.0}


def parse_profiles(text: str, covariates: Sequence[str]) -> list[list[tuple[str, str]]]:
    """The profiles of ``--profiles "arm=B,age=60;arm=A,age=60"`` as (covariate, value) pairs.

    Parameters
    ----------
    text
        Profiles separated by ``;``, each a comma-separated list of ``COVARIATE=VALUE``.
    covariates
        The model's covariates: each profile gives every one of them once.

    Returns
    -------
    list of list of (str, str)
        Per profile, its pairs in the order written (names and values stripped of spaces).

    Raises
    ------
    OptionError
        An empty profile, a pair without ``=``, a name that is not a covariate, a covariate
        given twice or not at all.
    """
    pieces = text.split(";")
    out = []
    for i, piece in enumerate(pieces, start=1):
        where = f"`profiles`: profile {i} of {len(pieces)}"
        if not piece.strip():
            raise OptionError(f"{where} is empty; write {_FORM}")
        pairs = []
        for pair in piece.split(","):
            if "=" not in pair:
                raise OptionError(f"{where} has {pair.strip()!r} without `=`; write {_FORM}")
            name, value = (s.strip() for s in pair.split("=", 1))
            if name not in covariates:
                close = difflib.get_close_matches(name, covariates, n=1, cutoff=0.5)
                hint = f"did you mean `{close[0]}`? " if close else ""
                raise OptionError(
                    f"{where} names `{name}`, not a covariate of the model; {hint}"
                    f"covariates: {', '.join(covariates)}"
                )
            if name in dict(pairs):
                raise OptionError(f"{where} gives `{name}` twice")
            if not value:
                raise OptionError(f"{where} gives `{name}` no value")
            pairs.append((name, value))
        missing = [c for c in covariates if c not in dict(pairs)]
        if missing:
            raise OptionError(
                f"{where} gives no value for {', '.join(f'`{c}`' for c in missing)}; each "
                "profile gives every covariate"
            )
        out.append(pairs)
    return out


def _profile(fit: CoxResult, pairs: list[tuple[str, str]], where: str) -> dict[str, object]:
    """One profile as :meth:`CoxResult.survival` takes it: a categorical covariate's level as
    text (its reference or a level with a term), any other covariate as a finite number
    (``true``/``false`` for 1/0)."""
    basis = fit.basis
    references = dict(basis.references) if basis is not None else {}
    sources = basis.source if basis is not None else ()
    out: dict[str, object] = {}
    for name, value in pairs:
        if name in references:
            levels = [references[name], *(str(lvl) for c, lvl in sources if c == name)]
            if value not in levels:
                raise OptionError(
                    f"{where} gives `{name}` = {value!r}, not a level of the model; levels: "
                    f"{', '.join(levels)}"
                )
            out[name] = value
            continue
        number = _BOOLEAN.get(value.lower())
        if number is None:
            try:
                number = float(value)
            except ValueError:
                number = math.nan
        if not math.isfinite(number):
            raise OptionError(
                f"{where} gives `{name}` = {value!r}, not a finite number (`{name}` is a "
                "numeric covariate)"
            )
        out[name] = number
    return out


def profile_curves(
    fit: CoxResult, profiles: str, covariates: Sequence[str], conf_level: float
) -> pl.DataFrame:
    """Survival curves of the profiles of ``--profiles`` (R ``survfit(fit, newdata)``, log
    interval).

    Parameters
    ----------
    fit
        The Cox fit.
    profiles
        The option's text (see :func:`parse_profiles`).
    covariates
        The model's covariates.
    conf_level
        Level of the pointwise intervals.

    Returns
    -------
    polars.DataFrame
        :meth:`CoxResult.survival`'s table with ``profile`` the profile as written
        (``"arm=B, age=60"``) instead of its number.
    """
    parsed = parse_profiles(profiles, covariates)
    values = [
        _profile(fit, pairs, f"`profiles`: profile {i} of {len(parsed)}")
        for i, pairs in enumerate(parsed, start=1)
    ]
    names = [", ".join(f"{c}={v}" for c, v in pairs) for pairs in parsed]
    table = fit.survival(values, conf_level=conf_level).table  # type: ignore[arg-type]
    label = pl.Series("profile", names, dtype=pl.String)
    return table.with_columns(label.gather(table.get_column("profile")))


def subject_column(sd: SurvivalData, given: str | None, residuals: bool) -> str | None:
    """The subject id column the residuals carry: ``--id``, else :data:`DEFAULT_ID` when the
    data has it.

    Parameters
    ----------
    sd
        The data the model is fitted on.
    given
        The ``--id`` option, None when not given.
    residuals
        Whether residuals are asked for (``--id`` serves nothing else).

    Returns
    -------
    str or None
        The column, None for none.

    Raises
    ------
    OptionError
        ``--id`` without ``--residuals``.
    ColumnNotFoundError
        ``--id`` names no column of the data.
    """
    if not residuals:
        if given is not None:
            raise OptionError("`id_column` (--id) keys the residuals: give --residuals too")
        return None
    available = [c for c in sd.frame.collect_schema().names() if c != INPUT_ROW]
    if given is None:
        return DEFAULT_ID if DEFAULT_ID in available else None
    if given not in available:
        raise ColumnNotFoundError(given, available, role="id_column")
    return given


def row_keys(sd: SurvivalData, id_column: str | None) -> pl.DataFrame:
    """The input row (and subject id) of each record the Cox fit used, in its order.

    Parameters
    ----------
    sd
        The data the model was fitted on, numbered by :data:`INPUT_ROW`.
    id_column
        The subject id column to carry, or None for none.

    Returns
    -------
    polars.DataFrame
        ``row`` (of the input, from 0, as error messages count rows), then the id column
        (and the time, to check the rows against the fit's); rows of weight 0 left out as
        the fit leaves them out.
    """
    keys = [pl.col(INPUT_ROW).cast(pl.Int64).alias("row")]
    if id_column is not None:
        keys.append(pl.col(id_column))
    frame = sd.frame
    if sd.weight is not None:
        frame = frame.filter(pl.col(sd.weight) > 0)
    return frame.select(*keys, pl.col(sd.time).cast(pl.Float64).alias(_TIME)).collect()


def keyed_residuals(fit: CoxResult, type: ResidualType, keys: pl.DataFrame) -> pl.DataFrame:
    """Residuals of the fit (R ``residuals(fit, type=)``) with the input row of each.

    Parameters
    ----------
    fit
        The Cox fit.
    type
        The residual type.
    keys
        :func:`row_keys` of the data it was fitted on.

    Returns
    -------
    polars.DataFrame
        ``row``, the id column if any, then :meth:`CoxResult.residuals`' columns other than
        its own ``row`` (the position among the records used): for schoenfeld and scaledsch
        one row per event, by stratum and time.
    """
    table = fit.residuals(type)
    basis = fit.basis
    if basis is None or not np.array_equal(keys.get_column(_TIME).to_numpy(), basis.time):
        raise RuntimeError("the residuals' rows do not match the rows of the input")
    keys = keys.drop(_TIME)
    if type in ("schoenfeld", "scaledsch"):
        return pl.concat([keys[basis.event_order().tolist()], table], how="horizontal")
    return pl.concat([keys, table.drop("row")], how="horizontal")


__all__ = [
    "DEFAULT_ID",
    "INPUT_ROW",
    "keyed_residuals",
    "parse_profiles",
    "profile_curves",
    "row_keys",
    "subject_column",
]
