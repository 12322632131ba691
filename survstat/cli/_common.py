"""Shared pieces of the command-line interface: options, errors, tables, outputs."""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import polars as pl
import typer
import typer.core
from rich.console import Console
from rich.table import Table
from rich.text import Text

from survstat._format import format_value
from survstat.errors import SurvstatError, SurvstatWarning
from survstat.io import (
    TABLE_OUTPUTS,
    check_output_path,
    check_table,
    provenance,
    reading,
    sibling_path,
    write_table,
)
from survstat.tables.registry import DISPLAY_ANALYSES, DISPLAY_OUTPUTS, build_display

if TYPE_CHECKING:
    from survstat.analyses import AnalysisOutput

# Tables are wide; when output is not a terminal (logs, CI) do not squeeze them to 80 columns.
# Text from the data is printed as rich Text (never parsed as markup) and emoji codes such as
# :smile: stay literal.
console = Console(width=None if sys.stdout.isatty() else 160, emoji=False)
err_console = Console(stderr=True, emoji=False)

#: Set to 1 to see the traceback of an unexpected error instead of its one-line message.
DEBUG_VARIABLE = "SURVSTAT_DEBUG"

P = ParamSpec("P")
T = TypeVar("T")


def run(
    name: str,
    *inputs: Any,
    output: Path | None,
    parameters: dict[str, Any],
    engine: str = "polars",
    spark_master: str | None = None,
    **options: Any,
) -> None:
    """Run the named analysis on ``inputs``, print its tables and write the result to
    ``output`` (when given) with ``parameters`` as provenance.

    The output path is checked before the analysis runs; a reader's error while the inputs
    are read lazily names the file (:func:`survstat.io.reading`). The first input (a Parquet
    path, or on Spark a URL) is opened on the chosen engine (:func:`survstat.engines.open_input`).
    """
    from survstat.analyses import ANALYSES  # the estimators load when a command runs

    if output is not None:
        check_output_path(output, output_suffixes(name), inputs)
    if engine == "polars" and spark_master is not None:
        raise typer.BadParameter("--spark-master applies to --engine spark only")
    from survstat.engines import open_input

    if inputs:
        with err_console.status(Text(f"Opening {inputs[0]} ({engine}) …")):
            frames = (open_input(inputs[0], engine, spark_master), *inputs[1:])
        status = Text(f"Running {name} on {inputs[0]} ({engine}) …")
    else:  # a design reads no table
        frames, status = (), Text(f"Running {name} …")
    with err_console.status(status), reading(*inputs):
        out = ANALYSES[name].run(*frames, **options)
    for extra in out.extras:
        print_table(extra.table, extra.title)
    shown = out.table if out.display is None else out.display.table
    print_table(shown, out.title)
    for note in out.notes:
        say(note)
    write_output(
        out,
        output,
        analysis=name,
        parameters=parameters,
        data=str(inputs[0]) if inputs else None,
    )


def output_suffixes(analysis: str) -> tuple[str, ...]:
    """The file endings ``-o`` takes for ``analysis``: Parquet and XPT, and for the
    analyses of :data:`DISPLAY_ANALYSES` the display formats."""
    if analysis not in DISPLAY_ANALYSES:
        return TABLE_OUTPUTS
    return TABLE_OUTPUTS + DISPLAY_OUTPUTS


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


def say(text: str, *, prefix: str | None = None, style: str = "bold red") -> None:
    """Print one line of ``text`` on stderr exactly as it is (no markup, no emoji codes, no
    wrapping), after an optional styled ``prefix`` such as ``error:``."""
    line = Text.assemble((prefix, style), " ", text) if prefix else Text(text)
    err_console.print(line, highlight=False, soft_wrap=True)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _fail(exc: BaseException) -> typer.Exit:
    """Print ``exc`` as ``error: ...`` on stderr; return the exit (code 1) to raise.

    survstat's own messages are printed as written (a job file's problems are one per
    line); any other exception is one line, its type and message, with how to see more.
    """
    if isinstance(exc, SurvstatError):
        say(_single_problem(exc) or str(exc), prefix="error:")
    else:
        say(
            f"{type(exc).__name__}: {_one_line(str(exc))} (unexpected; set "
            f"{DEBUG_VARIABLE}=1 to see the traceback)",
            prefix="error:",
        )
    return typer.Exit(1)


def _single_problem(exc: SurvstatError) -> str | None:
    """A list of problems that holds one (e.g. a job file that cannot be read) as one line:
    ``FILE: 1 problem`` + ``  FILE:LINE: ...`` becomes ``FILE:LINE: ...``."""
    problems = getattr(exc, "problems", None)
    head = re.fullmatch(r"(.*): 1 problem", str(exc).split("\n", 1)[0])
    if not isinstance(problems, list) or len(problems) != 1 or head is None:
        return None
    where, problem = head.group(1), str(problems[0])
    name = Path(where).name
    if problem.startswith(name + ":"):
        return where + problem[len(name) :]
    return f"{where}: {problem}"


def _debug() -> bool:
    return os.environ.get(DEBUG_VARIABLE, "") not in ("", "0")


def user_errors(func: Callable[P, T]) -> Callable[P, T]:
    """Turn survstat input errors into one line on stderr and exit code 1 (no traceback).

    Every command also runs inside :class:`Group`, which does the same for any exception.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return func(*args, **kwargs)
        except SurvstatError as exc:
            if _debug():
                raise
            raise _fail(exc) from None

    return wrapper


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """``warnings.showwarning`` for the command line: ``warning: <message>`` on one line,
    with the category when it is not survstat's own."""
    text = _one_line(str(message))
    if not issubclass(category, SurvstatWarning):
        text += f" ({category.__name__})"
    say(text, prefix="warning:", style="bold yellow")


class _LogLine(logging.Handler):
    """Log records of libraries (e.g. matplotlib's font cache notice) as one line each."""

    def emit(self, record: logging.LogRecord) -> None:
        say(_one_line(record.getMessage()), prefix=f"{record.levelname.lower()}:", style="yellow")


@contextlib.contextmanager
def one_line_warnings() -> Iterator[None]:
    """Inside the block, Python warnings (survstat's, numpy's, polars', matplotlib's) print as
    one ``warning: ...`` line on stderr, and warnings logged by libraries likewise."""
    root = logging.getLogger()
    handler = None if root.handlers else _LogLine(logging.WARNING)
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        if handler is not None:
            root.addHandler(handler)
        try:
            yield
        finally:
            if handler is not None:
                root.removeHandler(handler)


#: Exceptions that are click's to handle: usage errors (exit code 2), exits and aborts. Found
#: through typer's own classes, whether typer uses click or a copy of it.
_CLICK_EXCEPTIONS = (
    *(
        c
        for c in typer.BadParameter.__mro__
        if c.__name__ == "ClickException" and issubclass(c, Exception)
    ),
    typer.Exit,
    typer.Abort,
)


class QuickHelpGroup(typer.core.TyperGroup):
    """A command group whose ``--help`` flag, when left out, reads as False rather than None.

    Typer loads its value coercion (pydantic, a third of a second) for any value that is not
    already of the option's type; a group's help flag is left out whenever a sub-command's
    ``--help`` is asked for, so without this ``survstat km --help`` would pay for it.
    """

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None and getattr(option, "default", False) is None:
            option.default = False
        return option


class Group(QuickHelpGroup):
    """The root command group: the last line of defence of every command.

    Warnings print as one line each; a survstat error prints as ``error: ...`` and any other
    exception (a reader's, a library's, a bug) as one ``error:`` line with its type, all with
    exit code 1 and no traceback, unless ``SURVSTAT_DEBUG=1`` is set. Usage errors keep
    click's exit code 2.
    """

    def invoke(self, ctx: Any) -> Any:
        with one_line_warnings():
            try:
                return super().invoke(ctx)
            except (*_CLICK_EXCEPTIONS, KeyboardInterrupt, SystemExit, GeneratorExit):
                raise
            except BaseException as exc:  # polars' PanicException derives from BaseException
                if _debug():
                    raise
                raise _fail(exc) from None


def print_table(frame: pl.DataFrame, title: str, *, max_rows: int = 40) -> None:
    """Print ``frame`` as a rich table; long tables show their first and last rows.

    Title, column names and cells are printed literally: a group level such as
    ``[bold]A[/bold]`` or a term such as ``arm[B]`` is shown as written, never as markup.
    """
    table = Table(title=Text(title), title_justify="left", header_style="bold")
    for col in frame.columns:
        justify = "left" if frame.schema[col] == pl.String else "right"
        table.add_column(Text(col), justify=justify, min_width=len(col), no_wrap=True)

    def add(rows: Any) -> None:
        for row in rows:
            table.add_row(*(Text(format_value(v)) for v in row))

    n = frame.height
    if n > max_rows:
        add(frame.head(max_rows // 2).iter_rows())
        table.add_row(*(["⋮"] * frame.width))
        add(frame.tail(max_rows // 2).iter_rows())
    else:
        add(frame.iter_rows())
    # never squeeze columns out of sight: a wide table may run past the terminal's edge instead
    widths = [
        max(
            [len(col)]
            + [len(format_value(v)) for v in frame.get_column(col).head(max_rows).to_list()]
        )
        for col in frame.columns
    ]
    needed = sum(widths) + 3 * len(widths) + 1
    out = console if needed <= console.width else Console(width=needed, emoji=False)
    out.print(table)
    if n > max_rows:
        console.print(f"[dim]{n} rows; {n - max_rows} not shown (use -o to write them all)[/]")


def write_output(
    out: AnalysisOutput,
    output: Path | None,
    *,
    analysis: str,
    parameters: dict[str, Any],
    data: str | None,
) -> None:
    """Write an analysis' tables with provenance if an output path was given: the main table
    to ``output`` (``.parquet``, or ``.xpt`` with its provenance in ``OUT.xpt.json``), each
    extra (and display) table to ``OUT.<name>.parquet`` (``.xpt``: dataset ``<NAME>``).
    Every table is checked before any is written, so a table SAS transport cannot hold (a
    column name over 8 characters) leaves no file behind. For the analyses of
    :data:`DISPLAY_ANALYSES`, an ``output`` ending in ``.html``, ``.tex``, ``.rtf``, ``.docx``
    or ``.xlsx`` gets the display of the table instead, its provenance in ``OUT.<ext>.json``."""
    if output is None:
        return
    check_output_path(output, output_suffixes(analysis))
    meta = provenance(
        analysis, parameters, input_path=data, n_rows=out.n_rows, notes=list(out.notes)
    )
    if output.suffix.lower() not in TABLE_OUTPUTS:
        from survstat.tables.render import write_display

        display = build_display(analysis, out.table, parameters, source=data)
        say(f"wrote {write_display(display, output, metadata=meta)}")
        return
    tables = [(output, out.table, None, out.labels)]
    tables += [
        (sibling_path(output, e.name), e.table, e.name.upper(), None) for e in out.written_extras()
    ]
    for target, frame, name, labels in tables:
        check_table(frame, target, name=name, labels=labels)
    for target, frame, name, labels in tables:
        path = write_table(frame, target, metadata=meta, name=name, labels=labels)
        say(f"wrote {frame.height} {'row' if frame.height == 1 else 'rows'} to {path}")
