"""ADaM ADRS and ADTTE rows from survstat's RECIST 1.1 and CML derivations.

The parameters, response codes and censoring codes are defined once here:

* :data:`PARAMS`: ``PARAMCD`` -> ``PARAM`` of every parameter written.
* :data:`RESPONSE_CODES`: ``AVALC`` -> ``AVAL`` of ADRS, admiral's ``aval_resp()`` coding
  (CR 1, PR 2, SD 3, NON-CR/NON-PD 4, PD 5, NE 6; 7 is admiral's MISSING, never written here)
  with NED (no evidence of disease, RECIST 1.1 for subjects without measurable disease) as 8.
* :data:`RECIST_CENSORING`, :data:`OS_CENSORING`, :data:`CML_CENSORING`,
  :data:`LOSS_CENSORING`: ``CNSR`` codes with the censoring they stand for, its
  ``CNSDTDSC`` (the date used) and the derivation's censoring reason they are read from.
  ``CNSR`` 0 is an event (CDISC ADaM BDS for TTE), its ``EVNTDESC`` the derived reason.

**Days, not dates.** The derivations work on study days (RECIST, day 0 = the start) or times
since the start (CML, in the input's unit). ``AVAL`` is that time as derived, the days
elapsed since the start (the ``add_one=False`` convention of
:func:`survstat.endpoints.adam_tte.derive_param_tte`), so that a Kaplan–Meier estimate from
the ADTTE equals the one from the derived columns. ``STARTDT`` and ``ADT`` are null unless
the start date is known (RECIST ``--from-dates``: ``ADT = STARTDT + AVAL`` days). ADRS ``ADY``
is the ADaM study day: ``day + 1`` on or after the start (no day 0), ``day`` before it.
``SRCVAR`` names the derived column the time comes from (``pfs_time``, ``time``, ...) and
``SRCDOM``/``SRCSEQ`` are null: the rows come from a derivation, not from one source record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from survstat.endpoints.adam_tte import ADAM_LABELS, AdamTable
from survstat.errors import ColumnNotFoundError, InvalidValueError, counted

if TYPE_CHECKING:
    from survstat.io import FrameLike

#: PARAMCD -> PARAM of the parameters written (RECIST times in days; CML in the input's unit).
PARAMS: Mapping[str, str] = {
    "OVR": "Overall Response (RECIST 1.1)",
    "BOR": "Best Overall Response (RECIST 1.1)",
    "CBOR": "Best Confirmed Overall Response (RECIST 1.1)",
    "PFS": "Progression-Free Survival (days)",
    "TTP": "Time to Progression (days)",
    "OS": "Overall Survival (days)",
    "DOR": "Duration of Response (days)",
    "TTMMR": "Time to MMR",
    "TTMR4": "Time to MR4",
    "TTMR45": "Time to MR4.5",
    "TTMR5": "Time to MR5",
    "LOSSMMR": "Time from MMR to Loss of MMR",
}

#: CML response level -> its time-to-response PARAMCD.
CML_LEVEL_PARAMS: Mapping[str, str] = {
    "MMR": "TTMMR",
    "MR4": "TTMR4",
    "MR4.5": "TTMR45",
    "MR5": "TTMR5",
}

#: ADRS AVALC -> AVAL (admiral's aval_resp(); NED, not in admiral, is 8).
RESPONSE_CODES: Mapping[str, int] = {
    "CR": 1,
    "PR": 2,
    "SD": 3,
    "NON-CR/NON-PD": 4,
    "PD": 5,
    "NE": 6,
    "NED": 8,
}


@dataclass(frozen=True, slots=True)
class Censoring:
    """One ``CNSR`` code of a parameter.

    Attributes
    ----------
    code
        The ``CNSR`` value, a positive integer.
    reason
        The derivation's censoring reason it stands for (a reason that starts with it, e.g.
        "new anticancer therapy (death on its first day)").
    date
        ``CNSDTDSC``: the date the subject is censored at.
    """

    code: int
    reason: str
    date: str


#: CNSR codes of PFS, TTP and DOR, from ``pfs_censor_reason`` (see
#: :mod:`survstat.endpoints.recist_tte` for the FDA 2018 rules behind them).
RECIST_CENSORING: tuple[Censoring, ...] = (
    Censoring(1, "no progression", "LAST ADEQUATE ASSESSMENT"),
    Censoring(2, "no post-baseline assessment", "START"),
    Censoring(3, "no baseline assessment", "START"),
    Censoring(4, "new anticancer therapy", "LAST ADEQUATE ASSESSMENT BEFORE NEW THERAPY"),
    Censoring(5, "missed assessments", "LAST ADEQUATE ASSESSMENT BEFORE MISSED VISITS"),
)
#: CNSR codes of OS.
OS_CENSORING: tuple[Censoring, ...] = (Censoring(1, "alive", "LAST KNOWN ALIVE"),)
#: CNSR codes of the CML times to response, from ``cause_label``: the competing events are
#: censorings at their time, coded as their cause.
CML_CENSORING: tuple[Censoring, ...] = (
    Censoring(1, "censored", "LAST FOLLOW-UP"),
    Censoring(2, "discontinuation", "DISCONTINUATION"),
    Censoring(3, "progression", "PROGRESSION"),
    Censoring(4, "death", "DEATH"),
)
#: CNSR codes of the loss of MMR.
LOSS_CENSORING: tuple[Censoring, ...] = (
    Censoring(1, "no loss of MMR", "LAST RESULT OR END OF FOLLOW-UP"),
)

#: The order of the parameters in the rows written.
_ORDER = {code: i for i, code in enumerate(PARAMS)}


def _require(frame: pl.DataFrame, columns: Sequence[str], table: str) -> None:
    for column in columns:
        if column not in frame.columns:
            raise ColumnNotFoundError(column, frame.columns, role=table)


def _tte(
    frame: pl.DataFrame,
    *,
    subject: str,
    paramcd: str,
    time: str,
    event: str,
    reason: pl.Expr,
    censorings: Sequence[Censoring],
    start: str | None = None,
) -> pl.DataFrame:
    """The ADTTE rows of one parameter: the subjects whose time is known."""
    rows = frame.filter(pl.col(time).is_not_null()).with_columns(reason.alias("__reason"))
    cnsr: pl.Expr = pl.when(pl.col(event)).then(pl.lit(0, pl.Int64))
    date: pl.Expr = pl.when(pl.col(event)).then(pl.lit(None, pl.String))
    for c in censorings:
        hit = pl.col("__reason").str.starts_with(c.reason)
        cnsr, date = (
            cnsr.when(hit).then(pl.lit(c.code, pl.Int64)),
            date.when(hit).then(pl.lit(c.date)),
        )
    rows = rows.with_columns(
        cnsr.otherwise(None).alias("CNSR"), date.otherwise(None).alias("CNSDTDSC")
    )
    unknown = rows.filter(pl.col("CNSR").is_null())
    if unknown.height:
        known = ", ".join(f"{c.reason!r}" for c in censorings)
        raise InvalidValueError(
            f"{paramcd}: {counted(unknown.height, 'censored subject')} "
            f"{'has' if unknown.height == 1 else 'have'} a reason without a CNSR code "
            f"(first: subject {unknown[subject][0]!r}, {unknown['__reason'][0]!r}); known: {known}"
        )
    startdt = pl.col(start) if start is not None else pl.lit(None, pl.Date)
    aval = pl.col(time).cast(pl.Float64)
    return rows.select(
        pl.col(subject).cast(pl.String).alias("USUBJID"),
        pl.lit(paramcd).alias("PARAMCD"),
        pl.lit(PARAMS[paramcd]).alias("PARAM"),
        startdt.alias("STARTDT"),
        (startdt + pl.duration(days=aval.round().cast(pl.Int64))).alias("ADT"),
        aval.alias("AVAL"),
        "CNSR",
        pl.col("__reason").alias("EVNTDESC"),
        "CNSDTDSC",
        pl.lit(None, pl.String).alias("SRCDOM"),
        pl.lit(time, pl.String).alias("SRCVAR"),
        pl.lit(None, pl.Int64).alias("SRCSEQ"),
    )


def _ordered(rows: pl.DataFrame, subjects: pl.Series, keep: pl.DataFrame | None) -> pl.DataFrame:
    """Rows by subject (in ``subjects`` order), parameter and day; ``keep`` joined on."""
    index = pl.DataFrame({"USUBJID": subjects.cast(pl.String)}).with_row_index("__subject")
    rows = rows.join(index, on="USUBJID", how="left").with_columns(
        pl.col("PARAMCD").replace_strict(_ORDER, return_dtype=pl.Int64).alias("__param")
    )
    by = ["__subject", "__param", *(["ADY"] if "ADY" in rows.columns else [])]
    rows = rows.sort(by, maintain_order=True, nulls_last=True).drop("__subject", "__param")
    if keep is None:
        return rows
    first = keep.columns[0]
    extra = keep.rename({first: "USUBJID"}).with_columns(pl.col("USUBJID").cast(pl.String))
    extra = extra.drop([c for c in extra.columns if c in rows.columns and c != "USUBJID"])
    return rows.join(extra, on="USUBJID", how="left", maintain_order="left")


def _labelled(rows: pl.DataFrame) -> AdamTable:
    return AdamTable(rows, {c: ADAM_LABELS[c] for c in rows.columns if c in ADAM_LABELS})


def recist_adtte(
    derived: pl.DataFrame,
    *,
    subject: str = "subject_id",
    keep: Sequence[str] = (),
    start: str | None = None,
) -> AdamTable:
    """ADTTE rows (PFS, TTP, OS, DOR) from the output of ``survstat recist derive``.

    Parameters
    ----------
    derived
        One row per subject with ``pfs_time``, ``pfs_event``, ``pfs_censor_reason``,
        ``ttp_*``, ``os_time``, ``os_event``, ``dor_time``, ``dor_event``,
        ``dor_censor_reason`` (:func:`survstat.endpoints.recist_tte.time_to_event_endpoints`).
    subject
        The subject column, written to ``USUBJID``.
    keep
        Subject-level columns of ``derived`` carried onto every row (the arm, ...).
    start
        A Date column holding each subject's start: ``STARTDT``, and ``ADT = STARTDT +
        AVAL`` days; None: both null.

    Returns
    -------
    AdamTable
        One row per subject and parameter (DOR for the responders only), ``AVAL`` the days
        since the start as derived, ``CNSR`` from :data:`RECIST_CENSORING` (PFS, TTP, DOR)
        and :data:`OS_CENSORING`, ``EVNTDESC`` the derived reason ("progression", "death",
        "no progression", ...; "death" or "alive" for OS) and ``SRCVAR`` the derived column.

    Raises
    ------
    ColumnNotFoundError
        A derived column is missing.
    InvalidValueError
        A censoring reason has no CNSR code.
    """
    needed = [subject, *keep, *([start] if start else [])]
    for p in ("pfs", "ttp", "dor"):
        needed += [f"{p}_time", f"{p}_event", f"{p}_censor_reason"]
    _require(derived, [*needed, "os_time", "os_event"], "recist derive output")
    common = {"subject": subject, "start": start}
    parts = [
        _tte(
            derived,
            paramcd=p.upper(),
            time=f"{p}_time",
            event=f"{p}_event",
            reason=pl.col(f"{p}_censor_reason"),
            censorings=RECIST_CENSORING,
            **common,
        )
        for p in ("pfs", "ttp")
    ]
    os_reason = pl.when(pl.col("os_event")).then(pl.lit("death")).otherwise(pl.lit("alive"))
    parts.append(
        _tte(
            derived,
            paramcd="OS",
            time="os_time",
            event="os_event",
            reason=os_reason,
            censorings=OS_CENSORING,
            **common,
        )
    )
    parts.append(
        _tte(
            derived,
            paramcd="DOR",
            time="dor_time",
            event="dor_event",
            reason=pl.col("dor_censor_reason"),
            censorings=RECIST_CENSORING,
            **common,
        )
    )
    keep_frame = derived.select(subject, *keep) if keep else None
    return _labelled(_ordered(pl.concat(parts), derived.get_column(subject), keep_frame))


def _best_rows(best: pl.DataFrame, subject: str, paramcd: str) -> pl.DataFrame:
    _require(best, [subject, "bor"], f"{paramcd} derivation")
    avalc = pl.col("bor").cast(pl.String)
    return best.select(
        pl.col(subject).cast(pl.String).alias("USUBJID"),
        pl.lit(paramcd).alias("PARAMCD"),
        pl.lit(PARAMS[paramcd]).alias("PARAM"),
        avalc.alias("AVALC"),
        avalc.replace_strict(RESPONSE_CODES, return_dtype=pl.Int64).cast(pl.Float64).alias("AVAL"),
        pl.lit(None, pl.Date).alias("ADT"),
        pl.lit(None, pl.Float64).alias("ADY"),
    )


def recist_adrs(
    assessments: FrameLike,
    *,
    bor: pl.DataFrame,
    cbor: pl.DataFrame,
    subject: str = "subject_id",
    keep: pl.DataFrame | None = None,
    date: str | None = None,
) -> AdamTable:
    """ADRS rows: the overall response at each assessment (``OVR``), the best overall response
    without (``BOR``) and with (``CBOR``) confirmation.

    Parameters
    ----------
    assessments
        The visit-level responses ``recist derive`` reads: subject_id, day, response (any
        spelling it accepts; ``AVALC`` is the RECIST 1.1 code).
    bor, cbor
        ``recist derive`` output (subject column and ``bor``) derived without and with
        confirmation of CR/PR.
    subject
        The subject column, written to ``USUBJID``.
    keep
        A one-row-per-subject table (subject column first) whose other columns are carried
        onto every row; its subject order is the rows' order. None: ``cbor``'s order.
    date
        The assessment date column of ``assessments`` (``--from-dates``), written to ``ADT``
        of the OVR rows; None: null.

    Returns
    -------
    AdamTable
        Rows by subject: OVR by day, then BOR and CBOR. ``AVAL`` codes the response
        (:data:`RESPONSE_CODES`); OVR's ``ADY`` is the ADaM study day (``day + 1`` on or after
        the start); BOR and CBOR have null ``ADT`` and ``ADY``.
    """
    from survstat.endpoints.recist_input import RecistColumns, read_assessments

    cols = RecistColumns(subject=subject)
    visits = read_assessments(assessments, cols)
    day = pl.col("__day")
    ovr = visits.select(
        pl.col(subject).cast(pl.String).alias("USUBJID"),
        pl.lit("OVR").alias("PARAMCD"),
        pl.lit(PARAMS["OVR"]).alias("PARAM"),
        pl.col("__resp").alias("AVALC"),
        pl.col("__resp")
        .replace_strict(RESPONSE_CODES, return_dtype=pl.Int64)
        .cast(pl.Float64)
        .alias("AVAL"),
        (pl.col(date).cast(pl.Date) if date else pl.lit(None, pl.Date)).alias("ADT"),
        pl.when(day >= 0).then(day + 1).otherwise(day).cast(pl.Float64).alias("ADY"),
    )
    rows = pl.concat([ovr, _best_rows(bor, subject, "BOR"), _best_rows(cbor, subject, "CBOR")])
    order = (keep if keep is not None else cbor).get_column(subject)
    return _labelled(_ordered(rows, order, keep))


def cml_adtte(
    endpoints: Mapping[str, pl.DataFrame],
    *,
    loss: pl.DataFrame | None = None,
    subject: str = "patient_id",
    keep: pl.DataFrame | None = None,
) -> AdamTable:
    """ADTTE rows of the CML times to response (one parameter per level) and loss of MMR.

    Parameters
    ----------
    endpoints
        Response level (MMR, MR4, MR4.5, MR5) -> ``survstat cml endpoints`` output at that
        level (patient, time, cause, cause_label).
    loss
        :func:`survstat.endpoints.cml_monitoring.loss_of_mmr` output (patient, duration,
        loss_of_mmr), for the patients who reached MMR; None: no LOSSMMR rows.
    subject
        The patient column, written to ``USUBJID``.
    keep
        A one-row-per-patient table (patient column first) whose other columns are carried
        onto every row; its patient order is the rows' order. None: the first level's order.

    Returns
    -------
    AdamTable
        ``TTMR45`` etc. (:data:`CML_LEVEL_PARAMS`): ``AVAL`` the time in the input's unit,
        ``CNSR`` 0 for a response and :data:`CML_CENSORING` otherwise (a competing event is a
        censoring coded as its cause); ``LOSSMMR``: ``AVAL`` the time from MMR to its loss or
        the end of follow-up, ``CNSR`` :data:`LOSS_CENSORING`.
    """
    parts = []
    for level, table in endpoints.items():
        _require(table, [subject, "time", "cause", "cause_label"], "cml endpoints output")
        parts.append(
            _tte(
                table.with_columns((pl.col("cause") == 1).alias("__event")),
                subject=subject,
                paramcd=CML_LEVEL_PARAMS[level],
                time="time",
                event="__event",
                reason=pl.col("cause_label"),
                censorings=CML_CENSORING,
            )
        )
    if loss is not None:
        _require(loss, [subject, "duration", "loss_of_mmr"], "loss of MMR")
        reason = pl.when(pl.col("loss_of_mmr")).then(pl.lit("loss of MMR"))
        parts.append(
            _tte(
                loss,
                subject=subject,
                paramcd="LOSSMMR",
                time="duration",
                event="loss_of_mmr",
                reason=reason.otherwise(pl.lit("no loss of MMR")),
                censorings=LOSS_CENSORING,
            )
        )
    first = next(iter(endpoints.values()))
    order = (keep if keep is not None else first).get_column(subject)
    return _labelled(_ordered(pl.concat(parts), order, keep))


__all__ = [
    "CML_CENSORING",
    "CML_LEVEL_PARAMS",
    "LOSS_CENSORING",
    "OS_CENSORING",
    "PARAMS",
    "RECIST_CENSORING",
    "RESPONSE_CODES",
    "Censoring",
    "cml_adtte",
    "recist_adrs",
    "recist_adtte",
]
