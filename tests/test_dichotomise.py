"""`survstat dichotomise`: every row labelled low (marker <= cut-point) or high, at a given
cut-point or one searched as `survstat cutpoint` searches it, on hand-built tables."""

from __future__ import annotations

import math
import warnings

import polars as pl
import pytest
from typer.testing import CliRunner

import survstat
from survstat.analyses import ANALYSES
from survstat.cli import app
from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidValueError,
    OptionError,
    SurvstatWarning,
)
from survstat.estimators.cutpoint import GROUP_LEVELS, cutpoint, marker_groups
from survstat.estimators.interaction import interaction_tests

RUN = ANALYSES["dichotomise"].run


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": ["a", "b", "c", "d", "e"],
            "x": [1.0, 2.0, 2.0, None, 5.0],
            "t": [1.0, 2.0, 3.0, 4.0, 5.0],
            "d": [1, 0, 1, 1, 0],
        }
    )


def test_at_most_the_cutpoint_is_low_and_a_missing_marker_has_no_group():
    out = marker_groups(_frame(), "x", 2.0, "g")
    assert out["g"].cast(pl.String).to_list() == ["low", "low", "low", None, "high"]
    assert out.schema["g"] == GROUP_LEVELS == pl.Enum(["low", "high"])


def test_nan_has_no_group():
    out = marker_groups(pl.DataFrame({"x": [float("nan"), 0.0]}), "x", 0.0)
    assert out["marker_group"].cast(pl.String).to_list() == [None, "low"]


def test_given_cutpoint_keeps_every_row_and_column_in_order():
    res = RUN(_frame(), marker="x", cutpoint=1.5)
    assert res.table.columns == ["id", "x", "t", "d", "x_group"]
    assert res.table["x_group"].cast(pl.String).to_list() == ["low", "high", "high", None, "high"]
    assert res.display is not None
    counts = res.display.table
    assert counts["x_group"].cast(pl.String).to_list() == ["low", "high", None]
    assert counts["n"].to_list() == [1, 3, 1]
    assert res.extras == ()
    assert "cut-point 1.5 (given)" in res.notes
    note = "1 row without a `x` value has a null group (and is not searched)"
    assert any(note in n for n in res.notes)


def test_searched_cutpoint_is_that_of_cutpoint_and_carries_the_warning():
    gbsg = survstat.datasets.load("gbsg2")
    res = RUN(gbsg, marker="pnodes", time="time", event="cens", group_column="nodes")
    found = cutpoint(gbsg, time="time", event="cens", marker="pnodes")
    assert res.extras[0].name == "cutpoint"
    assert res.extras[0].table.equals(found.table)
    cut = found.table["cutpoint"].item()
    expected = ["low" if v <= cut else "high" for v in gbsg["pnodes"].to_list()]
    assert res.table["nodes"].cast(pl.String).to_list() == expected
    assert any(n.startswith("warning: data-driven cut-point") for n in res.notes)


def test_search_population_searches_those_rows_and_labels_every_row():
    gbsg = survstat.datasets.load("gbsg2").with_columns(
        pl.when(pl.col("horTh") == "yes").then(pl.lit("Y")).otherwise(pl.lit("N")).alias("HTFL")
    )
    res = RUN(gbsg, marker="pnodes", time="time", event="cens", search_population="HTFL")
    treated = gbsg.filter(pl.col("HTFL") == "Y")
    found = cutpoint(treated, time="time", event="cens", marker="pnodes")
    assert res.extras[0].table.equals(found.table)
    assert res.table.height == gbsg.height
    assert res.table["pnodes_group"].null_count() == 0
    assert 'cut-point search: population HTFL = "Y": 246 of 686 rows kept, 440 removed' in res.notes


def test_rows_without_a_marker_are_not_searched():
    gbsg = survstat.datasets.load("gbsg2")
    holed = gbsg.with_columns(
        pl.when(pl.int_range(pl.len()) < 5).then(None).otherwise(pl.col("pnodes")).alias("pnodes")
    )
    res = RUN(holed, marker="pnodes", time="time", event="cens")
    found = cutpoint(holed.slice(5), time="time", event="cens", marker="pnodes")
    assert res.extras[0].table.equals(found.table)
    assert res.table["pnodes_group"].null_count() == 5


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"marker": "y", "cutpoint": 1.0}, ColumnNotFoundError, "y"),
        ({"marker": "id", "cutpoint": 1.0}, ColumnTypeError, r"`id` \(marker\) must be numeric"),
        (
            {"marker": "x", "cutpoint": 1.0, "group_column": "t"},
            OptionError,
            r"`t` \(group column\) is already a column",
        ),
        ({"marker": "x"}, OptionError, "give --cutpoint, or the --time and --event"),
        ({"marker": "x", "time": "t"}, OptionError, "give --cutpoint, or the --time and --event"),
        (
            {"marker": "x", "cutpoint": 1.0, "search_population": "id"},
            OptionError,
            "--search-population needs a search",
        ),
    ],
)
def test_bad_input_is_one_named_error(params, error, match):
    with pytest.raises(error, match=match):
        RUN(_frame(), **params)


@pytest.mark.parametrize("cut", [math.nan, math.inf, -math.inf])
def test_a_given_cutpoint_must_be_finite(cut):
    # NaN would put every row in "low" (every comparison is false), inf every row in one group
    with pytest.raises(OptionError, match=rf"^`cutpoint` must be a finite number; got {cut}$"):
        RUN(_frame(), marker="x", cutpoint=cut)


def test_a_nan_cutpoint_on_the_command_line_is_one_line(tmp_path):
    data = tmp_path / "d.parquet"
    _frame().write_parquet(data)
    args = ["dichotomise", str(data), "--marker", "x", "--cutpoint", "nan"]
    r = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "g.parquet")])
    assert r.exit_code == 1
    assert "`cutpoint` must be a finite number; got nan" in r.output
    assert "Traceback" not in r.output
    assert not (tmp_path / "g.parquet").exists()


def _infinite() -> pl.DataFrame:
    return _frame().with_columns(
        pl.Series("x", [1.0, math.inf, 2.0, None, -math.inf]),
        pl.Series("flag", ["Y", "Y", "Y", "Y", "N"]),
    )


@pytest.mark.parametrize(
    "params",
    [
        {"cutpoint": 1.5},
        {"cutpoint": 1e308},
        {"time": "t", "event": "d"},
        # the infinite row outside the searched population still gets a group: still an error
        {"time": "t", "event": "d", "search_population": "flag"},
    ],
)
def test_an_infinite_marker_is_an_error_with_a_given_or_a_searched_cutpoint(params):
    with pytest.raises(
        InvalidValueError,
        match=r"^`x` \(marker\) must be finite; found 2 infinite values \(first: inf at row 1\)$",
    ):
        RUN(_infinite(), marker="x", **params)


def test_one_infinite_value_is_named_in_the_singular():
    frame = _frame().with_columns(pl.Series("x", [1.0, 2.0, 3.0, 4.0, -math.inf]))
    with pytest.raises(InvalidValueError, match=r"found 1 infinite value \(first: -inf at row 4\)"):
        RUN(frame, marker="x", cutpoint=2.0)


@pytest.mark.parametrize(
    ("cut", "x", "empty", "low", "high"),
    [
        (0.5, [1.0, 2.0, 2.0, None, 5.0], "low", 1, 5),  # below the marker's minimum
        (5.0, [1.0, 2.0, 2.0, None, 5.0], "high", 1, 5),  # at its maximum: all "at most"
        (9.0, [1.0, 2.0, 2.0, None, 5.0], "high", 1, 5),  # above it
        (3.0, [3.0, 3.0, 3.0, 3.0, 3.0], "high", 3, 3),  # a single-valued marker
        (2.0, [3.0, 3.0, 3.0, 3.0, 3.0], "low", 3, 3),
    ],
)
def test_a_given_cutpoint_that_leaves_a_group_empty_warns_and_counts_it(cut, x, empty, low, high):
    frame = _frame().with_columns(pl.Series("x", x))
    message = (
        f"cut-point {cut:g} leaves the {empty} group empty: `x` ranges from {low} to {high}; "
        "a comparison of the groups is not possible"
    )
    with pytest.warns(SurvstatWarning, match=f"^{message.replace('(', '.').replace(')', '.')}$"):
        res = RUN(frame, marker="x", cutpoint=cut)
    assert f"warning: {message}" in res.notes
    assert res.display is not None
    counts = res.display.table
    levels = counts.filter(pl.col("x_group").is_not_null())
    assert levels["x_group"].cast(pl.String).to_list() == ["low", "high"]
    row = levels.filter(pl.col("x_group") == empty).row(0, named=True)
    assert (row["n"], row["marker_min"], row["marker_max"]) == (0, None, None)
    assert levels["n"].sum() == sum(v is not None for v in x)


def test_a_marker_without_values_warns_that_both_groups_are_empty():
    frame = _frame().with_columns(pl.lit(None, dtype=pl.Float64).alias("x"))
    with pytest.warns(SurvstatWarning, match="^`x` has no value: at cut-point 1 both groups"):
        res = RUN(frame, marker="x", cutpoint=1.0)
    assert res.display is not None
    assert res.display.table["n"].to_list() == [0, 0, 5]


def test_two_nonempty_groups_do_not_warn_and_nan_leaves_no_nan_in_the_counts():
    frame = _frame().with_columns(pl.Series("x", [1.0, 2.0, math.nan, None, 5.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = RUN(frame, marker="x", cutpoint=1.5)
    assert not any("empty" in n for n in res.notes)
    assert res.display is not None
    counts = res.display.table
    assert counts["n"].to_list() == [1, 2, 2]
    assert counts.row(2) == (None, 2, None, None)  # the NaN row's range is null, not NaN


def test_command_line_writes_the_rows_and_the_search(tmp_path):
    data = tmp_path / "gbsg2.parquet"
    survstat.datasets.load("gbsg2").write_parquet(data)
    out = tmp_path / "groups.parquet"
    args = ["dichotomise", str(data), "--marker", "pnodes", "--time", "time", "--event", "cens"]
    r = CliRunner().invoke(app, [*args, "-o", str(out)])
    assert r.exit_code == 0, r.output
    written = pl.read_parquet(out)
    assert written.schema["pnodes_group"] == pl.Enum(["low", "high"])
    assert pl.read_parquet(tmp_path / "groups.cutpoint.parquet")["cutpoint"].item() == 3.0
    assert pl.read_parquet(tmp_path / "groups.groups.parquet")["n"].to_list() == [376, 310]


def test_cox_and_interaction_take_low_as_the_reference_of_the_group():
    gbsg = survstat.datasets.load("gbsg2")
    groups = RUN(gbsg, marker="pnodes", cutpoint=3.0).table
    fit = survstat.cox(groups, time="time", event="cens", covariates=["pnodes_group"])
    assert fit.table["term"].to_list() == ["pnodes_group[high]"]
    as_text = groups.with_columns(pl.col("pnodes_group").cast(pl.String))
    common = {"time": "time", "event": "cens", "treatment": "horTh"}
    enum = interaction_tests(groups, markers=["pnodes_group"], **common).table
    text = interaction_tests(as_text, markers=["pnodes_group"], **common).table
    # text levels sort "high" first; the Enum puts "low" first: reciprocal ratios, same test
    assert enum["interaction_hr"].item() == pytest.approx(1 / text["interaction_hr"].item())
    assert enum["p_value"].item() == pytest.approx(text["p_value"].item(), rel=1e-10)
