"""SDTM RS, TR and LB (with DM) into survstat's RECIST and CML inputs.

Hand-built domains pin each rule (SDTM IG 3.4: DM 5.2, LB 6.3.5, TR/RS 6.3.17, study day
4.4.4); the bundled synthetic SDTM datasets must give back what the bundled trial tables give.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from typer.testing import CliRunner

import survstat
from survstat.analyses import ANALYSES
from survstat.cli import app
from survstat.datasets.synthetic import breast_trial, breast_trial_sdtm, cml_two_arm_sdtm
from survstat.endpoints.sdtm import Imputation, read_dm, rs_visits
from survstat.endpoints.sdtm_lb import lb_labs
from survstat.endpoints.sdtm_tr import tr_target_sums
from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    EmptyDataError,
    InvalidValueError,
    OptionError,
)

D = dt.date


def _dm(**extra) -> pl.DataFrame:
    base = {
        "USUBJID": ["S1", "S2"],
        "RFSTDTC": ["2020-01-10", "2020-02-01"],
        "ARM": ["A", "B"],
    }
    return pl.DataFrame(base | extra)


def _rs(rows: list[tuple[str, str, str]], **extra) -> pl.DataFrame:
    subj, dtc, resp = zip(*rows, strict=True)
    n = len(rows)
    return pl.DataFrame(
        {"USUBJID": subj, "RSTESTCD": ["OVRLRESP"] * n, "RSSTRESC": resp, "RSDTC": dtc} | extra
    )


# --- RS -------------------------------------------------------------------------------------


def test_rs_visits_reads_overall_responses_with_study_days():
    rs = _rs(
        [
            ("S1", "2020-01-10", "SD"),
            ("S1", "2020-03-06", "Partial Response"),
            ("S2", "2020-03-28", "pd"),
        ]
    )
    rs = pl.concat(
        [
            rs,
            pl.DataFrame(
                {
                    "USUBJID": ["S1"],
                    "RSTESTCD": ["TRGRESP"],
                    "RSSTRESC": ["X"],
                    "RSDTC": ["2020-03-06"],
                }
            ),
        ]
    )
    visits, subjects = rs_visits(rs, _dm())
    # the assessment on the reference date (study day 1) is baseline, not a response
    assert visits.rows() == [
        ("S1", D(2020, 3, 6), None, 57, "PR"),
        ("S2", D(2020, 3, 28), None, 57, "PD"),
    ]
    assert visits.columns == [
        "subject_id",
        "assessment_date",
        "assessment_date_flag",
        "study_day",
        "response",
    ]
    assert subjects.columns == ["subject_id", "arm", "start_date"]
    assert subjects["start_date"].to_list() == [D(2020, 1, 10), D(2020, 2, 1)]


def test_rs_visits_one_evaluator():
    rows = [("S1", "2020-03-06", "PR"), ("S1", "2020-03-06", "SD")]
    rs = _rs(rows, RSEVAL=["INVESTIGATOR", "INDEPENDENT ASSESSOR"])
    with pytest.raises(
        OptionError,
        match=r"^RS `RSEVAL` holds 2 evaluators \('INDEPENDENT ASSESSOR', 'INVESTIGATOR'\); choose one",
    ):
        rs_visits(rs, _dm())
    visits, _ = rs_visits(rs, _dm(), evaluator="INDEPENDENT ASSESSOR")
    assert visits["response"].to_list() == ["SD"]
    with pytest.raises(OptionError, match=r"evaluator 'IRC' is not in RS `RSEVAL` \(found: "):
        rs_visits(rs, _dm(), evaluator="IRC")
    with pytest.raises(ColumnNotFoundError, match="RSEVAL"):
        rs_visits(_rs(rows[:1]), _dm(), evaluator="IRC")


def test_rs_unknown_codes_name_domain_column_values_and_subject():
    rs = _rs([("S1", "2020-03-06", "PR"), ("S2", "2020-03-06", "iUPD"), ("S2", "2020-04-06", None)])
    with pytest.raises(
        InvalidValueError,
        match=r"^RS `RSSTRESC` holds unknown overall responses \['None', 'iUPD'\] in 2 of 3 "
        r"OVRLRESP rows; expected one of CR, PR, SD, NON-CR/NON-PD, NED, PD, NE \(first: "
        r"USUBJID 'S2'\)$",
    ):
        rs_visits(rs, _dm())


def test_rs_not_done_rows_and_no_overall_response():
    rs = _rs([("S1", "2020-03-06", "PR"), ("S1", "2020-05-06", "")], RSSTAT=[None, "NOT DONE"])
    assert rs_visits(rs, _dm())[0].height == 1
    with pytest.raises(
        EmptyDataError, match=r"RS has no overall responses \(RSTESTCD = 'OVRLRESP'\)"
    ):
        rs_visits(rs.with_columns(RSTESTCD=pl.lit("TRGRESP")), _dm())


def test_rs_partial_dates_are_errors_unless_imputed():
    rs = _rs([("S1", "2020-03", "PR")])
    with pytest.raises(
        InvalidValueError,
        match=r"^RS `RSDTC` holds 1 partial dates \(first: '2020-03', USUBJID 'S1'\); choose an "
        r"imputation",
    ):
        rs_visits(rs, _dm())
    visits, _ = rs_visits(rs, _dm(), imputation=Imputation("D", "last"))
    assert visits.select("assessment_date", "assessment_date_flag").row(0) == (D(2020, 3, 31), "D")
    # never after the end of participation (admiral's max_dates)
    ended = _dm(RFPENDTC=["2020-03-20", "2021-01-05"])
    visits, _ = rs_visits(rs, ended, imputation=Imputation("D", "last"))
    assert visits.select("assessment_date", "assessment_date_flag").row(0) == (D(2020, 3, 20), "D")


def test_rs_subjects_missing_from_dm_and_duplicates():
    with pytest.raises(
        InvalidValueError,
        match=r"RS: 1 overall responses belong to subjects missing from DM \(first: USUBJID 'S9'\)",
    ):
        rs_visits(_rs([("S9", "2020-03-06", "PR")]), _dm())
    rows = [("S1", "2020-03-06", "PR"), ("S1", "2020-03-06T10:00", "SD")]
    with pytest.raises(InvalidValueError, match=r"2 overall responses share a subject and date"):
        rs_visits(_rs(rows), _dm())


def test_dm_death_last_alive_and_the_bound():
    dm = _dm(DTHDTC=["2020-06", None], RFPENDTC=["2020-06-12", "2021-01-05"])
    subjects = rs_visits(_rs([("S1", "2020-03-06", "PR")]), dm, imputation=Imputation("D", "last"))[
        1
    ]
    # the imputed death date (last of June) never passes the end of participation
    assert subjects.select("death_date", "death_date_flag", "last_alive_date").rows() == [
        (D(2020, 6, 12), "D", None),
        (None, None, D(2021, 1, 5)),
    ]
    with pytest.raises(InvalidValueError, match=r"^DM `RFSTDTC` holds 1 partial dates"):
        read_dm(_dm().with_columns(RFSTDTC=pl.Series(["2020-01", "2020-02-01"])))
    with pytest.raises(InvalidValueError, match=r"USUBJID"):
        read_dm(pl.concat([_dm(), _dm()]))


# --- TR -------------------------------------------------------------------------------------


def _tr(rows, **extra) -> pl.DataFrame:
    subj, dtc, test, group, value = zip(*rows, strict=True)
    return pl.DataFrame(
        {
            "USUBJID": subj,
            "TRDTC": dtc,
            "TRTESTCD": test,
            "TRGRPID": group,
            "TRSTRESN": value,
            "TRSTRESU": ["mm"] * len(rows),
        }
        | extra,
        schema_overrides={"TRSTRESN": pl.Float64, "TRGRPID": pl.String},
    )


def test_tr_target_sums_and_percent_change():
    tr = _tr(
        [
            ("S1", "2019-12-20", "LDIAM", "TARGET", 30.0),  # an earlier scan: not the baseline
            ("S1", "2019-12-20", "LDIAM", "TARGET", 25.0),
            ("S1", "2020-01-03", "LDIAM", "TARGET", 20.0),
            ("S1", "2020-01-03", "LDIAM", "TARGET", 30.0),
            ("S1", "2020-01-03", "LDIAM", "NON-TARGET", 99.0),
            ("S1", "2020-01-03", "TUMSTATE", "TARGET", None),
            ("S1", "2020-03-06", "LDIAM", "TARGET", 10.0),
            ("S1", "2020-03-06", "SAXIS", "TARGET", 15.0),
        ]
    )
    out = tr_target_sums(tr, _dm())
    assert out.select(
        "study_day", "baseline", "n_lesions", "sum_diameters", "percent_change"
    ).rows() == [
        (-21, False, 2, 55.0, 10.0),
        (-7, True, 2, 50.0, 0.0),
        (57, False, 2, 25.0, -50.0),
    ]
    assert out["baseline_sum"].to_list() == [50.0] * 3


def test_tr_not_evaluable_sums_and_no_baseline():
    tr = _tr(
        [
            ("S1", "2020-01-10", "LDIAM", "TARGET", 20.0),
            ("S1", "2020-01-10", "LDIAM", "TARGET", 30.0),
            ("S1", "2020-03-06", "LDIAM", "TARGET", 10.0),  # one lesion not measured
            ("S1", "2020-05-06", "LDIAM", "TARGET", 10.0),
            ("S1", "2020-05-06", "LDIAM", "TARGET", None),
            ("S2", "2020-03-06", "LDIAM", "TARGET", 12.0),  # no baseline scan
        ]
    )
    out = tr_target_sums(tr, _dm())
    assert out.select("subject_id", "sum_diameters", "percent_change").rows() == [
        ("S1", 50.0, 0.0),
        ("S1", None, None),
        ("S1", None, None),
        ("S2", 12.0, None),
    ]


def test_tr_collected_sums_and_units():
    tr = _tr(
        [("S1", "2020-01-05", "SUMDIAM", None, 40.0), ("S1", "2020-03-06", "SUMDIAM", None, 50.0)]
    )
    tr = pl.concat([tr, _tr([("S1", "2020-03-06", "LDIAM", "TARGET", 1.0)])])
    assert tr_target_sums(tr, _dm())["percent_change"].to_list() == [0.0, 25.0]
    cm = _tr([("S1", "2020-01-05", "LDIAM", "TARGET", 4.0)]).with_columns(TRSTRESU=pl.lit("cm"))
    with pytest.raises(
        InvalidValueError,
        match=r"^TR `TRSTRESU` must be mm for target diameters; found 1 row in \['cm'\] "
        r"\(first: USUBJID 'S1'\)$",
    ):
        tr_target_sums(cm, _dm())
    with pytest.raises(EmptyDataError, match="TR has no target-lesion rows"):
        tr_target_sums(_tr([("S1", "2020-01-05", "LDIAM", "NON-TARGET", 4.0)]), _dm())


# --- LB -------------------------------------------------------------------------------------


def _lb(rows, **extra) -> pl.DataFrame:
    subj, ref, dtc, test, text, number, unit = zip(*rows, strict=True)
    return pl.DataFrame(
        {
            "USUBJID": subj,
            "LBREFID": ref,
            "LBDTC": dtc,
            "LBTESTCD": test,
            "LBSTRESC": text,
            "LBSTRESN": number,
            "LBSTRESU": unit,
        }
        | extra,
        schema_overrides={"LBSTRESN": pl.Float64, "LBREFID": pl.String},
    )


LB_ROWS = [
    ("S1", "A1", "2020-01-10", "BCRABL1", "12.5", 12.5, "%"),
    ("S1", "A1", "2020-01-10", "ABL1", "51000", 51000.0, "copies"),
    ("S1", "A2", "2020-04-10", "BCRABL1", "NOT DETECTED", None, "%"),
    ("S1", "A2", "2020-04-10", "ABL1", "40000", 40000.0, "copies"),
    ("S1", "A3", "2020-07-10", "BCRABL1", "<0.0032", None, "%"),
    ("S1", "A3", "2020-07-10", "ABL1", "60000", 60000.0, "copies"),
    ("S2", "B1", "2020-02-01", "BCRABL1", "Undetectable", None, None),
    ("S2", "B1", "2020-02-01", "HGB", "13", 13.0, "g/dL"),
]


def test_lb_labs_pivots_specimens_into_samples():
    out = lb_labs(_lb(LB_ROWS), _dm())
    assert out.columns == [
        "patient_id",
        "sample_id",
        "sample_date",
        "time",
        "is_percent",
        "detected",
        "below_limit",
        "control_gene",
        "control_copies",
    ]
    assert out.drop("time").rows() == [
        ("S1", "A1", D(2020, 1, 10), 12.5, True, False, "ABL1", 51000.0),
        ("S1", "A2", D(2020, 4, 10), None, False, False, "ABL1", 40000.0),
        ("S1", "A3", D(2020, 7, 10), 0.0032, True, True, "ABL1", 60000.0),
        ("S2", "B1", D(2020, 2, 1), None, False, False, None, None),
    ]
    assert out["time"].to_list() == pytest.approx([0.0, 91 / 30.4375, 182 / 30.4375, 0.0])


def test_lb_sample_key_falls_back_to_the_collection_date():
    lb = _lb(LB_ROWS).with_columns(LBREFID=pl.when(pl.col("LBREFID") != "B1").then("LBREFID"))
    out = lb_labs(lb, _dm())
    assert out["sample_id"].to_list() == [None] * 4
    assert out["control_copies"].to_list() == [51000.0, 40000.0, 60000.0, None]


def test_lb_classified_as_cml_classify_reads_it():
    out = ANALYSES["cml classify"].run(lb_labs(_lb(LB_ROWS[:6]), _dm())).table
    assert out["level"].to_list() == ["none", "MR4.5", "MR4.5"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            ("S1", "A9", "2020-09-10", "BCRABL1", "POSITIVE", None, "%"),
            r"^LB `LBSTRESC`: a BCR-ABL1 result must be a number, '<x' or 'NOT DETECTED'; found 1 "
            r"row \(first: USUBJID 'S1', LBSTRESC 'POSITIVE'\)$",
        ),
        (
            ("S1", "A9", "2020-09-10", "BCRABL1", ">100", None, "%"),
            r"LBSTRESC '>100'",
        ),
        (
            ("S1", "A9", "2020-09-10", "BCRABL1", "0.1", 0.1, "ratio"),
            r"^LB `LBSTRESU`: a BCR-ABL1 result on the International Scale must be in %; found 1 "
            r"row \(first: USUBJID 'S1', LBSTRESU 'ratio'\)$",
        ),
        (
            ("S1", "A9", "2020-09-10", "ABL1", "100", 100.0, "copies"),
            r"^LB `LBREFID`: a ABL1 result needs a BCRABL1 result of the same sample; found 1 row "
            r"\(first: USUBJID 'S1', LBREFID 'A9'\)$",
        ),
        (
            ("S1", "A1", "2020-01-10", "BCRABL1", "11", 11.0, "%"),
            r"^LB: 2 BCRABL1 rows share a sample \(USUBJID, LBREFID\) \(first: USUBJID 'S1', "
            r"LBREFID 'A1'\)$",
        ),
        (
            ("S7", "Z1", "2020-09-10", "BCRABL1", "1", 1.0, "%"),
            r"^LB `USUBJID`: results of patients missing from DM; found 1 row \(first: USUBJID "
            r"'S7', USUBJID 'S7'\)$",
        ),
        (
            ("S1", "A9", "2020-09", "BCRABL1", "1", 1.0, "%"),
            r"^LB `LBDTC` holds 1 partial dates",
        ),
    ],
)
def test_lb_errors_name_column_value_and_subject(row, message):
    with pytest.raises(InvalidValueError, match=message):
        lb_labs(_lb([*LB_ROWS, row]), _dm())


# --- the bundled synthetic SDTM trials ------------------------------------------------------


RECIST_COLUMNS = ["subject_id", "bor", "confirmed", "objective_response", "pfs_event"]
RECIST_COLUMNS += ["pfs_censor_reason", "pfs_time", "dor_time", "os_time", "os_event"]


def test_sdtm_rs_then_recist_derive_from_dates_gives_the_bundled_trial():
    dm, rs, _ = breast_trial_sdtm()
    visits, subjects = rs_visits(rs, dm)
    assessments, trial, _ = breast_trial()
    # a new anticancer therapy is not in DM: it comes from elsewhere (CM/PR), as documented
    therapy = trial.join(subjects.select("subject_id", "start_date"), on="subject_id").select(
        "subject_id",
        (pl.col("start_date") + pl.duration(days=pl.col("new_therapy_day").floor())).alias(
            "new_therapy_date"
        ),
    )
    derive = ANALYSES["recist derive"].run
    got = derive(visits, subjects.join(therapy, on="subject_id"), from_dates=True).table
    bundled = derive(
        survstat.datasets.load("breast_trial_assessments"),
        survstat.datasets.load("breast_trial_subjects"),
    ).table
    # BOR and the PFS events are the same; dates hold whole days, so a death on day 123.4
    # is dated day 123: times equal the bundled times taken at the whole day
    same = [
        "subject_id",
        "bor",
        "confirmed",
        "objective_response",
        "pfs_event",
        "pfs_censor_reason",
    ]
    assert got.select(same).equals(bundled.select(same))
    whole = trial.with_columns(pl.col("death_day", "last_alive_day", "new_therapy_day").floor())
    expected = derive(assessments, whole).table
    assert got.select(RECIST_COLUMNS).equals(expected.select(RECIST_COLUMNS))
    assert (got["pfs_time"] - bundled["pfs_time"]).abs().max() < 1.0


def test_sdtm_lb_then_cml_classify_gives_the_bundled_classification():
    dm, lb = cml_two_arm_sdtm()
    classify = ANALYSES["cml classify"].run
    got = classify(lb_labs(lb, dm)).table
    bundled = classify(survstat.datasets.load("cml_two_arm_labs")).table
    cols = ["patient_id", "is_percent", "detected", "control_gene", "control_copies"]
    cols += ["level", "log_reduction", "evaluable", "reason"]
    assert got.select(cols).equals(bundled.select(cols))
    # sample dates are whole days: the times agree within half a day
    assert (got["time"] - bundled["time"]).abs().max() <= 0.5 / 30.4375 + 1e-12


def test_sdtm_tr_on_the_bundled_trial():
    dm, _, tr = breast_trial_sdtm()
    out = tr_target_sums(tr, dm)
    # one baseline per subject with scans, on or before the reference start
    assert out.filter("baseline").height == tr["USUBJID"].n_unique()
    assert out.filter("baseline")["study_day"].max() < 1


# --- the command line -----------------------------------------------------------------------


def test_cli_rs_writes_visits_and_subjects_for_recist_derive(tmp_path):
    runner = CliRunner()
    files = {}
    for name in ("breast_trial_rs", "breast_trial_dm"):
        files[name] = tmp_path / f"{name}.parquet"
        survstat.datasets.load(name).write_parquet(files[name])
    out = tmp_path / "visits.parquet"
    r = runner.invoke(
        app,
        [
            "sdtm",
            "rs",
            str(files["breast_trial_rs"]),
            "--dm",
            str(files["breast_trial_dm"]),
            "-o",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    subjects = tmp_path / "visits.subjects.parquet"
    assert pl.read_parquet(subjects).height == 120
    derived = tmp_path / "derived.parquet"
    r = runner.invoke(
        app,
        [
            "recist",
            "derive",
            str(out),
            "--subjects",
            str(subjects),
            "--from-dates",
            "-o",
            str(derived),
        ],
    )
    assert r.exit_code == 0, r.output
    assert pl.read_parquet(derived).height == 120


def test_cli_rs_several_evaluators_is_one_line(tmp_path):
    rs = _rs([("S1", "2020-03-06", "PR"), ("S1", "2020-03-06", "SD")], RSEVAL=["A", "B"])
    rs.write_parquet(tmp_path / "rs.parquet")
    _dm().write_parquet(tmp_path / "dm.parquet")
    r = CliRunner().invoke(
        app, ["sdtm", "rs", str(tmp_path / "rs.parquet"), "--dm", str(tmp_path / "dm.parquet")]
    )
    assert r.exit_code == 1
    assert r.stderr.strip() == (
        "error: RS `RSEVAL` holds 2 evaluators ('A', 'B'); choose one with evaluator"
    )


def test_sdtm_variable_types():
    tr = _tr([("S1", "2020-01-05", "LDIAM", "TARGET", 4.0)])
    with pytest.raises(ColumnTypeError, match=r"^TR `TRSTRESN` must hold numbers; found String$"):
        tr_target_sums(tr.with_columns(pl.col("TRSTRESN").cast(pl.String)), _dm())
    lb = _lb(LB_ROWS).with_columns(
        LBSTRESN=pl.when(pl.col("LBREFID") == "A1").then(float("nan")).otherwise("LBSTRESN")
    )
    with pytest.raises(
        InvalidValueError,
        match=r"^LB `LBSTRESN` must be finite; found 2 values NaN or infinite \(first: USUBJID 'S1'\)$",
    ):
        lb_labs(lb, _dm())
    rs = _rs([("S1", "2020-03-06", "PR")]).with_columns(RSSTRESC=pl.lit(True))
    with pytest.raises(ColumnTypeError, match=r"^RS `RSSTRESC` must hold text; found Boolean$"):
        rs_visits(rs, _dm())
    categorical = _rs([("S1", "2020-03-06", "PR")]).with_columns(
        pl.col("RSSTRESC").cast(pl.Categorical)
    )
    assert rs_visits(categorical, _dm())[0]["response"].to_list() == ["PR"]


def test_tr_negative_diameters():
    tr = _tr([("S1", "2020-01-05", "LDIAM", "TARGET", -4.0)])
    with pytest.raises(
        InvalidValueError,
        match=r"^TR `TRSTRESN` must be non-negative for target diameters; found 1 negative "
        r"value \(first: USUBJID 'S1', -4.0\)$",
    ):
        tr_target_sums(tr, _dm())


def test_sdtm_dm_gives_the_subject_table_of_sdtm_rs():
    dm = survstat.datasets.load("breast_trial_dm")
    out = ANALYSES["sdtm dm"].run(dm)
    visits = ANALYSES["sdtm rs"].run(survstat.datasets.load("breast_trial_rs"), dm)
    assert out.table.equals(visits.extras[0].table)
    assert out.notes == visits.notes
    bare = ANALYSES["sdtm dm"].run(dm.drop("RFPENDTC", "DTHDTC"))
    assert bare.table.columns == ["subject_id", "arm", "start_date"]
    assert any("no RFPENDTC" in n for n in bare.notes)


def test_job_sdtm_then_recist_derive(tmp_path):
    from survstat.batch.job import load_job
    from survstat.batch.runner import run_job

    job = tmp_path / "job.toml"
    job.write_text(
        """
[job]
title = "SDTM to RECIST"
output = "results"

[inputs]
rs = { dataset = "breast_trial_rs" }
dm = { dataset = "breast_trial_dm" }

[[step]]
name = "visits"
analysis = "sdtm rs"
input = "rs"
dm = "dm"
evaluator = "INVESTIGATOR"

[[step]]
name = "subjects"
analysis = "sdtm dm"
input = "dm"

[[step]]
name = "derived"
analysis = "recist derive"
input = "visits"
subjects = "subjects"
from_dates = true
"""
    )
    run_job(load_job(job))
    derived = pl.read_parquet(tmp_path / "results" / "derived.parquet")
    assert derived.height == 120
    assert (tmp_path / "results" / "visits.subjects.parquet").exists()
