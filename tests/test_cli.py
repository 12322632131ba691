"""The command-line interface: output schemas, exit codes, help, Parquet outputs."""

from __future__ import annotations

import subprocess
import sys

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

import survstat
from survstat.cli import app
from survstat.io import read_metadata

runner = CliRunner()


@pytest.fixture(scope="module")
def gbsg(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "gbsg2.parquet"
    result = runner.invoke(app, ["datasets", "export", "gbsg2", "-o", str(path)])
    assert result.exit_code == 0, result.output
    return str(path)


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def analyse(command, data, out, *options):
    """Run an analysis on GBSG2's time/cens columns, check it succeeded, return the output."""
    r = run(command, data, "--time", "time", "--event", "cens", *options, "-o", out)
    assert r.exit_code == 0, r.output
    return r, pl.read_parquet(out)


KM_COLUMNS = [
    "horTh",
    "time",
    "n_risk",
    "n_event",
    "n_censor",
    "survival",
    "std_error",
    "conf_low",
    "conf_high",
]


def test_km_table_and_output(gbsg, tmp_path):
    out = tmp_path / "km.parquet"
    r, df = analyse("km", gbsg, out, "--by", "horTh")
    assert df.columns == KM_COLUMNS
    api = survstat.kaplan_meier(
        survstat.datasets.load("gbsg2"), time="time", event="cens", by="horTh"
    )
    assert df.equals(api.table)
    meta = read_metadata(out)
    assert meta["analysis"] == "km"
    assert meta["input"] == gbsg
    assert meta["input_rows"] == 686
    assert meta["parameters"]["conf_type"] == "log-log"
    assert "Kaplan–Meier" in r.output


def test_km_at_times(gbsg, tmp_path):
    out = tmp_path / "at.parquet"
    _, df = analyse("km", gbsg, out, "--by", "horTh", "--at", "365,730", "--conf-type", "log")
    assert df.columns == [
        "horTh",
        "time",
        "n_risk",
        "survival",
        "std_error",
        "conf_low",
        "conf_high",
    ]
    assert df.height == 4
    assert read_metadata(out)["parameters"]["at"] == "365,730"


def test_summary_schema(gbsg, tmp_path):
    _, df = analyse("summary", gbsg, tmp_path / "s.parquet", "--by", "horTh", "--tau", "1825")
    assert df.columns == [
        "horTh",
        "n",
        "n_event",
        "median",
        "conf_low",
        "conf_high",
        "rmst",
        "rmst_std_error",
    ]
    assert df["median"].to_list() == [1528.0, 2018.0]


def test_summary_without_groups(gbsg, tmp_path):
    _, df = analyse("summary", gbsg, tmp_path / "s.parquet")
    assert df.columns == ["n", "n_event", "median", "conf_low", "conf_high"]


def test_logrank_schema(gbsg, tmp_path):
    r, df = analyse(
        "logrank",
        gbsg,
        tmp_path / "lr.parquet",
        "--by",
        "horTh",
        "--strata",
        "tgrade",
        "--rho",
        "1",
    )
    assert df.columns[:3] == ["statistic", "df", "p_value"]
    assert df.height == 1
    assert df["test"].item() == "fleming-harrington"
    assert "Observed and expected" in r.output


def test_logrank_trend(gbsg, tmp_path):
    _, df = analyse("logrank", gbsg, tmp_path / "tr.parquet", "--by", "tgrade", "--trend")
    assert {"trend_statistic", "trend_p_value"} <= set(df.columns)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["km", "{data}", "--time", "tme", "--event", "cens"],
            "column `tme` (given as time) not found in the data; did you mean `time`",
        ),
        (
            ["km", "{data}", "--time", "horTh", "--event", "cens"],
            "`horTh` (time) must be numeric; found dtype String",
        ),
        (
            ["logrank", "{data}", "--time", "time", "--event", "tgrade", "--by", "horTh"],
            "`tgrade` (event) must be boolean or 0/1 numeric",
        ),
        (
            ["summary", "{data}", "--time", "time", "--event", "pnodes"],
            "`pnodes` must be 0/1 or true/false",
        ),
    ],
)
def test_bad_input_is_one_line_exit_1(gbsg, args, message):
    r = run(*[a.replace("{data}", gbsg) for a in args])
    assert r.exit_code == 1
    assert message in " ".join(r.output.split())
    assert "Traceback" not in r.output


def test_not_parquet_exit_1(tmp_path):
    bad = tmp_path / "x.parquet"
    bad.write_text("time,cens\n1,0\n")
    r = run("km", bad, "--time", "time", "--event", "cens")
    assert r.exit_code == 1
    assert "is not a Parquet file" in r.output


@pytest.mark.parametrize(
    "args",
    [
        ["km", "x.parquet", "--time", "t", "--event", "e", "--conf-type", "loglog"],
        ["km", "x.parquet", "--time", "t", "--event", "e", "--at", "1,abc"],
        ["cif", "x.parquet", "--cause", "c"],
        ["logrank", "x.parquet", "--time", "t", "--event", "e", "--by", "g", "--weights", "peto"],
        ["nosuchcommand"],
    ],
)
def test_usage_errors_exit_2(args):
    assert run(*args).exit_code == 2


@pytest.mark.parametrize(
    "command", [["km"], ["summary"], ["logrank"], ["datasets", "list"], ["datasets", "export"]]
)
def test_every_command_has_help_with_example(command):
    r = run(*command, "--help")
    assert r.exit_code == 0
    assert "Example:" in r.output
    assert "survstat " + command[0] in r.output


def test_datasets_list():
    r = run("datasets", "list")
    assert r.exit_code == 0
    assert "gbsg2" in r.output


def test_unknown_dataset(tmp_path):
    r = run("datasets", "export", "nope", "-o", tmp_path / "x.parquet")
    assert r.exit_code == 1
    # every bundled dataset, in sorted order
    names = survstat.datasets.names()
    assert {"gbsg2", "mgus2", "bcg_trials"} <= set(names)
    listed = ", ".join(sorted(names))
    assert f"unknown dataset 'nope'; available: {listed}" in " ".join(r.output.split())


def test_real_subprocess(tmp_path):
    data = tmp_path / "g.parquet"
    out = tmp_path / "lr.parquet"
    exe = [sys.executable, "-m", "survstat"]
    subprocess.run(
        [*exe, "datasets", "export", "gbsg2", "-o", str(data)], check=True, capture_output=True
    )
    proc = subprocess.run(
        [
            *exe,
            "logrank",
            str(data),
            "--time",
            "time",
            "--event",
            "cens",
            "--by",
            "horTh",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert pl.read_parquet(out)["statistic"].item() == pytest.approx(8.564781, rel=1e-6)
    bad = subprocess.run(
        [*exe, "km", str(data), "--time", "nope", "--event", "cens"], capture_output=True, text=True
    )
    assert bad.returncode == 1
    assert len(bad.stderr.strip().splitlines()) == 1


def test_km_with_entry_and_weights(tmp_path):
    data = tmp_path / "w.parquet"
    df = survstat.datasets.load("gbsg2").with_columns(
        start=(pl.col("time") // 4).cast(pl.Float64), w=pl.col("age") / 50
    )
    df.write_parquet(data)
    r, out = analyse("km", str(data), tmp_path / "o.parquet", "--entry", "start", "--weight", "w")
    api = survstat.kaplan_meier(df, time="time", event="cens", entry="start", weight="w")
    # from a file the weights are summed exactly while streaming: equal to the last bits
    assert_frame_equal(out, api.table, check_exact=False, rel_tol=1e-12)
    assert api.variance == "robust"
    assert "robust variance" in r.output


def _leaf_commands(group, prefix=()):
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):  # a sub-app
            yield from _leaf_commands(cmd, (*prefix, name))
        else:
            yield (*prefix, name)


def test_every_registered_command_has_help_with_an_example():
    import typer.main

    commands = list(_leaf_commands(typer.main.get_command(app)))
    assert ("run",) in commands
    assert ("plot", "forest") in commands
    for command in commands:
        r = run(*command, "--help")
        assert r.exit_code == 0, command
        assert "Example:" in r.output, command
        assert "survstat " + " ".join(command) in " ".join(r.output.split()), command


def test_every_printed_table_is_also_written(gbsg, tmp_path):
    """Cox prints its global tests and a model line; log-rank its observed vs expected: each
    goes to OUT.<name>.parquet beside the main table."""
    out = tmp_path / "cox.parquet"
    r, df = analyse("cox", gbsg, out, "--covariates", "horTh,age")
    assert df.get_column("term").to_list() == ["horTh[yes]", "age"]
    fit = survstat.cox(
        survstat.datasets.load("gbsg2"), time="time", event="cens", covariates=["horTh", "age"]
    )
    assert pl.read_parquet(tmp_path / "cox.tests.parquet").equals(fit.tests)
    model = pl.read_parquet(tmp_path / "cox.model.parquet")
    assert model.row(0, named=True) == {
        "n": 686,
        "n_event": 299,
        "concordance": fit.concordance.value,
        "concordance_std_error": fit.concordance.std_error,
        "loglik_null": fit.loglik[0],
        "loglik": fit.loglik[1],
        "iterations": fit.iterations,
        "converged": True,
        "aliased": "",
        "infinite": "",
    }
    assert "cox.tests.parquet" in r.output
    assert "cox.model.parquet" in r.output
    lr_out = tmp_path / "lr.parquet"
    analyse("logrank", gbsg, lr_out, "--by", "horTh")
    per_group = survstat.logrank(
        survstat.datasets.load("gbsg2"), time="time", event="cens", by="horTh"
    ).per_group
    assert pl.read_parquet(tmp_path / "lr.per_group.parquet").equals(per_group)
    assert read_metadata(tmp_path / "lr.per_group.parquet")["analysis"] == "logrank"
