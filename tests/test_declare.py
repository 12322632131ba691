"""Each analysis is declared once, by its typed signature: the command line, job-file checking
and the report all read that declaration, so adding an option means editing one place."""

from __future__ import annotations

import typing
from typing import Annotated, Literal

import polars as pl
import pytest
import typer
import typer.main
from typer.testing import CliRunner

from survstat.analyses import ANALYSES, Analysis, AnalysisOutput
from survstat.analyses._declare import Column, Data, Option
from survstat.analyses.plots import PLOTS
from survstat.batch import JobError, load_job, run_job
from survstat.batch.report import render_report
from survstat.cli import app
from survstat.cli._generate import command
from survstat.io import read_metadata, scan

runner = CliRunner()

Shape = Literal["round", "square"]


def toy(
    data: Data,
    *,
    time: Annotated[str, Column("data", help="Follow-up time column.")],
    shape: Annotated[Shape, Option(help="The shape of the toy.")] = "round",
) -> AnalysisOutput:
    """Count the rows of a table, with a shape.

    Example: `survstat toy gbsg2.parquet --time time --shape square`

    Returns
    -------
    AnalysisOutput
        One row: n and shape.
    """
    frame = scan(data)[0].collect()
    table = pl.DataFrame({"n": [frame.height], "shape": [shape]})
    return AnalysisOutput(table, f"Toy ({shape})", frame.height)


TOY = Analysis("toy", toy)


@pytest.fixture
def toy_app():
    cli = typer.Typer(rich_markup_mode="markdown")
    cli.command("toy")(command(TOY))
    cli.command("other")(command(TOY))  # two commands, so `toy` is a sub-command
    return cli


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "d.parquet"
    pl.DataFrame({"time": [1.0, 2.0, 3.0], "cens": [1, 0, 1]}).write_parquet(path)
    return path


def test_an_option_declared_once_is_on_the_command_line(toy_app, data, tmp_path, monkeypatch):
    monkeypatch.setitem(ANALYSES, "toy", TOY)
    r = runner.invoke(toy_app, ["toy", "--help"])
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert "--shape" in text
    assert "round|square" in text
    assert "The shape of the toy." in text
    assert "Example: survstat toy gbsg2.parquet" in text
    assert "Returns" not in text  # the numpydoc sections are for the library's reader
    out = tmp_path / "toy.parquet"
    r = runner.invoke(
        toy_app, ["toy", str(data), "--time", "time", "--shape", "square", "-o", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert pl.read_parquet(out)["shape"].to_list() == ["square"]
    assert read_metadata(out)["parameters"] == {"time": "time", "shape": "square"}
    r = runner.invoke(toy_app, ["toy", str(data), "--time", "time", "--shape", "oval"])
    assert r.exit_code == 2


def _job(tmp_path, data, **options):
    lines = [f"{k} = {v!r}".replace("'", '"') for k, v in options.items()]
    path = tmp_path / "job.toml"
    path.write_text(
        '[job]\noutput = "out"\n\n[inputs]\nd = "'
        + data.name
        + '"\n\n[[step]]\nanalysis = "toy"\ninput = "d"\n'
        + "\n".join(lines)
        + "\n"
    )
    return path


def test_an_option_declared_once_is_checked_in_job_files(monkeypatch, tmp_path, data):
    monkeypatch.setitem(ANALYSES, "toy", TOY)
    with pytest.raises(JobError) as info:
        load_job(_job(tmp_path, data, time="tiem", shape="oval"))
    problems = "\n".join(info.value.problems)
    assert "`shape` must be one of 'round', 'square'; got 'oval'" in problems
    assert "column `tiem` (time) not in input `d`; did you mean `time`?" in problems
    job = load_job(_job(tmp_path, data, time="time", shape="square"))
    assert job.steps[0].parameters == {"time": "time", "shape": "square"}
    manifest = run_job(job)
    html = render_report(job, manifest)
    # the report writes each option as its declared help and value, the key beside it
    assert "<dt>The shape of the toy <code>shape</code></dt><dd>square</dd>" in html
    assert "<dt>Follow-up time column <code>time</code></dt><dd>time</dd>" in html


def _leaves(group, prefix=()):
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            yield from _leaves(cmd, (*prefix, name))
        else:
            yield (*prefix, name), cmd


#: Commands that are not analyses: running and reporting jobs, the bundled datasets.
NOT_ANALYSES = {("run",), ("report",), ("datasets", "list"), ("datasets", "export")}
#: Text options that are free text, neither a choice nor a column of an input.
FREE_TEXT = {("plot km", "xlabel"), ("plot km", "title"), ("plot cif", "xlabel")}
FREE_TEXT |= {("plot cif", "title"), ("plot forest", "xlabel"), ("plot forest", "title")}
FREE_TEXT |= {("plot km", "ylabel"), ("plot cif", "ylabel")}
FREE_TEXT |= {("recist pcr", "patient")}
#: Axis labels and titles of the per-subject figures.
FREE_TEXT |= {
    (f"plot {c}", "title") for c in ("swimmer", "waterfall", "spider", "cml-trajectories", "oc")
}
FREE_TEXT |= {(f"plot {c}", "xlabel") for c in ("swimmer", "spider", "cml-trajectories")}
#: The small-series figures' axis labels, titles, the marked day's legend entry and the
#: parameter (PARAMCD value) holding glucose.
FREE_TEXT |= {(f"plot {c}", t) for c in ("dose-intensity", "labs") for t in ("xlabel", "title")}
FREE_TEXT |= {("plot labs", "mark_label"), ("plot labs", "glucose")}
#: Values of SDTM variables: the evaluator (RSEVAL) and test codes (LBTESTCD).
FREE_TEXT |= {("sdtm rs", "evaluator"), ("sdtm lb", "is_test"), ("sdtm lb", "control_test")}
#: A value of the parameter column (ADaM PARAMCD), free text like the above.
FREE_TEXT |= {
    (c, "param")
    for c in (
        "km",
        "summary",
        "logrank",
        "cox",
        "concordance",
        "plot km",
        "plot zph",
        "response",
        "compare-rates",
        "followup",
        "landmark",
        "conditional",
        "milestone",
        "rmst",
        "cutpoint",
        "interaction",
        "panel",
        "survreg",
    )
}
#: The zph figure's axis label and title; the covariate profiles of `cox --profiles`.
FREE_TEXT |= {("plot zph", "xlabel"), ("plot zph", "title"), ("cox", "profiles")}
FREE_TEXT |= {("plot meta", "treatment"), ("plot meta", "control"), ("plot meta", "title")}
FREE_TEXT |= {("plot meta", "favours_left"), ("plot meta", "favours_right")}
#: The covariate profiles of `survreg --profiles`.
FREE_TEXT |= {("survreg", "profiles")}
#: The name of the group column `dichotomise` adds (a new column, not one of the input's).
FREE_TEXT |= {("dichotomise", "group_column")}
#: The text under the Kaplan-Meier and cumulative incidence figures.
FREE_TEXT |= {("plot km", "footnote"), ("plot cif", "footnote")}
#: The folder the ADaM datasets of a derivation are written to.
FREE_TEXT |= {("recist derive", "adam"), ("cml endpoints", "adam")}
FREE_TEXT |= {
    (c, "param")
    for c in (
        "cif",
        "gray",
        "finegray",
        "plot cif",
        "table tte",
        "table response",
        "table subgroups",
    )
}


def _declaration(path: tuple[str, ...]) -> Analysis:
    if path[0] == "plot":
        return PLOTS[path[1]]
    return ANALYSES[" ".join(path)]


def test_every_command_is_generated_from_a_declaration():
    leaves = dict(_leaves(typer.main.get_command(app)))
    analyses = {path for path in leaves if path not in NOT_ANALYSES}
    named = {tuple(n.split(" ")) for n in ANALYSES} | {("plot", n) for n in PLOTS}
    assert analyses == named
    for path in analyses:
        spec = _declaration(path)
        params = spec.parameters()
        extra = {"output"} | ({"engine", "spark_master"} if "spark" in spec.engines else set())
        on_the_line = {p.name for p in leaves[path].params if p.name != "help"}
        assert on_the_line == {*spec.inputs, *params, *extra}, path
        for name, (table, _) in spec.input_declarations().items():
            assert table.help, (path, name)
        for p in params.values():
            assert p.option is not None, (path, p.name)
            assert p.option.help.strip(), (path, p.name)
            if p.kind == "text" and p.choices is None:
                # text that is neither a Literal choice nor a column is listed as free text
                assert isinstance(p.option, Column) or (" ".join(path), p.name) in FREE_TEXT, (
                    path,
                    p.name,
                )
            if p.choices is not None:
                hint = typing.get_type_hints(spec.run, include_extras=True)[p.name]
                assert Literal in _origins(hint), (path, p.name)


def _origins(hint) -> set:
    out = {typing.get_origin(hint)}
    for arg in typing.get_args(hint):
        out |= _origins(arg)
    return out
