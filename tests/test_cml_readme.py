"""The README's CML analyses and examples/cml_mr45.toml give the same numbers."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import survstat
from survstat.cli import app

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
SECTION = README.split("### Molecular response in CML", 1)[1].split("\n## ", 1)[0]
runner = CliRunner()


def _commands(text: str, start: str) -> list[list[str]]:
    """Shell commands of ``text`` (inline or in code blocks, continuation lines joined) that
    begin with ``start``, without their comments."""
    joined = text.replace("\\\n", " ")
    found = re.findall(r"`(" + re.escape(start) + r"[^`\n]*)`", joined)
    found += [
        line for line in joined.splitlines() if line.strip().startswith(start) and "`" not in line
    ]
    return [shlex.split(c.split("#", 1)[0]) for c in found]


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    out = tmp_path_factory.mktemp("cml_job")
    r = runner.invoke(
        app, ["run", str(ROOT / "examples" / "cml_mr45.toml"), "--output", str(out), "-q"]
    )
    assert r.exit_code == 0, r.output
    return out


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cml_data")
    for name in ("actim_like", "cml_two_arm"):
        for table in ("labs", "patients"):
            survstat.datasets.load(f"{name}_{table}").write_parquet(
                folder / f"{name}_{table}.parquet"
            )
    return folder


def _run_readme_command(args: list[str], folder: Path, cohort: str, out: Path) -> pl.DataFrame:
    files = {"labs.parquet": f"{cohort}_labs", "patients.parquet": f"{cohort}_patients"}
    args = [str(folder / f"{files[a]}.parquet") if a in files else a for a in args[1:]]
    r = runner.invoke(app, [*args, "-o", str(out)])
    assert r.exit_code == 0, r.output
    return pl.read_parquet(out)


def test_readme_python_example_matches_the_job_and_the_readme_text(job):
    block = SECTION.split("```python\n", 1)[1].split("```", 1)[0]
    scope: dict = {}
    exec(block, scope)
    res = scope["res"]
    inc = res.incidence.row(0, named=True)
    rate = res.rate.row(0, named=True)
    km = res.one_minus_km.row(0, named=True)
    # the numbers the README prints
    assert f"{100 * inc['cif']:.1f}% (95% CI {100 * inc['conf_low']:.1f}-" in block
    assert f"{100 * inc['conf_high']:.1f})" in block
    assert (
        f"{rate['n_responders']}/{rate['n']} = {100 * rate['rate']:.1f}% "
        f"(95% CI {100 * rate['conf_low']:.1f}-{100 * rate['conf_high']:.1f}), one-sided "
        f"p = {rate['p_value']:.2g} against 23%" in block
    )
    assert f"{100 * km['estimate']:.1f}%" in block
    # the example job's step is the same analysis, with the same numbers
    written = pl.read_parquet(job / "mr45_by_12.parquet").row(0, named=True)
    for key in ("landmark", "cif", "std_error", "conf_low", "conf_high"):
        assert written[key] == inc[key], key
    assert (written["window"], written["evaluated_at"]) == (0.0, 12.0)
    for key in ("n", "n_responders", "rate", "p_value"):
        assert written[key] == rate[key], key
    assert (written["rate_conf_low"], written["rate_conf_high"]) == (
        rate["conf_low"],
        rate["conf_high"],
    )
    assert written["one_minus_km_estimate"] == km["estimate"]


def test_readme_plain_interval_and_window_sentences():
    labs = survstat.datasets.load("actim_like_labs")
    patients = survstat.datasets.load("actim_like_patients")
    plain = survstat.analyses.cml_response.molecular_response(
        labs, patients, level="MR4.5", landmark=12, conf_type="plain"
    ).incidence.row(0, named=True)
    shown = [round(100 * plain[k], 1) for k in ("cif", "conf_low", "conf_high")]
    assert f"({shown[0]}%, 95% CI {shown[1]}–{shown[2]} here" in " ".join(SECTION.split())
    windowed = survstat.analyses.cml_response.molecular_response(
        labs, patients, level="MR4.5", landmark=12, window=1
    )
    inc = windowed.incidence.row(0, named=True)
    assert inc["cif"] is None
    assert f'("{inc["reason"]}")' in " ".join(SECTION.replace("+\nwindow", "+ window").split())
    assert f"the rate is {windowed.rate['n_responders'].item()}/24" in " ".join(SECTION.split())


def test_readme_commands_match_the_job(job, exported, tmp_path):
    (actim,) = [c for c in _commands(SECTION, "survstat cml response") if "MR4.5" in c]
    cli = _run_readme_command(actim, exported, "actim_like", tmp_path / "actim.parquet")
    assert cli.equals(pl.read_parquet(job / "mr45_by_12.parquet"))
    (trial,) = [c for c in _commands(SECTION, "survstat cml response") if "MMR" in c]
    cli = _run_readme_command(trial, exported, "cml_two_arm", tmp_path / "trial.parquet")
    assert cli.equals(pl.read_parquet(job / "mmr_by_arm.parquet"))
    # "MMR by 12 + 1: 44% vs 22%": rate and incidence by month 13 in each arm
    rates = dict(cli.select("arm", "rate").iter_rows())
    assert "MMR by 12 + 1: 44% vs 22%" in SECTION
    assert (round(100 * rates["experimental"]), round(100 * rates["standard"])) == (44, 22)
    cifs = dict(cli.select("arm", "cif").iter_rows())
    assert cifs["experimental"] == pytest.approx(rates["experimental"], abs=0.01)
    assert cifs["standard"] == pytest.approx(rates["standard"], abs=0.01)
