"""Best overall response per RECIST 1.1 from visit-level overall responses.

Eisenhauer et al. 2009, Eur J Cancer 45:228-247 (RECIST 1.1), sections 4.4 and 4.6 and table 3:

* Only assessments after the start and before new anticancer therapy count, up to and
  including the first progression (PD). An assessment on the day the new therapy starts is
  taken as done before it (``new_therapy_same_day="before"``, the default: the scan that
  prompts a change of treatment precedes it) or after it (``"after"``).
* With confirmation (non-randomised trials, the default), a CR needs a later CR at least
  ``confirm_days`` (28) after it; a PR needs a later PR or CR at least ``confirm_days`` after it.
  Not-evaluable (NE) assessments may lie between (at most ``max_ne_between``, default 1) and,
  when ``sd_between_pr`` is set, SD between two PRs; any other assessment between breaks the
  confirmation. A CR followed by a confirming PR is a confirmed PR (table 3, footnote: the
  first "CR" is re-read as a PR).
* Stable disease needs an assessment of SD or better at least ``sd_min_days`` (42) after the
  start; a patient whose only qualifying assessments are NON-CR/NON-PD (non-target disease
  only) gets NON-CR/NON-PD, and one whose only qualifying assessments are NED gets NED.
* Otherwise the best response is PD when progression was seen and NE when it was not.

Without confirmation (randomised trials may waive it, section 4.6.1) the best single CR or PR
counts.

``response_day`` is where the duration of response starts (section 4.6.2: "from the time
measurement criteria are first met for CR/PR, whichever is first recorded"): the first CR or
PR assessment that is itself confirmed, so PR, PR, CR, CR starts at the first PR (not at the
CR that made the best response CR), PR, CR at the PR and CR, PR at the CR. A PR followed by
SD and a later confirmed PR starts at the later PR: the first one was not a response.
Without confirmation every CR or PR counts and the duration starts at the first of them.

Clinical benefit is CR, PR, or SD / NON-CR/NON-PD / NED lasting at least ``cbr_weeks`` (24)
weeks: an assessment without progression at least that long after the start. Disease control
is CR, PR, SD, NON-CR/NON-PD or NED as best response.

The assessments are read, and their response codes as trial databases spell them, by
:mod:`~survstat.endpoints.recist_input`.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from survstat._choices import SAME_DAY, SameDay
from survstat.endpoints.recist_input import (
    BEST_RESPONSES,
    RESPONSE_SPELLINGS,
    RESPONSES,
    RecistColumns,
    check_count,
    check_flag,
    check_number,
    counted,
    read_assessments,
    read_new_therapy_days,
)
from survstat.errors import EmptyDataError, OptionError, check_choice
from survstat.io import FrameLike


def keep_before_new_therapy(frame: pl.DataFrame, same_day: SameDay) -> pl.DataFrame:
    """Keep the assessments before the new therapy day ``__nt`` (null: none).

    An assessment on that day is kept when ``same_day`` is ``"before"`` (RECIST 1.1 section
    4.4: only assessments before new anticancer therapy count).
    """
    nt, day = pl.col("__nt"), pl.col("__day")
    before = day < nt if same_day == "after" else day <= nt
    return frame.filter(nt.is_null() | before)


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
    """(best response, confirmed, day the response started or None) for one subject."""
    if confirm:
        starts = [
            i
            for i, r in enumerate(resp)
            if r in ("CR", "PR") and _confirmed(days, resp, i, {"PR", "CR"}, rules)
        ]
        if starts:
            cr = any(
                r == "CR" and _confirmed(days, resp, i, {"CR"}, rules) for i, r in enumerate(resp)
            )
            return ("CR" if cr else "PR"), True, days[starts[0]]
    else:
        hits = [i for i, r in enumerate(resp) if r in ("CR", "PR")]
        if hits:
            return ("CR" if "CR" in resp else "PR"), False, days[hits[0]]
    stable = {
        r
        for d, r in zip(days, resp, strict=True)
        if d >= sd_min_days and r in ("CR", "PR", "SD", "NON-CR/NON-PD", "NED")
    }
    if stable & {"CR", "PR", "SD"}:
        return "SD", False, None
    if stable:
        return ("NON-CR/NON-PD" if "NON-CR/NON-PD" in stable else "NED"), False, None
    return ("PD" if "PD" in resp else "NE"), False, None


def check_bor_options(options: dict[str, Any]) -> dict[str, Any]:
    """Check the options of :func:`best_overall_response`, named as in :data:`BOR_OPTIONS`.

    The flags must be booleans, the thresholds finite numbers >= 0 and ``max_ne_between`` an
    integer >= 0.
    """
    return {
        "confirm": check_flag("confirm", options["confirm"]),
        "confirm_days": check_number("confirm_days", options["confirm_days"]),
        "max_ne_between": check_count("max_ne_between", options["max_ne_between"]),
        "sd_between_pr": check_flag("sd_between_pr", options["sd_between_pr"]),
        "sd_min_days": check_number("sd_min_days", options["sd_min_days"]),
        "cbr_weeks": check_number("cbr_weeks", options["cbr_weeks"]),
    }


#: The options of :func:`bor_table`, with their defaults.
BOR_OPTIONS = {
    "confirm": True,
    "confirm_days": 28.0,
    "max_ne_between": 1,
    "sd_between_pr": False,
    "sd_min_days": 42.0,
    "cbr_weeks": 24.0,
}


def bor_table(frame: pl.DataFrame, cols: RecistColumns, **options: Any) -> pl.DataFrame:
    """Derive the best overall response of each subject of ``frame``.

    ``frame`` comes from :func:`read_assessments`, already cut at new therapy; ``options``
    are those of :func:`best_overall_response`, named as in :data:`BOR_OPTIONS`.
    """
    unknown = sorted(set(options) - set(BOR_OPTIONS))
    if unknown:
        raise OptionError(
            f"unknown best-response options {unknown}; expected some of {list(BOR_OPTIONS)}"
        )
    opts = check_bor_options({**BOR_OPTIONS, **options})
    confirm, sd_min_days, cbr_weeks = opts["confirm"], opts["sd_min_days"], opts["cbr_weeks"]
    confirm_days, max_ne_between = opts["confirm_days"], opts["max_ne_between"]
    sd_between_pr = opts["sd_between_pr"]
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
                "disease_control": bor in ("CR", "PR", "SD", "NON-CR/NON-PD", "NED"),
                "clinical_benefit": bor in ("CR", "PR")
                or (bor in ("SD", "NON-CR/NON-PD", "NED") and lasting),
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


def with_all_subjects(bor: pl.DataFrame, subjects: pl.Series, cols: RecistColumns) -> pl.DataFrame:
    """Give one row per subject in ``subjects``, in their order.

    Those without an assessment left (none at all, or all after a new therapy) have best
    response NE and no flags.
    """
    return (
        subjects.unique(maintain_order=True)
        .to_frame(cols.subject)
        .join(bor, on=cols.subject, how="left", maintain_order="left")
        .with_columns(
            pl.col("bor").fill_null("NE"),
            pl.col(
                "confirmed", "objective_response", "disease_control", "clinical_benefit"
            ).fill_null(False),
            pl.col("n_assessments").fill_null(0),
        )
    )


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
    new_therapy_same_day: SameDay = "before",
    columns: RecistColumns | None = None,
) -> pl.DataFrame:
    """Best overall response per subject, with objective response and clinical benefit flags.

    Parameters
    ----------
    assessments
        One row per subject and assessment: subject, study day (> 0, finite) and overall
        response (one of :data:`RESPONSES` or a spelling of it listed in the module
        docstring).
    confirm
        Require confirmation of CR and PR (default True: RECIST 1.1 section 4.6.1 requires it
        in non-randomised trials where response is the primary endpoint). ``confirm`` and
        ``sd_between_pr`` must be booleans (a string such as "no" is an error, not a truthy
        value); the thresholds below may be any real number (NumPy scalars too) and
        ``max_ne_between`` any integer.
    confirm_days
        Minimum days between a response and the assessment that confirms it (28).
    max_ne_between
        NE assessments allowed between a response and its confirmation (1).
    sd_between_pr
        Allow SD between two PRs (default False: SD between breaks the confirmation).
    sd_min_days
        Minimum days from the start for a best response of SD (42, six weeks).
    cbr_weeks
        Weeks without progression that make SD / NON-CR/NON-PD / NED clinical benefit (24).
    new_therapy
        Optional subject table with ``new_therapy_day`` (study day, >= 0, null when none):
        assessments after it are left out.
    new_therapy_day
        Its column.
    new_therapy_same_day
        ``"before"`` (default: the scan that leads to a new treatment precedes it) keeps an
        assessment on the new-therapy day; ``"after"`` leaves it out.
    columns
        Column names of the assessment table (:class:`RecistColumns`).

    Returns
    -------
    polars.DataFrame
        One row per subject: ``<subject>, bor, confirmed, response_day`` (where the duration
        of response starts: the first CR or PR assessment of the confirmed response, or of any
        response without confirmation; null for non-responders), ``objective_response,
        disease_control, clinical_benefit, n_assessments`` (the assessments used) and
        ``first_pd_day``.

    References
    ----------
    1. Eisenhauer EA et al. New response evaluation criteria in solid tumours: revised RECIST
       guideline (version 1.1). Eur J Cancer 2009;45:228-247.

    Examples
    --------
    >>> import polars as pl
    >>> a = pl.DataFrame({"subject_id": ["s"] * 3, "day": [56, 84, 112],
    ...                   "response": ["PR", "PR", "PD"]})
    >>> best_overall_response(a).select("bor", "confirmed").row(0)
    ('PR', True)
    """
    cols = columns or RecistColumns()
    options: dict[str, Any] = check_bor_options(
        {
            "confirm": confirm,
            "confirm_days": confirm_days,
            "max_ne_between": max_ne_between,
            "sd_between_pr": sd_between_pr,
            "sd_min_days": sd_min_days,
            "cbr_weeks": cbr_weeks,
        }
    )
    check_choice("new_therapy_same_day", new_therapy_same_day, SAME_DAY)
    frame = read_assessments(assessments, cols)
    if frame.height == 0:
        raise EmptyDataError("the assessment table has no rows")
    everyone = frame.get_column(cols.subject).sort()
    if new_therapy is not None:
        nt = read_new_therapy_days(new_therapy, cols, new_therapy_day, frame)
        frame = keep_before_new_therapy(
            frame.join(nt, on=cols.subject, how="left"), new_therapy_same_day
        )
    return with_all_subjects(bor_table(frame, cols, **options), everyone, cols)


__all__ = [
    "BEST_RESPONSES",
    "RESPONSES",
    "RESPONSE_SPELLINGS",
    "SAME_DAY",
    "RecistColumns",
    "best_overall_response",
    "counted",
]
