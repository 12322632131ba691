"""Best overall response per RECIST 1.1 from visit-level overall responses.

Eisenhauer et al. 2009, Eur J Cancer 45:228-247 (RECIST 1.1), section 4.4 and table 3:

* Only assessments after the start and before new anticancer therapy count, up to and
  including the first progression (PD).
* With confirmation (non-randomised trials, the default), a CR needs a later CR at least
  ``confirm_days`` (28) after it; a PR needs a later PR or CR at least ``confirm_days`` after it.
  Not-evaluable (NE) assessments may lie between (at most ``max_ne_between``, default 1) and,
  when ``sd_between_pr`` is set, SD between two PRs; any other assessment between breaks the
  confirmation. A CR followed by a confirming PR is a confirmed PR.
* Stable disease needs an assessment of SD or better at least ``sd_min_days`` (42) after the
  start; a patient whose only qualifying assessments are NON-CR/NON-PD (non-target disease
  only) gets NON-CR/NON-PD.
* Otherwise the best response is PD when progression was seen and NE when it was not.

Without confirmation (randomised trials may waive it) the best single CR or PR counts.
Clinical benefit is CR, PR, or SD / NON-CR/NON-PD lasting at least ``cbr_weeks`` (24) weeks:
an assessment without progression at least that long after the start.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from survstat.errors import ColumnNotFoundError, InvalidValueError, OptionError
from survstat.io import FrameLike, scan

#: Overall time-point responses, best first (NE is not evaluable).
RESPONSES = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE")
#: Best overall response categories, best first.
BEST_RESPONSES = RESPONSES


@dataclass(frozen=True, slots=True)
class RecistColumns:
    """Assessment-table columns: subject, study day since the start (day 0 is the start),
    and the overall response."""

    subject: str = "subject_id"
    day: str = "day"
    response: str = "response"


def _confirmed(days: list[float], resp: list[str], i: int, targets: set[str], rules) -> bool:
    confirm_days, max_ne, sd_between = rules
    n_ne = 0
    for j in range(i + 1, len(days)):
        r = resp[j]
        if r in targets and days[j] - days[i] >= confirm_days:
            return True
        if r == "NE":
            n_ne += 1
            if n_ne > max_ne:
                return False
            continue
        if r in targets or (sd_between and r == "SD" and "PR" in targets):
            continue  # a too-early confirmation or an allowed SD: keep looking
        return False
    return False


def _best(
    days: list[float], resp: list[str], confirm: bool, sd_min_days: float, rules
) -> tuple[str, bool, float | None]:
    """(best response, confirmed, first day of the response or None) for one subject."""
    if confirm:
        for i, r in enumerate(resp):
            if r == "CR" and _confirmed(days, resp, i, {"CR"}, rules):
                return "CR", True, days[i]
        for i, r in enumerate(resp):
            if r in ("CR", "PR") and _confirmed(days, resp, i, {"PR", "CR"}, rules):
                return "PR", True, days[i]
    else:
        for best in ("CR", "PR"):
            hits = [d for d, r in zip(days, resp, strict=True) if r == best]
            if hits:
                return best, False, hits[0]
    stable = [
        r
        for d, r in zip(days, resp, strict=True)
        if d >= sd_min_days and r in ("CR", "PR", "SD", "NON-CR/NON-PD")
    ]
    if stable:
        return ("NON-CR/NON-PD" if set(stable) == {"NON-CR/NON-PD"} else "SD"), False, None
    return ("PD" if "PD" in resp else "NE"), False, None


def read_assessments(assessments: FrameLike, cols: RecistColumns) -> pl.DataFrame:
    """Read and validate visit-level responses once: adds ``__resp`` (normalised response,
    "NN" read as NON-CR/NON-PD) and ``__day``; unknown codes, days <= 0 and duplicated visits
    are errors naming the column, the values and the first subject."""
    frame = scan(assessments)[0].collect()
    for role in ("subject", "day", "response"):
        name = getattr(cols, role)
        if name not in frame.columns:
            raise ColumnNotFoundError(name, frame.columns, role=role)
    resp = (
        pl.col(cols.response)
        .cast(pl.String)
        .str.to_uppercase()
        .str.strip_chars()
        .replace({"NN": "NON-CR/NON-PD"})
    )
    frame = frame.with_columns(
        resp.alias("__resp"), pl.col(cols.day).cast(pl.Float64).alias("__day")
    )
    bad = frame.filter(~pl.col("__resp").is_in(list(RESPONSES)) | pl.col("__resp").is_null())
    if bad.height:
        shown = sorted({str(v) for v in bad.get_column(cols.response).to_list()})[:6]
        raise InvalidValueError(
            f"`{cols.response}`: {bad.height} of {frame.height} rows hold unknown responses "
            f"{shown}; expected one of {', '.join(RESPONSES)} (first: subject "
            f"{bad[cols.subject][0]!r}, day {bad[cols.day][0]})"
        )
    early = frame.filter(pl.col("__day").is_null() | (pl.col("__day") <= 0))
    if early.height:
        raise InvalidValueError(
            f"`{cols.day}`: {early.height} of {frame.height} assessments are missing or not after "
            f"the start (day <= 0) (first: subject {early[cols.subject][0]!r}, day "
            f"{early[cols.day][0]})"
        )
    dup = frame.select(pl.struct(cols.subject, "__day").is_duplicated()).to_series()
    if dup.any():
        first = frame.filter(dup).row(0, named=True)
        raise InvalidValueError(
            f"duplicated visits: {int(dup.sum())} rows share a ({cols.subject}, {cols.day}) "
            f"(first: subject {first[cols.subject]!r}, day {first[cols.day]})"
        )
    return frame


def best_overall_response(
    assessments: FrameLike,
    *,
    confirm: bool = True,
    confirm_days: float = 28.0,
    max_ne_between: int = 1,
    sd_between_pr: bool = False,
    sd_min_days: float = 42.0,
    cbr_weeks: float = 24.0,
    new_therapy: FrameLike | None = None,
    new_therapy_day: str = "new_therapy_day",
    columns: RecistColumns | None = None,
) -> pl.DataFrame:
    """Best overall response per subject, with objective response and clinical benefit flags.

    Parameters
    ----------
    assessments
        One row per subject and assessment: subject, study day (> 0) and overall response
        (one of :data:`RESPONSES`, case-insensitive; "NON-CR/NON-PD" also as "NN").
    new_therapy
        Optional subject table with ``new_therapy_day``: assessments on or after it are left
        out.

    Returns one row per subject: ``<subject>, bor, confirmed, response_day`` (first day of the
    confirmed or best response), ``objective_response, disease_control, clinical_benefit,
    n_assessments`` (the assessments used) and ``first_pd_day``.

    Examples
    --------
    >>> import polars as pl
    >>> a = pl.DataFrame({"subject_id": ["s"] * 3, "day": [56, 84, 112],
    ...                   "response": ["PR", "PR", "PD"]})
    >>> best_overall_response(a).select("bor", "confirmed").row(0)
    ('PR', True)
    """
    cols = columns or RecistColumns()
    if not (confirm_days >= 0 and sd_min_days >= 0 and cbr_weeks >= 0 and max_ne_between >= 0):
        raise OptionError(
            "`confirm_days`, `sd_min_days`, `cbr_weeks` and `max_ne_between` must be >= 0; got "
            f"{confirm_days}, {sd_min_days}, {cbr_weeks}, {max_ne_between}"
        )
    frame = read_assessments(assessments, cols)
    if new_therapy is not None:
        nt = scan(new_therapy)[0].collect()
        for name in (cols.subject, new_therapy_day):
            if name not in nt.columns:
                raise ColumnNotFoundError(name, nt.columns, role="new therapy table")
        frame = frame.join(
            nt.select(cols.subject, pl.col(new_therapy_day).cast(pl.Float64).alias("__nt")),
            on=cols.subject,
            how="left",
        ).filter(pl.col("__nt").is_null() | (pl.col("__day") < pl.col("__nt")))
    rules = (confirm_days, max_ne_between, sd_between_pr)
    rows = []
    for (subject,), part in frame.sort(cols.subject, "__day").group_by(
        cols.subject, maintain_order=True
    ):
        days = part.get_column("__day").to_list()
        resp_list = part.get_column("__resp").to_list()
        if "PD" in resp_list:
            cut = resp_list.index("PD") + 1
            days, resp_list = days[:cut], resp_list[:cut]
        bor, confirmed, response_day = _best(days, resp_list, confirm, sd_min_days, rules)
        no_pd = [d for d, r in zip(days, resp_list, strict=True) if r not in ("PD", "NE")]
        lasting = bool(no_pd) and max(no_pd) >= cbr_weeks * 7
        rows.append(
            {
                cols.subject: subject,
                "bor": bor,
                "confirmed": confirmed,
                "response_day": response_day,
                "objective_response": bor in ("CR", "PR"),
                "disease_control": bor in ("CR", "PR", "SD", "NON-CR/NON-PD"),
                "clinical_benefit": bor in ("CR", "PR")
                or (bor in ("SD", "NON-CR/NON-PD") and lasting),
                "n_assessments": len(days),
                "first_pd_day": days[-1] if resp_list and resp_list[-1] == "PD" else None,
            }
        )
    schema = {
        cols.subject: frame.schema[cols.subject],
        "bor": pl.Enum(list(BEST_RESPONSES)),
        "confirmed": pl.Boolean,
        "response_day": pl.Float64,
        "objective_response": pl.Boolean,
        "disease_control": pl.Boolean,
        "clinical_benefit": pl.Boolean,
        "n_assessments": pl.Int64,
        "first_pd_day": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema)


__all__ = ["BEST_RESPONSES", "RESPONSES", "RecistColumns", "best_overall_response"]
