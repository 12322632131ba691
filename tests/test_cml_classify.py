"""Per-sample classification of BCR-ABL1 results (ELN 2020, EUTOS)."""

from __future__ import annotations

import math

import polars as pl
import pytest
from typer.testing import CliRunner

from survstat.cli import app
from survstat.endpoints.cml import Thresholds, classify_samples
from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    EmptyDataError,
    InvalidValueError,
    MissingValueError,
    SurvstatWarning,
)


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
        (0.100001, "none"),  # above 0.1 at 6 significant digits
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
        match=r"`control_copies` is needed for undetectable samples; found 1 of 1 rows \(first: patient 'a' at time 3.0\)",
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


# Rule: thresholds hold at the boundaries whatever the float (6 significant digits).
@pytest.mark.parametrize(
    ("is_percent", "level"),
    [
        # 4 BCR-ABL1 / 32,000 ABL1 copies x 100 x conversion factor 0.8 is 0.01 on paper and
        # 0.010000000000000002 in binary: MR4, not MMR
        (4 / 32_000 * 100 * 0.8, "MR4"),
        (0.1 * 3 / 3, "MMR"),  # 0.10000000000000002: MMR, not none
        (1 / 1000 * 100 * 0.032, "MR4.5"),
        (0.00032 * 10, "MR4.5"),
        # values a lab reports with more digits keep them: above each threshold
        (0.100001, "none"),
        (0.0100001, "MMR"),
        (0.00320001, "MR4"),
        (0.00100001, "MR4.5"),
    ],
)
def test_thresholds_hold_at_the_boundaries_of_computed_values(is_percent, level):
    out = classify_samples(labs([("p", 3.0, is_percent, True, "ABL1", 5e4)]))
    assert out["level"].cast(pl.String).item() == level


def test_thresholds_hold_for_float32_storage():
    # float32(0.1) = 0.10000000149 and float32(0.001) = 0.00100000005 lie above the thresholds
    # in binary; float32(0.0032) = 0.0031999999 lies below. Each is the published level.
    values = [0.1, 0.01, 0.0032, 0.001]
    f32 = labs([("p", float(i), v, True, "ABL1", 5e4) for i, v in enumerate(values)]).with_columns(
        pl.col("is_percent", "control_copies").cast(pl.Float32)
    )
    assert classify_samples(f32)["level"].cast(pl.String).to_list() == [
        "MMR",
        "MR4",
        "MR4.5",
        "MR5",
    ]
    # exclusive thresholds ("below 0.0032%"): the float32 0.0031999999 is 0.0032, not below it
    excl = classify_samples(f32, thresholds=Thresholds(inclusive=False))
    assert excl["level"].cast(pl.String).to_list() == ["none", "MMR", "MR4", "MR4.5"]
    # copies computed per volume: 31,999.99999 ABL1 copies is 32,000 (MR4.5), 31,999 is not
    und = labs(
        [("p", 1.0, None, False, "ABL1", 31_999.99999), ("p", 2.0, None, False, "ABL1", 31_999.0)]
    )
    assert classify_samples(und)["level"].cast(pl.String).to_list() == ["MR4.5", "MR4"]


# Rule: a detected sample with IS 0% is an error naming the patient and time.
def test_detected_with_zero_is_percent_is_an_error():
    with pytest.raises(
        InvalidValueError,
        match=r"`is_percent` must be positive for a detected sample \(code an undetectable "
        r"result as not detected, with its control-gene copies\); found 1 of 2 rows "
        r"\(first: 0.0 for patient 'b' at time 6.0\)",
    ):
        classify_samples(
            labs([("a", 3.0, 0.5, True, "ABL1", 1e5), ("b", 6.0, 0.0, True, "ABL1", 1e5)])
        )
    # undetectable with IS 0 recorded: classified by its copies (the IS value is ignored)
    out = classify_samples(labs([("a", 3.0, 0.0, False, "ABL1", 1e5)]))
    assert out["level"].cast(pl.String).item() == "MR5"
    assert out["log_reduction"].item() is None


# Rule: NaN/inf/null times and null patient ids are errors.
@pytest.mark.parametrize(
    ("patient", "time", "error", "message"),
    [
        (
            "b",
            None,
            MissingValueError,
            r"`time` must not be missing or NaN; found 1 of 2 rows "
            r"\(first: patient 'b' at row 1\)",
        ),
        ("b", float("nan"), MissingValueError, r"`time` must not be missing or NaN; found 1 of 2"),
        (
            "b",
            float("inf"),
            InvalidValueError,
            r"`time` must be finite; found 1 of 2 rows "
            r"\(first: inf for patient 'b' at row 1\)",
        ),
        (
            None,
            6.0,
            MissingValueError,
            r"`patient_id` must not be missing; found 1 of 2 rows "
            r"\(first: row 1\)",
        ),
    ],
)
def test_bad_times_and_ids(patient, time, error, message):
    rows = [("a", 3.0, 0.5, True, "ABL1", 1e5), (patient, time, 0.4, True, "ABL1", 1e5)]
    with pytest.raises(error, match=message):
        classify_samples(labs(rows))


def test_pre_study_samples_are_classified():
    # a negative time is a pre-study sample: classified like any other (the endpoints skip it)
    out = classify_samples(labs([("a", -0.5, 0.002, True, "ABL1", 1e5)]))
    assert out["level"].cast(pl.String).item() == "MR4.5"


# Rule: the codings labs use.
@pytest.mark.parametrize(
    ("coded", "dtype"),
    [
        ([True, False], pl.Boolean),
        ([1, 0], pl.Int64),
        ([1.0, 0.0], pl.Float64),
        (["Y", "N"], pl.String),
        (["yes", "no"], pl.String),
        (["DETECTED", "NOT DETECTED"], pl.String),
        (["Detected", "Not detected"], pl.String),
        (["detected", "not_detected"], pl.String),
        (["Positive", "Negative"], pl.String),
        (["DETECTABLE", "UNDETECTABLE"], pl.String),
        (["detected", "undetected"], pl.Categorical),
        (["TRUE", "FALSE"], pl.String),
        (["1", "0"], pl.String),
    ],
)
def test_detected_codings(coded, dtype):
    # the first sample is detected at 0.05% (MMR), the second undetectable with 40,000 ABL1
    # copies (MR4.5), whatever the coding
    frame = pl.DataFrame(
        {
            "patient_id": ["a", "a"],
            "time": [3.0, 6.0],
            "is_percent": [0.05, None],
            "detected": pl.Series(coded).cast(dtype),
            "control_gene": ["ABL1", "ABL1"],
            "control_copies": [5e4, 4e4],
        }
    )
    out = classify_samples(frame)
    assert out["level"].cast(pl.String).to_list() == ["MMR", "MR4.5"]
    assert out["detected"].to_list() == frame["detected"].to_list()  # input kept as given


@pytest.mark.parametrize(
    ("coded", "shown"),
    [
        (["DETECTED", "maybe"], r"\('maybe'\)"),
        (["DETECTED", None], r"\(None\)"),
        ([1, 2], r"\(2\)"),
    ],
)
def test_unknown_detected_codings_are_errors(coded, shown):
    frame = pl.DataFrame(
        {
            "patient_id": ["a", "b"],
            "time": [3.0, 6.0],
            "is_percent": [0.05, 0.05],
            "detected": coded,
            "control_gene": ["ABL1", "ABL1"],
            "control_copies": [5e4, 4e4],
        }
    )
    with pytest.raises(
        InvalidValueError,
        match=r"`detected` must be true/false, 1/0, Y/N, Yes/No, DETECTED/NOT DETECTED, "
        r"DETECTABLE/UNDETECTABLE or POSITIVE/NEGATIVE; found 1 of 2 rows with other values "
        + shown
        + r" \(first: patient 'b' at time 6.0\)",
    ):
        classify_samples(frame)


def test_control_gene_any_case():
    out = classify_samples(
        labs(
            [
                ("a", 3.0, None, False, "abl1", 4e4),
                ("a", 6.0, None, False, " Abl1 ", 1e5),
                ("a", 9.0, None, False, "gusb", 8e4),
            ]
        )
    )
    assert out["level"].cast(pl.String).to_list() == ["MR4.5", "MR5", "MR4.5"]
    assert out["control_gene"].to_list() == ["abl1", " Abl1 ", "gusb"]


# No traceback on any input: each malformed table gives one SurvstatError.
def _good():
    return labs([("a", 3.0, 0.05, True, "ABL1", 5e4), ("a", 6.0, None, False, "ABL1", 4e4)])


@pytest.mark.parametrize(
    ("frame", "error", "message"),
    [
        (_good().drop("control_copies"), ColumnNotFoundError, r"`control_copies` \(given as "),
        (_good().head(0), EmptyDataError, "the lab results have no rows"),
        (
            _good().with_columns(pl.col("time").cast(pl.String)),
            ColumnTypeError,
            r"`time` \(time\) must be numeric \(time since the start of treatment\); found String",
        ),
        (
            _good().with_columns(pl.col("is_percent").cast(pl.String)),
            ColumnTypeError,
            r"`is_percent` \(is_percent\) must be numeric \(IS %\); found String; cast it",
        ),
        (
            _good().with_columns(pl.col("control_copies").cast(pl.String)),
            ColumnTypeError,
            r"`control_copies` \(control_copies\) must be numeric",
        ),
        (
            _good().with_columns(pl.col("time").cast(pl.Int64).cast(pl.Date)),
            ColumnTypeError,
            r"found Date; convert dates with survstat.endpoints.dates.times_from_dates",
        ),
        (
            _good().with_columns(pl.col("control_gene").cast(pl.Categorical).to_physical()),
            ColumnTypeError,
            r"`control_gene` \(control gene\) must be text",
        ),
        (
            _good().with_columns(pl.lit([1.0]).alias("patient_id")),
            ColumnTypeError,
            r"`patient_id` \(patient\) must be text or integer ids; found List",
        ),
        (
            _good().with_columns(pl.col("detected").cast(pl.Date)),
            ColumnTypeError,
            r"`detected` \(detected\) must be boolean, 0/1 or text",
        ),
        (
            _good().with_columns(is_percent=pl.lit(float("inf"))),
            InvalidValueError,
            r"`is_percent` must be finite; found 2 of 2 rows \(first: inf for patient 'a'",
        ),
        (
            _good().with_columns(control_copies=pl.lit(-1.0)),
            InvalidValueError,
            r"`control_copies` must be finite and non-negative; found 2 of 2 rows",
        ),
    ],
)
def test_malformed_lab_tables(frame, error, message):
    with pytest.raises(error, match=message):
        classify_samples(frame)


def test_cli_malformed_input_is_one_line(tmp_path):
    import subprocess
    import sys

    data = tmp_path / "labs.parquet"
    _good().with_columns(pl.col("time").cast(pl.String)).write_parquet(data)
    proc = subprocess.run(
        [sys.executable, "-m", "survstat", "cml", "classify", str(data)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "`time` (time) must be numeric" in lines[0]
