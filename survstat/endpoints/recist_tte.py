"""PFS, TTP, OS and duration of response from tumour assessments, with named censoring rules.

**FDA (2018).** The rules follow the table of PFS dates of progression or censoring in the FDA
guidance "Clinical Trial Endpoints for the Approval of Cancer Drugs and Biologics" (December
2018). Its rows (situation: date; outcome), and what is done here, with ``pfs_censor_reason``:

* *No baseline tumor assessments*: randomization; censored. Reason ``no baseline
  assessment``, time 0, for the subjects whose ``baseline_assessed`` (a subject-table column,
  see :class:`SubjectColumns`) is False; their assessments are not evaluable for response
  either (RECIST 1.1 section 3: every response is measured against the baseline), so their
  best overall response is NE. Without that column the rule cannot be applied: the table
  says nothing about baseline assessments, and every subject is taken to have had one.
* *Progression documented between scheduled visits*: the earliest date at which progression
  is seen; progressed. Reason ``progression`` at the first PD assessment (the overall
  response carries no lesion-level dates, so that assessment's day is the earliest).
* *No progression*: date of the last radiological assessment of measured lesions; censored.
  Reason ``no progression`` at the last adequate assessment.
* *Treatment discontinuation for undocumented progression*, and *for toxicity or other
  reason*: the same date; censored. No rule of their own: such a subject is censored as
  ``no progression`` at the last adequate assessment, the date the FDA gives.
* *New anticancer treatment started*: the same date; censored. Reason ``new anticancer
  therapy`` at the last adequate assessment before it (switch: ``censor_new_therapy``).
* *Death before first PD assessment* and *death between adequate assessment visits*: date of
  death; progressed. Reason ``death``.
* *Death or progression after more than one missed visit*: date of the last radiological
  assessment; censored. Reason ``missed assessments`` at the last adequate assessment, after
  more than ``max_missed`` (default 1) consecutive missed visits (switch: ``censor_missed``).

**Beyond the FDA table** (conventions, each switchable or an option):

* ``no post-baseline assessment``: a subject without any adequate assessment after the start
  is censored at day 0 when alive without progression, or when progression or death comes
  after more than ``max_missed`` missed visits (switch of the latter:
  ``censor_no_post_baseline``; a death within ``max_missed`` missed visits is an event, the
  FDA's "death before first PD assessment"). This is the FDA's "no progression" and "more
  than one missed visit" rows with the start (day 0) standing for the last assessment, the
  baseline scan, whose day the subject table does not hold; censoring such subjects at
  randomisation is common practice in statistical analysis plans, not an FDA row.
* The visit window (``window_days``) that decides when a scheduled visit was missed, and the
  day a new therapy starts (``new_therapy_same_day``), described below.

An adequate assessment is one with an evaluable overall response (anything but NE). Events are
``progression`` (the first PD assessment) and ``death``. Times are study days since the start
(randomisation or first dose), day 0 being the start.

**Missed visits.** Scheduled visits lie on the protocol grid k × ``interval_days`` (k = 1, 2,
...) from day 0. A visit is done when an adequate assessment falls within ± ``window_days`` of
it. The visits missed before an event are those whose whole window lies after the last
adequate assessment and closed before the event day: a scan a few days late, inside its
window, is the visit it belongs to. With an 8-weekly schedule and the default window of 7
days, an assessment on day 56 followed by progression on day 172 (visit 2 at day 112 missed,
the day-172 scan 4 days late for visit 3) is one missed visit and counts as an event; the
same progression on day 180 (12 days late) follows two missed visits and is censored at day
56. The default window of 7 days is the ± 1 week most protocols allow around 6- to 12-weekly
scans; it must be less than half the interval so that windows do not overlap.

**New therapy on the day of an event.** An assessment, progression or death on the day a new
anticancer therapy starts is taken as before it by default (``new_therapy_same_day="before"``):
the scan that documents progression is what prompts the change of treatment, and a death
that day cannot be an effect of the new treatment. Such an event is an event, with
``pfs_censor_reason`` "progression on the new-therapy day" (or "death on ..."). With
``"after"`` it is censored at the last adequate assessment before that day, with reason "new
anticancer therapy (progression on its first day)" (or "death ..."). The same choice cuts the
assessments used for the best overall response.

**Duration of response** (RECIST 1.1 section 4.6.2) runs from ``response_day`` (the first CR
or PR of the confirmed response; see :mod:`survstat.endpoints.recist`) to progression or
death, censored by the same rules as PFS: ``dor_time = pfs_time - response_day`` with the
PFS event and reason, for confirmed responders only (every CR or PR responder when
confirmation is switched off).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import polars as pl

from survstat._choices import SAME_DAY, SameDay
from survstat.endpoints._ids import match_id_type
from survstat.endpoints.recist import bor_table, keep_before_new_therapy, with_all_subjects
from survstat.endpoints.recist_input import (
    RecistColumns,
    check_count,
    check_flag,
    check_number,
    read_assessments,
)
from survstat.endpoints.recist_subjects import (
    BASELINE_COLUMN,
    SubjectColumns,
    check_against_visits,
    read_subjects,
)
from survstat.errors import OptionError, check_choice
from survstat.io import FrameLike


@dataclass(frozen=True, slots=True)
class _Schedule:
    interval: float
    window: float
    max_missed: int
    same_day: SameDay


def missed_visits(last: float, event: float, interval: float, window: float) -> int:
    """Count the scheduled visits missed between ``last`` and ``event``.

    Scheduled visits lie at k × ``interval`` (k >= 1); one is missed when its window
    ``[v - window, v + window]`` lies wholly after ``last`` and closed before ``event``: the
    k with ``k·interval - window > last`` and ``k·interval + window < event`` (in exact
    arithmetic, so that no rounding moves a visit across a boundary). An event after more
    than ``max_missed`` such visits is censored (FDA 2018, "death or progression after more
    than one missed visit").

    Parameters
    ----------
    last
        Study day of the last adequate assessment (0: the start).
    event
        Study day of the progression or death.
    interval
        Days between scheduled visits.
    window
        Half-width of each visit's window, in days.

    Returns
    -------
    int
        The number of scheduled visits missed.

    References
    ----------
    1. U.S. Food and Drug Administration. Clinical trial endpoints for the approval of cancer
       drugs and biologics: guidance for industry. December 2018.
    """
    last_f, event_f, step, half = (Fraction(v) for v in (last, event, interval, window))
    lo = max(1, math.floor((last_f + half) / step) + 1)
    hi = math.ceil((event_f - half) / step) - 1
    return max(0, hi - lo + 1)


def _check_schedule(
    interval_days: float, window_days: float, max_missed: int, same_day: SameDay
) -> _Schedule:
    """Check the schedule options: real numbers (NumPy scalars too), an integer ``max_missed``."""
    check_choice("new_therapy_same_day", same_day, SAME_DAY)
    interval = check_number("interval_days", interval_days, positive=True)
    window = check_number("window_days", window_days)
    if not 2 * window < interval:
        raise OptionError(
            f"`window_days` must be >= 0 and less than half of `interval_days` "
            f"({interval:g}) so that visit windows do not overlap; got {window_days!r}"
        )
    return _Schedule(interval, window, check_count("max_missed", max_missed), same_day)


def _event_or_censor(
    adequate: list[float],
    pd_day: float | None,
    death: float | None,
    new_therapy: float | None,
    plan: _Schedule,
    count_death: bool,
    rules: dict[str, bool],
) -> tuple[float, bool, str]:
    """(time, event, reason) for PFS (``count_death=True``) or TTP (False)."""
    cut = new_therapy if rules["new_therapy"] else None

    def kept(day: float) -> bool:
        return cut is None or day < cut or (day == cut and plan.same_day == "before")

    adequate = [d for d in adequate if kept(d)]
    events = []
    if pd_day is not None and kept(pd_day):
        events.append((pd_day, "progression"))
    if count_death and death is not None and kept(death):
        events.append((death, "death"))
    if events:
        day, kind = min(events)
        # an assessment on the day of death was done while the subject was alive
        last = max((d for d in adequate if d < day or (d == day and kind == "death")), default=None)
        if day == cut:
            kind = f"{kind} on the new-therapy day"
        missed = missed_visits(last or 0.0, day, plan.interval, plan.window)
        if rules["no_post_baseline"] and last is None and missed > plan.max_missed:
            return 0.0, False, "no post-baseline assessment"
        if rules["missed"] and missed > plan.max_missed:
            return last or 0.0, False, "missed assessments"
        return day, True, kind
    last_day = max(adequate, default=0.0)
    if cut is not None:
        dropped = [(pd_day, "progression")] + ([(death, "death")] if count_death else [])
        same = [kind for d, kind in dropped if d == cut]
        return (
            last_day,
            False,
            "new anticancer therapy" + (f" ({same[0]} on its first day)" if same else ""),
        )
    if not adequate:
        return 0.0, False, "no post-baseline assessment"
    return last_day, False, "no progression"


#: The columns :func:`time_to_event_endpoints` derives (beside the subject id).
OUTPUT_COLUMNS = (
    "bor",
    "confirmed",
    "response_day",
    "objective_response",
    "disease_control",
    "clinical_benefit",
    "n_assessments",
    "first_pd_day",
    "pfs_time",
    "pfs_event",
    "pfs_censor_reason",
    "ttp_time",
    "ttp_event",
    "ttp_censor_reason",
    "os_time",
    "os_event",
    "dor_time",
    "dor_event",
    "dor_censor_reason",
)


def time_to_event_endpoints(
    assessments: FrameLike,
    subjects: FrameLike,
    *,
    interval_days: float = 56.0,
    window_days: float = 7.0,
    max_missed: int = 1,
    censor_new_therapy: bool = True,
    censor_missed: bool = True,
    censor_no_post_baseline: bool = True,
    new_therapy_same_day: SameDay = "before",
    columns: RecistColumns | None = None,
    subject_columns: SubjectColumns | None = None,
    **bor_options: Any,
) -> pl.DataFrame:
    """PFS, TTP, OS and duration of response per subject, each with the rule that decided it.

    Parameters
    ----------
    assessments
        Visit-level responses (see :func:`~survstat.endpoints.recist.best_overall_response`).
    subjects
        One row per subject: the subject id, ``death_day``, ``last_alive_day`` and
        ``new_therapy_day`` as study days (>= 0, finite; null when not applicable), and any
        other columns (arm, strata, biomarkers), which are carried to the output. An
        optional boolean ``baseline_assessed`` says whether each subject had a baseline
        tumour assessment: those without are censored at day 0 (FDA 2018, "no baseline tumor
        assessments") with best response NE; without the column that rule is not applied
        (see :class:`SubjectColumns`). A column
        named as an output column (:data:`OUTPUT_COLUMNS`: ``bor``, ``pfs_time``, ...) or
        starting with ``__`` is an error naming it, rather than being dropped or overwritten.
    interval_days
        The scheduled interval between tumour assessments (56 days: every 8 weeks).
    window_days
        Half-width of the window around each scheduled visit within which an assessment
        counts as that visit (default 7 days; see the module docstring). Must be less than
        ``interval_days / 2``.
    max_missed
        Consecutive scheduled visits that may be missed before an event (default 1: an event
        after two or more missed visits is censored at the last adequate assessment, as the
        FDA guidance's "more than one missed visit").
    censor_new_therapy, censor_missed, censor_no_post_baseline
        Switch the named rules (see the module docstring; all on by default):
        ``new anticancer therapy``, ``missed assessments`` and the convention ``no
        post-baseline assessment`` for an event after more than ``max_missed`` missed visits
        with no adequate assessment before it. The FDA rule ``no baseline assessment`` is
        switched by the subject table's column (``SubjectColumns(baseline=None)`` turns it
        off). The best overall response always
        leaves out assessments after a new therapy (RECIST 1.1 section 4.4), whatever
        ``censor_new_therapy`` says.
    new_therapy_same_day
        ``"before"`` (default) or ``"after"``: where an assessment, progression or death on
        the day a new therapy starts belongs (see the module docstring).
    columns, subject_columns
        Column names of the assessment and subject tables.
    bor_options
        Passed to :func:`~survstat.endpoints.recist.best_overall_response` (``confirm``,
        ``confirm_days``, ``max_ne_between``, ``sd_between_pr``, ``sd_min_days``,
        ``cbr_weeks``).

    Returns
    -------
    polars.DataFrame
        One row per subject of the subject table (those without assessments have best
        response NE): the best-response columns, then ``pfs_time, pfs_event,
        pfs_censor_reason, ttp_time, ttp_event, ttp_censor_reason, os_time, os_event,
        dor_time, dor_event, dor_censor_reason`` (DoR only for objective responders, from
        ``response_day``), then the subject table's other columns (arm, biomarkers, ...).

    References
    ----------
    1. U.S. Food and Drug Administration. Clinical trial endpoints for the approval of cancer
       drugs and biologics: guidance for industry. December 2018.
    2. Eisenhauer EA et al. New response evaluation criteria in solid tumours: revised RECIST
       guideline (version 1.1). Eur J Cancer 2009;45:228-247.
    """
    cols = columns or RecistColumns()
    scols = subject_columns or SubjectColumns()
    plan = _check_schedule(interval_days, window_days, max_missed, new_therapy_same_day)
    if "censor_no_baseline" in bor_options:
        raise OptionError(
            "`censor_no_baseline` is now `censor_no_post_baseline` (the convention for subjects "
            "without an adequate assessment after the start); the FDA rule for subjects "
            "without a baseline assessment follows the subject table's `baseline_assessed`"
        )
    rules = {
        "new_therapy": check_flag("censor_new_therapy", censor_new_therapy),
        "missed": check_flag("censor_missed", censor_missed),
        "no_post_baseline": check_flag("censor_no_post_baseline", censor_no_post_baseline),
    }
    subj = read_subjects(subjects, scols, (*OUTPUT_COLUMNS, cols.subject))
    ids = subj.select(pl.col(scols.subject).alias(cols.subject), "__nt", "__baseline")
    frame = read_assessments(assessments, cols)
    tables = ("assessment table", "subject table")
    frame = match_id_type(frame, cols.subject, ids.schema[cols.subject], tables)
    check_against_visits(subj, frame, cols, scols)
    kept = keep_before_new_therapy(frame.join(ids, on=cols.subject, how="left"), plan.same_day)
    # without a baseline assessment no response can be measured (RECIST 1.1 section 3): NE
    kept = kept.filter(pl.col("__baseline"))
    bor = with_all_subjects(bor_table(kept, cols, **bor_options), ids[cols.subject], cols)
    tte = _endpoints(frame, subj, bor, cols, scols, plan, rules)
    derived = bor.join(tte, on=cols.subject, how="left", maintain_order="left")
    # carry the subject table's other columns (arm, biomarkers, strata) for the analyses
    day_cols = {scols.subject, scols.death, scols.last_alive, scols.new_therapy}
    extra = [c for c in subj.columns if c not in day_cols and not c.startswith("__")]
    return derived.join(
        subj.select(pl.col(scols.subject).alias(cols.subject), *extra),
        on=cols.subject,
        how="left",
        maintain_order="left",
    )


def _endpoints(
    frame: pl.DataFrame,
    subj: pl.DataFrame,
    bor: pl.DataFrame,
    cols: RecistColumns,
    scols: SubjectColumns,
    plan: _Schedule,
    rules: dict[str, bool],
) -> pl.DataFrame:
    """Derive the time-to-event columns of every subject."""
    visits = {
        k[0]: list(zip(g["__day"].to_list(), g["__resp"].to_list(), strict=True))
        for k, g in frame.sort("__day").group_by(cols.subject)
    }
    start = dict(bor.select(cols.subject, "response_day").iter_rows())
    rows = []
    for s in subj.iter_rows(named=True):
        sid = s[scols.subject]
        seq = visits.get(sid, [])
        pd_day = next((d for d, r in seq if r == "PD"), None)
        adequate = [d for d, r in seq if r != "NE" and (pd_day is None or d <= pd_day)]
        death, nt = s["__death"], s["__nt"]
        if s["__baseline"]:
            pfs = _event_or_censor(adequate, pd_day, death, nt, plan, True, rules)
            ttp = _event_or_censor(adequate, pd_day, death, nt, plan, False, rules)
        else:  # FDA (2018): no baseline tumor assessments -> censored at randomization
            pfs = ttp = (0.0, False, "no baseline assessment")
        os_time = death if death is not None else s["__alive"]
        first = start.get(sid)
        dor = (None, None, None) if first is None else (pfs[0] - first, pfs[1], pfs[2])
        rows.append((sid, *pfs, *ttp, os_time, death is not None, *dor))
    return pl.DataFrame(
        rows,
        schema={
            cols.subject: subj.schema[scols.subject],
            "pfs_time": pl.Float64,
            "pfs_event": pl.Boolean,
            "pfs_censor_reason": pl.String,
            "ttp_time": pl.Float64,
            "ttp_event": pl.Boolean,
            "ttp_censor_reason": pl.String,
            "os_time": pl.Float64,
            "os_event": pl.Boolean,
            "dor_time": pl.Float64,
            "dor_event": pl.Boolean,
            "dor_censor_reason": pl.String,
        },
        orient="row",
    )


__all__ = [
    "BASELINE_COLUMN",
    "OUTPUT_COLUMNS",
    "SubjectColumns",
    "missed_visits",
    "time_to_event_endpoints",
]
