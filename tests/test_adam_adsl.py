"""ADaM subject-level data: ``adsl`` (``--adsl``) joins ADSL to the analysis rows by
``USUBJID`` and ``population`` (``--population``) keeps the subjects whose flag is "Y".

CDISC ADaM IG 1.3, section 3.1: ADSL holds one row per subject (``USUBJID``) with the
treatment (``TRT01P``), stratification factors and population flags ("Y", "N" or blank); an
ADTTE or ADRS carries ``USUBJID`` and often little else. Each analysis below equals the same
analysis on the tables joined and filtered by hand (a dictionary look-up per row).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyreadstat
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from survstat.adsl import with_adsl
from survstat.analyses.plots import cif_plot, km_plot
from survstat.analyses.rates import compare_rates, response
from survstat.analyses.survival import cif, cox_model, finegray, gray, km, logrank_test, summary
from survstat.batch import JobError, load_job, run_job
from survstat.batch.report import write_report
from survstat.cli import app
from survstat.errors import (
    ColumnNotFoundError,
    EmptyDataError,
    EngineError,
    InvalidValueError,
)
from survstat.io import read_metadata

runner = CliRunner()

SUBJECTS = [f"S{i:02d}" for i in range(1, 13)]
OS_TIMES = [3.0, 5.0, 8.0, 9.0, 12.0, 14.0, 20.0, 24.0, 7.0, 16.0, 30.0]


def _adsl() -> pl.DataFrame:
    """Twelve subjects: two arms, an age stratum, S05 outside the ITT population."""
    return pl.DataFrame(
        {
            "USUBJID": SUBJECTS,
            "TRT01P": ["Drug", "Placebo"] * 6,
            "TRT01PN": [1, 2] * 6,
            "AGEGR1": ["<65", "<65", ">=65", ">=65"] * 3,
            "AGE": [50, 61, 70, 72, 45, 80, 66, 59, 71, 63, 68, 77],
            "ITTFL": ["Y"] * 4 + ["N"] + ["Y"] * 7,
            "SAFFL": ["Y"] * 10 + ["", None],
        }
    )


def _adtte() -> pl.DataFrame:
    """OS and PFS rows of S01-S11 (S12 is in ADSL only), without the treatment."""
    n = 11
    return pl.DataFrame(
        {
            "USUBJID": SUBJECTS[:n] * 2,
            "PARAMCD": ["OS"] * n + ["PFS"] * n,
            "AVAL": [*OS_TIMES, 2.0, 4.0, 6.0, 5.0, 9.0, 10.0, 11.0, 12.0, 4.0, 8.0, 13.0],
            "CNSR": [0, 0, 1, 0, 2, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1],
        }
    )


def _by_hand(rows: pl.DataFrame, *columns: str, population: str | None = None) -> pl.DataFrame:
    """``rows`` with ADSL's ``columns`` looked up subject by subject, then the population."""
    adsl = {r["USUBJID"]: r for r in _adsl().iter_rows(named=True)}
    ids = rows.get_column("USUBJID").to_list()
    added = {c: [adsl[s][c] for s in ids] for c in columns}
    out = rows.with_columns(pl.Series(c, v) for c, v in added.items())
    if population is not None:
        keep = [adsl[s][population] == "Y" for s in ids]
        out = out.filter(pl.Series(keep))
    return out


def _os() -> pl.DataFrame:
    return _adtte().filter(pl.col("PARAMCD") == "OS")


# --- the join: each analysis equals the analysis of the tables joined by hand -------------


def test_km_by_an_adsl_column_equals_km_on_the_data_joined_by_hand():
    got = km(_adtte(), _adsl(), param="OS", by=["TRT01P"])
    want = km(_by_hand(_os(), "TRT01P"), by=["TRT01P"], time="AVAL", censor="CNSR")
    assert_frame_equal(got.table, want.table)
    assert got.notes == ()  # no population, nothing removed


def test_population_keeps_the_subjects_flagged_y_and_says_how_many_went():
    got = km(_adtte(), _adsl(), param="OS", by=["TRT01P"], population="ITTFL")
    hand = _by_hand(_os(), "TRT01P", population="ITTFL")
    assert hand.height == 10  # S05 is not in the ITT population
    want = km(hand, by=["TRT01P"], time="AVAL", censor="CNSR")
    assert_frame_equal(got.table, want.table)
    assert got.notes == ('population ITTFL = "Y": 10 of 11 subjects kept, 1 removed',)
    assert got.n_rows == 10


def test_population_without_adsl_reads_the_flag_in_the_analysis_data():
    adtte = _by_hand(_adtte(), "ITTFL")
    got = summary(adtte, param="PFS", population="ITTFL")
    want = summary(_by_hand(_adtte().filter(pl.col("PARAMCD") == "PFS"), population="ITTFL"))
    assert_frame_equal(got.table, want.table)
    assert got.notes == ('population ITTFL = "Y": 10 of 11 subjects kept, 1 removed',)


def test_a_blank_or_null_flag_is_not_y():
    got = with_adsl(_os(), _adsl(), population="SAFFL")
    kept = got.data.collect().get_column("USUBJID").to_list()
    assert kept == SUBJECTS[:10]  # S11's SAFFL is blank; S12 is not analysed
    assert got.notes == ('population SAFFL = "Y": 10 of 11 subjects kept, 1 removed',)


def test_logrank_stratified_by_an_adsl_factor():
    got = logrank_test(_adtte(), _adsl(), param="OS", by=["TRT01P"], strata=["AGEGR1"])
    hand = _by_hand(_os(), "TRT01P", "AGEGR1")
    want = logrank_test(hand, by=["TRT01P"], strata=["AGEGR1"])
    assert_frame_equal(got.table, want.table)
    assert got.table.get_column("statistic").item() > 0


def test_cox_with_adsl_covariates_and_population():
    got = cox_model(
        _adtte(), _adsl(), param="PFS", covariates=["TRT01P", "AGE"], population="ITTFL"
    )
    pfs = _adtte().filter(pl.col("PARAMCD") == "PFS")
    hand = _by_hand(pfs, "TRT01P", "AGE", population="ITTFL")
    want = cox_model(hand, time="AVAL", censor="CNSR", covariates=["TRT01P", "AGE"])
    assert_frame_equal(got.table, want.table)
    assert got.table.get_column("term").to_list() == ["TRT01P[Placebo]", "AGE"]
    assert got.notes == ('population ITTFL = "Y": 10 of 11 subjects kept, 1 removed',)


def test_a_column_both_tables_hold_with_equal_values_is_kept_once():
    adtte = _by_hand(_adtte(), "TRT01P")  # an ADTTE often copies TRT01P from ADSL
    got = km(adtte, _adsl(), param="OS", by=["TRT01P"])
    assert_frame_equal(got.table, km(_adtte(), _adsl(), param="OS", by=["TRT01P"]).table)
    joined = with_adsl(adtte, _adsl()).data.collect()
    assert joined.columns.count("TRT01P") == 1
    assert joined.columns == [*adtte.columns, "TRT01PN", "AGEGR1", "AGE", "ITTFL", "SAFFL"]
    assert joined.height == adtte.height  # a left join keeps the analysis rows in order
    assert joined.get_column("USUBJID").to_list() == adtte.get_column("USUBJID").to_list()


def test_integer_and_float_copies_of_a_number_agree():
    adtte = _by_hand(_os(), "TRT01PN").with_columns(pl.col("TRT01PN").cast(pl.Float64))
    assert with_adsl(adtte, _adsl()).data.collect().height == 11


# --- competing risks with param -----------------------------------------------------------


def _adce() -> pl.DataFrame:
    """Two competing-risks parameters per subject: CAUSE 0 censored, 1 and 2 the causes."""
    n = 11
    return pl.DataFrame(
        {
            "USUBJID": SUBJECTS[:n] * 2,
            "PARAMCD": ["TTREL"] * n + ["TTDISC"] * n,
            "AVAL": OS_TIMES * 2,
            "CAUSE": [1, 2, 0, 1, 1, 2, 1, 0, 2, 1, 0, 2, 1, 1, 0, 2, 1, 0, 1, 1, 2, 2],
        }
    )


def test_cif_gray_and_finegray_take_param_and_adsl():
    rows = _by_hand(_adce().filter(pl.col("PARAMCD") == "TTREL"), "TRT01P", "AGE")
    common = {"time": "AVAL", "cause": "CAUSE"}
    got = cif(_adce(), _adsl(), param="TTREL", by=["TRT01P"], **common)
    assert_frame_equal(got.table, cif(rows, by=["TRT01P"], **common).table)
    got = gray(_adce(), _adsl(), param="TTREL", by=["TRT01P"], **common)
    assert_frame_equal(got.table, gray(rows, by=["TRT01P"], **common).table)
    fg = {"failcode": 1, "covariates": ["TRT01P", "AGE"]}
    got = finegray(_adce(), _adsl(), param="TTREL", **common, **fg)
    assert_frame_equal(got.table, finegray(rows, **common, **fg).table)


def test_cif_without_param_on_several_parameters_is_an_error():
    with pytest.raises(Exception, match=r"`PARAMCD` holds 2 parameters \(TTDISC, TTREL\)"):
        cif(_adce(), time="AVAL", cause="CAUSE")


def test_cif_population_from_adsl():
    got = cif(_adce(), _adsl(), param="TTDISC", time="AVAL", cause="CAUSE", population="ITTFL")
    rows = _by_hand(_adce().filter(pl.col("PARAMCD") == "TTDISC"), population="ITTFL")
    assert_frame_equal(got.table, cif(rows, time="AVAL", cause="CAUSE").table)
    assert got.notes == ('population ITTFL = "Y": 10 of 11 subjects kept, 1 removed',)


# --- response with ADRS + ADSL ------------------------------------------------------------


def _adrs() -> pl.DataFrame:
    """BOR once per subject of S01-S11 and OVR at two visits."""
    bor = ["CR", "PR", "SD", "PD", "PR", "NE", "PR", "SD", "CR", "PD", "PR"]
    n = len(bor)
    return pl.DataFrame(
        {
            "USUBJID": SUBJECTS[:n] * 3,
            "PARAMCD": ["BOR"] * n + ["OVR"] * 2 * n,
            "AVALC": bor + ["SD"] * 2 * n,
        }
    )


def test_response_and_compare_rates_by_an_adsl_arm():
    bor = _adrs().filter(pl.col("PARAMCD") == "BOR")
    hand = _by_hand(bor, "TRT01P", population="ITTFL")
    options = {"responder_values": ["CR", "PR"]}
    got = response(_adrs(), _adsl(), param="BOR", by=["TRT01P"], population="ITTFL", **options)
    assert_frame_equal(got.table, response(hand, by=["TRT01P"], **options).table)
    assert got.table.get_column("n").to_list() == [5, 5]
    assert got.notes == ('population ITTFL = "Y": 10 of 11 subjects kept, 1 removed',)
    got = compare_rates(_adrs(), _adsl(), param="BOR", by="TRT01P", **options)
    want = compare_rates(_by_hand(bor, "TRT01P"), by="TRT01P", **options)
    assert_frame_equal(got.table, want.table)


def test_visits_are_refused_before_the_join():
    # the one-row-per-subject rule of ADRS keeps its message with an ADSL
    with pytest.raises(InvalidValueError, match="one row per subject expected; OVR holds visits"):
        response(_adrs(), _adsl(), param="OVR", responder_values=["CR", "PR"])


# --- the rules of the join, each an error naming the table, the count and an example ------


def test_no_usubjid_in_the_analysis_data():
    with pytest.raises(
        ColumnNotFoundError,
        match=r"column `USUBJID` \(given as the subject identifier that joins ADSL\) not "
        r"found in the analysis data",
    ):
        km(_adtte().drop("USUBJID"), _adsl(), param="OS")


def test_no_usubjid_in_adsl(tmp_path):
    path = tmp_path / "adsl.parquet"
    _adsl().rename({"USUBJID": "SUBJID"}).write_parquet(path)
    with pytest.raises(
        ColumnNotFoundError,
        match=rf"`USUBJID` \(given as the subject identifier that joins ADSL\) not found in "
        rf"ADSL `{path}`; did you mean `SUBJID`\?",
    ):
        km(_adtte(), str(path), param="OS")


def test_a_subject_on_several_adsl_rows():
    adsl = pl.concat([_adsl(), _adsl().filter(pl.col("USUBJID").is_in(["S03", "S07"]))])
    with pytest.raises(
        InvalidValueError,
        match=r"ADSL: `USUBJID` must identify one row per subject \(ADaM IG 1.3, section 3.1\); "
        r"found 2 subjects on several rows \(first: 'S03' on 2 rows\)",
    ):
        km(_adtte(), adsl, param="OS")


def test_analysed_subjects_missing_from_adsl():
    adsl = _adsl().filter(~pl.col("USUBJID").is_in(["S04", "S09"]))
    with pytest.raises(
        InvalidValueError,
        match=r"ADSL must hold every analysed subject \(`USUBJID`\); found 2 subjects of the "
        r"analysis data not in it \(first: 'S04'\)",
    ):
        km(_adtte(), adsl, param="OS")


def test_only_the_rows_of_the_parameter_need_a_subject_in_adsl():
    # S13 has PFS only: analysing OS it is no concern of ADSL's
    extra = pl.DataFrame({"USUBJID": ["S13"], "PARAMCD": ["PFS"], "AVAL": [1.0], "CNSR": [0]})
    adtte = pl.concat([_adtte(), extra])
    assert km(adtte, _adsl(), param="OS").n_rows == 11
    with pytest.raises(InvalidValueError, match=r"found 1 subject of the analysis data not in it"):
        km(adtte, _adsl(), param="PFS")


def test_a_shared_column_whose_values_differ():
    adtte = _by_hand(_adtte(), "TRT01P").with_columns(
        TRT01P=pl.when(pl.col("USUBJID").is_in(["S02", "S06"]))
        .then(pl.lit("Drug"))
        .otherwise(pl.col("TRT01P"))
    )
    with pytest.raises(
        InvalidValueError,
        match=r"`TRT01P` is in both the analysis data and ADSL with different values for 2 "
        r"subjects \(first: 'S02' with 'Drug' in the analysis data, 'Placebo' in ADSL\); make "
        r"them agree or drop one",
    ):
        km(adtte, _adsl(), param="OS", by=["TRT01P"])


def test_a_flag_with_other_values_than_y_n_or_blank():
    adsl = _adsl().with_columns(
        ITTFL=pl.Series(["Y", "YES", "N", "Y", "1", "Y", "YES", "Y", "Y", "Y", "Y", "Y"])
    )
    with pytest.raises(
        InvalidValueError,
        match=r'`ITTFL` \(population flag\) in ADSL must be "Y", "N" or blank \(ADaM IG 1.3, '
        r"section 3.1\); found 3 rows with 'YES', '1' \(first: 'YES' for subject 'S02'\)",
    ):
        km(_adtte(), adsl, param="OS", population="ITTFL")


def test_a_flag_without_usubjid_is_reported_at_its_row():
    rows = pl.DataFrame({"t": [1.0, 2.0, 3.0], "e": [1, 0, 1], "FL": ["Y", "y", None]})
    with pytest.raises(
        InvalidValueError,
        match=r"in the analysis data must be .* found 1 row with 'y' \(first: 'y' for row 1\)",
    ):
        km(rows, time="t", event="e", population="FL")


def test_a_population_flag_that_is_not_in_adsl():
    with pytest.raises(
        ColumnNotFoundError,
        match=r"column `ITTFLG` \(given as population\) not found in ADSL; did you mean `ITTFL`",
    ):
        km(_adtte(), _adsl(), param="OS", population="ITTFLG")


def test_a_population_that_keeps_nobody():
    adsl = _adsl().with_columns(ITTFL=pl.lit("N"))
    with pytest.raises(
        EmptyDataError,
        match=r'population ITTFL = "Y" keeps none of the 11 analysed subjects: every `ITTFL` '
        r'is "N" or blank',
    ):
        km(_adtte(), adsl, param="OS", population="ITTFL")


def test_without_usubjid_a_population_counts_rows():
    rows = pl.DataFrame({"t": [1.0, 2.0, 3.0], "e": [1, 0, 1], "FL": ["Y", "N", ""]})
    got = km(rows, time="t", event="e", population="FL")
    assert got.notes == ('population FL = "Y": 1 of 3 rows kept, 2 removed',)


# --- the command line, figures, job files and .xpt ----------------------------------------


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    paths = {"adtte": tmp_path / "adtte.parquet", "adsl": tmp_path / "adsl.parquet"}
    _adtte().write_parquet(paths["adtte"])
    _adsl().write_parquet(paths["adsl"])
    return paths


def test_cli_km_with_adsl_and_population_records_the_note(files, tmp_path):
    out = tmp_path / "km.parquet"
    args = ["km", files["adtte"], "--adsl", files["adsl"], "--param", "OS", "--by", "TRT01P"]
    r = runner.invoke(app, [str(a) for a in [*args, "--population", "ITTFL", "-o", out]])
    assert r.exit_code == 0, r.output
    note = 'population ITTFL = "Y": 10 of 11 subjects kept, 1 removed'
    assert note in r.output
    want = km(_adtte(), _adsl(), param="OS", by=["TRT01P"], population="ITTFL").table
    assert_frame_equal(pl.read_parquet(out), want)
    meta = read_metadata(out)
    assert meta["notes"] == [note]
    assert meta["parameters"]["adsl"] == str(files["adsl"])
    assert meta["parameters"]["population"] == "ITTFL"


POP = ["--population", "TRT01P"]


def test_cli_errors_are_one_line(files):
    r = runner.invoke(
        app, ["km", str(files["adtte"]), "--adsl", str(files["adsl"]), "--population", "X"]
    )
    assert r.exit_code == 1
    # the parameter check comes first: PARAMCD holds OS and PFS
    assert r.output.count("\n") == 1
    assert r.output.startswith("error: `PARAMCD` holds 2")
    r = runner.invoke(
        app,
        ["km", str(files["adtte"]), "--adsl", str(files["adsl"]), "--param", "OS", *POP],
    )
    assert r.exit_code == 1
    assert r.output.count("\n") == 1
    assert "`TRT01P` (population flag) in ADSL `" in r.output
    assert "found 12 rows with 'Drug', 'Placebo'" in r.output


def test_cli_figures_take_adsl(files, tmp_path):
    args = ["plot", "km", files["adtte"], "--adsl", files["adsl"], "--param", "OS"]
    args += ["--by", "TRT01P", "--population", "ITTFL", "-o", tmp_path / "km.png"]
    r = runner.invoke(app, [str(a) for a in args])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "km.png").stat().st_size > 0


def test_figures_through_the_api():
    fig = km_plot(_adtte(), _adsl(), param="OS", by=["TRT01P"], population="ITTFL")
    assert fig.axes
    fig = cif_plot(_adce(), _adsl(), param="TTREL", time="AVAL", cause="CAUSE", by=["TRT01P"])
    assert fig.axes


def test_an_xpt_adsl_end_to_end(files, tmp_path):
    path = tmp_path / "adsl.xpt"
    pyreadstat.write_xport(
        _adsl().with_columns(pl.col("SAFFL").fill_null("")).to_pandas(),
        str(path),
        file_format_version=5,
        table_name="ADSL",
    )
    out = tmp_path / "lr.parquet"
    args = ["logrank", files["adtte"], "--adsl", path, "--param", "OS", "--by", "TRT01P"]
    r = runner.invoke(app, [str(a) for a in [*args, "--strata", "AGEGR1", "-o", out]])
    assert r.exit_code == 0, r.output
    want = logrank_test(_adtte(), _adsl(), param="OS", by=["TRT01P"], strata=["AGEGR1"])
    assert_frame_equal(pl.read_parquet(out), want.table)


def test_a_pandas_adsl():
    got = km(_adtte(), _adsl().to_pandas(), param="OS", by=["TRT01P"])
    assert_frame_equal(got.table, km(_adtte(), _adsl(), param="OS", by=["TRT01P"]).table)


_STEP = """
[[step]]
name = "os"
analysis = "km"
input = "adtte"
adsl = "adsl"
param = "OS"
by = "{by}"
population = "{flag}"
"""


def _job_file(tmp_path: Path, by: str = "TRT01P", flag: str = "ITTFL") -> Path:
    _adtte().write_parquet(tmp_path / "adtte.parquet")
    _adsl().write_parquet(tmp_path / "adsl.parquet")
    path = tmp_path / "job.toml"
    inputs = '[inputs]\nadtte = "adtte.parquet"\nadsl = "adsl.parquet"\n'
    path.write_text('[job]\noutput = "out"\n\n' + inputs + _STEP.format(by=by, flag=flag))
    return path


def test_a_job_step_joins_adsl_and_records_the_note(tmp_path):
    path = _job_file(tmp_path)
    manifest = run_job(load_job(path))
    assert manifest.get_column("status").to_list() == ["ok"]
    out = tmp_path / "out" / "os.parquet"
    want = km(_adtte(), _adsl(), param="OS", by=["TRT01P"], population="ITTFL").table
    assert_frame_equal(pl.read_parquet(out), want)
    note = 'population ITTFL = "Y": 10 of 11 subjects kept, 1 removed'
    assert read_metadata(out)["notes"] == [note]
    html = write_report(load_job(path), manifest).read_text()
    assert '<p class="note">population ITTFL = &quot;Y&quot;: 10 of 11 subjects kept' in html


def test_a_job_by_partition_keeps_each_partition_s_note(tmp_path):
    path = _job_file(tmp_path)
    step = 'param = "OS"\n'
    path.write_text(path.read_text().replace(step, 'by_partition = "PARAMCD"\n'))
    manifest = run_job(load_job(path))
    assert manifest.get_column("status").to_list() == ["ok"]
    assert read_metadata(tmp_path / "out" / "os.parquet")["notes"] == [
        'PARAMCD = OS: population ITTFL = "Y": 10 of 11 subjects kept, 1 removed',
        'PARAMCD = PFS: population ITTFL = "Y": 10 of 11 subjects kept, 1 removed',
    ]


def test_a_job_checks_columns_in_the_data_and_adsl(tmp_path):
    with pytest.raises(JobError) as info:
        load_job(_job_file(tmp_path, by="TRT01A", flag="ITTFLG"))
    problems = "\n".join(info.value.problems)
    assert (
        "job.toml:14: step 1 (os): column `TRT01A` (by) not in input `adtte` nor in `adsl`; "
        "did you mean `TRT01P` or `TRT01PN`?" in problems
    )
    # the flag is read from ADSL: only its columns are offered
    assert (
        "job.toml:15: step 1 (os): column `ITTFLG` (population) not in input `adsl`; did you "
        "mean `ITTFL`?" in problems
    )


def test_the_join_keeps_the_analysis_rows_lazy(tmp_path):
    path = tmp_path / "adtte.parquet"
    _adtte().write_parquet(path)
    joined = with_adsl(str(path), _adsl(), population="ITTFL").data
    assert isinstance(joined, pl.LazyFrame)


def test_pandas_inputs_are_read_like_polars():
    got = with_adsl(_os().to_pandas(), _adsl().to_pandas(), population="ITTFL")
    assert got.data.collect().height == 10


def test_subject_ids_of_different_types_are_joined_as_text():
    adsl = _adsl().with_columns(pl.col("USUBJID").str.slice(1).cast(pl.Int64))
    adtte = _os().with_columns(pl.col("USUBJID").str.slice(1))  # "01", "02", ...
    with pytest.raises(InvalidValueError, match=r"found 9 subjects .* \(first: '01'\)"):
        with_adsl(adtte, adsl)  # 1 as text is "1", not "01" (10 and 11 match)
    adtte = _os().with_columns(pl.col("USUBJID").str.slice(1).cast(pl.Int64).cast(pl.String))
    joined = with_adsl(adtte, adsl).data.collect()
    assert joined.get_column("TRT01P").to_list() == _adsl().get_column("TRT01P").to_list()[:11]


def test_integer_and_float_subject_ids_are_joined_as_numbers():
    """A SAS transport ADSL holds numeric ids as floats: 1.0 there is subject 1 of an
    integer-keyed ADTTE (as text they would be "1.0" and "1" and never match)."""
    adsl = _adsl().with_columns(pl.col("USUBJID").str.slice(1).cast(pl.Float64))
    adtte = _os().with_columns(pl.col("USUBJID").str.slice(1).cast(pl.Int64))
    joined = with_adsl(adtte, adsl).data.collect()
    assert joined.get_column("TRT01P").to_list() == _adsl().get_column("TRT01P").to_list()[:11]
    assert joined.schema["USUBJID"] == pl.Float64


def test_data_held_by_spark_is_refused(monkeypatch):
    class Spark:
        name, row_level = "spark", False

    monkeypatch.setattr("survstat.adsl.bind", lambda data: (Spark(), None))
    with pytest.raises(EngineError, match=r"adsl and population run on the polars engine; on "):
        with_adsl(_os(), _adsl(), population="ITTFL")
