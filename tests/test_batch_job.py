"""Job files: where a job may write, which inputs it refuses, and bad files as one error."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import survstat
from survstat.batch import JobError, load_job, run_job
from survstat.cli import app

runner = CliRunner()

SUMMARY = '[[step]]\nanalysis = "summary"\ninput = "d"\ntime = "time"\nevent = "cens"\n'


def _job(folder: Path, job: str, inputs: str = 'd = "g.parquet"', steps: str = SUMMARY) -> Path:
    """``[job]`` on lines 1-3 (its keys from line 2), ``[inputs]`` from line 4."""
    if not (folder / "g.parquet").exists():
        survstat.datasets.load("gbsg2").write_parquet(folder / "g.parquet")
    path = folder / "j.toml"
    path.write_text(f"[job]\n{job}\n[inputs]\n{inputs}\n{steps}")
    return path


def _problems(path: Path, **kwargs) -> list[str]:
    with pytest.raises(JobError) as info:
        load_job(path, **kwargs)
    return info.value.problems


# --- [job] output and report stay inside the job's folder ---------------------------------


@pytest.mark.parametrize(
    ("job", "message"),
    [
        # line 2 is the key: each message names the file, the line, the key and the value
        (
            'output = "/tmp/results"',
            "j.toml:2: [job]: `output` must stay inside the job file's folder: give a path relative to it, not the absolute path '/tmp/results' (on the command line, --output may point anywhere)",
        ),
        (
            'output = "../results"',
            "j.toml:2: [job]: `output` must stay inside the job file's folder; '../results' climbs out of it with `..`",
        ),
        # `..` anywhere is refused, even when the path would come back inside
        ('output = "a/../../b"', "climbs out of it with `..`"),
        ('output = "a/../b"', "climbs out of it with `..`"),
        ("output = 3", "j.toml:2: [job]: `output` must be a path string; got 3"),
        ('output = ""', "`output` must be a path string; got ''"),
        (
            'output = "o"\nreport = "/tmp/r.html"',
            "j.toml:3: [job]: `report` must stay inside the output folder: give a path relative to it, not the absolute path '/tmp/r.html' (on the command line, `survstat report -o` may point anywhere)",
        ),
        (
            'output = "o"\nreport = "../r.html"',
            "j.toml:3: [job]: `report` must stay inside the output folder; '../r.html' climbs out",
        ),
        (
            'output = "o"\nreport = "r.txt"',
            "`report` must be a file name ending in .html or .docx; got 'r.txt'",
        ),
        ('output = "o"\ntitle = 3', "j.toml:3: [job]: `title` must be a string; got 3"),
    ],
)
def test_output_and_report_must_stay_inside_the_job_folder(tmp_path, job, message):
    problems = _problems(_job(tmp_path, job))
    assert len(problems) == 1
    assert message in problems[0]


def test_symbolic_links_do_not_lead_out_of_the_job_folder(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (project / "linkdir").symlink_to(tmp_path / "elsewhere")
    problems = _problems(_job(project, 'output = "linkdir/out"'))
    assert len(problems) == 1
    assert problems[0].startswith("j.toml:2: [job]: `output` leads out of the job file's folder")
    (project / "out").mkdir()
    (project / "out" / "html").symlink_to(tmp_path / "elsewhere")
    problems = _problems(_job(project, 'output = "out"\nreport = "html/r.html"'))
    assert "`report` leads out of the output folder through a symbolic link" in problems[0]
    # a link that stays inside is fine
    (project / "inside").symlink_to(project / "out")
    assert load_job(_job(project, 'output = "inside"')).output == project / "inside"


def test_step_names_that_differ_only_in_case_are_refused(tmp_path):
    steps = SUMMARY + SUMMARY.replace("[[step]]\n", '[[step]]\nname = "Summary"\n')
    problems = _problems(_job(tmp_path, 'output = "out"', steps=steps))
    assert len(problems) == 1
    assert "step name `Summary` differs from `summary` only in case" in problems[0]


def test_the_job_file_is_checked_whatever_the_command_line_says(tmp_path):
    # --output replaces the folder, but a job file that writes outside its folder is still
    # invalid: the file alone decides whether it is valid (as `survstat run --check` says)
    path = _job(tmp_path, 'output = "/tmp/results"')
    assert "absolute path '/tmp/results'" in _problems(path, output=tmp_path / "o")[0]


def test_paths_in_subfolders_are_fine(tmp_path):
    job = load_job(_job(tmp_path, 'output = "results/cut-1"\nreport = "html/report.html"'))
    assert job.output == tmp_path / "results" / "cut-1"
    assert job.report == "html/report.html"


def test_the_command_line_may_write_anywhere(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    path = _job(project, 'output = "out"')
    elsewhere = tmp_path / "elsewhere"
    # a relative --output climbing out of the current folder is the user's own choice
    r = runner.invoke(app, ["run", str(path), "--output", str(project / ".." / "elsewhere"), "-q"])
    assert r.exit_code == 0, r.output
    assert (elsewhere / "summary.parquet").is_file()
    html = tmp_path / "reports" / "cut.html"
    html.parent.mkdir()  # -o names a file in an existing folder, as for every command
    r = runner.invoke(app, ["report", str(path), "--output", str(elsewhere), "-o", str(html), "-q"])
    assert r.exit_code == 0, r.output
    assert html.read_text().startswith("<!DOCTYPE html>")
    assert not (project / "out").exists()


# --- inputs that are not Parquet are refused by name and line -------------------------------


def _csv(folder: Path, name: str) -> None:
    survstat.datasets.load("gbsg2").write_csv(folder / name)


@pytest.mark.parametrize(
    ("setup", "given", "message"),
    [
        # Parquet bytes named .csv: the content must match the extension
        (
            lambda d: survstat.datasets.load("gbsg2").write_parquet(d / "g.csv"),
            "g.csv",
            "g.csv` is not CSV text: it is a Parquet file; name it .parquet",
        ),
        (lambda d: _csv(d, "g.xpt"), "g.xpt", "g.xpt` is not a SAS transport file (v5 or v8): it"),
        (
            lambda d: (d / "e.parquet").write_bytes(b""),
            "e.parquet",
            "e.parquet` is empty (0 bytes), not a Parquet file",
        ),
        (
            lambda d: (d / "csvs").mkdir() or _csv(d / "csvs", "a.csv"),
            "csvs",
            "directory `{d}/csvs` contains no .parquet files",
        ),
        (
            lambda d: (d / "empty").mkdir(),
            "empty",
            "directory `{d}/empty` contains no .parquet files",
        ),
        (lambda d: None, "cuts/*.parquet", "glob `{d}/cuts/*.parquet` matches no files"),
        (lambda d: _csv(d, "g.csv"), "*.csv", "g.csv` is not a Parquet file"),
        (lambda d: None, "missing.parquet", "input file `{d}/missing.parquet` does not exist"),
        # a Hive dataset whose second file is a CSV renamed: every file is checked, not only the first
        (
            lambda d: (
                (d / "hive" / "arm=A").mkdir(parents=True)
                or (d / "hive" / "arm=B").mkdir()
                or survstat.datasets.load("gbsg2").write_parquet(d / "hive" / "arm=A" / "0.parquet")
                or _csv(d / "hive" / "arm=B", "0.parquet")
            ),
            "hive",
            "1 of the 2 files of `{d}/hive` cannot be read as Parquet (first: `{d}/hive/arm=B/"
            "0.parquet` is not a Parquet file: it",
        ),
    ],
)
def test_inputs_that_are_not_parquet_are_refused_before_anything_reads_them(
    tmp_path, monkeypatch, setup, given, message
):
    setup(tmp_path)
    path = _job(tmp_path, 'output = "out"', inputs=f'd = "{given}"')

    def no_reading(source):
        raise AssertionError(f"the schema of {source} was read")

    monkeypatch.setattr("survstat.batch.job.scan", no_reading)
    problems = _problems(path)
    # one problem at the input's line; the step reading `d` is not reported again
    assert len(problems) == 1, problems
    assert problems[0].startswith("j.toml:4: input `d`: ")
    assert message.format(d=tmp_path) in problems[0]


def test_a_damaged_parquet_file_is_an_input_problem_not_a_traceback(tmp_path):
    # the magic bytes are right, the footer is not: polars' own error is reported at the line
    (tmp_path / "bad.parquet").write_bytes(b"PAR1" + b"\0" * 16 + b"PAR1")
    path = _job(tmp_path, 'output = "out"', inputs='d = "bad.parquet"')
    r = runner.invoke(app, ["run", str(path)])
    assert r.exit_code == 1
    text = " ".join(r.output.split())
    assert "j.toml:4: input `d`: " in text
    assert "bad.parquet` is a corrupt Parquet file: its footer cannot be read" in text
    assert "Traceback" not in r.output


def test_outputs_never_land_on_inputs(tmp_path):
    # the output folder inside a folder input: the outputs would be read as input next time
    (tmp_path / "data").mkdir()
    survstat.datasets.load("gbsg2").write_parquet(tmp_path / "data" / "0.parquet")
    path = _job(tmp_path, 'output = "data/results"', inputs='d = "data"')
    (problem,) = _problems(path)
    assert problem.startswith("j.toml:4: input `d`: the output folder")
    assert "is inside this input's folder `data`" in problem
    # an input file that a step would overwrite (step `summary` writes out/summary.parquet)
    (tmp_path / "out").mkdir()
    survstat.datasets.load("gbsg2").write_parquet(tmp_path / "out" / "summary.parquet")
    path = _job(tmp_path, 'output = "out"', inputs='d = "out/summary.parquet"')
    (problem,) = _problems(path)
    assert "`out/summary.parquet` is also an output of this job" in problem
    # the same with --output naming the input's folder
    path = _job(tmp_path, 'output = "out"', inputs='d = "data"')
    assert "is inside this input's folder" in _problems(path, output=tmp_path / "data")[0]


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (
            SUMMARY.replace('analysis = "summary"', 'name = "manifest"\nanalysis = "summary"'),
            "step name `manifest` is reserved",
        ),
        # lr's extra table per_group is written as lr.per_group.parquet
        (
            SUMMARY.replace('analysis = "summary"', 'name = "lr"\nanalysis = "summary"')
            + SUMMARY.replace(
                'analysis = "summary"', 'name = "lr.per_group"\nanalysis = "summary"'
            ),
            "step names `lr` and `lr.per_group` clash",
        ),
    ],
)
def test_step_names_that_would_overwrite_other_files(tmp_path, steps, message):
    problems = _problems(_job(tmp_path, 'output = "out"', steps=steps))
    assert any(message in p for p in problems), problems


# --- a bad job file is one error, never a traceback -----------------------------------------


def test_bad_job_files_are_one_error(tmp_path):
    (tmp_path / "dir.toml").mkdir()
    (tmp_path / "latin1.toml").write_bytes(b'[job]\ntitle = "caf\xe9"\n')
    (tmp_path / "broken.toml").write_text('[job\noutput = "o"\n')
    cases = {
        "dir.toml": "cannot read the job file: Is a directory",
        "missing.toml": "cannot read the job file: No such file or directory",
        "latin1.toml": "latin1.toml:2: not UTF-8 text (byte 0xe9); TOML files are UTF-8",
        "broken.toml": "not valid TOML: ",
    }
    for name, message in cases.items():
        for command in (["run"], ["run", "--check"], ["report"]):
            r = runner.invoke(app, [*command, str(tmp_path / name)])
            assert r.exit_code == 1, (name, command)
            assert r.output.startswith("error: "), r.output
            assert message in " ".join(r.output.split())
            assert "Traceback" not in r.output


ODD_VALUES = st.sampled_from(
    [1, 1.5, True, [], [1], ["a", 2], {}, {"a": 1}, {"dataset": 3}, "", "x", "km", "/abs", "../up"]
)
JOB_KEYS = ["title", "output", "report", "engine", "spark_master"]
STEP_KEYS = ["name", "analysis", "plot", "input", "time", "event", "by", "at", "by_partition"]
STEP_KEYS += ["formats", "engine", "covariates", "patients", "conf_level"]


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return repr(value)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    job=st.dictionaries(st.sampled_from(JOB_KEYS), ODD_VALUES, max_size=3),
    step=st.dictionaries(st.sampled_from(STEP_KEYS), ODD_VALUES, max_size=4),
    source=ODD_VALUES,
)
def test_any_value_of_any_key_is_a_job_error(tmp_path, job, step, source):
    # a valid job with some keys replaced by values of the wrong kind: always JobError
    base_job = {"output": "out"} | job
    base_step = {"analysis": "km", "input": "d", "time": "time", "event": "cens"} | step
    text = "[job]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in base_job.items())
    text += f'[inputs]\nd = "g.parquet"\ne = {_toml(source)}\n[[step]]\n'
    text += "".join(f"{k} = {_toml(v)}\n" for k, v in base_step.items())
    path = _job(tmp_path, "")
    path.write_text(text)
    problems: list[str] = []
    try:
        load_job(path)
    except JobError as exc:
        problems = exc.problems
    assert all(p.startswith("j.toml:") for p in problems), problems


def test_a_valid_job_after_the_checks_runs(tmp_path):
    # the checks above refuse nothing a plain job needs
    manifest = run_job(load_job(_job(tmp_path, 'output = "out"\nreport = "r.html"')))
    assert manifest.get_column("status").to_list() == ["ok"]
    want = survstat.kaplan_meier(survstat.datasets.load("gbsg2"), time="time", event="cens")
    assert pl.read_parquet(tmp_path / "out" / "summary.parquet").equals(want.summary())
