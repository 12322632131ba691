"""Per-sample classification of BCR-ABL1 results (ELN 2020, EUTOS)."""

from __future__ import annotations

import math

import polars as pl
import pytest
from typer.testing import CliRunner

from survstat.cli import app
from survstat.endpoints.cml import Thresholds, classify_samples
from survstat.errors import InvalidValueError, MissingValueError, SurvstatWarning


def labs(rows):
    return pl.DataFrame(
        rows,
        schema={
            "patient_id": pl.String,
            "time": pl.Float64,
            "is_percent": pl.Float64,
            "detected": pl.Boolean,
            "control_gene": pl.String,
            "control_copies": pl.Float64,
        },
        orient="row",
    )


@pytest.mark.parametrize(
    ("is_percent", "level"),
    [
        (0.2, "none"),
        (0.1, "MMR"),
        (0.1000001, "none"),
        (0.05, "MMR"),
        (0.01, "MR4"),
        (0.0032, "MR4.5"),
        (0.00321, "MR4"),
        (0.001, "MR5"),
        (0.0004, "MR5"),
    ],
)
def test_detectable_results_by_is_value(is_percent, level):
    out = classify_samples(labs([("p", 3.0, is_percent, True, "ABL1", 50_000.0)]))
    assert out["level"].cast(pl.String).item() == level
    assert out["evaluable"].item()
    assert out["log_reduction"].item() == pytest.approx(math.log10(100 / is_percent))


def test_exclusive_thresholds():
    out = classify_samples(
        labs([("p", 3.0, 0.1, True, "ABL1", 50_000.0), ("p", 6.0, 0.0032, True, "ABL1", 50_000.0)]),
        thresholds=Thresholds(inclusive=False),
    )
    assert out["level"].cast(pl.String).to_list() == ["none", "MR4"]


@pytest.mark.parametrize(
    ("gene", "copies", "level"),
    [
        ("ABL1", 9_999, None),
        ("ABL1", 10_000, "MR4"),
        ("ABL1", 31_999, "MR4"),
        ("ABL1", 32_000, "MR4.5"),
        ("ABL1", 100_000, "MR5"),
        ("GUSB", 23_999, None),
        ("GUSB", 24_000, "MR4"),
        ("GUSB", 77_000, "MR4.5"),
        ("GUSB", 240_000, "MR5"),
    ],
)
def test_undetectable_results_by_sensitivity(gene, copies, level):
    out = classify_samples(labs([("p", 3.0, None, False, gene, float(copies))]))
    got = out["level"].item()
    assert (None if got is None else str(got)) == level
    assert out["evaluable"].item() == (level is not None)
    assert out["log_reduction"].item() is None
    if level is None:
        assert "sensitivity too low" in out["reason"].item()


def test_validation_messages():
    with pytest.raises(
        InvalidValueError,
        match=r"`is_percent` must not be negative; found 1 of 2 rows \(first: -0.5 for patient 'b' at time 6.0\)",
    ):
        classify_samples(
            labs([("a", 3.0, 0.5, True, "ABL1", 1e5), ("b", 6.0, -0.5, True, "ABL1", 1e5)])
        )
    with pytest.raises(
        MissingValueError,
        match=r"`control_copies` is needed for undetectable samples; missing in 1 \(first: patient 'a' at time 3.0\)",
    ):
        classify_samples(labs([("a", 3.0, None, False, "ABL1", None)]))
    with pytest.raises(
        InvalidValueError, match=r"duplicated samples: 2 rows share a \(patient_id, time\)"
    ):
        classify_samples(
            labs([("a", 3.0, 0.5, True, "ABL1", 1e5), ("a", 3.0, 0.4, True, "ABL1", 1e5)])
        )
    with pytest.raises(
        InvalidValueError, match=r"`control_gene` must be one of \['ABL1', 'GUSB'\]"
    ):
        classify_samples(labs([("a", 3.0, None, False, "BCR", 1e5)]))
    with pytest.warns(SurvstatWarning, match="above 100% in 1 samples"):
        classify_samples(labs([("a", 3.0, 120.0, True, "ABL1", 1e5)]))


def test_cli_classify(tmp_path):
    data = tmp_path / "labs.parquet"
    labs([("a", 3.0, 0.05, True, "ABL1", 5e4), ("a", 6.0, None, False, "ABL1", 4e4)]).write_parquet(
        data
    )
    out = tmp_path / "c.parquet"
    r = CliRunner().invoke(app, ["cml", "classify", str(data), "-o", str(out)])
    assert r.exit_code == 0, r.output
    df = pl.read_parquet(out)
    assert df["level"].cast(pl.String).to_list() == ["MMR", "MR4.5"]
    assert "Example:" in CliRunner().invoke(app, ["cml", "classify", "--help"]).output
