"""The `plot` sub-commands: publication figures written to PNG, SVG or PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from survstat._choices import FORMATS
from survstat.cli._common import (
    ByOpt,
    ConfLevelOpt,
    ConfType,
    ConfTypeOpt,
    DataArg,
    EntryOpt,
    EventOpt,
    TimeOpt,
    WeightOpt,
    code_value,
    err_console,
    parse_numbers,
    say,
    split_columns,
    user_errors,
)
from survstat.cli.competing import CauseOpt, CensorOpt
from survstat.io import check_output_path, reading

app = typer.Typer(
    help="Publication figures: Kaplan–Meier, cumulative incidence, forest plots.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

FigureOpt = Annotated[
    Path,
    typer.Option(
        "--output",
        "-o",
        help="Figure file: .png, .svg or .pdf (written atomically).",
        show_default=False,
    ),
]
AtRiskOpt = Annotated[
    str | None,
    typer.Option("--at-risk-times", help="Times of the number-at-risk table (comma-separated)."),
]
AnnotateOpt = Annotated[
    bool, typer.Option("--annotate/--no-annotate", help="Print the test p-value (and HR).")
]
XlabelOpt = Annotated[str, typer.Option("--xlabel", help="Label of the time axis.")]
TitleOpt = Annotated[str | None, typer.Option("--title", help="Figure title.")]


def _save(name: str, data: str, output: Path, **options: Any) -> None:
    """Draw the named figure from ``data`` and write it with :func:`survstat.plot.save_figure`
    (the function job plot steps use too); the output path is checked before drawing."""
    import matplotlib

    matplotlib.use("Agg")  # files only: never needs a display
    import matplotlib.pyplot as plt

    from survstat.analyses.plots import PLOTS
    from survstat.plot import save_figure

    fmt = output.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise typer.BadParameter(
            f"the file must end in {', '.join('.' + f for f in FORMATS)}", param_hint="--output"
        )
    check_output_path(output, tuple("." + f for f in FORMATS), [data])
    with err_console.status(Text(f"Drawing {name} from {data} …")), reading(data):
        fig = PLOTS[name].run(data, **options)
    try:
        save_figure(fig, output)
    finally:
        plt.close(fig)
    say(f"wrote {output}")


@app.command()
@user_errors
def km(
    data: DataArg,
    time: TimeOpt,
    event: EventOpt,
    output: FigureOpt,
    by: ByOpt = None,
    entry: EntryOpt = None,
    weight: WeightOpt = None,
    conf_type: ConfTypeOpt = ConfType.log_log,
    conf_level: ConfLevelOpt = 0.95,
    at_risk_times: AtRiskOpt = None,
    annotate: AnnotateOpt = True,
    xlabel: XlabelOpt = "time",
    title: TitleOpt = None,
) -> None:
    """Kaplan–Meier curves with CI bands, censoring marks, median lines and numbers at risk;
    the log-rank p-value, and for two groups the Cox hazard ratio, on the plot.

    Example: `survstat plot km gbsg2.parquet --time time --event cens --by horTh
    --at-risk-times 0,500,1000,1500,2000 -o km.png`
    """
    _save(
        "km",
        data,
        output,
        time=time,
        event=event,
        by=split_columns(by),
        entry=entry,
        weight=weight,
        conf_type=conf_type.value,
        conf_level=conf_level,
        at_risk_times=parse_numbers(at_risk_times, "--at-risk-times"),
        annotate=annotate,
        xlabel=xlabel,
        title=title,
    )


@app.command()
@user_errors
def cif(
    data: DataArg,
    time: TimeOpt,
    cause: CauseOpt,
    output: FigureOpt,
    of_interest: Annotated[
        str | None, typer.Option("--of-interest", help="The cause to draw (default: the first).")
    ] = None,
    by: ByOpt = None,
    censor_value: CensorOpt = None,
    conf_type: ConfTypeOpt = ConfType.log_log,
    conf_level: ConfLevelOpt = 0.95,
    at_risk_times: AtRiskOpt = None,
    annotate: AnnotateOpt = True,
    xlabel: XlabelOpt = "time",
    title: TitleOpt = None,
) -> None:
    """Cumulative incidence of one cause per group with CI bands and numbers at risk;
    Gray's test p-value on the plot.

    Example: `survstat plot cif cml_endpoints.parquet --time time --cause cause --of-interest 1
    --by arm -o cif.pdf` (the output of the `survstat cml endpoints` example)
    """
    _save(
        "cif",
        data,
        output,
        time=time,
        cause=cause,
        of_interest=code_value(of_interest),
        by=split_columns(by),
        censor_value=code_value(censor_value),
        conf_type=conf_type.value,
        conf_level=conf_level,
        at_risk_times=parse_numbers(at_risk_times, "--at-risk-times"),
        annotate=annotate,
        xlabel=xlabel,
        title=title,
    )


@app.command()
@user_errors
def forest(
    data: DataArg,
    label: Annotated[
        str, typer.Option("--label", help="Column of row labels.", show_default=False)
    ],
    output: FigureOpt,
    estimate: Annotated[str, typer.Option("--estimate", help="Estimate column.")] = "hazard_ratio",
    low: Annotated[str, typer.Option("--low", help="Lower confidence limit column.")] = "conf_low",
    high: Annotated[
        str, typer.Option("--high", help="Upper confidence limit column.")
    ] = "conf_high",
    reference_line: Annotated[
        float, typer.Option("--reference-line", help="Where to draw the no-effect line.")
    ] = 1.0,
    xlabel: XlabelOpt = "hazard ratio (95% CI)",
    title: TitleOpt = None,
) -> None:
    """Forest plot of estimates with confidence intervals on a log axis, one line per row
    (e.g. the output of `survstat cox -o`).

    Example: `survstat plot forest cox.parquet --label term -o forest.svg` (the output of the
    `survstat cox` example)
    """
    _save(
        "forest",
        data,
        output,
        label=split_columns(label),
        estimate=estimate,
        low=low,
        high=high,
        reference_line=reference_line,
        xlabel=xlabel,
        title=title,
    )
