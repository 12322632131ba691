"""Text from the data prints as written, and warnings print as one line each.

Group levels, column names, titles, notes, error and warning messages may hold brackets or
colons that rich would read as markup (`[bold]`, `[/bold]`, `[red]`) or emoji codes
(`:smile:`); the command line must show them literally.
"""

from __future__ import annotations

import dataclasses
import logging
import subprocess
import sys
import warnings

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from survstat.analyses import ANALYSES
from survstat.cli import app

runner = CliRunner()
LEVELS = ["[bold]A[/bold]", "[red]", "x [/bold] :smile:"]


@pytest.fixture
def markup(tmp_path):
    """Twenty patients per arm; every arm level and one column name look like rich markup."""
    rng = np.random.default_rng(7)
    path = tmp_path / "markup.parquet"
    pl.DataFrame(
        {
            "time": np.round(rng.exponential(10.0, 60), 1) + 0.1,
            "cens": rng.integers(0, 2, 60),
            "arm": LEVELS * 20,
            "a[b]": rng.normal(size=60),
        }
    ).write_parquet(path)
    return path


def test_table_cells_and_headers_print_literally(markup, tmp_path):
    r = runner.invoke(app, ["km", str(markup), "--time", "time", "--event", "cens", "--by", "arm"])
    assert r.exit_code == 0, r.output
    for level in LEVELS:
        assert level in r.stdout
    out = tmp_path / "[x].parquet"
    args = ["cox", str(markup), "--time", "time", "--event", "cens", "--covariates", "arm,a[b]"]
    r = runner.invoke(app, [*args, "-o", str(out)])
    assert r.exit_code == 0, r.output
    # terms are named `column[level]`: the reference level is the first, "[bold]A[/bold]"
    for term in ("arm[[red]]", "arm[x [/bold] :smile:]", "a[b]"):
        assert term in r.stdout
    assert f"wrote 3 rows to {out}" in r.stderr  # two arm indicators and a[b]


def test_error_message_prints_literally(markup):
    r = runner.invoke(app, ["km", str(markup), "--time", "t [/bold]", "--event", "cens"])
    assert r.exit_code == 1
    assert r.stderr.startswith("error: column `t [/bold]` (given as time) not found in the data")
    assert len(r.stderr.splitlines()) == 1


def test_warning_with_markup_is_one_literal_line(tmp_path):
    # no record has the censoring value 0 in the cause column `[red]`: survstat warns
    path = tmp_path / "cr.parquet"
    pl.DataFrame({"time": [1.0, 2.0, 3.0, 4.0], "[red]": [1, 2, 1, 2]}).write_parquet(path)
    r = runner.invoke(app, ["cif", str(path), "--time", "time", "--cause", "[red]"])
    assert r.exit_code == 0, r.output
    assert r.stderr == (
        "warning: censoring value 0 does not occur in `[red]`: no record is censored\n"
    )


def test_title_and_note_print_literally(tmp_path):
    # the biomarker's name appears in the table's title and in the note after it
    subjects = tmp_path / "s.parquet"
    derived = tmp_path / "d.parquet"
    for name, path in (("breast_trial_subjects", subjects),):
        assert runner.invoke(app, ["datasets", "export", name, "-o", str(path)]).exit_code == 0
    visits = tmp_path / "v.parquet"
    assert (
        runner.invoke(
            app, ["datasets", "export", "breast_trial_assessments", "-o", str(visits)]
        ).exit_code
        == 0
    )
    r = runner.invoke(
        app, ["recist", "derive", str(visits), "--subjects", str(subjects), "-o", str(derived)]
    )
    assert r.exit_code == 0, r.output
    renamed = tmp_path / "r.parquet"
    pl.read_parquet(derived).rename({"pakt_hscore": "[bold]pakt[/]"}).write_parquet(renamed)
    r = runner.invoke(app, ["recist", "subgroups", str(renamed), "--biomarker", "[bold]pakt[/]"])
    assert r.exit_code == 0, r.output
    assert "PFS by arm within [bold]pakt[/] subgroups" in r.stdout
    assert "0 rows without a [bold]pakt[/] value left out" in r.stderr


def _noisy(run):
    """An analysis that also warns as numpy does and logs as matplotlib does."""

    def wrapped(*args, **kwargs):
        warnings.warn("divide by zero encountered in log", RuntimeWarning, stacklevel=1)
        logging.getLogger("matplotlib").warning("building the font cache;\nthis may take a moment")
        return run(*args, **kwargs)

    return wrapped


def test_library_warnings_and_log_records_are_one_line(markup, monkeypatch):
    monkeypatch.setattr(logging.getLogger(), "handlers", [])  # as in a real run: none
    monkeypatch.setitem(
        ANALYSES, "km", dataclasses.replace(ANALYSES["km"], run=_noisy(ANALYSES["km"].run))
    )
    r = runner.invoke(app, ["km", str(markup), "--time", "time", "--event", "cens"])
    assert r.exit_code == 0, r.output
    assert r.stderr.splitlines() == [
        "warning: divide by zero encountered in log (RuntimeWarning)",
        "warning: building the font cache; this may take a moment",
    ]
    # the command line's handlers are gone afterwards
    assert warnings.showwarning is not None
    assert not [h for h in logging.getLogger().handlers if type(h).__name__ == "_LogLine"]


def test_real_process_prints_text_and_warnings_literally(markup, tmp_path):
    exe = [sys.executable, "-m", "survstat"]
    km = subprocess.run(
        [*exe, "km", str(markup), "--time", "time", "--event", "cens", "--by", "arm"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert km.returncode == 0, km.stderr
    for level in LEVELS:
        assert level in km.stdout
    path = tmp_path / "cr.parquet"
    pl.DataFrame({"time": [1.0, 2.0, 3.0, 4.0], "cause": [1, 2, 1, 2]}).write_parquet(path)
    cif = subprocess.run(
        [*exe, "cif", str(path), "--time", "time", "--cause", "cause"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cif.returncode == 0, cif.stderr
    assert cif.stderr == (
        "warning: censoring value 0 does not occur in `cause`: no record is censored\n"
    )
