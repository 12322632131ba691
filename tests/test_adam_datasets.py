"""ADaM ADRS and ADTTE from the RECIST and CML derivations (``--adam DIR``).

The round trips that matter: Kaplan–Meier from the ADTTE (``--param PFS``) equals
Kaplan–Meier from the derived columns, and the response rate from the ADRS (``--param CBOR``,
``--param BOR``) equals the rate from the derived best overall response.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

import survstat
from survstat.analyses.survival import km
from survstat.cli import app
from survstat.endpoints.adam_datasets import (
    CML_CENSORING,
    PARAMS,
    RECIST_CENSORING,
    RESPONSE_CODES,
    cml_adtte,
    recist_adrs,
    recist_adtte,
)
from survstat.errors import ColumnNotFoundError, InvalidValueError
from survstat.io import read_labels, read_metadata

runner = CliRunner()
RESPONDERS = ["CR", "PR"]


def _cli(*args: object) -> str:
    r = runner.invoke(app, [str(a) for a in args])
    assert r.exit_code == 0, r.output
    return r.output


def _data(name: str) -> str:
    return str(survstat.datasets.path(name))


@pytest.fixture(scope="module")
def recist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`recist derive --adam` on the bundled breast trial, with and without confirmation."""
    out: dict[str, Path] = {}
    for confirm in ("--confirm", "--no-confirm"):
        folder = tmp_path_factory.mktemp(confirm.strip("-"))
        _cli(
            "recist",
            "derive",
            _data("breast_trial_assessments"),
            "--subjects",
            _data("breast_trial_subjects"),
            confirm,
            "--adam",
            folder,
            "-o",
            folder / "derived.parquet",
        )
        out[confirm] = folder
    return out


# --- the round trips ------------------------------------------------------------------------


@pytest.mark.parametrize(("param", "prefix"), [("PFS", "pfs"), ("OS", "os"), ("TTP", "ttp")])
def test_km_on_adtte_equals_km_on_the_derived_columns(recist, tmp_path, param, prefix):
    folder = recist["--confirm"]
    adam, derived = tmp_path / "adam.parquet", tmp_path / "derived.parquet"
    _cli("km", folder / "adtte.parquet", "--param", param, "--by", "arm", "-o", adam)
    _cli(
        "km",
        folder / "derived.parquet",
        "--time",
        f"{prefix}_time",
        "--event",
        f"{prefix}_event",
        "--by",
        "arm",
        "-o",
        derived,
    )
    assert_frame_equal(pl.read_parquet(adam), pl.read_parquet(derived))


def test_km_of_dor_equals_km_on_the_responders(recist):
    folder = recist["--confirm"]
    derived = pl.read_parquet(folder / "derived.parquet")
    got = km(folder / "adtte.parquet", param="DOR", by=["arm"]).table
    responders = derived.filter(pl.col("dor_time").is_not_null())
    expected = km(responders, time="dor_time", event="dor_event", by=["arm"]).table
    assert_frame_equal(got, expected)


@pytest.mark.parametrize(("confirm", "param"), [("--confirm", "CBOR"), ("--no-confirm", "BOR")])
def test_response_on_adrs_equals_the_derived_bor_rates(recist, tmp_path, confirm, param):
    """With confirmation the derived bor is CBOR; without it, BOR."""
    folder = recist[confirm]
    adam, derived = tmp_path / "adam.parquet", tmp_path / "derived.parquet"
    common = ["--responder-values", "CR,PR", "--by", "arm"]
    _cli("response", recist["--confirm"] / "adrs.parquet", "--param", param, *common, "-o", adam)
    _cli("response", folder / "derived.parquet", "--response", "bor", *common, "-o", derived)
    assert_frame_equal(pl.read_parquet(adam), pl.read_parquet(derived))


def test_adrs_is_the_same_whatever_the_confirm_option(recist):
    a = pl.read_parquet(recist["--confirm"] / "adrs.parquet")
    b = pl.read_parquet(recist["--no-confirm"] / "adrs.parquet")
    assert_frame_equal(a, b)


def test_cml_km_on_adtte_equals_km_on_the_endpoints(tmp_path):
    folder = tmp_path
    for level in ("MR4.5", "MMR"):
        _cli(
            "cml",
            "endpoints",
            _data("cml_two_arm_labs"),
            "--patients",
            _data("cml_two_arm_patients"),
            "--level",
            level,
            "--adam",
            folder,
            "-o",
            folder / f"{level}.parquet",
        )
        adtte = pl.read_parquet(folder / "adtte.parquet")
        code = "TTMR45" if level == "MR4.5" else "TTMMR"
        assert set(adtte["PARAMCD"].unique()) == {"TTMR45", code, "LOSSMMR"}
        derived = pl.read_parquet(folder / f"{level}.parquet")
        expected = km(
            derived.with_columns(response=pl.col("cause") == 1),
            time="time",
            event="response",
            by=["arm"],
        ).table
        assert_frame_equal(km(adtte, param=code, by=["arm"]).table, expected)
    loss = survstat.endpoints.cml_monitoring.loss_of_mmr(_data("cml_two_arm_labs"))
    expected = km(loss, time="duration", event="loss_of_mmr").table
    assert_frame_equal(km(adtte, param="LOSSMMR").table, expected)


# --- what the files hold ---------------------------------------------------------------------


def test_files_carry_cdisc_labels_and_provenance(recist):
    folder = recist["--confirm"]
    labels = read_labels(folder / "adtte.parquet")
    assert labels["CNSR"] == "Censor"
    assert labels["STARTDT"] == "Time-to-Event Origin Date for Subject"
    assert "arm" not in labels
    assert read_labels(folder / "adrs.parquet")["AVALC"] == "Analysis Value (C)"
    meta = read_metadata(folder / "adrs.parquet")
    assert meta["analysis"] == "recist derive"
    assert meta["parameters"]["confirm"] is True


def test_adtte_cnsr_codes_follow_the_censor_reasons(recist):
    folder = recist["--confirm"]
    adtte = pl.read_parquet(folder / "adtte.parquet")
    derived = pl.read_parquet(folder / "derived.parquet")
    pfs = adtte.filter(pl.col("PARAMCD") == "PFS")
    assert pfs["USUBJID"].to_list() == derived["subject_id"].to_list()
    assert pfs["EVNTDESC"].to_list() == derived["pfs_censor_reason"].to_list()
    codes = {c.reason: c.code for c in RECIST_CENSORING}
    for row in pfs.iter_rows(named=True):
        expected = 0 if row["EVNTDESC"] in ("progression", "death") else None
        if expected is None:
            expected = next(v for k, v in codes.items() if row["EVNTDESC"].startswith(k))
        assert row["CNSR"] == expected
    assert pfs["STARTDT"].is_null().all()
    assert pfs["ADT"].is_null().all()
    dor = adtte.filter(pl.col("PARAMCD") == "DOR")
    assert dor.height == derived["dor_time"].is_not_null().sum()


def test_adrs_rows(recist):
    adrs = pl.read_parquet(recist["--confirm"] / "adrs.parquet")
    visits = pl.read_parquet(_data("breast_trial_assessments"))
    ovr = adrs.filter(pl.col("PARAMCD") == "OVR")
    assert ovr.height == visits.height
    assert (ovr["ADY"] == ovr["ADY"].round()).all()
    assert set(adrs["PARAM"].unique()) == {PARAMS[p] for p in ("OVR", "BOR", "CBOR")}
    coded = adrs.select(pl.col("AVALC").replace_strict(RESPONSE_CODES).cast(pl.Float64))
    assert coded.to_series().to_list() == adrs["AVAL"].to_list()
    first = adrs.filter(pl.col("USUBJID") == "S001")
    assert first["PARAMCD"].to_list()[-2:] == ["BOR", "CBOR"]


# --- hand-built cases -----------------------------------------------------------------------


def _derived(**columns: list[object]) -> pl.DataFrame:
    base: dict[str, list[object]] = {
        "subject_id": ["a", "b", "c"],
        "pfs_time": [10.0, 20.0, 0.0],
        "pfs_event": [True, False, False],
        "pfs_censor_reason": [
            "progression",
            "new anticancer therapy (death on its first day)",
            "no post-baseline assessment",
        ],
        "ttp_time": [10.0, 20.0, 0.0],
        "ttp_event": [True, False, False],
        "ttp_censor_reason": ["progression", "missed assessments", "no baseline assessment"],
        "os_time": [30.0, 40.0, 5.0],
        "os_event": [True, False, False],
        "dor_time": [4.0, None, None],
        "dor_event": [True, None, None],
        "dor_censor_reason": ["progression", None, None],
        "arm": ["A", "B", "A"],
    }
    return pl.DataFrame({**base, **columns})


def test_recist_adtte_hand_built():
    t = recist_adtte(_derived(), keep=["arm"]).table
    pfs = t.filter(pl.col("PARAMCD") == "PFS")
    assert pfs["CNSR"].to_list() == [0, 4, 2]
    assert pfs["CNSDTDSC"].to_list()[1:] == ["LAST ADEQUATE ASSESSMENT BEFORE NEW THERAPY", "START"]
    assert t.filter(pl.col("PARAMCD") == "TTP")["CNSR"].to_list() == [0, 5, 3]
    os_ = t.filter(pl.col("PARAMCD") == "OS")
    assert os_["CNSR"].to_list() == [0, 1, 1]
    assert os_["EVNTDESC"].to_list() == ["death", "alive", "alive"]
    assert t.filter(pl.col("USUBJID") == "a")["PARAMCD"].to_list() == ["PFS", "TTP", "OS", "DOR"]
    assert t["arm"].to_list()[:4] == ["A"] * 4


def test_recist_adtte_dates_when_the_start_is_known():
    import datetime as dt

    start = pl.Series("start_date", [dt.date(2024, 1, 1)] * 3)
    t = recist_adtte(_derived().with_columns(start), start="start_date").table
    pfs = t.filter(pl.col("PARAMCD") == "PFS")
    assert pfs["ADT"].to_list() == [dt.date(2024, 1, 11), dt.date(2024, 1, 21), dt.date(2024, 1, 1)]


def test_unknown_censor_reason_is_an_error():
    bad = _derived(pfs_censor_reason=["progression", "lost to follow-up", "no progression"])
    with pytest.raises(
        InvalidValueError,
        match=r"PFS: 1 censored subject has a reason without a CNSR code \(first: subject "
        r"'b', 'lost to follow-up'\)",
    ):
        recist_adtte(bad)


def test_missing_derived_column_is_an_error():
    with pytest.raises(ColumnNotFoundError, match=r"column `os_event` \(given as recist derive"):
        recist_adtte(_derived().drop("os_event"))


def test_recist_adrs_hand_built():
    visits = pl.DataFrame(
        {"subject_id": ["a", "a", "b"], "day": [1.0, 56.0, 30.0], "response": ["sd", "PR", "NN"]}
    )
    best = pl.DataFrame({"subject_id": ["b", "a"], "bor": ["NON-CR/NON-PD", "PR"]})
    confirmed = best.with_columns(pl.Series("bor", ["NON-CR/NON-PD", "SD"]))
    t = recist_adrs(visits, bor=best, cbor=confirmed).table
    assert t["USUBJID"].to_list() == ["b", "b", "b", "a", "a", "a", "a"]
    assert t["PARAMCD"].to_list() == ["OVR", "BOR", "CBOR", "OVR", "OVR", "BOR", "CBOR"]
    assert t["AVALC"].to_list()[3:] == ["SD", "PR", "PR", "SD"]
    assert t["AVAL"].to_list() == [4.0, 4.0, 4.0, 3.0, 2.0, 2.0, 3.0]
    assert t["ADY"].to_list()[:4] == [31.0, None, None, 2.0]


def test_cml_adtte_hand_built():
    endpoints = pl.DataFrame(
        {
            "patient_id": ["p1", "p2", "p3", "p4", "p5"],
            "time": [3.0, 12.0, 7.0, 9.0, 2.0],
            "cause": [1, 0, 2, 3, 4],
            "cause_label": ["response", "censored", "discontinuation", "progression", "death"],
        }
    )
    loss = pl.DataFrame(
        {"patient_id": ["p1"], "duration": [5.5], "loss_of_mmr": [True]},
    )
    t = cml_adtte({"MR4.5": endpoints}, loss=loss).table
    ttr = t.filter(pl.col("PARAMCD") == "TTMR45")
    assert ttr["CNSR"].to_list() == [0, 1, 2, 3, 4]
    assert ttr["CNSDTDSC"].to_list()[1:] == [c.date for c in CML_CENSORING]
    lost = t.filter(pl.col("PARAMCD") == "LOSSMMR").row(0, named=True)
    assert (lost["USUBJID"], lost["AVAL"], lost["CNSR"]) == ("p1", 5.5, 0)


# --- the command line -----------------------------------------------------------------------


def test_adam_folder_must_exist(tmp_path):
    r = runner.invoke(
        app,
        [
            "recist",
            "derive",
            _data("breast_trial_assessments"),
            "--subjects",
            _data("breast_trial_subjects"),
            "--adam",
            str(tmp_path / "nope"),
        ],
    )
    assert r.exit_code == 1
    assert "output folder" in r.output
    assert "does not exist" in r.output
    assert "Traceback" not in r.output


def test_from_dates_carries_adt_and_startdt(tmp_path):
    import datetime as dt

    from survstat.analyses.recist import derive

    start = dt.date(2021, 3, 1)
    visits = pl.read_parquet(_data("breast_trial_assessments"))
    subjects = pl.read_parquet(_data("breast_trial_subjects"))

    def as_date(day: str) -> pl.Expr:
        return pl.lit(start) + pl.duration(days=pl.col(day).round().cast(pl.Int64))

    dated_visits = visits.with_columns(as_date("day").alias("assessment_date")).drop("day")
    dated = subjects.select(
        "subject_id",
        "arm",
        pl.lit(start).alias("start_date"),
        as_date("death_day").alias("death_date"),
        as_date("last_alive_day").alias("last_alive_date"),
    )
    out = derive(dated_visits, dated, from_dates=True, adam=str(tmp_path))
    assert any(n.startswith("ADaM ADTTE: wrote") for n in out.notes)
    adtte = pl.read_parquet(tmp_path / "adtte.parquet")
    os_ = adtte.filter(pl.col("PARAMCD") == "OS")
    assert (os_["STARTDT"] == start).all()
    days = (os_["ADT"] - os_["STARTDT"]).dt.total_days().cast(pl.Float64)
    assert days.to_list() == os_["AVAL"].to_list()
    ovr = pl.read_parquet(tmp_path / "adrs.parquet").filter(pl.col("PARAMCD") == "OVR")
    ady = (ovr["ADT"] - pl.Series([start] * ovr.height)).dt.total_days() + 1
    assert ady.cast(pl.Float64).to_list() == ovr["ADY"].to_list()


# --- SAS transport (--adam-format xpt) -----------------------------------------------------


def test_adam_xpt_holds_what_the_parquet_holds(recist, tmp_path):
    """`--adam-format xpt`: the same rows, values and labels as the Parquet datasets, less the
    carried columns SAS cannot name (said in the notes); text nulls read back as ""."""
    out = _cli(
        "recist",
        "derive",
        _data("breast_trial_assessments"),
        "--subjects",
        _data("breast_trial_subjects"),
        "--adam",
        tmp_path,
        "--adam-format",
        "xpt",
    )
    assert "2 subject-table columns left out of the SAS transport file" in out
    assert "pakt_hscore, prior_cdk46" in out
    for name in ("adrs", "adtte"):
        parquet = pl.read_parquet(recist["--confirm"] / f"{name}.parquet")
        xpt = survstat.io.scan(tmp_path / f"{name}.xpt")[0].collect()
        expected = parquet.drop("pakt_hscore", "prior_cdk46")
        assert xpt.columns == expected.columns
        for column in expected.columns:
            want = expected.get_column(column)
            if want.dtype == pl.String:
                want = want.fill_null("")
            else:
                want = want.cast(pl.Float64) if want.dtype.is_numeric() else want
            assert_frame_equal(
                xpt.select(column), want.to_frame(), check_dtypes=False, check_column_order=False
            )
        assert read_labels(tmp_path / f"{name}.xpt") == read_labels(
            recist["--confirm"] / f"{name}.parquet"
        )
        assert read_metadata(tmp_path / f"{name}.xpt")["analysis"] == "recist derive"
    got = km(tmp_path / "adtte.xpt", param="PFS", by=["arm"]).table
    want = km(recist["--confirm"] / "adtte.parquet", param="PFS", by=["arm"]).table
    assert_frame_equal(got, want)


def test_adam_xpt_refusal_writes_no_dataset(tmp_path):
    """A carried value SAS transport cannot hold (non-ASCII) is refused before any file."""
    subjects = pl.read_parquet(_data("breast_trial_subjects")).with_columns(
        pl.when(pl.col("subject_id") == "S002")
        .then(pl.lit("bras B (é)"))
        .otherwise("arm")
        .alias("arm")
    )
    subjects.write_parquet(tmp_path / "subjects.parquet")
    folder = tmp_path / "adam"
    folder.mkdir()
    r = runner.invoke(
        app,
        [
            "recist",
            "derive",
            _data("breast_trial_assessments"),
            "--subjects",
            str(tmp_path / "subjects.parquet"),
            "--adam",
            str(folder),
            "--adam-format",
            "xpt",
        ],
    )
    assert r.exit_code == 1
    assert "column `arm` of dataset `ADRS` must be ASCII text" in r.output
    assert list(folder.iterdir()) == []


def test_cml_adam_xpt(tmp_path):
    _cli(
        "cml",
        "endpoints",
        _data("cml_two_arm_labs"),
        "--patients",
        _data("cml_two_arm_patients"),
        "--adam",
        tmp_path,
        "--adam-format",
        "xpt",
    )
    got = km(tmp_path / "adtte.xpt", param="TTMR45", by=["arm"]).table
    parquet = tmp_path / "parquet"
    parquet.mkdir()
    _cli(
        "cml",
        "endpoints",
        _data("cml_two_arm_labs"),
        "--patients",
        _data("cml_two_arm_patients"),
        "--adam",
        parquet,
    )
    assert_frame_equal(got, km(parquet / "adtte.parquet", param="TTMR45", by=["arm"]).table)


@pytest.mark.parametrize("option", ['adam = "adam"', 'adam_format = "xpt"'])
def test_a_job_file_does_not_write_adam_datasets(tmp_path, option):
    """A job writes only inside its output folder; --adam writes elsewhere: refused, with the
    command to run instead."""
    from survstat.batch import JobError, load_job

    job = tmp_path / "job.toml"
    job.write_text(
        f"""[inputs]
visits = "{_data("breast_trial_assessments")}"
subjects = "{_data("breast_trial_subjects")}"

[[step]]
analysis = "recist derive"
data = "visits"
subjects = "subjects"
{option}
"""
    )
    name = option.split(" ")[0]
    with pytest.raises(JobError, match=rf"`{name}` is for the command line only: it writes ADaM"):
        load_job(job)
