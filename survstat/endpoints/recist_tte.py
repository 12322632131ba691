"""PFS, TTP, OS and duration of response from tumour assessments, with named censoring rules.

The censoring rules follow the FDA guidance "Clinical Trial Endpoints for the Approval of
Cancer Drugs and Biologics" (2018), table of PFS date conventions; each can be switched off:

==========================  ====================================================================
rule (``censor_reason``)    convention
==========================  ====================================================================
``no post-baseline          no adequate assessment after the start and no death within two
assessment``                scheduled intervals: censored at day 0
``new anticancer therapy``  therapy started before progression: censored at the last adequate
                            assessment before it
``missed assessments``      progression or death after more than ``max_missed`` scheduled
                            intervals without an adequate assessment: censored at the last
                            adequate assessment
``no progression``          alive without progression: censored at the last adequate assessment
==========================  ====================================================================

An adequate assessment is one with an evaluable overall response (anything but NE). Events are
``progression`` (the first PD assessment) and ``death``. Times are study days since the start
(randomisation or first dose), day 0 being the start.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from survstat.endpoints.recist import RecistColumns, best_overall_response, read_assessments
from survstat.errors import ColumnNotFoundError, InvalidValueError, check_unique_ids
from survstat.io import FrameLike, scan


@dataclass(frozen=True, slots=True)
class SubjectColumns:
    """Subject-table columns, as study days since the start (null when not applicable)."""

    subject: str = "subject_id"
    death: str = "death_day"
    last_alive: str = "last_alive_day"
    new_therapy: str = "new_therapy_day"


def _event_or_censor(
    adequate: list[tuple[float, str]],
    pd_day: float | None,
    death: float | None,
    new_therapy: float | None,
    interval: float,
    max_missed: int,
    count_death: bool,
    rules: dict[str, bool],
) -> tuple[float, bool, str]:
    """(time, event, reason) for PFS (``count_death=True``) or TTP (False)."""
    cut = new_therapy if rules["new_therapy"] else None
    if cut is not None:
        # assessments on or after a new therapy no longer describe the study treatment
        adequate = [(d, r) for d, r in adequate if d < cut]
    events = []
    if pd_day is not None and (cut is None or pd_day < cut):
        events.append((pd_day, "progression"))
    if count_death and death is not None and (cut is None or death < cut):
        events.append((death, "death"))
    gap_limit = (max_missed + 1) * interval
    if events:
        day, kind = min(events)
        before = max((d for d, _ in adequate if d < day), default=0.0)
        has_assessment = any(d < day for d, _ in adequate)
        if rules["no_baseline"] and not has_assessment and day > gap_limit:
            return 0.0, False, "no post-baseline assessment"
        if rules["missed"] and day - before > gap_limit:
            return before, False, "missed assessments"
        return day, True, kind
    last = max((d for d, _ in adequate), default=0.0)
    if cut is not None:
        return last, False, "new anticancer therapy"
    if not adequate:
        return 0.0, False, "no post-baseline assessment"
    return last, False, "no progression"


def time_to_event_endpoints(
    assessments: FrameLike,
    subjects: FrameLike,
    *,
    interval_days: float = 56.0,
    max_missed: int = 1,
    censor_new_therapy: bool = True,
    censor_missed: bool = True,
    censor_no_baseline: bool = True,
    columns: RecistColumns | None = None,
    subject_columns: SubjectColumns | None = None,
    **bor_options: object,
) -> pl.DataFrame:
    """PFS, TTP, OS and duration of response per subject, each with the rule that decided it.

    Parameters
    ----------
    interval_days
        The scheduled interval between tumour assessments (56 days: every 8 weeks).
    max_missed
        Scheduled assessments that may be missed before an event: with the default 1, an
        event more than two intervals after the last adequate assessment (two or more missed)
        is censored there.
    censor_new_therapy, censor_missed, censor_no_baseline
        Switch the named rules (see the module docstring).
    bor_options
        Passed to :func:`~survstat.endpoints.recist.best_overall_response` (confirmation etc.).

    Returns one row per subject of the subject table (those without assessments have best
    response NE): the best-response columns, then ``pfs_time, pfs_event,
    pfs_censor_reason, ttp_time, ttp_event, ttp_censor_reason, os_time, os_event,
    dor_time, dor_event, dor_censor_reason`` (DoR only for objective responders, from the
    first day of response), then the subject table's other columns (arm, biomarkers, ...).
    """
    cols = columns or RecistColumns()
    scols = subject_columns or SubjectColumns()
    subj = scan(subjects)[0].collect()
    for role in ("subject", "death", "last_alive", "new_therapy"):
        name = getattr(scols, role)
        if name not in subj.columns:
            raise ColumnNotFoundError(name, subj.columns, role=role)
    subj = subj.with_columns(
        pl.col(scols.death, scols.last_alive, scols.new_therapy).cast(pl.Float64)
    )
    check_unique_ids(subj, scols.subject, "subject table")
    no_alive = subj.filter(pl.col(scols.last_alive).is_null() & pl.col(scols.death).is_null())
    if no_alive.height:
        raise InvalidValueError(
            f"`{scols.last_alive}` is missing for {no_alive.height} of {subj.height} subjects "
            f"without a death (first: {no_alive[scols.subject][0]!r})"
        )
    # read and validate the visits once; the best response reuses the frame
    frame = read_assessments(assessments, cols)
    bor = best_overall_response(frame, columns=cols, **bor_options)
    unknown = (
        frame.select(cols.subject)
        .unique()
        .join(subj.select(pl.col(scols.subject).alias(cols.subject)), on=cols.subject, how="anti")
    )
    if unknown.height:
        raise InvalidValueError(
            f"{unknown.height} subjects have assessments but no row in the subject table "
            f"(first: {unknown[cols.subject][0]!r})"
        )
    visits = {
        k[0]: list(zip(g["__day"].to_list(), g["__resp"].to_list(), strict=True))
        for k, g in frame.sort("__day").group_by(cols.subject)
    }
    last_visit = {s: max(d for d, _ in v) for s, v in visits.items()}
    dead_early = subj.filter(
        pl.col(scols.death).is_not_null()
        & pl.col(scols.subject).replace_strict(last_visit, default=None).gt(pl.col(scols.death))
    )
    if dead_early.height:
        row = dead_early.row(0, named=True)
        raise InvalidValueError(
            f"`{scols.death}`: {dead_early.height} of {subj.height} subjects have assessments "
            f"after their death (first: {row[scols.subject]!r}, death on day {row[scols.death]}, "
            f"last assessment day {last_visit[row[scols.subject]]})"
        )
    rules = {
        "new_therapy": censor_new_therapy,
        "missed": censor_missed,
        "no_baseline": censor_no_baseline,
    }
    bor_by = {r[cols.subject]: r for r in bor.iter_rows(named=True)}
    rows = []
    for s in subj.iter_rows(named=True):
        sid = s[scols.subject]
        seq = visits.get(sid, [])
        adequate = [(d, r) for d, r in seq if r != "NE"]
        pd_day = next((d for d, r in seq if r == "PD"), None)
        if pd_day is not None:
            adequate = [(d, r) for d, r in adequate if d <= pd_day]
        death, nt = s[scols.death], s[scols.new_therapy]
        args = (pd_day, death, nt, interval_days, max_missed)
        pfs = _event_or_censor(adequate, *args, True, rules)
        ttp = _event_or_censor(adequate, *args, False, rules)
        os_time = death if death is not None else s[scols.last_alive]
        b = bor_by.get(sid)
        dor = (None, None, None)
        if b is not None and b["objective_response"]:
            start = b["response_day"]
            after = [(d, r) for d, r in adequate if d >= start]
            t, e, why = _event_or_censor(after, *args, True, rules)
            dor = (max(t - start, 0.0), e, why)
        rows.append(
            {
                cols.subject: sid,
                "pfs_time": pfs[0],
                "pfs_event": pfs[1],
                "pfs_censor_reason": pfs[2],
                "ttp_time": ttp[0],
                "ttp_event": ttp[1],
                "ttp_censor_reason": ttp[2],
                "os_time": os_time,
                "os_event": death is not None,
                "dor_time": dor[0],
                "dor_event": dor[1],
                "dor_censor_reason": dor[2],
            }
        )
    tte = pl.DataFrame(
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
    )
    # subjects without any assessment have no evaluable response
    filled = tte.join(bor, on=cols.subject, how="left").with_columns(
        pl.col("bor").fill_null("NE"),
        pl.col("confirmed", "objective_response", "disease_control", "clinical_benefit").fill_null(
            False
        ),
        pl.col("n_assessments").fill_null(0),
    )
    derived = filled.select(
        cols.subject, *[c for c in bor.columns if c != cols.subject], *tte.columns[1:]
    )
    # carry the subject table's other columns (arm, biomarkers, strata) for the analyses
    day_cols = {scols.subject, scols.death, scols.last_alive, scols.new_therapy}
    extra = [c for c in subj.columns if c not in day_cols and c not in derived.columns]
    return derived.join(
        subj.select(pl.col(scols.subject).alias(cols.subject), *extra),
        on=cols.subject,
        how="left",
        maintain_order="left",
    )


__all__ = ["SubjectColumns", "time_to_event_endpoints"]
