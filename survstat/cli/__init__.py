"""Command-line interface: ``survstat COMMAND --help`` describes each command."""

from __future__ import annotations

import typer

from survstat._version import __version__
from survstat.cli import analyses, cml, competing, datasets, jobs, plot, rates, recist
from survstat.cli._common import Group

_HELP = """Survival and response statistics for oncology trials, validated against R.

Bad input exits with code 1 and one line `error: ...` on stderr; warnings print as one line
`warning: ...`. Set SURVSTAT_DEBUG=1 to see the traceback of an unexpected error."""

app = typer.Typer(
    name="survstat",
    cls=Group,
    help=_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
app.command("km")(analyses.km)
app.command("summary")(analyses.summary)
app.command("logrank")(analyses.logrank_cmd)
app.command("cox")(analyses.cox_cmd)
app.command("cif")(competing.cif)
app.command("gray")(competing.gray)
app.command("finegray")(competing.finegray)
app.command("response")(rates.response)
app.command("compare-rates")(rates.compare_rates)
app.command("run")(jobs.run)
app.command("report")(jobs.report)
app.add_typer(plot.app, name="plot")
app.add_typer(datasets.app, name="datasets")
app.add_typer(cml.app, name="cml")
app.add_typer(recist.app, name="recist")


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
