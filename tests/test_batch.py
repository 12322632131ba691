"""Job files: checking, running, manifest, skipping, failures, partitions, report."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import survstat
from survstat.analyses import ANALYSES
from survstat.batch import MANIFEST_SCHEMA, JobError, load_job, run_job
from survstat.cli import app
from survstat.io import read_metadata

EXAMPLES = Path(__file__).parent.parent / "examples"
runner = CliRunner()


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _gbsg_job(tmp_path: Path, steps: str, inputs: str = 'gbsg2 = "gbsg2.parquet"') -> Path:
    survstat.datasets.load("gbsg2").write_parquet(tmp_path / "gbsg2.parquet")
    return _write(
        tmp_path / "job.toml",
        f'[job]\ntitle = "test"\noutput = "out"\n\n[inputs]\n{inputs}\n\n{steps}',
    )


KM_AND_LOGRANK = """
[[step]]
name = "km"
analysis = "km"
input = "gbsg2"
time = "time"
event = "cens"
by = "horTh"
at = [365, 730]

[[step]]
name = "lr"
analysis = "logrank"
input = "gbsg2"
time = "time"
event = "cens"
by = ["horTh"]
"""


@pytest.mark.parametrize("name", ["gbsg2", "cml_mr45", "breast_efficacy"])
def test_example_jobs_run_and_report(tmp_path, name):
    out = tmp_path / name
    r = runner.invoke(app, ["run", str(EXAMPLES / f"{name}.toml"), "--output", str(out), "-q"])
    assert r.exit_code == 0, r.output
    manifest = pl.read_parquet(out / "manifest.parquet")
    assert manifest.schema == pl.Schema(MANIFEST_SCHEMA)
    assert manifest.get_column("status").to_list() == ["ok"] * manifest.height
    for files, hashes in manifest.select("outputs", "output_sha256").iter_rows():
        assert len(files) == len(hashes) >= 1
        for f in files:
            assert (out / f).stat().st_size > 500
    html = (out / "report.html").read_text()
    assert (
        html.count("data:image/")
        >= manifest.filter(pl.col("analysis").str.starts_with("plot")).height
    )
    assert "<script" not in html
    assert "http" not in html.split("</style>")[1].split("job file")[0]
    for step in manifest.get_column("step"):
        assert f'id="{step}"' in html


def test_gbsg2_example_numbers_equal_the_library(tmp_path):
    out = tmp_path / "g"
    assert (
        runner.invoke(
            app, ["run", str(EXAMPLES / "gbsg2.toml"), "--output", str(out), "-q"]
        ).exit_code
        == 0
    )
    gbsg = survstat.datasets.load("gbsg2")
    lr = survstat.logrank(gbsg, time="time", event="cens", by="horTh").table
    assert pl.read_parquet(out / "logrank.parquet").equals(lr)
    km = survstat.kaplan_meier(gbsg, time="time", event="cens", by="horTh").at([365, 730, 1825])
    assert pl.read_parquet(out / "km_at_years.parquet").equals(km)
    meta = read_metadata(out / "cox.parquet")
    assert meta["step"] == "cox"
    assert meta["analysis"] == "cox"
    assert meta["parameters"]["covariates"][0] == "horTh"
    assert meta["survstat_version"] == survstat.__version__


def test_rerun_skips_unchanged_steps_and_reruns_changed_ones(tmp_path):
    job = load_job(_gbsg_job(tmp_path, KM_AND_LOGRANK))
    first = run_job(job)
    assert first.get_column("status").to_list() == ["ok", "ok"]
    again = run_job(job)
    assert again.get_column("status").to_list() == ["skipped", "skipped"]
    assert again.get_column("rows").to_list() == first.get_column("rows").to_list()
    assert run_job(job, force=True).get_column("status").to_list() == ["ok", "ok"]
    # an edited output is not trusted
    (job.output / "lr.parquet").write_bytes((job.output / "km.parquet").read_bytes())
    assert run_job(job).get_column("status").to_list() == ["skipped", "ok"]
    # changed input content: everything that reads it runs again
    gbsg = survstat.datasets.load("gbsg2")
    gbsg.with_columns(pl.col("time") + 1).write_parquet(tmp_path / "gbsg2.parquet")
    assert run_job(job).get_column("status").to_list() == ["ok", "ok"]
    # changed parameters: only that step
    text = (tmp_path / "job.toml").read_text().replace("at = [365, 730]", "at = [365]")
    job2 = load_job(_write(tmp_path / "job.toml", text))
    assert run_job(job2).get_column("status").to_list() == ["ok", "skipped"]


def test_broken_job_lists_every_problem_and_writes_nothing(tmp_path):
    steps = """
[[step]]
analysis = "km"
input = "gbsg2"
time = "tme"
event = "cens"
conf_type = "loglog"

[[step]]
name = "x"
analysis = "kaplan"
input = "gbsg2"

[[step]]
name = "c"
analysis = "cox"
input = "gbsg"
time = "time"
event = "cens"
covariates = "age"

[[step]]
name = "c2"
analysis = "cox"
input = "gbsg2"
time = "time"
event = "cens"
covariates = ["age", "agee"]
colour = 1
by_partition = "study"

[[step]]
name = "fig"
plot = "km"
input = "x"
time = "time"
event = "cens"
formats = "gif"
"""
    path = _gbsg_job(tmp_path, steps, inputs='gbsg2 = "gbsg2.parquet"\nnope = "missing.parquet"')
    r = runner.invoke(app, ["run", str(path)])
    assert r.exit_code == 1
    text = " ".join(r.output.split())
    expected = [
        "job.toml:7: input `nope`: input file",
        "job.toml:15: step 1 (km): `conf_type` must be one of",
        "job.toml:13: step 1 (km): column `tme` (time) not in input `gbsg2`; did you mean `time`",
        "job.toml:19: step 2 (x): unknown analysis `kaplan`",
        "job.toml:25: step 3 (c): `input = 'gbsg'` is neither an input in [inputs]",
        "job.toml:37: step 4 (c2): unknown option `colour`",
        "job.toml:36: step 4 (c2): column `agee` (covariates) not in input `gbsg2`; did you mean `age`",
        "job.toml:38: step 4 (c2): column `study` (by_partition) not in input `gbsg2`",
        "job.toml:46: step 5 (fig): `formats` must list some of png, svg, pdf",
    ]
    for message in expected:
        assert message in text
    assert "9 problems" in text
    assert "Traceback" not in r.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[job\noutput = 1", "not valid TOML: "),
        ('[job]\noutput = "o"\n', "the job has no steps"),
        ('[jobs]\noutput = "o"\n[[step]]\nanalysis = "km"', "unknown table `jobs`"),
        ('[[step]]\nplot = "km"\nanalysis = "km"', "needs exactly one of"),
        (
            '[job]\noutput = "o"\nreport = "r.txt"\n[[step]]\nanalysis = "gray"\ninput = "a"',
            "`report` must",
        ),
        ('[job]\n[[step]]\nname = "a b"\nanalysis = "km"', "`name` must be letters"),
        ('[job]\noutput = "o"\n[inputs]\na = { dataset = "gbsg" }\n', "did you mean `gbsg2`"),
        ('[job]\noutput = "o"\n[inputs]\na = 3\n', "must be a path string"),
    ],
)
def test_job_file_problems(tmp_path, text, message):
    with pytest.raises(JobError, match=None) as info:
        load_job(_write(tmp_path / "j.toml", text))
    assert any(message in p for p in info.value.problems), info.value.problems


def test_missing_output_folder_is_required_unless_given(tmp_path):
    path = _gbsg_job(tmp_path, KM_AND_LOGRANK)
    path.write_text(path.read_text().replace('output = "out"\n', ""))
    with pytest.raises(JobError, match="`output`"):
        load_job(path)
    assert load_job(path, output=tmp_path / "elsewhere").output == tmp_path / "elsewhere"


def test_option_kinds_are_checked():
    params = ANALYSES["km"].parameters()
    assert params["by"].coerce("a, b") == ["a", "b"]
    assert params["at"].coerce([1, 2.5]) == [1.0, 2.5]
    for bad in ("x", [1, "a"], True, []):
        with pytest.raises(ValueError, match="must be a list of numbers"):
            params["at"].coerce(bad)
    with pytest.raises(ValueError, match="must be a number"):
        params["conf_level"].coerce(True)
    with pytest.raises(ValueError, match="must be a number"):
        params["conf_level"].coerce(float("nan"))


RUNTIME_FAILURE = """
[[step]]
name = "bad"
analysis = "km"
input = "gbsg2"
time = "time"
event = "tgrade"

[[step]]
name = "uses_bad"
plot = "forest"
input = "bad"
label = "time"

[[step]]
name = "lr"
analysis = "logrank"
input = "gbsg2"
time = "time"
event = "cens"
by = "horTh"
"""


def test_failed_step_stops_the_job_and_leaves_no_file(tmp_path):
    path = _gbsg_job(tmp_path, RUNTIME_FAILURE)
    out = tmp_path / "out"
    out.mkdir()
    (out / "bad.parquet").write_bytes(b"stale output of an earlier run")
    r = runner.invoke(app, ["run", str(path), "-q"])
    assert r.exit_code == 1
    manifest = pl.read_parquet(out / "manifest.parquet")
    assert manifest.get_column("status").to_list() == ["failed", "not run", "not run"]
    assert "`tgrade`" in manifest.get_column("error")[0]
    assert sorted(p.name for p in out.iterdir()) == ["manifest.parquet"]


def test_continue_on_error_runs_independent_steps(tmp_path):
    path = _gbsg_job(tmp_path, RUNTIME_FAILURE)
    r = runner.invoke(app, ["run", str(path), "--continue-on-error", "-q"])
    assert r.exit_code == 1
    manifest = pl.read_parquet(tmp_path / "out" / "manifest.parquet")
    assert manifest.get_column("status").to_list() == ["failed", "not run", "ok"]
    assert manifest.get_column("error")[1] == "input step `bad` did not finish"
    assert (tmp_path / "out" / "lr.parquet").exists()


def _hive(tmp_path: Path) -> Path:
    root = tmp_path / "hive"
    gbsg = survstat.datasets.load("gbsg2")
    for grade in gbsg.get_column("tgrade").unique().sort():
        part = root / f"tgrade={grade}"
        part.mkdir(parents=True)
        gbsg.filter(pl.col("tgrade") == grade).drop("tgrade").write_parquet(part / "0.parquet")
    return root


def test_by_partition_on_a_hive_dataset_stacks_per_partition_results(tmp_path):
    _hive(tmp_path)
    steps = """
[[step]]
name = "km"
analysis = "km"
input = "registry"
time = "time"
event = "cens"
by = "horTh"
at = [365, 1825]
by_partition = "tgrade"
"""
    path = _write(
        tmp_path / "job.toml", f'[job]\noutput = "out"\n[inputs]\nregistry = "hive"\n{steps}'
    )
    r = runner.invoke(app, ["run", str(path)])
    assert r.exit_code == 0, r.output
    got = pl.read_parquet(tmp_path / "out" / "km.parquet")
    assert got.columns[0] == "tgrade"
    gbsg = survstat.datasets.load("gbsg2")
    for grade in ("I", "II", "III"):
        part = gbsg.filter(pl.col("tgrade") == grade)
        want = survstat.kaplan_meier(part, time="time", event="cens", by="horTh").at([365, 1825])
        assert got.filter(pl.col("tgrade") == grade).drop("tgrade").equals(want)
    manifest = pl.read_parquet(tmp_path / "out" / "manifest.parquet")
    assert manifest.get_column("partitions").to_list() == [3]


@pytest.mark.parametrize("source", ["hive", "hive/*/*.parquet"])
def test_directory_and_glob_inputs(tmp_path, source):
    _hive(tmp_path)
    steps = '[[step]]\nanalysis = "summary"\ninput = "d"\ntime = "time"\nevent = "cens"\n'
    path = _write(
        tmp_path / "job.toml", f'[job]\noutput = "out"\n[inputs]\nd = "{source}"\n{steps}'
    )
    manifest = run_job(load_job(path))
    assert manifest.get_column("status").to_list() == ["ok"]
    got = pl.read_parquet(tmp_path / "out" / "summary.parquet")
    want = survstat.kaplan_meier(survstat.datasets.load("gbsg2"), time="time", event="cens")
    assert got.equals(want.summary())


def test_report_command_and_progress_output(tmp_path):
    path = _gbsg_job(tmp_path, KM_AND_LOGRANK)
    r = runner.invoke(app, ["report", str(path), "-o", str(tmp_path / "r.html")])
    assert r.exit_code == 0, r.output
    assert "km (km)" in r.output
    assert "lr (logrank)" in r.output
    html = (tmp_path / "r.html").read_text()
    assert "<h1>test</h1>" in html
    assert "horTh" in html
    assert survstat.__version__ in html
    digest = json.loads(pl.read_parquet(tmp_path / "out" / "manifest.parquet")["input_sha256"][0])
    assert digest["data"] in html  # the input's content hash is in the provenance


def test_check_only(tmp_path):
    path = _gbsg_job(tmp_path, KM_AND_LOGRANK)
    r = runner.invoke(app, ["run", str(path), "--check"])
    assert r.exit_code == 0
    assert "valid; 2 steps, 1 input" in " ".join(r.output.split())
    assert not (tmp_path / "out").exists()


def test_run_in_a_subprocess(tmp_path):
    shutil.copy(EXAMPLES / "gbsg2.toml", tmp_path / "job.toml")
    proc = subprocess.run(
        [sys.executable, "-m", "survstat", "run", "job.toml", "--quiet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "km_figure (plot km): ok" in proc.stderr
    assert (tmp_path / "results" / "gbsg2" / "report.html").exists()
    assert (tmp_path / "results" / "gbsg2" / "km_figure.pdf").read_bytes()[:4] == b"%PDF"


def test_every_cli_analysis_is_a_named_analysis():
    names = set(ANALYSES)
    for command in ("km", "summary", "logrank", "cox", "cif", "gray", "finegray", "response"):
        assert command in names
    for command in (
        "compare-rates",
        "cml endpoints",
        "cml response",
        "recist derive",
        "recist table",
    ):
        assert command in names


def test_recist_subgroups_and_pcr_commands_write_the_library_tables(tmp_path):
    from survstat.analyses.subgroups import biomarker_subgroups
    from survstat.endpoints.pcr import pcr_flags
    from survstat.endpoints.recist_tte import time_to_event_endpoints

    derived = time_to_event_endpoints(
        survstat.datasets.load("breast_trial_assessments"),
        survstat.datasets.load("breast_trial_subjects"),
    )
    derived.write_parquet(tmp_path / "derived.parquet")
    out = tmp_path / "sub.parquet"
    args = ["recist", "subgroups", str(tmp_path / "derived.parquet"), "--biomarker", "pakt_hscore"]
    r = runner.invoke(app, [*args, "--cutpoint", "150", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "interaction" in r.output
    want = biomarker_subgroups(derived, biomarker="pakt_hscore", cutpoint=150.0)
    assert pl.read_parquet(out).equals(want.table)
    pathology = tmp_path / "path.parquet"
    survstat.datasets.load("breast_trial_pathology").write_parquet(pathology)
    r = runner.invoke(
        app, ["recist", "pcr", str(pathology), "--definition", "ypT0 ypN0", "-o", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert pl.read_parquet(out).equals(pcr_flags(pathology, definition="ypT0 ypN0"))


def test_the_readme_job_example_runs(tmp_path):
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    section = readme.split("## Batch jobs", 1)[1]
    toml = section.split("```toml\n", 1)[1].split("```", 1)[0]
    path = _write(tmp_path / "job.toml", toml)
    r = runner.invoke(app, ["run", str(path), "--output", str(tmp_path / "out"), "-q"])
    assert r.exit_code == 0, r.output
    manifest = pl.read_parquet(tmp_path / "out" / "manifest.parquet")
    assert manifest.get_column("status").unique().to_list() == ["ok"]
    by_grade = pl.read_parquet(tmp_path / "out" / "km_by_grade.parquet")
    assert by_grade.columns[:2] == ["tgrade", "horTh"]
    assert (tmp_path / "out" / "report.html").exists()


def test_extra_tables_are_written_and_listed_in_the_manifest(tmp_path):
    job = _gbsg_job(tmp_path, KM_AND_LOGRANK)
    manifest = run_job(load_job(job))
    lr = manifest.filter(pl.col("step") == "lr").row(0, named=True)
    assert lr["outputs"] == ["lr.parquet", "lr.per_group.parquet"]
    assert len(lr["output_sha256"]) == 2
    per_group = survstat.logrank(
        survstat.datasets.load("gbsg2"), time="time", event="cens", by="horTh"
    ).per_group
    assert pl.read_parquet(tmp_path / "out" / "lr.per_group.parquet").equals(per_group)
    again = run_job(load_job(job))
    assert again.filter(pl.col("step") == "lr").row(0, named=True)["outputs"] == lr["outputs"]
    assert again.get_column("status").to_list() == ["skipped", "skipped"]


GBSG_LABELS = {
    "time": "Recurrence-free survival (days)",
    "cens": "Recurrence or death (1) or censored (0)",
    "horTh": "Hormonal therapy",
    "age": "Age (years)",
}


def test_the_report_lists_the_labels_of_the_columns_used(tmp_path):
    from survstat.io import write_parquet, write_xpt

    gbsg2 = survstat.datasets.load("gbsg2")
    write_xpt(gbsg2, tmp_path / "gbsg2.xpt", labels=GBSG_LABELS)
    write_parquet(gbsg2, tmp_path / "labelled.parquet", labels={"time": "Days"})
    gbsg2.write_parquet(tmp_path / "plain.parquet")
    path = _gbsg_job(
        tmp_path,
        KM_AND_LOGRANK.replace('by = ["horTh"]', 'by = ["horTh"]\nstrata = ["tgrade"]')
        + '\n[[step]]\nname = "km2"\nanalysis = "km"\ninput = "labelled"\ntime = "time"\n'
        'event = "cens"\n\n[[step]]\nname = "km3"\nanalysis = "km"\ninput = "plain"\n'
        'time = "time"\nevent = "cens"\n',
        inputs='gbsg2 = "gbsg2.xpt"\nlabelled = "labelled.parquet"\nplain = "plain.parquet"',
    )
    r = runner.invoke(app, ["report", str(path), "-o", str(tmp_path / "r.html")])
    assert r.exit_code == 0, r.output
    html = (tmp_path / "r.html").read_text()
    section = html[html.index('<h3 id="_column-labels">') : html.index('<h3 id="_steps">')]
    rows = [
        [cell.split(">", 1)[1] for cell in row.split("</td>")[:-1]]
        for row in section.split("<tr>")[2:]
    ]
    # in the order first used; a used column without a label shows blank; age is not used;
    # the input without labels is not listed
    assert rows == [
        ["gbsg2", "time", "Recurrence-free survival (days)"],
        ["gbsg2", "cens", "Recurrence or death (1) or censored (0)"],
        ["gbsg2", "horTh", "Hormonal therapy"],
        ["gbsg2", "tgrade", ""],
        ["labelled", "time", "Days"],
        ["labelled", "cens", ""],
    ]


def test_no_labels_no_section(tmp_path):
    path = _gbsg_job(tmp_path, KM_AND_LOGRANK)
    runner.invoke(app, ["report", str(path), "-o", str(tmp_path / "r.html")])
    assert "Column labels" not in (tmp_path / "r.html").read_text()
