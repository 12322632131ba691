"""The `datasets` sub-commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from survstat import datasets as _datasets
from survstat.cli._common import print_table, user_errors, write_output

app = typer.Typer(
    help="List and export the bundled datasets.", no_args_is_help=True, rich_markup_mode=None
)


@app.command("list")
def list_() -> None:
    """List the bundled datasets.

    Example: `survstat datasets list`
    """
    names = _datasets.names()
    print_table(
        pl.DataFrame({"name": list(names), "description": list(names.values())}), "Datasets"
    )


@app.command()
@user_errors
def export(
    name: Annotated[str, typer.Argument(help="Dataset name (see `survstat datasets list`).")],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help=".parquet, .xpt or .csv file to write.", show_default=False
        ),
    ],
) -> None:
    """Write a bundled dataset to a Parquet, SAS transport (.xpt) or CSV file, with its labels.

    Example: `survstat datasets export gbsg2 -o gbsg2.parquet`
    """
    from survstat.analyses import AnalysisOutput

    frame = _datasets.load(name)
    write_output(
        AnalysisOutput(frame, name, frame.height, labels=_datasets.labels(name) or None),
        output,
        analysis="datasets export",
        parameters={"name": name},
        data=_datasets.path(name),
    )
