"""Dates to time since start: conversion, validation, and the endpoint pipeline on dates."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from survstat.endpoints.cml import response_endpoints
from survstat.endpoints.dates import DAYS_PER_UNIT, times_from_dates
from survstat.errors import ColumnNotFoundError, ColumnTypeError, InvalidValueError, OptionError

D = dt.date
LABS = pl.DataFrame(
    {
        "patient_id": ["a", "a", "b"],
        "sample_date": [D(2020, 4, 1), D(2021, 1, 1), D(2020, 3, 1)],
        "is_percent": [0.05, 0.002, 0.5],
        "detected": [True, True, True],
        "control_gene": ["ABL1"] * 3,
        "control_copies": [5e4] * 3,
    }
)
PATIENTS = pl.DataFrame(
    {
        "patient_id": ["a", "b"],
        "start_date": [D(2020, 1, 1), D(2020, 2, 1)],
        "last_follow_up_date": [D(2021, 1, 1), D(2020, 6, 1)],
        "discontinuation_date": [None, D(2020, 5, 1)],
        "progression_date": [None, None],
        "death_date": [None, None],
    },
    schema_overrides={"progression_date": pl.Date, "death_date": pl.Date},
)


def test_conversion_in_each_unit():
    labs, pts = times_from_dates(LABS, PATIENTS)
    month = 365.25 / 12
    assert labs["time"].to_list() == pytest.approx([91 / month, 366 / month, 29 / month])
    assert pts["last_follow_up"].to_list() == pytest.approx([366 / month, 121 / month])
    assert pts["discontinuation"].to_list()[0] is None
    assert pts["discontinuation"].to_list()[1] == pytest.approx(90 / month)
    for unit, days in DAYS_PER_UNIT.items():
        got = times_from_dates(LABS, PATIENTS, unit=unit)[0]["time"].to_list()
        assert got == pytest.approx([91 / days, 366 / days, 29 / days], rel=1e-14)
    # datetimes are taken at their calendar date
    as_dt = LABS.with_columns(pl.col("sample_date").cast(pl.Datetime("us")) + pl.duration(hours=9))
    assert times_from_dates(as_dt, PATIENTS)[0]["time"].to_list() == labs["time"].to_list()


def test_endpoints_from_dates():
    labs, pts = times_from_dates(LABS, PATIENTS)
    e = response_endpoints(labs, pts, level="MR4.5", landmark=12, window=1).sort("patient_id")
    month = 365.25 / 12
    assert e["cause_label"].to_list() == ["response", "discontinuation"]
    assert e["time"].to_list() == pytest.approx([366 / month, 90 / month])
    assert e["responded_by_landmark"].to_list() == [True, False]


def test_bad_dates():
    early = LABS.with_columns(
        pl.when(pl.col("patient_id") == "b")
        .then(pl.lit(D(2020, 1, 15)))
        .otherwise(pl.col("sample_date"))
        .alias("sample_date")
    )
    with pytest.raises(
        InvalidValueError,
        match=r"`sample_date`: 1 of 3 lab results are dated before the patient's `start_date` "
        r"\(first: patient 'b', 2020-01-15 before 2020-02-01\)",
    ):
        times_from_dates(early, PATIENTS)
    bad_death = PATIENTS.with_columns(death_date=pl.lit(D(2019, 12, 1)))
    with pytest.raises(InvalidValueError, match=r"`death_date`: 2 of 2 patients have it dated"):
        times_from_dates(LABS, bad_death)
    with pytest.raises(InvalidValueError, match=r"`start_date` is missing for 1 of 2 patients"):
        times_from_dates(
            LABS,
            PATIENTS.with_columns(start_date=pl.lit(None, dtype=pl.Date))
            .head(1)
            .vstack(PATIENTS.tail(1)),
        )
    with pytest.raises(InvalidValueError, match="1 of 3 lab results belong to patients missing"):
        times_from_dates(LABS, PATIENTS.head(1))
    with pytest.raises(ColumnTypeError, match=r"`start_date` \(start date\) must be a date"):
        times_from_dates(LABS, PATIENTS.with_columns(pl.col("start_date").cast(pl.String)))
    with pytest.raises(ColumnNotFoundError, match="`sample_dat`"):
        times_from_dates(LABS, PATIENTS, sample_date="sample_dat")
    with pytest.raises(ColumnNotFoundError, match="`relapse_date`"):
        times_from_dates(LABS, PATIENTS, dates={"relapse": "relapse_date"})
    with pytest.raises(OptionError, match="`unit` must be one of days, weeks, months, years"):
        times_from_dates(LABS, PATIENTS, unit="fortnights")
    with pytest.raises(InvalidValueError, match="`patient_id` repeats"):
        times_from_dates(LABS, pl.concat([PATIENTS, PATIENTS]))
    missing_sample = LABS.with_columns(
        pl.when(pl.col("patient_id") == "b")
        .then(None)
        .otherwise(pl.col("sample_date"))
        .alias("sample_date")
    )
    with pytest.raises(InvalidValueError, match="`sample_date` is missing for 1 of 3 lab results"):
        times_from_dates(missing_sample, PATIENTS)


def test_cli_from_dates(tmp_path):
    import subprocess
    import sys

    from typer.testing import CliRunner

    from survstat.cli import app

    labs, pts = tmp_path / "labs.parquet", tmp_path / "patients.parquet"
    LABS.write_parquet(labs)
    PATIENTS.write_parquet(pts)
    out = tmp_path / "e.parquet"
    args = ["cml", "endpoints", str(labs), "--patients", str(pts), "--from-dates"]
    r = CliRunner().invoke(app, [*args, "--unit", "days", "-o", str(out)])
    assert r.exit_code == 0, r.output
    written = pl.read_parquet(out).sort("patient_id")
    assert written["time"].to_list() == [366.0, 90.0]
    # a death dated before the start: one clear line and exit 1, in a real process
    bad = PATIENTS.with_columns(death_date=pl.lit(D(2019, 12, 1)))
    bad.write_parquet(pts)
    proc = subprocess.run(
        [sys.executable, "-m", "survstat", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "`death_date`: 2 of 2 patients have it dated before" in proc.stderr


def test_pre_study_samples_from_dates():
    # a screening sample a month before the start: an error by default, a negative time (a
    # pre-study result that never counts) with pre_study=True and in the CML commands
    early = pl.concat(
        [
            LABS,
            pl.DataFrame(
                {
                    "patient_id": ["a"],
                    "sample_date": [D(2019, 12, 1)],
                    "is_percent": [0.001],
                    "detected": [True],
                    "control_gene": ["ABL1"],
                    "control_copies": [5e4],
                }
            ),
        ]
    )
    with pytest.raises(InvalidValueError, match="dated before the patient's `start_date`"):
        times_from_dates(early, PATIENTS)
    labs, pts = times_from_dates(early, PATIENTS, pre_study=True)
    assert labs["time"].to_list()[-1] == pytest.approx(-31 / (365.25 / 12))
    e = response_endpoints(labs, pts, level="MR4.5", landmark=12, window=1).sort("patient_id")
    # a's MR5 before the start does not count: the response is still 0.002% at 2021-01-01
    assert e["time"].to_list() == pytest.approx([366 / (365.25 / 12), 90 / (365.25 / 12)])
    from survstat.analyses.cml import endpoints

    out = endpoints(early, PATIENTS, from_dates=True, landmark=12, window=1).table
    assert out.sort("patient_id")["cause_label"].to_list() == ["response", "discontinuation"]


# Rule: one date reader for every CML function (survstat.endpoints.dates.as_date): Date,
# Datetime at its calendar date, an all-null column as no dates, anything else one error.
def test_one_date_reader_for_conversion_and_tfr_eligibility():
    from survstat.endpoints.cml import Columns
    from survstat.endpoints.cml_tfr import tfr_eligibility

    # no patient died: a death column of nulls only (polars type Null, as a frame built from
    # None gives) is a column of missing dates, not a type error
    no_deaths = PATIENTS.with_columns(pl.lit(None).alias("death_date"))
    assert no_deaths.schema["death_date"] == pl.Null
    _, pts = times_from_dates(LABS, no_deaths)
    assert pts["death"].to_list() == [None, None]
    # eligibility reads its dates the same way: a Datetime start is its calendar date, and
    # an all-null tki_stop is "never stopped"
    labs = LABS.rename({"sample_date": "date"})
    elig = PATIENTS.select(
        "patient_id", "start_date", pl.col("last_follow_up_date").alias("last_follow_up")
    ).with_columns(pl.lit(None).alias("tki_stop"))
    on_dates = tfr_eligibility(labs, elig, columns=Columns(time="date"))
    as_datetimes = elig.with_columns(pl.col("start_date").cast(pl.Datetime("us", "UTC")))
    same = tfr_eligibility(labs, as_datetimes, columns=Columns(time="date"))
    assert on_dates.equals(same)
    assert on_dates["stopped"].to_list() == [False, False]
    # and refuses dates held as text with the one message of times_from_dates
    text = "must be a date or datetime; found String"
    with pytest.raises(ColumnTypeError, match=rf"^`start_date` \(start of therapy\) {text}$"):
        tfr_eligibility(
            labs,
            elig.with_columns(pl.col("start_date").cast(pl.String)),
            columns=Columns(time="date"),
        )
    with pytest.raises(ColumnTypeError, match=rf"^`start_date` \(start date\) {text}$"):
        times_from_dates(LABS, PATIENTS.with_columns(pl.col("start_date").cast(pl.String)))
