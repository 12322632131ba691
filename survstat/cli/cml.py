"""The `cml` sub-commands (molecular response in chronic myeloid leukaemia)."""

from __future__ import annotations

from typing import Annotated

import typer

from survstat.cli._common import DataArg, OutputOpt, clean, print_table, user_errors, write_output
from survstat.endpoints.cml import Columns, classify_samples

app = typer.Typer(
    help="Molecular response in CML: classify BCR-ABL1 results.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


@app.command()
@user_errors
def classify(
    data: DataArg,
    patient: Annotated[str, typer.Option("--patient", help="Patient id column.")] = "patient_id",
    time: Annotated[str, typer.Option("--time", help="Sample time column.")] = "time",
    is_percent: Annotated[str, typer.Option("--is", help="IS % column.")] = "is_percent",
    detected: Annotated[str, typer.Option("--detected", help="Detected flag column.")] = "detected",
    control_gene: Annotated[
        str, typer.Option("--control-gene", help="Control gene column (ABL1 or GUSB).")
    ] = "control_gene",
    control_copies: Annotated[
        str, typer.Option("--control-copies", help="Control gene copies column.")
    ] = "control_copies",
    output: OutputOpt = None,
) -> None:
    """Classify each BCR-ABL1 result: MR level, log reduction, evaluable flag and reason.

    One row per sample: the input columns, then level (none, MMR, MR4, MR4.5, MR5; null when
    not evaluable), log_reduction, evaluable, reason.

    Example: `survstat cml classify labs.parquet --time months -o classified.parquet`
    """
    params = clean(locals())
    cols = Columns(patient, time, is_percent, detected, control_gene, control_copies)
    table = classify_samples(data, columns=cols)
    print_table(table, "BCR-ABL1 results")
    write_output(
        table, output, analysis="cml classify", parameters=params, data=data, n_rows=table.height
    )
