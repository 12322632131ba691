"""Command-line interface: ``survstat COMMAND --help`` describes each command."""

from __future__ import annotations

import shutil

import typer

from survstat._version import __version__
from survstat.analyses import ANALYSES
from survstat.analyses.plots import PLOTS
from survstat.cli import datasets, jobs
from survstat.cli._common import Group, QuickHelpGroup
from survstat.cli._generate import command

_HELP = """Survival and response statistics for oncology trials, validated against R.

Bad input exits with code 1 and one line `error: ...` on stderr; warnings print as one line
`warning: ...`. Set SURVSTAT_DEBUG=1 to see the traceback of an unexpected error.

The examples in each command's --help read a bundled dataset, exported first with
`survstat datasets export NAME -o NAME.parquet` (`survstat datasets list` names them), or the
output of another command's example."""

app = typer.Typer(
    name="survstat",
    cls=Group,
    help=_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Help is click's plain text: typer's rich help loads rich's Markdown renderer and pygments,
    # which would make `survstat km --help` slower than reading the data it describes. Lines
    # are up to 100 characters (the terminal's width when narrower; 100 in a pipe), so the
    # command list shows each command's whole summary. Sub-commands inherit these settings.
    rich_markup_mode=None,
    context_settings={
        "max_content_width": 100,
        "terminal_width": shutil.get_terminal_size((100, 24)).columns,
    },
)
#: The groups of sub-commands: analyses named "cml ...", "recist ...", "sdtm ...", "table ..."
#: and "design ...", and the figures.
_GROUPS = {
    "plot": "Publication figures: Kaplan–Meier, cumulative incidence, forest, swimmer, "
    "waterfall, spider and BCR-ABL1 trajectory plots.",
    "cml": "Molecular response in CML: classify results, derive endpoints, estimate response.",
    "recist": "RECIST 1.1: derive best response and PFS/OS/DoR, tabulate efficacy by arm.",
    "sdtm": "SDTM sources: RS, TR and LB (with DM) into the tables of recist and cml.",
    "table": "Summary tables as analysis results data (ARD): the time-to-event table.",
    "design": "Trial design: Simon two-stage and exact single-arm designs, events and "
    "sample sizes.",
}


def _group(name: str) -> typer.Typer:
    return typer.Typer(
        cls=QuickHelpGroup, help=_GROUPS[name], no_args_is_help=True, rich_markup_mode=None
    )


groups = {name: _group(name) for name in _GROUPS}
for spec in ANALYSES.values():
    # every analysis is a command generated from its declaration: "cml tfr" is `cml tfr`
    *group, leaf = spec.name.split(" ")
    target = groups[group[0]] if group else app
    target.command(leaf)(command(spec))
for spec in PLOTS.values():
    groups["plot"].command(spec.name)(command(spec, figure=True))
# commands that are not analyses: running and reporting jobs, the bundled datasets
app.command("run")(jobs.run)
app.command("report")(jobs.report)
app.add_typer(groups["plot"], name="plot")
app.add_typer(datasets.app, name="datasets")
app.add_typer(groups["cml"], name="cml")
app.add_typer(groups["recist"], name="recist")
app.add_typer(groups["sdtm"], name="sdtm")
app.add_typer(groups["table"], name="table")
app.add_typer(groups["design"], name="design")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"survstat {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Survival and response statistics for oncology trials, validated against R."""


def main() -> None:
    """Console-script entry point."""
    app()
