"""The design commands: each writes the library's table, fails in one line on bad targets,
runs in a job step, and the README's trial-design numbers are the library's."""

from __future__ import annotations

import subprocess
import sys

import polars as pl
import pytest
from typer.testing import CliRunner

from survstat.analyses import ANALYSES
from survstat.cli import app
from survstat.design.binomial import operating_characteristics, simon, single_stage
from survstat.design.events import events
from survstat.design.group_sequential import boundaries
from survstat.design.proportions import two_proportions
from survstat.design.survival import lachin_foulkes
from survstat.io import read_metadata

runner = CliRunner()

CASES = [
    (
        ["design", "boundaries", "--looks", "3", "--timing", "0.4,0.7,1", "--spending", "pocock"],
        lambda: boundaries(looks=3, alpha=0.025, timing=[0.4, 0.7, 1.0], spending="pocock").table,
    ),
    (
        [
            "design",
            "survival",
            "--median-control",
            "12",
            "--hazard-ratio",
            "0.7",
            "--accrual-time",
            "24",
            "--study-duration",
            "36",
        ],
        lambda: (
            lachin_foulkes(
                median_control=12, hazard_ratio=0.7, accrual_time=24, study_duration=36
            ).table
        ),
    ),
    (
        ["design", "simon", "--p0", "0.2", "--p1", "0.4"],
        lambda: simon(p0=0.2, p1=0.4).table,
    ),
    (
        ["design", "single-arm", "--p0", "0.23", "--p1", "0.5", "--max-n", "60"],
        lambda: single_stage(p0=0.23, p1=0.5, max_n=60).table,
    ),
    (
        ["design", "oc", "--n", "43", "--r", "12", "--n1", "13", "--r1", "3", "--rates", "0.2,0.4"],
        lambda: operating_characteristics(n=43, r=12, n1=13, r1=3, rates=[0.2, 0.4]).table,
    ),
    (
        ["design", "events", "--hazard-ratio", "0.7", "--sided", "1", "--alpha", "0.025"],
        lambda: events(hazard_ratio=0.7, sided=1, alpha=0.025).table,
    ),
    (
        [
            "design",
            "proportions",
            "--p-control",
            "0.2",
            "--odds-ratio",
            "2.5",
            "--method",
            "normal-cc",
        ],
        lambda: two_proportions(p_control=0.2, odds_ratio=2.5, method="normal-cc").table,
    ),
]


@pytest.mark.parametrize(
    ("args", "expected"), CASES, ids=lambda c: c[1] if isinstance(c, list) else ""
)
def test_each_command_writes_the_library_table(tmp_path, args, expected):
    out = tmp_path / "design.parquet"
    r = runner.invoke(app, [*args, "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert pl.read_parquet(out).equals(expected())
    meta = read_metadata(out)
    assert meta["analysis"] == " ".join(args[:2])
    assert meta["input"] is None  # a design reads no data


def test_bad_targets_are_one_line_errors_with_exit_code_1():
    r = runner.invoke(app, ["design", "simon", "--p0", "0.4", "--p1", "0.2"])
    assert r.exit_code == 1
    assert r.stderr.strip().splitlines() == [
        "error: `--p1` (the rate worth pursuing) must be above `--p0` (the rate not worth "
        "pursuing); got p0 = 0.4, p1 = 0.2"
    ]
    r = runner.invoke(app, ["design", "events", "--hazard-ratio", "1"])
    assert r.exit_code == 1
    assert "`--hazard-ratio` must differ from 1" in r.stderr
    r = runner.invoke(app, ["design", "simon", "--p0", "0.2", "--p1", "0.4", "--max-n", "10"])
    assert r.exit_code == 1
    assert "no two-stage design with at most 10 patients (`--max-n`)" in r.stderr


def test_a_design_runs_in_a_job_without_input(tmp_path):
    job = tmp_path / "job.toml"
    job.write_text(
        '[job]\noutput = "out"\n\n[[step]]\nname = "simon"\nanalysis = "design simon"\n'
        'p0 = 0.23\np1 = 0.5\nformats = ["csv"]\n'
    )
    r = runner.invoke(app, ["run", str(job), "-q"])
    assert r.exit_code == 0, r.output
    table = pl.read_parquet(tmp_path / "out" / "simon.parquet")
    assert table.equals(simon(p0=0.23, p1=0.5).table)
    assert (tmp_path / "out" / "simon.csv").is_file()


def test_design_in_a_real_process(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "survstat",
            "design",
            "single-arm",
            "--p0",
            "0.23",
            "--p1",
            "0.5",
            "-o",
            "single.csv",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    table = pl.read_csv(tmp_path / "single.csv")
    assert table["n"].to_list() == [21, 24]
    assert table["critical_responders"].to_list() == [9, 10]


def test_the_readme_trial_design_numbers():
    single = single_stage(p0=0.23, p1=0.5).table.rows_by_key("design", named=True)
    assert single["smallest"][0]["n"] == 21
    assert single["smallest"][0]["critical_responders"] == 9
    stable = single["stable"][0]
    assert (stable["n"], stable["critical_responders"]) == (24, 10)
    assert (round(stable["alpha"], 3), round(stable["power"], 3)) == (0.032, 0.846)
    designs = simon(p0=0.23, p1=0.5).table.rows_by_key("design", named=True)
    optimal, minimax = designs["optimal"][0], designs["minimax"][0]
    assert (optimal["r1"], optimal["n1"], optimal["r"], optimal["n"]) == (2, 8, 8, 23)
    assert round(optimal["en0"], 1) == 12.1
    assert (minimax["r1"], minimax["n1"], minimax["r"], minimax["n"]) == (2, 10, 7, 19)
    oc = operating_characteristics(n=24, r=9, rates=[0.23, 0.5]).table
    assert [round(v, 3) for v in oc["p_success"]] == [0.032, 0.846]
    assert stable["critical_responders"] <= 13  # ACTIM's 13 of 24 passes
    assert events(hazard_ratio=0.7, alpha=0.025, sided=1, power=0.8).events == 247
    sizes = {
        m: two_proportions(p_control=0.2, p_treatment=0.4, method=m).table["n_control"][0]
        for m in ("normal", "normal-cc", "fisher")
    }
    assert sizes == {"normal": 82, "normal-cc": 91, "fisher": 90}
    bounds = boundaries(looks=3, alpha=0.025)
    assert [round(z, 2) for z in bounds.table["z_efficacy"]] == [3.71, 2.51, 1.99]
    assert round(bounds.inflation_factor, 3) == 1.013
    fixed = events(hazard_ratio=0.7, alpha=0.025, sided=1, power=0.8).events_exact
    assert round(fixed * bounds.inflation_factor, 1) == 249.9


def test_every_design_is_a_named_analysis():
    assert {n for n in ANALYSES if n.startswith("design ")} == {
        "design simon",
        "design single-arm",
        "design oc",
        "design events",
        "design proportions",
        "design boundaries",
        "design survival",
    }
