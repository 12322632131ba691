"""The ADaM datasets written beside a derivation (``--adam DIR``): assembled from the derived
tables by :mod:`survstat.endpoints.adam_datasets`, written by
:func:`survstat.io.write_adam_dataset`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from survstat.endpoints.adam_tte import AdamTable
    from survstat.io import FrameLike


def _write(
    paths: Mapping[str, Path], tables: Mapping[str, AdamTable], analysis: str, **record: Any
) -> tuple[str, ...]:
    """Write each dataset to its path with provenance; the notes saying where (and, for SAS
    transport, which carried columns were left out). Every dataset is checked before the
    first is written, so that a refusal leaves none behind."""
    from survstat.io import check_adam_datasets, provenance, write_adam_dataset, xpt_columns

    inputs = record.pop("inputs")
    source = inputs[0] if isinstance(inputs[0], str) else None
    fitted = {
        name: xpt_columns(adam.table, adam.labels, paths[name]) for name, adam in tables.items()
    }
    check_adam_datasets(
        {name: (fitted[name][0], adam.labels) for name, adam in tables.items()}, paths
    )
    notes = []
    for name, adam in tables.items():
        frame, left_out = fitted[name]
        meta = provenance(analysis, record, input_path=source, n_rows=frame.height)
        path = write_adam_dataset(frame, paths[name], labels=adam.labels, metadata=meta)
        notes.append(f"ADaM {name.upper()}: wrote {frame.height} rows to {path}")
        if left_out:
            notes.append(
                f"ADaM {name.upper()}: {len(left_out)} subject-table "
                f"{'column' if len(left_out) == 1 else 'columns'} left out of the SAS transport "
                f"file, their names longer than 8 characters or not SAS names: "
                f"{', '.join(left_out)} (join them from ADSL by USUBJID, or write Parquet)"
            )
    return tuple(notes)


def recist_adam(
    paths: Mapping[str, Path],
    derived: pl.DataFrame,
    visits: FrameLike,
    subject_table: FrameLike,
    scols: Any,
    options: Mapping[str, Any],
    *,
    from_dates: bool,
    inputs: tuple[Any, ...],
) -> tuple[str, ...]:
    """ADRS (OVR, BOR, CBOR) and ADTTE (PFS, TTP, OS, DOR) of ``recist derive``, written to
    ``paths["adrs"]`` and ``paths["adtte"]``.

    Parameters
    ----------
    paths
        Dataset name -> file (:func:`survstat.io.adam_paths`).
    derived
        The derivation with ``options``; its ``bor`` is CBOR when ``options["confirm"]`` is
        True, BOR otherwise; the other is derived here with the opposite setting.
    visits, subject_table, scols
        The inputs on the study-day scale (:func:`survstat.analyses.recist.day_scale`).
    options
        The derivation options.
    from_dates
        Whether the inputs held dates: the ADRS OVR rows then carry ``ADT`` (the assessment
        date) and the ADTTE rows ``STARTDT`` and ``ADT``.
    inputs
        The analysis' inputs (the first one's path is recorded as provenance).

    Returns
    -------
    tuple of str
        One note per file written.
    """
    from survstat.endpoints.adam_datasets import recist_adrs, recist_adtte
    from survstat.endpoints.recist_tte import OUTPUT_COLUMNS, time_to_event_endpoints

    flipped = {**options, "confirm": not options["confirm"]}
    other = time_to_event_endpoints(visits, subject_table, subject_columns=scols, **flipped)
    bor, cbor = (other, derived) if options["confirm"] else (derived, other)
    subject = "subject_id"
    keep = [c for c in derived.columns if c not in OUTPUT_COLUMNS and c != subject]
    start = "start_date" if from_dates and "start_date" in derived.columns else None
    tables = {
        "adrs": recist_adrs(
            visits,
            bor=bor,
            cbor=cbor,
            keep=derived.select(subject, *keep),
            date="assessment_date" if from_dates else None,
        ),
        "adtte": recist_adtte(derived, keep=keep, start=start),
    }
    record = {**options, "from_dates": from_dates}
    return _write(paths, tables, "recist derive", inputs=inputs, **record)


#: The columns ``cml endpoints`` derives; the others are the patient table's.
_CML_DERIVED = (
    "time",
    "cause",
    "cause_label",
    "first_response_time",
    "responded_by_landmark",
    "response_at_landmark",
    "best_level",
)


def cml_adam(
    path: Path,
    table: pl.DataFrame,
    labs: FrameLike,
    patients: FrameLike,
    *,
    record: Mapping[str, Any],
    inputs: tuple[Any, ...],
) -> tuple[str, ...]:
    """ADTTE of ``cml endpoints`` (time to MR4.5 and to the chosen level, loss of MMR),
    written to ``path``.

    Parameters
    ----------
    path
        The ADTTE file (:func:`survstat.io.adam_paths`).
    table
        The endpoints derived at ``record["level"]``.
    labs, patients
        The inputs on the time scale the endpoints were derived on: the time to MR4.5 (when
        the level is another) and the loss of MMR (unconfirmed, as ELN 2020 acts on it) are
        derived from them.
    record
        The options (``level``, ``landmark``, ``window``, ...), recorded as provenance.
    inputs
        The analysis' inputs.

    Returns
    -------
    tuple of str
        The note saying where the file was written.
    """
    from survstat.endpoints.adam_datasets import cml_adtte
    from survstat.endpoints.cml import response_endpoints
    from survstat.endpoints.cml_monitoring import loss_of_mmr

    level = record["level"]
    levels = {"MR4.5": table}
    if level != "MR4.5":
        at = {"landmark": record["landmark"], "window": record["window"]}
        levels = {"MR4.5": response_endpoints(labs, patients, level="MR4.5", **at), level: table}
    patient = "patient_id"
    keep = table.select(patient, *[c for c in table.columns if c not in (*_CML_DERIVED, patient)])
    adtte = cml_adtte(levels, loss=loss_of_mmr(labs), keep=keep)
    return _write({"adtte": path}, {"adtte": adtte}, "cml endpoints", inputs=inputs, **record)
