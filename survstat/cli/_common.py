"""Shared pieces of the command-line interface: options, errors, tables, outputs."""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable, Sequence
from enum import Enum, StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import polars as pl
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from survstat._format import format_value
from survstat.analyses import ANALYSES, AnalysisOutput
from survstat.errors import SurvstatError
from survstat.io import provenance, sibling_path, write_parquet

# Tables are wide; when output is not a terminal (logs, CI) do not squeeze them to 80 columns.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


class ConfType(StrEnum):
    """Pointwise interval transforms for survival probabilities."""

    log_log = "log-log"
    log = "log"
    plain = "plain"
    logit = "logit"
    arcsine = "arcsine"


DataArg = Annotated[
    str,
    typer.Argument(help="Parquet file, directory of Parquet files, or glob.", show_default=False),
]
TimeOpt = Annotated[str, typer.Option("--time", help="Follow-up time column.", show_default=False)]
EventOpt = Annotated[
    str, typer.Option("--event", help="Event column (0/1 or boolean).", show_default=False)
]
ByOpt = Annotated[
    str | None, typer.Option("--by", help="Group column(s), comma-separated.", show_default=False)
]
StrataOpt = Annotated[
    str | None, typer.Option("--strata", help="Stratification column(s), comma-separated.")
]
EntryOpt = Annotated[str | None, typer.Option("--entry", help="Delayed-entry time column.")]
WeightOpt = Annotated[str | None, typer.Option("--weight", help="Case-weight column.")]
ConfTypeOpt = Annotated[
    ConfType, typer.Option("--conf-type", help="Pointwise confidence interval transform.")
]
ConfLevelOpt = Annotated[
    float, typer.Option("--conf-level", min=0.0, max=1.0, help="Confidence level, in (0, 1).")
]


class Engine(StrEnum):
    """Where the risk table is computed."""

    polars = "polars"
    spark = "spark"


EngineOpt = Annotated[
    Engine,
    typer.Option(
        "--engine",
        help="polars: on this machine (Parquet streams, memory bounded by distinct times); "
        "spark: the risk table is computed by Apache Spark (needs survstat[spark]).",
    ),
]
SparkMasterOpt = Annotated[
    str | None,
    typer.Option(
        "--spark-master",
        help="With --engine spark: a master URL (spark://host:7077, yarn, k8s://..., local[4]) "
        "or a Spark Connect address (sc://host:15002). Default: spark-submit's settings, "
        "else a local session.",
        show_default=False,
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write the table to this Parquet file (atomically)."),
]


def run(
    name: str,
    *inputs: Any,
    output: Path | None,
    parameters: dict[str, Any],
    engine: Engine = Engine.polars,
    spark_master: str | None = None,
    **options: Any,
) -> None:
    """Run the named analysis on ``inputs``, print its tables and write the result to
    ``output`` (when given) with ``parameters`` as provenance.

    On the Spark engine the first input (a Parquet path or URL) is read by Spark.
    """
    frames = inputs
    if engine == Engine.spark:
        from survstat.spark import read_parquet, session

        with err_console.status("Starting Spark …"):
            frames = (read_parquet(inputs[0], session(spark_master)), *inputs[1:])
    elif spark_master is not None:
        raise typer.BadParameter("--spark-master applies to --engine spark only")
    with err_console.status(f"Running {name} on {inputs[0]} ({engine.value}) …"):
        out = ANALYSES[name].run(*frames, **options)
    for extra in out.extras:
        print_table(extra.table, extra.title)
    shown = out.table if out.display is None else out.display.table
    print_table(shown, out.title)
    for note in out.notes:
        err_console.print(escape(note), highlight=False)
    write_output(
        out,
        output,
        analysis=name,
        parameters=parameters,
        data=str(inputs[0]),
    )


def code_value(value: str | None) -> object:
    """A cause code from the command line: an integer when it reads as one, else the text."""
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return value


def split_columns(value: str | None) -> list[str] | None:
    """Comma-separated column names, or None."""
    if value is None:
        return None
    names = [v.strip() for v in value.split(",") if v.strip()]
    if not names:
        raise typer.BadParameter("expected one or more column names")
    return names


def parse_numbers(value: str | None, option: str) -> list[float] | None:
    """Comma-separated finite numbers, or None; a bad list is a usage error (exit 2)."""
    if value is None:
        return None
    out = []
    for part in value.split(","):
        try:
            x = float(part)
        except ValueError:
            raise typer.BadParameter(
                f"{part.strip()!r} is not a number", param_hint=option
            ) from None
        if not math.isfinite(x):
            raise typer.BadParameter(f"{part.strip()!r} is not finite", param_hint=option)
        out.append(x)
    return out


def user_errors(func: F) -> F:
    """Turn survstat input errors into one line on stderr and exit code 1 (no traceback)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SurvstatError as exc:
            err_console.print(
                f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
            )
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def print_table(frame: pl.DataFrame, title: str, *, max_rows: int = 40) -> None:
    """Print ``frame`` as a rich table; long tables show their first and last rows."""
    table = Table(title=title, title_justify="left", header_style="bold")
    for col in frame.columns:
        justify = "left" if frame.schema[col] == pl.String else "right"
        table.add_column(col, justify=justify, min_width=len(col), no_wrap=True)
    n = frame.height
    if n > max_rows:
        head, tail = frame.head(max_rows // 2), frame.tail(max_rows // 2)
        for row in head.iter_rows():
            table.add_row(*(format_value(v) for v in row))
        table.add_row(*(["⋮"] * frame.width))
        for row in tail.iter_rows():
            table.add_row(*(format_value(v) for v in row))
    else:
        for row in frame.iter_rows():
            table.add_row(*(format_value(v) for v in row))
    # never squeeze columns out of sight: a wide table may run past the terminal's edge instead
    widths = [
        max(
            [len(col)]
            + [len(format_value(v)) for v in frame.get_column(col).head(max_rows).to_list()]
        )
        for col in frame.columns
    ]
    needed = sum(widths) + 3 * len(widths) + 1
    out = console if needed <= console.width else Console(width=needed)
    out.print(table)
    if n > max_rows:
        console.print(f"[dim]{n} rows; {n - max_rows} not shown (use -o to write them all)[/]")


def write_output(
    out: AnalysisOutput,
    output: Path | None,
    *,
    analysis: str,
    parameters: dict[str, Any],
    data: str,
) -> None:
    """Write an analysis' tables with provenance metadata if an output path was given: the
    main table to ``output``, each extra (and display) table to ``OUT.<name>.parquet``."""
    if output is None:
        return
    meta = provenance(
        analysis, parameters, input_path=data, n_rows=out.n_rows, notes=list(out.notes)
    )
    tables = [(output, out.table)]
    tables += [(sibling_path(output, e.name), e.table) for e in out.written_extras()]
    for target, frame in tables:
        path = write_parquet(frame, target, meta)
        rows = "row" if frame.height == 1 else "rows"
        err_console.print(f"wrote {frame.height} {rows} to {escape(str(path))}", highlight=False)


def clean(params: dict[str, Any], drop: Sequence[str] = ("data", "output")) -> dict[str, Any]:
    """Parameters for provenance: enums as values, paths as strings."""
    out = {}
    for k, v in params.items():
        if k in drop:
            continue
        out[k] = v.value if isinstance(v, Enum) else (str(v) if isinstance(v, Path) else v)
    return out
