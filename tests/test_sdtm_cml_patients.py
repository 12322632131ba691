"""``sdtm cml-patients``: the CML patient table from SDTM DM (CDISC SDTM IG 3.4, 5.2 DM)."""

from __future__ import annotations

import polars as pl
import pytest

from survstat.analyses import ANALYSES
from survstat.endpoints.sdtm_lb import dm_cml_patients, lb_labs
from survstat.errors import ColumnNotFoundError, InvalidValueError, MissingValueError

MONTH = 365.25 / 12


def _dm(**extra) -> pl.DataFrame:
    base = {
        "USUBJID": ["S2", "S1", "S3"],
        "RFSTDTC": ["2020-01-01", "2020-01-01", "2020-03-01"],
        "RFPENDTC": ["2024-01-01", "2020-02-28", "2021-03-01"],
        "ARM": ["A", "A", "A"],
    }
    return pl.DataFrame(base | extra)


def test_months_from_the_start_to_the_end_of_participation_and_death():
    dm = _dm(DTHDTC=["", "", "2021-03-01"])
    out = dm_cml_patients(dm)
    assert out.columns == ["patient_id", "arm", "start_date", "last_follow_up", "death"]
    assert out["patient_id"].to_list() == ["S1", "S2", "S3"]
    # 2020-01-01 to 2020-02-28: 58 days; to 2024-01-01: 1461 days = 48 months exactly
    assert out["last_follow_up"].to_list() == pytest.approx([58 / MONTH, 48.0, 365 / MONTH])
    assert out["death"].to_list() == [None, None, pytest.approx(365 / MONTH)]


def test_on_the_time_scale_of_sdtm_lb():
    dm = _dm()
    lb = pl.DataFrame(
        {
            "USUBJID": ["S1"],
            "LBTESTCD": ["BCRABL1"],
            "LBSTRESC": ["0.01"],
            "LBSTRESN": [0.01],
            "LBDTC": ["2020-02-28"],
        }
    )
    sample = lb_labs(lb, dm)["time"][0]
    assert dm_cml_patients(dm).filter(pl.col("patient_id") == "S1")["last_follow_up"][0] == sample


@pytest.mark.parametrize(
    ("dm", "error", "message"),
    [
        (
            _dm().drop("RFPENDTC"),
            ColumnNotFoundError,
            "RFPENDTC",
        ),
        (
            _dm(RFPENDTC=["2024-01-01", "", ""]),
            MissingValueError,
            r"DM `RFPENDTC` \(end of participation: the last follow-up\) is missing for 2 of 3 "
            r"patients \(first: USUBJID 'S1'\)",
        ),
        (
            _dm(RFPENDTC=["2019-12-01", "2020-02-28", "2021-03-01"]),
            InvalidValueError,
            r"DM `RFPENDTC` must not be before `RFSTDTC`; found 1 patients \(first: USUBJID "
            r"'S2', RFPENDTC '2019-12-01', RFSTDTC '2020-01-01'\)",
        ),
        (
            # a death before the start: not a follow-up of -0.4 months
            _dm(DTHDTC=["", "2019-12-20", ""]),
            InvalidValueError,
            r"DM `DTHDTC` must not be before `RFSTDTC`; found 1 patients \(first: USUBJID "
            r"'S1', DTHDTC '2019-12-20', RFSTDTC '2020-01-01'\)",
        ),
    ],
)
def test_errors_name_the_column_the_rule_and_the_patient(dm, error, message):
    with pytest.raises(error, match=message):
        dm_cml_patients(dm)


def test_a_death_on_the_start_day_is_month_0():
    out = dm_cml_patients(_dm(DTHDTC=["", "", "2020-03-01"]))
    assert out.filter(pl.col("patient_id") == "S3").row(0)[3:] == (0.0, 0.0)


def test_the_command_refuses_a_death_before_the_start_in_one_line(tmp_path):
    from typer.testing import CliRunner

    from survstat.cli import app

    _dm(DTHDTC=["", "2019-12-20", ""]).write_parquet(tmp_path / "dm.parquet")
    out = tmp_path / "patients.parquet"
    r = CliRunner().invoke(
        app, ["sdtm", "cml-patients", str(tmp_path / "dm.parquet"), "-o", str(out)]
    )
    assert r.exit_code == 1
    assert r.output.strip().splitlines() == [
        "error: DM `DTHDTC` must not be before `RFSTDTC`; found 1 patients (first: USUBJID "
        "'S1', DTHDTC '2019-12-20', RFSTDTC '2020-01-01')"
    ]
    assert not out.exists()


def test_the_declared_analysis():
    out = ANALYSES["sdtm cml-patients"].run(_dm())
    assert out.table.height == 3
    assert out.title == "CML patients (from DM)"


def test_a_job_without_rfpendtc_is_refused_before_it_runs(tmp_path):
    from typer.testing import CliRunner

    from survstat.cli import app

    _dm().drop("RFPENDTC").write_parquet(tmp_path / "dm.parquet")
    job = tmp_path / "job.toml"
    job.write_text(
        '[job]\noutput = "res"\n[inputs]\ndm = "dm.parquet"\n'
        '[[step]]\nname = "patients"\nanalysis = "sdtm cml-patients"\ninput = "dm"\n'
    )
    r = CliRunner().invoke(app, ["run", str(job), "--check"])
    assert r.exit_code == 1
    assert "column `RFPENDTC` (end of participation) not in input `dm`" in r.output
