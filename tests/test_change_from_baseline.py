"""Baseline and change from baseline as the CDISC ADaM BDS defines them, by hand-built labs."""

from __future__ import annotations

import polars as pl
import pytest

from survstat.analyses import ANALYSES
from survstat.endpoints.change_from_baseline import (
    SUMMARY_COLUMNS,
    change_from_baseline,
    change_summary,
)
from survstat.errors import ColumnTypeError, InvalidValueError


def _labs(rows):
    return pl.DataFrame(
        rows, schema=["subject_id", "PARAMCD", "ADY", "AVAL"], orient="row"
    ).with_columns(pl.col("AVAL").cast(pl.Float64))


def _cols(bds, *names):
    return bds.select(*names).rows()


def test_baseline_is_the_last_non_missing_value_on_or_before_the_first_dose():
    bds = change_from_baseline(
        _labs([("A", "G", -14, 90), ("A", "G", -3, 100), ("A", "G", 1, None), ("A", "G", 8, 150)])
    )
    assert _cols(bds, "ADY", "ABLFL", "BASE") == [
        (-14, None, 100.0),
        (-3, "Y", 100.0),
        (1, None, 100.0),
        (8, None, 100.0),
    ]


def test_a_value_on_the_first_dose_day_is_the_baseline():
    bds = change_from_baseline(_labs([("A", "G", -3, 100), ("A", "G", 1, 110), ("A", "G", 8, 99)]))
    assert _cols(bds, "ABLFL", "BASE") == [(None, 110.0), ("Y", 110.0), (None, 110.0)]
    assert _cols(bds, "CHG", "PCHG")[2] == (-11.0, pytest.approx(-10.0, rel=1e-12))


def test_change_only_after_the_first_dose():
    bds = change_from_baseline(
        _labs([("A", "G", -7, 80), ("A", "G", 1, 100), ("A", "G", 15, 125), ("A", "G", 29, 50)])
    )
    assert _cols(bds, "CHG", "PCHG") == [(None, None), (None, None), (25.0, 25.0), (-50.0, -50.0)]
    assert bds.get_column("note").null_count() == 4


def test_reference_day_moves_the_baseline():
    labs = _labs([("A", "G", 1, 100), ("A", "G", 8, 150), ("A", "G", 15, 120)])
    bds = change_from_baseline(labs, reference_day=8)
    assert _cols(bds, "ABLFL", "BASE", "CHG") == [
        (None, 150.0, None),
        ("Y", 150.0, None),
        (None, 150.0, -30.0),
    ]


def test_baselines_per_subject_and_parameter():
    bds = change_from_baseline(
        _labs([("A", "G", 1, 100), ("A", "I", 1, 20), ("B", "G", 1, 90), ("A", "I", 8, 30)])
    )
    assert _cols(bds, "subject_id", "PARAMCD", "BASE", "CHG") == [
        ("A", "G", 100.0, None),
        ("A", "I", 20.0, None),
        ("A", "I", 20.0, 10.0),
        ("B", "G", 90.0, None),
    ]


def test_undefined_changes_are_null_with_a_reason():
    bds = change_from_baseline(
        _labs(
            [
                ("A", "G", 5, 100),  # no value on or before day 1
                ("B", "G", 1, 0),  # baseline 0
                ("B", "G", 8, 5),
                ("C", "G", 1, 10),
                ("C", "G", 8, None),  # missing result
            ]
        )
    )
    rows = _cols(bds, "subject_id", "BASE", "CHG", "PCHG", "note")
    assert rows[0] == (
        "A",
        None,
        None,
        None,
        "no baseline: no non-missing value on or before day 1",
    )
    assert rows[2] == ("B", 0.0, 5.0, None, "baseline is 0: percent change undefined")
    assert rows[4] == ("C", 10.0, None, None, "missing value")


def test_a_negative_baseline_has_a_change_but_no_percent_change():
    # 30 from a baseline of -1: CHG 31; PCHG would read -3100%
    bds = change_from_baseline(
        _labs([("A", "G", 1, -1), ("A", "G", 8, 30), ("B", "G", 1, 4), ("B", "G", 8, 2)])
    )
    assert _cols(bds, "subject_id", "BASE", "CHG", "PCHG", "note") == [
        ("A", -1.0, None, None, None),
        ("A", -1.0, 31.0, None, "baseline is negative: percent change undefined"),
        ("B", 4.0, None, None, None),
        ("B", 4.0, -2.0, -50.0, None),
    ]


def test_a_nan_value_is_written_as_null_with_a_note():
    labs = pl.DataFrame(
        {
            "subject_id": ["A"] * 4,
            "PARAMCD": ["G"] * 4,
            "ADY": [-7, 1, 8, 15],
            "AVAL": [float("nan"), 100.0, float("nan"), 120.0],
        }
    )
    bds = change_from_baseline(labs)
    assert bds.get_column("AVAL").is_nan().sum() == 0
    assert _cols(bds, "AVAL", "ABLFL", "CHG", "PCHG", "note") == [
        (None, None, None, None, "missing value"),
        (100.0, "Y", None, None, None),
        (None, None, None, None, "missing value"),
        (120.0, None, 20.0, 20.0, None),
    ]
    # the summary reads the cleaned values
    s = change_summary(bds).row(0, named=True)
    assert (s["n_post"], s["last"], s["peak"]) == (1, 120.0, 120.0)


def test_integer_values_keep_their_dtype():
    labs = _labs([("A", "G", 1, 10), ("A", "G", 8, 12)]).with_columns(pl.col("AVAL").cast(pl.Int64))
    bds = change_from_baseline(labs)
    assert bds.schema["AVAL"] == pl.Int64
    assert _cols(bds, "CHG", "PCHG")[1] == (2.0, pytest.approx(20.0, rel=1e-12))


def test_two_results_on_one_day_name_the_subject_and_rows():
    labs = _labs([("A", "G", 1, 100), ("B", "G", 8, 1), ("B", "G", 8, 2)])
    with pytest.raises(
        InvalidValueError,
        match=r"must hold one result per subject and `PARAMCD`; found 2 results on repeated "
        r"days \(first: subject B, G, day 8 at rows 1, 2\)",
    ):
        change_from_baseline(labs)


def test_text_values_are_an_error():
    labs = _labs([("A", "G", 1, 100)]).with_columns(pl.col("AVAL").cast(pl.String))
    with pytest.raises(ColumnTypeError, match=r"`AVAL` \(value\) must be numeric"):
        change_from_baseline(labs)


def test_summary_peak_and_last():
    bds = change_from_baseline(
        _labs([("A", "G", 1, 100), ("A", "G", 8, 250), ("A", "G", 15, 250), ("A", "G", 29, 120)])
    )
    s = change_summary(bds).row(0, named=True)
    assert list(s)[2:] == list(SUMMARY_COLUMNS)
    assert (s["base_day"], s["BASE"], s["n_post"]) == (1, 100.0, 3)
    assert (s["peak_day"], s["peak"], s["peak_chg"], s["peak_pchg"]) == (8, 250.0, 150.0, 150.0)
    assert (s["last_day"], s["last"], s["last_chg"], s["last_pchg"]) == (29, 120.0, 20.0, 20.0)


def test_the_declared_analysis_writes_the_summary():
    out = ANALYSES["change-from-baseline"].run(_labs([("A", "G", 1, 100), ("A", "G", 8, 90)]))
    assert out.table.columns[-5:] == ["ABLFL", "BASE", "CHG", "PCHG", "note"]
    assert [e.name for e in out.extras] == ["summary"]


@pytest.mark.parametrize("kind", ["polars", "lazy", "arrow", "pandas"])
def test_every_input_backend(kind):
    labs = _labs([("A", "G", -3, 100), ("A", "G", 8, 150), ("B", "G", 1, None)])
    data = {
        "polars": labs,
        "lazy": labs.lazy(),
        "arrow": labs.to_arrow(),
        "pandas": labs.to_pandas(),
    }[kind]
    assert change_from_baseline(data).equals(change_from_baseline(labs))
