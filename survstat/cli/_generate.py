"""Typer commands generated from the declaration of an analysis (its typed signature).

:func:`command` reads an analysis function's table arguments, options, choices and help (see
:mod:`survstat.analyses._declare`) and builds the command's ``inspect.Signature`` with
``Annotated[..., typer.Argument/Option(...)]`` parameters, which Typer reads from
``__signature__``. On the command line lists are comma-separated, ``str | int`` codes are
integers when they read as one, booleans are ``--flag`` or ``--flag/--off`` switches. The
command calls the analysis with explicit keywords through :func:`survstat.cli._common.run`
(tables and ``-o``) or :func:`save_figure` (figures), and records the options as given in the
output's provenance.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.text import Text

from survstat._choices import FORMATS, EngineName
from survstat.analyses._core import Analysis
from survstat.analyses._parameters import Parameter
from survstat.cli._common import (
    DISPLAY_ANALYSES,
    code_value,
    err_console,
    parse_numbers,
    run,
    say,
    split_columns,
    user_errors,
)
from survstat.io import check_output_path, reading

_KEYWORD = inspect.Parameter.KEYWORD_ONLY

#: The options every analysis that writes a table has, and those of the Spark engine.
_OUTPUT = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write the table to this file (atomically): .parquet, .csv, or .xpt (SAS "
        "transport v5); a CSV or XPT file's provenance goes in OUT.<ext>.json beside it.",
    ),
]
#: ``-o`` of the analyses that also write a display (:data:`DISPLAY_ANALYSES`).
_DISPLAY_OUTPUT = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write the table to this file (atomically): .parquet, .csv, or .xpt (SAS "
        "transport v5); or its display: .html, .tex, .rtf, .docx or .xlsx. Provenance goes "
        "inside a Parquet file, else in OUT.<ext>.json beside it.",
    ),
]
_FIGURE = Annotated[
    Path,
    typer.Option(
        "--output",
        "-o",
        help="Figure file: .png, .svg or .pdf (written atomically).",
        show_default=False,
    ),
]
_ENGINE = Annotated[
    EngineName,
    typer.Option(
        "--engine",
        help="polars: on this machine (Parquet streams, memory bounded by distinct times); "
        "spark: the risk table is computed by Apache Spark (needs survstat[spark]).",
    ),
]
_SPARK_MASTER = Annotated[
    str | None,
    typer.Option(
        "--spark-master",
        help="With --engine spark: a master URL (spark://host:7077, yarn, k8s://..., local[4]) "
        "or a Spark Connect address (sc://host:15002). Default: spark-submit's settings, "
        "else a local session.",
        show_default=False,
    ),
]
#: Command-line types of the parameter kinds (lists and codes are read as text).
_TYPES: dict[str, type] = {
    "text": str,
    "texts": str,
    "numbers": str,
    "value": str,
    "number": float,
    "integer": int,
    "flag": bool,
}
#: A numpydoc section heading: where the command's help ends.
_SECTION = re.compile(r"\n[ \t]*[A-Z][A-Za-z ]+\n[ \t]*-{3,}[ \t]*\n")


def description(doc: str | None) -> str:
    """The help text of a command: its function's docstring up to the first numpydoc
    section (``Parameters``, ``Returns``, ...), which is for the library's reader."""
    text = inspect.cleandoc(doc or "")
    found = _SECTION.search("\n" + text)
    return (text[: found.start() - 1] if found else text).rstrip()


def _option(p: Parameter) -> Any:
    """``Annotated[type, typer.Option(...)]`` for one keyword parameter."""
    option = p.option
    if option is None:  # a declaration test guards against this
        raise AssertionError(f"parameter `{p.name}` declares no help")
    hint: Any = Literal[p.choices] if p.choices is not None else _TYPES[p.kind]  # type: ignore[valid-type]
    if p.optional or (not p.required and p.default is None):
        hint = hint | None
    flag = option.cli_flag(p.name)
    decls = [f"{flag}/{option.off}" if option.off else flag]
    info = typer.Option(
        *decls,
        help=option.help,
        min=option.min,
        max=option.max,
        show_default=not p.required and p.default is not None,
        show_choices=_show_choices(p.choices, option.help),
    )
    return Annotated[hint, info]


def _show_choices(choices: tuple[Any, ...] | None, help: str) -> bool:
    """Whether the metavar lists the choices: not when the list is long and the help names
    every choice in words already (it would squeeze the help into a narrow column)."""
    if choices is None:
        return True
    return len("|".join(map(str, choices))) <= 20 or not all(str(c) in help for c in choices)


def _signature(spec: Analysis[Any], figure: bool) -> inspect.Signature:
    """The command's parameters: the tables, the options, then ``-o`` and the engine."""
    params = []
    for name, (table, required) in spec.input_declarations().items():
        if table.flag is None:
            hint: Any = Annotated[str, typer.Argument(help=table.help, show_default=False)]
        else:
            info = typer.Option(table.flag, help=table.help, show_default=False)
            hint = Annotated[str if required else str | None, info]
        default = inspect.Parameter.empty if required else None
        params.append(inspect.Parameter(name, _KEYWORD, annotation=hint, default=default))
    for p in spec.parameters().values():
        default = inspect.Parameter.empty if p.required else p.default
        params.append(inspect.Parameter(p.name, _KEYWORD, annotation=_option(p), default=default))
    if figure:
        params.append(inspect.Parameter("output", _KEYWORD, annotation=_FIGURE))
    else:
        hint = _DISPLAY_OUTPUT if spec.name in DISPLAY_ANALYSES else _OUTPUT
        params.append(inspect.Parameter("output", _KEYWORD, annotation=hint, default=None))
    if "spark" in spec.engines:
        params += [
            inspect.Parameter("engine", _KEYWORD, annotation=_ENGINE, default="polars"),
            inspect.Parameter("spark_master", _KEYWORD, annotation=_SPARK_MASTER, default=None),
        ]
    return inspect.Signature(params)


def _value(p: Parameter, given: Any) -> Any:
    """The value an analysis takes from what the command line read."""
    option = p.option
    if p.kind == "texts":
        return split_columns(given)
    if p.kind == "numbers":
        return parse_numbers(given, option.cli_flag(p.name) if option else p.name)
    if p.kind == "value" and option is not None and option.code:
        return code_value(given)
    return given


def _recorded_as(p: Parameter) -> str:
    """The parameter's key in an output's provenance."""
    return (p.option.provenance if p.option is not None else None) or p.name


def command(spec: Analysis[Any], *, figure: bool = False) -> Callable[..., None]:
    """The Typer command of an analysis (``figure``: of a figure of
    :data:`survstat.analyses.plots.PLOTS`), generated from its declaration.

    Parameters
    ----------
    spec
        The analysis; its function's signature declares the command's arguments and options,
        its docstring (up to the first numpydoc section) is the command's help.
    figure
        Whether the analysis draws a figure, written to the required ``--output`` file,
        rather than a table written to the optional ``--output`` Parquet file.

    Returns
    -------
    Callable
        A function with a ``__signature__`` to register with ``app.command(name)``.
    """
    name, params = spec.name, spec.parameters()
    tables = list(spec.input_declarations())

    def invoke(**given: Any) -> None:
        options = {n: _value(p, given[n]) for n, p in params.items()}
        inputs = [given[t] for t in tables]
        if figure:
            save_figure(name, inputs[0], given["output"], *inputs[1:], **options)
            return
        # the provenance records the options as given (lists as typed, codes as text)
        recorded = {t: given[t] for t in tables[1:]}
        recorded |= {_recorded_as(p): given[n] for n, p in params.items()}
        engine = {k: given[k] for k in ("engine", "spark_master") if k in given}
        run(
            name, *inputs, output=given["output"], parameters=recorded | engine, **engine, **options
        )

    invoke.__signature__ = _signature(spec, figure)  # type: ignore[attr-defined]
    invoke.__doc__ = description(spec.run.__doc__)
    invoke.__name__ = name.replace(" ", "_").replace("-", "_")
    return user_errors(invoke)


def save_figure(name: str, data: str, output: Path, *others: str | None, **options: Any) -> None:
    """Draw the named figure from ``data`` and write it with :func:`survstat.plot.save_figure`
    (the function job plot steps use too); the output path is checked before drawing.

    Parameters
    ----------
    name
        The figure's name in :data:`survstat.analyses.plots.PLOTS`.
    data
        The input table's path.
    output
        The figure file; its suffix (.png, .svg, .pdf) is the format.
    *others
        The figure's other tables in order (e.g. the ADSL of ``--adsl``), None when not given.
    **options
        The figure's options, as its function takes them.
    """
    import matplotlib

    matplotlib.use("Agg")  # files only: never needs a display
    import matplotlib.pyplot as plt

    from survstat.analyses.plots import PLOTS
    from survstat.plot import save_figure as write_figure

    fmt = output.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise typer.BadParameter(
            f"the file must end in {', '.join('.' + f for f in FORMATS)}", param_hint="--output"
        )
    check_output_path(output, tuple("." + f for f in FORMATS), [data, *others])
    with err_console.status(Text(f"Drawing {name} from {data} …")), reading(data, *others):
        fig = PLOTS[name].run(data, *others, **options)
    try:
        write_figure(fig, output)
    finally:
        plt.close(fig)
    say(f"wrote {output}")
